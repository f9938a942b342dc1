/** Verify: marks the record's email as verified. */
function verify(email, callback) {
  const db = require('authsim:legacy-db');
  db.update(email, { email_verified: true }).then(function (record) {
    callback(null, !!record);
  }, callback);
}
