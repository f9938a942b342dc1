// `dns`: `lookup` (allowed hosts only) and its promise form.
rt.define('dns', function (module, exports, require) {
  'use strict';
  var net = require('net');
  function lookupAsync(host, options) {
    var family = typeof options === 'number' ? options : (options && Number(options.family)) || 0;
    var all = !!(options && typeof options === 'object' && options.all);
    host = String(host);
    var ip = net.isIP(host);
    if (ip) return Promise.resolve(all ? [{ address: host, family: ip }] : { address: host, family: ip });
    // Each look-up is in the step's trace beside its connections (`net`, with `lookup: true`).
    var started = rt.now();
    var record = { lookup: true, host: host, address: null, durationMs: null, error: null };
    if (typeof rt.netActivity === 'function') { try { rt.netActivity(record); } catch (x) {} }
    return rt.callAsync('net.lookup', { host: host, family: family, all: all }).then(function (r) {
      record.durationMs = rt.now() - started;
      if (r.error) {
        record.error = r.error.code;
        var e = new Error(r.error.message);
        e.code = r.error.code; e.errno = r.error.code; e.syscall = 'getaddrinfo'; e.hostname = host;
        throw e;
      }
      record.address = all ? r.all.map(function (a) { return a.address; }).join(', ') : r.address;
      return all ? r.all : { address: r.address, family: r.family };
    });
  }
  function lookup(host, options, cb) {
    if (typeof options === 'function') { cb = options; options = 0; }
    if (typeof cb !== 'function') { var t = new TypeError('The "callback" argument must be of type function'); t.code = 'ERR_INVALID_ARG_TYPE'; throw t; }
    var all = !!(options && typeof options === 'object' && options.all);
    lookupAsync(host, options).then(function (r) {
      if (all) cb(null, r); else cb(null, r.address, r.family);
    }, function (e) { cb(e); });
  }
  function unsupported(name) {
    return function () {
      var cb = arguments[arguments.length - 1];
      var e = new Error('dns.' + name + ' is not available to scripts (dns.lookup is)');
      e.code = 'ENOTSUP';
      if (typeof cb === 'function') process.nextTick(function () { cb(e); }); else throw e;
    };
  }
  exports.lookup = lookup;
  exports.promises = { lookup: lookupAsync };
  ['resolve', 'resolve4', 'resolve6', 'resolveMx', 'resolveTxt', 'resolveSrv', 'resolveCname', 'reverse'].forEach(function (n) {
    exports[n] = unsupported(n);
    exports.promises[n] = function () { return Promise.reject(Object.assign(new Error('dns.promises.' + n + ' is not available to scripts'), { code: 'ENOTSUP' })); };
  });
  exports.ADDRCONFIG = 1024; exports.V4MAPPED = 2048; exports.ALL = 256;
  exports.NOTFOUND = 'ENOTFOUND'; exports.CONNREFUSED = 'ECONNREFUSED';
});
rt.define('dns/promises', function (module, exports, require) { module.exports = require('dns').promises; });
