// `querystring`: parse/stringify/escape/unescape (and the decode/encode aliases).
rt.define('querystring', function (module, exports) {
  'use strict';
  function unescape(s) {
    try { return decodeURIComponent(s); }
    catch (e) {
      return s.replace(/%([0-9a-fA-F]{2})/g, function (m, h) { return String.fromCharCode(parseInt(h, 16)); });
    }
  }
  function escape(s) { return encodeURIComponent(s); }
  function stringifyPrimitive(v) {
    if (typeof v === 'string') return v;
    if ((typeof v === 'number' && isFinite(v)) || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
    return '';
  }
  function parse(str, sep, eq, options) {
    sep = sep || '&'; eq = eq || '=';
    var out = Object.create(null);
    if (typeof str !== 'string' || str.length === 0) return out;
    var maxKeys = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
    var decode = (options && options.decodeURIComponent) || unescape;
    var parts = str.split(sep);
    if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i].replace(/\+/g, '%20');
      if (p === '') continue;
      var idx = p.indexOf(eq);
      var k = decode(idx >= 0 ? p.slice(0, idx) : p);
      var v = idx >= 0 ? decode(p.slice(idx + eq.length)) : '';
      if (!(k in out)) out[k] = v;
      else if (Array.isArray(out[k])) out[k].push(v);
      else out[k] = [out[k], v];
    }
    return out;
  }
  function stringify(obj, sep, eq, options) {
    sep = sep || '&'; eq = eq || '=';
    var encode = (options && options.encodeURIComponent) || escape;
    if (obj === null || typeof obj !== 'object') return '';
    return Object.keys(obj).map(function (k) {
      var ks = encode(stringifyPrimitive(k)) + eq;
      var v = obj[k];
      if (Array.isArray(v)) return v.map(function (x) { return ks + encode(stringifyPrimitive(x)); }).join(sep);
      return ks + encode(stringifyPrimitive(v));
    }).filter(function (s) { return s.length > 0; }).join(sep);
  }
  exports.parse = exports.decode = parse;
  exports.stringify = exports.encode = stringify;
  exports.escape = escape;
  exports.unescape = unescape;
});
