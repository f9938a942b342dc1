/**
 * Action port of rules/require-verified-email.js. Note: a Rule's UnauthorizedError gave the
 * app `unauthorized`; api.access.deny always gives `access_denied`.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email_verified) {
    api.access.deny('Please verify your email before logging in.');
  }
};
