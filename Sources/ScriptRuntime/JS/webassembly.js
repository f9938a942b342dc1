// WebAssembly, for a tenant that turns it on (`authsim.allow_webassembly`): evaluated right after
// the prelude, like it as the body of `function (rt) { 'use strict'; … }`. The engine's own
// namespace (which the prelude took off the global object) is put back behind wrappers:
//  - every module is rewritten by the host before the engine compiles it (`rt.meterWasm`, see
//    WasmMeter.swift): its loops and calls reach `check` below every so often, and the
//    watchdog's termination, which a wasm loop ignores in this JavaScriptCore, is delivered at
//    the entry of that JavaScript function and cannot be caught in wasm;
//  - instances get `check`, `tableGrow`, `memoryGrow` and the context's fuel counter as the
//    imports the rewrite added;
//    modules that did not come through the rewrite are refused;
//  - every object handed to the engine is the runtime's own, without a prototype (a script's
//    `Object.prototype.shared = true` must not reach a memory descriptor), and every number in
//    it converted once (a `valueOf` cannot answer one value to the check and another to the
//    engine); the Proxy handlers have no prototype either (a `get` trap on Object.prototype
//    would be handed the engine's constructor);
//  - memories and table elements are counted here, per job and per context (a context past its
//    count is dropped after the job): JavaScriptCore counts a memory in its heap size only once
//    JavaScript reads its buffer (and then twice), and tables not at all. Each memory has at
//    most the heap budget's worth of pages, each table a fixed number of elements; memories
//    are also weighed against what the heap budget has left; shared memories (Atomics.wait
//    would block the worker) and 64-bit ones are refused;
// Compilation is synchronous (the promise-returning functions compile in the call): this
// worker has no run loop for JavaScriptCore's background compilation to report to.

var W = rt.engineWebAssembly;
if (!W) throw new Error('WebAssembly is not available in this JavaScriptCore');
var g = globalThis;
var P = rt.primordials;
var apply = Reflect.apply, construct = Reflect.construct, defineProperty = Object.defineProperty;
var freeze = Object.freeze, create = Object.create, getDescriptor = Object.getOwnPropertyDescriptor;
var NumberCtor = Number, StringCtor = String, TypeErrorCtor = TypeError, RangeErrorCtor = RangeError;
var Uint8ArrayCtor = Uint8Array, mathMin = Math.min, mathFloor = Math.floor;
var typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
var typedArrayBuffer = getDescriptor(typedArrayProto, 'buffer').get, typedArraySet = typedArrayProto.set;
var typedArrayOffset = getDescriptor(typedArrayProto, 'byteOffset').get, typedArrayLength = getDescriptor(typedArrayProto, 'byteLength').get;
var arrayBufferLength = getDescriptor(ArrayBuffer.prototype, 'byteLength').get;
var weakGet = WeakMap.prototype.get, weakSet = WeakMap.prototype.set, weakHas = WeakMap.prototype.has;
var dataViewBuffer = getDescriptor(DataView.prototype, 'buffer').get;
var dataViewOffset = getDescriptor(DataView.prototype, 'byteOffset').get;
var dataViewLength = getDescriptor(DataView.prototype, 'byteLength').get;

var Module = W.Module, Instance = W.Instance, Memory = W.Memory, Table = W.Table, CompileError = W.CompileError;
var moduleImports = Module.imports, memoryGrow = Memory.prototype.grow, tableGrow = Table.prototype.grow;
var limits = rt.wasmLimits;
var IMPORTS = limits.importModule;

// ---- What the rewritten modules import -------------------------------------------------------
var tablesThisJob = 0, tablesInContext = 0;
function countTableElements(n) {
  if (tablesThisJob + n > limits.tableElementsPerJob) {
    throw new RangeErrorCtor('WebAssembly tables of ' + (tablesThisJob + n) + ' elements in one login are over the limit of ' + limits.tableElementsPerJob);
  }
  tablesThisJob += n;
  tablesInContext += n;
}
var runtimeImports = create(null);
runtimeImports.check = freeze({ check() {} }.check);
runtimeImports.tableGrow = freeze({ tableGrow(n) {
  var count = n >>> 0;
  if (tablesThisJob + count > limits.tableElementsPerJob) return -1;  // more than any table's maximum: the grow fails
  tablesThisJob += count;
  tablesInContext += count;
  return n;
} }.tableGrow);
// The fuel counter every instance in this context draws on (so that more instances do not
// mean more work between checks).
var fuelDescriptor = create(null);
fuelDescriptor.value = 'i32';
fuelDescriptor.mutable = true;
runtimeImports.fuel = new W.Global(fuelDescriptor, limits.fuel);
runtimeImports.memoryGrow = freeze({ memoryGrow(n) {
  if (!countMemory((n >>> 0) * 65536, true)) return -1;  // the grow fails as wasm's -1
  return n;
} }.memoryGrow);
freeze(runtimeImports);
var memoryThisJob = 0, memoryInContext = 0;
// `soft`: answers false instead of throwing (for memory.grow in wasm, which fails as -1).
function countMemory(bytes, soft) {
  if (!(bytes > 0)) return true;
  if (memoryThisJob + bytes > limits.memoryBytesPerJob) {
    if (soft) return false;
    throw new RangeErrorCtor('WebAssembly memories of ' + (memoryThisJob + bytes) + ' bytes in one login are over the limit of ' + limits.memoryBytesPerJob + ' (a quarter of the script heap budget)');
  }
  if (soft) { try { rt.checkAllocation(bytes); } catch (e) { return false; } } else rt.checkAllocation(bytes);
  memoryThisJob += bytes;
  memoryInContext += bytes;
  return true;
}
// Modules (their compiled code and sections live outside the JavaScript heap) and the objects
// that cost memory the heap does not see even when empty (memories, tables, tags): counted per
// job and per context too.
var codeThisJob = 0, codeInContext = 0, objectsThisJob = 0, objectsInContext = 0;
function countObject(what) {
  if (objectsThisJob >= limits.objectsPerJob) throw new RangeErrorCtor(what + ': more than ' + limits.objectsPerJob + ' WebAssembly modules, memories, tables and tags in one login');
  objectsThisJob++;
  objectsInContext++;
}
function countCode(bytes) {
  if (codeThisJob + bytes > limits.codeBytesPerJob) throw new RangeErrorCtor('WebAssembly modules of ' + (codeThisJob + bytes) + ' bytes (metered) in one login are over the limit of ' + limits.codeBytesPerJob);
  codeThisJob += bytes;
  codeInContext += bytes;
}
rt.onRestore(function () { tablesThisJob = 0; memoryThisJob = 0; codeThisJob = 0; objectsThisJob = 0; });
rt.onPoisonCheck(function () {
  if (tablesInContext > limits.tableElementsPerContext) return 'WebAssembly tables of ' + tablesInContext + ' elements made in this context';
  if (memoryInContext > limits.memoryBytesPerContext) return 'WebAssembly memories of ' + memoryInContext + ' bytes made in this context';
  if (codeInContext > limits.codeBytesPerContext) return 'WebAssembly modules of ' + codeInContext + ' bytes compiled in this context';
  if (objectsInContext > limits.objectsPerContext) return objectsInContext + ' WebAssembly modules, memories, tables and tags made in this context';
  return null;
});

// ---- Modules ---------------------------------------------------------------------------------
var info = new WeakMap();  // module → { memory, tables } its instances take
// A copy of the module's bytes (a typed array, a DataView or an ArrayBuffer), or null: the host
// reads the copy, so the script's own buffer is neither pinned nor read while it could change.
function bytesOf(source) {
  if (source === null || typeof source !== 'object') return null;
  var view;
  try { view = new Uint8ArrayCtor(apply(typedArrayBuffer, source, []), apply(typedArrayOffset, source, []), apply(typedArrayLength, source, [])); } catch (e) {
    try { view = new Uint8ArrayCtor(apply(dataViewBuffer, source, []), apply(dataViewOffset, source, []), apply(dataViewLength, source, [])); } catch (e2) {
      try { apply(arrayBufferLength, source, []); view = new Uint8ArrayCtor(source); } catch (e3) { return null; }
    }
  }
  var copy = new Uint8ArrayCtor(apply(typedArrayLength, view, []));
  apply(typedArraySet, copy, [view]);
  return copy;
}
function sourceBytes(source, what) {
  var bytes = bytesOf(source);
  if (bytes === null) throw new TypeErrorCtor(what + ': first argument must be an ArrayBufferView or an ArrayBuffer');
  return bytes;
}
// A size as the JS API takes it ([EnforceRange] unsigned long): converted once, here.
function toIndex(v, what) {
  var n = NumberCtor(v);
  n = n < 0 ? -mathFloor(-n) : mathFloor(n);
  if (!(n >= 0 && n <= 4294967295)) throw new TypeErrorCtor(what + ' must be an integer from 0 to 2^32-1');
  return n;
}
function descriptorOf(d, what) {
  if (d === null || (typeof d !== 'object' && typeof d !== 'function')) throw new TypeErrorCtor(what + ': first argument must be an object');
  return d;
}
function newModule(source, newTarget) {
  var bytes = sourceBytes(source, 'WebAssembly.Module'), metered;
  try { metered = rt.meterWasm(bytes); } catch (e) { throw new CompileError('WebAssembly.Module doesn\'t validate here: ' + e.message); }
  // The result has no prototype; its values are read as own data properties all the same.
  var meteredBytes = getDescriptor(metered, 'bytes').value;
  countObject('WebAssembly.Module');
  countCode(apply(typedArrayLength, meteredBytes, []));
  var module = construct(Module, [meteredBytes], newTarget);
  // The engine throws its CompileError for a module it refuses. JavaScriptCore 2.50 can lose an
  // exception in flight on a construct path when the VM allocates meanwhile (the watchdog reads
  // the heap at native calls for this reason, see Worker.safePoint); if one still goes missing,
  // the answer is a CompileError, not a TypeError here.
  if (module === null || typeof module !== 'object') throw new CompileError('WebAssembly.Module doesn\'t validate');
  apply(weakSet, info, [module, { memory: getDescriptor(metered, 'memory').value, tables: getDescriptor(metered, 'tables').value }]);
  return module;
}
var ModuleWrapper = new Proxy(Module, freeze({
  __proto__: null,
  construct: function (target, args, newTarget) { return newModule(args[0], newTarget === ModuleWrapper ? Module : newTarget); },
  apply: function () { throw new TypeErrorCtor('calling WebAssembly.Module constructor without new is invalid'); }
}));
defineProperty(Module.prototype, 'constructor', { value: ModuleWrapper, writable: true, enumerable: false, configurable: true });
defineProperty(Module, 'imports', { value: function imports(module) {
  var list = apply(moduleImports, Module, [module]), out = [];
  for (var i = 0; i < list.length; i++) if (list[i].module !== IMPORTS) rt.append(out, list[i]);
  return out;
}, writable: true, enumerable: false, configurable: true });

// ---- Instances -------------------------------------------------------------------------------
function importsFor(module, imports) {
  var list = apply(moduleImports, Module, [module]);
  var merged = create(null);
  for (var i = 0; i < list.length; i++) {
    var d = list[i];
    if (d.module === IMPORTS) continue;
    if (imports === null || (typeof imports !== 'object' && typeof imports !== 'function')) {
      throw new TypeErrorCtor('WebAssembly.Instance: second argument must be an object when the module has imports');
    }
    var from = imports[d.module];
    if (from === null || (typeof from !== 'object' && typeof from !== 'function')) {
      throw new TypeErrorCtor('WebAssembly.Instance: import ' + StringCtor(d.module) + ' must be an object');
    }
    var holder = merged[d.module];
    if (!holder) { holder = create(null); merged[d.module] = holder; }
    holder[d.name] = from[d.name];
  }
  merged[IMPORTS] = runtimeImports;
  return merged;
}
function newInstance(module, imports, newTarget) {
  if (module === null || typeof module !== 'object' || !apply(weakHas, info, [module])) {
    throw new TypeErrorCtor('WebAssembly.Instance: first argument must be a WebAssembly.Module made here');
  }
  var needs = apply(weakGet, info, [module]);
  countMemory(needs.memory, false);
  countTableElements(needs.tables);
  return construct(Instance, [module, importsFor(module, imports)], newTarget);
}
var InstanceWrapper = new Proxy(Instance, freeze({
  __proto__: null,
  construct: function (target, args, newTarget) { return newInstance(args[0], args[1], newTarget === InstanceWrapper ? Instance : newTarget); },
  apply: function () { throw new TypeErrorCtor('calling WebAssembly.Instance constructor without new is invalid'); }
}));
defineProperty(Instance.prototype, 'constructor', { value: InstanceWrapper, writable: true, enumerable: false, configurable: true });

// ---- Memories and tables made from JavaScript ------------------------------------------------
var MemoryWrapper = new Proxy(Memory, freeze({
  __proto__: null,
  construct: function (target, args, newTarget) {
    var d = descriptorOf(args[0], 'WebAssembly.Memory');
    var initial = d.initial, maximum = d.maximum, shared = d.shared, index = d.index, address = d.address;
    if (shared) throw new TypeErrorCtor('WebAssembly.Memory: shared memories are not available here (Atomics.wait on one would block the worker)');
    if ((index !== undefined && index !== 'i32') || (address !== undefined && address !== 'i32')) throw new TypeErrorCtor('WebAssembly.Memory: 64-bit memories are not available here');
    var descriptor = create(null);
    descriptor.initial = toIndex(initial, "WebAssembly.Memory's initial");
    descriptor.maximum = maximum === undefined ? limits.memoryPages : mathMin(toIndex(maximum, "WebAssembly.Memory's maximum"), limits.memoryPages);
    if (descriptor.initial > limits.memoryPages) throw new RangeErrorCtor('WebAssembly.Memory: ' + descriptor.initial + ' pages are over the limit of ' + limits.memoryPages + ' pages (a quarter of the script heap budget)');
    countMemory(descriptor.initial * 65536, false);
    countObject('WebAssembly.Memory');
    return construct(Memory, [descriptor], newTarget === MemoryWrapper ? Memory : newTarget);
  },
  apply: function () { throw new TypeErrorCtor('calling WebAssembly.Memory constructor without new is invalid'); }
}));
defineProperty(Memory.prototype, 'constructor', { value: MemoryWrapper, writable: true, enumerable: false, configurable: true });
defineProperty(Memory.prototype, 'grow', { value: function grow(delta) {
  var pages = toIndex(delta, 'WebAssembly.Memory.grow: delta');
  countMemory(pages * 65536, false);
  return apply(memoryGrow, this, [pages]);
}, writable: true, enumerable: false, configurable: true });

var TableWrapper = new Proxy(Table, freeze({
  __proto__: null,
  construct: function (target, args, newTarget) {
    var d = descriptorOf(args[0], 'WebAssembly.Table');
    var element = d.element, initial = d.initial, maximum = d.maximum, index = d.index, address = d.address;
    if ((index !== undefined && index !== 'i32') || (address !== undefined && address !== 'i32')) throw new TypeErrorCtor('WebAssembly.Table: 64-bit tables are not available here');
    var descriptor = create(null);
    descriptor.element = StringCtor(element);
    descriptor.initial = toIndex(initial, "WebAssembly.Table's initial");
    descriptor.maximum = maximum === undefined ? limits.tableElements : mathMin(toIndex(maximum, "WebAssembly.Table's maximum"), limits.tableElements);
    if (descriptor.initial > limits.tableElements) throw new RangeErrorCtor('WebAssembly.Table: ' + descriptor.initial + ' elements are over the limit of ' + limits.tableElements + ' per table');
    countTableElements(descriptor.initial);
    countObject('WebAssembly.Table');
    var rest = args.length > 1 ? [descriptor, args[1]] : [descriptor];
    return construct(Table, rest, newTarget === TableWrapper ? Table : newTarget);
  },
  apply: function () { throw new TypeErrorCtor('calling WebAssembly.Table constructor without new is invalid'); }
}));
defineProperty(Table.prototype, 'constructor', { value: TableWrapper, writable: true, enumerable: false, configurable: true });
defineProperty(Table.prototype, 'grow', { value: function grow(delta, value) {
  var count = toIndex(delta, 'WebAssembly.Table.grow: delta');
  countTableElements(count);
  return apply(tableGrow, this, arguments.length > 1 ? [count, value] : [count]);
}, writable: true, enumerable: false, configurable: true });

// ---- Tags and exceptions ---------------------------------------------------------------------
// Their types and payloads are sequences the engine would iterate to any length (outside the
// heap): taken here, at most the meter's arity, and handed over as the runtime's own iterable.
function boundedList(sequence, what) {
  if (sequence === null || (typeof sequence !== 'object' && typeof sequence !== 'function')) throw new TypeErrorCtor(what + ' must be a sequence');
  var list = [];
  for (var value of sequence) {
    if (list.length >= limits.maximumArity) throw new RangeErrorCtor(what + ' has more than ' + limits.maximumArity + ' values');
    rt.append(list, value);
  }
  return list;
}
function ownIterable(list) {
  var iterable = create(null);
  defineProperty(iterable, Symbol.iterator, { value: function () {
    var i = 0, iterator = create(null);
    iterator.next = function () {
      var r = create(null);
      r.done = i >= list.length;
      r.value = r.done ? undefined : list[i++];
      return r;
    };
    return iterator;
  } });
  return iterable;
}
var Tag = W.Tag, Exception = W.Exception;
var TagWrapper = Tag && new Proxy(Tag, freeze({
  __proto__: null,
  construct: function (target, args, newTarget) {
    var d = descriptorOf(args[0], 'WebAssembly.Tag');
    var parameters = boundedList(d.parameters, "WebAssembly.Tag's parameters");
    for (var i = 0; i < parameters.length; i++) parameters[i] = StringCtor(parameters[i]);
    countObject('WebAssembly.Tag');
    var descriptor = create(null);
    descriptor.parameters = ownIterable(parameters);
    return construct(Tag, [descriptor], newTarget === TagWrapper ? Tag : newTarget);
  },
  apply: function () { throw new TypeErrorCtor('calling WebAssembly.Tag constructor without new is invalid'); }
}));
var ExceptionWrapper = Exception && new Proxy(Exception, freeze({
  __proto__: null,
  construct: function (target, args, newTarget) {
    var rest = [args[0], ownIterable(boundedList(args[1], 'WebAssembly.Exception payload'))];
    if (args.length > 2) {
      var options = create(null);
      if (args[2] !== null && typeof args[2] === 'object') options.traceStack = !!args[2].traceStack;
      rest[2] = options;
    }
    return construct(Exception, rest, newTarget === ExceptionWrapper ? Exception : newTarget);
  },
  apply: function () { throw new TypeErrorCtor('calling WebAssembly.Exception constructor without new is invalid'); }
}));
if (Tag) defineProperty(Tag.prototype, 'constructor', { value: TagWrapper, writable: true, enumerable: false, configurable: true });
if (Exception) defineProperty(Exception.prototype, 'constructor', { value: ExceptionWrapper, writable: true, enumerable: false, configurable: true });

// ---- The namespace ---------------------------------------------------------------------------
var engineValidate = W.validate;
var namespace = create(getPrototypeOfNamespace());
function getPrototypeOfNamespace() { return Object.getPrototypeOf(W); }
var keys = Reflect.ownKeys(W);
for (var i = 0; i < keys.length; i++) {
  var key = keys[i];
  if (key === 'compileStreaming' || key === 'instantiateStreaming') continue;
  defineProperty(namespace, key, getDescriptor(W, key));
}
function promiseOf(fn) {
  return new P.Promise(function (resolve) { resolve(fn()); });
}
defineProperty(namespace, 'Module', { value: ModuleWrapper, writable: true, enumerable: false, configurable: true });
defineProperty(namespace, 'Instance', { value: InstanceWrapper, writable: true, enumerable: false, configurable: true });
defineProperty(namespace, 'Memory', { value: MemoryWrapper, writable: true, enumerable: false, configurable: true });
defineProperty(namespace, 'Table', { value: TableWrapper, writable: true, enumerable: false, configurable: true });
if (Tag) defineProperty(namespace, 'Tag', { value: TagWrapper, writable: true, enumerable: false, configurable: true });
if (Exception) defineProperty(namespace, 'Exception', { value: ExceptionWrapper, writable: true, enumerable: false, configurable: true });
defineProperty(namespace, 'validate', { value: function validate(source) {
  var bytes = sourceBytes(source, 'WebAssembly.validate');
  try { rt.meterWasm(bytes); } catch (e) { return false; }
  return apply(engineValidate, W, [bytes]);
}, writable: true, enumerable: false, configurable: true });
defineProperty(namespace, 'compile', { value: function compile(source) {
  return promiseOf(function () { return newModule(source, Module); });
}, writable: true, enumerable: false, configurable: true });
defineProperty(namespace, 'instantiate', { value: function instantiate(source, imports) {
  return promiseOf(function () {
    if (source !== null && typeof source === 'object' && apply(weakHas, info, [source])) return newInstance(source, imports, Instance);
    var module = newModule(source, Module);
    return { module: module, instance: newInstance(module, imports, Instance) };
  });
}, writable: true, enumerable: false, configurable: true });
defineProperty(g, 'WebAssembly', { value: namespace, writable: true, enumerable: false, configurable: true });
