/** Get user: finds a legacy record by email (sign-up, password reset and import mode use it). */
function getByEmail(email, callback) {
  const db = require('authsim:legacy-db');
  db.findByEmail(email).then(function (record) {
    if (!record) return callback(null);
    callback(null, {
      user_id: String(record.id),
      email: record.email,
      email_verified: !!record.email_verified,
      name: record.name,
      nickname: record.nickname
    });
  }, callback);
}
