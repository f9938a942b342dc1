// `jsonwebtoken` (sign, verify, decode; HS/RS/ES 256-512), used when no copy is installed.
rt.define('jsonwebtoken', function (module, exports, require) {
  'use strict';
  var crypto = require('crypto');
  var Buffer = require('buffer').Buffer;

  function JsonWebTokenError(message, error) {
    var e = new Error(message);
    Object.setPrototypeOf(e, JsonWebTokenError.prototype);
    e.name = 'JsonWebTokenError';
    if (error) e.inner = error;
    return e;
  }
  JsonWebTokenError.prototype = Object.create(Error.prototype, { constructor: { value: JsonWebTokenError } });
  function TokenExpiredError(message, expiredAt) {
    var e = JsonWebTokenError(message);
    Object.setPrototypeOf(e, TokenExpiredError.prototype);
    e.name = 'TokenExpiredError';
    e.expiredAt = expiredAt;
    return e;
  }
  TokenExpiredError.prototype = Object.create(JsonWebTokenError.prototype, { constructor: { value: TokenExpiredError } });
  function NotBeforeError(message, date) {
    var e = JsonWebTokenError(message);
    Object.setPrototypeOf(e, NotBeforeError.prototype);
    e.name = 'NotBeforeError';
    e.date = date;
    return e;
  }
  NotBeforeError.prototype = Object.create(JsonWebTokenError.prototype, { constructor: { value: NotBeforeError } });

  // The `ms` package's grammar: '2 days', '10h', '7d', '1.5h', '120' (ms).
  function ms(str) {
    var m = /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i.exec(str);
    if (!m) return undefined;
    var n = parseFloat(m[1]);
    switch ((m[2] || 'ms').toLowerCase()) {
      case 'years': case 'year': case 'yrs': case 'yr': case 'y': return n * 31557600000;
      case 'weeks': case 'week': case 'w': return n * 604800000;
      case 'days': case 'day': case 'd': return n * 86400000;
      case 'hours': case 'hour': case 'hrs': case 'hr': case 'h': return n * 3600000;
      case 'minutes': case 'minute': case 'mins': case 'min': case 'm': return n * 60000;
      case 'seconds': case 'second': case 'secs': case 'sec': case 's': return n * 1000;
      default: return n;
    }
  }
  function timespan(v, iat, name) {
    if (typeof v === 'string') {
      var milli = ms(v);
      if (milli === undefined) throw new Error('"' + name + '" should be a number of seconds or string representing a timespan');
      return Math.floor(iat + milli / 1000);
    }
    if (typeof v === 'number') return iat + v;
    throw new Error('"' + name + '" should be a number of seconds or string representing a timespan');
  }

  function b64url(buf) { return Buffer.from(buf).toString('base64url'); }
  function isPublicPEM(key) { return /-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(key); }
  function keyText(key) {
    if (typeof key === 'string') return key;
    if (ArrayBuffer.isView(key)) return /^-----BEGIN/.test(Buffer.from(key).toString('latin1', 0, 11)) ? Buffer.from(key).toString('utf8') : key;
    if (key && typeof key === 'object') {
      if (key.__secret) return key.__secret;
      if (key.__pem) return key.__pem;
      if (key.key !== undefined) return keyText(key.key);
    }
    return key;
  }
  var ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'none'];
  function hashOf(alg) { return 'sha' + alg.slice(2); }

  function signInput(alg, input, key) {
    if (alg === 'none') return '';
    if (alg.charAt(0) === 'H') return b64url(crypto.createHmac(hashOf(alg), key).update(input).digest());
    var s = crypto.createSign(hashOf(alg)).update(input);
    return b64url(s.sign(alg.charAt(0) === 'E' ? { key: key, dsaEncoding: 'ieee-p1363' } : key));
  }
  function verifyInput(alg, input, signature, key) {
    if (alg === 'none') return signature === '';
    if (alg.charAt(0) === 'H') {
      var expected = Buffer.from(signInput(alg, input, key));
      var got = Buffer.from(signature);
      return expected.length === got.length && crypto.timingSafeEqual(expected, got);
    }
    var v = crypto.createVerify(hashOf(alg)).update(input);
    var sig = Buffer.from(signature, 'base64url');
    return v.verify(alg.charAt(0) === 'E' ? { key: key, dsaEncoding: 'ieee-p1363' } : key, sig);
  }

  function sign(payload, secretOrPrivateKey, options, callback) {
    if (typeof options === 'function') { callback = options; options = {}; }
    options = options || {};
    function done(err, token) {
      if (callback) { setImmediate(function () { callback(err, token); }); return; }
      if (err) throw err;
      return token;
    }
    try {
      var key = keyText(secretOrPrivateKey);
      var alg = options.algorithm || 'HS256';
      if (ALGS.indexOf(alg) < 0) throw new Error('"algorithm" must be a valid string enum value');
      if (!key && alg !== 'none') throw new Error('secretOrPrivateKey must have a value');
      if (alg.charAt(0) !== 'H' && alg !== 'none' && typeof key === 'string' && !/-----BEGIN/.test(key)) {
        throw new Error('secretOrPrivateKey must be an asymmetric key when using ' + alg);
      }
      var header = Object.assign({ alg: alg, typ: typeof payload === 'object' ? 'JWT' : undefined }, options.header || {});
      if (options.keyid) header.kid = options.keyid;
      if (header.typ === undefined) delete header.typ;
      var body;
      if (typeof payload === 'object' && payload !== null && !Buffer.isBuffer(payload)) {
        body = Object.assign({}, payload);
        var now = Math.floor(Date.now() / 1000);
        var iat = typeof body.iat === 'number' ? body.iat : now;
        if (options.noTimestamp) delete body.iat; else body.iat = iat;
        if (options.expiresIn !== undefined) {
          if (body.exp !== undefined) throw new Error('Bad "options.expiresIn" option the payload already has an "exp" property.');
          body.exp = timespan(options.expiresIn, iat, 'expiresIn');
        }
        if (options.notBefore !== undefined) {
          if (body.nbf !== undefined) throw new Error('Bad "options.notBefore" option the payload already has an "nbf" property.');
          body.nbf = timespan(options.notBefore, iat, 'notBefore');
        }
        var map = { audience: 'aud', issuer: 'iss', subject: 'sub', jwtid: 'jti' };
        Object.keys(map).forEach(function (k) {
          if (options[k] === undefined) return;
          if (body[map[k]] !== undefined) throw new Error('Bad "options.' + k + '" option. The payload already has an "' + map[k] + '" property.');
          body[map[k]] = options[k];
        });
        body = JSON.stringify(body);
      } else {
        if (options.expiresIn !== undefined || options.notBefore !== undefined) throw new Error('invalid expiresIn option for string payload');
        body = Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload);
      }
      var input = b64url(JSON.stringify(header)) + '.' + b64url(body);
      return done(null, input + '.' + signInput(alg, input, key));
    } catch (e) {
      return done(e);
    }
  }

  function decode(token, options) {
    options = options || {};
    if (typeof token !== 'string') return null;
    var parts = token.split('.');
    if (parts.length !== 3) return null;
    var header, payload;
    try { header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')); } catch (e) { return null; }
    var text = Buffer.from(parts[1], 'base64url').toString('utf8');
    try { payload = JSON.parse(text); } catch (e) { payload = text; }
    if (typeof payload === 'string' && options.json) return null;
    if (options.complete) return { header: header, payload: payload, signature: parts[2] };
    return payload;
  }

  function verify(token, secretOrPublicKey, options, callback) {
    if (typeof options === 'function') { callback = options; options = {}; }
    options = Object.assign({}, options || {});
    function done(err, value) {
      if (callback) { setImmediate(function () { callback(err, value); }); return; }
      if (err) throw err;
      return value;
    }
    if (typeof secretOrPublicKey === 'function') {
      if (!callback) return done(JsonWebTokenError('verify must be called asynchronous if secret or public key is provided as a callback'));
      var decodedHeader = decode(token, { complete: true });
      return secretOrPublicKey(decodedHeader ? decodedHeader.header : {}, function (err, key) {
        if (err) return done(JsonWebTokenError('error in secret or public key callback: ' + err.message));
        verify(token, key, options, callback);
      });
    }
    try {
      var now = options.clockTimestamp || Math.floor(Date.now() / 1000);
      if (!token) throw JsonWebTokenError('jwt must be provided');
      if (typeof token !== 'string') throw JsonWebTokenError('jwt must be a string');
      var parts = token.split('.');
      if (parts.length !== 3) throw JsonWebTokenError('jwt malformed');
      var decoded = decode(token, { complete: true });
      if (!decoded) throw JsonWebTokenError('invalid token');
      var header = decoded.header, payload = decoded.payload;
      var hasSignature = parts[2].trim() !== '';
      if (!hasSignature && secretOrPublicKey) throw JsonWebTokenError('jwt signature is required');
      if (hasSignature && !secretOrPublicKey) throw JsonWebTokenError('secret or public key must be provided');
      var key = keyText(secretOrPublicKey);
      var algorithms = options.algorithms;
      if (!algorithms) {
        if (!hasSignature) algorithms = ['none'];
        else if (typeof key === 'string' && /-----BEGIN/.test(key)) algorithms = isPublicPEM(key) ? ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] : ['RS256', 'RS384', 'RS512'];
        else algorithms = ['HS256', 'HS384', 'HS512'];
      }
      if (algorithms.indexOf(header.alg) < 0) throw JsonWebTokenError('invalid algorithm');
      if (header.alg.charAt(0) === 'H' && typeof key === 'string' && /-----BEGIN/.test(key)) throw JsonWebTokenError('secretOrPublicKey must be a symmetric key when using ' + header.alg);
      if (!verifyInput(header.alg, parts[0] + '.' + parts[1], parts[2], key)) throw JsonWebTokenError('invalid signature');
      var tolerance = options.clockTolerance || 0;
      if (payload.nbf !== undefined && !options.ignoreNotBefore) {
        if (typeof payload.nbf !== 'number') throw JsonWebTokenError('invalid nbf value');
        if (payload.nbf > now + tolerance) throw NotBeforeError('jwt not active', new Date(payload.nbf * 1000));
      }
      if (payload.exp !== undefined && !options.ignoreExpiration) {
        if (typeof payload.exp !== 'number') throw JsonWebTokenError('invalid exp value');
        if (now >= payload.exp + tolerance) throw TokenExpiredError('jwt expired', new Date(payload.exp * 1000));
      }
      if (options.audience) {
        var wanted = Array.isArray(options.audience) ? options.audience : [options.audience];
        var got = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
        var ok = got.some(function (a) { return wanted.some(function (w) { return w instanceof RegExp ? w.test(a) : w === a; }); });
        if (!ok) throw JsonWebTokenError('jwt audience invalid. expected: ' + wanted.join(' or '));
      }
      if (options.issuer) {
        var issuers = Array.isArray(options.issuer) ? options.issuer : [options.issuer];
        if (issuers.indexOf(payload.iss) < 0) throw JsonWebTokenError('jwt issuer invalid. expected: ' + issuers.join(','));
      }
      if (options.subject && payload.sub !== options.subject) throw JsonWebTokenError('jwt subject invalid. expected: ' + options.subject);
      if (options.jwtid && payload.jti !== options.jwtid) throw JsonWebTokenError('jwt jwtid invalid. expected: ' + options.jwtid);
      if (options.nonce && payload.nonce !== options.nonce) throw JsonWebTokenError('jwt nonce invalid. expected: ' + options.nonce);
      if (options.maxAge !== undefined) {
        if (typeof payload.iat !== 'number') throw JsonWebTokenError('iat required when maxAge is specified');
        var maxAgeTimestamp = timespan(options.maxAge, payload.iat, 'maxAge');
        if (now >= maxAgeTimestamp + tolerance) throw TokenExpiredError('maxAge exceeded', new Date(maxAgeTimestamp * 1000));
      }
      return done(null, options.complete ? decoded : payload);
    } catch (e) {
      return done(e);
    }
  }

  exports.sign = sign;
  exports.verify = verify;
  exports.decode = decode;
  exports.JsonWebTokenError = JsonWebTokenError;
  exports.TokenExpiredError = TokenExpiredError;
  exports.NotBeforeError = NotBeforeError;
}, 'package');
