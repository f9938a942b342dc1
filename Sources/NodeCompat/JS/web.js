// Node 18's web globals scripts and packages reach for: `EventTarget`/`Event`,
// `AbortController`/`AbortSignal` (with `abort()` and `timeout()`), `Blob` and `FormData`.
rt.define('authsim:web', function (module, exports, require) {
  'use strict';
  var Buffer = require('buffer').Buffer;
  var kListeners = Symbol('listeners');

  function Event(type, init) {
    if (!(this instanceof Event)) throw new TypeError("Class constructor Event cannot be invoked without 'new'");
    this.type = String(type);
    this.bubbles = !!(init && init.bubbles);
    this.cancelable = !!(init && init.cancelable);
    this.defaultPrevented = false;
    this.timeStamp = rt.now();
    this.target = null;
    this.currentTarget = null;
  }
  Event.prototype.preventDefault = function () { if (this.cancelable) this.defaultPrevented = true; };
  Event.prototype.stopPropagation = function () {};
  Event.prototype.stopImmediatePropagation = function () { this._stopped = true; };

  function EventTarget() { rt.primordials.defineProperty(this, kListeners, { value: Object.create(null) }); }
  EventTarget.prototype.addEventListener = function (type, fn, options) {
    if (typeof fn !== 'function' && !(fn && typeof fn.handleEvent === 'function')) return;
    var list = this[kListeners][type] || (this[kListeners][type] = []);
    if (list.some(function (l) { return l.fn === fn; })) return;
    list.push({ fn: fn, once: !!(options && options.once) });
  };
  EventTarget.prototype.removeEventListener = function (type, fn) {
    var list = this[kListeners][type];
    if (list) this[kListeners][type] = list.filter(function (l) { return l.fn !== fn; });
  };
  EventTarget.prototype.dispatchEvent = function (event) {
    event.target = event.currentTarget = this;
    var handler = this['on' + event.type];
    if (typeof handler === 'function') handler.call(this, event);
    var list = (this[kListeners][event.type] || []).slice();
    for (var i = 0; i < list.length && !event._stopped; i++) {
      if (list[i].once) this.removeEventListener(event.type, list[i].fn);
      if (typeof list[i].fn === 'function') list[i].fn.call(this, event); else list[i].fn.handleEvent(event);
    }
    return !event.defaultPrevented;
  };

  function abortError(reason) {
    if (reason !== undefined) return reason;
    var e = new Error('This operation was aborted');
    e.name = 'AbortError';
    e.code = 20;
    return e;
  }
  function AbortSignal() { throw new TypeError('Illegal constructor'); }
  AbortSignal.prototype = Object.create(EventTarget.prototype, { constructor: { value: AbortSignal, writable: true, configurable: true } });
  function makeSignal() {
    var s = Object.create(AbortSignal.prototype);
    EventTarget.call(s);
    s.aborted = false;
    s.reason = undefined;
    s.onabort = null;
    return s;
  }
  function fire(signal, reason) {
    if (signal.aborted) return;
    signal.aborted = true;
    signal.reason = abortError(reason);
    signal.dispatchEvent(new Event('abort'));
  }
  AbortSignal.prototype.throwIfAborted = function () { if (this.aborted) throw this.reason; };
  AbortSignal.abort = function (reason) { var s = makeSignal(); fire(s, reason); return s; };
  AbortSignal.timeout = function (ms) {
    var s = makeSignal();
    setTimeout(function () {
      var e = new Error('The operation was aborted due to timeout');
      e.name = 'TimeoutError';
      e.code = 23;
      fire(s, e);
    }, ms);
    return s;
  };
  function AbortController() {
    if (!(this instanceof AbortController)) throw new TypeError("Class constructor AbortController cannot be invoked without 'new'");
    this.signal = makeSignal();
  }
  AbortController.prototype.abort = function (reason) { fire(this.signal, reason); };

  function bytesOf(part) {
    if (part instanceof Blob) return part._bytes;
    if (part instanceof ArrayBuffer) return Buffer.from(new Uint8Array(part));
    if (ArrayBuffer.isView(part)) return Buffer.from(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    return Buffer.from(String(part), 'utf8');
  }
  function Blob(parts, options) {
    if (!(this instanceof Blob)) throw new TypeError("Class constructor Blob cannot be invoked without 'new'");
    parts = parts === undefined ? [] : parts;
    if (typeof parts !== 'object' || parts === null || typeof parts[Symbol.iterator] !== 'function') {
      var e = new TypeError('The "sources" argument must be a sequence.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    this._bytes = Buffer.concat(Array.from(parts).map(bytesOf));
    this.type = options && options.type ? String(options.type).toLowerCase() : '';
    this.size = this._bytes.length;
  }
  Blob.prototype.text = function () { return Promise.resolve(this._bytes.toString('utf8')); };
  Blob.prototype.arrayBuffer = function () { var b = this._bytes; return Promise.resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
  Blob.prototype.slice = function (start, end, type) {
    var b = new Blob([this._bytes.slice(start === undefined ? 0 : start, end === undefined ? this.size : end)], { type: type || '' });
    return b;
  };
  rt.primordials.defineProperty(Blob.prototype, Symbol.toStringTag, { value: 'Blob' });

  function FormData() {
    if (!(this instanceof FormData)) throw new TypeError("Class constructor FormData cannot be invoked without 'new'");
    this._entries = [];
  }
  function entryValue(value, filename) {
    if (value instanceof Blob) { if (filename !== undefined || !value.name) value.name = filename === undefined ? 'blob' : String(filename); return value; }
    return String(value);
  }
  FormData.prototype.append = function (name, value, filename) { this._entries.push([String(name), entryValue(value, filename)]); };
  FormData.prototype.set = function (name, value, filename) {
    name = String(name);
    var i = this._entries.findIndex(function (e) { return e[0] === name; });
    var v = entryValue(value, filename);
    this._entries = this._entries.filter(function (e, j) { return e[0] !== name || j === i; });
    if (i >= 0) this._entries[this._entries.findIndex(function (e) { return e[0] === name; })][1] = v; else this._entries.push([name, v]);
  };
  FormData.prototype.get = function (name) { var e = this._entries.find(function (x) { return x[0] === String(name); }); return e ? e[1] : null; };
  FormData.prototype.getAll = function (name) { return this._entries.filter(function (x) { return x[0] === String(name); }).map(function (x) { return x[1]; }); };
  FormData.prototype.has = function (name) { return this._entries.some(function (x) { return x[0] === String(name); }); };
  FormData.prototype.delete = function (name) { this._entries = this._entries.filter(function (x) { return x[0] !== String(name); }); };
  FormData.prototype.entries = function () { return this._entries.map(function (e) { return [e[0], e[1]]; })[Symbol.iterator](); };
  FormData.prototype.keys = function () { return this._entries.map(function (e) { return e[0]; })[Symbol.iterator](); };
  FormData.prototype.values = function () { return this._entries.map(function (e) { return e[1]; })[Symbol.iterator](); };
  FormData.prototype.forEach = function (fn, self) { var t = this; this._entries.forEach(function (e) { fn.call(self, e[1], e[0], t); }); };
  FormData.prototype[Symbol.iterator] = FormData.prototype.entries;
  rt.primordials.defineProperty(FormData.prototype, Symbol.toStringTag, { value: 'FormData' });

  exports.Event = Event;
  exports.EventTarget = EventTarget;
  exports.AbortController = AbortController;
  exports.AbortSignal = AbortSignal;
  exports.Blob = Blob;
  exports.FormData = FormData;
});
