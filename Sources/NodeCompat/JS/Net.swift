extension NodeSources {
    /// `stream`: Node's own stream classes as Debian's `readable-stream` package carries them
    /// (found in the system package folders only), under the legacy `Stream` base class whose
    /// `pipe` older libraries (mysql's protocol parser) use.
    static let stream = #"""
rt.define('stream', function (module, exports, require) {
  'use strict';
  var EE = require('events');
  var util = require('util');
  function Stream(opts) { EE.call(this, opts); }
  util.inherits(Stream, EE);
  // The pre-streams2 pipe: data events written to the destination, paused when it is full.
  Stream.prototype.pipe = function (dest, options) {
    var source = this;
    function ondata(chunk) { if (dest.writable && dest.write(chunk) === false && source.pause) source.pause(); }
    function ondrain() { if (source.readable && source.resume) source.resume(); }
    source.on('data', ondata);
    dest.on('drain', ondrain);
    var didOnEnd = false;
    function onend() { if (didOnEnd) return; didOnEnd = true; dest.end(); }
    function onclose() { if (didOnEnd) return; didOnEnd = true; if (typeof dest.destroy === 'function') dest.destroy(); }
    if (!dest._isStdio && (!options || options.end !== false)) { source.on('end', onend); source.on('close', onclose); }
    function onerror(er) { cleanup(); if (EE.listenerCount(this, 'error') === 0) this.emit('error', er); }
    source.on('error', onerror);
    dest.on('error', onerror);
    function cleanup() {
      source.removeListener('data', ondata); dest.removeListener('drain', ondrain);
      source.removeListener('end', onend); source.removeListener('close', onclose);
      source.removeListener('error', onerror); dest.removeListener('error', onerror);
      source.removeListener('end', cleanup); source.removeListener('close', cleanup); dest.removeListener('close', cleanup);
    }
    source.on('end', cleanup); source.on('close', cleanup); dest.on('close', cleanup);
    dest.emit('pipe', source);
    return dest;
  };
  module.exports = Stream;
  var r = rt.call('node.resolve', { request: 'readable-stream', system: true });
  if (!r) {
    var e = new Error("Cannot load 'stream': Debian's readable-stream package is missing (make installs it: node-readable-stream)");
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  var rs = rt.loadSystemFile(r);
  Stream.Stream = Stream;
  Stream.Readable = rs.Readable;
  Stream.Writable = rs.Writable;
  Stream.Duplex = rs.Duplex;
  Stream.Transform = rs.Transform;
  Stream.PassThrough = rs.PassThrough;
  Stream.finished = rs.finished;
  Stream.pipeline = rs.pipeline;
  Stream.addAbortSignal = function (signal, s) { if (signal) signal.addEventListener('abort', function () { s.destroy(new Error('The operation was aborted')); }); return s; };
  Stream.isReadable = function (s) { return !!(s && s.readable && !s.destroyed); };
  Stream.promises = {
    pipeline: function () { var args = Array.prototype.slice.call(arguments); return new Promise(function (ok, fail) { args.push(function (e, v) { if (e) fail(e); else ok(v); }); rs.pipeline.apply(undefined, args); }); },
    finished: function (s, opts) { return new Promise(function (ok, fail) { rs.finished(s, opts || {}, function (e) { if (e) fail(e); else ok(); }); }); }
  };
});
rt.define('stream/promises', function (module, exports, require) { module.exports = require('stream').promises; });
"""#

    /// `string_decoder`: Debian's port of Node's decoder.
    static let stringDecoder = #"""
rt.define('string_decoder', function (module) {
  'use strict';
  var r = rt.call('node.resolve', { request: 'string_decoder', system: true });
  if (!r) throw new Error("Cannot load 'string_decoder': Debian's node-string-decoder package is missing");
  module.exports = { StringDecoder: rt.loadSystemFile(r).StringDecoder };
});
"""#

    /// `net`: client TCP sockets (`Socket` is a Duplex stream over the host's socket calls).
    static let net = #"""
rt.define('net', function (module, exports, require) {
  'use strict';
  var stream = require('stream');
  var util = require('util');
  var Buffer = require('buffer').Buffer;

  function netError(e, syscall) {
    var err = new Error(e.message);
    err.code = e.code; err.errno = e.code; err.syscall = syscall;
    return err;
  }

  function isIPv4(s) {
    if (typeof s !== 'string') return false;
    var p = s.split('.');
    return p.length === 4 && p.every(function (x) { return /^(0|[1-9][0-9]{0,2})$/.test(x) && +x <= 255; });
  }
  function isIPv6(s) {
    if (typeof s !== 'string' || s.length < 2 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
    var dbl = s.split('::');
    if (dbl.length > 2) return false;
    var parts = s.split(':').filter(function (x) { return x !== ''; });
    var last = parts[parts.length - 1];
    var groups = parts.length;
    if (last && last.indexOf('.') >= 0) { if (!isIPv4(last)) return false; groups += 1; parts.pop(); }
    if (!parts.every(function (x) { return /^[0-9a-fA-F]{1,4}$/.test(x); })) return false;
    return dbl.length === 2 ? groups < 8 : groups === 8;
  }
  function isIP(s) { return isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0; }

  // connect(options[, cb]) | connect(port[, host][, cb]); a path (Unix socket) is refused.
  function normalize(args) {
    var options = {}, cb = null;
    if (args[0] !== null && typeof args[0] === 'object') options = Object.assign({}, args[0]);
    else if (typeof args[0] === 'string' && !/^[0-9]+$/.test(args[0])) options = { path: args[0] };
    else { options.port = args[0]; if (typeof args[1] === 'string') options.host = args[1]; }
    for (var i = 0; i < args.length; i++) if (typeof args[i] === 'function') { cb = args[i]; break; }
    return [options, cb];
  }

  function Socket(options) {
    if (!(this instanceof Socket)) return new Socket(options);
    options = options || {};
    // 'close' is emitted here (with Node's hadError argument), after 'error'.
    stream.Duplex.call(this, { allowHalfOpen: !!options.allowHalfOpen, emitClose: false, autoDestroy: true, decodeStrings: true });
    this._id = null;
    this.connecting = false;
    this.pending = true;
    this.bytesRead = 0;
    this._written = 0;
    this._noDelay = true;
    this._timeoutMs = 0;
    this._timer = null;
    this._pumping = false;
    this._wantRead = false;
    this._queued = [];
    this._record = null;
    this._started = 0;
    this.remoteAddress = undefined; this.remotePort = undefined; this.remoteFamily = undefined;
    this.localAddress = undefined; this.localPort = undefined;
    if (options.timeout) this.setTimeout(options.timeout);
  }
  util.inherits(Socket, stream.Duplex);

  Object.defineProperty(Socket.prototype, 'bytesWritten', { get: function () { return this._written; } });
  Object.defineProperty(Socket.prototype, 'readyState', {
    get: function () {
      if (this.connecting) return 'opening';
      if (!this._id || this.destroyed) return 'closed';
      if (this.readable && this.writable) return 'open';
      return this.readable ? 'readOnly' : this.writable ? 'writeOnly' : 'closed';
    }
  });

  Socket.prototype._trace = function () {
    var r = this._record;
    if (!r) return;
    r.bytesRead = this.bytesRead;
    r.bytesWritten = this._written;
    r.durationMs = rt.now() - this._started;
  };

  Socket.prototype.connect = function () {
    var n = normalize(arguments), options = n[0], cb = n[1], self = this;
    if (cb) this.once('connect', cb);
    if (options.path !== undefined) {
      var pe = new Error('connect EACCES ' + options.path + ' (Unix sockets are not available to scripts)');
      pe.code = 'EACCES'; pe.syscall = 'connect';
      process.nextTick(function () { self.destroy(pe); });
      return this;
    }
    var host = options.host === undefined || options.host === null || options.host === '' ? 'localhost' : String(options.host);
    var port = Number(options.port);
    this.connecting = true;
    this._started = rt.now();
    this._record = { host: host, port: port, bytesRead: 0, bytesWritten: 0, durationMs: null, error: null };
    if (typeof rt.netActivity === 'function') { try { rt.netActivity(this._record); } catch (e) {} }
    rt.callAsync('net.connect', { host: host, port: port, timeoutMs: Math.max(1, rt.remaining()), noDelay: this._noDelay }).then(function (r) {
      if (self.destroyed) { if (r.id) rt.call('net.destroy', { id: r.id }); return; }
      self.connecting = false;
      if (r.error) {
        self._record.error = r.error.code;
        self._trace();
        self.destroy(netError(r.error, 'connect'));
        return;
      }
      self._id = r.id;
      self.pending = false;
      self.remoteAddress = r.remoteAddress; self.remotePort = r.remotePort; self.remoteFamily = r.remoteFamily;
      self.localAddress = r.localAddress; self.localPort = r.localPort;
      self._touch();
      var queued = self._queued;
      self._queued = [];
      queued.forEach(function (q) { self._write(q[0], q[1], q[2]); });
      if (self._finalPending) { var f = self._finalPending; self._finalPending = null; self._final(f); }
      self.emit('connect');
      self.emit('ready');
      if (self._wantRead) self._pump();
    }, function (e) { self.connecting = false; self.destroy(e); });
    return this;
  };

  Socket.prototype._pump = function () {
    var self = this;
    if (self._pumping || !self._id || self.destroyed) return;
    self._pumping = true;
    rt.callAsync('net.read', { id: self._id }).then(function (r) {
      self._pumping = false;
      if (self.destroyed) return;
      if (r.error) { if (self._record) self._record.error = r.error.code; self.destroy(netError(r.error, 'read')); return; }
      if (r.end) { self._trace(); self.push(null); return; }
      var buf = Buffer.from(r.data, 'base64');
      self.bytesRead += buf.length;
      self._trace();
      self._touch();
      if (self.push(buf)) self._pump(); else self._wantRead = false;
    }, function (e) { self._pumping = false; self.destroy(e); });
  };

  Socket.prototype._read = function () {
    this._wantRead = true;
    this._pump();
  };

  Socket.prototype._write = function (chunk, encoding, cb) {
    var self = this;
    if (this.connecting || (!this._id && !this.destroyed)) { this._queued.push([chunk, encoding, cb]); return; }
    if (!this._id) { cb(netError({ code: 'EPIPE', message: 'This socket is closed' }, 'write')); return; }
    var buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding);
    rt.callAsync('net.write', { id: this._id, data: buf.toString('base64') }).then(function (r) {
      if (r.error) { cb(netError(r.error, 'write')); return; }
      self._written += buf.length;
      self._trace();
      self._touch();
      cb();
    }, cb);
  };

  Socket.prototype._final = function (cb) {
    if (this.connecting) { this._finalPending = cb; return; }
    if (!this._id) { cb(); return; }
    rt.callAsync('net.end', { id: this._id }).then(function () { cb(); }, cb);
  };

  Socket.prototype._destroy = function (err, cb) {
    if (this._timer) { clearTimeout(this._timer); this._timer = null; }
    if (this._id) { try { rt.call('net.destroy', { id: this._id }); } catch (e) {} }
    this._id = null;
    this.connecting = false;
    this._trace();
    if (err && this._record && !this._record.error) this._record.error = err.code || err.message;
    var self = this;
    cb(err);
    process.nextTick(function () { self.emit('close', !!err); });
  };

  Socket.prototype._touch = function () {
    if (this._timer) { clearTimeout(this._timer); this._timer = null; }
    if (this._timeoutMs > 0 && !this.destroyed) {
      var self = this;
      this._timer = setTimeout(function () { self._timer = null; self.emit('timeout'); }, this._timeoutMs);
    }
  };
  Socket.prototype.setTimeout = function (ms, cb) {
    this._timeoutMs = Number(ms) > 0 ? Number(ms) : 0;
    if (cb) { if (this._timeoutMs > 0) this.once('timeout', cb); else this.removeListener('timeout', cb); }
    this._touch();
    return this;
  };
  Socket.prototype.setNoDelay = function (v) { this._noDelay = v !== false; return this; };
  Socket.prototype.setKeepAlive = function () { return this; };
  Socket.prototype.ref = function () { return this; };
  Socket.prototype.unref = function () { return this; };
  Socket.prototype.address = function () { return this._id ? { address: this.localAddress, port: this.localPort, family: this.remoteFamily } : {}; };
  Socket.prototype.resetAndDestroy = function () { return this.destroy(); };

  function connect() {
    var n = normalize(arguments);
    var s = new Socket(n[0]);
    if (n[0].timeout) s.setTimeout(n[0].timeout);
    return s.connect(n[0], n[1] || undefined);
  }
  function createServer() {
    var e = new Error('net.createServer: scripts cannot listen for connections');
    e.code = 'ERR_NOT_SUPPORTED';
    throw e;
  }

  exports.Socket = Socket;
  exports.Stream = Socket;
  exports.connect = connect;
  exports.createConnection = connect;
  exports.createServer = createServer;
  exports.Server = createServer;
  exports.isIP = isIP;
  exports.isIPv4 = isIPv4;
  exports.isIPv6 = isIPv6;
});
"""#

    /// `tls`: loads (drivers require it up front), but encrypted connections are not offered
    /// yet: `connect` fails with a clear error (a driver asked for TLS never gets a plain
    /// connection instead).
    static let tls = #"""
rt.define('tls', function (module, exports, require) {
  'use strict';
  var net = require('net');
  function unavailable() {
    var e = new Error('TLS connections are not available to scripts in authsim yet: connect without ssl/tls to a database on an allowed host');
    e.code = 'ERR_TLS_UNAVAILABLE';
    return e;
  }
  function TLSSocket() { throw unavailable(); }
  exports.TLSSocket = TLSSocket;
  exports.connect = function () {
    var s = new net.Socket();
    var cb = arguments[arguments.length - 1];
    process.nextTick(function () { s.destroy(unavailable()); });
    if (typeof cb === 'function') s.once('secureConnect', cb);
    return s;
  };
  exports.createSecureContext = function (options) { return { context: {}, options: options || {} }; };
  exports.checkServerIdentity = function () { return undefined; };
  exports.DEFAULT_MIN_VERSION = 'TLSv1.2';
  exports.DEFAULT_MAX_VERSION = 'TLSv1.3';
  exports.rootCertificates = [];
});
"""#

    /// `dns`: `lookup` (allowed hosts only) and its promise form.
    static let dns = #"""
rt.define('dns', function (module, exports, require) {
  'use strict';
  var net = require('net');
  function lookupAsync(host, options) {
    var family = typeof options === 'number' ? options : (options && Number(options.family)) || 0;
    var all = !!(options && typeof options === 'object' && options.all);
    host = String(host);
    var ip = net.isIP(host);
    if (ip) return Promise.resolve(all ? [{ address: host, family: ip }] : { address: host, family: ip });
    return rt.callAsync('net.lookup', { host: host, family: family, all: all }).then(function (r) {
      if (r.error) {
        var e = new Error(r.error.message);
        e.code = r.error.code; e.errno = r.error.code; e.syscall = 'getaddrinfo'; e.hostname = host;
        throw e;
      }
      return all ? r.all : { address: r.address, family: r.family };
    });
  }
  function lookup(host, options, cb) {
    if (typeof options === 'function') { cb = options; options = 0; }
    if (typeof cb !== 'function') { var t = new TypeError('The "callback" argument must be of type function'); t.code = 'ERR_INVALID_ARG_TYPE'; throw t; }
    var all = !!(options && typeof options === 'object' && options.all);
    lookupAsync(host, options).then(function (r) {
      if (all) cb(null, r); else cb(null, r.address, r.family);
    }, function (e) { cb(e); });
  }
  function unsupported(name) {
    return function () {
      var cb = arguments[arguments.length - 1];
      var e = new Error('dns.' + name + ' is not available to scripts (dns.lookup is)');
      e.code = 'ENOTSUP';
      if (typeof cb === 'function') process.nextTick(function () { cb(e); }); else throw e;
    };
  }
  exports.lookup = lookup;
  exports.promises = { lookup: lookupAsync };
  ['resolve', 'resolve4', 'resolve6', 'resolveMx', 'resolveTxt', 'resolveSrv', 'resolveCname', 'reverse'].forEach(function (n) {
    exports[n] = unsupported(n);
    exports.promises[n] = function () { return Promise.reject(Object.assign(new Error('dns.promises.' + n + ' is not available to scripts'), { code: 'ENOTSUP' })); };
  });
  exports.ADDRCONFIG = 1024; exports.V4MAPPED = 2048; exports.ALL = 256;
  exports.NOTFOUND = 'ENOTFOUND'; exports.CONNREFUSED = 'ECONNREFUSED';
});
rt.define('dns/promises', function (module, exports, require) { module.exports = require('dns').promises; });
"""#

    /// `path` (POSIX), `os` (constant, harmless values), `timers`, `timers/promises` and an `fs`
    /// with no files in it (packages that look for optional files, such as pgpass, find none).
    static let path = #"""
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
"""#
}

extension NodeSources {
    /// The database drivers as Auth0's sandbox offered them, on top of the versions installed.
    static let drivers = #"""
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
    connected.then(function (c) { cb(null, c, done); }, function (e) { cb(e, null, function () {}); });
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
  Object.defineProperty(counted, '__counted', { value: true });
  proto.query = counted;
}
rt.adaptPackage('node_modules/mysql/index.js', function (mysql, require) {
  'use strict';
  var Connection;
  try { Connection = require('./lib/Connection'); } catch (e) { return mysql; }
  countQueries(Connection.prototype, function (c) { return c._socket; });
  return mysql;
});
"""#
}
