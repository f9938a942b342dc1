// `punycode`: Node's core module (punycode.js 2.1.0's API: RFC 3492 with the IDNA helpers),
// deprecated in Node but still required by packages rules bring (psl, tr46 under whatwg-url
// and node-fetch 2, tough-cookie). `url` uses it for international host names.
rt.define('punycode', function (module, exports) {
  'use strict';
  var maxInt = 2147483647, base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128;
  var separators = /[\x2E\u3002\uFF0E\uFF61]/g;

  function fail(kind) {
    var messages = {
      overflow: 'Overflow: input needs wider integers to process',
      'not-basic': 'Illegal input >= 0x80 (not a basic code point)',
      'invalid-input': 'Invalid input'
    };
    throw new RangeError(messages[kind]);
  }

  // A string's code points, a surrogate pair as one (a lone surrogate stays as it is).
  function ucs2decode(string) {
    var out = [], i = 0, length = string.length;
    while (i < length) {
      var value = string.charCodeAt(i++);
      if (value >= 0xd800 && value <= 0xdbff && i < length) {
        var low = string.charCodeAt(i);
        if ((low & 0xfc00) === 0xdc00) { out.push(((value & 0x3ff) << 10) + (low & 0x3ff) + 0x10000); i++; continue; }
      }
      out.push(value);
    }
    return out;
  }
  function ucs2encode(codePoints) {
    var out = '';
    for (var i = 0; i < codePoints.length; i++) out += String.fromCodePoint(codePoints[i]);
    return out;
  }

  // 0-25 are a-z, 26-35 are 0-9.
  function digitChar(d) { return String.fromCharCode(d < 26 ? 97 + d : 22 + d); }
  function charDigit(c) {
    if (c >= 0x30 && c <= 0x39) return c - 22;
    if (c >= 0x41 && c <= 0x5a) return c - 0x41;
    if (c >= 0x61 && c <= 0x7a) return c - 0x61;
    return base;
  }
  function threshold(k, bias) { return k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias; }
  // RFC 3492 section 6.1.
  function adapt(delta, points, first) {
    delta = first ? Math.floor(delta / damp) : delta >> 1;
    delta += Math.floor(delta / points);
    var k = 0;
    for (; delta > ((base - tMin) * tMax) >> 1; k += base) delta = Math.floor(delta / (base - tMin));
    return k + Math.floor((base - tMin + 1) * delta / (delta + skew));
  }

  function decode(input) {
    input = String(input);
    var out = [], basic = input.lastIndexOf('-');
    if (basic < 0) basic = 0;
    for (var j = 0; j < basic; j++) {
      if (input.charCodeAt(j) >= 0x80) fail('not-basic');
      out.push(input.charCodeAt(j));
    }
    var n = initialN, bias = initialBias, i = 0;
    for (var index = basic > 0 ? basic + 1 : 0; index < input.length;) {
      var oldi = i;
      for (var w = 1, k = base; ; k += base) {
        if (index >= input.length) fail('invalid-input');
        var digit = charDigit(input.charCodeAt(index++));
        if (digit >= base) fail('invalid-input');
        if (digit > Math.floor((maxInt - i) / w)) fail('overflow');
        i += digit * w;
        var t = threshold(k, bias);
        if (digit < t) break;
        if (w > Math.floor(maxInt / (base - t))) fail('overflow');
        w *= base - t;
      }
      var count = out.length + 1;
      bias = adapt(i - oldi, count, oldi === 0);
      if (Math.floor(i / count) > maxInt - n) fail('overflow');
      n += Math.floor(i / count);
      i %= count;
      out.splice(i++, 0, n);
    }
    return ucs2encode(out);
  }

  function encode(input) {
    var points = ucs2decode(String(input)), out = '';
    for (var j = 0; j < points.length; j++) if (points[j] < 0x80) out += String.fromCharCode(points[j]);
    var basicLength = out.length, handled = basicLength;
    if (basicLength) out += '-';
    var n = initialN, delta = 0, bias = initialBias;
    while (handled < points.length) {
      var m = maxInt;
      for (var a = 0; a < points.length; a++) if (points[a] >= n && points[a] < m) m = points[a];
      if (m - n > Math.floor((maxInt - delta) / (handled + 1))) fail('overflow');
      delta += (m - n) * (handled + 1);
      n = m;
      for (var b = 0; b < points.length; b++) {
        var c = points[b];
        if (c < n && ++delta > maxInt) fail('overflow');
        if (c !== n) continue;
        var q = delta;
        for (var k = base; ; k += base) {
          var t = threshold(k, bias);
          if (q < t) break;
          out += digitChar(t + (q - t) % (base - t));
          q = Math.floor((q - t) / (base - t));
        }
        out += digitChar(q);
        bias = adapt(delta, handled + 1, handled === basicLength);
        delta = 0;
        handled++;
      }
      delta++;
      n++;
    }
    return out;
  }

  // Labels of a domain (or of an email address's domain part), any IDNA separator taken as a dot.
  function mapDomain(domain, fn) {
    domain = String(domain);
    var at = domain.split('@'), prefix = '';
    if (at.length > 1) { prefix = at[0] + '@'; domain = at[1]; }
    return prefix + domain.replace(separators, '.').split('.').map(fn).join('.');
  }
  function toASCII(domain) {
    return mapDomain(domain, function (label) { return /[^\0-\x7F]/.test(label) ? 'xn--' + encode(label) : label; });
  }
  function toUnicode(domain) {
    return mapDomain(domain, function (label) { return /^xn--/.test(label) ? decode(label.slice(4).toLowerCase()) : label; });
  }

  exports.version = '2.1.0';
  exports.ucs2 = { decode: ucs2decode, encode: ucs2encode };
  exports.decode = decode;
  exports.encode = encode;
  exports.toASCII = toASCII;
  exports.toUnicode = toUnicode;
});
