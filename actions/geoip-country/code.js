/**
 * Action port of rules/geoip-country.js: geoip keys are camelCase in event.request.geoip.
 */
exports.onExecutePostLogin = async (event, api) => {
  const geoip = event.request.geoip || {};
  if (geoip.countryCode) {
    api.idToken.setCustomClaim('https://example.com/country', geoip.countryCode);
    console.log('login from %s (%s)', geoip.countryName, geoip.countryCode);
  } else {
    console.warn('no geoip data for', event.request.ip);
  }
};
