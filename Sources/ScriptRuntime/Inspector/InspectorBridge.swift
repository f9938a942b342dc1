import CJavaScriptCore
import Foundation
import Synchronization

/// JavaScriptCore's remote inspector, reached through symbols the library exports but no
/// installed header declares: `Inspector::RemoteInspector::setInspectorServerAddress` (static,
/// takes a `WTF::CString&&`), `WTF::CString::CString(const char*)` and `JSRemoteInspectorStart`.
/// They are looked up at run time (`dlsym`), so a WebKitGTK that renames them turns debug mode
/// off with a message instead of breaking the build.
///
/// The inspector never listens: once started it connects out to the address it was given (the
/// daemon's `InspectorRelay`, on loopback). It runs on one thread of its own, with its own GLib
/// main context pushed as the thread default before its first JavaScriptCore call: the C API
/// never sets up WebKit's main thread, so the inspector's socket is served by that loop.
///
/// Outside debug mode nothing here runs: no address is set, the inspector is never started and
/// no context is inspectable (`RuntimeConfiguration.inspectable`).
public enum InspectorBridge {
    typealias CStringConstructor = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>) -> Void
    typealias SetServerAddress = @convention(c) (UnsafeMutableRawPointer) -> Void
    typealias Start = @convention(c) () -> Void

    static let symbolNames = (
        cstring: "_ZN3WTF7CStringC1EPKc",
        address: "_ZN9Inspector15RemoteInspector25setInspectorServerAddressEON3WTF7CStringE",
        start: "JSRemoteInspectorStart"
    )

    struct Symbols {
        let cstring: CStringConstructor
        let address: SetServerAddress
        let start: Start
    }

    /// The symbols, or why debug mode cannot work with this JavaScriptCore.
    static let symbols: Result<Symbols, InspectorUnavailable> = {
        guard let handle = dlopen("libjavascriptcoregtk-4.1.so.0", RTLD_NOW | RTLD_NOLOAD) ?? dlopen(nil, RTLD_NOW) else {
            return .failure(InspectorUnavailable(missing: ["libjavascriptcoregtk-4.1.so.0"]))
        }
        // DropAllLocks too: without it a script that runs out of time under the debugger could
        // not be stopped safely (see `withLocksDropped`).
        let names = [symbolNames.cstring, symbolNames.address, symbolNames.start, "_ZN3JSC6JSLock12DropAllLocksC1EPNS_14JSGlobalObjectE", "_ZN3JSC6JSLock12DropAllLocksD1Ev"]
        let found = names.map { dlsym(handle, $0) }
        let missing = zip(names, found).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty, let c = found[0], let a = found[1], let s = found[2] else { return .failure(InspectorUnavailable(missing: missing)) }
        return .success(Symbols(
            cstring: unsafeBitCast(c, to: CStringConstructor.self), address: unsafeBitCast(a, to: SetServerAddress.self),
            start: unsafeBitCast(s, to: Start.self)))
    }()

    /// Whether debug mode can work here (nil), or why not.
    public static var unavailable: InspectorUnavailable? {
        if case .failure(let why) = symbols { return why }
        return nil
    }

    /// The address the inspector was started with; nil until `start` (and for good outside debug mode).
    public static var startedAddress: String? { started.withLock { $0 } }
    static let started = Mutex<String?>(nil)

    /// Starts the inspector thread, connecting to `address` (`127.0.0.1:port`). Once per
    /// process: the inspector is a process-wide singleton and cannot be pointed elsewhere later.
    public static func start(address: String) throws(InspectorUnavailable) {
        let symbols: Symbols
        switch Self.symbols {
        case .failure(let why): throw why
        case .success(let s): symbols = s
        }
        let first = started.withLock { current -> Bool in
            if current != nil { return false }
            current = address
            return true
        }
        guard first else {
            if startedAddress != address { throw InspectorUnavailable(missing: [], reason: "the inspector already connects to \(startedAddress ?? "")") }
            return
        }
        // `start` returns once the inspector has its address and is started: a context created
        // before that (on a worker) would make the inspector without them.
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread {
            // Everything the inspector does on this thread (its socket, its run loop's
            // dispatches) goes to this context, which only this loop iterates.
            let context = g_main_context_new()
            g_main_context_push_thread_default(context)
            var cstring: UnsafeMutableRawPointer? = nil
            withUnsafeMutablePointer(to: &cstring) { slot in
                let raw = UnsafeMutableRawPointer(slot)
                address.withCString { symbols.cstring(raw, $0) }
                symbols.address(raw)
            }
            symbols.start()
            Self.sleepWhilePaused()
            ready.signal()
            let loop = g_main_loop_new(context, 0)
            g_main_loop_run(loop)
        }
        thread.name = "authsim-inspector"
        thread.start()
        ready.wait()
    }
}

extension InspectorBridge {
    typealias DropLocks = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Void
    typealias RetakeLocks = @convention(c) (UnsafeMutableRawPointer) -> Void

    /// `JSC::JSLock::DropAllLocks` (exported, undeclared in the C API), looked up at run time.
    static let lockDropping: (drop: DropLocks, retake: RetakeLocks)? = {
        guard let handle = dlopen("libjavascriptcoregtk-4.1.so.0", RTLD_NOW | RTLD_NOLOAD) ?? dlopen(nil, RTLD_NOW),
            let drop = dlsym(handle, "_ZN3JSC6JSLock12DropAllLocksC1EPNS_14JSGlobalObjectE"), let retake = dlsym(handle, "_ZN3JSC6JSLock12DropAllLocksD1Ev")
        else { return nil }
        return (unsafeBitCast(drop, to: DropLocks.self), unsafeBitCast(retake, to: RetakeLocks.self))
    }()

    /// Runs `body` on this thread with the VM's locks dropped (as JavaScriptCore's own pause loop
    /// does), so that the inspector thread can dispatch to this context meanwhile; they are taken
    /// again after. Without the symbol `body` runs with the locks held.
    static func withLocksDropped(_ ctx: OpaquePointer, _ body: () -> Void) {
        guard let (drop, retake) = lockDropping, let global = JSContextGetGlobalContext(ctx) else { return body() }
        // A JSGlobalContextRef is the JSGlobalObject's address. The object (a count and a
        // reference to the VM) lives in this buffer, larger than it needs.
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { storage.deallocate() }
        drop(storage, UnsafeMutableRawPointer(global))
        body()
        retake(storage)
    }

    /// A login paused in the debugger spins on its worker: JavaScriptCore's pause loop iterates
    /// GLib's global default main context without blocking, over and over, until the debugger
    /// resumes it (a whole core for as long as the pause lasts). This idle source on that context
    /// sleeps 2 ms each time it is dispatched, so the loop wakes ~500 times a second instead. Only
    /// a paused login iterates that context here (the inspector has its own), so nothing else
    /// slows down.
    static func sleepWhilePaused() {
        let source = g_idle_source_new()
        g_source_set_callback(source, { _ in
            g_usleep(2000)
            return 1  // G_SOURCE_CONTINUE
        }, nil, nil)
        g_source_attach(source, g_main_context_default())
        g_source_unref(source)
    }
}

/// Debug mode cannot run with this JavaScriptCore.
public struct InspectorUnavailable: Error, Sendable, CustomStringConvertible {
    public var missing: [String]
    public var reason: String?

    init(missing: [String], reason: String? = nil) {
        self.missing = missing
        self.reason = reason
    }

    public var description: String {
        if let reason { return "debug mode is unavailable: \(reason)" }
        return "debug mode is unavailable: this JavaScriptCore does not export \(missing.joined(separator: ", ")) "
            + "(the remote inspector's private symbols, looked up at run time); scripts run normally without it"
    }
}
