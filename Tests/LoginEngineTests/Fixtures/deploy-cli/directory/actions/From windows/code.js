exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://acme.test/windows', true); };
