import CJavaScriptCore
import Foundation
import JSONCore
import Synchronization

/// The daemon's end of JavaScriptCore's remote inspector (debug mode): a loopback listener the
/// inspector connects to (`InspectorBridge.start(address:)`), speaking its private framing —
/// a big-endian `u32` body size, a flags byte (bit 0: little-endian body), the message name and
/// a NUL, then a GVariant body — and relaying the WebKit Inspector Protocol (JSON) to sessions.
///
/// Messages: `GetTargetList`, `Setup (t)`, `SendMessageToTarget (ts)` and `FrontendDidClose (t)`
/// go to the inspector; `SetTargetList (a(tsssb)b)` and `SendMessageToFrontend (ts)` come back.
/// The inspector pushes target lists only from its own thread, so they are asked for
/// (`targets()`) rather than waited for.
public final class InspectorRelay: @unchecked Sendable {
    /// One inspectable context.
    public struct Target: Sendable, Equatable {
        public var id: UInt64
        public var type: String
        public var name: String
    }

    public let port: Int
    public var address: String { "127.0.0.1:\(port)" }
    /// The largest frame read from the inspector (64 MiB).
    static let maximumFrame = 64 << 20

    private let listener: Int32
    private let state = Mutex(State())

    struct State {
        var connection: Int32 = -1
        var connections = 0
        var connectionWaiters: [CheckedContinuation<Void, Never>] = []
        var targetWaiters: [CheckedContinuation<[Target], Error>] = []
        var sessions: [UInt64: InspectorSession] = [:]
        var closed = false
    }

    /// How many connections the inspector made (0 while debug mode was never started).
    public var connectionCount: Int { state.withLock { $0.connections } }

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw InspectorRelayError("cannot open a socket: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 4) == 0 else {
            close(fd)
            throw InspectorRelayError("cannot listen on loopback: errno \(errno)")
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.name = "authsim-inspector-relay"
        thread.start()
    }

    deinit { close(listener) }

    /// Stops listening and ends every session.
    public func shutdown() {
        let (sessions, waiters, targetWaiters) = state.withLock { s in
            s.closed = true
            // Under the lock: the read loop closes the descriptor only after taking it.
            if s.connection >= 0 { shutdownSocket(s.connection) }
            defer { s.sessions = [:]; s.connectionWaiters = []; s.targetWaiters = [] }
            return (Array(s.sessions.values), s.connectionWaiters, s.targetWaiters)
        }
        shutdownSocket(listener)
        for session in sessions { session.end() }
        for w in waiters { w.resume() }
        for w in targetWaiters { w.resume(throwing: InspectorRelayError("the relay stopped")) }
    }

    private func shutdownSocket(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    // MARK: - Asking the inspector

    /// Returns once the inspector has connected.
    public func waitForConnection() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.connection >= 0 || s.closed { return true }
                s.connectionWaiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    /// The inspectable contexts now; fails when the inspector has not connected within
    /// `seconds` (a JavaScriptCore whose inspector behaves otherwise than this one's).
    public func targets(within seconds: Double) async throws -> [Target] {
        try await withThrowingTaskGroup(of: [Target]?.self) { group in
            group.addTask { try await self.targets() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let targets = first else {
                // Ends the wait for the connection (the relay is of no use now).
                shutdown()
                throw InspectorRelayError("JavaScriptCore's inspector did not connect within \(Int(seconds)) s")
            }
            return targets
        }
    }

    /// The inspectable contexts now.
    public func targets() async throws -> [Target] {
        await waitForConnection()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<[Target], Error>) in
            let closed = state.withLock { s -> Bool in
                if s.closed { return true }
                s.targetWaiters.append(c)
                return false
            }
            if closed { return c.resume(throwing: InspectorRelayError("the relay stopped")) }
            send("GetTargetList", parameters: [])
        }
    }

    /// The JavaScript targets not in `before` (a runtime's fresh contexts), once the inspector
    /// lists any, within `seconds`. Unlike `targets(within:)` a timeout here leaves the relay
    /// working (the daemon's debug mode outlives one failed request); only a connection that
    /// never came shuts it down.
    public func newTargets(excluding before: Set<UInt64>, within seconds: Double) async throws -> [Target] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var all = try await targets(within: seconds)
        while true {
            let fresh = all.filter { $0.type == "JavaScript" && !before.contains($0.id) }
            if !fresh.isEmpty { return fresh }
            guard ContinuousClock.now < deadline else {
                throw InspectorRelayError("no new script context appeared in the inspector within \(Int(seconds)) s")
            }
            try await Task.sleep(for: .milliseconds(20))
            all = try await targets()
        }
    }

    /// Opens a protocol session with a target. `observe` sees each event as it arrives, before
    /// the answers to later commands (`events` streams them as well).
    public func attach(_ target: UInt64, observe: (@Sendable (JSONValue) -> Void)? = nil) -> InspectorSession {
        let session = InspectorSession(target: target, relay: self, observe: observe)
        state.withLock { $0.sessions[target] = session }
        send("Setup", parameters: Self.uint64(target))
        return session
    }

    func detach(_ target: UInt64) {
        guard state.withLock({ $0.sessions.removeValue(forKey: target) }) != nil else { return }
        send("FrontendDidClose", parameters: Self.uint64(target))
    }

    func sendToTarget(_ target: UInt64, _ message: String) {
        send("SendMessageToTarget", parameters: Self.uint64(target) + Array(message.utf8) + [0])
    }

    static func uint64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    // MARK: - The wire

    private func send(_ name: String, parameters: [UInt8]) {
        let body = Array(name.utf8) + [0] + parameters
        var frame = withUnsafeBytes(of: UInt32(body.count).bigEndian) { Array($0) }
        frame.append(1)  // little-endian body
        frame += body
        state.withLock { s in
            guard s.connection >= 0 else { return }
            var offset = 0
            while offset < frame.count {
                // MSG_NOSIGNAL: a peer gone is an error here, not a SIGPIPE that ends the process.
                let n = frame[offset...].withUnsafeBytes { Glibc.send(s.connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            // Only this process's own inspector: another local process that connects first
            // (the port is on loopback, not secret) is turned away.
            guard peerIsThisProcess(fd) else {
                close(fd)
                continue
            }
            let accepted = state.withLock { s -> [CheckedContinuation<Void, Never>]? in
                if s.closed || s.connection >= 0 { return nil }
                s.connection = fd
                s.connections += 1
                defer { s.connectionWaiters = [] }
                return s.connectionWaiters
            }
            guard let waiters = accepted else {
                close(fd)
                continue
            }
            for w in waiters { w.resume() }
            readLoop(fd)
            let sessions = state.withLock { s -> [InspectorSession] in
                s.connection = -1
                defer { s.sessions = [:] }
                return Array(s.sessions.values)
            }
            for session in sessions { session.end() }
            close(fd)
            if state.withLock({ $0.closed }) { return }
        }
    }

    /// Whether the other end of an accepted loopback connection is a socket of this process:
    /// its port, found in `/proc/net/tcp` connected to ours, names a socket inode that one of
    /// this process's descriptors holds (TCP has no peer credentials).
    func peerIsThisProcess(_ fd: Int32) -> Bool {
        var peer = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let got = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) } }
        guard got == 0, let table = Self.readProcFile("/proc/net/tcp") else { return false }
        let peerPort = Int(UInt16(bigEndian: peer.sin_port))
        let inode = table.split(separator: "\n").dropFirst().lazy.compactMap { row -> Substring? in
            let f = row.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 9, let local = f[1].split(separator: ":").last, let remote = f[2].split(separator: ":").last,
                Int(local, radix: 16) == peerPort, Int(remote, radix: 16) == self.port
            else { return nil }
            return f[9]
        }.first
        guard let inode, inode != "0", let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return false }
        let wanted = "socket:[\(inode)]"
        return fds.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == wanted }
    }

    /// A `/proc` file whole (they report no size: read until the end, however long the table).
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func readLoop(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                if n < 0, errno == EINTR { continue }
                return
            }
            buffer += chunk[0..<n]
            while buffer.count >= 5 {
                let size = Int(UInt32(buffer[0]) << 24 | UInt32(buffer[1]) << 16 | UInt32(buffer[2]) << 8 | UInt32(buffer[3]))
                // No inspector message comes near this; a bigger one is not buffered.
                if size > Self.maximumFrame { return }
                guard buffer.count >= 5 + size else { break }
                let littleEndian = buffer[4] & 1 == 1
                let body = Array(buffer[5..<(5 + size)])
                buffer.removeFirst(5 + size)
                guard let nul = body.firstIndex(of: 0) else { continue }
                handle(String(decoding: body[..<nul], as: UTF8.self), Array(body[(nul + 1)...]), littleEndian: littleEndian)
            }
        }
    }

    private func handle(_ name: String, _ parameters: [UInt8], littleEndian: Bool) {
        switch name {
        case "SetTargetList":
            guard let targets = GVariantReader.targetList(parameters, littleEndian: littleEndian) else { return }
            let waiters = state.withLock { s in
                defer { s.targetWaiters = [] }
                return s.targetWaiters
            }
            for w in waiters { w.resume(returning: targets) }
        case "SendMessageToFrontend":
            guard let (target, message) = GVariantReader.targetMessage(parameters, littleEndian: littleEndian) else { return }
            state.withLock { $0.sessions[target] }?.receive(message)
        default:
            break
        }
    }
}

/// One protocol session with a target: commands with their answers, and the target's events.
public final class InspectorSession: @unchecked Sendable {
    public let target: UInt64
    private weak var relay: InspectorRelay?
    private let state = Mutex(State())
    public let events: AsyncStream<JSONValue>
    private let eventSink: AsyncStream<JSONValue>.Continuation

    struct State {
        var nextId = 1
        var pending: [Int: CheckedContinuation<JSONValue, Error>] = [:]
        var ended = false
    }

    private let observe: (@Sendable (JSONValue) -> Void)?

    init(target: UInt64, relay: InspectorRelay, observe: (@Sendable (JSONValue) -> Void)?) {
        self.target = target
        self.relay = relay
        self.observe = observe
        (events, eventSink) = AsyncStream.makeStream(of: JSONValue.self)
    }

    /// How long a command waits for its answer: a target that went away (its worker rebuilt
    /// after a timeout or the heap budget) never answers.
    public static let answerDeadline: Duration = .seconds(30)

    /// Sends a command; returns its `result`, or throws the protocol's error, or that no answer
    /// came within `answerDeadline`.
    @discardableResult
    public func send(_ method: String, _ params: JSONValue = [:]) async throws -> JSONValue {
        let id = state.withLock { s -> Int in
            defer { s.nextId += 1 }
            return s.nextId
        }
        let timer = Task { [weak self] in
            try await Task.sleep(for: Self.answerDeadline)
            self?.fail(id, InspectorRelayError("no answer from the inspector to \(method) within \(Self.answerDeadline): its script context is gone"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<JSONValue, Error>) in
            let open = state.withLock { s -> Bool in
                if s.ended { return false }
                s.pending[id] = c
                return true
            }
            guard open else { return c.resume(throwing: InspectorRelayError("the inspector session ended")) }
            let message: JSONValue = ["id": .number(Double(id)), "method": .string(method), "params": params]
            relay?.sendToTarget(target, message.serialized())
        }
    }

    private func fail(_ id: Int, _ error: Error) {
        state.withLock { $0.pending.removeValue(forKey: id) }?.resume(throwing: error)
    }

    /// Ends the session (the target is told the frontend went away).
    public func close() {
        relay?.detach(target)
        end()
    }

    func receive(_ text: String) {
        guard let message = try? JSONValue.parse(text) else { return }
        if let id = message["id"]?.intValue {
            guard let c = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
            if let error = message["error"] {
                c.resume(throwing: InspectorRelayError(error["message"]?.stringValue ?? error.serialized()))
            } else {
                c.resume(returning: message["result"] ?? [:])
            }
        } else {
            observe?(message)
            eventSink.yield(message)
        }
    }

    func end() {
        let pending = state.withLock { s in
            s.ended = true
            defer { s.pending = [:] }
            return Array(s.pending.values)
        }
        for c in pending { c.resume(throwing: InspectorRelayError("the inspector session ended")) }
        eventSink.finish()
    }
}

public struct InspectorRelayError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads the inspector's GVariant bodies with GLib (non-variadic calls only).
enum GVariantReader {
    static func withVariant<T>(_ type: String, _ bytes: [UInt8], littleEndian: Bool, _ body: (OpaquePointer) -> T?) -> T? {
        guard let variantType = g_variant_type_new(type) else { return nil }
        defer { g_variant_type_free(variantType) }
        let copy = g_bytes_new(bytes, gsize(bytes.count))
        defer { g_bytes_unref(copy) }
        guard var variant = g_variant_new_from_bytes(variantType, copy, 0) else { return nil }
        g_variant_ref_sink(variant)
        if littleEndian != (1.littleEndian == 1), let swapped = g_variant_byteswap(variant) {
            // (A full reference already, not a floating one.)
            g_variant_unref(variant)
            variant = swapped
        }
        defer { g_variant_unref(variant) }
        // A body that is not in normal form (a hostile or broken peer) is not read.
        guard g_variant_is_normal_form(variant) != 0 else { return nil }
        return body(variant)
    }

    static func child(_ v: OpaquePointer, _ i: Int) -> OpaquePointer { g_variant_get_child_value(v, gsize(i)) }

    static func string(_ v: OpaquePointer) -> String {
        defer { g_variant_unref(v) }
        return String(cString: g_variant_get_string(v, nil))
    }

    static func uint64(_ v: OpaquePointer) -> UInt64 {
        defer { g_variant_unref(v) }
        return UInt64(g_variant_get_uint64(v))
    }

    static func targetList(_ bytes: [UInt8], littleEndian: Bool) -> [InspectorRelay.Target]? {
        withVariant("(a(tsssb)b)", bytes, littleEndian: littleEndian) { v in
            let array = child(v, 0)
            defer { g_variant_unref(array) }
            return (0..<Int(g_variant_n_children(array))).map { i in
                let t = child(array, i)
                defer { g_variant_unref(t) }
                return InspectorRelay.Target(id: uint64(child(t, 0)), type: string(child(t, 1)), name: string(child(t, 2)))
            }
        }
    }

    static func targetMessage(_ bytes: [UInt8], littleEndian: Bool) -> (UInt64, String)? {
        withVariant("(ts)", bytes, littleEndian: littleEndian) { v in (uint64(child(v, 0)), string(child(v, 1))) }
    }
}
