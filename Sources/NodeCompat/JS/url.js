// `url`: the WHATWG `URL` and `URLSearchParams`, and the legacy `parse`/`format`/`resolve`.
rt.define('url', function (module, exports, require) {
  'use strict';
  var querystring = require('querystring'), punycode = require('punycode');
  var SPECIAL = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };

  function invalid(input) {
    var e = new TypeError('Invalid URL');
    e.code = 'ERR_INVALID_URL';
    e.input = input;
    return e;
  }
  // Percent-encodes the characters of `set` and everything outside printable ASCII.
  function encodeSet(s, set) {
    var out = '';
    for (var i = 0; i < s.length; i++) {
      var ch = s[i], c = s.charCodeAt(i);
      if (c < 0x21 || c > 0x7e || set.indexOf(ch) >= 0) {
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { ch = s.slice(i, i + 2); i++; }
        out += encodeURIComponent(ch);
      } else out += ch;
    }
    return out;
  }
  var PATH_SET = ' "#<>?`{}';
  var QUERY_SET = ' "#<>';
  var SPECIAL_QUERY_SET = ' "#<>\'';
  var FRAGMENT_SET = ' "<>`';
  var USERINFO_SET = ' "#<>?`{}/:;=@[\\]^|';

  function normalizePath(segments) {
    var out = [];
    for (var i = 0; i < segments.length; i++) {
      var s = segments[i], low = s.toLowerCase();
      if (s === '..' || low === '.%2e' || low === '%2e.' || low === '%2e%2e') {
        if (out.length) out.pop();
        if (i === segments.length - 1) out.push('');
      } else if (s === '.' || low === '%2e') {
        if (i === segments.length - 1) out.push('');
      } else out.push(s);
    }
    return out;
  }

  // A host name with non-ASCII letters, as the WHATWG parser (UTS #46) gives it: compatibility
  // forms and case folded, IDNA dots taken as dots, each such label in Punycode
  // (`bücher.example` → `xn--bcher-kva.example`); null when it cannot be encoded.
  // A label already in Punycode must decode, to no control character (`xn--`, `xn--a` do not).
  function asciiHost(h) {
    var out = h.toLowerCase();
    if (/[^\0-\x7F]/.test(h)) {
      try { out = punycode.toASCII(h.normalize('NFKC').toLowerCase().replace(/[\u3002\uFF0E\uFF61]/g, '.').replace(/\u00AD/g, '')); }
      catch (e) { return null; }
    }
    var labels = out.split('.');
    for (var i = 0; i < labels.length; i++) {
      if (labels[i].slice(0, 4) !== 'xn--') continue;
      var decoded;
      try { decoded = punycode.decode(labels[i].slice(4)); } catch (e) { return null; }
      if (decoded === '' || /[\0-\x1F\x7F-\x9F]/.test(decoded)) return null;
    }
    return out;
  }
  var FORBIDDEN_HOST = /[\u0000\t\n\r #%\/:<>?@\[\\\]^|]/;
  function parseHost(host, special, input) {
    if (host.charAt(0) === '[') {
      if (host.charAt(host.length - 1) !== ']' || !/^\[[0-9a-fA-F:.]+\]$/.test(host)) throw invalid(input);
      return host.toLowerCase();
    }
    var h;
    try { h = decodeURIComponent(host); } catch (e) { throw invalid(input); }
    if (special) {
      h = asciiHost(h);
      if (h === null) throw invalid(input);
      if (h === '' && special) throw invalid(input);
      if (/[\u0000\t\n\r #%\/:<>?@\[\\\]^|]/.test(h)) throw invalid(input);
    } else if (/[\u0000\t\n\r #\/:<>?@\[\\\]^|]/.test(host)) throw invalid(input);
    return special ? h : host;
  }

  // Parses `input` (already stripped) into record fields, against an optional base record.
  function parse(input, base) {
    var raw = input;
    input = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
    var r = { protocol: '', username: '', password: '', hostname: '', port: '', path: [], opaque: null, query: null, fragment: null, hasAuthority: false };
    var m = /^([a-zA-Z][a-zA-Z0-9+\-.]*):/.exec(input);
    var rest;
    if (m) {
      r.protocol = m[1].toLowerCase() + ':';
      rest = input.slice(m[0].length);
      var special = r.protocol in SPECIAL;
      if (special && base && base.protocol === r.protocol && !/^[\/\\]/.test(rest)) {
        return relative(rest, base, raw);
      }
      if (special) {
        rest = rest.replace(/^[\/\\]*/, '');
        return authorityAndPath(r, rest, raw);
      }
      if (rest.slice(0, 2) === '//') return authorityAndPath(r, rest.slice(2), raw);
      // Opaque path (mailto:, urn:, data:, …).
      var hashAt = rest.indexOf('#');
      if (hashAt >= 0) { r.fragment = encodeSet(rest.slice(hashAt + 1), FRAGMENT_SET); rest = rest.slice(0, hashAt); }
      var qAt = rest.indexOf('?');
      if (qAt >= 0) { r.query = encodeSet(rest.slice(qAt + 1), QUERY_SET); rest = rest.slice(0, qAt); }
      if (rest.charAt(0) === '/') { r.path = normalizePath(rest.slice(1).split('/')).map(function (s) { return encodeSet(s, PATH_SET); }); }
      else r.opaque = encodeSet(rest, '');
      return r;
    }
    if (!base) throw invalid(raw);
    return relative(input, base, raw);
  }

  function relative(input, base, raw) {
    if (base.opaque !== null) {
      if (input.charAt(0) !== '#') throw invalid(raw);
      var o = copy(base);
      o.fragment = encodeSet(input.slice(1), FRAGMENT_SET);
      return o;
    }
    var special = base.protocol in SPECIAL;
    var r = copy(base);
    r.fragment = null;
    if (special ? /^[\/\\]{2}/.test(input) : input.slice(0, 2) === '//') {
      r.username = r.password = r.hostname = r.port = '';
      r.query = null;
      r.path = [];
      return authorityAndPath(r, special ? input.replace(/^[\/\\]*/, '') : input.slice(2), raw);
    }
    var hashAt = input.indexOf('#');
    var frag = null;
    if (hashAt >= 0) { frag = input.slice(hashAt + 1); input = input.slice(0, hashAt); }
    var qAt = input.indexOf('?');
    var query = null;
    if (qAt >= 0) { query = input.slice(qAt + 1); input = input.slice(0, qAt); }
    if (input === '') {
      if (query !== null) r.query = encodeSet(query, special ? SPECIAL_QUERY_SET : QUERY_SET);
    } else {
      var p = special ? input.replace(/\\/g, '/') : input;
      var segments;
      if (p.charAt(0) === '/') segments = p.slice(1).split('/');
      else segments = base.path.slice(0, -1).concat(p.split('/'));
      r.path = normalizePath(segments).map(function (s) { return encodeSet(s, PATH_SET); });
      r.query = query === null ? null : encodeSet(query, special ? SPECIAL_QUERY_SET : QUERY_SET);
    }
    if (frag !== null) r.fragment = encodeSet(frag, FRAGMENT_SET);
    return r;
  }

  function authorityAndPath(r, rest, raw) {
    var special = r.protocol in SPECIAL;
    var end = rest.search(special ? /[\/\\?#]/ : /[\/?#]/);
    var authority = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? '' : rest.slice(end);
    r.hasAuthority = true;
    var at = authority.lastIndexOf('@');
    if (at >= 0) {
      var info = authority.slice(0, at);
      authority = authority.slice(at + 1);
      var colon = info.indexOf(':');
      r.username = encodeSet(colon >= 0 ? info.slice(0, colon) : info, USERINFO_SET);
      r.password = colon >= 0 ? encodeSet(info.slice(colon + 1), USERINFO_SET) : '';
    }
    var pm = /:(\d*)$/.exec(authority);
    if (pm && authority.charAt(authority.length - 1) !== ']') {
      authority = authority.slice(0, pm.index);
      if (pm[1] !== '') {
        var n = parseInt(pm[1], 10);
        if (n > 65535) throw invalid(raw);
        r.port = String(n) === SPECIAL[r.protocol] ? '' : String(n);
      }
    } else if (/:[^\]]*$/.test(authority) && authority.charAt(0) !== '[') throw invalid(raw);
    r.hostname = parseHost(authority, special && r.protocol !== 'file:', raw);
    var hashAt = rest.indexOf('#');
    if (hashAt >= 0) { r.fragment = encodeSet(rest.slice(hashAt + 1), FRAGMENT_SET); rest = rest.slice(0, hashAt); }
    var qAt = rest.indexOf('?');
    if (qAt >= 0) { r.query = encodeSet(rest.slice(qAt + 1), special ? SPECIAL_QUERY_SET : QUERY_SET); rest = rest.slice(0, qAt); }
    if (special) rest = rest.replace(/\\/g, '/');
    if (rest === '' && special) r.path = [''];
    else if (rest === '') r.path = [];
    else r.path = normalizePath(rest.slice(1).split('/')).map(function (s) { return encodeSet(s, PATH_SET); });
    return r;
  }

  function copy(r) {
    return { protocol: r.protocol, username: r.username, password: r.password, hostname: r.hostname, port: r.port,
      path: r.path.slice(), opaque: r.opaque, query: r.query, fragment: r.fragment, hasAuthority: r.hasAuthority };
  }

  function serialize(r, noFragment) {
    var s = r.protocol;
    if (r.hasAuthority) {
      s += '//';
      if (r.username || r.password) s += r.username + (r.password ? ':' + r.password : '') + '@';
      s += r.hostname + (r.port ? ':' + r.port : '');
    }
    s += r.opaque !== null ? r.opaque : (r.path.length || r.hasAuthority ? '/' + r.path.join('/') : '');
    if (r.query !== null) s += '?' + r.query;
    if (!noFragment && r.fragment !== null) s += '#' + r.fragment;
    return s;
  }

  var records = new WeakMap();
  function rec(u) {
    var r = records.get(u);
    if (!r) throw new TypeError('Value of "this" must be of type URL');
    return r;
  }

  function URL(input, base) {
    if (!(this instanceof URL)) throw new TypeError("Class constructor URL cannot be invoked without 'new'");
    var b = base === undefined ? null : (base instanceof URL ? rec(base) : parse(String(base), null));
    records.set(this, parse(String(input), b));
    var self = this;
    var params = new URLSearchParams(rec(this).query || '');
    params.__url = self;
    rt.primordials.defineProperty(this, '__params', { value: params, enumerable: false });
  }
  URL.canParse = function (input, base) { try { new URL(input, base); return true; } catch (e) { return false; } };
  function accessor(name, get, set) {
    rt.primordials.defineProperty(URL.prototype, name, { get: get, set: set, enumerable: true, configurable: true });
  }
  accessor('href', function () { return serialize(rec(this)); }, function (v) {
    records.set(this, parse(String(v), null));
    this.__params.__replace(rec(this).query || '');
  });
  accessor('origin', function () {
    var r = rec(this);
    if (r.protocol in SPECIAL && r.protocol !== 'file:') return r.protocol + '//' + r.hostname + (r.port ? ':' + r.port : '');
    return 'null';
  });
  accessor('protocol', function () { return rec(this).protocol; }, function (v) {
    var p = String(v).replace(/:.*$/, '').toLowerCase();
    if (/^[a-z][a-z0-9+\-.]*$/.test(p)) {
      var r = rec(this);
      if ((r.protocol in SPECIAL) !== ((p + ':') in SPECIAL)) return;
      r.protocol = p + ':';
      if (r.port === SPECIAL[r.protocol]) r.port = '';
    }
  });
  accessor('username', function () { return rec(this).username; }, function (v) { rec(this).username = encodeSet(String(v), USERINFO_SET); });
  accessor('password', function () { return rec(this).password; }, function (v) { rec(this).password = encodeSet(String(v), USERINFO_SET); });
  accessor('host', function () { var r = rec(this); return r.hostname + (r.port ? ':' + r.port : ''); }, function (v) {
    var m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(String(v));
    if (!m) return;
    var r = rec(this);
    r.hostname = parseHost(m[1], r.protocol in SPECIAL, v);
    if (m[2] !== undefined) r.port = m[2] === SPECIAL[r.protocol] ? '' : m[2];
  });
  accessor('hostname', function () { return rec(this).hostname; }, function (v) { var r = rec(this); r.hostname = parseHost(String(v), r.protocol in SPECIAL, v); });
  accessor('port', function () { return rec(this).port; }, function (v) {
    var r = rec(this), s = String(v);
    if (s === '') { r.port = ''; return; }
    var m = /^\d+/.exec(s);
    if (!m || parseInt(m[0], 10) > 65535) return;
    r.port = String(parseInt(m[0], 10)) === SPECIAL[r.protocol] ? '' : String(parseInt(m[0], 10));
  });
  accessor('pathname', function () {
    var r = rec(this);
    return r.opaque !== null ? r.opaque : (r.path.length || r.hasAuthority ? '/' + r.path.join('/') : '');
  }, function (v) {
    var r = rec(this);
    if (r.opaque !== null) return;
    var p = String(v);
    if (r.protocol in SPECIAL) p = p.replace(/\\/g, '/');
    if (p.charAt(0) === '/') p = p.slice(1);
    r.path = normalizePath(p.split('/')).map(function (s) { return encodeSet(s, PATH_SET); });
  });
  accessor('search', function () { var q = rec(this).query; return q ? '?' + q : ''; }, function (v) {
    var r = rec(this), s = String(v);
    if (s.charAt(0) === '?') s = s.slice(1);
    r.query = s === '' ? null : encodeSet(s, r.protocol in SPECIAL ? SPECIAL_QUERY_SET : QUERY_SET);
    this.__params.__replace(r.query || '');
  });
  accessor('hash', function () { var f = rec(this).fragment; return f ? '#' + f : ''; }, function (v) {
    var s = String(v);
    if (s.charAt(0) === '#') s = s.slice(1);
    rec(this).fragment = s === '' ? null : encodeSet(s, FRAGMENT_SET);
  });
  accessor('searchParams', function () { return this.__params; });
  URL.prototype.toString = function () { return this.href; };
  URL.prototype.toJSON = function () { return this.href; };
  URL.prototype[Symbol.for('nodejs.util.inspect.custom')] = function () { return "URL { href: '" + this.href + "' }"; };

  // application/x-www-form-urlencoded, as URLSearchParams writes it.
  function formEncode(s) {
    return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, function (c) { return '%' + c.charCodeAt(0).toString(16).toUpperCase(); });
  }
  function formDecode(s) {
    s = s.replace(/\+/g, ' ');
    try { return decodeURIComponent(s); }
    catch (e) { return s.replace(/%([0-9a-fA-F]{2})/g, function (m, h) { return String.fromCharCode(parseInt(h, 16)); }); }
  }
  function parseForm(s) {
    var list = [];
    if (s.charAt(0) === '?') s = s.slice(1);
    s.split('&').forEach(function (p) {
      if (p === '') return;
      var i = p.indexOf('=');
      list.push(i >= 0 ? [formDecode(p.slice(0, i)), formDecode(p.slice(i + 1))] : [formDecode(p), '']);
    });
    return list;
  }

  function URLSearchParams(init) {
    if (!(this instanceof URLSearchParams)) throw new TypeError("Class constructor URLSearchParams cannot be invoked without 'new'");
    var list = [];
    if (init instanceof URLSearchParams) list = init.__list.map(function (p) { return p.slice(); });
    else if (init && typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
      for (var pair of init) {
        var arr = Array.from(pair);
        if (arr.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
        list.push([String(arr[0]), String(arr[1])]);
      }
    } else if (init && typeof init === 'object') {
      Object.keys(init).forEach(function (k) { list.push([k, String(init[k])]); });
    } else if (init !== undefined && init !== null) list = parseForm(String(init));
    rt.primordials.defineProperty(this, '__list', { value: list, writable: true });
    rt.primordials.defineProperty(this, '__url', { value: null, writable: true });
  }
  var P = URLSearchParams.prototype;
  P.__update = function () {
    if (!this.__url) return;
    var s = this.toString();
    records.get(this.__url).query = s === '' ? null : s;
  };
  P.__replace = function (query) { this.__list = parseForm(query); };
  P.append = function (k, v) { this.__list.push([String(k), String(v)]); this.__update(); };
  P.delete = function (k, v) {
    k = String(k);
    this.__list = this.__list.filter(function (p) { return !(p[0] === k && (v === undefined || p[1] === String(v))); });
    this.__update();
  };
  P.get = function (k) { k = String(k); for (var i = 0; i < this.__list.length; i++) if (this.__list[i][0] === k) return this.__list[i][1]; return null; };
  P.getAll = function (k) { k = String(k); return this.__list.filter(function (p) { return p[0] === k; }).map(function (p) { return p[1]; }); };
  P.has = function (k, v) { k = String(k); return this.__list.some(function (p) { return p[0] === k && (v === undefined || p[1] === String(v)); }); };
  P.set = function (k, v) {
    k = String(k); v = String(v);
    var found = false;
    this.__list = this.__list.filter(function (p) {
      if (p[0] !== k) return true;
      if (found) return false;
      found = true; p[1] = v; return true;
    });
    if (!found) this.__list.push([k, v]);
    this.__update();
  };
  P.sort = function () {
    this.__list = this.__list.map(function (p, i) { return [p, i]; }).sort(function (a, b) {
      return a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1];
    }).map(function (x) { return x[0]; });
    this.__update();
  };
  P.forEach = function (fn, thisArg) { var self = this; this.__list.slice().forEach(function (p) { fn.call(thisArg, p[1], p[0], self); }); };
  P.keys = function () { return this.__list.map(function (p) { return p[0]; })[Symbol.iterator](); };
  P.values = function () { return this.__list.map(function (p) { return p[1]; })[Symbol.iterator](); };
  P.entries = function () { return this.__list.map(function (p) { return [p[0], p[1]]; })[Symbol.iterator](); };
  P[Symbol.iterator] = P.entries;
  P.toString = function () { return this.__list.map(function (p) { return formEncode(p[0]) + '=' + formEncode(p[1]); }).join('&'); };
  rt.primordials.defineProperty(P, 'size', { get: function () { return this.__list.length; } });
  P[Symbol.for('nodejs.util.inspect.custom')] = function () {
    return 'URLSearchParams {' + (this.__list.length ? ' ' + this.__list.map(function (p) { return "'" + p[0] + "' => '" + p[1] + "'"; }).join(', ') + ' ' : '') + '}';
  };

  // Legacy API (url.parse / url.format / url.resolve), as in Node's url.js.
  function Url() {
    this.protocol = null; this.slashes = null; this.auth = null; this.host = null; this.port = null;
    this.hostname = null; this.hash = null; this.search = null; this.query = null; this.pathname = null;
    this.path = null; this.href = null;
  }
  var SLASHED = { 'http:': true, 'https:': true, 'ftp:': true, 'gopher:': true, 'file:': true, 'ws:': true, 'wss:': true };
  function legacyParse(str, parseQuery, slashesDenoteHost) {
    if (str instanceof Url) return str;
    if (typeof str !== 'string') throw new TypeError('The "url" argument must be of type string. Received ' + typeof str);
    var u = new Url();
    var rest = str.trim().replace(/\\/g, '/');
    var hashAt = rest.indexOf('#');
    if (hashAt >= 0) { u.hash = rest.slice(hashAt); rest = rest.slice(0, hashAt); }
    var qAt = rest.indexOf('?');
    if (qAt >= 0) {
      u.search = rest.slice(qAt);
      u.query = rest.slice(qAt + 1);
      rest = rest.slice(0, qAt);
    } else if (parseQuery) { u.search = ''; u.query = {}; }
    if (parseQuery && typeof u.query === 'string') u.query = querystring.parse(u.query);
    var pm = /^([a-z0-9.+-]+:)/i.exec(rest);
    if (pm) { u.protocol = pm[1].toLowerCase(); rest = rest.slice(pm[1].length); }
    if ((slashesDenoteHost || pm) && rest.slice(0, 2) === '//' && !(u.protocol === 'javascript:')) {
      u.slashes = true;
      rest = rest.slice(2);
      var end = rest.search(/[\/]/);
      var host = end < 0 ? rest : rest.slice(0, end);
      rest = end < 0 ? '' : rest.slice(end);
      var at = host.lastIndexOf('@');
      if (at >= 0) { u.auth = decodeURIComponent(host.slice(0, at)); host = host.slice(at + 1); }
      var portMatch = /:(\d*)$/.exec(host);
      if (portMatch) { if (portMatch[1]) u.port = portMatch[1]; host = host.slice(0, portMatch.index); }
      // A host that only becomes one of the URL's delimiters once mapped (`evil.example\uFF0F.good.com`
      // → `evil.example/.good.com`) is refused, as Node refuses it.
      var ascii = /[^\0-\x7F]/.test(host) ? asciiHost(host) : host.toLowerCase();
      if (ascii === null || (ascii !== host.toLowerCase() && FORBIDDEN_HOST.test(ascii))) throw invalid(str);
      u.hostname = ascii;
      u.host = u.hostname + (u.port ? ':' + u.port : '');
      if (rest === '' && SLASHED[u.protocol]) rest = '/';
    }
    u.pathname = rest === '' ? (u.slashes ? '/' : null) : rest;
    if (u.pathname !== null) u.pathname = u.pathname.replace(/[ "<>`{}|^]/g, function (c) { return encodeURIComponent(c); });
    u.path = (u.pathname || '') + (u.search || '') || null;
    u.href = legacyFormat(u);
    return u;
  }
  function legacyFormat(obj, options) {
    if (typeof obj === 'string') obj = legacyParse(obj);
    if (obj instanceof URL) {
      var h = obj.href;
      if (options && options.fragment === false) h = h.replace(/#.*$/, '');
      if (options && options.search === false) h = h.replace(/\?[^#]*/, '');
      return h;
    }
    var protocol = obj.protocol || '';
    if (protocol && protocol.slice(-1) !== ':') protocol += ':';
    var auth = obj.auth ? encodeURIComponent(obj.auth).replace(/%3A/i, ':') + '@' : '';
    var host = '';
    if (obj.host) host = auth + obj.host;
    else if (obj.hostname) host = auth + (obj.hostname.indexOf(':') >= 0 && obj.hostname.charAt(0) !== '[' ? '[' + obj.hostname + ']' : obj.hostname) + (obj.port ? ':' + obj.port : '');
    var pathname = obj.pathname || '';
    var hash = obj.hash || '';
    var search = obj.search || '';
    if (!search && obj.query && typeof obj.query === 'object' && Object.keys(obj.query).length) search = '?' + querystring.stringify(obj.query);
    else if (!search && typeof obj.query === 'string' && obj.query) search = '?' + obj.query;
    if (search && search.charAt(0) !== '?') search = '?' + search;
    if (hash && hash.charAt(0) !== '#') hash = '#' + hash;
    if (obj.slashes || (SLASHED[protocol] && host !== '')) {
      host = '//' + host;
      if (pathname && pathname.charAt(0) !== '/') pathname = '/' + pathname;
    }
    pathname = pathname.replace(/[?#]/g, encodeURIComponent);
    search = search.replace('#', '%23');
    return protocol + host + pathname + search + hash;
  }
  function legacyResolve(from, to) {
    var absolute = /^[a-z0-9.+-]+:/i.test(from);
    var dummy = 'resolve://authsim.invalid';
    var base = absolute ? new URL(from) : new URL(from, dummy + '/');
    var out = new URL(to, base).href;
    if (!absolute && out.indexOf(dummy) === 0) {
      out = out.slice(dummy.length);
      if (from.charAt(0) !== '/' && out.charAt(0) === '/') out = out.slice(1);
    }
    return out;
  }
  Url.prototype.format = function () { return legacyFormat(this); };
  Url.prototype.resolve = function (to) { return legacyResolve(this.href, to); };

  exports.URL = URL;
  exports.URLSearchParams = URLSearchParams;
  exports.Url = Url;
  exports.parse = legacyParse;
  exports.format = legacyFormat;
  exports.resolve = legacyResolve;
  function domainToASCII(d) {
    var h = asciiHost(String(d));
    return h === null || FORBIDDEN_HOST.test(h) ? '' : h;
  }
  exports.domainToASCII = domainToASCII;
  exports.domainToUnicode = function (d) {
    var h = domainToASCII(d);
    try { return h && punycode.toUnicode(h); } catch (e) { return ''; }
  };
  exports.fileURLToPath = function (u) {
    var url = typeof u === 'string' ? new URL(u) : u;
    if (url.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
    return decodeURIComponent(url.pathname);
  };
  exports.pathToFileURL = function (p) { return new URL('file://' + encodeSet(String(p), PATH_SET.replace('?', '') + '?#')); };
});
