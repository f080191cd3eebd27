import Foundation
import Synchronization

/// Fans out what the validator does — jobs settled, checkpoints signed — to the subscribers of
/// `GET /v1/events` (server-sent events, specs/service.md §3.6).
///
/// Bounded on every side: at most `capacity` subscribers at once (`subscribe()` returns `nil`
/// beyond, and the endpoint answers 503 `unavailable`); each subscriber buffers at most
/// `bufferPerSubscriber` events (a slow reader loses the oldest, never blocks a publisher); a
/// stream lasts at most `maxStreamDuration` and carries a comment line every `heartbeatInterval`
/// so that proxies and the browser see it alive. `close()` (graceful shutdown) ends every stream.
public final class EventHub: Sendable {
    /// One event: its SSE `event:` name and a one-line JSON `data:` payload.
    public struct Event: Sendable, Equatable {
        public var name: String
        public var data: String

        public init(name: String, data: String) {
            self.name = name
            self.data = data
        }
    }

    /// What a subscription yields: an event or a heartbeat tick.
    public enum Item: Sendable, Equatable {
        case event(Event)
        case heartbeat
    }

    /// A live subscription; the stream ends on `close()`, `finish()` or when dropped.
    public final class Subscription: Sendable {
        public let stream: AsyncStream<Item>
        let continuation: AsyncStream<Item>.Continuation

        init(stream: AsyncStream<Item>, continuation: AsyncStream<Item>.Continuation) {
            self.stream = stream
            self.continuation = continuation
        }

        /// Ends this subscription's stream (its slot is released).
        public func finish() { continuation.finish() }

        deinit { continuation.finish() }
    }

    private struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<Item>.Continuation] = [:]
        var closed = false
    }

    private let state = Mutex(State())
    /// Most subscribers at once (0 disables the stream).
    public let capacity: Int
    public let heartbeatInterval: Duration
    public let maxStreamDuration: Duration
    public static let bufferPerSubscriber = 256

    public init(
        capacity: Int = 32, heartbeatInterval: Duration = .seconds(15),
        maxStreamDuration: Duration = .seconds(300)
    ) {
        self.capacity = capacity
        self.heartbeatInterval = heartbeatInterval
        self.maxStreamDuration = maxStreamDuration
    }

    /// A new subscription, or `nil` when `capacity` streams are open or the hub is closed.
    public func subscribe() -> Subscription? {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Item.self, bufferingPolicy: .bufferingNewest(Self.bufferPerSubscriber))
        let id: Int? = state.withLock { s in
            guard !s.closed, s.subscribers.count < capacity else { return nil }
            defer { s.nextID += 1 }
            s.subscribers[s.nextID] = continuation
            return s.nextID
        }
        guard let id else {
            continuation.finish()
            return nil
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return Subscription(stream: stream, continuation: continuation)
    }

    /// Subscribers attached now.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Delivers `event` to every subscriber (never blocks; a full buffer drops its oldest item).
    public func publish(_ event: Event) {
        let targets = state.withLock { Array($0.subscribers.values) }
        for continuation in targets { continuation.yield(.event(event)) }
    }

    /// Ends every stream and refuses new subscribers (graceful shutdown).
    public func close() {
        let targets = state.withLock { s -> [AsyncStream<Item>.Continuation] in
            s.closed = true
            return Array(s.subscribers.values)
        }
        for continuation in targets { continuation.finish() }
    }

    /// The SSE wire form of `item` (WHATWG HTML §9.2): `event:` and one `data:` line, or a
    /// comment line for a heartbeat; each ends with a blank line.
    static func wire(_ item: Item) -> String {
        switch item {
        case .heartbeat: ": heartbeat\n\n"
        case .event(let e): "event: \(e.name)\ndata: \(e.data)\n\n"
        }
    }
}
