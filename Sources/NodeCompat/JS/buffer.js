// `buffer`: Buffer as a Uint8Array subclass with Node's encodings (utf8, hex, base64,
// base64url, latin1/binary, ascii, utf16le), plus atob/btoa.
rt.define('buffer', function (module, exports) {
  'use strict';
  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  var B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  var B64REV = new Int16Array(256).fill(-1);
  for (var i = 0; i < 64; i++) { B64REV[B64.charCodeAt(i)] = i; B64REV[B64URL.charCodeAt(i)] = i; }

  function utf8Encode(str) {
    var out = [];
    for (var i = 0; i < str.length; i++) {
      var c = str.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
        var d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
        else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return out;
  }

  function utf8Decode(b, start, end) {
    var s = '', chunk = [];
    for (var i = start; i < end;) {
      var c = b[i], cp = 0xfffd, n = 1;
      if (c < 0x80) { cp = c; }
      else if (c >= 0xc2 && c < 0xe0 && i + 1 < end && (b[i + 1] & 0xc0) === 0x80) { cp = ((c & 31) << 6) | (b[i + 1] & 63); n = 2; }
      else if (c >= 0xe0 && c < 0xf0 && i + 2 < end && (b[i + 1] & 0xc0) === 0x80 && (b[i + 2] & 0xc0) === 0x80) {
        cp = ((c & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63); n = 3;
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) { cp = 0xfffd; n = 1; }
      } else if (c >= 0xf0 && c < 0xf5 && i + 3 < end && (b[i + 1] & 0xc0) === 0x80 && (b[i + 2] & 0xc0) === 0x80 && (b[i + 3] & 0xc0) === 0x80) {
        cp = ((c & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63); n = 4;
        if (cp < 0x10000 || cp > 0x10ffff) { cp = 0xfffd; n = 1; }
      }
      if (cp > 0xffff) { cp -= 0x10000; chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023)); }
      else chunk.push(cp);
      i += n;
      if (chunk.length > 8000) { s += String.fromCharCode.apply(null, chunk); chunk = []; }
    }
    return s + String.fromCharCode.apply(null, chunk);
  }

  // Flat strings, a piece at a time: `out += …` per character built a rope of millions of
  // nodes (a 4 MiB buffer's base64 took over 128 MiB of heap).
  function base64Encode(b, start, end, url) {
    var A = url ? B64URL : B64, parts = [], codes = [];
    for (var i = start; i < end; i += 3) {
      var n = (b[i] << 16) | ((i + 1 < end ? b[i + 1] : 0) << 8) | (i + 2 < end ? b[i + 2] : 0);
      codes.push(A.charCodeAt((n >> 18) & 63), A.charCodeAt((n >> 12) & 63));
      if (i + 1 < end) codes.push(A.charCodeAt((n >> 6) & 63)); else if (!url) codes.push(61);
      if (i + 2 < end) codes.push(A.charCodeAt(n & 63)); else if (!url) codes.push(61);
      if (codes.length >= 8192) { parts.push(String.fromCharCode.apply(null, codes)); codes = []; }
    }
    if (codes.length) parts.push(String.fromCharCode.apply(null, codes));
    return parts.join('');
  }

  // Lenient like Node: both alphabets, whitespace and missing padding accepted; stops at '='.
  function base64Decode(str) {
    var out = new Uint8Array(Math.ceil(str.length * 3 / 4)), n = 0, bits = 0, acc = 0;
    for (var i = 0; i < str.length; i++) {
      var c = str.charCodeAt(i);
      if (c === 61) break;
      var v = c < 256 ? B64REV[c] : -1;
      if (v < 0) continue;
      acc = ((acc << 6) | v) & 0xffffff; bits += 6;
      if (bits >= 8) { bits -= 8; out[n++] = (acc >> bits) & 255; }
    }
    return out.subarray(0, n);
  }

  function hexDecode(str) {
    var out = [];
    for (var i = 0; i + 1 < str.length; i += 2) {
      var v = parseInt(str.substr(i, 2), 16);
      if (isNaN(v) || !/^[0-9a-fA-F]{2}$/.test(str.substr(i, 2))) break;
      out.push(v);
    }
    return out;
  }

  function normalizeEncoding(enc) {
    if (enc === undefined || enc === null) return 'utf8';
    var e = String(enc).toLowerCase();
    switch (e) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'hex': return 'hex';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'latin1': case 'binary': return 'latin1';
      case 'ascii': return 'ascii';
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    }
    var err = new TypeError('Unknown encoding: ' + enc);
    err.code = 'ERR_UNKNOWN_ENCODING';
    throw err;
  }

  function encode(str, enc) {
    switch (normalizeEncoding(enc)) {
      case 'utf8': return utf8Encode(str);
      case 'hex': return hexDecode(str);
      case 'base64': case 'base64url': return base64Decode(str);
      case 'ascii': case 'latin1': {
        var out = new Array(str.length);
        for (var i = 0; i < str.length; i++) out[i] = str.charCodeAt(i) & 255;
        return out;
      }
      case 'utf16le': {
        var o = [];
        for (var j = 0; j < str.length; j++) { var c = str.charCodeAt(j); o.push(c & 255, c >> 8); }
        return o;
      }
    }
  }

  function decode(b, enc, start, end) {
    switch (normalizeEncoding(enc)) {
      case 'utf8': return utf8Decode(b, start, end);
      case 'hex': {
        var h = '';
        for (var i = start; i < end; i++) h += (b[i] < 16 ? '0' : '') + b[i].toString(16);
        return h;
      }
      case 'base64': return base64Encode(b, start, end, false);
      case 'base64url': return base64Encode(b, start, end, true);
      case 'latin1': case 'ascii': {
        var s = '', mask = normalizeEncoding(enc) === 'ascii' ? 127 : 255;
        for (var j = start; j < end; j++) s += String.fromCharCode(b[j] & mask);
        return s;
      }
      case 'utf16le': {
        var u = '';
        for (var k = start; k + 1 < end; k += 2) u += String.fromCharCode(b[k] | (b[k + 1] << 8));
        return u;
      }
    }
  }

  class Buffer extends Uint8Array {
    constructor(a, b, c) {
      if (typeof a === 'string') { var bytes = encode(a, b); super(bytes.length); this.set(bytes); }
      else if (typeof a === 'number') super(a);
      else if (a instanceof ArrayBuffer) super(a, b || 0, c === undefined ? a.byteLength - (b || 0) : c);
      else super(a);
    }
    static from(v, encOrOffset, length) {
      if (typeof v === 'string') return new Buffer(v, encOrOffset);
      if (v instanceof ArrayBuffer) return new Buffer(v, encOrOffset, length);
      // A DataView's bytes; a typed array's elements, each truncated to a byte (as Node copies
      // `new Uint16Array([258, 3])`: 02 03).
      if (v instanceof DataView) { var view = new Buffer(v.byteLength); view.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)); return view; }
      if (ArrayBuffer.isView(v)) { var copy = new Buffer(v.length); for (var j = 0; j < v.length; j++) copy[j] = v[j] & 255; return copy; }
      if (Array.isArray(v)) { var arr = new Buffer(v.length); for (var i = 0; i < v.length; i++) arr[i] = v[i] & 255; return arr; }
      if (v && typeof v === 'object') {
        // A boxed string or a wrapper first (`new String('xy')`), as Node does.
        var prim = typeof v.valueOf === 'function' ? v.valueOf() : v;
        if (prim != null && prim !== v && (typeof prim === 'string' || typeof prim === 'object')) return Buffer.from(prim, encOrOffset, length);
        if (v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data);
        if (typeof v.length === 'number') return Buffer.from(Array.prototype.slice.call(v));
      }
      throw new TypeError('The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received ' + (v === null ? 'null' : typeof v));
    }
    static alloc(n, fill, enc) {
      var b = new Buffer(n);
      if (fill !== undefined && fill !== 0) b.fill(fill, 0, n, enc);
      return b;
    }
    static allocUnsafe(n) { return new Buffer(n); }
    static allocUnsafeSlow(n) { return new Buffer(n); }
    static isBuffer(b) { return b instanceof Buffer; }
    static isEncoding(e) { try { normalizeEncoding(e); return typeof e === 'string'; } catch (x) { return false; } }
    static byteLength(v, enc) {
      if (typeof v !== 'string') return v.byteLength;
      return encode(v, enc).length;
    }
    static concat(list, total) {
      if (!Array.isArray(list)) throw new TypeError('The "list" argument must be an instance of Array');
      if (total === undefined) { total = 0; for (var i = 0; i < list.length; i++) total += list[i].length; }
      var out = Buffer.alloc(total), pos = 0;
      for (var j = 0; j < list.length && pos < total; j++) {
        var part = list[j];
        var n = Math.min(part.length, total - pos);
        out.set(n === part.length ? part : part.subarray(0, n), pos);
        pos += n;
      }
      return out;
    }
    static compare(a, b) { return a.compare(b); }
    toString(enc, start, end) {
      start = start === undefined ? 0 : Math.max(0, start | 0);
      end = end === undefined ? this.length : Math.min(this.length, end | 0);
      if (end <= start) return '';
      return decode(this, enc, start, end);
    }
    toJSON() { return { type: 'Buffer', data: Array.prototype.slice.call(this) }; }
    toLocaleString(enc) { return this.toString(enc); }
    equals(other) { return this.compare(other) === 0; }
    compare(other, ts, te, ss, se) {
      var a = this.subarray(ss || 0, se === undefined ? this.length : se);
      var b = other.subarray(ts || 0, te === undefined ? other.length : te);
      var n = Math.min(a.length, b.length);
      for (var i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1);
    }
    copy(target, targetStart, sourceStart, sourceEnd) {
      targetStart = targetStart || 0; sourceStart = sourceStart || 0;
      sourceEnd = sourceEnd === undefined ? this.length : sourceEnd;
      var n = Math.max(0, Math.min(sourceEnd - sourceStart, target.length - targetStart));
      target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
      return n;
    }
    slice(start, end) { return this.subarray(start, end); }
    write(str, offset, length, enc) {
      if (typeof offset === 'string') { enc = offset; offset = 0; length = undefined; }
      else if (typeof length === 'string') { enc = length; length = undefined; }
      offset = offset || 0;
      var bytes = encode(str, enc);
      var n = Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length);
      for (var i = 0; i < n; i++) this[offset + i] = bytes[i];
      return n;
    }
    fill(v, start, end, enc) {
      if (typeof start === 'string') { enc = start; start = 0; end = this.length; }
      start = start || 0; end = end === undefined ? this.length : end;
      if (typeof v === 'number') return Uint8Array.prototype.fill.call(this, v & 255, start, end);
      var bytes = typeof v === 'string' ? encode(v, enc) : Array.prototype.slice.call(v);
      if (bytes.length === 0) return Uint8Array.prototype.fill.call(this, 0, start, end);
      for (var i = start, j = 0; i < end; i++, j = (j + 1) % bytes.length) this[i] = bytes[j];
      return this;
    }
    indexOf(v, from, enc) {
      if (typeof v === 'number') return Uint8Array.prototype.indexOf.call(this, v & 255, from);
      var needle = typeof v === 'string' ? encode(v, enc) : v;
      from = from || 0;
      if (from < 0) from = Math.max(0, this.length + from);
      outer: for (var i = from; i <= this.length - needle.length; i++) {
        for (var j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    }
    includes(v, from, enc) { return this.indexOf(v, from, enc) !== -1; }
    // Fixed-width numbers, through a DataView over the same bytes; offsets are checked as Node
    // checks them (ERR_OUT_OF_RANGE / ERR_BUFFER_OUT_OF_BOUNDS).
    _view() { return new DataView(this.buffer, this.byteOffset, this.byteLength); }
    readUInt8(o) { return this._view().getUint8(at(this, o, 1)); }
    readInt8(o) { return this._view().getInt8(at(this, o, 1)); }
    readUInt16BE(o) { return this._view().getUint16(at(this, o, 2), false); }
    readUInt16LE(o) { return this._view().getUint16(at(this, o, 2), true); }
    readInt16BE(o) { return this._view().getInt16(at(this, o, 2), false); }
    readInt16LE(o) { return this._view().getInt16(at(this, o, 2), true); }
    readUInt32BE(o) { return this._view().getUint32(at(this, o, 4), false); }
    readUInt32LE(o) { return this._view().getUint32(at(this, o, 4), true); }
    readInt32BE(o) { return this._view().getInt32(at(this, o, 4), false); }
    readInt32LE(o) { return this._view().getInt32(at(this, o, 4), true); }
    readFloatBE(o) { return this._view().getFloat32(at(this, o, 4), false); }
    readFloatLE(o) { return this._view().getFloat32(at(this, o, 4), true); }
    readDoubleBE(o) { return this._view().getFloat64(at(this, o, 8), false); }
    readDoubleLE(o) { return this._view().getFloat64(at(this, o, 8), true); }
    readBigInt64BE(o) { return this._view().getBigInt64(at(this, o, 8), false); }
    readBigInt64LE(o) { return this._view().getBigInt64(at(this, o, 8), true); }
    readBigUInt64BE(o) { return this._view().getBigUint64(at(this, o, 8), false); }
    readBigUInt64LE(o) { return this._view().getBigUint64(at(this, o, 8), true); }
    readUIntBE(o, n) { o = at(this, o, width(n)); var v = 0; for (var i = 0; i < n; i++) v = v * 256 + this[o + i]; return v; }
    readUIntLE(o, n) { o = at(this, o, width(n)); var v = 0; for (var i = n - 1; i >= 0; i--) v = v * 256 + this[o + i]; return v; }
    readIntBE(o, n) { var v = this.readUIntBE(o, n), lim = Math.pow(2, 8 * n - 1); return v >= lim ? v - 2 * lim : v; }
    readIntLE(o, n) { var v = this.readUIntLE(o, n), lim = Math.pow(2, 8 * n - 1); return v >= lim ? v - 2 * lim : v; }
    writeUInt8(v, o) { o = at(this, o, 1); this._view().setUint8(o, inRange(v, 0, 255)); return o + 1; }
    writeInt8(v, o) { o = at(this, o, 1); this._view().setInt8(o, inRange(v, -128, 127)); return o + 1; }
    writeUInt16BE(v, o) { o = at(this, o, 2); this._view().setUint16(o, inRange(v, 0, 0xffff), false); return o + 2; }
    writeUInt16LE(v, o) { o = at(this, o, 2); this._view().setUint16(o, inRange(v, 0, 0xffff), true); return o + 2; }
    writeInt16BE(v, o) { o = at(this, o, 2); this._view().setInt16(o, inRange(v, -0x8000, 0x7fff), false); return o + 2; }
    writeInt16LE(v, o) { o = at(this, o, 2); this._view().setInt16(o, inRange(v, -0x8000, 0x7fff), true); return o + 2; }
    writeUInt32BE(v, o) { o = at(this, o, 4); this._view().setUint32(o, inRange(v, 0, 0xffffffff), false); return o + 4; }
    writeUInt32LE(v, o) { o = at(this, o, 4); this._view().setUint32(o, inRange(v, 0, 0xffffffff), true); return o + 4; }
    writeInt32BE(v, o) { o = at(this, o, 4); this._view().setInt32(o, inRange(v, -0x80000000, 0x7fffffff), false); return o + 4; }
    writeInt32LE(v, o) { o = at(this, o, 4); this._view().setInt32(o, inRange(v, -0x80000000, 0x7fffffff), true); return o + 4; }
    writeFloatBE(v, o) { o = at(this, o, 4); this._view().setFloat32(o, +v, false); return o + 4; }
    writeFloatLE(v, o) { o = at(this, o, 4); this._view().setFloat32(o, +v, true); return o + 4; }
    writeDoubleBE(v, o) { o = at(this, o, 8); this._view().setFloat64(o, +v, false); return o + 8; }
    writeDoubleLE(v, o) { o = at(this, o, 8); this._view().setFloat64(o, +v, true); return o + 8; }
    writeBigInt64BE(v, o) { o = at(this, o, 8); this._view().setBigInt64(o, v, false); return o + 8; }
    writeBigInt64LE(v, o) { o = at(this, o, 8); this._view().setBigInt64(o, v, true); return o + 8; }
    writeBigUInt64BE(v, o) { o = at(this, o, 8); this._view().setBigUint64(o, v, false); return o + 8; }
    writeBigUInt64LE(v, o) { o = at(this, o, 8); this._view().setBigUint64(o, v, true); return o + 8; }
    writeUIntBE(v, o, n) { o = at(this, o, width(n)); v = inRange(v, 0, Math.pow(2, 8 * n) - 1); for (var i = n - 1; i >= 0; i--) { this[o + i] = v % 256; v = Math.floor(v / 256); } return o + n; }
    writeUIntLE(v, o, n) { o = at(this, o, width(n)); v = inRange(v, 0, Math.pow(2, 8 * n) - 1); for (var i = 0; i < n; i++) { this[o + i] = v % 256; v = Math.floor(v / 256); } return o + n; }
    writeIntBE(v, o, n) { var lim = Math.pow(2, 8 * n - 1); v = inRange(v, -lim, lim - 1); return this.writeUIntBE(v < 0 ? v + 2 * lim : v, o, n); }
    writeIntLE(v, o, n) { var lim = Math.pow(2, 8 * n - 1); v = inRange(v, -lim, lim - 1); return this.writeUIntLE(v < 0 ? v + 2 * lim : v, o, n); }
    swap16() { if (this.length % 2) throw bufferSize(16); for (var i = 0; i < this.length; i += 2) { var t = this[i]; this[i] = this[i + 1]; this[i + 1] = t; } return this; }
    swap32() { if (this.length % 4) throw bufferSize(32); for (var i = 0; i < this.length; i += 4) { this.subarray(i, i + 4).reverse(); } return this; }
    swap64() { if (this.length % 8) throw bufferSize(64); for (var i = 0; i < this.length; i += 8) { this.subarray(i, i + 8).reverse(); } return this; }
    [Symbol.for('nodejs.util.inspect.custom')]() {
      var parts = [];
      for (var i = 0; i < Math.min(this.length, 50); i++) parts.push((this[i] < 16 ? '0' : '') + this[i].toString(16));
      return '<Buffer' + (parts.length ? ' ' + parts.join(' ') : '') + (this.length > 50 ? ' ... ' + (this.length - 50) + ' more bytes' : '') + '>';
    }
  }
  // Node's Buffer is a function: callable without `new` (deprecated, still met: safer-buffer's
  // fallbacks under iconv-lite, old rules' `Buffer(str, 'base64')`), with enumerable static
  // methods (safer-buffer copies them with `for (key in Buffer)`). Instances and subclasses
  // are the class's.
  // (Reflect's functions as the module found them: a job that replaces Reflect.apply does not
  // get the runtime's own Buffer calls through its function.)
  var BufferClass = Buffer, construct = Reflect.construct, applyFn = rt.primordials.apply;
  Buffer = function Buffer(a, b, c) { return construct(BufferClass, arguments, new.target || Buffer); };
  Object.setPrototypeOf(Buffer, Uint8Array);
  Buffer.prototype = BufferClass.prototype;
  rt.primordials.defineProperty(Buffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true, enumerable: false });
  // Node's statics are plain functions (form-data writes `new Buffer.alloc(0)`).
  Object.getOwnPropertyNames(BufferClass).forEach(function (k) {
    if (k === 'length' || k === 'name' || k === 'prototype') return;
    var method = BufferClass[k];
    var fn = function () { return applyFn(method, Buffer, arguments); };
    rt.primordials.defineProperty(fn, 'name', { value: k });
    Buffer[k] = fn;
  });
  Buffer.of = function () { return Buffer.from(Array.prototype.slice.call(arguments)); };
  Buffer.copyBytesFrom = function (view, offset, length) {
    if (!ArrayBuffer.isView(view) || view instanceof DataView) throw new TypeError('The "view" argument must be an instance of TypedArray.');
    var start = offset === undefined ? 0 : Math.min(offset, view.length), end = length === undefined ? view.length : Math.min(view.length, start + length);
    var bytes = new Uint8Array(view.buffer, view.byteOffset + start * view.BYTES_PER_ELEMENT, (end - start) * view.BYTES_PER_ELEMENT);
    var out = Buffer.alloc(bytes.length);
    out.set(bytes);
    return out;
  };
  Buffer.poolSize = 8192;
  // Node's lower-case aliases (readUint8, writeUint32BE, …).
  Object.getOwnPropertyNames(Buffer.prototype).forEach(function (k) {
    if (/^(read|write)(Big)?UInt/.test(k)) {
      rt.primordials.defineProperty(Buffer.prototype, k.replace('UInt', 'Uint'), { value: Buffer.prototype[k], writable: true, configurable: true, enumerable: false });
    }
  });
  function outOfRange(name, range, received) {
    var e = new RangeError('The value of "' + name + '" is out of range. It must be ' + range + '. Received ' + String(received));
    e.code = 'ERR_OUT_OF_RANGE';
    return e;
  }
  function at(buf, o, n) {
    if (o === undefined) o = 0;
    if (typeof o !== 'number') { var t = new TypeError('The "offset" argument must be of type number. Received ' + typeof o); t.code = 'ERR_INVALID_ARG_TYPE'; throw t; }
    if (buf.length < n) { var b = new RangeError('Attempt to access memory outside buffer bounds'); b.code = 'ERR_BUFFER_OUT_OF_BOUNDS'; throw b; }
    if (o !== Math.floor(o) || o < 0 || o > buf.length - n) throw outOfRange('offset', '>= 0 and <= ' + (buf.length - n), o);
    return o;
  }
  function width(n) {
    if (n !== Math.floor(n) || n < 1 || n > 6) throw outOfRange('byteLength', '>= 1 and <= 6', n);
    return n;
  }
  function inRange(v, min, max) {
    v = +v;
    if (!(v >= min && v <= max)) throw outOfRange('value', '>= ' + min + ' and <= ' + max, v);
    return Math.trunc(v);
  }
  function bufferSize(bits) { var e = new RangeError('Buffer size must be a multiple of ' + bits + '-bits'); e.code = 'ERR_INVALID_BUFFER_SIZE'; return e; }
  rt.primordials.defineProperty(Buffer.prototype, 'parent', { get: function () { return this.buffer; } });

  function btoa(s) {
    s = String(s);
    var bytes = [];
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c > 255) { var e = new Error('Invalid character'); e.name = 'InvalidCharacterError'; throw e; }
      bytes.push(c);
    }
    return base64Encode(bytes, 0, bytes.length, false);
  }
  function atob(s) {
    s = String(s).replace(/[\t\n\f\r ]/g, '');
    if (/[^A-Za-z0-9+/=]/.test(s) || s.length % 4 === 1) { var e = new Error('The string to be decoded is not correctly encoded.'); e.name = 'InvalidCharacterError'; throw e; }
    var bytes = base64Decode(s), out = '';
    for (var i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
    return out;
  }

  exports.Buffer = Buffer;
  exports.SlowBuffer = Buffer;
  exports.atob = atob;
  exports.btoa = btoa;
  exports.kMaxLength = 0x7fffffff;
  exports.constants = { MAX_LENGTH: 0x7fffffff, MAX_STRING_LENGTH: 0x1fffffe8 };
  // Shared with the other modules (not part of Node's API).
  exports.__utf8Encode = utf8Encode;
  exports.__utf8Decode = utf8Decode;
});
