/**
 * @title Project metadata into token claims
 * @overview Puts the user's plan (app_metadata) and preferred language (user_metadata)
 *           into the ID and access tokens.
 */
function metadataClaims(user, context, callback) {
  const namespace = configuration.NAMESPACE || 'https://example.com/';
  const appMetadata = user.app_metadata || {};
  const userMetadata = user.user_metadata || {};
  context.idToken[namespace + 'plan'] = appMetadata.plan || 'free';
  context.accessToken[namespace + 'plan'] = appMetadata.plan || 'free';
  if (userMetadata.preferred_language) {
    context.idToken[namespace + 'lang'] = userMetadata.preferred_language;
  }
  callback(null, user, context);
}
