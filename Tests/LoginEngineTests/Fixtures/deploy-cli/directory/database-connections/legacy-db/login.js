function login(email, password, callback) {
  if (password !== 'legacy-pass') return callback(new WrongUsernameOrPasswordError(email));
  callback(null, { user_id: 'legacy-1', email: email, email_verified: true, name: 'Legacy User' });
}
