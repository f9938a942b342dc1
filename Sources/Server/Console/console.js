// The authsim web console: plain JavaScript, no build step. Everything it shows comes from the
// daemon's public APIs (Management API, /api/authsim/*) called with a management token.
'use strict';

const TOKEN_KEY = 'authsim.console.token';
const state = { token: sessionStorage.getItem(TOKEN_KEY), clients: null, connections: null, page: null };

// ---- DOM helpers: text goes in as text, never as HTML ----

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : String(c));
  return node;
}

function show(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

function json(v) { return JSON.stringify(v, null, 2); }
function short(v) { return typeof v === 'string' ? v : JSON.stringify(v); }
function ms(v) { return v < 1 ? Math.round(v * 1000) + ' µs' : (Math.round(v * 100) / 100) + ' ms'; }

// ---- API ----

class ApiError extends Error {
  constructor(status, body) {
    super(body && (body.message || body.error_description || body.error) || ('HTTP ' + status));
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch (_) { parsed = { message: text }; }
  if (response.status === 401) { signOut('Your session ended (' + ((parsed && parsed.message) || 'unauthorized') + '). Sign in again.'); }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

// ---- Sign-in ----

async function redeem(code) {
  const response = await fetch('/console/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || ('HTTP ' + response.status));
  return body;
}

// Console sessions hold short-lived management tokens: the console trades its token for a
// fresh one at half its lifetime (and when the page is opened again), while it is still valid.
let renewal = null;

function keepFresh(expiresIn) {
  clearTimeout(renewal);
  if (expiresIn > 0) renewal = setTimeout(renew, expiresIn * 500);
}

async function renew() {
  if (!state.token) return;
  const response = await fetch('/console/session/renew', { method: 'POST', headers: { Authorization: 'Bearer ' + state.token } });
  const body = await response.json().catch(() => ({}));
  // A pasted token that is not a console session's is not renewed: it lasts as it was issued.
  if (response.status === 403) return;
  if (!response.ok) { signOut('Your session ended (' + (body.message || 'HTTP ' + response.status) + '). Sign in again.'); return; }
  signIn(body.access_token, body.expires_in);
}

function signIn(token, expiresIn) {
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  keepFresh(expiresIn);
}

function signOut(message) {
  clearTimeout(renewal);
  state.token = null;
  // The token and, in debug mode, the debugger's.
  sessionStorage.clear();
  $('signin-error').textContent = message || '';
  location.hash = '#/signin';
  route();
}

async function boot() {
  const login = location.hash.match(/^#login=([A-Za-z0-9_-]+)/);
  // Debug mode: the debugger's token comes with the sign-in link (`&debug=…`).
  const debugToken = (location.hash.match(/[#&]debug=([A-Za-z0-9_-]+)/) || [])[1];
  if (login) {
    // The code is single-use: drop it from the address bar and history first.
    history.replaceState(null, '', '/console/#/simulate');
    try {
      const session = await redeem(login[1]);
      signIn(session.access_token, session.expires_in);
    } catch (e) { $('signin-error').textContent = e.message; }
  } else if (state.token) {
    await renew();
  }
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    signIn($('signin-token').value.trim());
    try {
      await api('GET', '/api/v2/clients');
      location.hash = '#/simulate';
      route();
    } catch (e) {
      signOut('That token was refused: ' + e.message);
    }
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  $('sim-form').addEventListener('submit', runSimulation);
  $('sim-user').addEventListener('input', debounce(suggestUsers, 250));
  $('inspect-form').addEventListener('submit', (event) => { event.preventDefault(); inspect($('inspect-token').value); });
  $('users-form').addEventListener('submit', (event) => { event.preventDefault(); searchUsers(); });
  $('logs-form').addEventListener('submit', (event) => { event.preventDefault(); searchLogs(); });
  window.addEventListener('hashchange', route);
  route();
  await initDebugger(debugToken);
}

function debounce(f, wait) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => f(...args), wait); };
}

function route() {
  const [, page = 'simulate', arg] = location.hash.match(/^#\/([a-z]+)(?:\/(.*))?/) || [];
  const target = state.token ? (page === 'signin' ? 'simulate' : page) : 'signin';
  for (const section of document.querySelectorAll('.page')) section.hidden = section.id !== 'page-' + target;
  $('nav').hidden = !state.token;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === target);
  if (!state.token) return;
  const first = state.page !== target;
  state.page = target;
  if (target === 'simulate') enterSimulate(arg && decodeURIComponent(arg));
  if (target === 'users' && first) searchUsers();
  if (target === 'logs' && first) searchLogs();
}

// ---- Simulate ----

async function enterSimulate(user) {
  if (user) $('sim-user').value = user;
  if (state.clients) return;
  try {
    const [clients, connections] = await Promise.all([api('GET', '/api/v2/clients'), api('GET', '/api/v2/connections')]);
    state.clients = clients;
    state.connections = connections;
    show($('sim-client'), clients.map((c) => el('option', { value: c.name }, c.name + ' (' + c.app_type + ')')));
    const interactive = clients.find((c) => (c.grant_types || []).includes('authorization_code'));
    if (interactive) $('sim-client').value = interactive.name;
    show($('sim-connection'), el('option', { value: '' }, "(the user's own)"),
      connections.map((c) => el('option', { value: c.name }, c.name + ' (' + c.strategy + ')')));
  } catch (e) {
    $('sim-status').textContent = 'Could not load clients and connections: ' + e.message;
  }
}

async function suggestUsers() {
  const text = $('sim-user').value.trim();
  if (text.length < 2 || text.includes('|')) return;
  try {
    const users = await api('GET', '/api/v2/users?per_page=10&search_engine=v3&q=' + encodeURIComponent(text.includes(':') ? text : text + '*'));
    show($('sim-user-list'), users.map((u) => el('option', { value: u.email || u.user_id }, (u.name || '') + ' ' + u.user_id)));
  } catch (_) { /* a half-typed query may not parse: no suggestions */ }
}

function parseQuery(text) {
  const query = {};
  for (const [k, v] of new URLSearchParams(text.replace(/^\?/, ''))) query[k] = v;
  return query;
}

function simulationRequest() {
  const body = { user: $('sim-user').value.trim(), client: $('sim-client').value };
  if ($('sim-connection').value) body.connection = $('sim-connection').value;
  if ($('sim-audience').value.trim()) body.audience = $('sim-audience').value.trim();
  if ($('sim-scope').value.trim()) body.scope = $('sim-scope').value.trim();
  const request = {};
  if ($('sim-ip').value.trim()) request.ip = $('sim-ip').value.trim();
  if ($('sim-ua').value.trim()) request.userAgent = $('sim-ua').value.trim();
  const country = $('sim-country').value.trim().toUpperCase();
  if (country) {
    let name;
    try { name = new Intl.DisplayNames(['en'], { type: 'region' }).of(country); } catch (_) { name = undefined; }
    request.geoip = { country_code: country, country_name: name };
  }
  if ($('sim-query').value.trim()) request.query = parseQuery($('sim-query').value.trim());
  if (Object.keys(request).length) body.request = request;
  return body;
}

async function runSimulation(event) {
  event.preventDefault();
  const button = $('sim-run');
  button.disabled = true;
  $('sim-status').textContent = 'Running…';
  try {
    const coverage = !$('sim-coverage-label').hidden && $('sim-coverage').checked;
    const result = await api('POST', '/api/authsim/simulate', coverage ? { ...simulationRequest(), coverage: true } : simulationRequest());
    $('sim-status').textContent = '';
    show($('sim-result'), renderResult(result), result.coverage ? renderCoverage(result.coverage) : null);
  } catch (e) {
    $('sim-status').textContent = '';
    show($('sim-result'), el('p', { class: 'error', role: 'alert' }, e.message));
  } finally {
    button.disabled = false;
  }
}

// One simulation result (also a stored trace): outcome, timeline, steps, tokens, metadata.
function renderResult(result) {
  // A stored trace of another trigger (sign-up, a message's delivery, a reset): its scripts.
  if (result.trigger && !result.outcome) {
    const user = result.user || {};
    const message = result.message ? ' — ' + result.message.message_type + ' to ' + result.message.recipient : '';
    return el('div', { id: 'result', 'data-trigger': result.trigger },
      el('div', { class: 'card row' }, el('span', { class: 'badge' }, result.trigger),
        el('span', {}, (user.email || user.user_id || '') + message)),
      el('h2', {}, 'Timeline'), renderTimeline(result.trace || []), renderSteps(result.trace || []));
  }
  const err = result.error;
  const user = result.user || {};
  return el('div', { id: 'result', 'data-outcome': result.outcome },
    el('div', { class: 'card row' },
      el('span', { class: 'badge ' + result.outcome, id: 'outcome' }, result.outcome),
      el('span', {}, (user.email || '') + ' (' + (user.user_id || '?') + ') via ' + result.client + ' / ' + result.connection + ' [' + result.protocol + ']'),
      el('span', { class: 'muted' }, ms(result.durationMs || 0) + ' total'),
      result.traceId ? el('span', { class: 'muted' }, 'trace ' + result.traceId) : null),
    err ? el('p', { class: 'error' }, err.error + ': ' + err.error_description) : null,
    result.redirect ? el('p', {}, 'Redirect: ', el('code', {}, short(result.redirect))) : null,
    result.multifactor ? el('p', {}, 'MFA requested: ', el('code', {}, short(result.multifactor))) : null,
    result.mfaRequired ? el('p', { id: 'mfa-required' }, 'Waiting for a second factor' + (result.mfaRequired.pausedAction ? ' (action ' + result.mfaRequired.pausedAction + ' paused)' : '') + ': ',
      el('code', {}, short(result.mfaRequired))) : null,
    (result.warnings || []).map((w) => el('p', { class: 'error' }, 'Warning: ' + w)),
    el('h2', {}, 'Timeline'),
    renderTimeline(result.trace || []),
    renderSteps(result.trace || []),
    el('h2', {}, 'Tokens'),
    el('div', { class: 'tokens' },
      renderToken('ID token', result.idToken, (result.claimSources || {}).idToken || {}, 'id-token'),
      renderToken('Access token', result.accessToken, (result.claimSources || {}).accessToken || {}, 'access-token')),
    renderDropped(result.droppedClaims || []),
    el('h2', {}, 'Metadata after the flow'),
    el('p', { class: 'muted' }, result.persisted && result.persisted.stored ? 'Stored.' : 'Inline user: not stored.'),
    el('pre', { id: 'persisted' }, json({ app_metadata: (result.persisted || {}).app_metadata, user_metadata: (result.persisted || {}).user_metadata })));
}

// A drawn bar chart: the steps run one after another, so each bar starts where the last ended.
function renderTimeline(trace) {
  if (!trace.length) return el('p', { class: 'muted' }, 'No rule or action ran.');
  const total = trace.reduce((sum, s) => sum + (s.durationMs || 0), 0) || 1;
  const labelWidth = 230, chartWidth = 640, msWidth = 90, row = 26, top = 8;
  const width = labelWidth + chartWidth + msWidth;
  const height = top + row * trace.length + 24;
  const chart = svg('svg', { class: 'timeline', id: 'timeline', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Duration of each step' });
  let start = 0;
  trace.forEach((step, i) => {
    const duration = step.durationMs || 0;
    const y = top + i * row;
    const x = labelWidth + (start / total) * chartWidth;
    const w = Math.max(2, (duration / total) * chartWidth);
    const failed = step.error || (step.outcome && !['continued', 'allowed', 'completed', 'skipped'].includes(step.outcome));
    const title = svg('title', {}, `${step.name} (${step.kind || 'rule'}): ${ms(duration)}, ${step.outcome || ''}`);
    chart.append(
      svg('text', { x: 8, y: y + 16 }, `${i + 1}. ${step.name}`),
      svg('rect', { x, y: y + 4, width: w, height: row - 10, rx: 3, class: (step.kind || 'rule') + (failed ? ' failed' : ''), 'data-step': step.name }, title),
      svg('text', { x: labelWidth + chartWidth + 8, y: y + 16, class: 'ms' }, ms(duration)));
    start += duration;
  });
  const axisY = top + row * trace.length + 4;
  chart.append(
    svg('line', { x1: labelWidth, y1: axisY, x2: labelWidth + chartWidth, y2: axisY, class: 'axis' }),
    svg('text', { x: labelWidth, y: axisY + 15, class: 'ms' }, '0'),
    svg('text', { x: labelWidth + chartWidth - 60, y: axisY + 15, class: 'ms' }, ms(total)));
  return chart;
}

function renderSteps(trace) {
  return trace.map((step, i) => {
    const changes = step.changes || {};
    const lines = [];
    for (const c of step.console || []) lines.push(el('div', {}, el('code', {}, 'console.' + (c.level || 'log') + ': ' + c.message)));
    for (const w of step.warnings || []) lines.push(el('div', { class: 'error' }, 'warning: ' + w));
    for (const h of step.http || []) {
      lines.push(el('div', {}, el('code', {}, `http ${h.method} ${h.url} → ${h.status || ('failed: ' + (h.error || 'no answer'))}` + (h.durationMs !== undefined ? ' in ' + ms(h.durationMs) : ''))));
    }
    for (const c of step.net || []) {
      if (c.lookup) {
        lines.push(el('div', { class: c.error ? 'error' : undefined }, el('code', {},
          `dns ${c.host} → ${c.error ? 'failed: ' + c.error : c.address}` + (c.durationMs !== undefined && c.durationMs !== null ? ' in ' + ms(c.durationMs) : ''))));
        continue;
      }
      const queries = c.queries ? `, ${c.queries} quer${c.queries === 1 ? 'y' : 'ies'}` + (c.queryMs !== undefined ? ' (' + ms(c.queryMs) + ')' : '') : '';
      lines.push(el('div', { class: c.error ? 'error' : undefined }, el('code', {},
        `net ${c.host}:${c.port} → ${c.bytesWritten || 0} B out, ${c.bytesRead || 0} B in${queries}` +
        (c.durationMs !== undefined && c.durationMs !== null ? ' in ' + ms(c.durationMs) : '') + (c.error ? ' failed: ' + c.error : ''))));
    }
    for (const token of ['idToken', 'accessToken', 'user']) {
      const d = changes[token];
      if (!d) continue;
      for (const [k, v] of Object.entries(d.added || {})) lines.push(el('div', { class: 'diff-add' }, el('code', {}, `${token} + ${k} = ${short(v)}`)));
      for (const [k, v] of Object.entries(d.changed || {})) lines.push(el('div', { class: 'diff-chg' }, el('code', {}, `${token} ~ ${k}: ${short(v.from)} → ${short(v.to)}`)));
      for (const k of d.removed || []) lines.push(el('div', { class: 'diff-del' }, el('code', {}, `${token} − ${k}`)));
    }
    for (const w of changes.metadataWrites || []) {
      const outcome = w.error ? 'failed: ' + w.error : (w.persisted ? 'persisted' : 'not persisted (inline user)');
      lines.push(el('div', { class: 'diff-add' }, el('code', {}, `${w.kind} write ${outcome}: ${short(w.metadata)}`)));
    }
    if (changes.multifactor) lines.push(el('div', {}, el('code', {}, 'multifactor: ' + short(changes.multifactor))));
    if (changes.redirect) lines.push(el('div', {}, el('code', {}, (changes.redirect.mfa ? 'second factor asked: ' : 'redirect: ') + short(changes.redirect))));
    if (changes.session) lines.push(el('div', {}, el('code', {}, 'session: ' + short(changes.session))));
    if (changes.refreshToken) lines.push(el('div', {}, el('code', {}, 'refresh token: ' + short(changes.refreshToken))));
    // Other triggers: the user a custom-token-exchange action set, a provider's drop/retry, a
    // reset's result URL, MFA asked for, what a hook's callback returned.
    if (changes.setUser) lines.push(el('div', { class: 'diff-add' }, el('code', {}, 'user set: ' + short(changes.setUser))));
    if (changes.notification) lines.push(el('div', {}, el('code', {}, 'notification ' + changes.notification.action + ': ' + changes.notification.reason)));
    if (changes.resultUrl) lines.push(el('div', {}, el('code', {}, 'result URL: ' + changes.resultUrl)));
    if (changes.authentication) lines.push(el('div', {}, el('code', {}, 'authentication: ' + short(changes.authentication))));
    if (changes.result !== undefined) lines.push(el('div', {}, el('code', {}, 'callback result: ' + short(changes.result))));
    for (const d of step.droppedClaims || []) lines.push(el('div', { class: 'diff-del' }, el('code', {}, `dropped ${d.token} ${d.claim}: ${d.reason}`)));
    if (step.error) lines.push(el('div', { class: 'error' }, (step.error.error || '') + ': ' + (step.error.error_description || short(step.error))));
    if (!lines.length) lines.push(el('div', { class: 'muted' }, 'No output and no changes.'));
    return el('details', { class: 'step', 'data-step': step.name, open: i === 0 ? true : undefined },
      el('summary', {}, el('span', { class: 'badge ' + (step.kind || 'rule') }, step.kind || 'rule'), ' ', step.name, ' ',
        el('span', { class: 'muted' }, ms(step.durationMs || 0) + ' · ' + (step.outcome || '') + (step.file ? ' · ' + step.file : ''))),
      lines);
  });
}

const TIME_CLAIMS = new Set(['iat', 'exp', 'nbf', 'auth_time']);

function claimRows(claims, setBy) {
  return Object.keys(claims || {}).sort().map((k) => {
    const v = claims[k];
    const shown = TIME_CLAIMS.has(k) && typeof v === 'number' ? `${v} (${new Date(v * 1000).toISOString()})` : short(v);
    return el('tr', { 'data-claim': k },
      el('td', {}, el('code', {}, k)),
      el('td', { class: 'value' }, shown),
      el('td', { class: 'setby' }, setBy[k] ? el('span', { class: 'badge rule', 'data-set-by': setBy[k] }, setBy[k]) : el('span', { class: 'muted' }, 'authsim')));
  });
}

function renderToken(title, token, setBy, id) {
  if (!token) return el('div', { class: 'card', id }, el('h3', {}, title), el('p', { class: 'muted' }, 'None issued.'));
  if (!token.jwt && token.opaque) {
    return el('div', { class: 'card', id }, el('h3', {}, title), el('p', {}, 'Opaque (for /userinfo only): ', el('code', {}, token.opaque)));
  }
  return el('div', { class: 'card', id },
    el('div', { class: 'row' }, el('h3', {}, title), el('span', { class: 'muted' }, (token.header.alg || '') + ' · kid ' + (token.header.kid || '-')),
      token.jwt ? el('button', { type: 'button', class: 'secondary', onclick: () => { $('inspect-token').value = token.jwt; location.hash = '#/inspect'; inspect(token.jwt); } }, 'Inspect') : null),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Claim'), el('th', {}, 'Value'), el('th', {}, 'Set by'))), el('tbody', {}, claimRows(token.claims, setBy))));
}

function renderDropped(dropped) {
  if (!dropped.length) return null;
  return [el('h2', {}, 'Dropped claims'),
    el('table', { id: 'dropped' }, el('thead', {}, el('tr', {}, el('th', {}, 'Token'), el('th', {}, 'Claim'), el('th', {}, 'Set by'), el('th', {}, 'Reason'))),
      el('tbody', {}, dropped.map((d) => el('tr', {}, el('td', {}, d.token), el('td', {}, el('code', {}, d.claim)), el('td', {}, d.setBy || '?'), el('td', {}, d.reason)))))];
}

// ---- Token inspector ----

async function inspect(token) {
  const out = $('inspect-result');
  token = (token || '').trim();
  if (!token) return show(out, el('p', { class: 'error' }, 'Paste a JWT first.'));
  show(out, el('p', { class: 'muted' }, 'Inspecting…'));
  try {
    const r = await api('POST', '/api/authsim/tokens/inspect', { token });
    const trace = r.trace;
    show(out,
      el('div', { class: 'card row' },
        el('span', { class: 'badge ' + (r.signatureValid ? 'valid' : 'invalid'), id: 'signature' }, r.signatureValid ? 'signature valid' : 'signature invalid'),
        el('span', {}, r.verification),
        r.expired ? el('span', { class: 'badge invalid' }, 'expired') : null,
        el('span', { class: 'muted' }, r.kind === 'accessToken' ? 'access token' : 'ID token')),
      el('h2', {}, 'Header'), el('pre', {}, json(r.header)),
      el('h2', {}, 'Claims'),
      el('table', { id: 'inspect-claims' }, el('thead', {}, el('tr', {}, el('th', {}, 'Claim'), el('th', {}, 'Value'), el('th', {}, 'Set by'))), el('tbody', {}, claimRows(r.claims, r.setBy || {}))),
      trace
        ? [el('h2', {}, 'How this token was made'), el('p', { class: 'muted' }, 'From the stored trace ' + (r.claims.jti || '') + ' of the login that issued it.'),
          renderTimeline(trace.trace || []), renderSteps(trace.trace || [])]
        : el('p', { class: 'muted' }, 'No stored trace for this token (it was not issued by this daemon, or its trace has been pruned).'));
  } catch (e) {
    show(out, el('p', { class: 'error', role: 'alert' }, e.message));
  }
}

// ---- Users ----

async function searchUsers() {
  const q = $('users-q').value.trim();
  $('users-error').textContent = '';
  try {
    const users = await api('GET', '/api/v2/users?per_page=50&search_engine=v3' + (q ? '&q=' + encodeURIComponent(q) : ''));
    show($('users-list'), users.length
      ? el('table', { id: 'users-table' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Email'), el('th', {}, 'Name'), el('th', {}, 'Connection'), el('th', {}, 'Logins'))),
        el('tbody', {}, users.map((u) => el('tr', { class: 'clickable', 'data-user-id': u.user_id, onclick: () => openUser(u.user_id) },
          el('td', {}, u.email || '', u.blocked ? [' ', el('span', { class: 'badge denied' }, 'blocked')] : null),
          el('td', {}, u.name || ''),
          el('td', {}, ((u.identities || [])[0] || {}).connection || ''),
          el('td', {}, String(u.logins_count || 0))))))
      : el('p', { class: 'muted' }, 'No user matches.'));
  } catch (e) {
    $('users-error').textContent = e.message;
  }
}

async function openUser(id) {
  for (const tr of document.querySelectorAll('#users-table tr')) tr.classList.toggle('selected', tr.dataset.userId === id);
  const out = $('user-detail');
  let user;
  try { user = await api('GET', '/api/v2/users/' + encodeURIComponent(id)); } catch (e) { return show(out, el('p', { class: 'error' }, e.message)); }
  const userMeta = el('textarea', { id: 'edit-user-metadata', rows: 7, spellcheck: 'false' });
  const appMeta = el('textarea', { id: 'edit-app-metadata', rows: 7, spellcheck: 'false' });
  userMeta.value = json(user.user_metadata || {});
  appMeta.value = json(user.app_metadata || {});
  const status = el('p', { id: 'user-status', role: 'status' });

  async function patch(body, done) {
    status.className = '';
    try {
      await api('PATCH', '/api/v2/users/' + encodeURIComponent(id), body);
      await openUser(id);
      $('user-status').textContent = done;
      searchUsers();
    } catch (e) {
      status.className = 'error';
      status.textContent = e.message;
    }
  }

  function edited(textarea, before, name) {
    let after;
    try { after = JSON.parse(textarea.value); } catch (e) { throw new Error(name + ' is not valid JSON: ' + e.message); }
    if (!after || typeof after !== 'object' || Array.isArray(after)) throw new Error(name + ' must be a JSON object');
    // PATCH merges top-level keys; a key removed in the editor is sent as null, which deletes it.
    for (const k of Object.keys(before || {})) if (!(k in after)) after[k] = null;
    return after;
  }

  show(out, el('div', { class: 'card', id: 'user-card', 'data-user-id': id },
    el('div', { class: 'row' }, el('h2', {}, user.email || user.user_id),
      user.blocked ? el('span', { class: 'badge denied' }, 'blocked') : null),
    el('p', { class: 'muted' }, user.user_id + ' · ' + (user.logins_count || 0) + ' logins' + (user.last_login ? ' · last ' + user.last_login : '')),
    el('div', { class: 'row' },
      el('button', { type: 'button', class: 'secondary', id: 'toggle-block', onclick: () => patch({ blocked: !user.blocked }, user.blocked ? 'Unblocked.' : 'Blocked.') }, user.blocked ? 'Unblock' : 'Block'),
      el('a', { href: '#/simulate/' + encodeURIComponent(user.email || user.user_id) }, 'Simulate a login as this user')),
    el('h3', {}, 'user_metadata'), userMeta,
    el('h3', {}, 'app_metadata'), appMeta,
    el('p', { class: 'muted' }, 'Saved with PATCH /api/v2/users/{id}: top-level keys are merged; a key removed here is sent as null, which deletes it.'),
    el('button', {
      type: 'button', id: 'save-metadata', onclick: () => {
        try {
          patch({ user_metadata: edited(userMeta, user.user_metadata, 'user_metadata'), app_metadata: edited(appMeta, user.app_metadata, 'app_metadata') }, 'Saved.');
        } catch (e) { status.className = 'error'; status.textContent = e.message; }
      },
    }, 'Save metadata'),
    status,
    el('h3', {}, 'Sessions'), el('div', { id: 'user-sessions' }),
    el('h3', {}, 'Refresh tokens'), el('div', { id: 'user-refresh-tokens' }),
    el('h3', {}, 'Second factors'), el('div', { id: 'user-mfa' }),
    el('h3', {}, 'Profile'), el('pre', {}, json(user))));
  loadUserLists(id, status);
}

// A user's sessions, refresh tokens and second factors, each with its revoke or reset button.
async function loadUserLists(id, status) {
  const base = '/api/v2/users/' + encodeURIComponent(id);
  async function act(method, path, done) {
    try {
      await api(method, path);
      status.className = '';
      status.textContent = done;
    } catch (e) {
      status.className = 'error';
      status.textContent = e.message;
    }
    loadUserLists(id, status);
  }
  function table(target, rows, header, cells, button, all) {
    show($(target), rows.length
      ? el('div', {},
        el('table', {}, el('thead', {}, el('tr', {}, header.map((h) => el('th', {}, h)), el('th', {}, ''))),
          el('tbody', {}, rows.map((r) => el('tr', { 'data-id': r.id }, cells(r).map((c) => el('td', {}, c)), el('td', {}, button(r)))))),
        all)
      : el('p', { class: 'muted' }, 'None.'));
  }
  try {
    const sessions = (await api('GET', base + '/sessions')).sessions || [];
    table('user-sessions', sessions, ['Session', 'Clients', 'Methods', 'Last interaction', 'Expires'],
      (s) => [el('code', {}, s.id), (s.clients || []).map((c) => c.client_id).join(', '), ((s.authentication || {}).methods || []).map((m) => m.name).join(', '),
        s.last_interacted_at, s.idle_expires_at < s.expires_at ? s.idle_expires_at : s.expires_at],
      (s) => el('button', { type: 'button', class: 'secondary', onclick: () => act('POST', '/api/v2/sessions/' + encodeURIComponent(s.id) + '/revoke', 'Session revoked.') }, 'Revoke'),
      el('button', { type: 'button', class: 'secondary', id: 'revoke-sessions', onclick: () => act('DELETE', base + '/sessions', 'Every session ended.') }, 'End every session'));
    const tokens = (await api('GET', base + '/refresh-tokens')).tokens || [];
    table('user-refresh-tokens', tokens, ['Token', 'Client', 'Rotating', 'Created', 'Expires'],
      (t) => [el('code', {}, t.id), t.client_id, t.rotating ? 'yes' : 'no', t.created_at, t.expires_at || 'never'],
      (t) => el('button', { type: 'button', class: 'secondary', onclick: () => act('DELETE', '/api/v2/refresh-tokens/' + encodeURIComponent(t.id), 'Refresh token revoked.') }, 'Revoke'),
      el('button', { type: 'button', class: 'secondary', id: 'revoke-refresh-tokens', onclick: () => act('DELETE', base + '/refresh-tokens', 'Every refresh token revoked.') }, 'Revoke all'));
    const methods = await api('GET', base + '/authentication-methods');
    table('user-mfa', methods, ['Factor', 'Type', 'Confirmed', 'Created'],
      (m) => [el('code', {}, m.id), m.type, m.confirmed ? 'yes' : 'pending', m.created_at],
      (m) => el('button', { type: 'button', class: 'secondary', onclick: () => act('DELETE', base + '/authentication-methods/' + encodeURIComponent(m.id), 'Factor removed.') }, 'Remove'),
      el('button', { type: 'button', class: 'secondary', id: 'reset-mfa', onclick: () => act('DELETE', base + '/authentication-methods', 'MFA reset: the user enrols again at the next challenge.') }, 'Reset MFA'));
  } catch (e) {
    status.className = 'error';
    status.textContent = e.message;
  }
}

// ---- Logs ----

async function searchLogs() {
  const q = $('logs-q').value.trim();
  $('logs-error').textContent = '';
  try {
    const logs = await api('GET', '/api/v2/logs?per_page=100&sort=date:-1' + (q ? '&q=' + encodeURIComponent(q) : ''));
    show($('logs-list'), logs.length
      ? el('table', { id: 'logs-table' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Date'), el('th', {}, 'Type'), el('th', {}, 'Description'), el('th', {}, 'User'), el('th', {}, 'Client'), el('th', {}, ''))),
        el('tbody', {}, logs.map((l) => {
          const traceId = l.details && l.details.traceId;
          return el('tr', { 'data-log-type': l.type },
            el('td', {}, l.date), el('td', {}, el('code', {}, l.type)), el('td', {}, l.description || ''),
            el('td', {}, l.user_name || ''), el('td', {}, l.client_name || ''),
            el('td', {}, traceId ? el('button', { type: 'button', class: 'secondary', onclick: () => openTrace(traceId) }, 'Trace') : null));
        })))
      : el('p', { class: 'muted' }, 'No log event matches.'));
  } catch (e) {
    $('logs-error').textContent = e.message;
  }
}

async function openTrace(id) {
  try {
    const result = await api('GET', '/api/authsim/traces/' + encodeURIComponent(id));
    show($('log-trace'), el('h2', {}, 'Trace ' + id), renderResult(result));
    $('log-trace').scrollIntoView();
  } catch (e) {
    show($('log-trace'), el('p', { class: 'error' }, e.message));
  }
}

document.addEventListener('DOMContentLoaded', boot);
