/**
 * @title Remember the first login
 * @overview Persists user_metadata.first_login_at through the Management API the first
 *           time a user logs in, and tells the app whether this is a first login.
 */
async function trackFirstLogin(user, context, callback) {
  user.user_metadata = user.user_metadata || {};
  const firstLogin = !user.user_metadata.first_login_at;
  if (firstLogin) {
    user.user_metadata.first_login_at = new Date().toISOString();
    try {
      await auth0.users.updateUserMetadata(user.user_id, user.user_metadata);
    } catch (err) {
      return callback(err);
    }
  }
  context.idToken['https://example.com/first_login'] = firstLogin;
  callback(null, user, context);
}
