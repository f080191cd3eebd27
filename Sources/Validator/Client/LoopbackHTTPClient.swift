import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal blocking HTTP/1.1 client over one keep-alive TCP connection, for the demo, the
/// end-to-end tests and the load generator. It speaks only what the validator serves
/// (`Content-Length` or chunked bodies) and is meant for loopback use; it is not a general client.
///
/// Not thread-safe: use one client per thread. From async code use the `async` methods, which run
/// the blocking socket calls on the client's own dispatch queue rather than on a Swift concurrency
/// thread.
public final class LoopbackHTTPClient: @unchecked Sendable {
    /// A parsed response.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case connect(String)
        case io(String)
        /// The server neither sent nor accepted a byte for the client's whole `timeout`.
        case timedOut(String)
        case protocolViolation(String)

        public var description: String {
            switch self {
            case .connect(let s): "connect: \(s)"
            case .io(let s): "i/o: \(s)"
            case .timedOut(let s): "timed out: \(s)"
            case .protocolViolation(let s): "bad response: \(s)"
            }
        }
    }

    private var fd: Int32 = -1
    private var buffer = [UInt8]()
    private var start = 0
    public let host: String
    public let port: Int
    /// The longest one `send` or `recv` call waits, in seconds (`SO_SNDTIMEO`/`SO_RCVTIMEO`):
    /// a server that stops answering fails the request with ``ClientError/timedOut(_:)``
    /// instead of blocking the caller for ever. It bounds each wait, not a whole response.
    public let timeout: Double

    /// Connects to `host:port` (IPv4 dotted quad, e.g. 127.0.0.1).
    /// - Parameter timeout: see ``timeout``; 120 s by default (a server event stream's heartbeat
    ///   comes every 15 s, a settled job's answer within milliseconds).
    public init(host: String = "127.0.0.1", port: Int, timeout: Double = 120) throws {
        self.host = host
        self.port = port
        self.timeout = timeout
        try connect()
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connect() throws {
        // Forgotten as soon as it is closed: a later `close` of a stale number would close
        // whatever the process opened under it since (another thread's socket, a run loop's timer).
        if fd >= 0 { close(fd) }
        fd = -1
        #if canImport(Glibc)
            let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let sock = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard sock >= 0 else { throw ClientError.connect("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        _ = setsockopt(sock, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            guard setsockopt(sock, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0
            else {
                close(sock)
                throw ClientError.connect("setsockopt(timeout): errno \(errno)")
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(sock)
            throw ClientError.connect("\(host) is not an IPv4 address")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(sock)
            throw ClientError.connect("\(host):\(port): errno \(errno)")
        }
        fd = sock
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }

    /// Encodes one request (HTTP/1.1, keep-alive).
    public static func encode(
        method: String, path: String, body: Data? = nil, contentType: String = "application/json",
        host: String = "127.0.0.1"
    ) -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        if let body {
            head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        var data = Data(head.utf8)
        if let body { data.append(body) }
        return data
    }

    /// Sends one request and reads its response.
    ///
    /// When the server closed the keep-alive connection before any byte of the response arrived
    /// (its idle or header timeout ended the connection first), connects again and sends the
    /// request once more, as HTTP/1.1 clients do for idempotent requests (RFC 9110 §9.2.2): every
    /// request the validator serves is idempotent (a repeated receipt is a `duplicate`). A server
    /// that is gone fails the new connection, and that error is thrown.
    public func request(_ method: String, _ path: String, body: Data? = nil) throws -> Response {
        let bytes = Self.encode(method: method, path: path, body: body, host: host)
        do {
            try send(bytes)
            return try readResponse()
        } catch ClientError.io(let reason) where start == buffer.count {
            buffer.removeAll()
            start = 0
            do { try connect() } catch { throw ClientError.io("\(reason); reconnecting: \(error)") }
            try send(bytes)
            return try readResponse()
        }
    }

    /// `GET path`.
    public func get(_ path: String) throws -> Response { try request("GET", path) }

    private let queue = DispatchQueue(label: "mesh.loopback-http-client")

    /// `request` run on the client's dispatch queue (never blocks a Swift concurrency thread).
    public func send(_ method: String, _ path: String, body: Data? = nil) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.request(method, path, body: body) })
            }
        }
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, json: Data) throws -> Response { try request("POST", path, body: json) }

    /// Writes raw bytes (one or more encoded requests, for pipelining).
    public func send(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        throw ClientError.timedOut("\(host):\(port) accepted no byte for \(timeout) s")
                    }
                    throw ClientError.io("send: errno \(errno)")
                }
                offset += n
            }
        }
    }

    private func fill() throws {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 1 << 20 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EINTR { return }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                throw ClientError.timedOut("\(host):\(port) sent no byte for \(timeout) s")
            }
            throw ClientError.io("recv: errno \(errno)")
        }
        if n == 0 { throw ClientError.io("connection closed by the server") }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer[start...].firstIndex(of: 0x0A) {
                var end = i
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = i + 1
                return line
            }
            try fill()
        }
    }

    private func readBytes(_ count: Int) throws -> Data {
        while buffer.count - start < count { try fill() }
        let data = Data(buffer[start..<start + count])
        start += count
        return data
    }

    /// Reads one response from the connection.
    public func readResponse() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw ClientError.protocolViolation("status line '\(statusLine)'")
        }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else {
                throw ClientError.protocolViolation("header '\(line)'")
            }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Data()
        if let length = headers["content-length"].flatMap(Int.init) {
            body = try readBytes(length)
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw ClientError.protocolViolation("chunk size '\(sizeLine)'")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                body.append(try readBytes(size))
                _ = try readLine()
            }
        }
        if headers["connection"]?.lowercased() == "close" { try? connect() }
        return Response(status: status, headers: headers, body: body)
    }
}
