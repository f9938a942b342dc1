/** Change email: moves the record to the new address. */
function changeEmail(email, newEmail, verified, callback) {
  const db = require('authsim:legacy-db');
  db.update(email, { email: newEmail, email_verified: !!verified }).then(function (record) {
    callback(null, !!record);
  }, callback);
}
