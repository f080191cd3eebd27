import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on 127.0.0.1 to a local server's port, for tests that need a server that stops
/// answering without closing its connections — a database frozen, restarting behind a stuck
/// socket, or cut off by a partition. While frozen, the bytes of every connection are held in
/// both directions; thawed, they flow again. Each connection is served by two threads.
///
/// Every descriptor is closed exactly once, by the last thread that uses it: ``close()`` only
/// shuts sockets down, which wakes the threads blocked on them. A descriptor closed while another
/// thread may still use its number would hit whatever the process opens under that number next
/// — another test's database connection, a run loop's timer — which is how an earlier version
/// of this proxy crashed and hung the rest of the suite.
public final class FreezableProxy: @unchecked Sendable {
    /// The port the proxy listens on.
    public let port: Int
    private let state: State

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Listens on a free port of 127.0.0.1 and forwards every connection to `upstreamPort`.
    public init(upstreamPort: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            Glibc.close(fd)
            throw Failure(description: "bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let state = State(listener: fd)
        self.state = state
        Thread { Self.acceptLoop(state, upstreamPort: upstreamPort) }.start()
    }

    /// Holds every byte from now on, in both directions.
    public func freeze() { state.lock.withLock { state.frozen = true } }

    /// Lets held and new bytes flow again.
    public func thaw() { state.lock.withLock { state.frozen = false } }

    /// Stops listening and ends every connection: shuts the sockets down, which wakes their
    /// threads, and those close them. Calling it again does nothing.
    public func close() { state.close() }

    deinit { state.close() }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return address
    }

    /// What the proxy's threads share; it owns every descriptor. Shutting down and closing
    /// happen under `lock`, so no descriptor is shut down after its number was closed.
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var frozen = false
        var closed = false
        let listener: Int32
        /// The sockets of live connections.
        var sockets: Set<Int32> = []

        init(listener: Int32) { self.listener = listener }

        func close() {
            lock.withLock {
                guard !closed else { return }
                closed = true
                shutdown(listener, Int32(SHUT_RDWR))
                for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
            }
        }

        /// Records a connection's sockets; false once the proxy is closed.
        func register(_ fds: Int32...) -> Bool {
            lock.withLock {
                guard !closed else { return false }
                sockets.formUnion(fds)
                return true
            }
        }

        /// Closes a connection's sockets (its last pump calls this).
        func release(_ fds: Int32...) {
            lock.withLock {
                for fd in fds {
                    sockets.remove(fd)
                    Glibc.close(fd)
                }
            }
        }
    }

    /// Accepts until the proxy is closed, then closes the listener (its only closer).
    private static func acceptLoop(_ state: State, upstreamPort: Int) {
        while true {
            let client = accept(state.listener, nil, nil)
            guard client >= 0 else {
                if state.lock.withLock({ state.closed }) {
                    Glibc.close(state.listener)
                    return
                }
                usleep(1_000)  // EINTR, ECONNABORTED, out of descriptors: try again
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: upstreamPort)
            let connected =
                upstream >= 0
                && withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                } == 0
            guard connected, state.register(client, upstream) else {
                Glibc.close(client)
                if upstream >= 0 { Glibc.close(upstream) }
                continue
            }
            let pumps = Countdown(2)
            Thread { pump(state, from: client, to: upstream, pumps) }.start()
            Thread { pump(state, from: upstream, to: client, pumps) }.start()
        }
    }

    /// Counts a connection's running pumps down; true for the last.
    private final class Countdown: @unchecked Sendable {
        private let lock = NSLock()
        private var left: Int
        init(_ count: Int) { left = count }
        func last() -> Bool {
            lock.withLock {
                left -= 1
                return left == 0
            }
        }
    }

    /// Copies bytes from `source` to `destination`, holding them while frozen; ends both
    /// directions when either side closes, and the last of the connection's two pumps closes
    /// both sockets.
    private static func pump(_ state: State, from source: Int32, to destination: Int32, _ pumps: Countdown) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            while state.lock.withLock({ state.frozen && !state.closed }) { usleep(10_000) }
            var sent = 0
            while sent < n {
                let w = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + sent, n - sent) }
                guard w > 0 else { break }
                sent += w
            }
            guard sent == n else { break }
        }
        // Both sockets are still open here: only the last pump closes them.
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
        if pumps.last() { state.release(source, destination) }
    }
}
