import Foundation
import JSONCore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import ScriptRuntime
import Synchronization

/// Client TCP sockets for the scripts' `net` module (and the database drivers on top of it).
///
/// A socket belongs to the job whose host call opened it: its id is unguessable, every call
/// checks that the calling job is the owner, and the job's `JobResources` close it when the job
/// ends. Every connection is checked against the tenant's `allowed_outbound_hosts` before any
/// address is looked up; a refused host or port fails at once with Node's error codes.
/// Data flows as base64 in the host calls' JSON: `net.read` waits for whatever has arrived
/// (up to `maxChunk` bytes), so a script's read loop is one host call per burst of data.
enum NetSockets {
    static let maxChunk = 1 << 20
    /// Sockets one job may hold open at once.
    static let maxPerJob = 32
    /// Unread bytes a socket holds before it stops reading from the network.
    static let highWater = 4 << 20

    struct Failure: Error {
        var code: String
        var message: String
        var json: String {
            JSONValue.object(["error": .object(["code": .string(code), "message": .string(message)])]).serialized()
        }
    }

    static let table = Mutex<[String: NetSocket]>([:])

    static func arguments(_ json: String) throws(Failure) -> JSONValue {
        do { return try JSONValue.parse(json) } catch { throw Failure(code: "ERR_INVALID_ARG_TYPE", message: "bad socket call arguments") }
    }

    static func socket(_ args: JSONValue) throws(Failure) -> NetSocket {
        guard let id = args["id"]?.stringValue, let s = table.withLock({ $0[id] }) else {
            throw Failure(code: "ERR_SOCKET_CLOSED", message: "Socket is closed")
        }
        guard let owner = JobResources.current, owner === s.owner else {
            throw Failure(code: "ERR_SOCKET_CLOSED", message: "Socket is closed")
        }
        return s
    }

    static func policy(_ environment: JobEnvironment) -> OutboundPolicy {
        (environment as? OutboundEnvironment)?.outboundPolicy ?? OutboundPolicy(allowedHosts: [])
    }

    /// The checks every connection path shares: a host name or address and a port in range that
    /// the tenant allows.
    static func check(host: String, port: Int, policy: OutboundPolicy) throws(Failure) {
        guard !host.isEmpty, host.utf8.count <= 253, !host.contains(where: { $0.isWhitespace || $0 == "/" }),
            !host.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else {
            throw Failure(code: "ERR_INVALID_ARG_VALUE", message: "The host \"\(host.prefix(64))\" is not a host name or address")
        }
        guard (1...65535).contains(port) else {
            throw Failure(code: "ERR_SOCKET_BAD_PORT", message: "Port should be > 0 and < 65536. Received \(port).")
        }
        guard policy.allows(host: host) else {
            throw Failure(
                code: "EHOSTNOTALLOWED",
                message: "connect EHOSTNOTALLOWED \(host):\(port) (not in authsim.allowed_outbound_hosts)")
        }
    }

    /// `{host, port, timeoutMs, noDelay}` → `{id, remoteAddress, remotePort, remoteFamily, localAddress, localPort}` or `{error}`.
    @Sendable static func connect(_ json: String, _ environment: JobEnvironment) async throws -> String {
        do throws(Failure) {
            return try await open(try arguments(json), environment)
        } catch {
            return error.json
        }
    }

    static func open(_ args: JSONValue, _ environment: JobEnvironment) async throws(Failure) -> String {
        guard let owner = JobResources.current else { throw Failure(code: "ERR_SOCKET_CLOSED", message: "sockets need a running job") }
        let host = args["host"]?.stringValue ?? "localhost"
        guard let p = args["port"]?.doubleValue, let port = Int(exactly: p.rounded()) else {
            throw Failure(code: "ERR_SOCKET_BAD_PORT", message: "Port should be > 0 and < 65536. Received \(args["port"]?.serialized() ?? "undefined").")
        }
        try check(host: host, port: port, policy: policy(environment))
        let timeoutMs = max(1, min(args["timeoutMs"]?.doubleValue ?? 10_000, 60_000))
        let noDelay = args["noDelay"]?.boolValue ?? true
        let socket = NetSocket(owner: owner, host: host, port: port)
        // The slot is taken before connecting (connections in progress count), and the socket is
        // in the table before it can be closed by the job's end.
        table.withLock { $0[socket.id] = socket }
        switch owner.admit(limit: maxPerJob, { [socket] in socket.close() }) {
        case .added(let token): socket.token = token
        case .full:
            table.withLock { _ = $0.removeValue(forKey: socket.id) }
            throw Failure(code: "EMFILE", message: "connect EMFILE: a login may hold at most \(maxPerJob) sockets open")
        case .closed:
            table.withLock { _ = $0.removeValue(forKey: socket.id) }
            throw Failure(code: "ERR_SOCKET_CLOSED", message: "the login ended before the socket connected")
        }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(Int64(timeoutMs)))
            .channelOption(.socketOption(.tcp_nodelay), value: noDelay ? 1 : 0)
            .channelOption(.autoRead, value: true)
            // Node's allowHalfOpen: the peer's end is read as the end of the data; what the
            // script does next (end, write on) is its own.
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(NetInbound(socket)) }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            socket.close()
            throw describe(error, host: host, port: port)
        }
        guard socket.attach(channel) else {
            throw Failure(code: "ERR_SOCKET_CLOSED", message: "the login ended while the socket connected")
        }
        let remote = channel.remoteAddress
        let local = channel.localAddress
        return JSONValue.object([
            "id": .string(socket.id),
            "remoteAddress": .string(remote?.ipAddress ?? host), "remotePort": .number(Double(remote?.port ?? port)),
            "remoteFamily": .string(remote.map { if case .v6 = $0 { "IPv6" } else { "IPv4" } } ?? "IPv4"),
            "localAddress": .string(local?.ipAddress ?? ""), "localPort": .number(Double(local?.port ?? 0)),
        ]).serialized()
    }

    /// Node's codes and messages for what a connection attempt can meet. A name that does not
    /// resolve arrives as NIO's connection error with its lookups' errors and no connection tried.
    static func describe(_ error: any Error, host: String, port: Int) -> Failure {
        let target = "\(host):\(port)"
        if let e = error as? NIOConnectionError {
            if e.connectionErrors.isEmpty, e.dnsAError != nil || e.dnsAAAAError != nil {
                return Failure(code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND \(host)")
            }
            if let first = e.connectionErrors.first { return describe(first.error, host: host, port: port) }
            return Failure(code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND \(host)")
        }
        if let e = error as? ChannelError, case .connectTimeout = e {
            return Failure(code: "ETIMEDOUT", message: "connect ETIMEDOUT \(target)")
        }
        if let e = error as? IOError {
            let code = errnoName(e.errnoCode)
            return Failure(code: code, message: "connect \(code) \(target)")
        }
        return Failure(code: "ECONNREFUSED", message: "connect ECONNREFUSED \(target) (\(error))")
    }

    /// Node's name for an errno value.
    static func errnoName(_ n: Int32) -> String {
        switch n {
        case ECONNREFUSED: "ECONNREFUSED"
        case ECONNRESET: "ECONNRESET"
        case ETIMEDOUT: "ETIMEDOUT"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case ENETUNREACH: "ENETUNREACH"
        case EPIPE: "EPIPE"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        default: "E\(n)"
        }
    }

    /// `{id}` → `{data: base64}`, `{end: true}` or `{error}`: what arrived since the last read,
    /// waiting for something if nothing has.
    @Sendable static func read(_ json: String, _ environment: JobEnvironment) async throws -> String {
        do throws(Failure) {
            let s = try socket(try arguments(json))
            return await s.read().serialized()
        } catch {
            return error.json
        }
    }

    /// `{id, data: base64}` → `{written}` or `{error}`.
    @Sendable static func write(_ json: String, _ environment: JobEnvironment) async throws -> String {
        do throws(Failure) {
            let args = try arguments(json)
            let s = try socket(args)
            guard let b64 = args["data"]?.stringValue, let data = Data(base64Encoded: b64) else {
                throw Failure(code: "ERR_INVALID_ARG_TYPE", message: "write needs bytes")
            }
            try await s.write(data)
            return JSONValue.object(["written": .number(Double(data.count))]).serialized()
        } catch {
            return error.json
        }
    }

    /// `{id}`: half-closes (no more writes; reading goes on until the peer ends).
    @Sendable static func end(_ json: String, _ environment: JobEnvironment) async throws -> String {
        do throws(Failure) {
            let s = try socket(try arguments(json))
            await s.shutdownOutput()
            return "{}"
        } catch {
            return error.json
        }
    }

    /// `{id}`: closes at once (Node's `destroy`).
    @Sendable static func destroy(_ json: String, _ environment: JobEnvironment) throws -> String {
        do throws(Failure) {
            let s = try socket(try arguments(json))
            s.close()
            return "{}"
        } catch {
            return error.json
        }
    }

    /// `{host, family}` → `{address, family}` or `{error}` (`dns.lookup`): only hosts the tenant
    /// allows are looked up.
    @Sendable static func lookup(_ json: String, _ environment: JobEnvironment) async throws -> String {
        let args = try arguments(json)
        let host = args["host"]?.stringValue ?? ""
        // A script's number: only 0, 4 and 6 mean anything (Node refuses the rest).
        guard let family = [0, 4, 6].first(where: { Double($0) == (args["family"]?.doubleValue ?? 0) }) else {
            return Failure(code: "ERR_INVALID_ARG_VALUE", message: "The argument 'family' must be one of: 0, 4, 6").json
        }
        guard policy(environment).allows(host: host) else {
            return Failure(code: "EHOSTNOTALLOWED", message: "getaddrinfo EHOSTNOTALLOWED \(host) (not in authsim.allowed_outbound_hosts)").json
        }
        guard !host.isEmpty, host.utf8.count <= 253 else {
            return Failure(code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND \(host)").json
        }
        let all = args["all"]?.boolValue ?? false
        // A look-up holds a thread of the shared pool until getaddrinfo returns: it takes one of
        // the job's slots (with its sockets) while it runs.
        guard let owner = JobResources.current else { return Failure(code: "ERR_SOCKET_CLOSED", message: "look-ups need a running job").json }
        let token: Int
        switch owner.admit(limit: maxPerJob, {}) {
        case .added(let t): token = t
        case .full: return Failure(code: "EMFILE", message: "getaddrinfo EMFILE \(host): a login may have at most \(maxPerJob) sockets and look-ups at once").json
        case .closed: return Failure(code: "ECANCELLED", message: "getaddrinfo ECANCELLED \(host)").json
        }
        defer { owner.remove(token) }
        let found: [(String, Int)] = try await NIOThreadPool.singleton.runIfActive { resolve(host, family: family) }
        guard !found.isEmpty else { return Failure(code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND \(host)").json }
        if all {
            return JSONValue.object(["all": .array(found.map { .object(["address": .string($0.0), "family": .number(Double($0.1))]) })]).serialized()
        }
        return JSONValue.object(["address": .string(found[0].0), "family": .number(Double(found[0].1))]).serialized()
    }

    /// A NUL-terminated C string in a buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func resolve(_ host: String, family: Int) -> [(String, Int)] {
        var hints = addrinfo()
        hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [(String, Int)] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let a = p {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if a.pointee.ai_family == AF_INET, let sa = a.pointee.ai_addr {
                var sin = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                inet_ntop(AF_INET, &sin.sin_addr, &buffer, socklen_t(buffer.count))
                out.append((text(buffer), 4))
            } else if a.pointee.ai_family == AF_INET6, let sa = a.pointee.ai_addr {
                var sin6 = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                inet_ntop(AF_INET6, &sin6.sin6_addr, &buffer, socklen_t(buffer.count))
                out.append((text(buffer), 6))
            }
            p = a.pointee.ai_next
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.0).inserted }
    }

    /// `{id, servername, rejectUnauthorized, ca: [pem]}` → `{authorized, authorizationError, protocol}` or `{error}`:
    /// TLS on an open socket (what `tls.connect` does after connecting, and what drivers do
    /// after asking the server for it: pg's SSLRequest). The certificate is verified against
    /// the system's roots (or `ca`) and the name unless `rejectUnauthorized` is false.
    @Sendable static func startTLS(_ json: String, _ environment: JobEnvironment) async throws -> String {
        do throws(Failure) {
            let args = try arguments(json)
            let s = try socket(args)
            let verify = args["rejectUnauthorized"]?.boolValue ?? true
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = verify ? .fullVerification : .none
            if let pems = args["ca"]?.arrayValue?.compactMap(\.stringValue), !pems.isEmpty {
                do {
                    config.trustRoots = .certificates(try pems.flatMap { try NIOSSLCertificate.fromPEMBytes(Array($0.utf8)) })
                } catch {
                    throw Failure(code: "ERR_INVALID_ARG_VALUE", message: "options.ca is not a PEM certificate: \(error)")
                }
            }
            let name = args["servername"]?.stringValue.flatMap { $0.isEmpty || isAddress($0) ? nil : $0 }
            let negotiated = try await s.startTLS(config, serverHostname: name)
            return JSONValue.object([
                "authorized": .bool(verify), "authorizationError": .null, "protocol": .string(negotiated ?? ""),
            ]).serialized()
        } catch {
            return error.json
        }
    }

    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Node's codes for what a TLS handshake can meet.
    static func describeTLS(_ error: any Error, host: String) -> Failure {
        let text = String(describing: error)
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname {
            return Failure(code: "ERR_TLS_CERT_ALTNAME_INVALID", message: "Hostname/IP does not match certificate's altnames: Host: \(host). \(text)")
        }
        // BoringSSL's error does not say why (Node would name a self-signed certificate
        // DEPTH_ZERO_SELF_SIGNED_CERT): every chain that does not verify gets Node's general code.
        // NIOSSL gives BoringSSL's reason only as text (its error code is private), so the
        // reason's name is looked for in it.
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return Failure(code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE", message: "unable to verify the first certificate")
        }
        return Failure(code: "ECONNRESET", message: "Client network socket disconnected before secure TLS connection was established (\(text))")
    }

    static var functions: (sync: [String: SyncHostFunction], async: [String: AsyncHostFunction]) {
        (
            ["net.destroy": destroy],
            ["net.connect": connect, "net.read": read, "net.write": write, "net.end": end, "net.lookup": lookup, "net.startTLS": startTLS]
        )
    }
}

/// One client socket: what has arrived and not been read, and the reader waiting for it.
final class NetSocket: @unchecked Sendable {
    let id = UUID().uuidString
    let owner: JobResources
    let host: String
    let port: Int
    /// Set once, before the socket can be used.
    var token: Int?
    private let channelBox = Mutex<Channel?>(nil)
    private var channel: Channel? { channelBox.withLock { $0 } }

    private struct State {
        var chunks: [ByteBuffer] = []
        var buffered = 0
        var ended = false
        var closed = false
        var error: NetSockets.Failure?
        /// Reads waiting for something to happen (usually one; a TLS takeover can leave two).
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    init(owner: JobResources, host: String, port: Int) {
        self.owner = owner
        self.host = host
        self.port = port
    }

    /// The connection, once made; false (and the connection closed) if the socket was closed
    /// meanwhile (its job ended).
    func attach(_ channel: Channel) -> Bool {
        let closed = state.withLock { $0.closed }
        if closed {
            channel.close(promise: nil)
            return false
        }
        channelBox.withLock { $0 = channel }
        if state.withLock({ $0.closed }) {
            channel.close(promise: nil)
            return false
        }
        return true
    }

    // From the channel's event loop.
    func received(_ buffer: ByteBuffer) -> Bool {
        let (waiters, full) = state.withLock { s -> ([CheckedContinuation<Void, Never>], Bool) in
            s.chunks.append(buffer)
            s.buffered += buffer.readableBytes
            defer { s.waiters = [] }
            return (s.waiters, s.buffered >= NetSockets.highWater)
        }
        for w in waiters { w.resume() }
        return full
    }

    func finished(_ error: NetSockets.Failure?) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.error == nil, let error { s.error = error }
            s.ended = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    func read() async -> JSONValue {
        while true {
            let ready: JSONValue? = state.withLock { s in
                if !s.chunks.isEmpty {
                    var out = Data()
                    while !s.chunks.isEmpty, out.count < NetSockets.maxChunk {
                        var b = s.chunks.removeFirst()
                        let n = min(b.readableBytes, NetSockets.maxChunk - out.count)
                        out.append(contentsOf: b.readBytes(length: n) ?? [])
                        if b.readableBytes > 0 { s.chunks.insert(b, at: 0) }
                    }
                    s.buffered -= out.count
                    return .object(["data": .string(out.base64EncodedString())])
                }
                if let e = s.error { return .object(["error": .object(["code": .string(e.code), "message": .string(e.message)])]) }
                if s.ended || s.closed { return .object(["end": .bool(true)]) }
                return nil
            }
            if let ready {
                if let channel, state.withLock({ $0.buffered < NetSockets.highWater }) {
                    channel.setOption(.autoRead, value: true).whenComplete { _ in }
                }
                return ready
            }
            if Task.isCancelled { return .object(["end": .bool(true)]) }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if !s.chunks.isEmpty || s.ended || s.closed || s.error != nil { return true }
                        s.waiters.append(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            } onCancel: {
                let ws = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                    s.closed = true
                    defer { s.waiters = [] }
                    return s.waiters
                }
                for w in ws { w.resume() }
            }
        }
    }

    func write(_ data: Data) async throws(NetSockets.Failure) {
        guard let channel, channel.isActive, !state.withLock({ $0.closed }) else {
            throw NetSockets.Failure(code: "EPIPE", message: "This socket has been ended by the other party")
        }
        do {
            try await channel.writeAndFlush(channel.allocator.buffer(bytes: data)).get()
        } catch {
            throw NetSockets.Failure(code: "EPIPE", message: "write EPIPE")
        }
    }

    /// Puts TLS in front of the connection and waits for the handshake.
    func startTLS(_ config: TLSConfiguration, serverHostname: String?) async throws(NetSockets.Failure) -> String? {
        guard let channel, channel.isActive else { throw NetSockets.Failure(code: "ERR_SOCKET_CLOSED", message: "Socket is closed") }
        let promise = channel.eventLoop.makePromise(of: String?.self)
        do {
            let context = try NIOSSLContext(configuration: config)
            // The watcher completes the promise once it is in the pipeline; until then (and if
            // it cannot stay there) this code does. A promise completed twice traps.
            try await channel.eventLoop.submit {
                let sync = channel.pipeline.syncOperations
                let tls = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
                let watcher = TLSHandshakeWatcher(promise)
                try sync.addHandler(watcher, position: .first)
                do { try sync.addHandler(tls, position: .first) } catch {
                    watcher.done = true  // it stays, passing events on, and leaves the promise alone
                    throw error
                }
            }.get()
        } catch {
            promise.fail(error)
            throw NetSockets.describeTLS(error, host: serverHostname ?? host)
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            let failure = NetSockets.describeTLS(error, host: serverHostname ?? host)
            close()
            throw failure
        }
    }

    func shutdownOutput() async {
        guard let channel else { return }
        do { try await channel.close(mode: .output).get() } catch { close() }
    }

    /// Closes the connection and forgets the socket (idempotent).
    func close() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
        NetSockets.table.withLock { _ = $0.removeValue(forKey: id) }
        if let token { owner.remove(token) }
        channel?.close(promise: nil)
    }
}

/// Hands what the connection receives to its `NetSocket`, and stops reading when the script
/// falls behind.
final class NetInbound: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let socket: NetSocket

    init(_ socket: NetSocket) { self.socket = socket }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if socket.received(unwrapInboundIn(data)) {
            context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, case .inputClosed = e { socket.finished(nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        socket.finished(nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let code: String
        if let e = error as? IOError { code = NetSockets.errnoName(e.errnoCode) } else { code = "ECONNRESET" }
        socket.finished(NetSockets.Failure(code: code, message: "read \(code)"))
        context.close(promise: nil)
    }
}

/// Reports the end of a TLS handshake (or its failure) to whoever started it.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String?>
    var done = false

    init(_ promise: EventLoopPromise<String?>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !done, let e = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = e {
            done = true
            promise.succeed(negotiated)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            promise.fail(error)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(ChannelError.ioOnClosedChannel)
        }
        context.fireChannelInactive()
    }
}
