/**
 * Machine-to-machine tokens say which application asked for them.
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/client_name', event.client.name);
};
