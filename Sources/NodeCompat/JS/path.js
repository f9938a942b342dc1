// `path` (POSIX), `os` (constant, harmless values), `timers`, `timers/promises` and an `fs`
// with no files in it (packages that look for optional files, such as pgpass, find none).
rt.define('path', function (module, exports) {
  'use strict';
  function assertPath(p) { if (typeof p !== 'string') { var e = new TypeError('The "path" argument must be of type string. Received ' + (p === null ? 'null' : typeof p)); e.code = 'ERR_INVALID_ARG_TYPE'; throw e; } }
  function normalizeParts(parts, absolute) {
    var out = [];
    parts.forEach(function (p) {
      if (!p || p === '.') return;
      if (p === '..') { if (out.length && out[out.length - 1] !== '..') out.pop(); else if (!absolute) out.push('..'); return; }
      out.push(p);
    });
    return out;
  }
  function normalize(p) {
    assertPath(p);
    if (p === '') return '.';
    var abs = p.charAt(0) === '/', trailing = p.charAt(p.length - 1) === '/';
    var s = normalizeParts(p.split('/'), abs).join('/');
    if (!s && !abs) s = '.';
    if (s && trailing) s += '/';
    return (abs ? '/' : '') + s;
  }
  function join() {
    var parts = Array.prototype.slice.call(arguments);
    parts.forEach(assertPath);
    var joined = parts.filter(function (x) { return x !== ''; }).join('/');
    return joined === '' ? '.' : normalize(joined);
  }
  function resolve() {
    var resolved = '', abs = false;
    for (var i = arguments.length - 1; i >= -1 && !abs; i--) {
      var p = i >= 0 ? arguments[i] : '/';
      assertPath(p);
      if (!p) continue;
      resolved = p + '/' + resolved;
      abs = p.charAt(0) === '/';
    }
    var s = normalizeParts(resolved.split('/'), true).join('/');
    return '/' + s;
  }
  function isAbsolute(p) { assertPath(p); return p.charAt(0) === '/'; }
  function dirname(p) {
    assertPath(p);
    if (p === '') return '.';
    var s = p.replace(/\/+$/, '');
    if (s === '') return '/';
    var i = s.lastIndexOf('/');
    if (i < 0) return '.';
    if (i === 0) return '/';
    return s.slice(0, i).replace(/\/+$/, '') || '/';
  }
  function basename(p, ext) {
    assertPath(p);
    var s = p.replace(/\/+$/, '');
    var b = s.slice(s.lastIndexOf('/') + 1);
    if (ext !== undefined && b !== ext && b.slice(-ext.length) === ext) b = b.slice(0, b.length - ext.length);
    return b;
  }
  function extname(p) {
    var b = basename(p);
    var i = b.lastIndexOf('.');
    return i <= 0 ? '' : b.slice(i);
  }
  function relative(from, to) {
    var f = resolve(from).split('/').filter(Boolean), t = resolve(to).split('/').filter(Boolean);
    var i = 0;
    while (i < f.length && i < t.length && f[i] === t[i]) i++;
    return f.slice(i).map(function () { return '..'; }).concat(t.slice(i)).join('/');
  }
  function parse(p) {
    assertPath(p);
    var root = p.charAt(0) === '/' ? '/' : '';
    var base = basename(p), ext = extname(p);
    var dir = dirname(p);
    if (dir === '.' && p.indexOf('/') < 0) dir = '';
    return { root: root, dir: dir, base: base, ext: ext, name: ext ? base.slice(0, base.length - ext.length) : base };
  }
  function format(o) {
    var dir = o.dir || o.root || '', base = o.base || ((o.name || '') + (o.ext || ''));
    if (!dir) return base;
    return dir === o.root ? dir + base : dir + '/' + base;
  }
  var posix = {
    sep: '/', delimiter: ':', normalize: normalize, join: join, resolve: resolve, isAbsolute: isAbsolute, dirname: dirname,
    basename: basename, extname: extname, relative: relative, parse: parse, format: format,
    toNamespacedPath: function (p) { return p; }
  };
  posix.posix = posix;
  posix.win32 = posix;
  module.exports = posix;
});
rt.define('os', function (module, exports) {
  'use strict';
  exports.EOL = '\n';
  exports.platform = function () { return 'linux'; };
  exports.type = function () { return 'Linux'; };
  exports.release = function () { return '5.10.0'; };
  exports.arch = function () { return 'x64'; };
  exports.hostname = function () { return 'localhost'; };
  exports.homedir = function () { return '/home/sandbox'; };
  exports.tmpdir = function () { return '/tmp'; };
  exports.endianness = function () { return 'LE'; };
  exports.uptime = function () { return 0; };
  exports.loadavg = function () { return [0, 0, 0]; };
  exports.totalmem = function () { return 1073741824; };
  exports.freemem = function () { return 536870912; };
  exports.cpus = function () { return [{ model: 'sandbox', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } }]; };
  exports.networkInterfaces = function () { return {}; };
  exports.userInfo = function () { return { uid: 1000, gid: 1000, username: 'sandbox', homedir: '/home/sandbox', shell: null }; };
  exports.constants = { signals: {}, errno: {} };
  exports.devNull = '/dev/null';
});
rt.define('timers', function (module, exports) {
  'use strict';
  exports.setTimeout = setTimeout; exports.clearTimeout = clearTimeout;
  exports.setInterval = setInterval; exports.clearInterval = clearInterval;
  exports.setImmediate = setImmediate; exports.clearImmediate = clearImmediate;
});
rt.define('timers/promises', function (module, exports) {
  'use strict';
  exports.setTimeout = function (ms, value) { return new Promise(function (ok) { setTimeout(function () { ok(value); }, ms); }); };
  exports.setImmediate = function (value) { return new Promise(function (ok) { setImmediate(function () { ok(value); }); }); };
});
rt.define('fs', function (module, exports) {
  'use strict';
  function enoent(syscall, path) {
    var e = new Error("ENOENT: no such file or directory, " + syscall + " '" + String(path) + "'");
    e.code = 'ENOENT'; e.errno = -2; e.syscall = syscall; e.path = String(path);
    return e;
  }
  // The system call Node names in each function's ENOENT.
  var syscalls = { stat: 'stat', lstat: 'lstat', readFile: 'open', readdir: 'scandir', access: 'access', open: 'open', realpath: 'lstat' };
  Object.keys(syscalls).forEach(function (n) {
    exports[n] = function (path) {
      var cb = arguments[arguments.length - 1];
      var e = enoent(syscalls[n], path);
      if (typeof cb === 'function') process.nextTick(function () { cb(e); }); else throw e;
    };
    exports[n + 'Sync'] = function (path) { throw enoent(syscalls[n], path); };
  });
  exports.existsSync = function () { return false; };
  exports.exists = function (p, cb) { process.nextTick(function () { cb(false); }); };
  ['writeFile', 'appendFile', 'mkdir', 'unlink', 'rename', 'rmdir', 'rm'].forEach(function (n) {
    exports[n] = function (path) {
      var cb = arguments[arguments.length - 1];
      var e = new Error("EROFS: read-only file system, " + n + " '" + String(path) + "'");
      e.code = 'EROFS'; e.syscall = n;
      if (typeof cb === 'function') process.nextTick(function () { cb(e); }); else throw e;
    };
    exports[n + 'Sync'] = function (path) { var e = new Error("EROFS: read-only file system, " + n + " '" + String(path) + "'"); e.code = 'EROFS'; throw e; };
  });
  exports.createReadStream = function (path) {
    var s = new (require('stream').PassThrough)();
    process.nextTick(function () { s.destroy(enoent('open', path)); });
    return s;
  };
  exports.constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };
  exports.promises = {
    readFile: function (p) { return Promise.reject(enoent('open', p)); },
    stat: function (p) { return Promise.reject(enoent('stat', p)); },
    access: function (p) { return Promise.reject(enoent('access', p)); }
  };
});
