// `node-fetch` (v2 API) and the global `fetch`: Headers, Request, Response, FetchError.
rt.define('node-fetch', function (module, exports, require) {
  'use strict';
  var http = require('authsim:http');
  var Buffer = require('buffer').Buffer;
  var URLSearchParams = require('url').URLSearchParams;

  function FetchError(message, type, systemError) {
    var e = new Error(message);
    Object.setPrototypeOf(e, FetchError.prototype);
    e.name = 'FetchError';
    e.type = type;
    if (systemError) { e.code = e.errno = systemError.code; }
    return e;
  }
  FetchError.prototype = Object.create(Error.prototype, { constructor: { value: FetchError } });

  function Headers(init) {
    this._map = new Map();
    if (init instanceof Headers) { var self = this; init.forEach(function (v, k) { self.append(k, v); }); }
    else if (Array.isArray(init)) for (var i = 0; i < init.length; i++) this.append(init[i][0], init[i][1]);
    else if (init && typeof init === 'object') for (var k in init) if (Object.prototype.hasOwnProperty.call(init, k)) this.append(k, init[k]);
  }
  Headers.prototype.append = function (k, v) {
    k = String(k).toLowerCase(); v = String(v);
    var list = this._map.get(k);
    if (list) list.push(v); else this._map.set(k, [v]);
  };
  Headers.prototype.set = function (k, v) { this._map.set(String(k).toLowerCase(), [String(v)]); };
  Headers.prototype.get = function (k) { var l = this._map.get(String(k).toLowerCase()); return l ? l.join(', ') : null; };
  Headers.prototype.has = function (k) { return this._map.has(String(k).toLowerCase()); };
  Headers.prototype.delete = function (k) { this._map.delete(String(k).toLowerCase()); };
  Headers.prototype.raw = function () { var o = {}; this._map.forEach(function (v, k) { o[k] = v.slice(); }); return o; };
  Headers.prototype.forEach = function (fn, thisArg) {
    var self = this;
    Array.from(this._map.keys()).sort().forEach(function (k) { fn.call(thisArg, self.get(k), k, self); });
  };
  Headers.prototype.entries = function () { var out = []; this.forEach(function (v, k) { out.push([k, v]); }); return out[Symbol.iterator](); };
  Headers.prototype.keys = function () { return Array.from(this._map.keys()).sort()[Symbol.iterator](); };
  Headers.prototype.values = function () { var out = []; this.forEach(function (v) { out.push(v); }); return out[Symbol.iterator](); };
  Headers.prototype[Symbol.iterator] = Headers.prototype.entries;
  Headers.prototype.getSetCookie = function () { return (this._map.get('set-cookie') || []).slice(); };
  function plainHeaders(h) { var o = {}; h._map.forEach(function (v, k) { o[k] = v.length === 1 ? v[0] : v; }); return o; }

  function Body(body) { this._body = body === undefined || body === null ? null : body; this.bodyUsed = false; }
  function consume(self) {
    if (self.bodyUsed) return Promise.reject(new TypeError('body used already for: ' + self.url));
    self.bodyUsed = true;
    var b = self._body;
    if (b === null) return Promise.resolve(Buffer.alloc(0));
    if (typeof b === 'string') return Promise.resolve(Buffer.from(b, 'utf8'));
    if (b instanceof URLSearchParams) return Promise.resolve(Buffer.from(b.toString(), 'utf8'));
    return Promise.resolve(Buffer.from(b));
  }
  function mixin(proto) {
    proto.buffer = function () { return consume(this); };
    proto.arrayBuffer = function () { return consume(this).then(function (b) { return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }); };
    proto.text = function () { return consume(this).then(function (b) { return b.toString('utf8'); }); };
    proto.json = function () {
      var self = this;
      return this.text().then(function (t) {
        try { return JSON.parse(t); }
        catch (e) { throw FetchError('invalid json response body at ' + self.url + ' reason: ' + e.message, 'invalid-json'); }
      });
    };
  }

  function Response(body, init) {
    init = init || {};
    Body.call(this, body);
    this.status = init.status === undefined ? 200 : init.status;
    this.statusText = init.statusText || '';
    this.headers = new Headers(init.headers);
    this.url = init.url || '';
    this.redirected = !!init.redirected;
    this.ok = this.status >= 200 && this.status < 300;
    this.type = 'default';
  }
  mixin(Response.prototype);
  Response.prototype.clone = function () {
    if (this.bodyUsed) throw new Error('cannot clone body after it is used');
    return new Response(this._body, { status: this.status, statusText: this.statusText, headers: this.headers, url: this.url, redirected: this.redirected });
  };
  Response.json = function (data, init) {
    var r = new Response(JSON.stringify(data), init);
    if (!r.headers.has('content-type')) r.headers.set('content-type', 'application/json');
    return r;
  };

  function Request(input, init) {
    init = init || {};
    var src = input instanceof Request ? input : null;
    this.url = src ? src.url : String(input && input.href ? input.href : input);
    this.method = String(init.method || (src && src.method) || 'GET').toUpperCase();
    this.headers = new Headers(init.headers || (src && src.headers) || {});
    this.redirect = init.redirect || (src && src.redirect) || 'follow';
    this.timeout = init.timeout || (src && src.timeout) || 0;
    Body.call(this, init.body !== undefined ? init.body : src ? src._body : null);
  }
  mixin(Request.prototype);
  Request.prototype.clone = function () { return new Request(this); };

  function fetch(input, init) {
    return new Promise(function (resolve, reject) {
      var req = new Request(input, init);
      if (!/^https?:\/\//i.test(req.url)) throw new TypeError('Only absolute URLs are supported');
      var body = req._body;
      if (body instanceof URLSearchParams) {
        if (!req.headers.has('content-type')) req.headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
        body = body.toString();
      } else if (typeof body === 'string' && !req.headers.has('content-type')) {
        req.headers.set('content-type', 'text/plain;charset=UTF-8');
      } else if (body !== null && typeof body === 'object' && !ArrayBuffer.isView(body) && !(body instanceof ArrayBuffer)) {
        body = String(body);
      }
      if (!req.headers.has('accept')) req.headers.set('accept', '*/*');
      http.send({ method: req.method, url: req.url, headers: plainHeaders(req.headers), body: body, timeout: req.timeout, followRedirects: req.redirect === 'follow', maxRedirects: 20 }).then(function (r) {
        if (req.redirect === 'error' && r.status >= 300 && r.status < 400) {
          throw FetchError('uri requested responds with a redirect, redirect mode is set to error: ' + req.url, 'no-redirect');
        }
        var headers = new Headers();
        for (var i = 0; i < r.rawHeaders.length; i += 2) headers.append(r.rawHeaders[i], r.rawHeaders[i + 1]);
        resolve(new Response(r.body, { status: r.status, statusText: r.statusText, headers: headers, url: r.url, redirected: r.redirected }));
      }).catch(function (e) {
        if (e instanceof FetchError) return reject(e);
        if (e.code === 'ETIMEDOUT' && req.timeout) return reject(FetchError('network timeout at: ' + req.url, 'request-timeout'));
        reject(FetchError('request to ' + req.url + ' failed, reason: ' + e.message, 'system', e));
      });
    });
  }
  fetch.default = fetch;
  fetch.Headers = Headers;
  fetch.Request = Request;
  fetch.Response = Response;
  fetch.FetchError = FetchError;
  fetch.isRedirect = function (code) { return code === 301 || code === 302 || code === 303 || code === 307 || code === 308; };
  module.exports = fetch;
  rt.protectClasses([FetchError, Headers]);
});
