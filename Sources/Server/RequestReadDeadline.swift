import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection that does not deliver its requests in time: a new connection's first
/// request (head and body) within `deadline` of opening; on a kept-alive connection, the next
/// request's head within `idle` of the previous answer (the idle timeout), and its body within
/// `deadline` of its head. A client sending its headers a byte at a time (slowloris), a body
/// that never ends, or an idle connection holds the daemon's resources that long at most.
final class RequestReadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let deadline: TimeAmount
    let idle: TimeAmount
    private var timer: Scheduled<Void>?
    /// Whether the connection has answered a request and waits for the next one's head.
    private var idling = false

    init(deadline: TimeAmount, idle: TimeAmount) {
        self.deadline = deadline
        self.idle = idle
    }

    private func arm(_ context: ChannelHandlerContext, _ time: TimeAmount? = nil) {
        timer?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: time ?? deadline) { bound.value.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            // A kept-alive connection's next request: its body has `deadline` from here.
            if idling {
                idling = false
                arm(context)
            }
        case .body: break
        case .end:
            // The request is whole; the answer may take as long as it takes. When it was given
            // before the body ended (413), the idle time already runs.
            if !idling { disarm() }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // After an answer, a kept-alive connection may stay idle for `idle`.
        if case .end = unwrapOutboundIn(data) {
            idling = true
            arm(context, idle)
        }
        context.write(data, promise: promise)
    }
}
