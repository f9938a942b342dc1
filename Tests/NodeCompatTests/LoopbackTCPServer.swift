import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on a free loopback port for the `net` tests: it echoes in upper case, says
/// nothing, or hangs up at once; and it reports each connection's end, so a test can wait for
/// the event rather than for time to pass.
final class LoopbackTCPServer: Sendable {
    enum Mode: Sendable { case upperEcho, silent, hangUp }

    let port: Int
    private let channel: Channel
    private let closed: AsyncStream<Void>
    private let closedSink: AsyncStream<Void>.Continuation
    private let accepted = Atomic<Int>(0)

    init(_ mode: Mode) async throws {
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

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
