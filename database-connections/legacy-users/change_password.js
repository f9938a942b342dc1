/** Change password: stores a new bcrypt hash; false when there is no such record. */
function changePassword(email, newPassword, callback) {
  const db = require('authsim:legacy-db');
  const bcrypt = require('bcrypt');
  bcrypt.hash(newPassword, 10)
    .then(function (hash) { return db.update(email, { password_hash: hash }); })
    .then(function (record) { callback(null, !!record); }, callback);
}
