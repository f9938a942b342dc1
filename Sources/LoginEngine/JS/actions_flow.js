// The Actions driver (authsim:pipeline/actions-flow.js), a runtime file: runs the bound
// post-login actions after the rules and the other triggers, with Auth0's `event` and `api`.
var K = rt.flowKit, P = rt.primordials;
var __authsim_copy = K.copy, __authsim_plain = K.plain, __authsim_keyJSON = K.keyJSON, __authsim_errorOf = K.errorOf;
var __authsim_snapshot = K.snapshot, __authsim_recordChanges = K.recordChanges, __authsim_recordClaims = K.recordClaims;
var __authsim_setClock = K.setClock, __authsim_rethrow = K.rethrow;
var __authsim_actionExports, __authsim_secretsOf;
(function () {
  var factories = Object.create(null), secrets = Object.create(null), modules = Object.create(null);
  var noSecrets = P.freeze(P.create(null));
  var defined = false;
  rt.onInstall('action', function (name, factory) {
    if (defined) throw new Error('actions are defined when the context is built');
    factories[name] = factory;
  });
  // Frozen objects without a prototype: a getter or setter a script put on Object.prototype
  // never sees them, and nothing can be added to them.
  rt.defineSecrets = function (table) {
    Object.keys(table).forEach(function (name) {
      var own = P.create(null), values = table[name];
      Object.keys(values).forEach(function (k) { P.defineProperty(own, k, { value: values[k], enumerable: true }); });
      secrets[name] = P.freeze(own);
    });
  };
  // The action's module, evaluated on first use in this context (top-level require runs once).
  __authsim_actionExports = function (a) {
    defined = true;
    var cached = modules[a.name];
    if (cached) return cached;
    var factory = factories[a.name];
    if (!factory) throw new Error("action '" + a.name + "' is not deployed in this revision");
    var module = { exports: {}, id: a.file, filename: a.file, loaded: false };
    P.apply(factory, module.exports, [module.exports, rt.require, module, a.file, 'actions']);
    module.loaded = true;
    modules[a.name] = module.exports;
    return module.exports;
  };
  // Handed to the driver only for the action it is about to run.
  __authsim_secretsOf = function (name) { defined = true; return secrets[name] || noSecrets; };
})();
var __authsim_actionCaches = Object.create(null);

// While actions run, `console` is the scripts' console (`rt.scriptConsole`, the global one),
// its lines switched per action (`__authsim_runHandler`).

// api.cache: one per trigger, shared by the actions bound to it (as Auth0 documents), kept in
// the worker's context (best effort, like Auth0's). An entry lives 24 hours unless `ttl` or
// `expires_at` says otherwise, and 24 hours at most.
function __authsim_cacheAPI(trigger) {
  var store = __authsim_actionCaches[trigger] || (__authsim_actionCaches[trigger] = new P.Map());
  function live(key) {
    var e = P.mapGet(store, key);
    if (e && e.expires_at <= Date.now()) { P.mapDelete(store, key); return undefined; }
    return e;
  }
  return {
    get: function (key) { var e = live(String(key)); return e ? { value: e.value, expires_at: e.expires_at } : undefined; },
    set: function (key, value, options) {
      key = String(key); value = String(value);
      if (new TextEncoder().encode(key).length > 64) return { type: 'error', code: 'KEY_TOO_LARGE' };
      if (new TextEncoder().encode(value).length > 4096) return { type: 'error', code: 'VALUE_TOO_LARGE' };
      P.mapForEach(store, function (_, k) { live(k); });
      if (!P.mapHas(store, key) && P.mapSize(store) >= 20) return { type: 'error', code: 'MAX_ENTRIES_EXCEEDED' };
      var now = Date.now(), max = now + 24 * 3600 * 1000;
      var expires = options && options.expires_at ? Number(options.expires_at) : now + (options && options.ttl ? Number(options.ttl) : 24 * 3600 * 1000);
      P.mapSet(store, key, { value: value, expires_at: Math.min(expires, max) });
      return { type: 'success' };
    },
    delete: function (key) { P.mapDelete(store, String(key)); return { type: 'success' }; }
  };
}

// Runs one action handler with the action console pointed at `logs`; an exception thrown
// later from one of its timers or callbacks fails the action at once (as in Node).
// Built with the runtime's own Promise functions: an earlier script replacing Promise.resolve or
// `then` must not get to skip or see the next action.
function __authsim_runHandler(a, logs, call) {
  rt.switchConsole(logs);
  // require('auth0') gives the node-auth0 version the action declares (4 when it declares none).
  rt.auth0Major = a.auth0Major || 4;
  function done() { rt.switchConsole(null); rt.uncaught = __authsim_rethrow; rt.auth0Major = 0; }
  var run = new P.Promise(function (resolve, reject) {
    rt.uncaught = reject;
    P.then(P.then(P.resolve(), function () { return call(__authsim_actionExports(a)); }), resolve, reject);
  });
  return P.then(run, function (v) { done(); return v; }, function (e) { done(); throw e; });
}

function __authsim_snake(o) {
  var out = {};
  Object.keys(o || {}).forEach(function (k) { out[k.replace(/_([a-z0-9])/g, function (m, c) { return c.toUpperCase(); })] = o[k]; });
  return out;
}

// Runs post-login actions. `st` is the flow state the rules left (context, user, claimSources,
// trace); returns when the actions are done, denied or asked for a redirect.
async function __authsim_runPostLogin(req, st) {
  var actions = req.actions;
  var context = st.context;
  var base = req.event;
  var txMetadata = Object.assign({}, (req.resume && req.resume.transactionMetadata) || {});
  var queued = { app_metadata: {}, user_metadata: {} };
  var queuedEntries = [];
  var executedRules = st.executedRuleIds;
  var scopes = null;
  function currentScopes() {
    if (scopes) return scopes;
    var s = context.accessToken.scope;
    scopes = Array.isArray(s) ? s.slice() : typeof s === 'string' ? s.split(' ').filter(Boolean) : (req.grantedScopes || []).slice();
    return scopes;
  }
  // What an action before a redirect or a challenge asked of the session and the refresh token.
  if (req.resume && req.resume.lifetimes) st.lifetimes = req.resume.lifetimes;
  var start = 0;
  if (req.resume && req.resume.kind === 'action') {
    start = -1;
    for (var s = 0; s < actions.length; s++) if (actions[s].name === req.resume.action) { start = s; break; }
    if (start < 0) {
      st.outcome = 'error';
      st.error = { error: 'server_error', error_description: "cannot continue: action '" + req.resume.action + "' is no longer bound to post-login" };
      return;
    }
  }
  for (var i = start; i < actions.length; i++) {
    var a = actions[i];
    var resuming = req.resume && req.resume.kind === 'action' && i === start;
    rt.mark(1000 + i);
    var logs = [];
    var entry = {
      name: a.name, kind: 'action', trigger: 'post-login', file: a.file, order: i + 1, startedAt: K.isoNow(),
      durationMs: 0, outcome: 'continued', error: null, warnings: [], console: logs, http: [], net: [], changes: {}
    };
    if (resuming) entry.handler = 'onContinuePostLogin';
    st.flow.currentEntry = entry;
    rt.outbound = (function (list) { return function (call) { list.push(call); }; })(entry.http);
    rt.netActivity = (function (list) { return function (c) { list.push(c); }; })(entry.net);
    var before = __authsim_snapshot(st.user, context);
    var scopesBefore = P.stringify(currentScopes());
    var denied = null, redirect = null, writes = [], authentication = [];

    var event = __authsim_copy(base);
    event.user.app_metadata = __authsim_copy(st.appMetadata);
    event.user.user_metadata = __authsim_copy(st.userMetadata);
    P.defineProperty(event, 'secrets', { value: __authsim_secretsOf(a.name), enumerable: true, writable: true, configurable: true });
    event.transaction.metadata = Object.assign({}, txMetadata);
    event.transaction.requested_scopes = base.transaction.requested_scopes.slice();
    function queue(kind, key, value) {
      if (typeof key !== 'string' || key === '') throw new TypeError('api.user.set' + (kind === 'app_metadata' ? 'App' : 'User') + 'Metadata needs a key');
      var v = value === undefined ? null : __authsim_plain(value);
      queued[kind][key] = v;
      var target = kind === 'app_metadata' ? st.appMetadata : st.userMetadata;
      if (v === null) delete target[key]; else target[key] = v;
      var w = { kind: kind, key: key, value: v, persisted: false };
      writes.push(w);
      queuedEntries.push(w);
    }
    // api.samlResponse: the SAML configuration's setters and custom attributes (for samlp/wsfed
    // logins; elsewhere they change nothing, as in Auth0, and say so in the trace).
    function samlSetter(key, kind) {
      return function (value) {
        var c = context.samlConfiguration;
        if (!c || typeof c !== 'object') {
          entry.warnings.push('api.samlResponse.' + 'set' + key.charAt(0).toUpperCase() + key.slice(1) + ' has no effect: the login is not SAML (protocol ' + context.protocol + ')');
          return api;
        }
        if (kind === 'boolean' && typeof value !== 'boolean') throw new TypeError('api.samlResponse: ' + key + ' must be a boolean');
        if (kind === 'number' && (typeof value !== 'number' || !(value > 0) || value > 2147483647)) throw new TypeError('api.samlResponse: ' + key + ' must be a positive number of seconds');
        if (kind === 'strings' && !(Array.isArray(value) && value.every(function (v) { return typeof v === 'string'; }))) throw new TypeError('api.samlResponse: ' + key + ' must be an array of strings');
        if (kind === 'string' && typeof value !== 'string') throw new TypeError('api.samlResponse: ' + key + ' must be a string');
        c[key] = __authsim_plain(value);
        return api;
      };
    }
    var samlResponse = {
      setAttribute: function (attribute, value) {
        if (typeof attribute !== 'string' || attribute === '') throw new TypeError('api.samlResponse.setAttribute needs an attribute name');
        if (!context.samlConfiguration) { entry.warnings.push('api.samlResponse.setAttribute has no effect: the login is not SAML (protocol ' + context.protocol + ')'); return api; }
        st.samlAttributes = st.samlAttributes || {};
        st.samlAttributes[attribute] = __authsim_plain(value === undefined ? null : value);
        entry.changes.samlAttributes = entry.changes.samlAttributes || {};
        entry.changes.samlAttributes[attribute] = st.samlAttributes[attribute];
        return api;
      }
    };
    [['audience', 'string'], ['recipient', 'string'], ['destination', 'string'], ['relayState', 'string'], ['createUpnClaim', 'boolean'],
      ['passthroughClaimsWithNoMapping', 'boolean'], ['mapUnknownClaimsAsIs', 'boolean'], ['mapIdentities', 'boolean'], ['signResponse', 'boolean'],
      ['includeAttributeNameFormat', 'boolean'], ['typedAttributes', 'boolean'], ['lifetimeInSeconds', 'number'], ['nameIdentifierFormat', 'string'],
      ['nameIdentifierProbes', 'strings'], ['authnContextClassRef', 'string'], ['signingCert', 'string'], ['encryptionCert', 'string'],
      ['encryptionPublicKey', 'string']].forEach(function (s) {
      samlResponse['set' + s[0].charAt(0).toUpperCase() + s[0].slice(1)] = samlSetter(s[0], s[1]);
    });
    // api.session / api.refreshToken: what the flow asks of the login's session and of the
    // refresh token being exchanged, applied by the daemon after the flow (revoke also denies).
    function lifetimeAPI(kind, what, present) {
      function changes() {
        st.lifetimes = st.lifetimes || {};
        return (st.lifetimes[kind] = st.lifetimes[kind] || {});
      }
      function absent(method) {
        entry.warnings.push('api.' + kind + '.' + method + ' has no effect: this login has no ' + what + ' (protocol ' + context.protocol + ')');
        return !present;
      }
      function time(method, value) {
        if (typeof value !== 'number' || !isFinite(value) || value < 0 || value > 8.64e15) {
          throw new TypeError('api.' + kind + '.' + method + ' needs a time in milliseconds since 1970');
        }
        return value;
      }
      function setter(method, key) {
        return function (value) {
          var v = time(method, value);
          if (!present) { absent(method); return api; }
          changes()[key] = v;
          entry.changes[kind] = Object.assign({}, changes());
          return api;
        };
      }
      return {
        revoke: function (reason, options) {
          var why = reason === undefined ? '' : String(reason);
          denied = { error: 'access_denied', error_description: why };
          if (!present) { absent('revoke'); return api; }
          var c = changes();
          c.revoke = why;
          if (kind === 'session') c.preserveRefreshTokens = !!(options && options.preserveRefreshTokens === true);
          entry.changes[kind] = Object.assign({}, c);
          return api;
        },
        setExpiresAt: setter('setExpiresAt', 'expiresAt'),
        setIdleExpiresAt: setter('setIdleExpiresAt', 'idleExpiresAt')
      };
    }
    var api = {
      session: lifetimeAPI('session', 'session', !!(base.session && base.session.user_id)),
      refreshToken: lifetimeAPI('refreshToken', 'refresh token being exchanged', !!base.refresh_token),
      samlResponse: samlResponse,
      access: { deny: function (reason) { denied = { error: 'access_denied', error_description: reason === undefined ? '' : String(reason) }; return api; } },
      idToken: { setCustomClaim: function (k, v) { context.idToken[k] = v; return api; } },
      accessToken: {
        setCustomClaim: function (k, v) { context.accessToken[k] = v; return api; },
        addScope: function (sc) { var l = currentScopes(); if (l.indexOf(sc) < 0) l.push(String(sc)); return api; },
        removeScope: function (sc) { scopes = currentScopes().filter(function (x) { return x !== sc; }); return api; }
      },
      user: {
        setAppMetadata: function (k, v) { queue('app_metadata', k, v); return api; },
        setUserMetadata: function (k, v) { queue('user_metadata', k, v); return api; }
      },
      multifactor: {
        enable: function (provider, options) {
          context.multifactor = Object.assign({ provider: provider || 'any', allowRememberBrowser: false }, options || {});
          return api;
        }
      },
      authentication: {
        challengeWith: function (factor, options) { authentication.push({ method: 'challengeWith', factor: __authsim_plain(factor), options: __authsim_plain(options || null) }); return api; },
        challengeWithAny: function (factors) { authentication.push({ method: 'challengeWithAny', factors: __authsim_plain(factors || []) }); return api; },
        enrollWith: function (factor, options) { authentication.push({ method: 'enrollWith', factor: __authsim_plain(factor), options: __authsim_plain(options || null) }); return api; },
        enrollWithAny: function (factors) { authentication.push({ method: 'enrollWithAny', factors: __authsim_plain(factors || []) }); return api; },
        recordMethod: function (url) {
          if (!resuming) throw new Error('api.authentication.recordMethod() can only be used in onContinuePostLogin');
          authentication.push({ method: 'recordMethod', url: url }); return api;
        },
        setPrimaryUser: function (id) { context.primaryUser = String(id); return api; }
      },
      redirect: __authsim_redirectAPI(api, event, req.domain, {}, function (href) { redirect = { url: href, action: a.name }; }),
      cache: __authsim_cacheAPI('post-login'),
      // Visible in this action's event at once, and in the next actions' and after a redirect.
      transaction: { setMetadata: function (k, v) { var x = __authsim_plain(v); txMetadata[String(k)] = x; event.transaction.metadata[String(k)] = x; return api; } },
      rules: { wasExecuted: function (id) { return executedRules.indexOf(id) >= 0; } }
    };

    var started = rt.now();
    st.flow.currentStart = started;
    var failure = null;
    try {
      await __authsim_runHandler(a, logs, function (exportsOf) {
        var handler = resuming ? exportsOf.onContinuePostLogin : exportsOf.onExecutePostLogin;
        if (typeof handler === 'function') return handler(event, api);
        if (!resuming) entry.warnings.push('the module exports no onExecutePostLogin');
      });
    } catch (e) {
      failure = e;
    }
    entry.durationMs = rt.now() - started;
    entry.endedAt = K.isoNow();
    __authsim_recordChanges(st.flow, a, entry, before, st.user, context, []);
    if (writes.length) entry.changes.metadataWrites = writes;
    if (authentication.length) entry.changes.authentication = authentication;
    if (scopes && P.stringify(scopes) !== scopesBefore) {
      var was = P.parse(scopesBefore);
      entry.changes.scopes = { added: scopes.filter(function (x) { return was.indexOf(x) < 0; }), removed: was.filter(function (x) { return scopes.indexOf(x) < 0; }) };
      context.accessToken.scope = scopes.slice();
    }
    st.flow.trace.push(entry);
    st.flow.currentEntry = null;
    if (failure) {
      st.error = __authsim_errorOf(failure);
      st.error.error = 'access_denied';
      st.outcome = 'denied';
      entry.outcome = 'error';
      entry.error = st.error;
      break;
    }
    if (denied) {
      st.error = denied;
      st.outcome = 'denied';
      entry.outcome = 'denied';
      entry.error = denied;
      break;
    }
    // A challenge or enrolment asked for: the flow pauses after this action (unless a second
    // factor was passed in this login already) and resumes in its onContinuePostLogin.
    if (!redirect) {
      var asked = null;
      for (var m = 0; m < authentication.length; m++) if (/^(challenge|enroll)With/.test(authentication[m].method)) asked = authentication[m];
      var passed = (base.authentication.methods || []).some(function (x) { return x && x.name === 'mfa'; });
      if (asked && !passed) {
        var factors = asked.factors || [asked.factor].concat((asked.options && asked.options.additionalFactors) || []);
        redirect = { mfa: { factors: factors, enroll: asked.method.indexOf('enroll') === 0 }, action: a.name };
      }
    }
    if (redirect) {
      context.redirect = redirect;
      entry.outcome = 'redirect';
      entry.changes.redirect = redirect;
      // What the flow decided so far comes back with the continue: claims, MFA, primary user.
      st.resume = { kind: 'action', action: a.name, transactionMetadata: txMetadata, lifetimes: st.lifetimes || null, context: {
        idToken: context.idToken, accessToken: context.accessToken, multifactor: context.multifactor || null,
        primaryUser: context.primaryUser === undefined ? null : context.primaryUser, claimSources: st.flow.claimSources
      } };
      break;
    }
  }
  rt.outbound = undefined; rt.netActivity = undefined;
  // One write for everything the actions queued, also after a denial and before a redirect.
  if (queuedEntries.length) await __authsim_saveQueued(req, st, queued, queuedEntries);
  st.transactionMetadata = txMetadata;
}

async function __authsim_saveQueued(req, st, queued, entries) {
  var kinds = ['app_metadata', 'user_metadata'];
  for (var k = 0; k < kinds.length; k++) {
    var size = new TextEncoder().encode(P.stringify(queued[kinds[k]])).length;
    if (size > 32768) {
      st.outcome = 'error';
      st.error = { error: 'server_error', error_description: kinds[k] + ' writes of this login are ' + size + ' bytes; the limit is 32 KB' };
      return;
    }
  }
  try {
    var r = await rt.callAsync('saveMetadata', {
      userId: req.event.user.user_id,
      app: Object.keys(queued.app_metadata).length ? queued.app_metadata : null,
      user: Object.keys(queued.user_metadata).length ? queued.user_metadata : null
    });
    entries.forEach(function (w) { w.persisted = r.persisted; });
  } catch (e) {
    entries.forEach(function (w) { w.error = e.message; });
    st.outcome = 'error';
    st.error = { error: 'server_error', error_description: 'the actions\' metadata writes were refused: ' + e.message };
  }
}

// Non-login triggers. Input {trigger, event, actions}; output {outcome, error, accessToken,
// claimSources, appMetadata, userMetadata, user, notification, authentication, trace}.
async function __authsim_runTrigger(input) {
  __authsim_setClock(null);
  try { return await __authsim_runTriggerActions(P.parse(input)); }
  finally { rt.currentFlow = null; rt.outbound = undefined; rt.netActivity = undefined; }
}

// The handler each trigger's actions export: onExecute + the trigger id in CamelCase, except
// where Auth0 named it otherwise.
var __authsim_handlerNames = { 'password-reset-post-challenge': 'onExecutePostChallenge' };
function __authsim_handlerName(trigger) {
  return __authsim_handlerNames[trigger] ||
    'onExecute' + trigger.split('-').map(function (p) { return p.charAt(0).toUpperCase() + p.slice(1); }).join('');
}

// A string argument of an api method: a clear TypeError for what is not one (a script's mistake
// fails its own action, as in Auth0).
function __authsim_stringArg(method, name, v, optional) {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') throw new TypeError(method + ': ' + name + ' must be a string (got ' + (v === null ? 'null' : typeof v) + ')');
  if (v.length > 4096) throw new RangeError(method + ': ' + name + ' is longer than 4096 characters');
  return v;
}

// api.redirect (post-login, password-reset-post-challenge): sendUserTo hands the URL to `send`
// (the driver stops the actions there; the user comes back to /continue, where the action's
// onContinue… runs); encodeToken signs HS256 with the claims Auth0 adds (`extra` besides), and
// validateToken checks one against the request's parameter and its state.
function __authsim_redirectAPI(api, event, issuer, extra, send) {
  function param(name) { return (event.request.query && event.request.query[name]) || (event.request.body && event.request.body[name]); }
  return {
    sendUserTo: function (url, options) {
      var u = new URL(url);
      var q = (options && options.query) || {};
      Object.keys(q).forEach(function (k) { u.searchParams.set(k, String(q[k])); });
      send(u.href);
      return api;
    },
    encodeToken: function (options) {
      if (!options || !options.secret) throw new TypeError('api.redirect.encodeToken needs a secret');
      var now = Math.floor(Date.now() / 1000);
      var claims = Object.assign({}, options.payload || {}, {
        sub: event.user.user_id, iss: issuer, iat: now, exp: now + (options.expiresInSeconds || 900), ip: event.request.ip
      }, extra);
      return rt.require('jsonwebtoken').sign(claims, options.secret, { algorithm: 'HS256' });
    },
    validateToken: function (options) {
      if (!options || !options.secret) throw new TypeError('api.redirect.validateToken needs a secret');
      var name = options.tokenParameterName || 'session_token';
      var token = param(name);
      if (!token) throw new Error("The '" + name + "' parameter is missing");
      var payload = rt.require('jsonwebtoken').verify(token, options.secret, { algorithms: ['HS256'] });
      if (payload.state !== param('state')) throw new Error("The token's state does not match this transaction");
      return payload;
    }
  };
}

// The api object of one action of a non-login trigger; `out` collects what it asked for.
function __authsim_triggerAPI(trigger, out, claims, result, event) {
  var api = { cache: __authsim_cacheAPI(trigger) };
  var mfa = {
    challengeWith: function (factor, options) { out.authentication.push({ method: 'challengeWith', factor: __authsim_plain(factor), options: __authsim_plain(options || null) }); return api; },
    challengeWithAny: function (factors) { out.authentication.push({ method: 'challengeWithAny', factors: __authsim_plain(factors || []) }); return api; },
    enrollWith: function (factor, options) { out.authentication.push({ method: 'enrollWith', factor: __authsim_plain(factor), options: __authsim_plain(options || null) }); return api; },
    enrollWithAny: function (factors) { out.authentication.push({ method: 'enrollWithAny', factors: __authsim_plain(factors || []) }); return api; }
  };
  // Metadata for the user about to be created or logged in: merged when it is (null deletes).
  var metadata = {
    setAppMetadata: function (k, v) { result.appMetadata[String(k)] = __authsim_plain(v === undefined ? null : v); return api; },
    setUserMetadata: function (k, v) { result.userMetadata[String(k)] = __authsim_plain(v === undefined ? null : v); return api; }
  };
  switch (trigger) {
  case 'credentials-exchange':
    api.access = { deny: function (code, reason) { out.denied = { error: String(code || 'access_denied'), error_description: reason === undefined ? '' : String(reason) }; return api; } };
    api.accessToken = { setCustomClaim: function (k, v) { claims[k] = v; return api; } };
    break;
  case 'pre-user-registration':
    api.access = { deny: function (reason, userMessage) { out.denied = { error: 'invalid_signup', error_description: userMessage === undefined ? String(reason === undefined ? '' : reason) : String(userMessage), reason: reason === undefined ? null : String(reason) }; return api; } };
    api.validation = { error: function (code, message) { out.denied = { error: String(code === undefined ? 'invalid_signup' : code), error_description: message === undefined ? '' : String(message), validation: true }; return api; } };
    api.user = metadata;
    break;
  case 'password-reset-post-challenge':
    api.access = { deny: function (reason) { out.denied = { error: 'access_denied', error_description: reason === undefined ? '' : String(reason) }; return api; } };
    api.authentication = { challengeWith: mfa.challengeWith, challengeWithAny: mfa.challengeWithAny };
    api.redirect = __authsim_redirectAPI(api, event, event.request.hostname, { state: event.transaction.state }, function (href) { out.redirect = href; });
    api.transaction = {
      setResultUrl: function (url, options) {
        var u = new URL(__authsim_stringArg('api.transaction.setResultUrl', 'url', url));
        var q = (options && options.query) || {};
        Object.keys(q).forEach(function (k) { u.searchParams.set(k, String(q[k])); });
        result.resultUrl = u.href;
        return api;
      }
    };
    api.prompt = { render: function () { throw new Error('api.prompt.render: authsim does not render Forms'); } };
    break;
  case 'custom-token-exchange':
    api.access = {
      deny: function (code, reason) {
        out.denied = { error: __authsim_stringArg('api.access.deny', 'code', code), error_description: reason === undefined ? '' : String(reason) };
        return api;
      },
      rejectInvalidSubjectToken: function (reason) {
        out.denied = { error: 'invalid_request', error_description: reason === undefined ? 'Invalid subject token' : String(reason), invalidSubjectToken: true };
        return api;
      }
    };
    api.authentication = {
      setUserById: function (userId) {
        __authsim_stringArg('api.authentication.setUserById', 'user_id', userId);
        if (result.user) throw new Error('api.authentication.setUserById: the user was already set by this transaction');
        result.user = { by: 'id', user_id: userId };
        return api;
      },
      setUserByConnection: function (connectionName, attributes, options) {
        __authsim_stringArg('api.authentication.setUserByConnection', 'connection_name', connectionName);
        if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
          throw new TypeError('api.authentication.setUserByConnection: user_attributes must be an object');
        }
        if (result.user) throw new Error('api.authentication.setUserByConnection: the user was already set by this transaction');
        // Both behaviours are required, as in Auth0.
        var o = options || {};
        var creation = o.creationBehavior, update = o.updateBehavior;
        if (creation !== 'create_if_not_exists' && creation !== 'none') {
          throw new TypeError("api.authentication.setUserByConnection: options.creationBehavior must be 'create_if_not_exists' or 'none'");
        }
        if (update !== 'replace' && update !== 'none') throw new TypeError("api.authentication.setUserByConnection: options.updateBehavior must be 'replace' or 'none'");
        result.user = { by: 'connection', connection: connectionName, attributes: __authsim_plain(attributes), creationBehavior: creation, updateBehavior: update };
        return api;
      },
      setOrganization: function () { throw new Error('api.authentication.setOrganization: authsim does not simulate organizations yet'); },
      setActor: function () { throw new Error('api.authentication.setActor: authsim does not simulate delegation (act claims) yet'); }
    };
    api.user = metadata;
    break;
  case 'custom-email-provider':
  case 'custom-phone-provider':
    api.notification = {
      drop: function (reason) { result.notification = { action: 'drop', reason: reason === undefined ? '' : String(reason) }; return api; },
      retry: function (reason) { result.notification = { action: 'retry', reason: reason === undefined ? '' : String(reason) }; return api; }
    };
    break;
  }
  return api;
}

async function __authsim_runTriggerActions(req) {
  var flow = { trace: [], claimSources: { idToken: {}, accessToken: {} }, currentEntry: null, currentStart: 0 };
  rt.currentFlow = flow;
  var handlerName = __authsim_handlerName(req.trigger);
  var claims = {};
  var result = { outcome: 'allowed', error: null, accessToken: claims, claimSources: flow.claimSources.accessToken, appMetadata: {}, userMetadata: {},
    user: null, notification: null, authentication: [], redirect: null, resultUrl: null, trace: flow.trace };
  // A trigger resumed after a redirect: the action that asked for it continues
  // (onContinue…), the ones after it run as usual.
  var start = 0, resumed = null;
  if (req.resume) {
    for (var r = 0; r < req.actions.length; r++) if (req.actions[r].name === req.resume.action) { start = r; resumed = r; break; }
    if (resumed === null) {
      result.outcome = 'denied';
      result.error = { error: 'server_error', error_description: "the action '" + req.resume.action + "' that redirected is no longer bound to " + req.trigger };
      return P.stringify(result);
    }
  }
  for (var i = start; i < req.actions.length; i++) {
    var a = req.actions[i];
    rt.mark(1000 + i);
    var logs = [];
    var entry = { name: a.name, kind: 'action', trigger: req.trigger, file: a.file, order: i + 1, startedAt: K.isoNow(),
      durationMs: 0, outcome: 'continued', error: null, warnings: [], console: logs, http: [], net: [], changes: {} };
    flow.currentEntry = entry;
    rt.outbound = (function (list) { return function (call) { list.push(call); }; })(entry.http);
    rt.netActivity = (function (list) { return function (c) { list.push(c); }; })(entry.net);
    var event = __authsim_copy(req.event);
    P.defineProperty(event, 'secrets', { value: __authsim_secretsOf(a.name), enumerable: true, writable: true, configurable: true });
    var out = { denied: null, authentication: [] };
    var claimsBefore = __authsim_keyJSON(claims);
    var userBefore = result.user, notificationBefore = result.notification, resultUrlBefore = result.resultUrl;
    var api = __authsim_triggerAPI(req.trigger, out, claims, result, event);
    var started = rt.now();
    flow.currentStart = started;
    var failure = null;
    var name = i === resumed ? handlerName.replace('onExecute', 'onContinue') : handlerName;
    if (i === resumed) entry.resumed = true;
    try {
      await __authsim_runHandler(a, logs, function (exportsOf) {
        var handler = exportsOf[name];
        if (typeof handler === 'function') return handler(event, api);
        entry.warnings.push('the module exports no ' + name);
      });
    } catch (e) { failure = e; }
    entry.durationMs = rt.now() - started;
    __authsim_recordClaims(entry.changes, 'accessToken', claimsBefore, claims, flow.claimSources.accessToken, a.name);
    if (result.user !== userBefore) entry.changes.setUser = result.user;
    if (result.notification !== notificationBefore) entry.changes.notification = result.notification;
    if (result.resultUrl !== resultUrlBefore) entry.changes.resultUrl = result.resultUrl;
    if (out.authentication.length) {
      entry.changes.authentication = out.authentication;
      result.authentication = result.authentication.concat(out.authentication);
    }
    flow.trace.push(entry);
    flow.currentEntry = null;
    if (failure || out.denied) {
      result.outcome = 'denied';
      result.error = out.denied || { error: 'access_denied', error_description: __authsim_errorOf(failure).error_description };
      entry.outcome = failure ? 'error' : 'denied';
      entry.error = result.error;
      break;
    }
    if (out.redirect) {
      result.outcome = 'redirect';
      result.redirect = { url: out.redirect, action: a.name };
      entry.outcome = 'redirect';
      entry.changes.redirect = result.redirect;
      break;
    }
  }
  rt.outbound = undefined; rt.netActivity = undefined;
  rt.currentFlow = null;
  return P.stringify(result);
}

rt.runPostLogin = __authsim_runPostLogin;
rt.entries.__authsim_runTrigger = __authsim_runTrigger;
