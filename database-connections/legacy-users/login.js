/**
 * Login: checks the password against the legacy table (authsim:legacy-db stands in for the
 * company's own database) and maps the record to Auth0's normalized profile.
 */
function login(email, password, callback) {
  const db = require('authsim:legacy-db');
  const bcrypt = require('bcrypt');
  db.findByEmail(email, function (err, record) {
    if (err) return callback(err);
    if (!record) return callback(new WrongUsernameOrPasswordError(null, 'no legacy user ' + email));
    bcrypt.compare(password, record.password_hash, function (err, valid) {
      if (err) return callback(err);
      if (!valid) return callback(new WrongUsernameOrPasswordError(email, 'wrong password for ' + email));
      console.log('legacy login of %s (id %s)', record.email, record.id);
      // The legacy system counts its logins: with import mode on, this stops after the first.
      db.update(record.id, { legacy_logins: (record.legacy_logins || 0) + 1 }).then(function () {
        callback(null, profile(record));
      }, callback);
    });
  });

  function profile(record) {
    return {
      user_id: String(record.id),
      email: record.email,
      email_verified: !!record.email_verified,
      name: record.name,
      nickname: record.nickname,
      given_name: record.first_name,
      family_name: record.last_name,
      app_metadata: { plan: record.plan || configuration.DEFAULT_PLAN }
    };
  }
}
