// `tls`: TLS client sockets — `connect` (a new connection, or on an open `socket`, as pg
// does after its SSLRequest) and `TLSSocket` — verifying the server's certificate against
// the system's roots or `ca`, and its name, unless `rejectUnauthorized: false`.
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
