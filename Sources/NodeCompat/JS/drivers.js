// The database drivers as Auth0's sandbox offered them, on top of the versions installed.
// pg before 7 (what Auth0's custom-database templates call): pg.connect(config, function (err,
// client, done) { … }) checked a client out of a pool kept per configuration. Here each call
// opens a client and `done` closes it: a login's sockets end with its job anyway.
rt.adaptPackage('node_modules/pg/lib/index.js', function (pg) {
  'use strict';
  if (!pg || typeof pg.Client !== 'function' || typeof pg.connect === 'function') return pg;
  pg.connect = function connect(config, cb) {
    if (typeof config === 'function') { cb = config; config = undefined; }
    var client = new pg.Client(config);
    var released = false;
    function done() {
      if (released) return;
      released = true;
      client.end().then(undefined, function () {});
    }
    var connected = client.connect().then(function () { return client; }, function (e) { done(); throw e; });
    if (typeof cb !== 'function') return connected;
    // The callback runs outside the promise chain, so that what it throws fails the script (as
    // with pg before 7) instead of becoming an unhandled rejection.
    connected.then(function (c) { process.nextTick(cb, null, c, done); }, function (e) { process.nextTick(cb, e, null, function () {}); });
    return undefined;
  };
  pg.end = function end() {};
  countQueries(pg.Client.prototype, function (client) { return client.connection && client.connection.stream; });
  return pg;
});

// Each query's round trip is counted on its connection's trace record (`net` entries: queries,
// queryMs), for the trace and the console's timeline.
function countQueries(proto, socketOf) {
  var query = proto.query;
  if (typeof query !== 'function' || query.__counted) return;
  var counted = function () {
    var socket = socketOf(this), record = socket && socket._record;
    if (!record) return query.apply(this, arguments);
    var started = rt.now(), settled = false;
    record.queries = (record.queries || 0) + 1;
    function settle() { if (!settled) { settled = true; record.queryMs = (record.queryMs || 0) + (rt.now() - started); } }
    var args = Array.prototype.slice.call(arguments);
    var last = args.length - 1;
    if (last >= 0 && typeof args[last] === 'function') {
      var cb = args[last];
      args[last] = function () { settle(); return cb.apply(this, arguments); };
    }
    var out = query.apply(this, args);
    if (out && typeof out.then === 'function') out.then(settle, settle);
    else if (out && typeof out.once === 'function') { out.once('end', settle); out.once('error', settle); }
    return out;
  };
  rt.primordials.defineProperty(counted, '__counted', { value: true });
  proto.query = counted;
}
rt.adaptPackage('node_modules/mysql/index.js', function (mysql, require) {
  'use strict';
  var Connection;
  try { Connection = require('./lib/Connection'); } catch (e) { return mysql; }
  countQueries(Connection.prototype, function (c) { return c._socket; });
  return mysql;
});
