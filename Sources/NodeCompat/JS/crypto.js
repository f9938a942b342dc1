// `crypto`: hashes, HMAC, random values, PBKDF2, sign/verify, timingSafeEqual and the AES
// ciphers (cipher.js), backed by swift-crypto in the host.
rt.define('crypto', function (module, exports, require) {
  'use strict';
  var Buffer = require('buffer').Buffer;

  function toBytes(data, enc, what) {
    if (typeof data === 'string') return Buffer.from(data, enc || 'utf8');
    if (data instanceof ArrayBuffer) return Buffer.from(data);
    if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    var e = new TypeError('The "' + (what || 'data') + '" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ' + (data === null ? 'null' : typeof data));
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  function b64(bytes) { return bytes.toString('base64'); }
  function out(base64, enc) {
    var b = Buffer.from(base64, 'base64');
    return enc && enc !== 'buffer' ? b.toString(enc) : b;
  }
  var HASHES = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
  function checkAlgorithm(alg) {
    var a = String(alg).toLowerCase().replace(/^rsa-/, '').replace('-', '');
    if (HASHES.indexOf(a) < 0) { var e = new Error('Digest method not supported'); e.code = 'ERR_CRYPTO_INVALID_DIGEST'; throw e; }
    return a;
  }

  function Hash(alg) { this._alg = checkAlgorithm(alg); this._chunks = []; this._done = false; }
  Hash.prototype.update = function (data, enc) {
    if (this._done) { var e = new Error('Digest already called'); e.code = 'ERR_CRYPTO_HASH_FINALIZED'; throw e; }
    this._chunks.push(toBytes(data, enc));
    return this;
  };
  Hash.prototype.digest = function (enc) {
    if (this._done) { var e = new Error('Digest already called'); e.code = 'ERR_CRYPTO_HASH_FINALIZED'; throw e; }
    this._done = true;
    return out(rt.call('node.hash', { algorithm: this._alg, data: b64(Buffer.concat(this._chunks)) }), enc);
  };
  Hash.prototype.copy = function () { var h = new Hash(this._alg); h._chunks = this._chunks.slice(); return h; };

  function Hmac(alg, key) {
    this._alg = checkAlgorithm(alg);
    this._key = key && typeof key === 'object' && !ArrayBuffer.isView(key) && key.__secret ? key.__secret : toBytes(key, 'utf8', 'key');
    this._chunks = []; this._done = false;
  }
  Hmac.prototype.update = Hash.prototype.update;
  Hmac.prototype.digest = function (enc) {
    if (this._done) { var e = new Error('Digest already called'); e.code = 'ERR_CRYPTO_HASH_FINALIZED'; throw e; }
    this._done = true;
    return out(rt.call('node.hmac', { algorithm: this._alg, key: b64(this._key), data: b64(Buffer.concat(this._chunks)) }), enc);
  };

  function randomBytesSync(n) {
    if (typeof n !== 'number' || n < 0 || n > 0x7fffffff || n !== Math.floor(n)) {
      var e = new RangeError('The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ' + n);
      e.code = 'ERR_OUT_OF_RANGE';
      throw e;
    }
    // Weighed before any chunk is made: the result must fit what the heap budget has left.
    if (!rt.fitsHeap(n)) throw new RangeError('randomBytes(' + n + ') would exceed the script heap budget');
    var parts = [];
    for (var left = n; left > 0; left -= 65536) parts.push(Buffer.from(rt.call('node.random', { size: Math.min(left, 65536) }), 'base64'));
    return Buffer.concat(parts, n);
  }
  function randomBytes(n, cb) {
    if (typeof cb === 'function') {
      var r, err = null;
      try { r = randomBytesSync(n); } catch (e) { err = e; }
      setImmediate(function () { cb(err, r); });
      return;
    }
    return randomBytesSync(n);
  }
  function randomFillSync(buf, offset, size) {
    offset = offset || 0;
    var view = ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf);
    if (size === undefined) size = view.length - offset;
    view.set(randomBytesSync(size), offset);
    return buf;
  }
  function randomUUID() {
    var b = randomBytesSync(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = b.toString('hex');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  function randomInt(min, max, cb) {
    if (max === undefined || typeof max === 'function') { cb = max; max = min; min = 0; }
    var range = max - min;
    if (!(range > 0) || range > 0xffffffffffff) throw new RangeError('The value of "max" is out of range. It must be greater than "min"');
    var limit = Math.floor(0x1000000000000 / range) * range, x;
    do { x = randomBytesSync(6).readUInt32BE(0) * 0x10000 + randomBytesSync(2).readUInt16BE(0); } while (x >= limit);
    var v = min + (x % range);
    if (typeof cb === 'function') { setImmediate(function () { cb(null, v); }); return; }
    return v;
  }

  function timingSafeEqual(a, b) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) {
      var t = new TypeError('The "buf1" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.');
      t.code = 'ERR_INVALID_ARG_TYPE';
      throw t;
    }
    var x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length) {
      var e = new RangeError('Input buffers must have the same byte length');
      e.code = 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH';
      throw e;
    }
    var diff = 0;
    for (var i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  }

  function pbkdf2Sync(password, salt, iterations, keylen, digest) {
    return Buffer.from(rt.call('node.pbkdf2', {
      password: b64(toBytes(password, 'utf8', 'password')), salt: b64(toBytes(salt, 'utf8', 'salt')),
      iterations: iterations, keylen: keylen, digest: digest || 'sha1', remainingMs: rt.remaining()
    }), 'base64');
  }
  function pbkdf2(password, salt, iterations, keylen, digest, cb) {
    var r, err = null;
    try { r = pbkdf2Sync(password, salt, iterations, keylen, digest); } catch (e) { err = e; }
    setImmediate(function () { cb(err, r); });
  }

  function keyPEM(key) {
    if (typeof key === 'string') return key;
    if (key && typeof key === 'object' && !ArrayBuffer.isView(key)) {
      if (key.__pem) return key.__pem;
      if (key.key !== undefined) return keyPEM(key.key);
    }
    if (ArrayBuffer.isView(key)) return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
    throw new TypeError('The "key" argument must be a PEM string, a Buffer or a KeyObject');
  }
  function Sign(alg) { this._alg = checkAlgorithm(alg); this._chunks = []; }
  Sign.prototype.update = function (data, enc) { this._chunks.push(toBytes(data, enc)); return this; };
  Sign.prototype.sign = function (key, enc) {
    var format = key && typeof key === 'object' && key.dsaEncoding === 'ieee-p1363' ? 'jose' : 'der';
    return out(rt.call('node.sign', { algorithm: this._alg, key: keyPEM(key), data: b64(Buffer.concat(this._chunks)), format: format }), enc);
  };
  Sign.prototype.end = function () { return this; };
  function Verify(alg) { this._alg = checkAlgorithm(alg); this._chunks = []; }
  Verify.prototype.update = Sign.prototype.update;
  Verify.prototype.end = Sign.prototype.end;
  Verify.prototype.verify = function (key, signature, enc) {
    var format = key && typeof key === 'object' && key.dsaEncoding === 'ieee-p1363' ? 'jose' : 'der';
    var sig = typeof signature === 'string' ? Buffer.from(signature, enc || 'utf8') : toBytes(signature, undefined, 'signature');
    return rt.call('node.verify', { algorithm: this._alg, key: keyPEM(key), data: b64(Buffer.concat(this._chunks)), signature: b64(sig), format: format });
  };
  function oneShotSign(alg, data, key) {
    var s = new Sign(alg || 'sha256'); s.update(data); return s.sign(key);
  }
  function oneShotVerify(alg, data, key, signature) {
    var v = new Verify(alg || 'sha256'); v.update(data); return v.verify(key, signature);
  }

  function KeyObject(type, pem, secret) { this.type = type; this.__pem = pem; this.__secret = secret; }
  KeyObject.prototype.export = function (options) {
    if (this.type === 'secret') return Buffer.from(this.__secret);
    return this.__pem;
  };
  function createSecretKey(key, enc) { var b = toBytes(key, enc, 'key'); var k = new KeyObject('secret', null, b); k.symmetricKeySize = b.length; return k; }
  function createPrivateKey(key) { return new KeyObject('private', keyPEM(key)); }
  function createPublicKey(key) { return new KeyObject('public', keyPEM(key)); }

  exports.createHash = function (alg) { return new Hash(alg); };
  exports.createHmac = function (alg, key) { return new Hmac(alg, key); };
  exports.createSign = function (alg) { return new Sign(alg); };
  exports.createVerify = function (alg) { return new Verify(alg); };
  exports.sign = oneShotSign;
  exports.verify = oneShotVerify;
  exports.randomBytes = randomBytes;
  exports.pseudoRandomBytes = randomBytes;
  exports.randomFillSync = randomFillSync;
  exports.randomFill = function (buf, offset, size, cb) {
    if (typeof offset === 'function') { cb = offset; offset = 0; size = undefined; }
    else if (typeof size === 'function') { cb = size; size = undefined; }
    var err = null;
    try { randomFillSync(buf, offset, size); } catch (e) { err = e; }
    setImmediate(function () { cb(err, buf); });
  };
  exports.randomUUID = randomUUID;
  exports.randomInt = randomInt;
  exports.timingSafeEqual = timingSafeEqual;
  exports.pbkdf2Sync = pbkdf2Sync;
  exports.pbkdf2 = pbkdf2;
  exports.createSecretKey = createSecretKey;
  exports.createPrivateKey = createPrivateKey;
  exports.createPublicKey = createPublicKey;
  exports.KeyObject = KeyObject;
  exports.getHashes = function () { return HASHES.concat(['RSA-SHA1', 'RSA-SHA256', 'RSA-SHA384', 'RSA-SHA512']); };
  exports.getRandomValues = function (arr) { return randomFillSync(arr); };
  exports.constants = {};
  var cipher = require('authsim:cipher');
  ['createCipheriv', 'createDecipheriv', 'createCipher', 'createDecipher', 'Cipheriv', 'Decipheriv', 'getCiphers'].forEach(function (name) { exports[name] = cipher[name]; });
  rt.protectClasses([Hash, Hmac, Sign, Verify, KeyObject].concat(cipher.protect));
});
