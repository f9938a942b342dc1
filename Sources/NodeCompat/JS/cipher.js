// `crypto.createCipheriv`/`createDecipheriv` and the deprecated password forms
// `createCipher`/`createDecipher`: AES-128/192/256 in CBC, ECB, CTR and GCM, with Node's
// (OpenSSL's) streaming, padding, errors and output encodings. The host gives AES over whole
// blocks (ECB or CBC, no padding: node.aes); padding, CTR's counter and GCM's GHASH are here.
// Auth0's gallery rules "Encrypt/Decrypt sensitive data" use aes-256-cbc.
rt.define('authsim:cipher', function (module, exports, require) {
  'use strict';
  var Buffer = require('buffer').Buffer, StringDecoder = require('string_decoder').StringDecoder;

  var MODES = ['cbc', 'ecb', 'ctr', 'gcm'], SPECS = Object.create(null);
  [128, 192, 256].forEach(function (bits) {
    MODES.forEach(function (mode) { SPECS['aes-' + bits + '-' + mode] = { keyLength: bits / 8, mode: mode }; });
    SPECS['aes' + bits] = SPECS['aes-' + bits + '-cbc'];
    SPECS['id-aes' + bits + '-gcm'] = SPECS['aes-' + bits + '-gcm'];
  });

  function failure(Ctor, message, code) {
    var e = new Ctor(message);
    if (code) e.code = code;
    return e;
  }
  function ossl(reason, code) { return failure(Error, 'error:' + code + ':Provider routines::' + reason, 'ERR_OSSL_' + reason.toUpperCase().replace(/ /g, '_')); }
  function authFailure() { return failure(Error, 'Unsupported state or unable to authenticate data'); }

  function bytesOf(value, encoding, what) {
    if (typeof value === 'string') return Buffer.from(value, encoding || 'utf8');
    if (value instanceof ArrayBuffer) return Buffer.from(value);
    if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (value && typeof value === 'object' && value.type === 'secret' && typeof value.export === 'function') return Buffer.from(value.export());
    throw failure(TypeError, 'The "' + what + '" argument must be of type string or an instance of Buffer, TypedArray, DataView, or KeyObject. Received ' +
      (value === null ? 'null' : typeof value), 'ERR_INVALID_ARG_TYPE');
  }
  // Whole blocks through the host's AES.
  function aes(key, data, mode, decrypt, iv) {
    if (data.length === 0) return Buffer.alloc(0);
    return Buffer.from(rt.call('node.aes', { key: key.toString('base64'), data: data.toString('base64'), mode: mode, decrypt: decrypt, iv: iv ? iv.toString('base64') : null }), 'base64');
  }
  // Counter blocks from `counter` on, encrypted: `width` 16 increments the whole block (CTR),
  // 4 its last 32 bits (GCM).
  function keystream(key, counter, blocks, width) {
    var input = Buffer.alloc(blocks * 16);
    for (var b = 0; b < blocks; b++) {
      counter.copy(input, b * 16);
      for (var i = 15; i >= 16 - width; i--) { counter[i] = (counter[i] + 1) & 255; if (counter[i] !== 0) break; }
    }
    return aes(key, input, 'ecb', false);
  }

  // GHASH (NIST SP 800-38D): multiplication in GF(2^128) by H, on four 32-bit words.
  function words(block, offset) { return [block.readUInt32BE(offset), block.readUInt32BE(offset + 4), block.readUInt32BE(offset + 8), block.readUInt32BE(offset + 12)]; }
  function Ghash(h) { this.h = words(h, 0); this.y = [0, 0, 0, 0]; this.partial = Buffer.alloc(0); }
  Ghash.prototype.block = function (x) {
    var y = this.y, v = this.h.slice(), z = [0, 0, 0, 0];
    var a = [(y[0] ^ x[0]) >>> 0, (y[1] ^ x[1]) >>> 0, (y[2] ^ x[2]) >>> 0, (y[3] ^ x[3]) >>> 0];
    for (var i = 0; i < 128; i++) {
      if ((a[i >> 5] >>> (31 - (i & 31))) & 1) { z[0] ^= v[0]; z[1] ^= v[1]; z[2] ^= v[2]; z[3] ^= v[3]; }
      var lsb = v[3] & 1;
      v[3] = (v[3] >>> 1) | ((v[2] & 1) << 31);
      v[2] = (v[2] >>> 1) | ((v[1] & 1) << 31);
      v[1] = (v[1] >>> 1) | ((v[0] & 1) << 31);
      v[0] = v[0] >>> 1;
      if (lsb) v[0] ^= 0xe1000000;
    }
    this.y = [z[0] >>> 0, z[1] >>> 0, z[2] >>> 0, z[3] >>> 0];
  };
  Ghash.prototype.update = function (data) {
    var all = this.partial.length ? Buffer.concat([this.partial, data]) : data, whole = all.length - all.length % 16;
    for (var o = 0; o < whole; o += 16) this.block(words(all, o));
    this.partial = Buffer.from(all.subarray(whole));
  };
  // Ends a section (the AAD, the ciphertext) on a block boundary, zero-padded.
  Ghash.prototype.pad = function () {
    if (this.partial.length) { var last = Buffer.alloc(16); this.partial.copy(last); this.block(words(last, 0)); this.partial = Buffer.alloc(0); }
  };
  Ghash.prototype.lengths = function (aadBytes, textBytes) {
    var b = Buffer.alloc(16);
    b.writeUInt32BE(Math.floor(aadBytes * 8 / 0x100000000), 0); b.writeUInt32BE((aadBytes * 8) >>> 0, 4);
    b.writeUInt32BE(Math.floor(textBytes * 8 / 0x100000000), 8); b.writeUInt32BE((textBytes * 8) >>> 0, 12);
    this.block(words(b, 0));
    var out = Buffer.alloc(16);
    for (var i = 0; i < 4; i++) out.writeUInt32BE(this.y[i], i * 4);
    return out;
  };

  function Cipher(name, key, iv, options, decipher) {
    var spec = typeof name === 'string' ? SPECS[name.toLowerCase()] : undefined;
    if (!spec) throw failure(Error, 'Unknown cipher', 'ERR_CRYPTO_UNKNOWN_CIPHER');
    key = bytesOf(key, 'utf8', 'key');
    if (key.length !== spec.keyLength) throw failure(RangeError, 'Invalid key length', 'ERR_CRYPTO_INVALID_KEYLEN');
    iv = iv === null || iv === undefined ? null : bytesOf(iv, 'utf8', 'iv');
    var ivOK = spec.mode === 'ecb' ? iv === null || iv.length === 0 : spec.mode === 'gcm' ? iv !== null && iv.length > 0 : iv !== null && iv.length === 16;
    if (!ivOK) throw failure(TypeError, 'Invalid initialization vector', 'ERR_CRYPTO_INVALID_IV');
    this._mode = spec.mode; this._key = Buffer.from(key); this._decipher = decipher;
    this._pending = Buffer.alloc(0); this._padding = true; this._state = 'open'; this._decoder = null;
    if (spec.mode === 'cbc') this._iv = Buffer.from(iv);
    if (spec.mode === 'ctr') { this._counter = Buffer.from(iv); this._stream = Buffer.alloc(0); }
    if (spec.mode === 'gcm') {
      var tagLength = options && options.authTagLength !== undefined ? options.authTagLength : 16;
      if (!(tagLength === 4 || tagLength === 8 || (tagLength >= 12 && tagLength <= 16)) || tagLength !== Math.floor(tagLength)) {
        throw failure(TypeError, 'Invalid authentication tag length: ' + tagLength, 'ERR_CRYPTO_INVALID_AUTH_TAG');
      }
      this._tagLength = tagLength;
      var h = aes(this._key, Buffer.alloc(16), 'ecb', false), j0;
      if (iv.length === 12) { j0 = Buffer.alloc(16); iv.copy(j0); j0[15] = 1; }
      else { var g = new Ghash(h); g.update(iv); g.pad(); j0 = g.lengths(0, iv.length); }
      this._ghash = new Ghash(h); this._j0 = j0; this._counter = Buffer.from(j0); this._stream = Buffer.alloc(0);
      var c = this._counter;
      for (var i = 15; i >= 12; i--) { c[i] = (c[i] + 1) & 255; if (c[i] !== 0) break; }
      this._aadLength = 0; this._textLength = 0; this._tag = null; this._expectedTag = null;
    }
  }
  // CTR and GCM: the data XORed with as much keystream as it needs (the rest kept for later).
  Cipher.prototype._xor = function (data) {
    var need = data.length - this._stream.length;
    if (need > 0) this._stream = Buffer.concat([this._stream, keystream(this._key, this._counter, Math.ceil(need / 16), this._mode === 'gcm' ? 4 : 16)]);
    var out = Buffer.alloc(data.length);
    for (var i = 0; i < data.length; i++) out[i] = data[i] ^ this._stream[i];
    this._stream = Buffer.from(this._stream.subarray(data.length));
    return out;
  };
  Cipher.prototype._blocks = function (data) {
    var out = aes(this._key, data, this._mode, this._decipher, this._mode === 'cbc' ? this._iv : null);
    if (this._mode === 'cbc' && data.length) this._iv = Buffer.from((this._decipher ? data : out).subarray(data.length - 16));
    return out;
  };
  Cipher.prototype._process = function (data) {
    if (this._mode === 'ctr') return this._xor(data);
    if (this._mode === 'gcm') {
      if (this._textLength === 0) this._ghash.pad();
      this._textLength += data.length;
      if (this._decipher) { this._ghash.update(data); return this._xor(data); }
      var sealed = this._xor(data);
      this._ghash.update(sealed);
      return sealed;
    }
    var all = this._pending.length ? Buffer.concat([this._pending, data]) : data;
    var whole = all.length - all.length % 16;
    // A decipher that removes padding keeps the last whole block for final().
    if (this._decipher && this._padding && whole === all.length && whole > 0) whole -= 16;
    this._pending = Buffer.from(all.subarray(whole));
    return this._blocks(Buffer.from(all.subarray(0, whole)));
  };
  Cipher.prototype._finish = function () {
    var mode = this._mode;
    if (mode === 'ctr') return Buffer.alloc(0);
    if (mode === 'gcm') {
      this._ghash.pad();
      var s = this._ghash.lengths(this._aadLength, this._textLength), e = aes(this._key, this._j0, 'ecb', false), tag = Buffer.alloc(16);
      for (var i = 0; i < 16; i++) tag[i] = s[i] ^ e[i];
      if (!this._decipher) { this._tag = Buffer.from(tag.subarray(0, this._tagLength)); return Buffer.alloc(0); }
      var expected = this._expectedTag;
      if (!expected) throw authFailure();
      var diff = 0;
      for (var j = 0; j < expected.length; j++) diff |= expected[j] ^ tag[j];
      if (diff !== 0) throw authFailure();
      return Buffer.alloc(0);
    }
    var pending = this._pending;
    this._pending = Buffer.alloc(0);
    if (!this._padding) {
      if (pending.length % 16 !== 0) throw ossl('wrong final block length', '1C80006B');
      return this._blocks(pending);
    }
    if (!this._decipher) {
      var n = 16 - pending.length % 16, padded = Buffer.alloc(pending.length + n, n);
      pending.copy(padded);
      return this._blocks(padded);
    }
    if (pending.length !== 16) throw ossl('wrong final block length', '1C80006B');
    var plain = this._blocks(pending), p = plain[15];
    var bad = p < 1 || p > 16;
    for (var k = 16 - p; !bad && k < 16; k++) if (plain[k] !== p) bad = true;
    if (bad) throw ossl('bad decrypt', '1C800064');
    return Buffer.from(plain.subarray(0, 16 - p));
  };
  // Node turns output into text through a StringDecoder, so base64 pieces join up.
  Cipher.prototype._out = function (bytes, encoding, end) {
    if (!encoding || encoding === 'buffer') return bytes;
    var normal = String(encoding).toLowerCase();
    if (this._decoder === null) { this._decoder = new StringDecoder(normal); this._encoding = normal; }
    else if (this._encoding !== normal) throw failure(Error, 'Cannot change encoding');
    return end ? this._decoder.end(bytes) : this._decoder.write(bytes);
  };
  Cipher.prototype.update = function (data, inputEncoding, outputEncoding) {
    if (this._state !== 'open') throw failure(Error, 'Trying to add data in unsupported state');
    if (typeof data !== 'string' && !ArrayBuffer.isView(data)) {
      throw failure(TypeError, 'The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ' + (data === null ? 'null' : typeof data), 'ERR_INVALID_ARG_TYPE');
    }
    return this._out(this._process(bytesOf(data, inputEncoding, 'data')), outputEncoding, false);
  };
  Cipher.prototype.final = function (outputEncoding) {
    if (this._state !== 'open') throw failure(Error, 'Invalid state', 'ERR_CRYPTO_INVALID_STATE');
    this._state = 'final';
    return this._out(this._finish(), outputEncoding, true);
  };
  Cipher.prototype.setAutoPadding = function (on) {
    if (this._state !== 'open') throw failure(Error, 'Invalid state for operation setAutoPadding', 'ERR_CRYPTO_INVALID_STATE');
    this._padding = on === undefined ? true : !!on;
    return this;
  };
  Cipher.prototype.setAAD = function (aad) {
    if (this._mode !== 'gcm' || this._state !== 'open' || this._textLength > 0) throw failure(Error, 'Invalid state for operation setAAD', 'ERR_CRYPTO_INVALID_STATE');
    var bytes = bytesOf(aad, 'utf8', 'buffer');
    this._aadLength += bytes.length;
    this._ghash.update(bytes);
    return this;
  };
  Cipher.prototype.getAuthTag = function () {
    if (this._decipher || this._mode !== 'gcm' || this._tag === null) throw failure(Error, 'Invalid state for operation getAuthTag', 'ERR_CRYPTO_INVALID_STATE');
    return Buffer.from(this._tag);
  };
  Cipher.prototype.setAuthTag = function (tag) {
    if (!this._decipher || this._mode !== 'gcm' || this._state !== 'open') throw failure(Error, 'Invalid state for operation setAuthTag', 'ERR_CRYPTO_INVALID_STATE');
    var bytes = bytesOf(tag, 'utf8', 'buffer');
    if (!(bytes.length === 4 || bytes.length === 8 || (bytes.length >= 12 && bytes.length <= 16))) {
      throw failure(TypeError, 'Invalid authentication tag length: ' + bytes.length, 'ERR_CRYPTO_INVALID_AUTH_TAG');
    }
    this._expectedTag = Buffer.from(bytes);
    return this;
  };

  // OpenSSL's EVP_BytesToKey with MD5, one round, no salt: the key and IV createCipher derives
  // from a password.
  function fromPassword(name, password) {
    var spec = typeof name === 'string' ? SPECS[name.toLowerCase()] : undefined;
    if (!spec) throw failure(Error, 'Unknown cipher', 'ERR_CRYPTO_UNKNOWN_CIPHER');
    var pass = bytesOf(password, 'utf8', 'password'), ivLength = spec.mode === 'ecb' ? 0 : spec.mode === 'gcm' ? 12 : 16;
    var derived = Buffer.alloc(0), last = Buffer.alloc(0);
    while (derived.length < spec.keyLength + ivLength) {
      last = Buffer.from(rt.call('node.hash', { algorithm: 'md5', data: Buffer.concat([last, pass]).toString('base64') }), 'base64');
      derived = Buffer.concat([derived, last]);
    }
    return [derived.subarray(0, spec.keyLength), ivLength ? derived.subarray(spec.keyLength, spec.keyLength + ivLength) : null];
  }

  function Cipheriv(name, key, iv, options) { if (!(this instanceof Cipheriv)) return new Cipheriv(name, key, iv, options); Cipher.call(this, name, key, iv, options, false); }
  function Decipheriv(name, key, iv, options) { if (!(this instanceof Decipheriv)) return new Decipheriv(name, key, iv, options); Cipher.call(this, name, key, iv, options, true); }
  Cipheriv.prototype = Object.create(Cipher.prototype, { constructor: { value: Cipheriv, writable: true, configurable: true } });
  Decipheriv.prototype = Object.create(Cipher.prototype, { constructor: { value: Decipheriv, writable: true, configurable: true } });

  exports.createCipheriv = function (name, key, iv, options) { return new Cipheriv(name, key, iv, options); };
  exports.createDecipheriv = function (name, key, iv, options) { return new Decipheriv(name, key, iv, options); };
  exports.createCipher = function (name, password, options) { var d = fromPassword(name, password); return new Cipheriv(name, d[0], d[1], options); };
  exports.createDecipher = function (name, password, options) { var d = fromPassword(name, password); return new Decipheriv(name, d[0], d[1], options); };
  exports.Cipheriv = Cipheriv;
  exports.Decipheriv = Decipheriv;
  exports.getCiphers = function () { return Object.keys(SPECS).filter(function (n) { return n.indexOf('id-') !== 0; }).sort(); };
  exports.protect = [Cipher, Cipheriv, Decipheriv];
});
