exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://acme.test/action-plan', event.secrets.PLAN);
};
