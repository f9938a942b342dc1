module.exports = function(client, scope, audience, context, cb) { var access_token = {}; access_token.scope = scope; cb(null, access_token); };
