/** Shows where the user came from: the connection whose scripts read the company's PostgreSQL. */
function addDatabaseClaim(user, context, callback) {
  context.idToken['https://example.com/connection'] = context.connection;
  callback(null, user, context);
}
