// Notices a client that went away while its request is being answered. Hummingbird allows half-closed
// connections, so a client's FIN only shows as `inputClosed` (not as the channel closing) until a write fails;
// this handler, put first in the connection's pipeline for one request, turns either into a callback.
import NIOCore

final class HangUpHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let onHangUp: @Sendable () -> Void

    init(_ onHangUp: @escaping @Sendable () -> Void) { self.onHangUp = onHangUp }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed { onHangUp() }
        context.fireUserInboundEventTriggered(event)
    }

    /// The connection's reader is idle while a request is answered (backpressure), so the client's FIN would
    /// not be read; one read issued from here, below that reader, lets it arrive (any pipelined data passes on).
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        onHangUp()
        context.fireChannelInactive()
    }

    /// Calls `onHangUp` when the client half-closes or the connection closes, until the returned remover runs.
    static func watch(_ channel: (any Channel)?, _ onHangUp: @escaping @Sendable () -> Void) async -> @Sendable () -> Void {
        guard let channel else { return {} }
        let handler = HangUpHandler(onHangUp)
        do {
            try await channel.pipeline.addHandler(handler, position: .first).get()
        } catch {
            onHangUp()  // the channel is already gone
            return {}
        }
        return { channel.pipeline.removeHandler(handler, promise: nil) }
    }
}
