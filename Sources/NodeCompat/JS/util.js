// `util`: format, inspect, promisify, callbackify, inherits, deprecate, isDeepStrictEqual,
// types, TextEncoder/TextDecoder.
rt.define('util', function (module, exports, require) {
  'use strict';
  var buffer = require('buffer');
  var customPromisify = Symbol.for('nodejs.util.promisify.custom');

  function inspect(v, opts) { return rt.inspect(v); }
  inspect.custom = Symbol.for('nodejs.util.inspect.custom');
  inspect.defaultOptions = { depth: 2 };

  function promisify(fn) {
    if (typeof fn !== 'function') throw new TypeError('The "original" argument must be of type function');
    if (fn[customPromisify]) return fn[customPromisify];
    function promisified() {
      var self = this, args = Array.prototype.slice.call(arguments);
      return new Promise(function (resolve, reject) {
        args.push(function (err, value) {
          if (err) reject(err); else resolve(value);
        });
        fn.apply(self, args);
      });
    }
    Object.setPrototypeOf(promisified, Object.getPrototypeOf(fn));
    rt.primordials.defineProperty(promisified, customPromisify, { value: promisified });
    return promisified;
  }
  promisify.custom = customPromisify;

  function callbackify(fn) {
    if (typeof fn !== 'function') throw new TypeError('The "original" argument must be of type function');
    return function () {
      var args = Array.prototype.slice.call(arguments);
      var cb = args.pop();
      if (typeof cb !== 'function') throw new TypeError('The last argument must be of type function');
      fn.apply(this, args).then(function (v) { queueMicrotask(function () { cb(null, v); }); }, function (e) {
        if (!e) { var w = new Error('Promise was rejected with a falsy value'); w.reason = e; e = w; }
        queueMicrotask(function () { cb(e); });
      });
    };
  }

  function inherits(ctor, superCtor) {
    rt.primordials.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
    Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  }

  function deprecate(fn, msg) {
    var warned = false;
    return function () {
      if (!warned) { warned = true; console.warn('DeprecationWarning: ' + msg); }
      return fn.apply(this, arguments);
    };
  }

  function deepEqual(a, b, strict, seen) {
    if (strict ? Object.is(a, b) : (a == b || (a !== a && b !== b))) return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    if (Object.prototype.toString.call(a) !== Object.prototype.toString.call(b)) return false;
    if (a instanceof Date) return a.getTime() === b.getTime();
    if (a instanceof RegExp) return String(a) === String(b);
    if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
    seen = seen || [];
    for (var s = 0; s < seen.length; s++) if (seen[s][0] === a && seen[s][1] === b) return true;
    seen.push([a, b]);
    if (a instanceof Map) {
      if (a.size !== b.size) return false;
      var okMap = true;
      a.forEach(function (v, k) { if (okMap && (!b.has(k) || !deepEqual(v, b.get(k), strict, seen))) okMap = false; });
      return okMap;
    }
    if (a instanceof Set) {
      if (a.size !== b.size) return false;
      var okSet = true;
      a.forEach(function (v) { if (okSet && !b.has(v)) okSet = false; });
      return okSet;
    }
    if (ArrayBuffer.isView(a)) {
      if (a.length !== b.length) return false;
      for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      return true;
    }
    var ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (var j = 0; j < ka.length; j++) {
      if (!Object.prototype.hasOwnProperty.call(b, ka[j])) return false;
      if (!deepEqual(a[ka[j]], b[ka[j]], strict, seen)) return false;
    }
    return true;
  }

  function TextEncoder() {}
  TextEncoder.prototype.encoding = 'utf-8';
  TextEncoder.prototype.encode = function (s) { return new Uint8Array(buffer.__utf8Encode(s === undefined ? '' : String(s))); };
  TextEncoder.prototype.encodeInto = function (s, dest) {
    var bytes = buffer.__utf8Encode(String(s));
    var n = Math.min(bytes.length, dest.length);
    for (var i = 0; i < n; i++) dest[i] = bytes[i];
    return { read: s.length, written: n };
  };
  function TextDecoder(label, options) {
    var l = label === undefined ? 'utf-8' : String(label).toLowerCase();
    if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8') {
      var e = new RangeError('The "' + label + '" encoding is not supported');
      e.code = 'ERR_ENCODING_NOT_SUPPORTED';
      throw e;
    }
    this.encoding = 'utf-8';
    this.fatal = !!(options && options.fatal);
    this.ignoreBOM = !!(options && options.ignoreBOM);
  }
  TextDecoder.prototype.decode = function (input) {
    if (input === undefined) return '';
    var b = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    var start = (!this.ignoreBOM && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) ? 3 : 0;
    var s = buffer.__utf8Decode(b, start, b.length);
    if (this.fatal && s.indexOf('\ufffd') >= 0) {
      var e = new TypeError('The encoded data was not valid for encoding utf-8');
      e.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
      throw e;
    }
    return s;
  };

  var toString = Object.prototype.toString;
  exports.format = function () { return rt.format.apply(undefined, arguments); };
  exports.inspect = inspect;
  exports.promisify = promisify;
  exports.callbackify = callbackify;
  exports.inherits = inherits;
  exports.deprecate = deprecate;
  exports.isDeepStrictEqual = function (a, b) { return deepEqual(a, b, true); };
  exports.__deepEqual = deepEqual;
  exports.TextEncoder = TextEncoder;
  exports.TextDecoder = TextDecoder;
  exports.types = {
    isDate: function (v) { return v instanceof Date; },
    isRegExp: function (v) { return v instanceof RegExp; },
    isPromise: function (v) { return v instanceof Promise; },
    isMap: function (v) { return v instanceof Map; },
    isSet: function (v) { return v instanceof Set; },
    isTypedArray: function (v) { return ArrayBuffer.isView(v) && !(v instanceof DataView); },
    isUint8Array: function (v) { return v instanceof Uint8Array; },
    isAnyArrayBuffer: function (v) { return v instanceof ArrayBuffer; },
    isNativeError: function (v) { return v instanceof Error; },
    isAsyncFunction: function (v) { return typeof v === 'function' && toString.call(v) === '[object AsyncFunction]'; }
  };
  exports.isArray = Array.isArray;
  exports.isBoolean = function (v) { return typeof v === 'boolean'; };
  exports.isNull = function (v) { return v === null; };
  exports.isNullOrUndefined = function (v) { return v === null || v === undefined; };
  exports.isNumber = function (v) { return typeof v === 'number'; };
  exports.isString = function (v) { return typeof v === 'string'; };
  exports.isSymbol = function (v) { return typeof v === 'symbol'; };
  exports.isUndefined = function (v) { return v === undefined; };
  exports.isRegExp = exports.types.isRegExp;
  exports.isObject = function (v) { return v !== null && typeof v === 'object'; };
  exports.isDate = exports.types.isDate;
  exports.isError = function (v) { return v instanceof Error; };
  exports.isFunction = function (v) { return typeof v === 'function'; };
  exports.isPrimitive = function (v) { return v === null || (typeof v !== 'object' && typeof v !== 'function'); };
  exports.isBuffer = function (v) { return buffer.Buffer.isBuffer(v); };
});
