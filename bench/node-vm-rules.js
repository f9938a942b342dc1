// The comparison runner for `authsim bench`: the tenant's enabled rules run by Node's `vm`
// module with one fresh context per rule per login, the technique Node-based local Auth0
// simulators use. Node built-in modules only. Prints one JSON line with the figures.
//
//   node bench/node-vm-rules.js TENANT_DIR PROFILE_JSON_FILE SECONDS
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const [tenantDir, profileFile, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 3);
const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8'));

// Enabled rules in order, as authsim loads them (rules/<name>.js + .json).
const rulesDir = path.join(tenantDir, 'rules');
const rules = fs.readdirSync(rulesDir).filter((f) => f.endsWith('.js')).map((f) => {
  const name = f.slice(0, -3);
  const metaFile = path.join(rulesDir, name + '.json');
  const meta = fs.existsSync(metaFile) ? JSON.parse(fs.readFileSync(metaFile, 'utf8')) : {};
  return { name, order: meta.order === undefined ? 1e9 : meta.order, enabled: meta.enabled !== false, source: fs.readFileSync(path.join(rulesDir, f), 'utf8') };
}).filter((r) => r.enabled).sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));

const configuration = {};
const configsDir = path.join(tenantDir, 'rules-configs');
if (fs.existsSync(configsDir)) {
  for (const f of fs.readdirSync(configsDir).filter((f) => f.endsWith('.json'))) {
    const c = JSON.parse(fs.readFileSync(path.join(configsDir, f), 'utf8'));
    configuration[c.key] = c.value;
  }
}

class UnauthorizedError extends Error {
  constructor(message) { super(message); this.name = 'UnauthorizedError'; }
}

function runRule(rule, user, context) {
  return new Promise((resolve) => {
    const sandbox = {
      configuration, console: { log() {}, warn() {}, error() {}, info() {} }, require, Buffer, setTimeout, clearTimeout, setImmediate,
      UnauthorizedError, Promise,
      auth0: { users: { updateAppMetadata: () => Promise.resolve(), updateUserMetadata: () => Promise.resolve() }, accessToken: 'x', domain: 'bench', baseUrl: 'https://bench/api/v2' },
    };
    const ctx = vm.createContext(sandbox);
    const fn = vm.runInContext('(' + rule.source + ')', ctx, { filename: rule.name + '.js', timeout: 20000 });
    let done = false;
    const callback = (err, u, c) => { if (!done) { done = true; resolve({ err, user: u || user, context: c || context }); } };
    try {
      const r = fn(user, context, callback);
      if (r && typeof r.then === 'function') r.catch(callback);
    } catch (e) { callback(e); }
  });
}

async function login() {
  let user = JSON.parse(JSON.stringify(profile));
  let context = {
    clientID: 'bench', clientName: 'Bench', connection: 'Username-Password-Authentication', connectionStrategy: 'auth0',
    protocol: 'oidc-basic-profile', request: { ip: '203.0.113.10', geoip: { country_code: 'US', country_name: 'United States' }, query: {} },
    stats: { loginsCount: 3 }, idToken: {}, accessToken: {}, authorization: { roles: [] },
  };
  for (const rule of rules) {
    const r = await runRule(rule, user, context);
    if (r.err) throw new Error('rule ' + rule.name + ' failed: ' + (r.err.message || r.err));
    user = r.user;
    context = r.context;
  }
  return context;
}

(async () => {
  for (let i = 0; i < 200; i++) await login();  // warm up
  const end = Date.now() + seconds * 1000;
  const start = Date.now();
  let n = 0;
  while (Date.now() < end) { await login(); n++; }
  const elapsed = (Date.now() - start) / 1000;
  const sample = await login();
  process.stdout.write(JSON.stringify({ executionsPerSecond: n / elapsed, rules: rules.length, logins: n, node: process.version, claims: Object.keys(sample.idToken).length }) + '\n');
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
