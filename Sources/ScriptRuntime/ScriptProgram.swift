/// One source file evaluated into a context, with the name and first line used in error
/// locations and stack traces.
///
/// What a file can reach depends on its kind. The runtime's own state (host functions, timers,
/// the job entry points, the snapshots that undo a job's changes) lives in one private object
/// that only `.runtime` files are handed; nothing of it is a global, so a script can neither
/// name nor enumerate it.
public struct ScriptFile: Sendable {
    public enum Kind: Sendable, Equatable {
        /// The embedder's own JavaScript: evaluated as the body of `function (rt) { … }` and
        /// called with the runtime's private object before any user code loads. Its `var` and
        /// `function` declarations stay local; what it shares, it puts on `rt` (entry points on
        /// `rt.entries`, handlers for user code with `rt.onInstall`).
        case runtime
        /// User code (a rule, an action, a custom-database script): evaluated at global scope,
        /// seeing only globals; its completion value (usually a function expression) is handed
        /// to the runtime file that registered `slot`'s prefix (the part before the first `:`)
        /// with `rt.onInstall(prefix, function (name, value) { … })`.
        case user(slot: String)
        /// A plain script at global scope whose global functions may be job entries (tests,
        /// benchmarks). It gets no host access beyond the globals.
        case plain
    }

    public var name: String
    public var source: String
    public var startLine: Int
    public var kind: Kind
    /// When `source` wraps user code, how the user code is checked on its own before it is
    /// evaluated, so that it cannot close the wrapper and run at load (outside any job's limits).
    public var syntaxCheck: SyntaxCheck?

    /// How a wrapped user file's own code is checked before the file is evaluated.
    public enum SyntaxCheck: Sendable, Equatable {
        /// A script, the user code in a form that parses standalone only when it is what the
        /// wrapper expects (a rule's `var __authsim_rule = <code>;`): its errors point at the
        /// user's own lines.
        case script(String)
        /// A function body (a CommonJS module's code) with these parameters, parsed on its own
        /// as the `Function` constructor parses one: a body that closes its function is refused.
        /// The wrapped file's syntax is checked first, for errors at the file's own lines.
        case functionBody(parameters: [String], body: String)
    }

    public init(name: String, source: String, startLine: Int = 1, kind: Kind = .plain, syntaxCheck: SyntaxCheck? = nil) {
        self.name = name
        self.source = source
        self.startLine = startLine
        self.kind = kind
        self.syntaxCheck = syntaxCheck
    }
}

/// Per-job data handed to host functions (whatever the embedder needs: a store, a flow state).
public typealias JobEnvironment = (any Sendable)?

/// A synchronous host function: JSON arguments in, JSON result out. Thrown errors become
/// JavaScript `Error`s with the error's description as message.
public typealias SyncHostFunction = @Sendable (_ argumentsJSON: String, _ environment: JobEnvironment) throws -> String

/// An asynchronous host function: runs off the worker; its result resolves (or its error
/// rejects) a promise on the worker's own event loop.
public typealias AsyncHostFunction = @Sendable (_ argumentsJSON: String, _ environment: JobEnvironment) async throws -> String

/// The scripts and host functions of one context. A worker compiles a program once and keeps
/// the context (and its `globalThis`) for later jobs naming the same program `id`.
public struct ScriptProgram: Sendable {
    public var id: String
    public var files: [ScriptFile]
    public var syncFunctions: [String: SyncHostFunction]
    public var asyncFunctions: [String: AsyncHostFunction]
    /// When false, `eval`, `new Function` and the other function constructors throw
    /// `EvalError: <evalDisabledMessage>` in jobs (the program's own files load first).
    public var evalEnabled: Bool
    /// When true, scripts get `WebAssembly`, metered (`WasmMeter`) so that the watchdog stops
    /// its loops and its memories and tables count against the budgets; otherwise it is absent.
    public var webAssemblyEnabled: Bool

    public static let evalDisabledMessage = "eval and the Function constructor are disabled in this tenant (authsim.allow_eval)"

    public init(
        id: String, files: [ScriptFile], syncFunctions: [String: SyncHostFunction] = [:],
        asyncFunctions: [String: AsyncHostFunction] = [:], evalEnabled: Bool = true, webAssemblyEnabled: Bool = false
    ) {
        self.id = id
        self.files = files
        self.syncFunctions = syncFunctions
        self.asyncFunctions = asyncFunctions
        self.evalEnabled = evalEnabled
        self.webAssemblyEnabled = webAssemblyEnabled
    }
}

/// One unit of work: call the entry function `entry` with `input` (a string, usually JSON)
/// and wait until the value it returns (or the promise it returns) settles. The entry is one a
/// runtime file put on `rt.entries`, or else a global function of a `.plain` file.
public struct ScriptJob: Sendable {
    public var program: ScriptProgram
    public var entry: String
    public var input: String
    /// Wall-clock time the whole job may take, timers and host calls included.
    public var timeout: Duration
    public var environment: JobEnvironment
    /// An entry (as `entry`) returning a string, called when the job times out while idle (not
    /// while JavaScript is running) so the embedder can report partial progress.
    public var timeoutProbe: String?

    public init(
        program: ScriptProgram, entry: String, input: String, timeout: Duration = .seconds(20),
        environment: JobEnvironment = nil, timeoutProbe: String? = nil
    ) {
        self.program = program
        self.entry = entry
        self.input = input
        self.timeout = timeout
        self.environment = environment
        self.timeoutProbe = timeoutProbe
    }
}

public struct ScriptJobResult: Sendable {
    /// What the entry function returned (strings as is, other values JSON-encoded).
    public var output: String
    /// Reasons of promise rejections nobody handled during the job.
    public var unhandledRejections: [String]
    /// Which worker ran the job (0-based) and whether its context was created for this job.
    public var worker: Int
    public var freshContext: Bool
}

/// Why a job did not produce a result.
public enum ScriptFailure: Error, Sendable, CustomStringConvertible {
    /// A file of the program failed to compile.
    case compile(file: String, line: Int?, column: Int?, message: String)
    /// The wall-clock deadline passed. `mark` is the last value the script passed to
    /// `rt.mark(n)`; `partial` what the timeout probe returned, if it could run.
    case timeout(seconds: Double, mark: Int?, partial: String?)
    /// The context's heap grew over the budget.
    case heapBudgetExceeded(budget: Int, heapSize: Int, mark: Int?)
    /// The entry function threw or its promise rejected.
    case exception(ThrownValue)
    /// The job was cancelled by its caller.
    case cancelled
    /// The runtime is shut down.
    case shutDown

    public var description: String {
        switch self {
        case .compile(let file, let line, let column, let message):
            var loc = file
            if let line { loc += ":\(line)" }
            if let column { loc += ":\(column)" }
            return "\(loc): \(message)"
        case .timeout(let seconds, _, _):
            return "Script execution timed out after \(JSONNumber.format(seconds)) s"
        case .heapBudgetExceeded(let budget, let heap, _):
            return "Script heap budget exceeded (\(heap / 1_048_576) MiB used, budget \(budget / 1_048_576) MiB)"
        case .exception(let thrown):
            return thrown.message
        case .cancelled:
            return "Script job cancelled"
        case .shutDown:
            return "Script runtime is shut down"
        }
    }
}

enum JSONNumber {
    static func format(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(format3: d)
    }
}

extension String {
    init(format3 d: Double) {
        let scaled = (d * 1000).rounded() / 1000
        self = "\(scaled)"
    }
}
