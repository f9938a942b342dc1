/**
 * Action port of rules/add-roles-to-tokens.js: app_metadata.roles into both tokens.
 */
exports.onExecutePostLogin = async (event, api) => {
  const namespace = event.secrets.NAMESPACE || 'https://example.com/';
  const roles = event.user.app_metadata.roles || [];
  api.idToken.setCustomClaim(namespace + 'roles', roles);
  api.accessToken.setCustomClaim(namespace + 'roles', roles);
};
