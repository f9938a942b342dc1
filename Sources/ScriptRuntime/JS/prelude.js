// The runtime's own JavaScript, evaluated first in every context as the body of
// `function (rt) { 'use strict'; … }`. `rt` is the runtime's private object: the host's natives
// (set by ScriptContext) and what this file adds — timers, the console factory, host calls, the
// job trampoline and the snapshot that undoes what a job did to shared objects. Nothing here is
// a global: scripts can neither name nor enumerate any of it, and every function here is strict,
// so a script's function cannot reach it through `caller` either.

var g = globalThis;

// ---- Primordials -----------------------------------------------------------------------------
// Taken before any user code runs. What the runtime does with data that is not the running
// script's own (host results, module sources, other scripts' secrets) goes through these, so a
// script that replaces JSON.parse or Promise.prototype.then during a login cannot read or steer
// it. After every job the shared built-ins are restored anyway (see the snapshot below).
var parse = JSON.parse, stringify = JSON.stringify;
var apply = Reflect.apply, construct = Reflect.construct, ownKeys = Reflect.ownKeys, deleteProperty = Reflect.deleteProperty;
var defineProperty = Object.defineProperty, getDescriptor = Object.getOwnPropertyDescriptor, freeze = Object.freeze;
var create = Object.create, isExtensible = Object.isExtensible, getPrototypeOf = Object.getPrototypeOf, setPrototypeOf = Object.setPrototypeOf;
var nativeThen = Promise.prototype.then, promiseResolve = Promise.resolve.bind(Promise);
var regExpExec = RegExp.prototype.exec, emptyPattern = /(?:)/;
var RegExpCtor = RegExp, RegExpPrototype = RegExp.prototype, regExpCompile = RegExp.prototype.compile;
var regExpSource = Object.getOwnPropertyDescriptor(RegExp.prototype, 'source').get;
var regExpMultiline = Object.getOwnPropertyDescriptor(RegExp, 'multiline');
var MapCtor = Map, mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapDelete = Map.prototype.delete, mapClear = Map.prototype.clear;
var mapHas = Map.prototype.has, mapForEach = Map.prototype.forEach, mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size').get;
var SetCtor = Set, setHas = Set.prototype.has, setAdd = Set.prototype.add;
var arraySlice = Array.prototype.slice, stringSlice = String.prototype.slice, stringIndexOf = String.prototype.indexOf;
var ObjectCtor = Object, NumberCtor = Number, StringCtor = String, isArray = Array.isArray, mathMax = Math.max, mathMin = Math.min;
var TypeErrorCtor = TypeError, RangeErrorCtor = RangeError, SyntaxErrorCtor = SyntaxError, ErrorCtor = Error;

var PromiseCtor = Promise;
rt.primordials = freeze({
  parse: parse, stringify: stringify, apply: apply, defineProperty: defineProperty, freeze: freeze, create: create,
  Promise: PromiseCtor, resolve: promiseResolve, Map: MapCtor,
  then: function (promise, onFulfilled, onRejected) { return apply(nativeThen, promise, [onFulfilled, onRejected]); },
  mapGet: function (map, key) { return apply(mapGet, map, [key]); },
  mapSet: function (map, key, value) { return apply(mapSet, map, [key, value]); },
  mapHas: function (map, key) { return apply(mapHas, map, [key]); },
  mapDelete: function (map, key) { return apply(mapDelete, map, [key]); },
  mapForEach: function (map, fn) { return apply(mapForEach, map, [fn]); },
  mapSize: function (map) { return apply(mapSize, map, []); }
});

// Appends without Array.prototype.push or an index setter a script may have put on Array.prototype.
function append(list, value) {
  defineProperty(list, list.length, { value: value, writable: true, enumerable: true, configurable: true });
}
rt.append = append;

// ---- Entries and user code -------------------------------------------------------------------
// Runtime files put job entry points here; user files' completion values go to the handler
// registered for their slot's prefix.
var entries = create(null);
var installers = create(null);
rt.entries = entries;
rt.onInstall = function (prefix, handler) {
  if (installers[prefix]) throw new ErrorCtor('user code slot ' + prefix + ' is registered twice');
  installers[prefix] = handler;
};
rt.install = function (slot, value) {
  var colon = apply(stringIndexOf, slot, [':']);
  var prefix = colon < 0 ? slot : apply(stringSlice, slot, [0, colon]);
  var handler = installers[prefix];
  if (!handler) throw new ErrorCtor('no runtime file takes user code for ' + slot);
  handler(colon < 0 ? '' : apply(stringSlice, slot, [colon + 1]), value);
};
function entry(name) {
  var fn = entries[name];
  if (typeof fn === 'function') return fn;
  // Plain programs (tests, benchmarks) name a global function.
  var d = getDescriptor(g, name);
  return d && typeof d.value === 'function' ? d.value : undefined;
}

// ---- Timers ----------------------------------------------------------------------------------
var timers = new MapCtor();
var nextTimerId = 1;
// A delay as Node takes it: not a finite number ≥ 1 → 1 ms; above 2^31-1 ms → 1 ms (Node warns
// and does the same); so nothing a script passes reaches the host as NaN or Infinity.
function delayOf(ms) {
  var n = NumberCtor(ms);
  if (!(n >= 1 && n <= 2147483647)) return 1;
  return n;
}
function schedule(fn, ms, args, repeat, immediate) {
  if (typeof fn !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function. Received ' + (fn === null ? 'null' : typeof fn));
  var id = nextTimerId++;
  var delay = immediate ? 0 : delayOf(ms);
  apply(mapSet, timers, [id, { fn: fn, args: args, repeat: repeat ? delay : 0 }]);
  rt.setTimer(id, immediate ? -1 : delay);
  return id;
}
function timerId(id) {
  if (id && typeof id === 'object') {
    var d = getDescriptor(id, '__id');
    id = d ? d.value : undefined;
  }
  return typeof id === 'number' ? id : NaN;
}
function cancel(id) {
  id = timerId(id);
  if (apply(mapDelete, timers, [id])) rt.clearTimer(id);
}
rt.fire = function (id) {
  var t = apply(mapGet, timers, [id]);
  if (!t) return;
  if (t.repeat) rt.setTimer(id, t.repeat); else apply(mapDelete, timers, [id]);
  try { apply(t.fn, undefined, t.args); }
  catch (e) { rt.uncaught(e); }
};
rt.dropTimers = function () { apply(mapClear, timers, []); };
// Where an exception thrown from a timer or a queued callback goes; flow drivers point it at
// the running script's callback while it runs.
rt.rethrow = function (e) { throw e; };
rt.uncaught = rt.rethrow;

g.setTimeout = function setTimeout(fn, ms) { return schedule(fn, ms, apply(arraySlice, arguments, [2]), false, false); };
g.setInterval = function setInterval(fn, ms) { return schedule(fn, ms, apply(arraySlice, arguments, [2]), true, false); };
g.setImmediate = function setImmediate(fn) { return schedule(fn, 0, apply(arraySlice, arguments, [1]), false, true); };
g.clearTimeout = function clearTimeout(id) { cancel(id); };
g.clearInterval = function clearInterval(id) { cancel(id); };
g.clearImmediate = function clearImmediate(id) { cancel(id); };

// A chain of microtasks that each schedule the next never gives the watchdog a long enough
// stretch of VM time to fire (its clock restarts at each microtask), so `then` itself refuses
// to schedule more once the job is past its deadline; queueMicrotask goes through it too.
var remaining = rt.remaining;
defineProperty(Promise.prototype, 'then', { writable: true, configurable: true, value: function then(onFulfilled, onRejected) {
  if (remaining() <= 0) throw new ErrorCtor('Script execution time exceeded');
  return apply(nativeThen, this, [onFulfilled, onRejected]);
}});
g.queueMicrotask = function queueMicrotask(fn) {
  if (typeof fn !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function');
  apply(nativeThen, promiseResolve(), [function () { try { fn(); } catch (e) { rt.uncaught(e); } }]);
};
g.global = g;

// ---- Memory ----------------------------------------------------------------------------------
// The watchdog stops a job whose heap outgrows the budget, but it only looks between stretches
// of JavaScript: one `new ArrayBuffer(4e9)` or `new Uint8Array(n).fill(1)` would take gigabytes
// first. So buffer allocations are weighed before they are made, against what the budget has
// left (ArrayBuffer backing stores count in the heap size the watchdog reads).
var allocationCheckFrom = 65536;
function checkAllocation(bytes) {
  if (!(bytes >= allocationCheckFrom)) return;
  if (!rt.fitsHeap(bytes)) {
    throw new RangeErrorCtor('Array buffer allocation failed: ' + bytes + ' bytes would exceed the script heap budget (' + rt.heapBudget + ' bytes)');
  }
}
function lengthOf(x) {
  if (typeof x === 'number') return x;
  if (x !== null && typeof x === 'object' && !(x instanceof ArrayBuffer) && !ArrayBuffer.isView(x)) {
    var n = NumberCtor(x.length);
    return n === n ? n : 0;
  }
  return 0;
}
function guardConstructor(name, bytesOf) {
  var Original = g[name];
  if (typeof Original !== 'function') return;
  // The handler has no prototype: a trap it does not define would otherwise be looked up on
  // Object.prototype, where a script could put one (`get`) and be handed the raw constructor.
  var guarded = new Proxy(Original, freeze({
    __proto__: null,
    construct: function (target, args, newTarget) {
      checkAllocation(bytesOf(args));
      return construct(target, args, newTarget === guarded ? target : newTarget);
    },
    apply: function (target, self, args) { return apply(target, self, args); }
  }));
  defineProperty(Original.prototype, 'constructor', { value: guarded, writable: true, enumerable: false, configurable: true });
  defineProperty(g, name, { value: guarded, writable: true, enumerable: false, configurable: true });
}
guardConstructor('ArrayBuffer', function (args) { return NumberCtor(args[0]) || 0; });
guardConstructor('SharedArrayBuffer', function (args) { return NumberCtor(args[0]) || 0; });
['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float16Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'].forEach(function (name) {
  var size = g[name] && g[name].BYTES_PER_ELEMENT;
  guardConstructor(name, function (args) { return lengthOf(args[0]) * size; });
});
(function () {
  var proto = ArrayBuffer.prototype;
  ['resize', 'transfer', 'transferToFixedLength'].forEach(function (method) {
    var d = getDescriptor(proto, method);
    if (!d || typeof d.value !== 'function') return;
    var original = d.value;
    d.value = { [method]: function (n) { checkAllocation(NumberCtor(n) || 0); return apply(original, this, arguments); } }[method];
    defineProperty(proto, method, d);
  });
})();
rt.checkAllocation = checkAllocation;
// WebAssembly runs code that the watchdog cannot stop (a wasm loop ignores termination here):
// the engine's namespace goes from the global object, and only a tenant that turns WebAssembly
// on gets it back, behind the metering wrappers of webassembly.js.
rt.engineWebAssembly = g.WebAssembly;
deleteProperty(g, 'WebAssembly');

// ---- Console ---------------------------------------------------------------------------------
var inspectCustom = Symbol.for('nodejs.util.inspect.custom');
function inspect(v, depth, seen) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined': return 'undefined';
    case 'string': return depth === 0 ? v : "'" + v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return String(v) + 'n';
    case 'boolean': return String(v);
    case 'symbol': return v.toString();
    case 'function': return '[Function: ' + (v.name || '(anonymous)') + ']';
  }
  if (seen.indexOf(v) >= 0) return '[Circular *1]';
  if (v instanceof Error) return v.stack ? String(v.name || 'Error') + ': ' + (rt.nodeMessage ? rt.nodeMessage(v) : v.message) + '\n' + v.stack.split('\n').map(function (l) { return '    at ' + l; }).join('\n') : String(v);
  if (v instanceof Date) return isNaN(v) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  var custom;
  try { custom = v[inspectCustom]; } catch (e) {}
  if (typeof custom === 'function') { try { return String(custom.call(v, 3 - depth, {})); } catch (e) {} }
  if (depth > 3) return Array.isArray(v) ? '[Array]' : '[Object]';
  seen = seen.concat([v]);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    var items = v.slice(0, 100).map(function (x) { return inspect(x, depth + 1, seen); });
    if (v.length > 100) items.push('... ' + (v.length - 100) + ' more items');
    return '[ ' + items.join(', ') + ' ]';
  }
  if (v instanceof Map) return 'Map(' + v.size + ') {' + (v.size ? ' ' + Array.from(v).map(function (e) { return inspect(e[0], depth + 1, seen) + ' => ' + inspect(e[1], depth + 1, seen); }).join(', ') + ' ' : '') + '}';
  if (v instanceof Set) return 'Set(' + v.size + ') {' + (v.size ? ' ' + Array.from(v).map(function (e) { return inspect(e, depth + 1, seen); }).join(', ') + ' ' : '') + '}';
  if (typeof v.then === 'function' && v instanceof Promise) return 'Promise { <pending> }';
  var keys = Object.keys(v);
  var ctor = v.constructor && v.constructor !== Object && v.constructor.name ? v.constructor.name + ' ' : '';
  if (keys.length === 0) return ctor + '{}';
  return ctor + '{ ' + keys.map(function (k) {
    var name = /^[A-Za-z_$][\w$]*$/.test(k) ? k : "'" + k + "'";
    return name + ': ' + inspect(v[k], depth + 1, seen);
  }).join(', ') + ' }';
}
function formatOne(c, a) {
  switch (c) {
    case 's': return typeof a === 'string' ? a : inspect(a, 1, []);
    case 'd': return StringCtor(NumberCtor(a));
    case 'i': return StringCtor(parseInt(a, 10));
    case 'f': return StringCtor(parseFloat(a));
    case 'j': try { return stringify(a); } catch (e) { return '[Circular]'; }
    case 'c': return '';
    default: return inspect(a, 1, []);
  }
}
function format(args) {
  var first = args[0];
  var rest = 1;
  var out = '';
  if (typeof first === 'string') {
    // Left to right, each `%` and the character after it once (as /%[sdifjoOc%]/g would).
    var pos = 0, n = first.length;
    for (;;) {
      var p = apply(stringIndexOf, first, ['%', pos]);
      if (p < 0 || p + 1 >= n) { out += pos === 0 ? first : apply(stringSlice, first, [pos]); break; }
      var c = first[p + 1], piece;
      if (c === '%') piece = '%';
      else if (apply(stringIndexOf, 'sdifjoOc', [c]) < 0) { out += apply(stringSlice, first, [pos, p + 1]); pos = p + 1; continue; }
      else if (rest >= args.length) piece = '%' + c;
      else piece = formatOne(c, args[rest++]);
      out += apply(stringSlice, first, [pos, p]) + piece;
      pos = p + 2;
    }
  } else {
    rest = 0;
  }
  for (var i = rest; i < args.length; i++) {
    out += (out.length || i > 0 ? ' ' : '') + inspect(args[i], 0, []);
  }
  return out;
}
rt.inspect = function (v) { return inspect(v, 1, []); };
rt.format = function () { return format(apply(arraySlice, arguments, [])); };

// What one script may write to its console in one login: each line is cut at `lineLimit`
// characters and, once the script has written `totalLimit` characters or `lineCountLimit`
// lines, one marker line says how much more was dropped. (Auth0 cuts too: its real-time logs
// and log events carry at most a few KB per line.) The trace stays small whatever a script
// prints, and formatting stops costing anything once the cap is reached.
var lineLimit = 8192, totalLimit = 65536, lineCountLimit = 500;
rt.consoleLimits = freeze({ lineCharacters: lineLimit, totalCharacters: totalLimit, lines: lineCountLimit });

// A console whose lines go to `sink` (an array, or an object with `push`), so that each script
// gets its own capture.
var consoleResets = new WeakMap();
// Starts a console's counts again (a console shared by several scripts, switched between them).
rt.resetConsole = function (c) { var reset = consoleResets.get(c); if (reset) reset(); };
rt.makeConsole = function (sink) {
  var written = 0, lines = 0, dropped = 0, marker = null;
  function push(level, message) {
    if (lines >= lineCountLimit || written >= totalLimit) {
      dropped++;
      var text = '… ' + dropped + ' more console line' + (dropped === 1 ? '' : 's') + ' cut (a script may write ' + lineCountLimit + ' lines or ' + totalLimit + ' characters per login)';
      if (marker) { marker.message = text; return; }
      marker = { level: 'warn', message: text, t: rt.now() };
      if (isArray(sink)) append(sink, marker); else sink.push(marker);
      return;
    }
    if (message.length > lineLimit) message = apply(stringSlice, message, [0, lineLimit]) + '… [' + (message.length - lineLimit) + ' more characters cut]';
    written += message.length;
    lines++;
    var line = { level: level, message: message, t: rt.now() };
    if (isArray(sink)) append(sink, line); else sink.push(line);
  }
  function full() { return lines >= lineCountLimit || written >= totalLimit; }
  function writer(level) {
    return function () { if (full()) { push(level, ''); return; } push(level, format(apply(arraySlice, arguments, []))); };
  }
  var timersByLabel = create(null);
  var c = {
    log: writer('log'), info: writer('info'), warn: writer('warn'), error: writer('error'),
    debug: writer('debug'), trace: writer('trace'),
    dir: function (o) { push('log', full() ? '' : inspect(o, 0, [])); },
    time: function (l) { timersByLabel[l || 'default'] = rt.now(); },
    timeEnd: function (l) { l = l || 'default'; var s = timersByLabel[l]; if (s !== undefined) { push('log', l + ': ' + (rt.now() - s).toFixed(3) + 'ms'); delete timersByLabel[l]; } },
    assert: function (c) { if (!c) push('error', 'Assertion failed' + (arguments.length > 1 ? ': ' + format(apply(arraySlice, arguments, [1])) : '')); }
  };
  consoleResets.set(c, function () { written = 0; lines = 0; dropped = 0; marker = null; timersByLabel = create(null); });
  return c;
};
// The scripts' console, one per context and the global `console` too: its lines go to the
// running script's list (`rt.switchConsole(lines)`, which also starts its counts again) and
// nowhere between scripts, so a module that kept `console.log` when it loaded writes to the
// running script's lines as well. One object for every script saves making a console (and its
// dozen functions) per script per login; what a job does to it is put back like any shared object.
var consoleLines = null;
rt.scriptConsole = rt.makeConsole({ push: function (line) { if (consoleLines) append(consoleLines, line); } });
rt.switchConsole = function (lines) {
  rt.resetConsole(rt.scriptConsole);
  consoleLines = lines || null;
};
g.console = rt.scriptConsole;

// ---- Host calls: JSON in, JSON out -----------------------------------------------------------
rt.call = function (name, args) {
  return parse(rt.host(name, stringify(args === undefined ? null : args)));
};
rt.callAsync = function (name, args) {
  return apply(nativeThen, rt.hostAsync(name, stringify(args === undefined ? null : args)), [function (s) { return parse(s); }]);
};

// ---- What a job must not change for the jobs after it ----------------------------------------
// Everything reachable from the global object once the program has loaded (the built-ins, the
// Node globals) and from each module's exports when it loads is put, by kind, where no login can
// leave a change behind for the next:
//  - functions that are not constructors (built-in methods, the runtime's own functions) are
//    frozen: nothing in them is anyone's to change;
//  - constructors and namespaces (Array, Object, JSON, Math, Intl, …) keep their writable
//    properties writable but can gain no new ones;
//  - every other object (the prototypes, the global object, module exports, process.env, …) is
//    recorded: after every job its values are put back and the keys the job added are deleted.
// Recorded and constructor properties are made non-configurable (their values stay writable), so
// no job can turn one into an accessor that hides a change from the check below, or delete it:
// the check is then one plain read per property and one key count per extensible object. Keys
// scripts add to the global object itself stay (Auth0's `global` is shared within a container).
// A job that freezes or seals a recorded object, or makes one of its properties read-only with
// another value, leaves a context that cannot be put back: the worker drops it and builds a new
// one.
var records = [];
var visited = new SetCtor();
var FunctionPrototype = Function.prototype;
var preventExtensions = Object.preventExtensions;
var namespaces = [JSON, Math, Reflect, Atomics, Intl];
// The built-in prototypes scripts (and old packages) add methods to — `String.prototype.capitalize`,
// `Date.prototype.addDays`, `Array.prototype.unique`: they stay extensible, and the keys a job
// adds to them are deleted after it. Every other shared object takes no new keys, which spares
// the per-job key count that finding added keys costs.
var extensible = [Object.prototype, Array.prototype, String.prototype, Number.prototype, Boolean.prototype, Date.prototype,
  Function.prototype, Promise.prototype, RegExp.prototype, Error.prototype, BigInt.prototype, Map.prototype, Set.prototype];
// Constructors scripts and packages set hooks or aliases on: Error.prepareStackTrace,
// Error.captureStackTrace, bson's `Map.Map = Map`, polyfills' `Promise.x`, `Object.x`. (A
// module whose load adds one leaves its context to be dropped after the job, like any load
// that changes something shared.) Taken from the global object when the program has loaded:
// the one scripts see (the rules driver's `Date`, which keeps a flow's clock).
var extensibleConstructors = ['Error', 'Object', 'Array', 'String', 'Number', 'Boolean', 'Date', 'Function', 'Promise', 'RegExp',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'BigInt'];
// A constructor with methods of its own (Array, Promise, a module's class); a function whose
// prototype is only `{constructor}` is a plain function.
function isClass(f) {
  var d = getDescriptor(f, 'prototype');
  if (!d || !d.value || typeof d.value !== 'object') return false;
  var keys = ownKeys(d.value);
  return keys.length > 1 || (keys.length === 1 && keys[0] !== 'constructor') || getPrototypeOf(d.value) !== Object.prototype;
}
var plainFunctionKeys = ['length', 'name', 'prototype', 'arguments', 'caller'];
function hasOwnState(f) {
  var keys = ownKeys(f);
  for (var i = 0; i < keys.length; i++) if (plainFunctionKeys.indexOf(keys[i]) < 0) return true;
  return false;
}
function lockKey(o, key) {
  var d = getDescriptor(o, key);
  if (d && d.configurable) { d.configurable = false; defineProperty(o, key, d); }
}
function lock(o, typed) {
  var keys = ownKeys(o);
  for (var i = 0; i < keys.length; i++) if (!typed || !isElementKey(keys[i])) lockKey(o, keys[i]);
}
// Typed arrays (a package's lookup table: entities' decode trees, 15,242 elements): their
// elements can be neither made non-configurable nor frozen, and one read per element after
// every job would cost too much. Their bytes are kept in a copy instead, compared with it after
// every job in one native comparison (rt.sameBytes) and copied back when a job changed them;
// the array takes no new key, and its other properties are recorded as any object's. (A
// DataView or an ArrayBuffer a module exports is recorded as a plain object: its bytes are
// not covered.)
var isView = ArrayBuffer.isView, Uint8ArrayCtor = Uint8Array, TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
var viewBuffer = getDescriptor(TypedArrayPrototype, 'buffer').get, viewOffset = getDescriptor(TypedArrayPrototype, 'byteOffset').get;
var viewBytes = getDescriptor(TypedArrayPrototype, 'byteLength').get, viewLength = getDescriptor(TypedArrayPrototype, 'length').get;
var viewSet = TypedArrayPrototype.set, mathFloor = Math.floor;
function isTypedArray(o) {
  if (!isView(o)) return false;
  try { apply(viewLength, o, []); return true; } catch (e) { return false; }  // a DataView
}
function isElementKey(key) {
  if (typeof key !== 'string') return false;
  var n = NumberCtor(key);
  return n >= 0 && n === mathFloor(n) && StringCtor(n) === key;
}
// [a Uint8Array over the array's bytes, their copy]
function watchBytes(o) {
  var live = new Uint8ArrayCtor(apply(viewBuffer, o, []), apply(viewOffset, o, []), apply(viewBytes, o, []));
  var copy = new Uint8ArrayCtor(apply(viewLength, live, []));
  apply(viewSet, copy, [live]);
  return [live, copy];
}
// A data property that is neither writable nor configurable can never change (the language
// guarantees it, for every object): only its key is kept, it costs nothing after a job.
function addKey(r, key) {
  if (r.typed && isElementKey(key)) return;  // (the array takes no new key: nothing is counted)
  var d = getDescriptor(r.target, key);
  if (d.get === undefined && d.set === undefined && (d.writable || d.configurable)) { r.names[r.names.length] = key; r.values[r.values.length] = d.value; }
  apply(setAdd, r.keys, [key]);
  r.count++;
}
// A regular expression's pattern and flags live in internal slots no property read sees, and
// `compile()` rewrites them in place (`_.templateSettings.interpolate.compile('x')` would break
// every later login's templates): they are read with the built-in getters, which read only
// those slots (no script code runs), as [source, flags], or null for any other object.
var regExpFlags = [['d', 'hasIndices'], ['g', 'global'], ['i', 'ignoreCase'], ['m', 'multiline'], ['s', 'dotAll'],
  ['u', 'unicode'], ['v', 'unicodeSets'], ['y', 'sticky']].map(function (f) {
  var d = getDescriptor(RegExpPrototype, f[1]);
  return [f[0], d && d.get];
});
function regExpState(o) {
  if (o === RegExpPrototype) return null;
  // Only an object with RegExp.prototype on its chain is tried (a throw per object would cost
  // milliseconds at every snapshot).
  for (var p = getPrototypeOf(o); p !== RegExpPrototype; p = getPrototypeOf(p)) if (p === null || isProxy(p)) return null;
  var source;
  try { source = apply(regExpSource, o, []); } catch (e) { return null; }
  var flags = '';
  for (var i = 0; i < regExpFlags.length; i++) if (regExpFlags[i][1] && apply(regExpFlags[i][1], o, [])) flags += regExpFlags[i][0];
  return [source, flags];
}
// `module`: the object belongs to a module's exports (see rt.loadModule).
function record(o, keepAdded, module) {
  var typed = isTypedArray(o), watch = null;
  if (typed) {
    watch = watchBytes(o);
    // (one over a resizable buffer that follows its length cannot be made non-extensible: its
    // key count is checked instead)
    try { preventExtensions(o); } catch (e) {}
  }
  lock(o, typed);
  var r = { target: o, proto: getPrototypeOf(o), extensible: isExtensible(o), names: [], values: [], keys: new SetCtor(), count: 0, keepAdded: keepAdded, module: !!module,
    regExp: regExpState(o), typed: typed, watch: watch, json: false };
  var keys = ownKeys(o);
  for (var i = 0; i < keys.length; i++) addKey(r, keys[i]);
  records[records.length] = r;
  if (o === g) globalRecord = r;
}
var globalRecord = null;
// A module object's record taken again: what the module code of one load did to it (a package
// decorating what it required: `exports = module.exports = require('./x'); exports.y = …`).
function rerecord(r) {
  var o = r.target;
  lock(o, r.typed);
  if (r.watch !== null) apply(viewSet, r.watch[1], [r.watch[0]]);
  r.proto = getPrototypeOf(o);
  r.extensible = isExtensible(o);
  r.regExp = regExpState(o);
  r.names = []; r.values = []; r.keys = new SetCtor(); r.count = 0;
  var keys = ownKeys(o);
  for (var i = 0; i < keys.length; i++) addKey(r, keys[i]);
}
// `deep`: how many steps on from `root` are walked. `module`: `root` is a module's exports; a
// module keeps state on its own functions (debug.enable()), so only the exports object and
// its objects and classes' prototypes are recorded, and no package's function is frozen (a host
// module's functions without state are: see freezeLater). A module
// records at most `moduleKeys` properties (each costs a read after every job): objects past
// that (the entries of a large JSON file) are frozen instead.
// A proxy a script or package made (a package may export one) is never recorded: every read of
// it runs its handler's traps, which a script can reach (a trap added to a handler the package
// exports, or inherited from Object.prototype by a plain handler), and the put-back would run
// them after it had checked the built-ins, for the next login to meet what they changed. Its
// target and handler, which the Proxy constructor noted, are walked in its place: a change a
// job makes through the proxy to its target is put back like any other.
var moduleKeys = 4096;
function walk(root, deep, module, sealed, host) {
  var queue = [[root, deep]];
  var budget = moduleKeys;
  var firstRecord = records.length;
  for (var q = 0; q < queue.length; q++) {
    var o = queue[q][0], left = queue[q][1];
    // What a package's walk met first (readable-stream's, three steps from its exports, meets
    // the host `stream` it re-exports) a host module's walk meets again: its functions without
    // state are frozen all the same, and it walks on from there. (Not the global object: the
    // keys scripts add to it are theirs.)
    var again = false;
    if (apply(setHas, visited, [o])) {
      if (!host || o === g || apply(setHas, hostWalked, [o]) || !apply(setHas, packageWalked, [o])) continue;
      again = true;
    } else {
      apply(setAdd, visited, [o]);
    }
    if (host) apply(setAdd, hostWalked, [o]);
    else if (module) apply(setAdd, packageWalked, [o]);
    var parts = apply(weakMapGet, proxies, [o]);
    if (parts !== undefined) {
      if (o === root) root = parts[0];
      queue[queue.length] = [parts[0], left];
      queue[queue.length] = [parts[1], left];
      continue;
    }
    var next = o;
    if (again) {
      if (apply(setHas, skippedFunctions, [o])) {
        apply(setDelete, skippedFunctions, [o]);
        var skippedClass = isClass(o);
        if (skippedClass) queue[queue.length] = [o.prototype, left];
        freezeLater(o, skippedClass);
        next = null;
      }
    } else if (o === g || o === FunctionPrototype) {
      record(o, o === g);
    } else if (isTypedArray(o)) {
      // Its elements are numbers: only its prototype and its other properties are walked on.
      record(o, false, module);
      var named = records[records.length - 1].names;
      queue[queue.length] = [getPrototypeOf(o), left - 1];
      queue[queue.length] = [apply(viewBuffer, o, []), left - 1];  // (its bytes are the array's; its own keys and prototype are recorded)
      for (var t = 0; t < named.length; t++) queue[queue.length] = [getDescriptor(o, named[t]).value, left - 1];
      next = null;
    } else if (typeof o === 'function' && module && o !== root) {
      // A module's function: its class prototype is walked, and the function itself is
      // recorded when it carries state of its own (`util.inspect.defaultOptions`,
      // `moment.duration.fn`). A host module's function that carries none is frozen when the
      // outermost load ends (see freezeLater).
      var classy = isClass(o);
      if (classy) queue[queue.length] = [o.prototype, left];
      if (hasOwnState(o)) record(o, false, true);
      else {
        if (host) freezeLater(o, classy); else apply(setAdd, skippedFunctions, [o]);
        next = null;
      }
    } else if (typeof o === 'function' && !module && !isClass(o) && extensible.indexOf(o) < 0) {
      // Frozen, and walked on: a function written in JavaScript (setTimeout, a wrapper) has a
      // `prototype` object of its own, which would otherwise stay open for a login to leave
      // something on for the next.
      freeze(o);
    } else if (module && typeof o !== 'function' && ownKeys(o).length > budget) {
      freeze(o);
      next = null;
    } else if (module) {
      if (sealed === 'classes') preventExtensions(o);
      record(o, false, true);
      budget -= records[records.length - 1].count;
    } else if (typeof o === 'function' || namespaces.indexOf(o) >= 0) {
      lock(o);
      if (extensible.indexOf(o) < 0) preventExtensions(o);
      record(o, false);
    } else {
      if (extensible.indexOf(o) < 0) preventExtensions(o);
      record(o, false);
    }
    if (left === 0 || next === null) continue;
    var keys = ownKeys(next), values = [getPrototypeOf(next)];
    for (var i = 0; i < keys.length; i++) {
      var d = getDescriptor(next, keys[i]);
      if (d.get === undefined && d.set === undefined) values[values.length] = d.value;
      else { values[values.length] = d.get; values[values.length] = d.set; }  // getters and setters are shared functions too
    }
    for (var j = 0; j < values.length; j++) {
      var v = values[j];
      if (v !== null && (typeof v === 'object' || typeof v === 'function')) queue[queue.length] = [v, left - 1];
    }
  }
  if (host) for (var h = firstRecord; h < records.length; h++) records[h].host = true;
}
// JSON modules (`require('./config.json')`, a package's data file): parsed with the runtime's
// own JSON.parse (a job's replacement would choose what every later login gets) and recorded at
// once, at any depth, up to the module budget; the objects past it are frozen with all they
// hold (plain data no code owns). Parsing runs no script code and makes only new objects, so a
// JSON file a login requires first keeps the context, unless the job had added a key to
// Object.prototype or Array.prototype (a setter there could catch the walk's own lists): then
// the context is dropped after the job. What a package does to a JSON file while it loads (old
// aws-sdk-apis completes its metadata) is taken as its state when the outermost load ends, with
// the objects it added walked as a module's (see adoptJSONChanges); as the file is recorded
// (locked) when parsed, a package can assign and add to it then, not delete from it.
rt.loadJSON = function (source, display) {
  var value;
  try { value = parse(source); } catch (e) { throw new SyntaxErrorCtor(display + ': ' + e.message); }
  if (!isObjectLike(value)) return value;
  if (loadDepth === 0 && !taintedByLoad && !walkUntouched()) taintedByLoad = true;
  if (!taintedByLoad) walkJSON(value);
  return value;
};
// What the walk's own steps consult beyond the runtime's primordials: a key a job added to
// Object.prototype or Array.prototype (an index setter catches an append to a list, a `get` or
// `set` key a descriptor read). Any other change a job made leaves the walk of fresh JSON alone.
var walkPrototypes = null, ObjectPrototype = Object.prototype, ArrayPrototype = Array.prototype;
function walkUntouched() {
  if (walkPrototypes === null) {
    walkPrototypes = [];
    for (var i = 0; i < records.length; i++) if (records[i].target === ObjectPrototype || records[i].target === ArrayPrototype) walkPrototypes[walkPrototypes.length] = i;
  }
  for (var j = 0; j < walkPrototypes.length; j++) if (check(false, walkPrototypes[j] + 1, walkPrototypes[j]) !== 'ok') return false;
  return walkPrototypes.length === 2;
}
function walkJSON(root) {
  var queue = [root], budget = moduleKeys;
  for (var q = 0; q < queue.length; q++) {
    var o = queue[q];
    if (apply(setHas, visited, [o])) continue;
    var list = isArray(o), keys = list ? null : ownKeys(o), count = list ? o.length : keys.length;
    if (count > budget) { freezeJSON(o); continue; }
    apply(setAdd, visited, [o]);
    record(o, false, true);
    records[records.length - 1].json = true;
    budget -= count;
    // Fresh from the parse: own data properties only, read directly.
    if (list) { for (var i = 0; i < count; i++) if (isObjectLike(o[i])) queue[queue.length] = o[i]; }
    else for (var k = 0; k < count; k++) { var v = o[keys[k]]; if (isObjectLike(v)) queue[queue.length] = v; }
  }
}
function freezeJSON(root) {
  var stack = [root], n = 1;
  while (n > 0) {
    var o = stack[--n];  // (a tree fresh from the parse: nothing is met twice)
    freeze(o);
    if (isArray(o)) { for (var i = 0, len = o.length; i < len; i++) if (isObjectLike(o[i])) stack[n++] = o[i]; }
    else { var keys = ownKeys(o); for (var k = 0; k < keys.length; k++) { var v = o[keys[k]]; if (isObjectLike(v)) stack[n++] = v; } }
  }
}
// At the end of an outermost load that began with nothing shared changed (only package code
// ran since): a JSON module's record the load changed (a package completing a JSON file that a
// login or an earlier load required) is taken again, and what the package put in it is walked
// as a module's exports. Answers false when the load changed any other record made before it.
function adoptJSONChanges(start) {
  if (check(false, start) === 'ok') return true;
  for (var i = 0; i < start; i++) {
    if (check(false, i + 1, i) === 'ok') continue;
    if (!records[i].json) return false;
    rerecord(records[i]);
    walkAdded(records[i]);
  }
  return true;
}
function walkAdded(r) {
  for (var i = 0; i < r.values.length; i++) {
    var v = r.values[i];
    if (isObjectLike(v) && !apply(setHas, visited, [v])) walk(v, 3, true, false, false);
  }
}
// A host module's functions that carry no state of their own are frozen, with the plain
// prototype object of one that is not a class: a key a job added to one
// (`crypto.randomBytes[util.promisify.custom]`, which a later login's promisify would call)
// would otherwise stay, and counting every module function's keys after every job would cost
// too much. They are frozen when the outermost load ends, after a check: a load that changed
// such a function's own properties between its walk and its end leaves the context to be
// dropped (the change is neither frozen in nor taken as the function's state; nothing throws).
// (A package's own functions are left as they are: packages decorate each other's functions
// when they load, mongodb's `connect.MongoError = …`, and freezing them would break that;
// README, Modules.) Script code can run during a load (a getter
// a package's feature test reads, a Symbol.hasInstance a job left on a package's function,
// which stays: README), and its change (`util.promisify.custom` on crypto.randomBytes) would
// otherwise be frozen in. No host module changes another's functions while it loads.
var pendingFreeze = [];
var skippedFunctions = new SetCtor(), hostWalked = new SetCtor(), packageWalked = new SetCtor();
var setDelete = SetCtor.prototype.delete;
function ownSignature(o) {
  var keys = ownKeys(o), sig = [];
  for (var i = 0; i < keys.length; i++) {
    var d = getDescriptor(o, keys[i]);
    sig[sig.length] = keys[i]; sig[sig.length] = d.value; sig[sig.length] = d.get; sig[sig.length] = d.set;
    sig[sig.length] = d.writable; sig[sig.length] = d.enumerable; sig[sig.length] = d.configurable;
  }
  return sig;
}
function sameSignature(a, b) {
  if (a.length !== b.length) return false;
  for (var i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
  return true;
}
function freezeLater(fn, classy) {
  pendingFreeze[pendingFreeze.length] = [fn, classy, ownSignature(fn)];
  if (loadDepth === 0) freezePending(true);
}
function freezePending(trusted) {
  var list = pendingFreeze;
  pendingFreeze = [];
  for (var i = 0; i < list.length; i++) {
    var fn = list[i][0];
    if (!trusted && !sameSignature(list[i][2], ownSignature(fn))) { taintedByLoad = true; continue; }
    if (hasOwnState(fn)) { record(fn, false, true); continue; }
    var own = getDescriptor(fn, 'prototype');
    if (!list[i][1] && own && isObjectLike(own.value) && !apply(setHas, visited, [own.value]) && !isProxy(own.value)) {
      apply(setAdd, visited, [own.value]);
      freeze(own.value);
    }
    freeze(fn);
  }
}
// The one change to a recorded property's attributes a job can still make (they are writable
// and not configurable) is to make it read-only, which the value check does not see when the
// value stays the same (`Object.defineProperty(Math, 'random', { writable: false })`,
// `Object.freeze(Math)`): the next login could no longer assign it. Only these four functions
// make a property read-only, and a Proxy whose target is a shared object reaches the target only
// when one of them is called on the proxy (or from a trap, which then names the target itself).
// So a job that calls one on a shared object (one the snapshot or a module load walked) or on a
// proxy has every recorded property's writability checked after it; calls on the job's own
// objects (`Object.freeze(ROLES)`) cost nothing more. Proxies are known by the Proxy
// constructor and Proxy.revocable, which note what they make, with its target and handler.
var attributesTouched = false;
var WeakMapCtor = WeakMap, weakMapGet = WeakMap.prototype.get, weakMapSet = WeakMap.prototype.set, weakMapHas = WeakMap.prototype.has;
var proxies = new WeakMapCtor();
function isObjectLike(o) { return o !== null && (typeof o === 'object' || typeof o === 'function'); }
function isProxy(o) { return apply(weakMapHas, proxies, [o]); }
function mayBeShared(o) {
  return isObjectLike(o) && (apply(setHas, visited, [o]) || isProxy(o));
}
// For runtime files that change a script's object between jobs: only an object that is the
// script's own may be (a shared one would keep the change for the next login; any operation
// on a proxy runs its traps).
rt.isShared = mayBeShared;
function notingAttributeChanges(o, name) {
  var original = o[name];
  defineProperty(o, name, { value: new Proxy(original, freeze({
    __proto__: null,
    apply: function (target, self, args) {
      if (!attributesTouched && mayBeShared(args[0])) attributesTouched = true;
      return apply(target, self, args);
    }
  })), writable: true, enumerable: false, configurable: true });
}
function notingProxies() {
  var OriginalProxy = g.Proxy, originalRevocable = OriginalProxy.revocable;
  // A method: like the built-in, no constructor and no prototype.
  var revocable = freeze({ revocable(target, handler) {
    var r = apply(originalRevocable, OriginalProxy, [target, handler]);
    apply(weakMapSet, proxies, [r.proxy, [target, handler]]);
    return r;
  } }.revocable);
  defineProperty(OriginalProxy, 'revocable', { value: revocable, writable: true, enumerable: false, configurable: true });
  var noted = new OriginalProxy(OriginalProxy, freeze({
    __proto__: null,
    construct: function (target, args, newTarget) {
      var p = construct(target, args, newTarget === noted ? target : newTarget);
      apply(weakMapSet, proxies, [p, [args[0], args[1]]]);
      return p;
    }
  }));
  defineProperty(g, 'Proxy', { value: noted, writable: true, enumerable: false, configurable: true });
}
function readOnlyProperty() {
  for (var i = 0; i < records.length; i++) {
    var r = records[i], names = r.names;
    for (var k = 0; k < names.length; k++) {
      var d = getDescriptor(r.target, names[k]);
      if (d && d.writable === false) return StringCtor(names[k]);
    }
  }
  return null;
}
// JavaScriptCore's Error.captureStackTrace writes `stack` past the object's extensibility and
// attributes: on Math or a frozen built-in function it would leave a writable key no record
// counts, for the next login to read, and it would make a locked `stack` configurable again. It
// refuses a non-extensible object and a non-configurable `stack`, as V8 does. Without a
// function to cut the stack at, the guard's own frames are taken off its top (the stack starts
// at the caller, as it would without the guard).
function withoutGuardFrames(o) {
  var d = getDescriptor(o, 'stack');
  if (!d || typeof d.value !== 'string') return;
  var stack = d.value, cut = 0;
  // Reflect.apply's frame, the trap's and the proxy call's (`@[native code]`).
  for (var frames = 0; frames < 3; frames++) {
    var end = apply(stringIndexOf, stack, ['\n', cut]);
    var line = apply(stringSlice, stack, [cut, end < 0 ? stack.length : end]);
    if (line !== 'apply@[native code]' && line !== '@[native code]' && apply(stringIndexOf, line, ['@authsim:runtime/prelude.js:']) < 0) break;
    cut = end < 0 ? stack.length : end + 1;
  }
  if (cut === 0) return;
  d.value = apply(stringSlice, stack, [cut]);
  defineProperty(o, 'stack', d);
}
function guardCaptureStackTrace() {
  var original = ErrorCtor.captureStackTrace;
  if (typeof original !== 'function') return;
  defineProperty(ErrorCtor, 'captureStackTrace', { value: new Proxy(original, freeze({
    __proto__: null,
    apply: function (target, self, args) {
      var o = args[0];
      if (isObjectLike(o)) {
        if (!isExtensible(o)) throw new TypeErrorCtor('Cannot define property stack, object is not extensible');
        var d = getDescriptor(o, 'stack');
        if (d && !d.configurable) throw new TypeErrorCtor('Cannot redefine property: stack');
      }
      var r = apply(target, self, args);
      if (typeof args[1] !== 'function' && isObjectLike(o)) withoutGuardFrames(o);
      return r;
    }
  })), writable: true, enumerable: false, configurable: true });
}
// Installed before the runtime's files and the tenant's load: code that runs while the program
// loads keeps these, not the originals.
guardCaptureStackTrace();
notingProxies();
notingAttributeChanges(Object, 'defineProperty');
notingAttributeChanges(Object, 'defineProperties');
notingAttributeChanges(Object, 'freeze');
notingAttributeChanges(Reflect, 'defineProperty');
// Called by the host once the program's files have loaded.
var snapshotTaken = false;
rt.snapshot = function () {
  attributesTouched = false;
  for (var c = 0; c < extensibleConstructors.length; c++) extensible[extensible.length] = g[extensibleConstructors[c]];
  walk(g, 1e9, false, false);
  for (var i = 0; i < hidden.length; i++) if (hidden[i]) walk(hidden[i], 1e9, false, false);
  snapshotTaken = true;
};
// What the runtime's files hand every script that no property path from the global object
// reaches (the rules' UnauthorizedError, the custom-database and Hooks error types, the scripts'
// `require`): walked like the built-ins, so a job can leave nothing on them for the next (a
// getter on UnauthorizedError.prototype.message would run in a later login's rule and read
// its error).
rt.handToScripts = function (value) {
  if (snapshotTaken) walk(value, 1e9, false, false);
  else hidden[hidden.length] = value;
};
// Built-ins no property path from the global object reaches: the iterator, generator and
// async-function prototypes, Intl's segment objects.
var hidden = (function () {
  function proto(make) { try { return getPrototypeOf(make()); } catch (e) { return null; } }
  var list = [
    proto(function () { return [][Symbol.iterator](); }), proto(function () { return getPrototypeOf([][Symbol.iterator]()); }),
    proto(function () { return new MapCtor()[Symbol.iterator](); }), proto(function () { return new SetCtor()[Symbol.iterator](); }),
    proto(function () { return ''[Symbol.iterator](); }), proto(function () { return /a/g[Symbol.matchAll]('a'); }),
    proto(function () { return function* () {}; }), proto(function () { return (function* () {})(); }),
    proto(function () { return async function () {}; }), proto(function () { return async function* () {}; }),
    proto(function () { return (async function* () {})(); }), proto(function () { return getPrototypeOf((async function* () {})()); }),
    proto(function () { return [].values().map(function (x) { return x; }); }),
    proto(function () { return Iterator.from({ next: function () { return { done: true }; } }); }),
    proto(function () { return new Intl.Segmenter().segment('a'); }), proto(function () { return new Intl.Segmenter().segment('a')[Symbol.iterator](); })
  ];
  return list;
})();
// What the restore covers, for benchmarks and the README: objects and saved keys.
rt.snapshotSize = function () {
  var keys = 0;
  for (var i = 0; i < records.length; i++) keys += records[i].names.length;
  return { objects: records.length, keys: keys };
};
// The module loader wraps each module's first evaluation in this (`whole` for the host's own
// modules: everything their exports reach is walked; a file module's, three steps). A module that loads while the job has changed
// anything shared (a replaced method may run during the load and plant something in the
// module), or whose load changes anything shared itself (a package extending String.prototype),
// leaves a context that is not trusted for the next job: it is dropped after this job, and the
// module loads again, cleanly, in the next job's new context. Then the exports are walked.
// The checks are made around the outermost load only: the modules a load requires in turn are
// part of it, and what its code does to their exports while it loads (readable-stream's
// `exports.Readable = exports` on what `_stream_readable.js` exported) is taken as their state:
// the records this load made are taken again at its end. That is only done when no script code
// can have run during the load: nothing shared was changed when it began, and no key a job added
// to the global object was there while it ran (a getter on `global.window`, read by a package's
// feature test, would run script code in the middle of the load). Those keys (they stay from
// job to job, as Auth0's `global` does in its container: `global.cache = …`) are taken off the
// global object for the length of the load and put back as they were when it ends (see
// hideJobGlobals), so a package sees the same global object whichever login loads it. Whatever
// else the load changed (a built-in, a module loaded before) leaves the context to be dropped
// after the job, as does any change when the load could have run script code (a job's key that
// could not be taken off).
// The keys of the global object that are neither the snapshot's nor what a module load left
// (unchanged since) are the jobs' own: hideJobGlobals takes them off (answering what to put
// back), or answers null when one cannot be set aside (a read-only key holding an object, a
// non-configurable accessor, a key a load added that a job has changed since, or a change to
// what loads left there: see watchLoadGlobals); the load then runs with them there and is never
// taken as the modules' state. A key a load adds to the global object (a polyfill another
// package reads when it loads) is noted with what it holds, and stays there for later loads.
var loadGlobals = new MapCtor();
var objectHasOwn = Object.prototype.hasOwnProperty;
function hideJobGlobals() {
  if (globalRecord === null) return { taken: [], blanked: [], undo: [] };
  var keys = ownKeys(g), taken = [], blanked = [];
  for (var i = 0; i < keys.length; i++) {
    var k = keys[i];
    if (apply(setHas, globalRecord.keys, [k])) continue;
    var d = getDescriptor(g, k), isData = apply(objectHasOwn, d, ['value']);
    var left = apply(mapGet, loadGlobals, [k]);
    if (left !== undefined) {
      if (isData ? left[0] === 'value' && same(left[1], d.value) : left[0] === 'accessor' && left[1] === d.get && left[2] === d.set) continue;
      return null;
    }
    // A key defined without `configurable` (Object.defineProperty's default) cannot be taken
    // off: a writable one holds undefined for the load; a read-only one that holds no object
    // cannot run anything; any other could.
    if (!d.configurable) {
      if (isData && d.writable) { blanked[blanked.length] = [k, d.value]; continue; }
      if (isData && !isObjectLike(d.value)) continue;
      return null;
    }
    // A descriptor of its own, with no prototype: putting it back reads nothing a load could
    // have put on Object.prototype.
    var plain = create(null);
    plain.enumerable = d.enumerable; plain.configurable = true;
    if (isData) { plain.value = d.value; plain.writable = d.writable; } else { plain.get = d.get; plain.set = d.set; }
    taken[taken.length] = [k, plain];
  }
  // What loads left on the global object (and the objects three steps from it) is as the last
  // load left it: a job's change there (a getter on `global.registry.config`) could run during
  // this load.
  if (!watchedUnchanged()) return null;
  for (var j = 0; j < taken.length; j++) deleteProperty(g, taken[j][0]);
  for (var b = 0; b < blanked.length; b++) defineProperty(g, blanked[b][0], valueDescriptor(undefined));
  // The global object's own accessors that keep a job's assignment (`process = …`, `Buffer = …`:
  // see rt.onLoadHide) answer their own value for the length of the load too.
  var undo = [];
  for (var h = 0; h < loadHides.length; h++) { var back = loadHides[h](); if (back) undo[undo.length] = back; }
  return { taken: taken, blanked: blanked, undo: undo };
}
function valueDescriptor(v) { var d = create(null); d.value = v; return d; }
// The objects reachable (three steps) from what loads left on the global object, each with its
// own properties and prototype as the last load left them: compared when a module starts to
// load, taken again when one ends. They are not put back after a job (a package's registry
// there, `global.__SENTRY__`, keeps what its calls do, as the global object does): a job's
// change to them only keeps the next first load from being taken as the modules' state.
var watched = [];
function watchLoadGlobals() {
  watched = [];
  var seen = new SetCtor(), queue = [];
  apply(mapForEach, loadGlobals, [function (left) {
    for (var i = 1; i < left.length; i++) if (isObjectLike(left[i])) queue[queue.length] = [left[i], 3];
  }]);
  for (var q = 0; q < queue.length; q++) {
    var o = queue[q][0], depth = queue[q][1];
    if (apply(setHas, seen, [o])) continue;
    apply(setAdd, seen, [o]);
    var parts = apply(weakMapGet, proxies, [o]);
    if (parts !== undefined) { queue[queue.length] = [parts[0], depth]; queue[queue.length] = [parts[1], depth]; continue; }
    // Shared objects the snapshot or a module recorded are checked as such.
    if (apply(setHas, visited, [o])) continue;
    var sig = ownSignature(o);
    watched[watched.length] = [o, sig, getPrototypeOf(o), isExtensible(o)];
    if (depth === 0) continue;
    for (var k = 1; k < sig.length; k += 7) {
      for (var f = 0; f < 3; f++) if (isObjectLike(sig[k + f])) queue[queue.length] = [sig[k + f], depth - 1];
    }
    var proto = getPrototypeOf(o);
    if (proto !== null) queue[queue.length] = [proto, depth - 1];
  }
}
function watchedUnchanged() {
  for (var i = 0; i < watched.length; i++) {
    var w = watched[i], o = w[0];
    if (getPrototypeOf(o) !== w[2] || isExtensible(o) !== w[3] || !sameSignature(w[1], ownSignature(o))) return false;
  }
  return true;
}
var loadHides = [];
// A runtime file's global accessor that keeps what a job assigns registers how to set that
// aside for a module's load: a function that answers null (nothing assigned) or a function that
// puts the job's value back.
rt.onLoadHide = function (fn) { loadHides[loadHides.length] = fn; };
// Puts the jobs' keys back (over a key of the same name the load added: the job's was there
// first, and a package writes a global mostly as a polyfill, `if (!global.x) global.x = …`),
// notes the keys the load added and watches what they hold (see watchLoadGlobals). A key that
// cannot be put back (the load made its own non-configurable) leaves the context to be dropped
// after the job.
function showJobGlobals(hidden) {
  var taken = hidden.taken, mine = new SetCtor();
  for (var i = 0; i < taken.length; i++) apply(setAdd, mine, [taken[i][0]]);
  for (var n = 0; n < hidden.blanked.length; n++) apply(setAdd, mine, [hidden.blanked[n][0]]);
  var keys = globalRecord === null ? [] : ownKeys(g);
  for (var k = 0; k < keys.length; k++) {
    var key = keys[k];
    if (apply(setHas, globalRecord.keys, [key]) || apply(setHas, mine, [key]) || apply(mapHas, loadGlobals, [key])) continue;
    var d = getDescriptor(g, key), isData = apply(objectHasOwn, d, ['value']);
    apply(mapSet, loadGlobals, [key, isData ? ['value', d.value] : ['accessor', d.get, d.set]]);
  }
  // Only package code ran: what loads left on the global object is taken as it is now.
  if (globalRecord !== null) watchLoadGlobals();
  for (var j = 0; j < taken.length; j++) {
    try { defineProperty(g, taken[j][0], taken[j][1]); } catch (e) { taintedByLoad = true; }
  }
  for (var b = 0; b < hidden.blanked.length; b++) {
    try { defineProperty(g, hidden.blanked[b][0], valueDescriptor(hidden.blanked[b][1])); } catch (e) { taintedByLoad = true; }
  }
  for (var u = 0; u < hidden.undo.length; u++) hidden.undo[u]();
}
var taintedByLoad = false;
var loadDepth = 0;
rt.loadModule = function (load, whole, host) {
  var outer = loadDepth === 0, start = records.length, hidden = null;
  if (outer && !taintedByLoad) {
    if (check(false) !== 'ok') taintedByLoad = true;
    // A job's key that cannot be taken off (or a load's key a job changed) could run script code
    // during the load, which could change anything the load makes before it is recorded: such a
    // load is never taken as the modules' state.
    else if ((hidden = hideJobGlobals()) === null) taintedByLoad = true;
  }
  var exports;
  loadDepth++;
  try {
    exports = load();
    if (exports !== null && (typeof exports === 'object' || typeof exports === 'function')) walk(exports, whole ? 1e9 : 3, true, false, host === undefined ? whole : host);
  } finally {
    loadDepth--;
    if (outer) freezePending(false);
    if (hidden !== null) showJobGlobals(hidden);
  }
  if (outer && !taintedByLoad) {
    if (!adoptJSONChanges(start)) taintedByLoad = true;
    // What a host module's walk recorded is taken as it was then: script code can run during a
    // load the checks above call adoptable (a hook a job left on a package's function), and a
    // change it made to a host object (EventEmitter.prototype.emit) must not become the state
    // every later login starts from. Only packages' records are taken again.
    else if (check(false, undefined, start, true) !== 'ok') taintedByLoad = true;
    else {
      for (var i = start; i < records.length; i++) {
        if (!records[i].module || records[i].host) continue;
        rerecord(records[i]);
        if (records[i].json) walkAdded(records[i]);
      }
    }
  }
  return exports;
};
// A host module's internal classes (their instances reach scripts): their prototypes are
// recorded and take no new keys.
rt.protectClasses = function (list) {
  for (var i = 0; i < list.length; i++) walk(list[i].prototype, 1e9, true, 'classes', true);
};
// Lazy globals and the like keep a value of their own: they register how to forget a job's.
var resets = [];
rt.onRestore = function (fn) { resets[resets.length] = fn; };
// State the snapshot cannot put back (what a runtime file counts itself) registers a check that
// names why the context must be dropped, or answers null.
var poisonChecks = [];
rt.onPoisonCheck = function (fn) { poisonChecks[poisonChecks.length] = fn; };
// SameValue: NaN is NaN (the global `NaN` must not look changed).
function same(a, b) { return a === b || (a !== a && b !== b); }
// Cheap when nothing changed: one read per recorded property, one key count per extensible
// object. With `repair` false it only tells whether anything differs.
// `upTo`: only the records before this index; `from`: only those from this one; `hostOnly`:
// only those a host module's walk made. An object that was not extensible when recorded
// skips the prototype check: the prototype of a non-extensible object cannot change.
function check(repair, upTo, from, hostOnly) {
  var changed = 0;
  var end = upTo === undefined ? records.length : upTo;
  for (var i = from === undefined ? 0 : from; i < end; i++) {
    var r = records[i], t = r.target;
    if (hostOnly && !r.host) continue;
    if (r.extensible) {
      if (!isExtensible(t)) return 'poisoned: an object was made non-extensible';
      if (getPrototypeOf(t) !== r.proto) {
        if (!repair) return 'changed';
        try { setPrototypeOf(t, r.proto); changed++; } catch (x) { return 'poisoned: a prototype cannot be put back'; }
      }
    }
    if (r.regExp !== null) {
      var now = regExpState(t);
      if (now[0] !== r.regExp[0] || now[1] !== r.regExp[1]) {
        if (!repair) return 'changed';
        // (compile sets lastIndex, which the loop below puts back)
        try { apply(regExpCompile, t, [r.regExp[0], r.regExp[1]]); changed++; } catch (x) { return 'poisoned: a regular expression cannot be put back'; }
      }
    }
    var names = r.names, values = r.values, n = names.length;
    for (var k = 0; k < n; k++) {
      var v = t[names[k]], w = values[k];
      if (v === w || (v !== v && w !== w)) continue;  // SameValue, inlined: this loop is per job
      if (!repair) return 'changed';
      try { t[names[k]] = values[k]; } catch (x) {}
      if (!same(t[names[k]], values[k])) return 'poisoned: ' + StringCtor(names[k]) + ' cannot be put back';
      changed++;
    }
    if (r.watch !== null && !rt.sameBytes(r.watch[0], r.watch[1])) {
      if (!repair) return 'changed';
      if (apply(viewLength, r.watch[0], []) !== apply(viewLength, r.watch[1], [])) return 'poisoned: a typed array cannot be put back';
      apply(viewSet, r.watch[0], [r.watch[1]]);
      changed++;
    }
    if (r.extensible && !r.keepAdded) {
      var keys = ownKeys(t);
      if (keys.length !== r.count) {
        if (!repair) return 'changed';
        for (var j = 0; j < keys.length; j++) {
          if (!apply(setHas, r.keys, [keys[j]])) { if (!deleteProperty(t, keys[j])) return 'poisoned: ' + StringCtor(keys[j]) + ' cannot be deleted'; changed++; }
        }
      }
    }
  }
  return changed ? 'restored' : 'ok';
}
// JavaScriptCore keeps an object whose property attributes were changed (the lock above) as a
// dictionary that caches nothing: listing its keys walks its table at every call, which made the
// key counts above cost about 0.7 µs per built-in per job. Its baseline JIT turns such an object
// back into a cacheable one the first time it caches a property access on it, after which the
// engine keeps its key list. So, once a context has run a few jobs (a context that serves one
// login does not pay), one function with a property access per counted object is called until
// the JIT has compiled it: each access site meets few objects (batches of `flattenSites`), so
// it caches. It reads a name no object has, after the objects were put back, so the read walks
// each object's prototype chain: only an object whose whole chain is recorded shared state with
// no key the put-back leaves (no global object, no proxy, nothing a module load left unrecorded)
// is touched, so no script's getter or trap can run. A key a job adds and the put-back deletes
// makes that object a dictionary again, as before.
// At most `flattenBatches` batches (256 objects: the 27 built-ins and the first modules' objects),
// so the warm-up's one-time cost stays a few milliseconds however many packages a tenant loads;
// the others are counted as before.
var flattenSites = 64, flattenBatches = 4, flattenCalls = 1000, flattenAfterJobs = 3, jobsPutBack = 0;
var touchAll = (function () {
  var body = "'use strict'; var o;";
  for (var i = 0; i < flattenSites; i++) body += 'if ((o = a[' + i + ']) !== undefined) o.__authsim_flatten__;';
  return Function('a', body);  // the prelude runs before eval is turned off for the program
})();
function flattenCounted() {
  // Objects that take no key a job could leave: non-extensible ones and those whose added keys
  // are deleted.
  var kept = new SetCtor();
  for (var k = 0; k < records.length; k++) if (!records[k].keepAdded) apply(setAdd, kept, [records[k].target]);
  // A recorded accessor of that name (a package can define one on its exports while it loads)
  // would run too: such a chain is left alone.
  function keptChain(o) {
    for (var p = o; p !== null; p = getPrototypeOf(p)) {
      if (!apply(setHas, kept, [p]) || isProxy(p) || getDescriptor(p, '__authsim_flatten__') !== undefined) return false;
    }
    return true;
  }
  var batches = [];
  for (var i = 0, n = 0; i < records.length; i++) {
    var r = records[i];
    if (!r.extensible || r.keepAdded || !keptChain(r.target)) continue;
    if (n === flattenSites * flattenBatches) break;
    if (n % flattenSites === 0) batches[batches.length] = [];
    var batch = batches[batches.length - 1];
    batch[batch.length] = r.target;
    n++;
  }
  for (var c = 0; c < flattenCalls; c++) for (var b = 0; b < batches.length; b++) touchAll(batches[b]);
}
rt.restore = function () {
  if (taintedByLoad) return 'poisoned: a module loaded while shared objects were changed';
  var state = check(true);
  if (state.slice(0, 8) === 'poisoned') return state;
  if (attributesTouched) {
    attributesTouched = false;
    var readOnly = readOnlyProperty();
    if (readOnly !== null) return 'poisoned: ' + readOnly + ' was made read-only';
  }
  for (var p = 0; p < poisonChecks.length; p++) { var why = poisonChecks[p](); if (why) return 'poisoned: ' + why; }
  for (var h = 0; h < resets.length; h++) resets[h]();
  // RegExp's legacy statics (RegExp.input, lastMatch, $1…) hold the last match of the job: an
  // empty match clears them so the next login cannot read this one's data.
  apply(regExpExec, emptyPattern, ['']);
  // RegExp.multiline (`$*`) is an accessor with state of its own (the walk records data
  // properties): set back to false.
  if (regExpMultiline && regExpMultiline.set) apply(regExpMultiline.set, RegExpCtor, [false]);
  if (++jobsPutBack === flattenAfterJobs) flattenCounted();
  return state;
};

// ---- Jobs ------------------------------------------------------------------------------------
// A no-op entry: running it proves a program compiles.
entries.__rt_ping = function () { return 'ok'; };

rt.start = function (name, input) {
  var fn = entry(name);
  apply(nativeThen, new Promise(function (resolve) {
    if (typeof fn !== 'function') throw new TypeErrorCtor('Entry function ' + name + ' is not defined');
    resolve(fn(input));
  }), [function (r) {
    rt.done(typeof r === 'string' ? r : stringify(r === undefined ? null : r));
  }, function (e) { rt.fail(e); }]);
};
// The timeout probe: an entry called without input when a job times out while idle.
rt.probe = function (name) {
  var fn = entry(name);
  return typeof fn === 'function' ? StringCtor(fn()) : null;
};
