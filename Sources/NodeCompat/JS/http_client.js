// The one request primitive behind every HTTP client: the host performs the call (allow-list,
// redirects, time limit) and each call is reported to `rt.outbound` for the trace.
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
