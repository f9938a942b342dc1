// The module registry, `require` with its resolution order, and the Node-style globals.
  var g = globalThis;
  var P = rt.primordials;
  var factories = Object.create(null);
  var kinds = Object.create(null);
  var builtinCache = Object.create(null);
  var fileCache = Object.create(null);
  var compile = rt.compile;

  // kind 'core': always the host's (Node core modules, the HTTP clients); 'package': a copy
  // installed in a module folder wins, the host's implementation is the fallback.
  rt.define = function (name, factory, kind) {
    factories[name] = factory;
    kinds[name] = kind || 'core';
  };

  function builtin(name) {
    var m = builtinCache[name];
    if (m) return m.exports;
    m = { id: name, exports: {}, loaded: false };
    builtinCache[name] = m;
    // The host's own modules are walked whole (see rt.loadModule); their objects stay
    // extensible (axios.defaults.headers.common['X'] = …), and what a job adds goes after it.
    try { rt.loadModule(function () { factories[name](m, m.exports, rt.require); return m.exports; }, true); }
    catch (e) { delete builtinCache[name]; throw e; }
    m.loaded = true;
    return m.exports;
  }

  // Node 18's built-in module names (for a clear message about those authsim lacks).
  var nodeCoreNames = ['assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'console', 'constants', 'crypto', 'dgram',
    'diagnostics_channel', 'dns', 'domain', 'events', 'fs', 'http', 'http2', 'https', 'inspector', 'module', 'net', 'os', 'path',
    'perf_hooks', 'process', 'punycode', 'querystring', 'readline', 'repl', 'stream', 'string_decoder', 'sys', 'timers', 'tls',
    'trace_events', 'tty', 'url', 'util', 'v8', 'vm', 'wasi', 'worker_threads', 'zlib'];
  function notFound(request) {
    var hint = '';
    var bare = typeof request === 'string' ? stripVersion(request.slice(0, 5) === 'node:' ? request.slice(5) : request) : '';
    if (nodeCoreNames.indexOf(bare) >= 0) {
      hint = "\n'" + bare + "' is one of Node's built-in modules that authsim does not offer to scripts.";
    } else if (typeof request === 'string' && !isPath(request) && request.slice(0, 5) !== 'node:') {
      var pkg = stripVersion(request).split('/').slice(0, request.charAt(0) === '@' ? 2 : 1).join('/');
      hint = "\nIt is not in the tenant's node_modules, the configured module folders or Debian's packages (/usr/share/nodejs): " +
        'add it with `npm install ' + pkg + "` in the tenant's folder.";
    }
    var e = new Error("Cannot find module '" + request + "'" + hint);
    e.code = 'MODULE_NOT_FOUND';
    return e;
  }

  // 'lodash@4.17.19' -> 'lodash', '@scope/pkg@1.0.0/sub' -> '@scope/pkg/sub'.
  function stripVersion(name) {
    var at = name.indexOf('@', name.charAt(0) === '@' ? 1 : 0);
    if (at <= 0) return name;
    var slash = name.indexOf('/', at);
    return name.slice(0, at) + (slash >= 0 ? name.slice(slash) : '');
  }

  function isPath(request) {
    return request.charAt(0) === '/' || request === '.' || request === '..' || request.slice(0, 2) === './' || request.slice(0, 3) === '../';
  }

  function resolve(request, fromDir) {
    if (typeof request !== 'string' || request === '') {
      var t = new TypeError('The "id" argument must be of type string and not empty. Received ' + (typeof request === 'string' ? "''" : typeof request));
      t.code = 'ERR_INVALID_ARG_VALUE';
      throw t;
    }
    var path = isPath(request);
    var name = path ? request : stripVersion(request);
    // node-auth0 talks to the tenant's own APIs (the embedder's 'auth0@<major>' modules): the
    // major version the request names, else the one the running script declares, else 2.
    if (!path && name === 'auth0' && factories['auth0@2']) {
      var m = /^auth0@\D*(\d+)/.exec(request);
      var major = m ? Number(m[1]) : (rt.auth0Major || 2);
      return { builtin: 'auth0@' + (major < 2 ? 2 : major > 4 ? 4 : major) };
    }
    if (!path && name.slice(0, 5) === 'node:') {
      if (factories[name.slice(5)] && kinds[name.slice(5)] === 'core') return { builtin: name.slice(5) };
      throw notFound(request);
    }
    if (!path && factories[name] && kinds[name] === 'core') return { builtin: name };
    // Resolutions are remembered per context, so a rule's require() on every login costs a lookup.
    var key = (fromDir || '') + '\u0000' + name;
    var known = P.mapGet(resolved, key);
    if (known) return known;
    var r = rt.call('node.resolve', { request: name, from: fromDir || null });
    if (!r) {
      if (path || !factories[name]) throw notFound(request);
      r = { builtin: name };
    }
    P.mapSet(resolved, key, r);
    return r;
  }
  var resolved = new Map();

  function loadFile(r) {
    var cached = fileCache[r.path];
    if (cached) return cached.exports;
    var source = rt.call('node.read', { path: r.path });
    var module = { id: r.path, filename: r.path, path: r.dir, exports: {}, loaded: false, children: [], paths: [] };
    fileCache[r.path] = module;
    try {
      if (r.json) {
        module.exports = rt.loadJSON(source, r.display);
      } else {
        var fn;
        // The source comes from the module folders through the host (rt.call parses with the
        // primordial JSON.parse): nothing a script does can put its own text here.
        if (typeof source !== 'string') throw new TypeError('module source of ' + r.display + ' is not text');
        try {
          fn = compile('(function (exports, require, module, __filename, __dirname) {' + source + '\n})', r.display);
        } catch (e) {
          if (e instanceof SyntaxError && !e.__located) {
            e.message = r.display + ':' + (e.line || '?') + ': ' + e.message;
            e.__located = true;
          }
          throw e;
        }
        var req = makeRequire(r.dir);
        req.main = undefined;
        module.require = req;
        rt.loadModule(function () {
          P.apply(fn, module.exports, [module.exports, req, module, r.path, r.dir]);
          // What Auth0's sandbox offered under the package's name, on top of today's version.
          var adapt = adapters[r.display];
          if (adapt) module.exports = adapt(module.exports, req) || module.exports;
          return module.exports;
        });
      }
    } catch (e) {
      delete fileCache[r.path];
      throw e;
    }
    module.loaded = true;
    return module.exports;
  }

  function makeRequire(fromDir) {
    function require(request) {
      var r = resolve(request, fromDir);
      return r.builtin ? builtin(r.builtin) : loadFile(r);
    }
    require.resolve = function (request) {
      var r = resolve(request, fromDir);
      return r.builtin || r.path;
    };
    // Node's `require.cache`, as an empty object: the loader's own cache is not the scripts' to
    // rewrite for every later login (deleting an entry to reload a module is a no-op here).
    require.cache = Object.create(null);
    return require;
  }

  var adapters = Object.create(null);
  rt.adaptPackage = function (display, fn) { adapters[display] = fn; };
  rt.require = makeRequire(null);
  rt.handToScripts(rt.require);
  // `module`: what packages use to resolve names themselves (resolve-from, require_optional).
  rt.define('module', function (module) {
    function dirOf(f) { var i = String(f).lastIndexOf('/'); return i > 0 ? String(f).slice(0, i) : '/'; }
    function Module(id) { this.id = id; this.exports = {}; this.loaded = false; }
    Module._resolveFilename = function (request, parent) {
      var r = resolve(String(request), parent && parent.filename ? dirOf(parent.filename) : null);
      return r.builtin || r.path;
    };
    Module._nodeModulePaths = function (dir) {
      var parts = String(dir).split('/').filter(Boolean), out = [];
      for (var i = parts.length; i >= 0; i--) {
        if (parts[i - 1] === 'node_modules') continue;
        out.push('/' + parts.slice(0, i).concat('node_modules').join('/'));
      }
      return out;
    };
    Module.createRequire = function (filename) { return makeRequire(dirOf(String(filename).replace(/^file:\/\//, ''))); };
    Module.builtinModules = nodeCoreNames.filter(function (n) { return factories[n] && kinds[n] === 'core'; });
    Module.isBuiltin = function (n) { n = String(n).replace(/^node:/, ''); return Module.builtinModules.indexOf(n) >= 0; };
    Module.Module = Module;
    module.exports = Module;
  });
  // A file the runtime's own modules are built on (resolved with {system: true}).
  rt.loadSystemFile = function (r) { return loadFile(r); };

  // Globals that Node defines, built on first use (and loaded like a module, so what a job does
  // to them is undone). The accessor stays, as every key the global object started with does; a
  // script's assignment lasts until the end of its job.
  function lazyGlobal(name, get, open) {
    var built = false, value, assigned = false, own;
    Object.defineProperty(g, name, {
      configurable: true, enumerable: false,
      get: function () {
        if (assigned) return own;
        if (!built) { value = rt.loadModule(get, !open, true); built = true; }
        return value;
      },
      set: function (v) { assigned = true; own = v; }
    });
    rt.onRestore(function () { assigned = false; own = undefined; });
    rt.onLoadHide(function () {
      if (!assigned) return null;
      var mine = own;
      assigned = false; own = undefined;
      return function () { assigned = true; own = mine; };
    });
  }
  lazyGlobal('Buffer', function () { return builtin('buffer').Buffer; });
  lazyGlobal('atob', function () { return builtin('buffer').atob; });
  lazyGlobal('btoa', function () { return builtin('buffer').btoa; });
  lazyGlobal('TextEncoder', function () { return builtin('util').TextEncoder; });
  lazyGlobal('TextDecoder', function () { return builtin('util').TextDecoder; });
  lazyGlobal('URL', function () { return builtin('url').URL; });
  lazyGlobal('URLSearchParams', function () { return builtin('url').URLSearchParams; });
  lazyGlobal('fetch', function () { return builtin('node-fetch'); });
  lazyGlobal('Headers', function () { return builtin('node-fetch').Headers; });
  lazyGlobal('Request', function () { return builtin('node-fetch').Request; });
  lazyGlobal('Response', function () { return builtin('node-fetch').Response; });
  ['Event', 'EventTarget', 'AbortController', 'AbortSignal', 'Blob', 'FormData'].forEach(function (name) {
    lazyGlobal(name, function () { return builtin('authsim:web')[name]; });
  });
  lazyGlobal('structuredClone', function () {
    return function structuredClone(v) { return clone(v, new Map()); };
  });
  function clone(v, seen) {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'function' || typeof v === 'symbol') {
        var e = new Error(String(v) + ' could not be cloned.');
        e.name = 'DataCloneError';
        throw e;
      }
      return v;
    }
    if (seen.has(v)) return seen.get(v);
    var out;
    if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (ArrayBuffer.isView(v)) out = new v.constructor(v);
    else if (v instanceof Map) { out = new Map(); seen.set(v, out); v.forEach(function (val, k) { out.set(clone(k, seen), clone(val, seen)); }); return out; }
    else if (v instanceof Set) { out = new Set(); seen.set(v, out); v.forEach(function (val) { out.add(clone(val, seen)); }); return out; }
    else if (Array.isArray(v)) { out = []; seen.set(v, out); for (var i = 0; i < v.length; i++) out[i] = clone(v[i], seen); return out; }
    else {
      out = {};
      seen.set(v, out);
      Object.keys(v).forEach(function (k) { out[k] = clone(v[k], seen); });
      return out;
    }
    seen.set(v, out);
    return out;
  }

  // A process object without any reach into the host: no real environment, no exit.
  var started = rt.now();
  var hrtime = function (prev) {
    var ns = Math.round(rt.now() * 1e6);
    var s = Math.floor(ns / 1e9), n = ns % 1e9;
    if (prev) { s -= prev[0]; n -= prev[1]; if (n < 0) { s -= 1; n += 1e9; } }
    return [s, n];
  };
  hrtime.bigint = function () { return BigInt(Math.round(rt.now() * 1e6)); };
  lazyGlobal('process', function () {
    return {
      env: {}, argv: ['node'], execArgv: [], version: 'v18.20.0',
      versions: { node: '18.20.0', authsim: '1' }, platform: 'linux', arch: 'x64', pid: 1, title: 'node',
      release: { name: 'node' },
      nextTick: function (fn) {
        var args = Array.prototype.slice.call(arguments, 1);
        queueMicrotask(function () { fn.apply(undefined, args); });
      },
      hrtime: hrtime,
      uptime: function () { return (rt.now() - started) / 1000; },
      cwd: function () { return '/'; },
      emitWarning: function (w) { console.warn(String(w && w.message || w)); },
      memoryUsage: function () { return { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 }; },
      on: function () { return this; }, once: function () { return this; }, off: function () { return this; },
      removeListener: function () { return this; }, emit: function () { return false; }
    };
  }, true);  // open: scripts set process.env.X and process.exitCode (undone after their job)

  // The bare globals rules saw before Node 16, for those `require` can resolve.
  rt.installLegacyGlobals = function () {
    var names = {
      _: 'lodash', async: 'async', request: 'request', jwt: 'jsonwebtoken', q: 'q', Q: 'q', uuid: 'uuid',
      crypto: 'crypto', querystring: 'querystring', xmldom: 'xmldom', xpath: 'xpath', moment: 'moment',
      xtend: 'xtend', bluebird: 'bluebird', Promise_: 'bluebird', util: 'util', url: 'url', qs: 'qs'
    };
    Object.keys(names).forEach(function (k) {
      if (k === 'Promise_' || Object.prototype.hasOwnProperty.call(g, k)) return;
      // Not memoised: a package reading its own global while it loads (lodash reads `root._`)
      // must not pin a half-built module; require's caches make each access a lookup.
      var missing = false, assigned = false, value;
      Object.defineProperty(g, k, {
        configurable: true, enumerable: false,
        get: function () {
          if (assigned) return value;
          if (missing) return undefined;
          try { return rt.require(names[k]); } catch (e) { missing = true; return undefined; }
        },
        set: function (v) { assigned = true; value = v; }
      });
      rt.onRestore(function () { assigned = false; value = undefined; });
      rt.onLoadHide(function () {
        if (!assigned) return null;
        var mine = value;
        assigned = false; value = undefined;
        return function () { assigned = true; value = mine; };
      });
    });
  };

