/**
 * @title Deny a retired application (disabled example)
 * @overview A disabled rule never runs; enable it in deny-legacy-app.json to try it.
 */
function denyLegacyApp(user, context, callback) {
  if (context.clientName === 'Legacy App') {
    return callback(new UnauthorizedError('This application has been retired.'));
  }
  callback(null, user, context);
}
