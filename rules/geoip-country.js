/**
 * @title Add the login country to the ID token
 * @overview Uses the (simulated) geoip lookup of the login request.
 */
function geoipCountry(user, context, callback) {
  const geoip = context.request.geoip || {};
  if (geoip.country_code) {
    context.idToken['https://example.com/country'] = geoip.country_code;
    console.log('login from %s (%s)', geoip.country_name, geoip.country_code);
  } else {
    console.warn('no geoip data for', context.request.ip);
  }
  callback(null, user, context);
}
