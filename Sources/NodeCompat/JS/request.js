// `request`: the callback API (`request(opts, cb)`, `.get/.post/.put/.patch/.del/.head`,
// `.defaults`) with url/uri, baseUrl, method, json, headers, qs, form, body, auth, timeout.
rt.define('request', function (module, exports, require) {
  'use strict';
  var http = require('authsim:http');
  var Buffer = require('buffer').Buffer;
  var querystring = require('querystring');
  var EventEmitter = require('events');

  function params(uri, options, callback) {
    if (typeof options === 'function') { callback = options; options = undefined; }
    var o = {};
    if (uri && typeof uri === 'object') Object.assign(o, uri);
    else if (typeof uri === 'string') o.uri = uri;
    if (options && typeof options === 'object') Object.assign(o, options);
    if (typeof uri === 'string') o.uri = uri;
    o.callback = callback || o.callback;
    return o;
  }

  function Request(o) {
    EventEmitter.call(this);
    var self = this;
    var url = o.url || o.uri;
    if (url && typeof url === 'object') url = url.href || String(url);
    if (!url) { fail(self, o, new Error('options.uri is a required argument')); return; }
    url = String(url);
    if (o.baseUrl) url = String(o.baseUrl).replace(/\/$/, '') + '/' + url.replace(/^\//, '');
    if (o.qs && typeof o.qs === 'object') {
      var q = querystring.stringify(o.qs);
      if (q) url += (url.indexOf('?') >= 0 ? '&' : '?') + q;
    }
    var headers = Object.assign({}, o.headers || {});
    var body = o.body;
    if (o.form !== undefined) {
      body = typeof o.form === 'string' ? o.form : querystring.stringify(o.form);
      if (!http.hasHeader(headers, 'content-type')) headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (o.json !== undefined && o.json !== false) {
      if (!http.hasHeader(headers, 'accept')) headers.accept = 'application/json';
      if (typeof o.json === 'object' && body === undefined) body = o.json;
      if (body !== undefined && !(typeof body === 'string') && !Buffer.isBuffer(body)) {
        body = JSON.stringify(body);
        if (!http.hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
      }
    }
    if (o.auth) {
      if (o.auth.bearer) headers.authorization = 'Bearer ' + (typeof o.auth.bearer === 'function' ? o.auth.bearer() : o.auth.bearer);
      else headers.authorization = http.basic(o.auth.user !== undefined ? o.auth.user : o.auth.username, o.auth.pass !== undefined ? o.auth.pass : o.auth.password);
    }
    var method = String(o.method || 'GET').toUpperCase();
    this.uri = { href: url };
    this.method = method;
    this.headers = headers;
    var follow = method === 'GET' || method === 'HEAD' ? o.followRedirect !== false : !!o.followAllRedirects;
    this._aborted = false;
    http.send({ method: method, url: url, headers: headers, body: body, timeout: o.timeout, followRedirects: follow, maxRedirects: o.maxRedirects }).then(function (r) {
      if (self._aborted) return;
      var text = o.encoding === null ? r.body : r.body.toString(o.encoding || 'utf8');
      var parsed = text;
      if (o.json && typeof text === 'string') {
        try { parsed = text === '' ? undefined : JSON.parse(text); } catch (e) { parsed = text; }
      }
      var response = {
        statusCode: r.status, statusMessage: r.statusText, headers: r.headers, rawHeaders: r.rawHeaders, body: parsed,
        request: { uri: { href: r.url }, method: method, headers: headers }, url: r.url, httpVersion: '1.1',
        caseless: { get: function (n) { return r.headers[String(n).toLowerCase()]; } },
        toJSON: function () { return { statusCode: r.status, body: parsed, headers: r.headers, request: { uri: { href: r.url }, method: method, headers: headers } }; }
      };
      self.response = response;
      // Outside the promise chain, like Node's callbacks: an exception thrown by the script's
      // callback is an uncaught exception (it fails the rule now, not at the deadline).
      setImmediate(function () {
        self.emit('response', response);
        self.emit('data', r.body);
        self.emit('end');
        self.emit('complete', response, parsed);
        if (o.callback) o.callback(null, response, parsed);
      });
    }, function (e) {
      if (self._aborted) return;
      if (e.code === 'ETIMEDOUT' && e.timeout) { e.connect = false; }
      setImmediate(function () { fail(self, o, e); });
    });
  }
  Object.setPrototypeOf(Request.prototype, EventEmitter.prototype);
  Request.prototype.abort = function () { this._aborted = true; this.emit('abort'); };
  Request.prototype.pipe = function () { throw new Error('request(...).pipe() is not supported by authsim'); };
  function fail(self, o, e) {
    if (o.callback) o.callback(e);
    else if (self.listenerCount('error')) self.emit('error', e);
    else throw e;
  }

  function make(defaults) {
    function request(uri, options, callback) {
      var o = params(uri, options, callback);
      var merged = Object.assign({}, defaults, o);
      if (defaults.headers || o.headers) merged.headers = Object.assign({}, defaults.headers, o.headers);
      return new Request(merged);
    }
    function verb(method) {
      return function (uri, options, callback) {
        var o = params(uri, options, callback);
        o.method = method;
        return request(o, o.callback);
      };
    }
    request.get = verb('GET');
    request.post = verb('POST');
    request.put = verb('PUT');
    request.patch = verb('PATCH');
    request.del = request['delete'] = verb('DELETE');
    request.head = verb('HEAD');
    request.options = verb('OPTIONS');
    request.defaults = function (more) {
      var d = Object.assign({}, defaults, more);
      if (defaults.headers || (more && more.headers)) d.headers = Object.assign({}, defaults.headers, more && more.headers);
      return make(d);
    };
    request.Request = Request;
    return request;
  }
  module.exports = make({});
  rt.protectClasses([Request]);
});
