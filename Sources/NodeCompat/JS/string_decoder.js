// `string_decoder`: Debian's port of Node's decoder.
rt.define('string_decoder', function (module) {
  'use strict';
  var r = rt.call('node.resolve', { request: 'string_decoder', system: true });
  if (!r) throw new Error("Cannot load 'string_decoder': Debian's node-string-decoder package is missing");
  module.exports = { StringDecoder: rt.loadSystemFile(r).StringDecoder };
});
