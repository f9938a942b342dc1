/**
 * Action port of rules/metadata-claims.js: plan and preferred language into the tokens.
 */
exports.onExecutePostLogin = async (event, api) => {
  const namespace = event.secrets.NAMESPACE || 'https://example.com/';
  const plan = event.user.app_metadata.plan || 'free';
  api.idToken.setCustomClaim(namespace + 'plan', plan);
  api.accessToken.setCustomClaim(namespace + 'plan', plan);
  if (event.user.user_metadata.preferred_language) {
    api.idToken.setCustomClaim(namespace + 'lang', event.user.user_metadata.preferred_language);
  }
};
