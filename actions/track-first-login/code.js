/**
 * Action port of rules/track-first-login.js: one queued user_metadata key instead of a
 * Management API call; it is saved with the other actions' writes at the end of the login.
 */
exports.onExecutePostLogin = async (event, api) => {
  const firstLogin = !event.user.user_metadata.first_login_at;
  if (firstLogin) {
    api.user.setUserMetadata('first_login_at', new Date().toISOString());
  }
  api.idToken.setCustomClaim('https://example.com/first_login', firstLogin);
};
