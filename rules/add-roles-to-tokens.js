/**
 * @title Add roles from app_metadata to the ID token
 * @overview Copies app_metadata.roles into a namespaced ID token claim so the app can authorize.
 */
function addRolesToTokens(user, context, callback) {
  const namespace = configuration.NAMESPACE || 'https://example.com/';
  user.app_metadata = user.app_metadata || {};
  const roles = user.app_metadata.roles || [];
  context.idToken[namespace + 'roles'] = roles;
  context.accessToken[namespace + 'roles'] = roles;
  callback(null, user, context);
}
