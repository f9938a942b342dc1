import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection that does not deliver a whole request (head and body) within
/// `deadline` of being opened or of its previous answer: a client sending its headers a byte
/// at a time (slowloris), or a body that never ends, holds a connection for `deadline` at most,
/// not for ever. Between requests of a kept-alive connection the same deadline is the idle
/// time allowed.
final class RequestReadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let deadline: TimeAmount
    private var timer: Scheduled<Void>?

    init(deadline: TimeAmount) { self.deadline = deadline }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let ctx = context
        timer = context.eventLoop.scheduleTask(in: deadline) { ctx.close(promise: nil) }
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
        // The request is whole once its end arrives; the answer may take as long as it takes.
        if case .end = unwrapInboundIn(data) { disarm() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // After an answer, the next request of a kept-alive connection has the same deadline.
        if case .end = unwrapOutboundIn(data) { arm(context) }
        context.write(data, promise: promise)
    }
}
