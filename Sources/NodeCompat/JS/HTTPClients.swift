extension NodeSources {
    /// The one request primitive behind every HTTP client: the host performs the call (allow-list,
    /// redirects, time limit) and each call is reported to `rt.outbound` for the trace.
    static let httpClient = #"""
rt.define('authsim:http', function (module, exports, require) {
  'use strict';
  var Buffer = require('buffer').Buffer;
  function send(opts) {
    var started = rt.now();
    var record = { method: String(opts.method || 'GET').toUpperCase(), url: String(opts.url), status: null, durationMs: null, error: null };
    if (typeof rt.outbound === 'function') {
      try { rt.outbound(record); } catch (e) {}
    }
    var remaining = Math.max(1, rt.remaining());
    var timeout = opts.timeout > 0 ? Math.min(opts.timeout, remaining) : remaining;
    var headers = [];
    var h = opts.headers || {};
    Object.keys(h).forEach(function (k) {
      var v = h[k];
      if (v === undefined || v === null) return;
      if (Array.isArray(v)) v.forEach(function (x) { headers.push([k, String(x)]); });
      else headers.push([k, String(v)]);
    });
    var body = null;
    if (opts.body !== undefined && opts.body !== null) {
      body = (typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : Buffer.from(opts.body)).toString('base64');
    }
    return rt.callAsync('node.http', {
      method: record.method, url: record.url, headers: headers, body: body, timeoutMs: timeout,
      followRedirects: opts.followRedirects !== false, maxRedirects: opts.maxRedirects === undefined ? 10 : opts.maxRedirects
    }).then(function (r) {
      record.durationMs = rt.now() - started;
      if (r.error) {
        var timedOut = r.error.code === 'ETIMEDOUT';
        var e = new Error(r.error.message);
        e.code = r.error.code;
        if (timedOut && opts.timeout > 0 && opts.timeout <= remaining) e.timeout = opts.timeout;
        record.error = r.error.message;
        throw e;
      }
      record.status = r.status;
      if (r.url !== record.url) record.finalUrl = r.url;
      var out = {}, raw = [];
      r.headers.forEach(function (p) {
        raw.push(p[0], p[1]);
        if (p[0] === 'set-cookie') (out[p[0]] = out[p[0]] || []).push(p[1]);
        else out[p[0]] = out[p[0]] === undefined ? p[1] : out[p[0]] + ', ' + p[1];
      });
      return { status: r.status, statusText: r.statusText, headers: out, rawHeaders: raw, body: Buffer.from(r.body, 'base64'), url: r.url, redirected: r.redirects > 0 };
    }, function (e) {
      record.durationMs = rt.now() - started;
      record.error = e.message;
      throw e;
    });
  }
  function basic(user, pass) { return 'Basic ' + Buffer.from(String(user) + ':' + String(pass || ''), 'utf8').toString('base64'); }
  function hasHeader(headers, name) {
    name = name.toLowerCase();
    return Object.keys(headers).some(function (k) { return k.toLowerCase() === name; });
  }
  exports.send = send;
  exports.basic = basic;
  exports.hasHeader = hasHeader;
});
"""#

    /// `request`: the callback API (`request(opts, cb)`, `.get/.post/.put/.patch/.del/.head`,
    /// `.defaults`) with url/uri, baseUrl, method, json, headers, qs, form, body, auth, timeout.
    static let request = #"""
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
"""#

    /// `axios`: instance and verb methods, create/defaults, interceptors, params, auth,
    /// validateStatus, responseType and axios-shaped errors.
    static let axios = #"""
rt.define('axios', function (module, exports, require) {
  'use strict';
  var http = require('authsim:http');
  var Buffer = require('buffer').Buffer;
  var URLSearchParams = require('url').URLSearchParams;

  function AxiosError(message, code, config, response) {
    var e = new Error(message);
    Object.setPrototypeOf(e, AxiosError.prototype);
    e.name = 'AxiosError';
    e.code = code;
    e.config = config;
    e.request = {};
    if (response) { e.response = response; e.status = response.status; }
    e.isAxiosError = true;
    e.toJSON = function () { return { message: e.message, name: e.name, code: e.code, status: e.status }; };
    return e;
  }
  AxiosError.prototype = Object.create(Error.prototype, { constructor: { value: AxiosError } });

  function serializeParams(params) {
    if (!params) return '';
    if (params instanceof URLSearchParams) return params.toString();
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === undefined || v === null) return;
      var key = Array.isArray(v) ? k + '[]' : k;
      (Array.isArray(v) ? v : [v]).forEach(function (x) {
        if (x instanceof Date) x = x.toISOString();
        else if (typeof x === 'object') x = JSON.stringify(x);
        parts.push(encodeURIComponent(key).replace(/%5B/g, '[').replace(/%5D/g, ']') + '=' + encodeURIComponent(x).replace(/%20/g, '+'));
      });
    });
    return parts.join('&');
  }

  function InterceptorManager() { this.handlers = []; }
  InterceptorManager.prototype.use = function (fulfilled, rejected) { this.handlers.push({ fulfilled: fulfilled, rejected: rejected }); return this.handlers.length - 1; };
  InterceptorManager.prototype.eject = function (id) { if (this.handlers[id]) this.handlers[id] = null; };
  InterceptorManager.prototype.clear = function () { this.handlers = []; };
  InterceptorManager.prototype.forEach = function (fn) { this.handlers.forEach(function (h) { if (h) fn(h); }); };

  function flatHeaders(defaults, config) {
    var method = (config.method || 'get').toLowerCase();
    var h = Object.assign({}, defaults.headers.common, defaults.headers[method]);
    Object.keys(defaults.headers).forEach(function (k) {
      if (['common', 'get', 'post', 'put', 'patch', 'delete', 'head', 'options'].indexOf(k) < 0) h[k] = defaults.headers[k];
    });
    return Object.assign(h, config.headers || {});
  }

  function dispatch(config) {
    var url = config.url || '';
    if (config.baseURL && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = config.baseURL.replace(/\/+$/, '') + '/' + url.replace(/^\/+/, '');
    var q = serializeParams(config.params);
    if (q) url += (url.indexOf('?') >= 0 ? '&' : '?') + q;
    var headers = config.headers;
    var data = config.data;
    if (data instanceof URLSearchParams) {
      if (!http.hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded;charset=utf-8';
      data = data.toString();
    } else if (data !== undefined && data !== null && typeof data === 'object' && !ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer)) {
      if (!http.hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
      data = JSON.stringify(data);
    } else if (typeof data === 'string' && !http.hasHeader(headers, 'content-type')) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    if (config.auth) headers.Authorization = http.basic(config.auth.username, config.auth.password);
    Object.keys(headers).forEach(function (k) { if (headers[k] === undefined || headers[k] === null) delete headers[k]; });
    return http.send({
      method: config.method || 'get', url: url, headers: headers, body: data, timeout: config.timeout,
      followRedirects: config.maxRedirects !== 0, maxRedirects: config.maxRedirects
    }).then(function (r) {
      var type = config.responseType || 'json';
      var payload;
      if (type === 'arraybuffer' || type === 'stream') payload = r.body;
      else {
        payload = r.body.toString(config.responseEncoding || 'utf8');
        if (type === 'json' && payload !== '') { try { payload = JSON.parse(payload); } catch (e) {} }
      }
      var response = { data: payload, status: r.status, statusText: r.statusText, headers: r.headers, config: config, request: { res: { responseUrl: r.url } } };
      var validate = config.validateStatus === undefined ? function (s) { return s >= 200 && s < 300; } : config.validateStatus;
      if (!validate || validate(r.status)) return response;
      throw AxiosError('Request failed with status code ' + r.status, r.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST', config, response);
    }, function (e) {
      if (e.isAxiosError) throw e;
      if (e.code === 'ETIMEDOUT' && config.timeout > 0) throw AxiosError('timeout of ' + config.timeout + 'ms exceeded', 'ECONNABORTED', config);
      throw AxiosError(e.message, e.code, config);
    });
  }

  function create(instanceDefaults) {
    var defaults = {
      headers: { common: { Accept: 'application/json, text/plain, */*' }, get: {}, post: {}, put: {}, patch: {}, delete: {}, head: {}, options: {} },
      timeout: 0, maxRedirects: 5
    };
    if (instanceDefaults) {
      Object.keys(instanceDefaults).forEach(function (k) {
        if (k !== 'headers') { defaults[k] = instanceDefaults[k]; return; }
        Object.keys(instanceDefaults.headers).forEach(function (h) {
          var v = instanceDefaults.headers[h];
          defaults.headers[h] = v && typeof v === 'object' ? Object.assign({}, defaults.headers[h], v) : v;
        });
      });
    }
    var interceptors = { request: new InterceptorManager(), response: new InterceptorManager() };
    function request(configOrUrl, config) {
      if (typeof configOrUrl === 'string') { config = Object.assign({}, config || {}); config.url = configOrUrl; }
      else config = Object.assign({}, configOrUrl || {});
      var merged = Object.assign({}, defaults, config);
      merged.method = String(merged.method || 'get').toLowerCase();
      merged.headers = flatHeaders(defaults, config);
      var chain = [];
      interceptors.request.forEach(function (h) { chain.unshift(h); });
      chain.push({ fulfilled: dispatch });
      interceptors.response.forEach(function (h) { chain.push(h); });
      var p = Promise.resolve(merged);
      chain.forEach(function (h) { p = p.then(h.fulfilled, h.rejected); });
      return p;
    }
    var axios = function (configOrUrl, config) { return request(configOrUrl, config); };
    axios.request = request;
    ['get', 'delete', 'head', 'options'].forEach(function (m) {
      axios[m] = function (url, config) { return request(Object.assign({}, config || {}, { url: url, method: m })); };
    });
    ['post', 'put', 'patch'].forEach(function (m) {
      axios[m] = function (url, data, config) { return request(Object.assign({}, config || {}, { url: url, method: m, data: data })); };
    });
    axios.defaults = defaults;
    axios.interceptors = interceptors;
    axios.create = function (more) {
      // Instances never share header objects with their parent (as in axios).
      var d = Object.assign({}, defaults, more || {});
      d.headers = {};
      Object.keys(defaults.headers).forEach(function (k) {
        var v = defaults.headers[k];
        d.headers[k] = v && typeof v === 'object' ? Object.assign({}, v) : v;
      });
      Object.keys((more && more.headers) || {}).forEach(function (k) {
        var v = more.headers[k];
        d.headers[k] = v && typeof v === 'object' ? Object.assign({}, d.headers[k], v) : v;
      });
      return create(d);
    };
    axios.getUri = function (config) { return (config.baseURL || '') + (config.url || '') + (config.params ? '?' + serializeParams(config.params) : ''); };
    axios.isAxiosError = function (e) { return !!(e && e.isAxiosError); };
    axios.AxiosError = AxiosError;
    axios.all = function (ps) { return Promise.all(ps); };
    axios.spread = function (fn) { return function (arr) { return fn.apply(null, arr); }; };
    axios.default = axios;
    return axios;
  }
  module.exports = create();
  rt.protectClasses([AxiosError, InterceptorManager]);
});
"""#

    /// `node-fetch` (v2 API) and the global `fetch`: Headers, Request, Response, FetchError.
    static let nodeFetch = #"""
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
"""#
}
