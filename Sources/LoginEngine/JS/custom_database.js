// The custom-database driver (authsim:pipeline/custom-database.js), a runtime file: runs one
// script with Auth0's callback contract; defines `authsim:legacy-db` and `bcrypt`/`bcryptjs`.
var K = rt.flowKit, P = rt.primordials;
var __authsim_json = K.json, __authsim_plain = K.plain, __authsim_setClock = K.setClock, __authsim_rethrow = K.rethrow;
var UnauthorizedError = K.UnauthorizedError;
var __authsim_dbScripts = Object.create(null);
rt.onInstall('db', function (key, make) { __authsim_dbScripts[key] = make; });
var __authsim_dbRun = null;

function WrongUsernameOrPasswordError(email, message) {
  if (!(this instanceof WrongUsernameOrPasswordError)) return new WrongUsernameOrPasswordError(email, message);
  this.name = 'WrongUsernameOrPasswordError';
  this.email = email === undefined ? null : email;
  this.message = message === undefined || message === null ? 'Wrong email or password.' : String(message);
  this.statusCode = 401;
  this.stack = new Error(this.message).stack;
}
WrongUsernameOrPasswordError.prototype = Object.create(Error.prototype);
WrongUsernameOrPasswordError.prototype.constructor = WrongUsernameOrPasswordError;

function ValidationError(code, message) {
  if (!(this instanceof ValidationError)) return new ValidationError(code, message);
  this.name = 'ValidationError';
  this.code = code === undefined ? null : String(code);
  this.message = message === undefined || message === null ? String(this.code) : String(message);
  this.statusCode = 400;
  this.stack = new Error(this.message).stack;
}
ValidationError.prototype = Object.create(Error.prototype);
ValidationError.prototype.constructor = ValidationError;
rt.handToScripts(WrongUsernameOrPasswordError);
rt.handToScripts(ValidationError);

// What a callback script's callback got as its error, as plain data: {name, message, code?}
// (custom-database scripts and Hooks).
rt.callbackError = function (e) {
  if (e === undefined || e === null) return null;
  var o = { name: 'Error', message: '' };
  if (e instanceof Error || (typeof e === 'object' && typeof e.message === 'string')) {
    o.name = typeof e.name === 'string' && e.name ? e.name : 'Error';
    o.message = String(e instanceof Error ? rt.nodeError(e).message : e.message);
  } else {
    o.message = typeof e === 'string' ? e : __authsim_json(e) || String(e);
  }
  if (typeof e === 'object' && e.code !== undefined && e.code !== null) o.code = String(e.code);
  return o;
};

function __authsim_dbError(e) {
  var o = rt.callbackError(e);
  if (!o) return null;
  if (e instanceof WrongUsernameOrPasswordError || o.name === 'WrongUsernameOrPasswordError') o.email = e.email === undefined ? null : e.email;
  return o;
}

// The trace entry of a callback script still running when its job timed out.
rt.timedOutEntry = function (run) {
  if (!run) return '[]';
  run.entry.outcome = 'timeout';
  run.entry.durationMs = rt.now() - run.start;
  return P.stringify([run.entry]);
};
function __authsim_dbPartial() { return rt.timedOutEntry(__authsim_dbRun); }

// Runs `invoke(callback)`, a script with Auth0's callback contract (custom-database scripts,
// Hooks), until its callback: the first call counts (later ones are warnings in `entry`); an
// exception thrown at once, by a promise it returns or later from a timer is the callback's
// error. Resolves to {err, value}.
rt.untilCallback = function (entry, invoke) {
  return new P.Promise(function (resolve) {
    var calls = 0;
    function callback(err, value) {
      calls++;
      if (calls > 1) {
        entry.warnings.push('callback was called ' + calls + ' times; only the first call counts');
        return;
      }
      // No prototype: resolving with it must not find a `then` a script put on Object.prototype.
      var answer = P.create(null);
      answer.err = err; answer.value = value;
      resolve(answer);
    }
    rt.uncaught = function (e) { callback(e); };
    try {
      var r = invoke(callback);
      if (r && typeof r.then === 'function') {
        r.then(undefined, function (e) { callback(e === undefined || e === null ? new Error('script promise rejected') : e); });
      }
    } catch (e) {
      callback(e);
    }
  });
};

// {connection, kind, file, args, configuration, context, table, now} -> {error, result, defined, trace}
async function __authsim_runDatabaseScript(input) {
  var req = P.parse(input);
  __authsim_setClock(req.now);
  var logs = [];
  var entry = {
    name: req.connection + ' ' + req.kind, kind: 'database', script: req.kind, connection: req.connection, file: req.file,
    startedAt: K.isoNow(), durationMs: 0, outcome: 'completed', error: null, warnings: [], console: logs, http: [], net: [], changes: {}
  };
  var run = { entry: entry, start: rt.now() };
  __authsim_dbRun = run;
  rt.outbound = function (call) { entry.http.push(call); };
  rt.netActivity = function (c) { entry.net.push(c); };
  rt.legacyTable = req.table;
  rt.mark(0);
  try {
    var result = await rt.untilCallback(entry, function (callback) {
      var make = __authsim_dbScripts[req.connection + '/' + req.kind];
      if (!make) throw new Error('the connection ' + req.connection + ' has no ' + req.kind + ' script');
      var fn = make(P.freeze(req.configuration || {}), globalThis, rt.makeConsole(logs), rt.require,
        WrongUsernameOrPasswordError, ValidationError, UnauthorizedError);
      if (typeof fn !== 'function') throw new TypeError(req.file + ' is not a function (got ' + typeof fn + ')');
      var args = req.args.slice();
      // The organizations variant takes a context object just before the callback.
      if (fn.length === args.length + 2) args.push(req.context || {});
      args.push(callback);
      return P.apply(fn, undefined, args);
    });
    entry.durationMs = rt.now() - run.start;
    entry.endedAt = K.isoNow();
    var error = __authsim_dbError(result.err);
    if (error) {
      entry.outcome = 'error';
      entry.error = error;
    }
    return P.stringify({ error: error, result: result.value === undefined ? null : __authsim_plain(result.value), defined: result.value !== undefined, trace: entry });
  } finally {
    __authsim_dbRun = null;
    rt.outbound = undefined; rt.netActivity = undefined;
    rt.legacyTable = undefined;
    rt.uncaught = __authsim_rethrow;
    __authsim_setClock(null);
  }
}

// "Your own database": a user table kept in <tenant>/legacy-db/<table>.json. Every call reads the
// file, so hand edits show at once. Promise API, or a Node-style callback as the last argument.
rt.define('authsim:legacy-db', function (module, exports, require) {
  'use strict';
  function table(name) {
    function call(op, args, cb) {
      var t = name || rt.legacyTable;
      var p = t ? rt.callAsync('legacyDB', { table: t, op: op, args: args })
        : Promise.reject(new Error("authsim:legacy-db: no default table here; use require('authsim:legacy-db').table(name)"));
      if (typeof cb === 'function') {
        p.then(function (r) { cb(null, r); }, function (e) { cb(e); });
        return undefined;
      }
      return p;
    }
    return {
      table: table,
      findByEmail: function (email, cb) { return call('findByEmail', [email], cb); },
      findById: function (id, cb) { return call('findById', [id], cb); },
      find: function (query, cb) { return call('find', [query || {}], cb); },
      all: function (cb) { return call('all', [], cb); },
      insert: function (record, cb) { return call('insert', [record], cb); },
      update: function (id, changes, cb) { return call('update', [id, changes], cb); },
      remove: function (id, cb) { return call('remove', [id], cb); }
    };
  }
  module.exports = table(null);
}, 'core');

// Node's bcrypt API over the host's bcrypt (libxcrypt): a copy installed in node_modules wins.
(function () {
  function factory(module) {
    'use strict';
    function settle(p, cb) {
      if (typeof cb !== 'function') return p;
      p.then(function (r) { cb(null, r); }, function (e) { cb(e); });
      return undefined;
    }
    function saltArg(s) {
      if (typeof s === 'number') return { rounds: s };
      if (typeof s === 'string') return /^\d+$/.test(s) ? { rounds: Number(s) } : { salt: s };
      return { rounds: 10 };
    }
    var api = {
      genSaltSync: function (rounds) { return rt.call('bcrypt.salt', { rounds: rounds === undefined ? 10 : Number(rounds) }); },
      genSalt: function (rounds, cb) {
        if (typeof rounds === 'function') { cb = rounds; rounds = 10; }
        return settle(Promise.resolve().then(function () { return api.genSaltSync(rounds); }), cb);
      },
      hashSync: function (data, salt) {
        var a = saltArg(salt);
        a.password = String(data);
        return rt.call('bcrypt.hash', a);
      },
      hash: function (data, salt, cb) {
        var a = saltArg(salt);
        a.password = String(data);
        return settle(rt.callAsync('bcrypt.hashAsync', a), cb);
      },
      compareSync: function (data, hash) { return rt.call('bcrypt.compare', { password: String(data), hash: String(hash) }); },
      compare: function (data, hash, cb) {
        return settle(rt.callAsync('bcrypt.compareAsync', { password: String(data), hash: String(hash) }), cb);
      },
      getRounds: function (hash) { return Number(String(hash).split('$')[2]); }
    };
    module.exports = api;
  }
  rt.define('bcrypt', factory, 'package');
  rt.define('bcryptjs', factory, 'package');
})();

rt.entries.__authsim_runDatabaseScript = __authsim_runDatabaseScript;
rt.entries.__authsim_dbPartial = __authsim_dbPartial;
