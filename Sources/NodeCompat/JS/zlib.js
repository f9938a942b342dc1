// `zlib`: gzip, deflate (zlib and raw), their inverses and unzip, on the system's zlib: the
// `*Sync` functions, the callback and promise forms, and the streams (Transforms that
// collect their input and answer at its end).
rt.define('zlib', function (module, exports, require) {
  'use strict';
  var Buffer = require('buffer').Buffer;
  var stream = require('stream');
  var util = require('util');
  function toBuffer(v) {
    if (Buffer.isBuffer(v)) return v;
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return Buffer.from(v.buffer ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v);
    var e = new TypeError('The "buffer" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer. Received ' + (v === null ? 'null' : typeof v));
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  function run(op, input, options) {
    options = options || {};
    var r = rt.call('node.zlib', { op: op, data: toBuffer(input).toString('base64'), level: options.level === undefined ? -1 : options.level,
      maxOutputLength: options.maxOutputLength });
    if (r.error) {
      var e = /^ERR_(OUT_OF_RANGE|BUFFER_TOO_LARGE)$/.test(r.error.code) ? new RangeError(r.error.message) : new Error(r.error.message);
      e.code = r.error.code;
      if (/^Z_/.test(r.error.code)) e.errno = r.error.code === 'Z_DATA_ERROR' ? -3 : r.error.code === 'Z_BUF_ERROR' ? -5 : -2;
      throw e;
    }
    return Buffer.from(r.data, 'base64');
  }
  var ops = { gzip: 'Gzip', gunzip: 'Gunzip', deflate: 'Deflate', inflate: 'Inflate', deflateRaw: 'DeflateRaw', inflateRaw: 'InflateRaw', unzip: 'Unzip' };
  Object.keys(ops).forEach(function (op) {
    exports[op + 'Sync'] = function (buffer, options) { return run(op, buffer, options); };
    exports[op] = function (buffer, options, cb) {
      if (typeof options === 'function') { cb = options; options = {}; }
      var out, err = null;
      try { out = run(op, buffer, options); } catch (e) { err = e; }
      process.nextTick(function () { if (err) cb(err); else cb(null, out); });
    };
    exports[op][util.promisify.custom] = function (buffer, options) {
      return new Promise(function (ok, fail) { exports[op](buffer, options || {}, function (e, v) { if (e) fail(e); else ok(v); }); });
    };
    function Z(options) {
      if (!(this instanceof Z)) return new Z(options);
      stream.Transform.call(this, options);
      this._zopts = options || {};
      this._chunks = [];
    }
    util.inherits(Z, stream.Transform);
    Z.prototype._transform = function (chunk, enc, cb) { this._chunks.push(toBuffer(chunk)); cb(); };
    Z.prototype._flush = function (cb) {
      var out;
      try { out = run(op, Buffer.concat(this._chunks), this._zopts); } catch (e) { cb(e); return; }
      this._chunks = [];
      cb(null, out);
    };
    exports[ops[op]] = Z;
    exports['create' + ops[op]] = function (options) { return new Z(options); };
  });
  exports.constants = {
    Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
    Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3, Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
    Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
    Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0
  };
  Object.keys(exports.constants).forEach(function (k) { exports[k] = exports.constants[k]; });
});
