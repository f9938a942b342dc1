// `events`: EventEmitter.
rt.define('events', function (module) {
  'use strict';
  function EventEmitter() { EventEmitter.init.call(this); }
  EventEmitter.defaultMaxListeners = 10;
  EventEmitter.init = function () {
    if (!this._events || this._events === Object.getPrototypeOf(this)._events) this._events = Object.create(null);
    this._maxListeners = this._maxListeners || undefined;
  };
  function listenersOf(self, type) {
    if (!self._events) self._events = Object.create(null);
    return self._events[type] || (self._events[type] = []);
  }
  function add(self, type, fn, prepend) {
    if (typeof fn !== 'function') throw new TypeError('The "listener" argument must be of type function. Received ' + typeof fn);
    if (self._events && self._events.newListener) self.emit('newListener', type, fn.listener || fn);
    var list = listenersOf(self, type);
    if (prepend) list.unshift(fn); else list.push(fn);
    return self;
  }
  EventEmitter.prototype.on = EventEmitter.prototype.addListener = function (type, fn) { return add(this, type, fn, false); };
  EventEmitter.prototype.prependListener = function (type, fn) { return add(this, type, fn, true); };
  function onceWrapper(self, type, fn) {
    var fired = false;
    function w() {
      if (fired) return;
      fired = true;
      self.removeListener(type, w);
      return fn.apply(self, arguments);
    }
    w.listener = fn;
    return w;
  }
  // Through `on`/`prependListener`, as Node does: a stream's `on('data')` is what starts it
  // reading, and `once('data')` must too.
  EventEmitter.prototype.once = function (type, fn) { return this.on(type, onceWrapper(this, type, fn)); };
  EventEmitter.prototype.prependOnceListener = function (type, fn) { return this.prependListener(type, onceWrapper(this, type, fn)); };
  EventEmitter.prototype.off = EventEmitter.prototype.removeListener = function (type, fn) {
    var list = this._events && this._events[type];
    if (!list) return this;
    for (var i = list.length - 1; i >= 0; i--) {
      if (list[i] === fn || list[i].listener === fn) {
        list.splice(i, 1);
        if (this._events.removeListener) this.emit('removeListener', type, fn);
        break;
      }
    }
    if (list.length === 0) delete this._events[type];
    return this;
  };
  EventEmitter.prototype.removeAllListeners = function (type) {
    if (!this._events) return this;
    if (type === undefined) this._events = Object.create(null); else delete this._events[type];
    return this;
  };
  EventEmitter.prototype.emit = function (type) {
    var list = this._events && this._events[type];
    var args = Array.prototype.slice.call(arguments, 1);
    if (!list || list.length === 0) {
      if (type === 'error') {
        var er = args[0];
        if (er instanceof Error) throw er;
        var e = new Error('Unhandled error.' + (er === undefined ? '' : ' (' + String(er) + ')'));
        e.context = er;
        throw e;
      }
      return false;
    }
    list = list.slice();
    for (var i = 0; i < list.length; i++) list[i].apply(this, args);
    return true;
  };
  EventEmitter.prototype.listeners = function (type) {
    return ((this._events && this._events[type]) || []).map(function (f) { return f.listener || f; });
  };
  EventEmitter.prototype.rawListeners = function (type) { return ((this._events && this._events[type]) || []).slice(); };
  EventEmitter.prototype.listenerCount = function (type) { return ((this._events && this._events[type]) || []).length; };
  EventEmitter.prototype.eventNames = function () { return this._events ? Object.keys(this._events) : []; };
  EventEmitter.prototype.setMaxListeners = function (n) { this._maxListeners = n; return this; };
  EventEmitter.prototype.getMaxListeners = function () { return this._maxListeners === undefined ? EventEmitter.defaultMaxListeners : this._maxListeners; };
  EventEmitter.listenerCount = function (emitter, type) { return emitter.listenerCount(type); };
  EventEmitter.once = function (emitter, type) {
    return new Promise(function (resolve, reject) {
      function onError(err) { emitter.removeListener(type, onEvent); reject(err); }
      function onEvent() {
        if (type !== 'error') emitter.removeListener('error', onError);
        resolve(Array.prototype.slice.call(arguments));
      }
      emitter.once(type, onEvent);
      if (type !== 'error') emitter.once('error', onError);
    });
  };
  EventEmitter.EventEmitter = EventEmitter;
  EventEmitter.default = EventEmitter;
  module.exports = EventEmitter;
});
