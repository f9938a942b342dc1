// The console's script debugger and coverage view (authsim serve --debug). Uses console.js's
// helpers (el, show, api, state, simulationRequest, renderResult). Everything goes through
// /debug/<token>/… (the token comes with the sign-in link the daemon printed) and the
// simulation API's "coverage" option.
'use strict';

const DEBUG_KEY = 'authsim.console.debug';
const dbg = {
  token: null, scripts: [], file: null, breakpoints: new Set(), session: null, last: null,
  frame: 0, watches: [], coverage: null,
};

function debugPath(rest) { return '/debug/' + dbg.token + rest; }

// Called by boot(): `token` from the sign-in link, else the one this tab kept.
async function initDebugger(token) {
  if (token) sessionStorage.setItem(DEBUG_KEY, token);
  dbg.token = token || sessionStorage.getItem(DEBUG_KEY);
  if (!dbg.token || !state.token) return;
  try {
    dbg.scripts = (await api('GET', debugPath('/scripts'))).scripts;
  } catch (_) {
    // Not in debug mode (or another daemon): the controls stay hidden.
    sessionStorage.removeItem(DEBUG_KEY);
    dbg.token = null;
    return;
  }
  $('sim-debug').hidden = false;
  $('sim-coverage-label').hidden = false;
  $('debugger').hidden = false;
  show($('dbg-script'), dbg.scripts.map((s) => el('option', { value: s.file }, s.file + ' (' + s.kind + ')')));
  dbg.file = dbg.scripts.length ? dbg.scripts[0].file : null;
  $('dbg-script').addEventListener('change', () => { dbg.file = $('dbg-script').value; renderSource(); });
  $('sim-debug').addEventListener('click', debugLogin);
  $('dbg-resume').addEventListener('click', () => step('resume'));
  $('dbg-over').addEventListener('click', () => step('stepOver'));
  $('dbg-into').addEventListener('click', () => step('stepInto'));
  $('dbg-out').addEventListener('click', () => step('stepOut'));
  $('dbg-watch-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const expression = $('dbg-watch-input').value.trim();
    if (expression && !dbg.watches.includes(expression)) dbg.watches.push(expression);
    $('dbg-watch-input').value = '';
    renderWatches();
  });
  $('dbg-console-form').addEventListener('submit', (event) => { event.preventDefault(); consoleEval(); });
  renderControls();
  renderSource();
}

// ---- Running a login under the debugger ----

async function debugLogin() {
  const button = $('sim-debug');
  button.disabled = true;
  $('sim-status').textContent = 'Starting the debugger…';
  show($('sim-result'));
  try {
    const first = await api('POST', debugPath('/sessions'), { request: simulationRequest(), breakpoints: [...dbg.breakpoints] });
    dbg.session = first.id;
    dbg.coverage = null;
    $('sim-status').textContent = '';
    await follow(first);
  } catch (e) {
    $('sim-status').textContent = '';
    show($('sim-result'), el('p', { class: 'error', role: 'alert' }, e.message));
  } finally {
    button.disabled = false;
  }
}

// Shows each new state of the session until the login ends (the daemon answers a poll as soon
// as the state changes, or after 20 s with the same one).
async function follow(current) {
  const id = current.id;
  let st = current;
  for (;;) {
    await renderState(st);
    if (st.state === 'finished' || st.state === 'failed' || dbg.session !== id) return;
    const next = await api('GET', debugPath('/sessions/' + id + '?after=' + st.seq));
    if (dbg.session !== id) return;
    st = next;
  }
}

async function command(body) {
  return api('POST', debugPath('/sessions/' + dbg.session + '/commands'), body);
}

async function step(action) {
  if (!dbg.last || dbg.last.state !== 'paused') return;
  try { await command({ action }); } catch (e) { $('dbg-state').textContent = e.message; }
}

// ---- What the session shows ----

async function renderState(st) {
  dbg.last = st;
  const paused = st.state === 'paused' ? st.paused : null;
  const top = paused && paused.frames[0];
  const badge = $('dbg-state');
  badge.className = 'badge ' + st.state;
  badge.dataset.state = st.state;
  // A login past its flow timeout is paused where it was running (ending it fails it with the timeout).
  badge.textContent = top ? `paused at ${top.file}:${top.line}` + (paused.reason === 'timeout' ? ' (out of time)' : '') : st.state;
  if (top) {
    dbg.frame = 0;
    if (dbg.scripts.some((s) => s.file === top.file)) { dbg.file = top.file; $('dbg-script').value = top.file; }
  }
  renderControls();
  renderSource();
  renderProgress(st);
  renderStack(paused);
  show($('dbg-scopes'), paused ? paused.scopes.map(renderScope) : el('p', { class: 'muted' }, st.state === 'running' ? 'Running…' : 'Not paused.'));
  if (paused) await renderWatches();
  else show($('dbg-watches'), dbg.watches.map((w) => el('div', { class: 'watch' }, el('code', {}, w), el('span', { class: 'muted' }, ' (when paused)'))));
  if (st.state === 'finished' && st.result) show($('sim-result'), renderResult(st.result));
  if (st.state === 'failed') show($('sim-result'), el('p', { class: 'error', role: 'alert' }, st.error || 'the login failed'));
}

function renderControls() {
  const paused = !!(dbg.last && dbg.last.state === 'paused');
  for (const id of ['dbg-resume', 'dbg-over', 'dbg-into', 'dbg-out']) $(id).disabled = !paused;
  $('dbg-console-input').disabled = !paused;
}

// The script's lines: click a line number to set or clear a breakpoint there. The paused line
// is marked, and after a coverage run, which lines ran.
function renderSource() {
  const script = dbg.scripts.find((s) => s.file === dbg.file);
  if (!script) { show($('dbg-source'), el('p', { class: 'muted' }, 'No script.')); return; }
  const top = dbg.last && dbg.last.state === 'paused' && dbg.last.paused.frames[dbg.frame];
  const covered = dbg.coverage && dbg.coverage[script.file];
  const lines = script.source.replace(/\r\n/g, '\n').split('\n');
  show($('dbg-source'), el('div', { class: 'source', 'data-file': script.file }, lines.map((text, i) => {
    const n = i + 1;
    const classes = ['line'];
    if (dbg.breakpoints.has(script.file + ':' + n)) classes.push('bp');
    if (top && top.file === script.file && top.line === n) classes.push('current');
    if (covered && covered[String(n)] !== undefined) classes.push(covered[String(n)] > 0 ? 'covered' : 'uncovered');
    return el('div', { class: classes.join(' '), 'data-line': n },
      el('span', { class: 'gutter', 'data-line': n, title: 'Breakpoint', onclick: () => toggleBreakpoint(script.file, n) }, String(n)),
      el('code', {}, text || ' '),
      covered && covered[String(n)] !== undefined ? el('span', { class: 'runs muted' }, '×' + covered[String(n)]) : null);
  })));
}

async function toggleBreakpoint(file, line) {
  const key = file + ':' + line;
  const on = !dbg.breakpoints.has(key);
  if (on) dbg.breakpoints.add(key); else dbg.breakpoints.delete(key);
  renderSource();
  // A login under way takes the change at once.
  if (dbg.session && dbg.last && (dbg.last.state === 'paused' || dbg.last.state === 'running')) {
    try { await command({ action: on ? 'setBreakpoint' : 'removeBreakpoint', file, line }); } catch (_) { /* ended meanwhile */ }
  }
}

// The rules (or the actions, when it stopped in one) in the order they run: those before the
// paused one done, the paused one marked.
function renderProgress(st) {
  const top = st.state === 'paused' && st.paused.frames[0];
  const here = top && dbg.scripts.find((s) => s.file === top.file);
  const kind = here && here.kind === 'action' ? 'action' : 'rule';
  const rules = dbg.scripts.filter((s) => s.kind === kind);
  const at = top ? rules.findIndex((s) => s.file === top.file) : -1;
  const row = 24, width = 900, labelWidth = 260;
  const chart = svg('svg', { class: 'timeline', id: 'dbg-timeline', viewBox: `0 0 ${width} ${8 + row * rules.length}`, role: 'img', 'aria-label': 'Where the login is' });
  rules.forEach((s, i) => {
    let status = 'pending';
    if (st.state === 'finished') status = 'done';
    else if (at >= 0) status = i < at ? 'done' : (i === at ? 'paused' : 'pending');
    const y = 4 + i * row;
    chart.append(
      svg('text', { x: 8, y: y + 15 }, `${i + 1}. ${s.name}`),
      svg('rect', { x: labelWidth, y: y + 3, width: status === 'pending' ? 40 : width - labelWidth - 120, height: row - 8, rx: 3, class: 'progress ' + status, 'data-script': s.name, 'data-status': status }),
      svg('text', { x: width - 110, y: y + 15, class: 'ms' }, status === 'paused' ? 'paused, line ' + top.line : status));
  });
  show($('dbg-progress'), chart);
}

function renderStack(paused) {
  if (!paused) { show($('dbg-stack')); return; }
  show($('dbg-stack'), paused.frames.map((f, i) => el('li', {
    class: 'clickable' + (i === dbg.frame ? ' selected' : ''), 'data-frame': i,
    onclick: () => selectFrame(i),
  }, el('code', {}, (f.function || '(anonymous)') + ' — ' + f.file + ':' + f.line))));
}

// Another frame of the stack: its source line and its scopes.
async function selectFrame(i) {
  const paused = dbg.last && dbg.last.state === 'paused' && dbg.last.paused;
  if (!paused || !paused.frames[i]) return;
  dbg.frame = i;
  const frame = paused.frames[i];
  if (dbg.scripts.some((s) => s.file === frame.file)) { dbg.file = frame.file; $('dbg-script').value = frame.file; }
  renderSource();
  renderStack(paused);
  if (i === 0) { show($('dbg-scopes'), paused.scopes.map(renderScope)); return; }
  const scopes = [];
  for (const s of frame.scopes) {
    if (s.type === 'global' || s.type === 'globalLexicalEnvironment') break;
    const answer = await command({ action: 'properties', objectId: s.objectId });
    scopes.push({ type: s.type, name: s.name, variables: answer.properties });
  }
  show($('dbg-scopes'), scopes.map(renderScope));
}

function renderScope(scope) {
  return el('div', { class: 'scope', 'data-scope': scope.type },
    el('div', { class: 'muted' }, scope.type + (scope.name ? ' ' + scope.name : '')),
    scope.variables.length ? scope.variables.map(renderVariable) : el('div', { class: 'muted' }, '(none)'));
}

// One variable; objects expand on click, one level at a time, from the paused frame.
function renderVariable(v) {
  const children = el('div', { class: 'children', hidden: true });
  const expandable = !!v.objectId;
  const row = el('div', { class: 'var' + (expandable ? ' expandable' : ''), 'data-name': v.name },
    el('span', { class: 'toggle' }, expandable ? '▸' : ' '),
    el('span', { class: 'name' }, v.name), ': ',
    el('span', { class: 'value ' + (v.type || '') }, v.value));
  if (expandable) {
    row.addEventListener('click', async (event) => {
      event.stopPropagation();
      if (!children.hidden) { children.hidden = true; row.firstChild.textContent = '▸'; return; }
      try {
        const answer = await command({ action: 'properties', objectId: v.objectId });
        show(children, answer.properties.map(renderVariable));
      } catch (e) { show(children, el('div', { class: 'error' }, e.message)); }
      children.hidden = false;
      row.firstChild.textContent = '▾';
    });
  }
  return el('div', { class: 'variable' }, row, children);
}

async function evaluate(expression) {
  const paused = dbg.last && dbg.last.state === 'paused' && dbg.last.paused;
  const frame = paused && paused.frames[dbg.frame] ? paused.frames[dbg.frame].id : undefined;
  return command({ action: 'evaluate', expression, frame });
}

async function renderWatches() {
  const rows = [];
  for (const w of dbg.watches) {
    let shown;
    try {
      const answer = await evaluate(w);
      shown = el('span', { class: answer.thrown ? 'error' : 'value' }, answer.result.value);
    } catch (e) { shown = el('span', { class: 'error' }, e.message); }
    rows.push(el('div', { class: 'watch', 'data-expression': w }, el('code', {}, w), ': ', shown));
  }
  show($('dbg-watches'), rows.length ? rows : el('p', { class: 'muted' }, 'No watch expressions.'));
}

async function consoleEval() {
  const input = $('dbg-console-input');
  const expression = input.value.trim();
  if (!expression) return;
  input.value = '';
  const out = $('dbg-console-out');
  out.append(el('div', { class: 'in' }, el('code', {}, '> ' + expression)));
  try {
    const answer = await evaluate(expression);
    out.append(el('div', { class: answer.thrown ? 'error out' : 'out' }, el('code', {}, answer.result.value)));
  } catch (e) { out.append(el('div', { class: 'error out' }, e.message)); }
  out.scrollTop = out.scrollHeight;
}

// ---- Coverage of one simulation ----

// The coverage part of a simulation result: a line per script, and the lines in the source view.
function renderCoverage(coverage) {
  dbg.coverage = {};
  for (const c of coverage) dbg.coverage[c.file] = c.lines;
  renderSource();
  return el('div', { id: 'coverage' }, el('h2', {}, 'Coverage'),
    el('table', {}, el('tr', {}, el('th', {}, 'Script'), el('th', {}, 'Lines run'), el('th', {}, 'Blocks run')),
      coverage.map((c) => el('tr', { class: 'clickable', 'data-file': c.file, onclick: () => { dbg.file = c.file; $('dbg-script').value = c.file; renderSource(); $('debugger').scrollIntoView(); } },
        el('td', {}, c.file), el('td', {}, c.loaded ? `${c.linesHit} / ${c.linesFound}` : 'not loaded'), el('td', {}, `${c.blocksHit} / ${c.blocksFound}`)))));
}
