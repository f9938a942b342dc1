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

  // The sockets connected in this job: when it ends the host closes their connections, and
  // these objects (a script may keep one in `global`) learn it silently — no script code runs
  // while a job ends —, so that a later login's write fails at once instead of waiting.
  var live = [];
  rt.onRestore(function () {
    for (var i = 0; i < live.length; i++) { live[i]._jobEnded = true; live[i]._id = null; live[i]._pumping = false; }
    live = [];
  });

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
      self._register();
      self.remoteAddress = r.remoteAddress; self.remotePort = r.remotePort; self.remoteFamily = r.remoteFamily;
      self.localAddress = r.localAddress; self.localPort = r.localPort;
      self._host = host;
      self._connected();
      self.emit('connect');
      self.emit('ready');
    }, function (e) { self.connecting = false; self.destroy(e); });
    return this;
  };

  // Connected (or, for TLS, secured): what was written meanwhile goes out, reading starts.
  Socket.prototype._connected = function () {
    var self = this;
    this._touch();
    var queued = this._queued;
    this._queued = [];
    queued.forEach(function (q) { self._write(q[0], q[1], q[2]); });
    if (this._finalPending) { var f = this._finalPending; this._finalPending = null; this._final(f); }
    if (this._wantRead) this._pump();
  };

  Socket.prototype._pump = function () {
    var self = this;
    if (self._pumping || !self._id || self.destroyed || self._takenOver || self.connecting) return;
    self._pumping = true;
    rt.callAsync('net.read', { id: self._id }).then(function (r) {
      self._pumping = false;
      // A TLS socket took the connection over while this read waited: the data is its.
      if (self._takenOver) { self._takenOver._pumping = false; self._takenOver._deliver(r); return; }
      self._deliver(r);
    }, function (e) { self._pumping = false; self.destroy(e); });
  };

  // What one read brought: data, the end, or an error.
  Socket.prototype._deliver = function (r) {
    if (this.destroyed) return;
    if (r.error) { if (this._record) this._record.error = r.error.code; this.destroy(netError(r.error, 'read')); return; }
    if (r.end) { this._trace(); this.push(null); return; }
    var buf = Buffer.from(r.data, 'base64');
    this.bytesRead += buf.length;
    this._trace();
    this._touch();
    if (this.push(buf)) this._pump(); else this._wantRead = false;
  };

  Socket.prototype._register = function () { live.push(this); };
  function jobEnded(syscall) {
    return netError({ code: 'ERR_SOCKET_CLOSED', message: 'Socket is closed: it belonged to an earlier login, whose end closed it' }, syscall);
  }
  Socket.prototype._read = function () {
    if (this._jobEnded) { this.destroy(jobEnded('read')); return; }
    this._wantRead = true;
    this._pump();
  };

  // Written in pieces of at most 1 MiB per host call; an error destroys the socket (so that
  // 'error' is emitted, as in Node) before the write's callback hears of it.
  var writePiece = 1 << 20;
  Socket.prototype._write = function (chunk, encoding, cb) {
    var self = this;
    if (this._jobEnded) {
      var ended = jobEnded('write');
      this.destroy(ended);
      cb(ended);
      return;
    }
    if (this.connecting || (!this._id && !this.destroyed && this.pending)) { this._queued.push([chunk, encoding, cb]); return; }
    if (!this._id) { cb(netError({ code: 'EPIPE', message: 'This socket is closed' }, 'write')); return; }
    var buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding);
    var offset = 0;
    function next() {
      if (offset >= buf.length) { cb(); return; }
      var piece = buf.subarray(offset, Math.min(buf.length, offset + writePiece));
      offset += piece.length;
      rt.callAsync('net.write', { id: self._id, data: piece.toString('base64') }).then(function (r) {
        if (r.error) { var e = netError(r.error, 'write'); self.destroy(e); cb(e); return; }
        self._written += piece.length;
        self._trace();
        self._touch();
        next();
      }, function (e) { self.destroy(e); cb(e); });
    }
    next();
  };

  Socket.prototype._final = function (cb) {
    if (this.connecting) { this._finalPending = cb; return; }
    if (!this._id) { cb(); return; }
    rt.callAsync('net.end', { id: this._id }).then(function () { cb(); }, cb);
  };

  Socket.prototype._destroy = function (err, cb) {
    if (this._timer) { clearTimeout(this._timer); this._timer = null; }
    if (this._id && !this._takenOver) { try { rt.call('net.destroy', { id: this._id }); } catch (e) {} }
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

    /// `tls`: TLS client sockets — `connect` (a new connection, or on an open `socket`, as pg
    /// does after its SSLRequest) and `TLSSocket` — verifying the server's certificate against
    /// the system's roots or `ca`, and its name, unless `rejectUnauthorized: false`.
    static let tls = #"""
rt.define('tls', function (module, exports, require) {
  'use strict';
  var net = require('net');
  var util = require('util');

  function pems(ca) {
    if (ca === undefined || ca === null) return undefined;
    return (Array.isArray(ca) ? ca : [ca]).map(function (c) { return Buffer.isBuffer(c) ? c.toString('utf8') : String(c); });
  }

  // A TLS socket: a net.Socket whose bytes the host encrypts. Made on an open socket it takes
  // that socket's connection over (data the old object had asked for comes here).
  function TLSSocket(socket, options) {
    if (!(this instanceof TLSSocket)) return new TLSSocket(socket, options);
    options = options || {};
    net.Socket.call(this, options);
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
    this.alpnProtocol = false;
    // A secureContext (tls.createSecureContext) carries the ca the driver was given.
    if (options.ca === undefined && options.secureContext && options.secureContext.options) {
      options = Object.assign({}, options, { ca: options.secureContext.options.ca });
    }
    this._tlsOptions = options;
    // What the mysql driver reads of Node's internal TLS socket: a verification failure ends
    // the handshake here, so a secured socket has none to report.
    this.ssl = { verifyError: function () { return null; } };
    if (socket instanceof net.Socket) {
      socket._takenOver = this;
      // A read the plain socket has in flight delivers here; none other starts meanwhile.
      if (socket._pumping) this._pumping = true;
      this._id = socket._id;
      this._record = socket._record;
      this._started = socket._started;
      this.remoteAddress = socket.remoteAddress; this.remotePort = socket.remotePort; this.remoteFamily = socket.remoteFamily;
      this.localAddress = socket.localAddress; this.localPort = socket.localPort;
      this.bytesRead = socket.bytesRead;
      this._written = socket._written;
      if (socket._id) { this._register(); this._secure(options.servername || socket._host); }
      else {
        var self = this;
        this.connecting = true;
        socket.once('connect', function () { self._id = socket._id; self._register(); self._secure(options.servername || socket._host); });
        socket.once('error', function (e) { self.destroy(e); });
      }
    }
  }
  util.inherits(TLSSocket, net.Socket);

  TLSSocket.prototype._secure = function (servername) {
    var self = this, o = this._tlsOptions;
    this.connecting = true;
    this.servername = servername;
    rt.callAsync('net.startTLS', { id: this._id, servername: servername || '', rejectUnauthorized: o.rejectUnauthorized !== false, ca: pems(o.ca) })
      .then(function (r) {
        if (self.destroyed) return;
        self.connecting = false;
        if (r.error) {
          if (self._record) self._record.error = r.error.code;
          var e = new Error(r.error.message);
          e.code = r.error.code;
          if (r.error.code !== 'ECONNRESET') e.reason = r.error.message;
          // Node's TLSSocket reports a failed handshake as '_tlsError' to whoever listens for it
          // (the mysql driver), and as 'error' otherwise.
          if (self.listenerCount('_tlsError') > 0) { self.emit('_tlsError', e); self.destroy(); } else self.destroy(e);
          return;
        }
        self.authorized = r.authorized;
        self.pending = false;
        if (self._record) self._record.tls = true;
        self._connected();
        self.emit('secureConnect');
        self.emit('secure');
      }, function (e) { self.connecting = false; self.destroy(e); });
  };
  TLSSocket.prototype._start = function () {};  // the handshake starts when the socket is made
  TLSSocket.prototype.getPeerCertificate = function () { return {}; };
  TLSSocket.prototype.getProtocol = function () { return this.authorized || this._id ? 'TLSv1.3' : null; };
  TLSSocket.prototype.getCipher = function () { return null; };
  TLSSocket.prototype.setServername = function (n) { this.servername = n; };

  // connect(options[, cb]) | connect(port[, host][, options][, cb])
  function connect() {
    var args = Array.prototype.slice.call(arguments), cb;
    if (typeof args[args.length - 1] === 'function') cb = args.pop();
    var options = {};
    if (typeof args[0] === 'object' && args[0] !== null) options = Object.assign({}, args[0]);
    else {
      options.port = args[0];
      if (typeof args[1] === 'string') { options.host = args[1]; if (typeof args[2] === 'object') Object.assign(options, args[2]); }
      else if (typeof args[1] === 'object') Object.assign(options, args[1]);
    }
    var s;
    if (options.socket) {
      s = new TLSSocket(options.socket, options);
    } else {
      var plain = new net.Socket();
      s = new TLSSocket(plain, options);
      plain.connect({ port: options.port, host: options.host || 'localhost' });
    }
    if (cb) s.once('secureConnect', cb);
    return s;
  }

  exports.TLSSocket = TLSSocket;
  exports.connect = connect;
  exports.createSecureContext = function (options) { return { context: {}, options: options || {} }; };
  exports.checkServerIdentity = function () { return undefined; };
  exports.createServer = function () { var e = new Error('tls.createServer: scripts cannot listen for connections'); e.code = 'ERR_NOT_SUPPORTED'; throw e; };
  exports.DEFAULT_MIN_VERSION = 'TLSv1.2';
  exports.DEFAULT_MAX_VERSION = 'TLSv1.3';
  exports.DEFAULT_ECDH_CURVE = 'auto';
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
    // Each look-up is in the step's trace beside its connections (`net`, with `lookup: true`).
    var started = rt.now();
    var record = { lookup: true, host: host, address: null, durationMs: null, error: null };
    if (typeof rt.netActivity === 'function') { try { rt.netActivity(record); } catch (x) {} }
    return rt.callAsync('net.lookup', { host: host, family: family, all: all }).then(function (r) {
      record.durationMs = rt.now() - started;
      if (r.error) {
        record.error = r.error.code;
        var e = new Error(r.error.message);
        e.code = r.error.code; e.errno = r.error.code; e.syscall = 'getaddrinfo'; e.hostname = host;
        throw e;
      }
      record.address = all ? r.all.map(function (a) { return a.address; }).join(', ') : r.address;
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
    // The callback runs outside the promise chain, so that what it throws fails the script (as
    // with pg before 7) instead of becoming an unhandled rejection.
    connected.then(function (c) { process.nextTick(cb, null, c, done); }, function (e) { process.nextTick(cb, e, null, function () {}); });
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

extension NodeSources {
    /// `zlib`: gzip, deflate (zlib and raw), their inverses and unzip, on the system's zlib: the
    /// `*Sync` functions, the callback and promise forms, and the streams (Transforms that
    /// collect their input and answer at its end).
    static let zlib = #"""
rt.define('zlib', function (module, exports, require) {
  'use strict';
  var Buffer = require('buffer').Buffer;
  var stream = require('stream');
  var util = require('util');
  function toBuffer(v) {
    if (Buffer.isBuffer(v)) return v;
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return Buffer.from(v.buffer ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v);
    var e = new TypeError('The "buffer" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer. Received ' + (v === null ? 'null' : typeof v));
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  function run(op, input, options) {
    options = options || {};
    var r = rt.call('node.zlib', { op: op, data: toBuffer(input).toString('base64'), level: options.level === undefined ? -1 : options.level,
      maxOutputLength: options.maxOutputLength });
    if (r.error) {
      var e = /^ERR_(OUT_OF_RANGE|BUFFER_TOO_LARGE)$/.test(r.error.code) ? new RangeError(r.error.message) : new Error(r.error.message);
      e.code = r.error.code;
      if (/^Z_/.test(r.error.code)) e.errno = r.error.code === 'Z_DATA_ERROR' ? -3 : r.error.code === 'Z_BUF_ERROR' ? -5 : -2;
      throw e;
    }
    return Buffer.from(r.data, 'base64');
  }
  var ops = { gzip: 'Gzip', gunzip: 'Gunzip', deflate: 'Deflate', inflate: 'Inflate', deflateRaw: 'DeflateRaw', inflateRaw: 'InflateRaw', unzip: 'Unzip' };
  Object.keys(ops).forEach(function (op) {
    exports[op + 'Sync'] = function (buffer, options) { return run(op, buffer, options); };
    exports[op] = function (buffer, options, cb) {
      if (typeof options === 'function') { cb = options; options = {}; }
      var out, err = null;
      try { out = run(op, buffer, options); } catch (e) { err = e; }
      process.nextTick(function () { if (err) cb(err); else cb(null, out); });
    };
    exports[op][util.promisify.custom] = function (buffer, options) {
      return new Promise(function (ok, fail) { exports[op](buffer, options || {}, function (e, v) { if (e) fail(e); else ok(v); }); });
    };
    function Z(options) {
      if (!(this instanceof Z)) return new Z(options);
      stream.Transform.call(this, options);
      this._zopts = options || {};
      this._chunks = [];
    }
    util.inherits(Z, stream.Transform);
    Z.prototype._transform = function (chunk, enc, cb) { this._chunks.push(toBuffer(chunk)); cb(); };
    Z.prototype._flush = function (cb) {
      var out;
      try { out = run(op, Buffer.concat(this._chunks), this._zopts); } catch (e) { cb(e); return; }
      this._chunks = [];
      cb(null, out);
    };
    exports[ops[op]] = Z;
    exports['create' + ops[op]] = function (options) { return new Z(options); };
  });
  exports.constants = {
    Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
    Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3, Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
    Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
    Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0
  };
  Object.keys(exports.constants).forEach(function (k) { exports[k] = exports.constants[k]; });
});
"""#
}

extension NodeSources {
    /// `http` and `https` clients: `request`/`get` with a `ClientRequest` (a Writable that
    /// collects the body) and an `IncomingMessage` (a Readable of the response body), over the
    /// same host HTTP client as `request`/`axios`/`fetch` (allow-list, TLS with verification,
    /// time limit). Redirects are not followed, as in Node. No servers.
    static let httpModules = #"""
(function () {
  var STATUS_CODES = { 100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
    301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
    410: 'Gone', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error',
    501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  function define(name, defaultProtocol, defaultPort) {
    rt.define(name, function (module, exports, require) {
      'use strict';
      var stream = require('stream');
      var util = require('util');
      var EE = require('events');
      var Buffer = require('buffer').Buffer;
      var client = require('authsim:http');

      function Agent(options) { EE.call(this); this.options = options || {}; this.keepAlive = !!this.options.keepAlive; this.maxSockets = Infinity; }
      util.inherits(Agent, EE);
      Agent.prototype.destroy = function () {};
      var globalAgent = new Agent();

      function IncomingMessage() {
        stream.Readable.call(this);
        this.headers = {}; this.rawHeaders = []; this.trailers = {}; this.rawTrailers = [];
        this.statusCode = null; this.statusMessage = null; this.httpVersion = '1.1'; this.httpVersionMajor = 1; this.httpVersionMinor = 1;
        this.complete = false; this.aborted = false; this.url = '';
      }
      util.inherits(IncomingMessage, stream.Readable);
      IncomingMessage.prototype._read = function () {};
      IncomingMessage.prototype.setTimeout = function (ms, cb) { if (cb) this.once('timeout', cb); return this; };

      function ClientRequest(options, cb) {
        stream.Writable.call(this);
        var self = this;
        this._chunks = [];
        this._headers = {};
        this._timeout = 0;
        this.aborted = false;
        this.destroyed = false;
        this.method = String(options.method || 'GET').toUpperCase();
        var protocol = options.protocol || defaultProtocol;
        var host = options.hostname || (options.host ? String(options.host).replace(/:\d+$/, '') : 'localhost');
        if (host.indexOf(':') >= 0 && host.charAt(0) !== '[') host = '[' + host + ']';
        var port = options.port ? ':' + options.port : '';
        this.path = options.path === undefined || options.path === null ? '/' : String(options.path);
        if (/[\u0000-\u0020]/.test(this.path)) { var pe = new TypeError('Request path contains unescaped characters'); pe.code = 'ERR_UNESCAPED_CHARACTERS'; throw pe; }
        this.host = host;
        this.protocol = protocol;
        // The path never changes the host: it always follows a '/'.
        this._url = protocol + '//' + host + port + (this.path.charAt(0) === '/' ? this.path : '/' + this.path);
        var h = options.headers || {};
        Object.keys(h).forEach(function (k) { self._headers[k.toLowerCase()] = [k, h[k]]; });
        if (options.auth && !this._headers.authorization) this._headers.authorization = ['Authorization', 'Basic ' + Buffer.from(String(options.auth)).toString('base64')];
        if (options.timeout) this._timeout = Number(options.timeout) || 0;
        if (cb) this.once('response', cb);
        this.on('finish', function () { self._send(); });
      }
      util.inherits(ClientRequest, stream.Writable);
      ClientRequest.prototype._write = function (chunk, enc, cb) { this._chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, enc)); cb(); };
      ClientRequest.prototype.setHeader = function (k, v) { this._headers[String(k).toLowerCase()] = [k, v]; return this; };
      ClientRequest.prototype.getHeader = function (k) { var e = this._headers[String(k).toLowerCase()]; return e && e[1]; };
      ClientRequest.prototype.removeHeader = function (k) { delete this._headers[String(k).toLowerCase()]; };
      ClientRequest.prototype.getHeaders = function () { var o = {}, h = this._headers; Object.keys(h).forEach(function (k) { o[k] = h[k][1]; }); return o; };
      ClientRequest.prototype.flushHeaders = function () {};
      ClientRequest.prototype.setNoDelay = function () {};
      ClientRequest.prototype.setSocketKeepAlive = function () {};
      ClientRequest.prototype.setTimeout = function (ms, cb) { this._timeout = Number(ms) || 0; if (cb) this.once('timeout', cb); return this; };
      ClientRequest.prototype.abort = function () { this.aborted = true; this.destroy(); };
      ClientRequest.prototype._destroy = function (err, cb) { this.aborted = true; cb(err); };
      ClientRequest.prototype._send = function () {
        var self = this;
        if (this.aborted) return;
        var headers = {};
        Object.keys(this._headers).forEach(function (k) { headers[self._headers[k][0]] = self._headers[k][1]; });
        var body = this._chunks.length ? Buffer.concat(this._chunks) : null;
        client.send({ method: this.method, url: this._url, headers: headers, body: body, timeout: this._timeout || undefined, followRedirects: false })
          .then(function (r) {
            if (self.aborted) return;
            var res = new IncomingMessage();
            res.statusCode = r.status;
            res.statusMessage = r.statusText || STATUS_CODES[r.status] || '';
            res.headers = r.headers;
            res.rawHeaders = r.rawHeaders;
            res.url = r.url;
            self.res = res;
            self.emit('response', res);
            if (r.body.length) res.push(r.body);
            res.complete = true;
            res.push(null);
          }, function (e) {
            if (self.aborted) return;
            if (e.code === 'ETIMEDOUT' && self.listenerCount('timeout') > 0) self.emit('timeout');
            self.emit('error', e);
          });
      };

      function normalize(input, options, cb) {
        if (typeof options === 'function') { cb = options; options = {}; }
        var o = {};
        if (typeof input === 'string' || (input && typeof input.href === 'string')) {
          var u = new URL(String(input.href || input));
          o = { protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: u.pathname + u.search };
          if (u.username) o.auth = decodeURIComponent(u.username) + ':' + decodeURIComponent(u.password);
          Object.assign(o, options || {});
        } else {
          o = Object.assign({}, input || {});
        }
        return [o, cb];
      }
      function request(input, options, cb) {
        var n = normalize(input, options, cb);
        if (n[0].protocol && n[0].protocol !== defaultProtocol) {
          var e = new TypeError('Protocol "' + n[0].protocol + '" not supported. Expected "' + defaultProtocol + '"');
          e.code = 'ERR_INVALID_PROTOCOL';
          throw e;
        }
        return new ClientRequest(n[0], n[1]);
      }
      function get(input, options, cb) { var r = request(input, options, cb); r.end(); return r; }
      function createServer() { var e = new Error(name + '.createServer: scripts cannot listen for connections'); e.code = 'ERR_NOT_SUPPORTED'; throw e; }

      exports.request = request;
      exports.get = get;
      exports.Agent = Agent;
      exports.globalAgent = globalAgent;
      exports.ClientRequest = ClientRequest;
      exports.IncomingMessage = IncomingMessage;
      exports.STATUS_CODES = STATUS_CODES;
      exports.METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
      exports.createServer = createServer;
      exports.Server = createServer;
      exports.maxHeaderSize = 16384;
    });
  }
  define('http', 'http:', 80);
  define('https', 'https:', 443);
})();
"""#
}

extension NodeSources {
    /// Node 18's web globals scripts and packages reach for: `EventTarget`/`Event`,
    /// `AbortController`/`AbortSignal` (with `abort()` and `timeout()`), `Blob` and `FormData`.
    static let web = #"""
rt.define('authsim:web', function (module, exports, require) {
  'use strict';
  var Buffer = require('buffer').Buffer;
  var kListeners = Symbol('listeners');

  function Event(type, init) {
    if (!(this instanceof Event)) throw new TypeError("Class constructor Event cannot be invoked without 'new'");
    this.type = String(type);
    this.bubbles = !!(init && init.bubbles);
    this.cancelable = !!(init && init.cancelable);
    this.defaultPrevented = false;
    this.timeStamp = rt.now();
    this.target = null;
    this.currentTarget = null;
  }
  Event.prototype.preventDefault = function () { if (this.cancelable) this.defaultPrevented = true; };
  Event.prototype.stopPropagation = function () {};
  Event.prototype.stopImmediatePropagation = function () { this._stopped = true; };

  function EventTarget() { Object.defineProperty(this, kListeners, { value: Object.create(null) }); }
  EventTarget.prototype.addEventListener = function (type, fn, options) {
    if (typeof fn !== 'function' && !(fn && typeof fn.handleEvent === 'function')) return;
    var list = this[kListeners][type] || (this[kListeners][type] = []);
    if (list.some(function (l) { return l.fn === fn; })) return;
    list.push({ fn: fn, once: !!(options && options.once) });
  };
  EventTarget.prototype.removeEventListener = function (type, fn) {
    var list = this[kListeners][type];
    if (list) this[kListeners][type] = list.filter(function (l) { return l.fn !== fn; });
  };
  EventTarget.prototype.dispatchEvent = function (event) {
    event.target = event.currentTarget = this;
    var handler = this['on' + event.type];
    if (typeof handler === 'function') handler.call(this, event);
    var list = (this[kListeners][event.type] || []).slice();
    for (var i = 0; i < list.length && !event._stopped; i++) {
      if (list[i].once) this.removeEventListener(event.type, list[i].fn);
      if (typeof list[i].fn === 'function') list[i].fn.call(this, event); else list[i].fn.handleEvent(event);
    }
    return !event.defaultPrevented;
  };

  function abortError(reason) {
    if (reason !== undefined) return reason;
    var e = new Error('This operation was aborted');
    e.name = 'AbortError';
    e.code = 20;
    return e;
  }
  function AbortSignal() { throw new TypeError('Illegal constructor'); }
  AbortSignal.prototype = Object.create(EventTarget.prototype, { constructor: { value: AbortSignal, writable: true, configurable: true } });
  function makeSignal() {
    var s = Object.create(AbortSignal.prototype);
    EventTarget.call(s);
    s.aborted = false;
    s.reason = undefined;
    s.onabort = null;
    return s;
  }
  function fire(signal, reason) {
    if (signal.aborted) return;
    signal.aborted = true;
    signal.reason = abortError(reason);
    signal.dispatchEvent(new Event('abort'));
  }
  AbortSignal.prototype.throwIfAborted = function () { if (this.aborted) throw this.reason; };
  AbortSignal.abort = function (reason) { var s = makeSignal(); fire(s, reason); return s; };
  AbortSignal.timeout = function (ms) {
    var s = makeSignal();
    setTimeout(function () {
      var e = new Error('The operation was aborted due to timeout');
      e.name = 'TimeoutError';
      e.code = 23;
      fire(s, e);
    }, ms);
    return s;
  };
  function AbortController() {
    if (!(this instanceof AbortController)) throw new TypeError("Class constructor AbortController cannot be invoked without 'new'");
    this.signal = makeSignal();
  }
  AbortController.prototype.abort = function (reason) { fire(this.signal, reason); };

  function bytesOf(part) {
    if (part instanceof Blob) return part._bytes;
    if (part instanceof ArrayBuffer) return Buffer.from(new Uint8Array(part));
    if (ArrayBuffer.isView(part)) return Buffer.from(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    return Buffer.from(String(part), 'utf8');
  }
  function Blob(parts, options) {
    if (!(this instanceof Blob)) throw new TypeError("Class constructor Blob cannot be invoked without 'new'");
    parts = parts === undefined ? [] : parts;
    if (typeof parts !== 'object' || parts === null || typeof parts[Symbol.iterator] !== 'function') {
      var e = new TypeError('The "sources" argument must be a sequence.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    this._bytes = Buffer.concat(Array.from(parts).map(bytesOf));
    this.type = options && options.type ? String(options.type).toLowerCase() : '';
    this.size = this._bytes.length;
  }
  Blob.prototype.text = function () { return Promise.resolve(this._bytes.toString('utf8')); };
  Blob.prototype.arrayBuffer = function () { var b = this._bytes; return Promise.resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
  Blob.prototype.slice = function (start, end, type) {
    var b = new Blob([this._bytes.slice(start === undefined ? 0 : start, end === undefined ? this.size : end)], { type: type || '' });
    return b;
  };
  Object.defineProperty(Blob.prototype, Symbol.toStringTag, { value: 'Blob' });

  function FormData() {
    if (!(this instanceof FormData)) throw new TypeError("Class constructor FormData cannot be invoked without 'new'");
    this._entries = [];
  }
  function entryValue(value, filename) {
    if (value instanceof Blob) { if (filename !== undefined || !value.name) value.name = filename === undefined ? 'blob' : String(filename); return value; }
    return String(value);
  }
  FormData.prototype.append = function (name, value, filename) { this._entries.push([String(name), entryValue(value, filename)]); };
  FormData.prototype.set = function (name, value, filename) {
    name = String(name);
    var i = this._entries.findIndex(function (e) { return e[0] === name; });
    var v = entryValue(value, filename);
    this._entries = this._entries.filter(function (e, j) { return e[0] !== name || j === i; });
    if (i >= 0) this._entries[this._entries.findIndex(function (e) { return e[0] === name; })][1] = v; else this._entries.push([name, v]);
  };
  FormData.prototype.get = function (name) { var e = this._entries.find(function (x) { return x[0] === String(name); }); return e ? e[1] : null; };
  FormData.prototype.getAll = function (name) { return this._entries.filter(function (x) { return x[0] === String(name); }).map(function (x) { return x[1]; }); };
  FormData.prototype.has = function (name) { return this._entries.some(function (x) { return x[0] === String(name); }); };
  FormData.prototype.delete = function (name) { this._entries = this._entries.filter(function (x) { return x[0] !== String(name); }); };
  FormData.prototype.entries = function () { return this._entries.map(function (e) { return [e[0], e[1]]; })[Symbol.iterator](); };
  FormData.prototype.keys = function () { return this._entries.map(function (e) { return e[0]; })[Symbol.iterator](); };
  FormData.prototype.values = function () { return this._entries.map(function (e) { return e[1]; })[Symbol.iterator](); };
  FormData.prototype.forEach = function (fn, self) { var t = this; this._entries.forEach(function (e) { fn.call(self, e[1], e[0], t); }); };
  FormData.prototype[Symbol.iterator] = FormData.prototype.entries;
  Object.defineProperty(FormData.prototype, Symbol.toStringTag, { value: 'FormData' });

  exports.Event = Event;
  exports.EventTarget = EventTarget;
  exports.AbortController = AbortController;
  exports.AbortSignal = AbortSignal;
  exports.Blob = Blob;
  exports.FormData = FormData;
});
"""#
}
