/// JavaScript evaluated first in every context: timers, microtasks, a Node-like console
/// factory, and the job entry trampoline. Natives it relies on (`__rt_*`) are installed by
/// `ScriptContext` before it runs.
enum Prelude {
    static let source = #"""
(function (g) {
  'use strict';
  var timers = new Map();
  var nextTimerId = 1;
  function schedule(fn, ms, args, repeat, immediate) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    var id = nextTimerId++;
    var delay = Math.max(0, Number(ms) || 0);
    timers.set(id, { fn: fn, args: args, repeat: repeat ? Math.max(1, delay) : 0 });
    __rt_setTimer(id, immediate ? -1 : delay);
    return id;
  }
  function cancel(id) {
    if (id && typeof id === 'object' && typeof id.__id === 'number') id = id.__id;
    if (timers.delete(id)) __rt_clearTimer(id);
  }
  Object.defineProperty(g, '__rt_fire', { value: function (id) {
    id = Number(id);
    var t = timers.get(id);
    if (!t) return;
    if (t.repeat) __rt_setTimer(id, t.repeat); else timers.delete(id);
    try { t.fn.apply(undefined, t.args); }
    catch (e) { g.__rt_uncaught(e); }
  }});
  Object.defineProperty(g, '__rt_dropTimers', { value: function () { timers.clear(); } });
  Object.defineProperty(g, '__rt_uncaught', { writable: true, value: function (e) { throw e; } });
  g.setTimeout = function (fn, ms) { return schedule(fn, ms, Array.prototype.slice.call(arguments, 2), false, false); };
  g.setInterval = function (fn, ms) { return schedule(fn, ms, Array.prototype.slice.call(arguments, 2), true, false); };
  g.setImmediate = function (fn) { return schedule(fn, 0, Array.prototype.slice.call(arguments, 1), false, true); };
  g.clearTimeout = cancel;
  g.clearInterval = cancel;
  g.clearImmediate = cancel;
  // A chain of microtasks that each schedule the next never gives the watchdog a long enough
  // stretch of VM time to fire (its clock restarts at each microtask), so `then` itself refuses
  // to schedule more once the job is past its deadline; queueMicrotask goes through it too.
  var nativeThen = Promise.prototype.then;
  var remaining = __rt_remaining;
  Object.defineProperty(Promise.prototype, 'then', { writable: true, configurable: true, value: function then(onFulfilled, onRejected) {
    if (remaining() <= 0) throw new Error('Script execution time exceeded');
    return nativeThen.call(this, onFulfilled, onRejected);
  }});
  g.queueMicrotask = function (fn) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    Promise.resolve().then(function () { try { fn(); } catch (e) { g.__rt_uncaught(e); } });
  };
  g.global = g;

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
    if (v instanceof Error) return v.stack ? String(v.name || 'Error') + ': ' + v.message + '\n' + v.stack.split('\n').map(function (l) { return '    at ' + l; }).join('\n') : String(v);
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
  function format(args) {
    var first = args[0];
    var rest = 1;
    var out = '';
    if (typeof first === 'string') {
      out = first.replace(/%[sdifjoOc%]/g, function (m) {
        if (m === '%%') return '%';
        if (rest >= args.length) return m;
        var a = args[rest++];
        switch (m) {
          case '%s': return typeof a === 'string' ? a : inspect(a, 1, []);
          case '%d': case '%i': return m === '%i' ? String(parseInt(a, 10)) : String(Number(a));
          case '%f': return String(parseFloat(a));
          case '%j': try { return JSON.stringify(a); } catch (e) { return '[Circular]'; }
          case '%c': return '';
          default: return inspect(a, 1, []);
        }
      });
    } else {
      rest = 0;
    }
    for (var i = rest; i < args.length; i++) {
      out += (out.length || i > 0 ? ' ' : '') + inspect(args[i], 0, []);
    }
    return out;
  }
  Object.defineProperty(g, '__rt_inspect', { value: function (v) { return inspect(v, 1, []); } });
  Object.defineProperty(g, '__rt_format', { value: function () { return format(Array.prototype.slice.call(arguments)); } });

  // A console whose lines go to `sink` (an array of {level, message, t}), so that each script
  // can get its own capture.
  Object.defineProperty(g, '__rt_makeConsole', { value: function (sink) {
    function writer(level) {
      return function () { sink.push({ level: level, message: format(Array.prototype.slice.call(arguments)), t: __rt_now() }); };
    }
    var timersByLabel = {};
    return {
      log: writer('log'), info: writer('info'), warn: writer('warn'), error: writer('error'),
      debug: writer('debug'), trace: writer('trace'),
      dir: function (o) { sink.push({ level: 'log', message: inspect(o, 0, []), t: __rt_now() }); },
      time: function (l) { timersByLabel[l || 'default'] = __rt_now(); },
      timeEnd: function (l) { l = l || 'default'; var s = timersByLabel[l]; if (s !== undefined) { sink.push({ level: 'log', message: l + ': ' + (__rt_now() - s).toFixed(3) + 'ms', t: __rt_now() }); delete timersByLabel[l]; } },
      assert: function (c) { if (!c) sink.push({ level: 'error', message: 'Assertion failed' + (arguments.length > 1 ? ': ' + format(Array.prototype.slice.call(arguments, 1)) : ''), t: __rt_now() }); }
    };
  }});
  g.console = g.__rt_makeConsole([]);

  // Host calls: JSON in, JSON out.
  Object.defineProperty(g, '__rt_call', { value: function (name, args) {
    return JSON.parse(__rt_host(name, JSON.stringify(args === undefined ? null : args)));
  }});
  Object.defineProperty(g, '__rt_callAsync', { value: function (name, args) {
    return __rt_hostAsync(name, JSON.stringify(args === undefined ? null : args)).then(JSON.parse);
  }});

  // Shared objects a script could tamper with for the next jobs on this context (prototype
  // pollution, replaced built-ins, a hijacked global function): snapshotted once the program is
  // loaded and restored after every job. Keys that scripts add to the global object (Auth0's
  // `global` cache) stay; keys added to built-ins go. A built-in made non-extensible or frozen
  // cannot be restored: the worker then drops the context.
  var getDescriptor = Object.getOwnPropertyDescriptor, defineProperty = Object.defineProperty, ownKeys = Reflect.ownKeys;
  var deleteProperty = Reflect.deleteProperty, isExtensible = Object.isExtensible, getPrototypeOf = Object.getPrototypeOf;
  var apply = Reflect.apply, setHas = Set.prototype.has;
  var snapshots = null;
  function capture(target, keepAdded) {
    var keys = ownKeys(target), saved = [];
    for (var i = 0; i < keys.length; i++) {
      var d = getDescriptor(target, keys[i]);
      saved.push({ key: keys[i], d: d, data: d.get === undefined && d.set === undefined });
    }
    return { target: target, saved: saved, keys: new Set(keys), count: keys.length, keepAdded: keepAdded };
  }
  defineProperty(g, '__rt_snapshotIntrinsics', { value: function () {
    var typed = getPrototypeOf(Uint8Array.prototype);
    var list = [Object, Object.prototype, Function.prototype, Array, Array.prototype, String, String.prototype, Number, Number.prototype,
      Boolean.prototype, Symbol, Symbol.prototype, RegExp, RegExp.prototype, g.Date, g.Date.prototype, Promise, Promise.prototype,
      Map.prototype, Set.prototype, WeakMap.prototype, WeakSet.prototype, Error, Error.prototype, TypeError.prototype, RangeError.prototype,
      SyntaxError.prototype, JSON, Math, Reflect, ArrayBuffer.prototype, Uint8Array.prototype, typed, getPrototypeOf(typed)];
    snapshots = list.map(function (t) { return capture(t, false); });
    snapshots.push(capture(g, true));
  }});
  // Cheap when nothing changed (one property read per saved key, one key count per object);
  // descriptors are compared only where a value differs or the property is an accessor.
  defineProperty(g, '__rt_restoreIntrinsics', { value: function () {
    if (!snapshots) return 'ok';
    var changed = 0;
    for (var i = 0; i < snapshots.length; i++) {
      var s = snapshots[i], t = s.target;
      if (!isExtensible(t)) return 'poisoned';
      for (var k = 0; k < s.saved.length; k++) {
        var e = s.saved[k], was = e.d;
        if (e.data && t[e.key] === was.value) continue;
        var is = getDescriptor(t, e.key);
        if (is && is.value === was.value && is.get === was.get && is.set === was.set && is.writable === was.writable && is.configurable === was.configurable) continue;
        if (!is && !was.configurable) return 'poisoned';
        try { defineProperty(t, e.key, was); changed++; } catch (x) { return 'poisoned'; }
      }
      if (!s.keepAdded) {
        var now = ownKeys(t);
        if (now.length !== s.count) {
          for (var j = 0; j < now.length; j++) {
            if (!apply(setHas, s.keys, [now[j]])) { if (!deleteProperty(t, now[j])) return 'poisoned'; changed++; }
          }
        }
      }
    }
    return changed ? 'restored' : 'ok';
  }});

  // A no-op entry: running it proves a program compiles.
  Object.defineProperty(g, '__rt_ping', { value: function () { return 'ok'; } });

  Object.defineProperty(g, '__rt_start', { value: function (entry, input) {
    var fn = g[entry];
    new Promise(function (resolve) {
      if (typeof fn !== 'function') throw new TypeError('Entry function ' + entry + ' is not defined');
      resolve(fn(input));
    }).then(function (r) {
      __rt_done(typeof r === 'string' ? r : JSON.stringify(r === undefined ? null : r));
    }, function (e) { __rt_fail(e); });
  }});
})(globalThis);
"""#
}
