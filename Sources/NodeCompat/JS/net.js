// `net`: client TCP sockets (`Socket` is a Duplex stream over the host's socket calls).
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
  // these objects (a script may keep one in `global`) learn it silently, so that a later
  // login's write fails at once instead of waiting. No script code may run while a job ends
  // (the put-back has checked the built-ins by then, and what a setter or trap changed would
  // stay for the next login): the list is the runtime's own Map (an array would meet a
  // script's Array.prototype.push, which would be handed the list); an object scripts share
  // (`_register` may be called on anything: TLSSocket.prototype, a built-in prototype) or a
  // proxy is not marked; and the fields are defined, not assigned (an assignment would run a
  // setter the script put on its socket).
  var P = rt.primordials;
  var live = new P.Map();
  function defineField(o, key, value) {
    P.defineProperty(o, key, { __proto__: null, value: value, writable: true, enumerable: true, configurable: true });
  }
  rt.onRestore(function () {
    P.mapForEach(live, function (_, s) {
      if (rt.isShared(s)) return;
      try { defineField(s, '_jobEnded', true); defineField(s, '_id', null); defineField(s, '_pumping', false); } catch (e) {}
    });
    live = new P.Map();
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

  rt.primordials.defineProperty(Socket.prototype, 'bytesWritten', { get: function () { return this._written; } });
  rt.primordials.defineProperty(Socket.prototype, 'readyState', {
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

  Socket.prototype._register = function () { P.mapSet(live, this, true); };
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
