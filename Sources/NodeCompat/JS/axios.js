// `axios`: instance and verb methods, create/defaults, interceptors, params, auth,
// validateStatus, responseType and axios-shaped errors.
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
