function getByEmail(email, callback) {
  if (email !== 'old@acme.test') return callback(null);
  callback(null, { user_id: 'legacy-1', email: email, email_verified: true });
}
