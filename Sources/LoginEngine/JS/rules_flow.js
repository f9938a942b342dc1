// The rules driver (authsim:pipeline/rules-flow.js), a runtime file: runs the enabled rules in
// order with Auth0's callback semantics and records, per rule, what it changed.
var P = rt.primordials;
var __authsim_rules = Object.create(null);
rt.onInstall('rule', function (name, make) { __authsim_rules[name] = make; });
var __authsim_configuration = Object.freeze({});
rt.currentFlow = null;

function UnauthorizedError(message) {
  if (!(this instanceof UnauthorizedError)) return new UnauthorizedError(message);
  this.name = 'UnauthorizedError';
  this.message = message === undefined ? '' : String(message);
  this.statusCode = 401;
  var e = new Error(this.message);
  this.stack = e.stack;
}
UnauthorizedError.prototype = Object.create(Error.prototype);
UnauthorizedError.prototype.constructor = UnauthorizedError;
rt.handToScripts(UnauthorizedError);

// Copies go through the primordial JSON functions: a script that replaced JSON.parse earlier in
// the login must not get to build (or proxy) the objects handed to the next script.
function __authsim_json(v) {
  try { return v === undefined ? undefined : P.stringify(v); } catch (e) { return '"[unserializable: ' + String(e && e.message) + ']"'; }
}

function __authsim_copy(v) { return v === undefined ? undefined : P.parse(P.stringify(v)); }

function __authsim_plain(v) {
  var s = __authsim_json(v);
  return s === undefined ? null : P.parse(s);
}

// {key: json} of an object's own enumerable keys (no prototype: a claim may be called
// `constructor` or `__proto__`).
function __authsim_keyJSON(o) {
  var m = P.create(null);
  if (o && typeof o === 'object') for (var k in o) { if (Object.prototype.hasOwnProperty.call(o, k)) m[k] = __authsim_json(o[k]); }
  return m;
}
// Per-key diff of two {key: json} maps (`__authsim_keyJSON`): the values are copies made from
// the JSON texts, so the object itself is not read again.
function __authsim_diff(before, after) {
  function value(json) { return json === undefined ? null : P.parse(json); }
  var d = { added: P.create(null), changed: P.create(null), removed: [] };
  var any = false;
  for (var k in after) {
    if (!(k in before)) { d.added[k] = value(after[k]); any = true; }
    else if (before[k] !== after[k]) { d.changed[k] = { from: value(before[k]), to: value(after[k]) }; any = true; }
  }
  for (var k2 in before) if (!(k2 in after)) { d.removed.push(k2); any = true; }
  return any ? d : null;
}

function __authsim_errorOf(err) {
  if (err instanceof UnauthorizedError || (err && err.name === 'UnauthorizedError')) {
    return { error: 'unauthorized', error_description: String(err.message === undefined ? '' : err.message) };
  }
  var message;
  // Node's wording for what the engine raised (the trace and the response say what Auth0's would).
  if (err instanceof Error) message = rt.nodeError(err).message;
  else if (typeof err === 'string') message = err;
  else if (err && typeof err === 'object' && typeof err.message === 'string') message = err.message;
  else message = String(err);
  // What a script fails with goes into the response and the logs: cut like a console line.
  if (message.length > 65536) message = message.slice(0, 65536) + '… [' + (message.length - 65536) + ' more characters cut]';
  return { error: 'access_denied', error_description: message };
}

function __authsim_partial() {
  var f = rt.currentFlow;
  if (!f) return '[]';
  var trace = f.trace.slice();
  if (f.currentEntry && trace.indexOf(f.currentEntry) < 0) {
    f.currentEntry.outcome = 'timeout';
    f.currentEntry.durationMs = rt.now() - f.currentStart;
    trace.push(f.currentEntry);
  }
  return P.stringify(trace);
}

// Runs one rule: {err, u, c} once it calls back (or throws / rejects). A rule that called back
// before returning (most do) gets its answer without a promise of its own; the caller still
// awaits once, so what the rule queued runs before the next rule starts. Otherwise the answer
// is a promise that settles when the rule calls back.
function __authsim_callRule(rule, req, user, context, entry, logs, writes) {
  var calls = 0, answer = null, settle = null;
  function callback(err, u, c) {
    calls++;
    if (calls > 1) {
      entry.warnings.push('callback was called ' + calls + ' times; only the first call counts');
      return;
    }
    // No prototype: awaiting it must not find a `then` a script put on Object.prototype.
    answer = P.create(null);
    answer.err = err; answer.u = u; answer.c = c;
    if (settle) settle(answer);
  }
  rt.uncaught = function (e) { callback(e); };
  var auth0 = {
    accessToken: req.auth0.accessToken, domain: req.auth0.domain, baseUrl: req.auth0.baseUrl,
    users: {
      updateAppMetadata: function (id, md) { return __authsim_writeMetadata('app_metadata', id, md, writes); },
      updateUserMetadata: function (id, md) { return __authsim_writeMetadata('user_metadata', id, md, writes); }
    }
  };
  // The rule's own `console` writes to its lines, whenever it is called (a line logged after
  // the callback, from a timer or a promise, still belongs to this rule), with the rule's own
  // budget; while the rule runs, what the global console gets (a module's `console.log`) goes
  // to its lines too.
  var ruleConsole = rt.makeConsole(logs);
  rt.switchConsole(logs);
  try {
    var fn = __authsim_rules[rule.name](auth0, __authsim_configuration, globalThis, ruleConsole, rt.require, UnauthorizedError);
    if (typeof fn !== 'function') throw new TypeError('rule ' + rule.name + ' is not a function (got ' + typeof fn + ')');
    var r = P.apply(fn, undefined, [user, context, callback]);
    if (r && typeof r.then === 'function') {
      r.then(undefined, function (e) { callback(e === undefined || e === null ? new Error('rule promise rejected') : e); });
    }
  } catch (e) {
    callback(e);
  }
  if (answer) return answer;
  return new P.Promise(function (resolve) { settle = resolve; });
}

// Snapshot of what a rule may change, taken before it runs.
function __authsim_snapshot(user, context) {
  return {
    user: __authsim_json(user),
    id: __authsim_keyJSON(context.idToken), at: __authsim_keyJSON(context.accessToken),
    mfa: __authsim_json(context.multifactor), redirect: __authsim_json(context.redirect), primary: context.primaryUser,
    saml: __authsim_json(context.samlConfiguration)
  };
}

// Diffs one token's claims and remembers which rule set each claim still present. Returns the
// claims as {key: json} (what the next step's diff starts from).
function __authsim_recordClaims(ch, key, before, claims, sources, ruleName) {
  var now = __authsim_keyJSON(claims);
  var diff = __authsim_diff(before, now);
  if (!diff) return now;
  ch[key] = diff;
  for (var k in diff.added) sources[k] = ruleName;
  for (var k2 in diff.changed) sources[k2] = ruleName;
  for (var j = 0; j < diff.removed.length; j++) delete sources[diff.removed[j]];
  return now;
}

// Records in entry.changes what the rule changed since `before`, and returns the snapshot of
// now: the next step's `before`, as long as nothing changes the two objects in between.
function __authsim_recordChanges(flow, rule, entry, before, user, context, writes) {
  var ch = entry.changes;
  var sources = flow.claimSources;
  var after = {
    user: __authsim_json(user),
    id: __authsim_recordClaims(ch, 'idToken', before.id, context.idToken, sources.idToken, rule.name),
    at: __authsim_recordClaims(ch, 'accessToken', before.at, context.accessToken, sources.accessToken, rule.name),
    mfa: __authsim_json(context.multifactor), redirect: __authsim_json(context.redirect), primary: context.primaryUser,
    saml: __authsim_json(context.samlConfiguration)
  };
  if (after.user !== before.user) {
    // The rule may have replaced the object or edited it in place: diff the JSON texts.
    var was = before.user === undefined ? {} : P.parse(before.user);
    var uDiff = __authsim_diff(__authsim_keyJSON(was), __authsim_keyJSON(user));
    if (uDiff) ch.user = uDiff;
  }
  if (writes.length) ch.metadataWrites = writes;
  if (after.mfa !== before.mfa) ch.multifactor = __authsim_plain(context.multifactor);
  if (after.redirect !== before.redirect) ch.redirect = __authsim_plain(context.redirect);
  if (after.primary !== before.primary) ch.primaryUser = context.primaryUser === undefined ? null : context.primaryUser;
  if (after.saml !== before.saml) {
    var sDiff = __authsim_diff(__authsim_keyJSON(before.saml === undefined ? {} : P.parse(before.saml)), __authsim_keyJSON(context.samlConfiguration));
    if (sDiff) ch.samlConfiguration = sDiff;
  }
  return after;
}

// The SAML response a samlp/wsfed login gets, as Auth0 builds it from the user the scripts left
// and the SAML configuration they changed: mapped attributes (a mapping's key may be a path,
// `app_metadata.plan`), the UPN claim, the other profile fields passed through (under
// http://schemas.auth0.com/, or as they are), the first identity, the actions'
// api.samlResponse.setAttribute values; the name identifier from the first probe with a value.
function __authsim_samlResponse(user, config, custom) {
  var AUTH0 = 'http://schemas.auth0.com/';
  var UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
  var attributes = {};
  var mappings = (config && typeof config.mappings === 'object' && config.mappings) || {};
  var mapped = {};
  Object.keys(mappings).forEach(function (path) {
    var v = user;
    path.split('.').forEach(function (part) { v = v === undefined || v === null ? undefined : v[part]; });
    mapped[path.split('.')[0]] = true;
    if (v !== undefined && v !== null && typeof v !== 'function') attributes[String(mappings[path])] = __authsim_plain(v);
  });
  if (config.createUpnClaim !== false && attributes[UPN] === undefined && user.email) attributes[UPN] = user.email;
  if (config.passthroughClaimsWithNoMapping !== false) {
    Object.keys(user).forEach(function (k) {
      var v = user[k];
      if (mapped[k] || k === 'identities' || v === undefined || v === null || typeof v === 'function') return;
      attributes[config.mapUnknownClaimsAsIs ? k : AUTH0 + k] = __authsim_plain(v);
    });
  }
  if (config.mapIdentities !== false && Array.isArray(user.identities) && user.identities.length) {
    var first = user.identities[0] || {};
    ['user_id', 'provider', 'connection', 'isSocial'].forEach(function (k) {
      if (first[k] !== undefined) attributes[AUTH0 + 'identities/default/' + k] = __authsim_plain(first[k]);
    });
  }
  Object.keys(custom || {}).forEach(function (k) { attributes[k] = custom[k]; });
  var probes = Array.isArray(config.nameIdentifierProbes) ? config.nameIdentifierProbes : [];
  var nameIdentifier = null;
  for (var i = 0; i < probes.length && nameIdentifier === null; i++) {
    var p = attributes[probes[i]];
    if (p !== undefined && p !== null && p !== '') nameIdentifier = Array.isArray(p) ? String(p[0]) : String(p);
  }
  return {
    audience: config.audience === undefined ? null : config.audience, recipient: config.recipient === undefined ? null : config.recipient,
    destination: config.destination === undefined ? null : config.destination, nameIdentifier: nameIdentifier,
    nameIdentifierFormat: config.nameIdentifierFormat || null, lifetimeInSeconds: config.lifetimeInSeconds === undefined ? null : config.lifetimeInSeconds,
    signResponse: !!config.signResponse, signatureAlgorithm: config.signatureAlgorithm || null, digestAlgorithm: config.digestAlgorithm || null,
    attributes: attributes
  };
}

// Per-flow globals are reset however the flow ends (a timeout leaves them for the probe).
async function __authsim_runFlow(input) {
  try { return await __authsim_runFlowBody(P.parse(input)); }
  finally {
    rt.currentFlow = null;
    rt.outbound = undefined; rt.netActivity = undefined;
    rt.uncaught = __authsim_rethrow;
    rt.switchConsole(null);
    __authsim_setClock(null);
  }
}

async function __authsim_runFlowBody(req) {
  var flow = { trace: [], claimSources: { idToken: {}, accessToken: {} }, currentEntry: null, currentStart: 0 };
  rt.currentFlow = flow;
  __authsim_setClock(req.now);
  var user = req.user;
  var context = req.context;
  var outcome = 'allowed';
  var error = null;
  var rules = req.resume && req.resume.kind === 'action' ? [] : req.rules;
  var resumingRules = !!(req.resume && req.resume.kind === 'rules');
  if (req.resume && req.resume.kind === 'action' && req.resume.context) {
    var saved = req.resume.context;
    context.idToken = saved.idToken || {};
    context.accessToken = saved.accessToken || {};
    if (saved.multifactor) context.multifactor = saved.multifactor;
    if (saved.primaryUser !== null && saved.primaryUser !== undefined) context.primaryUser = saved.primaryUser;
    if (saved.claimSources) flow.claimSources = saved.claimSources;
  }
  if (resumingRules) context.protocol = 'redirect-callback';
  var executedRuleIds = (req.resume && req.resume.executedRuleIds) || [];
  var event = req.event || null;
  // The metadata later steps see: the profile's, then each persisted rule write's result.
  flow.subject = event ? event.user.user_id : null;
  flow.metadata = event ? { app: __authsim_copy(event.user.app_metadata || {}), user: __authsim_copy(event.user.user_metadata || {}) } : null;

  var before = null;
  for (var i = 0; i < rules.length; i++) {
    var rule = rules[i];
    rt.mark(i);
    var logs = [];
    var writes = [];
    var entry = {
      name: rule.name, kind: 'rule', order: rule.order, file: rule.file, startedAt: __authsim_isoNow(),
      durationMs: 0, outcome: 'continued', error: null, warnings: [], console: logs, http: [], net: [], changes: {}
    };
    flow.currentEntry = entry;
    // Outbound HTTP calls started while this rule runs are listed in its trace entry.
    rt.outbound = (function (list) { return function (call) { list.push(call); }; })(entry.http);
    rt.netActivity = (function (list) { return function (c) { list.push(c); }; })(entry.net);
    if (!before) before = __authsim_snapshot(user, context);
    var start = rt.now();
    flow.currentStart = start;
    var result = __authsim_callRule(rule, req, user, context, entry, logs, writes);
    // One microtask turn either way (a promise's settling, or this): the rule's queued work first.
    result = await result;
    rt.switchConsole(null);
    rt.uncaught = __authsim_rethrow;
    entry.durationMs = rt.now() - start;
    entry.endedAt = __authsim_isoNow();
    if (executedRuleIds.indexOf(rule.id) < 0) executedRuleIds.push(rule.id);

    if (result.err !== null && result.err !== undefined) {
      error = __authsim_errorOf(result.err);
      outcome = 'denied';
      entry.outcome = 'denied';
      entry.error = error;
    } else {
      if (result.u && typeof result.u === 'object') user = result.u;
      if (result.c && typeof result.c === 'object') context = result.c;
      if (!context.idToken || typeof context.idToken !== 'object') context.idToken = {};
      if (!context.accessToken || typeof context.accessToken !== 'object') context.accessToken = {};
    }
    before = __authsim_recordChanges(flow, rule, entry, before, user, context, writes);
    if (resumingRules && context.redirect) {
      entry.warnings.push('context.redirect is ignored after a redirect (protocol redirect-callback)');
      delete context.redirect;
      before = null;
    }
    flow.trace.push(entry);
    flow.currentEntry = null;
    if (outcome !== 'allowed') break;
  }
  rt.outbound = undefined; rt.netActivity = undefined;

  var st = { flow: flow, user: user, context: context, outcome: outcome, error: error, executedRuleIds: executedRuleIds, resume: null,
    appMetadata: flow.metadata ? flow.metadata.app : {}, userMetadata: flow.metadata ? flow.metadata.user : {}, transactionMetadata: {} };
  if (outcome === 'allowed' && !context.redirect && event && req.actions.length) {
    await rt.runPostLogin(req, st);
  } else if (context.redirect && !st.resume) {
    st.resume = { kind: 'rules' };
  }
  if (st.resume) st.resume.executedRuleIds = executedRuleIds;
  // A samlp/wsfed login that goes on: the response its scripts shaped, as the trace's last step.
  if (st.outcome === 'allowed' && !st.resume && context.samlConfiguration && typeof context.samlConfiguration === 'object') {
    var samlStart = rt.now();
    var response = __authsim_samlResponse(user, context.samlConfiguration, st.samlAttributes);
    flow.trace.push({ name: 'SAML response', kind: 'saml', startedAt: __authsim_isoNow(), durationMs: rt.now() - samlStart, outcome: 'continued', error: null,
      warnings: [], console: [], http: [], net: [], changes: {}, configuration: __authsim_plain(context.samlConfiguration), response: response });
  }

  rt.currentFlow = null;
  __authsim_setClock(null);
  return P.stringify({
    outcome: st.outcome,
    error: st.error,
    idToken: context.idToken || {},
    accessToken: context.accessToken || {},
    multifactor: context.multifactor || null,
    redirect: context.redirect || null,
    lifetimes: st.lifetimes || null,
    primaryUser: context.primaryUser === undefined ? null : context.primaryUser,
    resume: st.resume,
    claimSources: flow.claimSources,
    trace: flow.trace
  });
}

// A fixed clock for a flow (`now` in the simulation request): Date and Date.now() read it.
var __authsim_fixedNow = null;
// The time of a trace entry, as `new Date().toISOString()` gives it in the flow (the fixed clock
// when there is one), without the constructor a script may have replaced.
var __authsim_isoNow = (function () {
  var RealDate = Date, realNow = Date.now, toISO = Date.prototype.toISOString;
  return function () { return P.apply(toISO, new RealDate(__authsim_fixedNow === null ? realNow() : __authsim_fixedNow), []); };
})();
(function () {
  var RealDate = Date;
  function AuthsimDate() {
    var args = Array.prototype.slice.call(arguments);
    if (!new.target) return __authsim_fixedNow === null ? RealDate() : new RealDate(__authsim_fixedNow).toString();
    if (args.length === 0 && __authsim_fixedNow !== null) args = [__authsim_fixedNow];
    return Reflect.construct(RealDate, args, new.target);
  }
  AuthsimDate.prototype = RealDate.prototype;
  Object.defineProperty(RealDate.prototype, 'constructor', { value: AuthsimDate, writable: true, configurable: true });
  AuthsimDate.now = function () { return __authsim_fixedNow === null ? RealDate.now() : __authsim_fixedNow; };
  AuthsimDate.parse = RealDate.parse;
  AuthsimDate.UTC = RealDate.UTC;
  globalThis.Date = AuthsimDate;
})();
function __authsim_setClock(now) {
  __authsim_fixedNow = now === null || now === undefined ? null : Number(now);
}

var __authsim_rethrow = rt.rethrow;

function __authsim_writeMetadata(kind, id, md, writes) {
  var w = { kind: kind, userId: id === undefined ? null : __authsim_plain(id), metadata: __authsim_plain(md), persisted: false };
  writes.push(w);
  return rt.callAsync('updateMetadata', { kind: kind, userId: w.userId, metadata: w.metadata }).then(function (r) {
    w.persisted = r.persisted;
    var f = rt.currentFlow;
    if (f && f.metadata && r.user && r.user.user_id === f.subject) {
      f.metadata.app = r.user.app_metadata || {};
      f.metadata.user = r.user.user_metadata || {};
    }
    return r.user;
  }, function (e) {
    w.error = e.message;
    throw e;
  });
}

rt.entries.__authsim_runFlow = __authsim_runFlow;
rt.entries.__authsim_partial = __authsim_partial;
// What the actions and custom-database drivers share with this one.
rt.flowKit = Object.freeze({
  json: __authsim_json, copy: __authsim_copy, plain: __authsim_plain, keyJSON: __authsim_keyJSON, errorOf: __authsim_errorOf,
  snapshot: __authsim_snapshot, recordChanges: __authsim_recordChanges, recordClaims: __authsim_recordClaims,
  setClock: __authsim_setClock, isoNow: __authsim_isoNow, rethrow: __authsim_rethrow, UnauthorizedError: UnauthorizedError
});
