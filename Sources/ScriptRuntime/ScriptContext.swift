import CJavaScriptCore

/// One global context in a worker's group, with the runtime prelude and a program evaluated
/// into it. Confined to its worker thread.
final class ScriptContext {
    let ctx: OpaquePointer
    let programID: String
    let program: ScriptProgram
    let startFunction: JSValue
    var jobsRun = 0
    /// Async host calls still in flight: their promise resolve/reject functions (protected).
    var pendingOps: [Int: (resolve: JSValue, reject: JSValue)] = [:]

    init(group: OpaquePointer, program: ScriptProgram, worker: Worker) throws(ScriptFailure) {
        guard let ctx = JSGlobalContextCreateInGroup(group, nil) else {
            throw .compile(file: "<runtime>", line: nil, column: nil, message: "Could not create a JavaScript context")
        }
        self.ctx = ctx
        self.programID = program.id
        self.program = program
        let global = JSContextGetGlobalObject(ctx)!
        ScriptContext.installNatives(ctx, global: global, program: program, worker: worker)

        func evaluate(_ file: ScriptFile) throws(ScriptFailure) {
            let src = JSC.string(file.source)
            let url = JSC.string(file.name)
            defer { JSStringRelease(src); JSStringRelease(url) }
            var exc: JSValue?
            func compileFailure(_ exc: JSValue) -> ScriptFailure {
                let t = JSC.describeException(ctx, exc)
                JSGlobalContextRelease(ctx)
                return .compile(file: t.sourceURL ?? file.name, line: t.line, column: t.column, message: (t.name.map { $0 + ": " } ?? "") + t.message)
            }
            if let check = file.syntaxCheck {
                let checkSource = JSC.string(check)
                defer { JSStringRelease(checkSource) }
                if !JSCheckScriptSyntax(ctx, checkSource, url, Int32(file.startLine), &exc), let exc { throw compileFailure(exc) }
            }
            _ = JSEvaluateScript(ctx, src, nil, url, Int32(file.startLine), &exc)
            if let exc { throw compileFailure(exc) }
        }
        try evaluate(ScriptFile(name: "authsim:runtime/prelude.js", source: Prelude.source))
        for file in program.files { try evaluate(file) }
        // `__rt_compile` evaluates any source: with eval off, only what captured it while the
        // program loaded (the module loader) keeps it.
        if !program.evalEnabled {
            let name = JSC.string("__rt_compile")
            JSObjectDeleteProperty(ctx, global, name, nil)
            JSStringRelease(name)
        }
        let start = JSC.property(ctx, global, "__rt_start")!
        // What jobs must not change for the jobs after them (see the prelude).
        var snapshotException: JSValue?
        if let snapshot = JSC.property(ctx, global, "__rt_snapshotIntrinsics") {
            _ = JSObjectCallAsFunction(ctx, snapshot, nil, 0, nil, &snapshotException)
        }
        if !program.evalEnabled {
            let message = JSC.string(ScriptProgram.evalDisabledMessage)
            JSGlobalContextSetEvalEnabled(ctx, false, message)
            JSStringRelease(message)
        }
        JSValueProtect(ctx, start)
        self.startFunction = start
    }

    func release() {
        // Values protected in this context die with it; only the context reference is ours.
        pendingOps.removeAll()
        JSGlobalContextRelease(ctx)
    }

    /// Calls a global function by name with string arguments; returns the thrown value if any.
    func callGlobal(_ name: String, _ args: [String]) -> (JSValue?, JSValue?) {
        let global = JSContextGetGlobalObject(ctx)!
        guard let fn = JSC.property(ctx, global, name), JSValueIsObject(ctx, fn) else { return (nil, nil) }
        var argv: [JSValue?] = args.map { JSC.makeString(ctx, $0) }
        var exc: JSValue?
        let r = argv.withUnsafeMutableBufferPointer { JSObjectCallAsFunction(ctx, fn, nil, args.count, $0.baseAddress, &exc) }
        return (r, exc)
    }

    private static func install(_ ctx: JSContext, _ global: JSValue, _ name: String, _ body: @escaping NativeFunction.Body) {
        JSC.setProperty(ctx, global, name, NativeFunction.make(ctx, body), readOnly: true)
    }

    private static func installNatives(_ ctx: JSContext, global: JSValue, program: ScriptProgram, worker: Worker) {
        unowned let w = worker
        install(ctx, global, "__rt_now") { ctx, _ in
            JSValueMakeNumber(ctx, Double(monotonicNanos()) / 1_000_000)
        }
        install(ctx, global, "__rt_setTimer") { ctx, args in
            guard args.count >= 2, let id = args[0], let ms = args[1] else { throw NativeThrow("__rt_setTimer(id, ms)") }
            w.addTimer(id: Int(JSValueToNumber(ctx, id, nil)), delayMs: JSValueToNumber(ctx, ms, nil))
            return nil
        }
        install(ctx, global, "__rt_clearTimer") { ctx, args in
            if let id = args.first ?? nil { w.removeTimer(id: Int(JSValueToNumber(ctx, id, nil))) }
            return nil
        }
        // Remaining wall-clock time of the job, in milliseconds (host calls bound themselves by it).
        install(ctx, global, "__rt_remaining") { ctx, _ in
            JSValueMakeNumber(ctx, w.remainingMilliseconds)
        }
        // Evaluates `source` as a script named `file` and returns its completion value: how a
        // module loader compiles a file so that errors and stacks name the file and its lines.
        install(ctx, global, "__rt_compile") { ctx, args in
            guard args.count >= 2, let source = JSC.toString(ctx, args[0]), let file = JSC.toString(ctx, args[1]) else {
                throw NativeThrow("__rt_compile(source, file)")
            }
            let src = JSC.string(source)
            let url = JSC.string(file)
            defer { JSStringRelease(src); JSStringRelease(url) }
            var exc: JSValue?
            let value = JSEvaluateScript(ctx, src, nil, url, 1, &exc)
            if let exc { throw NativeThrowValue(value: exc) }
            return value
        }
        install(ctx, global, "__rt_mark") { ctx, args in
            if let m = args.first ?? nil { w.current?.mark = Int(JSValueToNumber(ctx, m, nil)) }
            return nil
        }
        install(ctx, global, "__rt_done") { ctx, args in
            guard let job = w.current, job.outcome == nil else { return nil }
            job.outcome = .success(JSC.toString(ctx, args.first ?? nil) ?? "null")
            return nil
        }
        install(ctx, global, "__rt_fail") { ctx, args in
            guard let job = w.current, job.outcome == nil else { return nil }
            let thrown = (args.first ?? nil).map { JSC.describeException(ctx, $0) } ?? ThrownValue(message: "undefined")
            job.outcome = .failure(.exception(thrown))
            return nil
        }
        let syncFunctions = program.syncFunctions
        install(ctx, global, "__rt_host") { ctx, args in
            guard args.count >= 2, let name = JSC.toString(ctx, args[0]), let json = JSC.toString(ctx, args[1]) else {
                throw NativeThrow("__rt_host(name, json)")
            }
            guard let fn = syncFunctions[name] else { throw NativeThrow("Unknown host function \(name)") }
            do {
                return JSC.makeString(ctx, try fn(json, w.current?.pending.job.environment))
            } catch {
                throw NativeThrow(String(describing: error))
            }
        }
        let asyncFunctions = program.asyncFunctions
        install(ctx, global, "__rt_hostAsync") { ctx, args in
            guard args.count >= 2, let name = JSC.toString(ctx, args[0]), let json = JSC.toString(ctx, args[1]) else {
                throw NativeThrow("__rt_hostAsync(name, json)")
            }
            guard let fn = asyncFunctions[name] else { throw NativeThrow("Unknown async host function \(name)") }
            guard let job = w.current else { throw NativeThrow("No job is running") }
            return w.startHostCall(ctx, job: job, function: fn, argumentsJSON: json)
        }
        let rejection = NativeFunction.make(ctx) { ctx, args in
            let reason = args.count > 1 ? args[1] : nil
            let text = reason.map { JSC.describeException(ctx, $0).message } ?? "undefined"
            w.current?.unhandledRejections.append(text)
            return nil
        }
        var exc: JSValue?
        JSGlobalContextSetUnhandledRejectionCallback(ctx, rejection, &exc)
    }
}
