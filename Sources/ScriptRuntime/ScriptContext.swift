import CJavaScriptCore
import Foundation
import Synchronization

/// One global context in a worker's group, with the runtime prelude and a program evaluated
/// into it. Confined to its worker thread.
///
/// The runtime's own state is one private object, `rt`: the natives installed here, and what
/// the prelude and the program's runtime files add to it (entries, timers, the snapshot that
/// undoes a job's changes). Only runtime files are handed `rt`; the context keeps it protected
/// and calls into it directly, so nothing of the runtime is a global a script could reach.
final class ScriptContext {
    /// How many inspectable contexts this process made (debug mode only; the tests check that
    /// no other runtime makes one).
    static let inspectableContexts = Atomic<Int>(0)
    let ctx: OpaquePointer
    let programID: String
    let program: ScriptProgram
    var jobsRun = 0
    /// Async host calls still in flight: their promise resolve/reject functions (protected).
    var pendingOps: [Int: (resolve: JSValue, reject: JSValue)] = [:]

    /// The private runtime object and the functions of it the worker calls.
    private let rt: JSValue
    let start: JSValue
    let fire: JSValue
    let dropTimers: JSValue
    let restore: JSValue
    let probe: JSValue

    /// The largest JSON (UTF-16 units) one host call takes from a script: 32 Mi, above any
    /// body a script may send or hash in one call.
    static let maximumHostArguments = 32 << 20
    /// Lines JavaScriptCore's Function constructor puts before a body it parses.
    static let functionBodyLinesBefore = 2

    static let prelude = ScriptFile(name: "authsim:runtime/prelude.js", source: String(decoding: PackageResources.prelude_js, as: UTF8.self), kind: .runtime)
    static let webAssembly = ScriptFile(name: "authsim:runtime/webassembly.js", source: String(decoding: PackageResources.webassembly_js, as: UTF8.self), kind: .runtime)

    init(group: OpaquePointer, program: ScriptProgram, worker: Worker) throws(ScriptFailure) {
        guard let ctx = JSGlobalContextCreateInGroup(group, nil) else {
            throw .compile(file: "<runtime>", line: nil, column: nil, message: "Could not create a JavaScript context")
        }
        // JavaScriptCore makes contexts inspectable by default on Linux (whatever its header
        // says): only a debug-mode runtime's are.
        JSGlobalContextSetInspectable(ctx, worker.configuration.inspectable)
        if JSGlobalContextIsInspectable(ctx) { Self.inspectableContexts.add(1, ordering: .relaxed) }
        self.ctx = ctx
        self.programID = program.id
        self.program = program
        let rt = JSObjectMake(ctx, nil, nil)!
        JSValueProtect(ctx, rt)
        self.rt = rt
        ScriptContext.installNatives(ctx, rt: rt, program: program, worker: worker)

        func fail(_ file: ScriptFile, _ exc: JSValue) -> ScriptFailure {
            let t = JSC.describeException(ctx, exc)
            JSGlobalContextRelease(ctx)
            return .compile(file: t.sourceURL ?? file.name, line: t.line, column: t.column, message: (t.name.map { $0 + ": " } ?? "") + t.message)
        }
        func checkSyntax(_ file: ScriptFile, _ check: ScriptFile.SyntaxCheck) throws(ScriptFailure) {
            var exc: JSValue?
            let url = JSC.string(file.name)
            defer { JSStringRelease(url) }
            func script(_ text: String) throws(ScriptFailure) {
                let source = JSC.string(text)
                defer { JSStringRelease(source) }
                if !JSCheckScriptSyntax(ctx, source, url, Int32(clamping: file.startLine), &exc), let exc { throw fail(file, exc) }
            }
            switch check {
            case .script(let text):
                try script(text)
            case .functionBody(let parameters, let body):
                try script(file.source)
                let names: [JSStringRef?] = parameters.map { JSC.string($0) }
                let bodyString = JSC.string(body)
                defer { names.forEach { $0.map(JSStringRelease) }; JSStringRelease(bodyString) }
                let made = names.withUnsafeBufferPointer {
                    JSObjectMakeFunction(ctx, nil, UInt32(names.count), $0.baseAddress, bodyString, url, Int32(clamping: file.startLine), &exc)
                }
                // The wrapped file parsed and the body alone does not: the body ends the function
                // it is placed in and goes on at the top level, where it would run while the
                // program loads, outside any job's limits.
                if made == nil {
                    // The Function constructor puts two lines before the body (`function
                    // anonymous(…` and `) {`): the body's own line is two less.
                    let line = exc.flatMap { JSC.describeException(ctx, $0).line }.map { max(file.startLine, $0 - Self.functionBodyLinesBefore) }
                    JSGlobalContextRelease(ctx)
                    throw .compile(
                        file: file.name, line: line, column: nil,
                        message: "SyntaxError: the code closes the module function it is wrapped in (a module's code must parse on its own as a function body)")
                }
            }
        }
        func evaluate(_ file: ScriptFile) throws(ScriptFailure) {
            var exc: JSValue?
            if let check = file.syntaxCheck { try checkSyntax(file, check) }
            // Runtime files become a strict function of `rt`, opened on the file's first line so
            // that its line numbers stay the file's own.
            let source = file.kind == .runtime ? "(function (rt) { 'use strict'; " + file.source + "\n})" : file.source
            let value = JSC.evaluate(ctx, source, file: file.name, line: file.startLine, exception: &exc)
            if let exc { throw fail(file, exc) }
            switch file.kind {
            case .plain:
                return
            case .runtime:
                guard let value, JSValueIsObject(ctx, value) else { throw fail(file, JSC.makeError(ctx, "runtime file did not evaluate to a function")!) }
                var arg: JSValue? = rt
                _ = withUnsafePointer(to: &arg) { JSObjectCallAsFunction(ctx, value, nil, 1, $0, &exc) }
            case .user(let slot):
                guard let install = JSC.property(ctx, rt, "install") else { return }
                var argv: [JSValue?] = [JSC.makeString(ctx, slot), value ?? JSValueMakeUndefined(ctx)]
                _ = argv.withUnsafeMutableBufferPointer { JSObjectCallAsFunction(ctx, install, nil, 2, $0.baseAddress, &exc) }
            }
            if let exc { throw fail(file, exc) }
        }
        try evaluate(ScriptContext.prelude)
        if program.webAssemblyEnabled { try evaluate(ScriptContext.webAssembly) }
        for file in program.files { try evaluate(file) }

        func function(_ name: String) -> JSValue {
            let f = JSC.property(ctx, rt, name)!
            JSValueProtect(ctx, f)
            return f
        }
        start = function("start")
        fire = function("fire")
        dropTimers = function("dropTimers")
        restore = function("restore")
        probe = function("probe")
        // What jobs must not change for the jobs after them (see the prelude).
        var snapshotException: JSValue?
        if let snapshot = JSC.property(ctx, rt, "snapshot") {
            _ = JSObjectCallAsFunction(ctx, snapshot, nil, 0, nil, &snapshotException)
        }
        if let snapshotException { throw fail(ScriptContext.prelude, snapshotException) }
        if !program.evalEnabled {
            let message = JSC.string(ScriptProgram.evalDisabledMessage)
            JSGlobalContextSetEvalEnabled(ctx, false, message)
            JSStringRelease(message)
        }
    }

    func release() {
        // Values protected in this context die with it; only the context reference is ours.
        pendingOps.removeAll()
        JSGlobalContextRelease(ctx)
    }

    /// Calls one of the runtime's functions; returns its value and the thrown value if any.
    @discardableResult
    func call(_ fn: JSValue, _ args: [JSValue?] = []) -> (JSValue?, JSValue?) {
        var argv = args
        var exc: JSValue?
        let r = argv.withUnsafeMutableBufferPointer { JSObjectCallAsFunction(ctx, fn, nil, args.count, $0.baseAddress, &exc) }
        return (r, exc)
    }

    /// Every native call is a safe point for the heap check the watchdog found due.
    private static func install(_ ctx: JSContext, _ rt: JSValue, _ worker: Worker, _ name: String, _ body: @escaping NativeFunction.Body) {
        unowned let w = worker
        JSC.setProperty(ctx, rt, name, NativeFunction.make(ctx) { ctx, args in
            w.safePoint(ctx)
            return try body(ctx, args)
        }, readOnly: true)
    }

    /// The host side of the runtime. Every argument is a script's value in the end, so each is
    /// checked before use: numbers must be finite and in range (`JSC.integer`), strings are
    /// converted only when they are strings.
    private static func installNatives(_ ctx: JSContext, rt: JSValue, program: ScriptProgram, worker: Worker) {
        unowned let w = worker
        install(ctx, rt, w, "now") { ctx, _ in
            JSValueMakeNumber(ctx, Double(monotonicNanos()) / 1_000_000)
        }
        install(ctx, rt, w, "setTimer") { ctx, args in
            guard args.count >= 2, let id = JSC.integer(ctx, args[0]), let ms = JSC.finiteNumber(ctx, args[1]) else {
                throw NativeThrow("setTimer(id, ms): id must be an integer and ms a finite number")
            }
            w.addTimer(id: id, delayMs: ms)
            return nil
        }
        install(ctx, rt, w, "clearTimer") { ctx, args in
            if let id = JSC.integer(ctx, args.first ?? nil) { w.removeTimer(id: id) }
            return nil
        }
        // Remaining wall-clock time of the job, in milliseconds (host calls bound themselves by it).
        install(ctx, rt, w, "remaining") { ctx, _ in
            JSValueMakeNumber(ctx, w.remainingMilliseconds)
        }
        // `rt.fitsHeap(bytes)`: whether an allocation of `bytes`, weighed before it is made, fits
        // what the heap budget has left (garbage not charged).
        install(ctx, rt, w, "fitsHeap") { ctx, args in
            guard let value = args.first ?? nil, JSValueIsNumber(ctx, value) else { return JSValueMakeBoolean(ctx, false) }
            let bytes = JSValueToNumber(ctx, value, nil)
            guard bytes >= 0, bytes < Double(Int.max / 2) else { return JSValueMakeBoolean(ctx, false) }
            return JSValueMakeBoolean(ctx, Int(bytes) <= w.heapRemaining(ctx, toFit: Int(bytes)))
        }
        JSC.setProperty(ctx, rt, "heapBudget", JSValueMakeNumber(ctx, Double(worker.configuration.heapBudget)), readOnly: true)
        // `rt.sameBytes(a, b)`: whether two Uint8Arrays hold the same bytes (the put-back's check
        // of a shared typed array against its copy: one comparison, not a read per element).
        install(ctx, rt, w, "sameBytes") { ctx, args in
            guard args.count == 2, let a = args[0], let b = args[1], let x = uint8Bytes(ctx, a), let y = uint8Bytes(ctx, b) else {
                return JSValueMakeBoolean(ctx, false)
            }
            guard x.count == y.count else { return JSValueMakeBoolean(ctx, false) }
            return JSValueMakeBoolean(ctx, x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
        }
        // Evaluates `source` as a script named `file` and returns its completion value: how the
        // module loader compiles a module file so that errors and stacks name the file and its
        // lines. Only runtime files can reach it (with eval off, scripts have no way to compile).
        install(ctx, rt, w, "compile") { ctx, args in
            guard args.count >= 2, let a = args[0], let b = args[1], JSValueIsString(ctx, a), JSValueIsString(ctx, b),
                let source = JSC.toString(ctx, a), let file = JSC.toString(ctx, b)
            else {
                throw NativeThrow("compile(source, file)")
            }
            var exc: JSValue?
            let value = JSC.evaluate(ctx, source, file: file, line: 1, exception: &exc)
            if let exc { throw NativeThrowValue(value: exc) }
            return value
        }
        install(ctx, rt, w, "mark") { ctx, args in
            if let m = JSC.integer(ctx, args.first ?? nil) { w.current?.mark = m }
            return nil
        }
        install(ctx, rt, w, "done") { ctx, args in
            guard let job = w.current, job.outcome == nil else { return nil }
            job.outcome = .success(JSC.toString(ctx, args.first ?? nil) ?? "null")
            return nil
        }
        install(ctx, rt, w, "fail") { ctx, args in
            guard let job = w.current, job.outcome == nil else { return nil }
            let thrown = (args.first ?? nil).map { JSC.describeException(ctx, $0) } ?? ThrownValue(message: "undefined")
            job.outcome = .failure(.exception(thrown))
            return nil
        }
        // Arguments of one host call, in UTF-16 units of their JSON: a script's value is copied
        // into Swift only below this.
        let maximumArguments = ScriptContext.maximumHostArguments
        func hostArguments(_ ctx: JSContext, _ args: UnsafeBufferPointer<JSValue?>) throws -> (String, String) {
            guard args.count >= 2, let name = JSC.stringValue(ctx, args[0]), let length = JSC.stringLength(ctx, args[1]) else {
                throw NativeThrow("host(name, json)")
            }
            guard length <= maximumArguments else {
                throw NativeThrow("The arguments of \(name) are \(length) characters of JSON; a host call takes at most \(maximumArguments)")
            }
            return (name, JSC.stringValue(ctx, args[1]) ?? "null")
        }
        let syncFunctions = program.syncFunctions
        install(ctx, rt, w, "host") { ctx, args in
            let (name, json) = try hostArguments(ctx, args)
            guard let fn = syncFunctions[name] else { throw NativeThrow("Unknown host function \(name)") }
            do {
                let job = w.current
                return JSC.makeString(ctx, try JobResources.$current.withValue(job?.resources) { try fn(json, job?.pending.job.environment) })
            } catch {
                throw NativeThrow(String(describing: error))
            }
        }
        let asyncFunctions = program.asyncFunctions
        install(ctx, rt, w, "hostAsync") { ctx, args in
            let (name, json) = try hostArguments(ctx, args)
            guard let fn = asyncFunctions[name] else { throw NativeThrow("Unknown async host function \(name)") }
            guard let job = w.current else { throw NativeThrow("No job is running") }
            return w.startHostCall(ctx, job: job, function: fn, argumentsJSON: json)
        }
        let rejection = NativeFunction.make(ctx) { ctx, args in
            let reason = args.count > 1 ? args[1] : nil
            let text = reason.map { JSC.describeException(ctx, $0).message } ?? "undefined"
            if let job = w.current, job.unhandledRejections.count < RunningJob.maximumUnhandledRejections { job.unhandledRejections.append(text) }
            return nil
        }
        var exc: JSValue?
        JSGlobalContextSetUnhandledRejectionCallback(ctx, rejection, &exc)
        if program.webAssemblyEnabled { installWebAssembly(ctx, rt: rt, worker: worker) }
    }

    /// The bytes a Uint8Array views (nil for any other value; empty when its buffer is detached).
    private static func uint8Bytes(_ ctx: JSContext, _ value: JSValue) -> UnsafeRawBufferPointer? {
        var exc: JSValue?
        guard JSValueIsObject(ctx, value), JSValueGetTypedArrayType(ctx, value, &exc) == kJSTypedArrayTypeUint8Array, exc == nil else { return nil }
        let length = JSObjectGetTypedArrayByteLength(ctx, value, &exc)
        let offset = JSObjectGetTypedArrayByteOffset(ctx, value, &exc)
        guard exc == nil else { return nil }
        guard length > 0, let base = JSObjectGetTypedArrayBytesPtr(ctx, value, &exc), exc == nil else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }

    /// `rt.meterWasm(bytes)`: the module rewritten by `WasmMeter` as `{bytes, memory, tables}`
    /// (what its instances take), `null` when `bytes` is no ArrayBuffer or typed array (the
    /// caller throws the TypeError), a thrown error when the module is refused. And the limits
    /// webassembly.js applies to what scripts make from JavaScript.
    private static func installWebAssembly(_ ctx: JSContext, rt: JSValue, worker: Worker) {
        unowned let w = worker
        let heapBudget = worker.configuration.heapBudget
        let limits = WasmMeter.Limits(memoryPages: UInt32(clamping: heapBudget / 4 / 65536))
        install(ctx, rt, w, "meterWasm") { ctx, args in
            guard let value = args.first ?? nil, JSValueIsObject(ctx, value) else { return JSValueMakeNull(ctx) }
            var exc: JSValue?
            let pointer: UnsafeMutableRawPointer?
            let length: Int
            switch JSValueGetTypedArrayType(ctx, value, &exc) {
            case kJSTypedArrayTypeNone:
                return JSValueMakeNull(ctx)
            case kJSTypedArrayTypeArrayBuffer:
                pointer = JSObjectGetArrayBufferBytesPtr(ctx, value, &exc)
                length = JSObjectGetArrayBufferByteLength(ctx, value, &exc)
            default:
                // The pointer is the start of the whole buffer, not of the view.
                let offset = JSObjectGetTypedArrayByteOffset(ctx, value, &exc)
                pointer = JSObjectGetTypedArrayBytesPtr(ctx, value, &exc).map { $0 + offset }
                length = JSObjectGetTypedArrayByteLength(ctx, value, &exc)
            }
            if let exc { throw NativeThrowValue(value: exc) }
            let metered: WasmMeter.Metered
            do throws(WasmMeter.Refusal) {
                try WasmMeter.checkSize(length, limits: limits)
                metered = try WasmMeter.meter(pointer.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? [], limits: limits)
            } catch { throw NativeThrow(error.message) }
            guard metered.bytes.count <= w.heapRemaining(ctx, toFit: metered.bytes.count) else {
                throw NativeThrow("the metered module (\(metered.bytes.count) bytes) would exceed the script heap budget")
            }
            guard let array = JSObjectMakeTypedArray(ctx, kJSTypedArrayTypeUint8Array, metered.bytes.count, &exc), exc == nil,
                let target = JSObjectGetTypedArrayBytesPtr(ctx, array, &exc)
            else { throw NativeThrow("no memory for the metered module") }
            metered.bytes.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            // Without a prototype: a setter a script put on Object.prototype for one of these
            // names would otherwise take the value, and its getter answer other bytes.
            let result = JSObjectMake(ctx, nil, nil)!
            JSObjectSetPrototype(ctx, result, JSValueMakeNull(ctx))
            JSC.setProperty(ctx, result, "bytes", array)
            JSC.setProperty(ctx, result, "memory", JSValueMakeNumber(ctx, Double(metered.memoryBytes)))
            JSC.setProperty(ctx, result, "tables", JSValueMakeNumber(ctx, Double(metered.tableElements)))
            return result
        }
        let object = JSObjectMake(ctx, nil, nil)!
        JSC.setProperty(ctx, object, "importModule", JSC.makeString(ctx, WasmMeter.importModule), readOnly: true)
        JSC.setProperty(ctx, object, "fuel", JSValueMakeNumber(ctx, Double(WasmMeter.fuel)), readOnly: true)
        JSC.setProperty(ctx, object, "maximumArity", JSValueMakeNumber(ctx, Double(WasmMeter.maximumArity)), readOnly: true)
        JSC.setProperty(ctx, object, "codeBytesPerJob", JSValueMakeNumber(ctx, Double(limits.moduleBytes * 3)), readOnly: true)
        JSC.setProperty(ctx, object, "codeBytesPerContext", JSValueMakeNumber(ctx, Double(limits.moduleBytes * 6)), readOnly: true)
        JSC.setProperty(ctx, object, "objectsPerJob", JSValueMakeNumber(ctx, 4096), readOnly: true)
        JSC.setProperty(ctx, object, "objectsPerContext", JSValueMakeNumber(ctx, 16384), readOnly: true)
        JSC.setProperty(ctx, object, "memoryPages", JSValueMakeNumber(ctx, Double(limits.memoryPages)), readOnly: true)
        JSC.setProperty(ctx, object, "tableElements", JSValueMakeNumber(ctx, Double(limits.tableElements)), readOnly: true)
        JSC.setProperty(ctx, object, "tableElementsPerJob", JSValueMakeNumber(ctx, Double(WasmMeter.tableElementsPerJob)), readOnly: true)
        JSC.setProperty(ctx, object, "tableElementsPerContext", JSValueMakeNumber(ctx, Double(WasmMeter.tableElementsPerContext)), readOnly: true)
        JSC.setProperty(ctx, object, "memoryBytesPerJob", JSValueMakeNumber(ctx, Double(heapBudget / 4)), readOnly: true)
        JSC.setProperty(ctx, object, "memoryBytesPerContext", JSValueMakeNumber(ctx, Double(heapBudget / 2)), readOnly: true)
        JSC.setProperty(ctx, rt, "wasmLimits", object, readOnly: true)
    }
}
