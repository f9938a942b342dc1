import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A TCP server on a free loopback port for the `net` tests: it echoes in upper case, says
/// nothing, or hangs up at once; and it reports each connection's end, so a test can wait for
/// the event rather than for time to pass.
final class LoopbackTCPServer: Sendable {
    /// `http`: answers one HTTP/1.1 request with 200 and a body naming its method, path and
    /// body (and `X-Seen-Header`: the request's `x-test` header), then closes.
    enum Mode: Sendable { case upperEcho, silent, hangUp, http }

    let port: Int
    private let channel: Channel
    private let closed: AsyncStream<Void>
    private let closedSink: AsyncStream<Void>.Continuation
    private let accepted = Atomic<Int>(0)

    /// `tls`: the connection is TLS with this certificate and key (PEM), then `mode`.
    init(_ mode: Mode, tls: (certificate: String, key: String)? = nil) async throws {
        let sslContext = try tls.map { t in
            try NIOSSLContext(configuration: TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(t.certificate.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(t.key.utf8), format: .pem))))
        }
        let (stream, sink) = AsyncStream<Void>.makeStream()
        closed = stream
        closedSink = sink
        let counter = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                counter.accepted()
                return child.eventLoop.makeCompletedFuture {
                    if let sslContext { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try child.pipeline.syncOperations.addHandler(Handler(mode: mode, onClose: { sink.yield() }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        counter.server = self
    }

    /// Connections accepted so far.
    var connections: Int { accepted.load(ordering: .relaxed) }

    /// Waits until `count` connections have ended (client or server side).
    func waitForClosedConnections(_ count: Int) async {
        var seen = 0
        for await _ in closed {
            seen += 1
            if seen >= count { return }
        }
    }

    func stop() {
        closedSink.finish()
        channel.close(promise: nil)
    }

    fileprivate func countAccepted() { accepted.add(1, ordering: .relaxed) }

    private final class Box: @unchecked Sendable {
        weak var server: LoopbackTCPServer?
        func accepted() { server?.countAccepted() }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let mode: Mode
        let onClose: @Sendable () -> Void

        init(mode: Mode, onClose: @escaping @Sendable () -> Void) {
            self.mode = mode
            self.onClose = onClose
        }

        func channelActive(context: ChannelHandlerContext) {
            if mode == .hangUp { context.close(promise: nil) }
        }

        var request: [UInt8] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if mode == .http {
                var buffer = unwrapInboundIn(data)
                request += buffer.readBytes(length: buffer.readableBytes) ?? []
                let text = String(decoding: request, as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { return }
                let head = text[..<end.lowerBound].split(separator: "\r\n").map(String.init)
                let length = head.first { $0.lowercased().hasPrefix("content-length:") }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let body = text[end.upperBound...]
                guard body.utf8.count >= length else { return }
                let line = head.first?.split(separator: " ") ?? []
                let seen = head.first { $0.lowercased().hasPrefix("x-test:") }.map { String($0.dropFirst(7)).trimmingCharacters(in: .whitespaces) } ?? ""
                let answer = "\(line.first ?? "") \(line.dropFirst().first ?? "") \(body)"
                let response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Seen-Header: \(seen)\r\nContent-Length: \(answer.utf8.count)\r\nConnection: close\r\n\r\n\(answer)"
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: nil)
                return
            }
            guard mode == .upperEcho else { return }
            var buffer = unwrapInboundIn(data)
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text.uppercased())), promise: nil)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            // The client half-closed: an echo server finishes and hangs up, like Node's.
            if let e = event as? ChannelEvent, case .inputClosed = e { context.close(promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            onClose()
        }
    }
}

/// A self-signed certificate for `localhost` (not for 127.0.0.1, so a wrong server name is
/// not excused by the address), made with openssl for the run.
enum TestCertificate {
    static let pair: (certificate: String, key: String) = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-cert-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
        p.waitUntilExit()
        let cert = (try? String(contentsOfFile: dir + "/cert.pem", encoding: .utf8)) ?? ""
        let key = (try? String(contentsOfFile: dir + "/key.pem", encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: dir)
        return (cert, key)
    }()
}
