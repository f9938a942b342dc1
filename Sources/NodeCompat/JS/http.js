// `http` and `https` clients: `request`/`get` with a `ClientRequest` (a Writable that
// collects the body) and an `IncomingMessage` (a Readable of the response body), over the
// same host HTTP client as `request`/`axios`/`fetch` (allow-list, TLS with verification,
// time limit). Redirects are not followed, as in Node. No servers.
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
