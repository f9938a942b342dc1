/** Create: a sign-up writes a new record, with a bcrypt hash of the password. */
function create(user, callback) {
  const db = require('authsim:legacy-db');
  const bcrypt = require('bcrypt');
  db.findByEmail(user.email)
    .then(function (existing) {
      if (existing) throw new ValidationError('user_exists', 'the user already exists');
      return bcrypt.hash(user.password, 10);
    })
    .then(function (hash) {
      return db.insert({ email: user.email, password_hash: hash, email_verified: false, name: user.email, plan: configuration.DEFAULT_PLAN });
    })
    .then(function (record) {
      console.log('created legacy record %s', record.id);
      callback(null);
    }, callback);
}
