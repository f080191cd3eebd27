import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1.1 child channel with the validator's connection discipline in front: every
/// accepted connection is admitted by the `ConnectionGovernor` (or refused with a 503) and closed
/// when it overstays its phase's timeout (specs/service.md §2.1).
struct GovernedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration
    let governor: ConnectionGovernor

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let watch: NIOLoopBound<ConnectionDisciplineHandler>
        do {
            let handler = ConnectionDisciplineHandler(governor: governor)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            watch = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        var configuration = configuration
        let others = configuration.additionalChannelHandlers
        configuration.additionalChannelHandlers = { [RequestPhaseHandler(watch: watch.value)] + others() }
        return HTTP1Channel(responder: responder, configuration: configuration).setup(
            channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder, configuration: configuration).handle(
            value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 under `governor`'s connection discipline.
    static func governedHTTP1(governor: ConnectionGovernor) -> HTTPServerBuilder {
        .init { responder in
            GovernedHTTP1Channel(responder: responder, configuration: .init(), governor: governor)
        }
    }
}

/// First handler of every connection (raw bytes): admission at `channelActive`, the phase
/// timer, release at `channelInactive`. `RequestPhaseHandler` reports the HTTP-level phase changes.
final class ConnectionDisciplineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let governor: ConnectionGovernor
    private var id: UInt64?
    /// The connection's current phase.
    private(set) var phase = ConnectionGovernor.Phase.idle
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(governor: ConnectionGovernor) {
        self.governor = governor
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { admit(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if id == nil { admit(context: context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if let id { governor.release(id) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle { enter(.readingHead) }
        context.fireChannelRead(data)
    }

    private func admit(context: ChannelHandlerContext) {
        guard let admitted = governor.admit(context.channel) else {
            refuse(context: context)
            return
        }
        id = admitted
        enter(.idle)
    }

    /// Answers 503 on the raw socket and closes: every open connection is being answered.
    private func refuse(context: ChannelHandlerContext) {
        let body =
            #"{"error":{"code":"unavailable","message":"service unavailable: too many open connections (\#(governor.capacity)); retry shortly"}}"#
        let head =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        let bytes = context.channel.allocator.buffer(string: head + body)
        let channel = context.channel
        context.writeAndFlush(NIOAny(bytes)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Moves to `phase` and re-arms the timer for its deadline.
    func enter(_ next: ConnectionGovernor.Phase) {
        guard let id, let context else { return }
        phase = next
        let now = NIODeadline.now()
        governor.enter(next, id: id, now: now)
        timer?.cancel()
        timer = nil
        guard let deadline = governor.policy.deadline(of: next, since: now) else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            loopBound.value.expire(phase: next)
        }
    }

    private func expire(phase expired: ConnectionGovernor.Phase) {
        guard phase == expired, let context else { return }
        let reason: ConnectionGovernor.Closure =
            switch expired {
            case .idle: .idleTimeout
            case .readingHead: .headerTimeout
            case .readingBody, .handling: .bodyTimeout
            }
        governor.metrics.connectionClosed(reason)
        context.close(promise: nil)
    }
}

/// Sits after the HTTP codec and reports request progress to the connection's
/// `ConnectionDisciplineHandler`: head complete, body complete, response written.
final class RequestPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let watch: ConnectionDisciplineHandler

    init(watch: ConnectionDisciplineHandler) {
        self.watch = watch
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: watch.enter(.readingBody)
        case .body: break
        // A response written before the body ended (an early 4xx) already made the connection idle.
        case .end: if watch.phase == .readingBody { watch.enter(.handling) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { watch.enter(.idle) }
        context.write(data, promise: promise)
    }
}
