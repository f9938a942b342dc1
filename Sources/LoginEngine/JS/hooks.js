// The legacy Hooks driver (authsim:pipeline/hooks.js), a runtime file: runs the one enabled Hook
// of an extensibility point with Auth0's Webtask contract, `module.exports = function (...args,
// context, cb)`, and records a trace entry like an action's.
var K = rt.flowKit, P = rt.primordials;
var __authsim_hookFactories = Object.create(null), __authsim_hookModules = Object.create(null);
rt.onInstall('hook', function (name, factory) { __authsim_hookFactories[name] = factory; });
var __authsim_hookRun = null;
// A hook's `console` (a parameter of its module) is the scripts' console: it writes to the
// running hook's trace lines.
var __authsim_hookConsole = rt.scriptConsole;

function __authsim_hookExports(name, file) {
  var cached = __authsim_hookModules[name];
  if (cached) return cached;
  var factory = __authsim_hookFactories[name];
  if (!factory) throw new Error("hook '" + name + "' is not in this revision");
  var module = { exports: {}, id: file, filename: file, loaded: false };
  P.apply(factory, module.exports, [module.exports, rt.require, module, file, 'hooks', __authsim_hookConsole, PreUserRegistrationError, InvalidScopeError, InvalidRequestError, ServerError]);
  module.loaded = true;
  __authsim_hookModules[name] = module;
  return module;
}

// Hooks' errors as the callback hands them back: {name, message, code?, userMessage?} (the
// status is Auth0's for the error's kind, never one the script set).
function __authsim_hookError(e) {
  var o = rt.callbackError(e);
  // PreUserRegistrationError(message, userMessage): what the sign-up answers.
  if (o && e instanceof PreUserRegistrationError && typeof e.userMessage === 'string') o.userMessage = e.userMessage;
  return o;
}

function __authsim_hookPartial() { return rt.timedOutEntry(__authsim_hookRun); }

// {hook, file, trigger, args, context, secrets} -> {error, result, trace}
async function __authsim_runHook(input) {
  var req = P.parse(input);
  K.setClock(null);
  var logs = [];
  var entry = {
    name: req.hook, kind: 'hook', trigger: req.trigger, file: req.file, startedAt: K.isoNow(), durationMs: 0, outcome: 'continued',
    error: null, warnings: [], console: logs, http: [], net: [], changes: {}
  };
  var run = { entry: entry, start: rt.now() };
  __authsim_hookRun = run;
  rt.outbound = function (call) { entry.http.push(call); };
  rt.netActivity = function (c) { entry.net.push(c); };
  rt.mark(0);
  rt.switchConsole(logs);
  try {
    var result = await rt.untilCallback(entry, function (callback) {
      var fn = __authsim_hookExports(req.hook, req.file).exports;
      if (typeof fn !== 'function') throw new TypeError(req.file + ' must export a function (module.exports = function (…, context, cb) { … }), not ' + typeof fn);
      var context = req.context || {};
      // Webtask's context: the hook's own secrets, frozen, without a prototype.
      var secrets = P.create(null);
      Object.keys(req.secrets || {}).forEach(function (k) { P.defineProperty(secrets, k, { value: req.secrets[k], enumerable: true }); });
      context.webtask = { secrets: P.freeze(secrets), meta: {}, params: {}, query: {}, body: null, headers: {} };
      var args = req.args.slice();
      args.push(context, callback);
      return P.apply(fn, undefined, args);
    });
    entry.durationMs = rt.now() - run.start;
    var error = __authsim_hookError(result.err);
    var value = result.value === undefined ? null : K.plain(result.value);
    if (error) {
      entry.outcome = 'error';
      entry.error = error;
    } else if (req.trigger === 'pre-user-registration') {
      // Only what Auth0 takes from it: Auth0's own template hands back the user it was given,
      // password included, which no trace may keep.
      var u = value && value.user;
      entry.changes.result = { user: { app_metadata: (u && u.app_metadata) || null, user_metadata: (u && u.user_metadata) || null } };
    } else {
      entry.changes.result = value;
    }
    return P.stringify({ error: error, result: value, trace: entry });
  } finally {
    __authsim_hookRun = null;
    rt.switchConsole(null);
    rt.outbound = undefined; rt.netActivity = undefined;
    rt.uncaught = K.rethrow;
  }
}

// The errors Auth0's Hooks sandbox gives hooks (parameters of every hook's module):
// PreUserRegistrationError(message, userMessage) refuses a sign-up (the log's message, and the
// one the user sees); a credentials-exchange hook answers 400 invalid_scope / invalid_request with
// InvalidScopeError / InvalidRequestError and 500 server_error with ServerError or any Error.
function __authsim_hookErrorType(name, code, status) {
  function E(message, userMessage) {
    if (!(this instanceof E)) return new E(message, userMessage);
    this.name = name;
    this.message = message === undefined || message === null ? '' : String(message);
    if (name === 'PreUserRegistrationError') this.userMessage = userMessage === undefined || userMessage === null ? this.message : String(userMessage);
    this.code = code;
    this.statusCode = status;
    this.stack = new Error(this.message).stack;
  }
  E.prototype = Object.create(Error.prototype);
  P.defineProperty(E.prototype, 'constructor', { value: E, writable: true, configurable: true });
  P.defineProperty(E, 'name', { value: name });
  return E;
}
var PreUserRegistrationError = __authsim_hookErrorType('PreUserRegistrationError', 'invalid_signup', 400);
var InvalidScopeError = __authsim_hookErrorType('InvalidScopeError', 'invalid_scope', 400);
var InvalidRequestError = __authsim_hookErrorType('InvalidRequestError', 'invalid_request', 400);
var ServerError = __authsim_hookErrorType('ServerError', 'server_error', 500);
[PreUserRegistrationError, InvalidScopeError, InvalidRequestError, ServerError].forEach(rt.handToScripts);

rt.entries.__authsim_runHook = __authsim_runHook;
rt.entries.__authsim_hookPartial = __authsim_hookPartial;
