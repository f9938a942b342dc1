// `uuid` (v1, v3, v4, v5, validate, version, parse, stringify, NIL), used when no `uuid`
// package is installed in a module folder.
rt.define('uuid', function (module, exports, require) {
  'use strict';
  var crypto = require('crypto');
  var Buffer = require('buffer').Buffer;
  var RE = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000)$/i;
  function stringify(b, offset) {
    offset = offset || 0;
    var h = '';
    for (var i = 0; i < 16; i++) h += (b[offset + i] < 16 ? '0' : '') + b[offset + i].toString(16);
    var s = h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
    if (!RE.test(s)) throw new TypeError('Stringified UUID is invalid');
    return s;
  }
  function parse(s) {
    if (!RE.test(s)) throw new TypeError('Invalid UUID');
    return Uint8Array.from(Buffer.from(s.replace(/-/g, ''), 'hex'));
  }
  function finish(b, version, buf, offset) {
    b[6] = (b[6] & 0x0f) | (version << 4);
    b[8] = (b[8] & 0x3f) | 0x80;
    if (buf) { for (var i = 0; i < 16; i++) buf[(offset || 0) + i] = b[i]; return buf; }
    return stringify(b);
  }
  function v4(options, buf, offset) {
    var b = options && (options.random || (options.rng && options.rng())) || crypto.randomBytes(16);
    return finish(Array.prototype.slice.call(b, 0, 16), 4, buf, offset);
  }
  var nodeId = null, clockseq = null, lastMs = 0, lastNs = 0;
  function v1(options, buf, offset) {
    options = options || {};
    if (nodeId === null) {
      var r = crypto.randomBytes(8);
      nodeId = [r[0] | 0x01, r[1], r[2], r[3], r[4], r[5]];
      clockseq = ((r[6] << 8) | r[7]) & 0x3fff;
    }
    var msecs = options.msecs !== undefined ? options.msecs : Date.now();
    var nsecs = options.nsecs !== undefined ? options.nsecs : (msecs === lastMs ? lastNs + 1 : 0);
    lastMs = msecs; lastNs = nsecs;
    msecs += 12219292800000;
    var tl = ((msecs & 0xfffffff) * 10000 + nsecs) % 0x100000000;
    var tmh = (msecs / 0x100000000 * 10000) & 0xfffffff;
    var seq = options.clockseq !== undefined ? options.clockseq : clockseq;
    var node = options.node || nodeId;
    var b = [tl >>> 24 & 0xff, tl >>> 16 & 0xff, tl >>> 8 & 0xff, tl & 0xff, tmh >>> 8 & 0xff, tmh & 0xff,
      tmh >>> 24 & 0xf, tmh >>> 16 & 0xff, seq >>> 8, seq & 0xff].concat(Array.prototype.slice.call(node, 0, 6));
    return finish(b, 1, buf, offset);
  }
  function named(version, alg) {
    var f = function (name, namespace, buf, offset) {
      var ns = typeof namespace === 'string' ? parse(namespace) : namespace;
      if (!ns || ns.length !== 16) throw new TypeError('Namespace must be array-like (16 iterable integer values, 0-255)');
      var bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : Buffer.from(name);
      var h = crypto.createHash(alg).update(Buffer.concat([Buffer.from(ns), bytes])).digest();
      return finish(Array.prototype.slice.call(h, 0, 16), version, buf, offset);
    };
    f.DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    f.URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
    return f;
  }
  exports.v1 = v1;
  exports.v3 = named(3, 'md5');
  exports.v4 = v4;
  exports.v5 = named(5, 'sha1');
  exports.NIL = '00000000-0000-0000-0000-000000000000';
  exports.validate = function (s) { return typeof s === 'string' && RE.test(s); };
  exports.version = function (s) { if (!exports.validate(s)) throw new TypeError('Invalid UUID'); return parseInt(s.substr(14, 1), 16); };
  exports.parse = parse;
  exports.stringify = stringify;
  module.exports = rt.callableUuid(exports);
}, 'package');

// Auth0's Rules sandbox gave uuid 3, whose module is the v4 function itself (`uuid()`), with
// `v1`/`v4` on it. Installed versions that export an object (Debian's uuid 8) are made callable
// the same way; everything on the object stays as it was.
rt.callableUuid = function (uuid) {
  'use strict';
  if (typeof uuid === 'function' || !uuid || typeof uuid.v4 !== 'function') return uuid;
  var callable = function uuidV4(options, buf, offset) { return uuid.v4(options, buf, offset); };
  Object.keys(uuid).forEach(function (k) { callable[k] = uuid[k]; });
  return callable;
};
rt.adaptPackage('node_modules/uuid/dist/index.js', rt.callableUuid);
