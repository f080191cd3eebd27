import Foundation
import NIOCore
import NIOEmbedded
import Receipts
import Synchronization
import TestSupport
import Testing

@testable import Validator

#if canImport(Glibc)
    import Glibc
#endif

/// One raw TCP connection to the validator, for clients that misbehave on purpose.
final class RawConnection {
    private(set) var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidatorError.unavailable("socket: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            fd = -1  // deinit runs for a class whose init throws: never close a number twice
            throw ValidatorError.unavailable("connect: errno \(errno)")
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends `text`; false when the peer has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            == bytes.count
    }

    /// Whatever arrives within `timeout` seconds: the bytes, empty when the peer closed, `nil` on
    /// timeout.
    func receive(timeout: Double) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n <= 0 ? [] : Array(buffer[0..<n])
    }

    /// Reads until the peer closes or `timeout` seconds pass; true when it closed.
    func closedWithin(_ timeout: Double) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            guard let bytes = receive(timeout: end.timeIntervalSinceNow) else { return false }
            if bytes.isEmpty { return true }
        }
        return false
    }

    /// One `GET path`: the status line's code, or `nil` when no complete status line arrived in
    /// `timeout` seconds.
    func get(_ path: String, timeout: Double) -> Int? {
        guard send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") else { return nil }
        guard let bytes = receive(timeout: timeout), !bytes.isEmpty else { return nil }
        let line = String(decoding: bytes.prefix(while: { $0 != 13 }), as: UTF8.self)
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}

/// Connection discipline of the real binary (specs/service.md §2.1): stalled clients can neither
/// exhaust the descriptors nor keep a normal client, `/healthz` included, waiting.
@Suite(.serialized, .enabled(if: ServeBinary.url != nil, "needs the built mesh-validator binary"))
struct ConnectionDisciplineTests {
    func start(descriptorLimit: Int, connections: [String: Int]) throws -> ServeProcess {
        let dir = try RepoPaths.temporaryDirectory(prefix: "serve-conn")
        let config: [String: Any] = [
            "listen": ["host": "127.0.0.1", "port": 0],
            "dataDirectory": "data",
            "identityKey": ["hex": Hex.encode(SchnorrSigningKey.generate().rawRepresentation)],
            "checkpointKey": ["hex": String(repeating: "5c", count: 32)],
            "orchestrators": [SchnorrSigningKey.generate().publicKey.hex],
            "logLevel": "error", "connections": connections,
        ]
        let url = dir.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        return try ServeProcess(
            binary: try #require(ServeBinary.url), config: url,
            launcher: ["prlimit", "--nofile=\(descriptorLimit):\(descriptorLimit)", "--"])
    }

    @Test func stalledClientsPastTheDescriptorLimitLeaveTheServiceAnswering() throws {
        // 256 descriptors; 300 stalled connections: trickled heads and half-sent bodies.
        let server = try start(descriptorLimit: 256, connections: [:])
        defer { _ = server.terminate() }
        var stalled: [RawConnection] = []
        for i in 0..<300 {
            let c = try RawConnection(port: server.port)
            if i % 2 == 0 {
                c.send("POST /v1/receipts HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            } else {
                c.send(
                    "POST /v1/receipts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                        + String(repeating: "x", count: 500))
            }
            stalled.append(c)
        }
        for round in 0..<5 {
            // Keep trickling: one more header line on every head still open.
            for (i, c) in stalled.enumerated() where i % 2 == 0 { c.send("X-Trickle-\(round): 1\r\n") }
            // Whether the service answers at all, not how fast: a starved service never does, and
            // the bound is generous so a loaded CI machine cannot fail it (speed is benchmarked).
            let client = try RawConnection(port: server.port)
            let status = client.get("/healthz", timeout: 15)
            #expect(
                status == 200,
                "round \(round): /healthz answered \(status.map(String.init) ?? "nothing") within 15 s")
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(server.process.isRunning)
    }

    @Test func eachPhaseHasItsTimeout() throws {
        let server = try start(
            descriptorLimit: 1024,
            connections: ["idleTimeoutMs": 600, "headerTimeoutMs": 800, "bodyTimeoutMs": 1000])
        defer { _ = server.terminate() }
        let idle = try RawConnection(port: server.port)
        let head = try RawConnection(port: server.port)
        head.send("GET /healthz HTTP/1.1\r\n")
        let body = try RawConnection(port: server.port)
        body.send(
            "POST /v1/receipts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        // Each stalled connection is closed by its phase's timeout (0.6–1 s); the bounds below are
        // generous so load cannot fail them: a missing timeout never closes the connection.
        // Keep-alive: a connection that was answered waits idleTimeoutMs for the next request.
        let kept = try RawConnection(port: server.port)
        #expect(kept.get("/healthz", timeout: 15) == 200)
        #expect(idle.closedWithin(10), "idle connection kept open")
        #expect(head.closedWithin(10), "trickled head kept open")
        #expect(body.closedWithin(10), "half-sent body kept open")
        #expect(kept.closedWithin(10), "keep-alive connection kept open")
        // A normal client is served throughout.
        #expect(try RawConnection(port: server.port).get("/healthz", timeout: 15) == 200)
    }

    /// At capacity the connection longest in its phase goes first (a fresh one last); when every
    /// connection is being answered the new one is refused.
    @Test func evictionTakesTheLongestStalledConnection() throws {
        var policy = ValidatorConfig.Connections().policy
        policy.maxConnections = 3
        let governor = ConnectionGovernor(
            policy: policy, descriptorLimit: 1 << 16, metrics: ValidatorMetrics())
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let channels = (0..<4).map { _ in EmbeddedChannel() }
        for channel in channels { try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait() }
        let a = try #require(governor.admit(channels[0], now: t0))
        let b = try #require(governor.admit(channels[1], now: t0 + .seconds(1)))
        _ = try #require(governor.admit(channels[2], now: t0 + .seconds(2)))
        governor.enter(.readingHead, id: a, now: t0 + .seconds(3))  // a trickled head started later
        governor.enter(.handling, id: b, now: t0 + .seconds(3))
        // Full: c (idle since 2 s, the oldest not answering) is closed for d.
        let d = try #require(governor.admit(channels[3], now: t0 + .seconds(4)))
        #expect(!channels[2].isActive)
        #expect(channels[0].isActive && channels[1].isActive && channels[3].isActive)
        #expect(governor.openConnections == 3)
        // Everyone answering: a new connection is refused, nothing is closed.
        governor.enter(.handling, id: a, now: t0 + .seconds(5))
        governor.enter(.handling, id: d, now: t0 + .seconds(5))
        let e = EmbeddedChannel()
        #expect(governor.admit(e, now: t0 + .seconds(6)) == nil)
        #expect(governor.openConnections == 3)
    }

    @Test func theCapLeavesDescriptorsForStorage() {
        let metrics = ValidatorMetrics()
        let policy = ValidatorConfig.Connections().policy
        #expect(ConnectionGovernor(policy: policy, descriptorLimit: 1024, metrics: metrics).capacity == 896)
        #expect(ConnectionGovernor(policy: policy, descriptorLimit: 256, metrics: metrics).capacity == 192)
        #expect(
            ConnectionGovernor(policy: policy, descriptorLimit: 1 << 20, metrics: metrics).capacity == 4096)
    }
}

/// The memory budget for bodies in flight (specs/service.md §2.2), measured on the real binary.
@Suite(.serialized, .enabled(if: ServeBinary.url != nil, "needs the built mesh-validator binary"))
struct BodyBudgetTests {
    /// `VmHWM` and `VmRSS` of `pid`, in bytes.
    static func memory(of pid: Int32) throws -> (peak: Int, resident: Int) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmHWM"), field("VmRSS"))
    }

    /// A 1,024-receipt batch of about 29 MiB: signed receipts for a job nobody announced, each
    /// with a 5,500-token output tensor.
    static func largeBatch() throws -> Data {
        let node = SchnorrSigningKey.generate()
        let output = try KernelShardExecutor.tokenTensor((0..<5500).map { Int32($0 % 64) })
        let receipt = Receipt(
            jobID: TaggedHash.hash(tag: "test/budget", Data("job".utf8)), modelID: Digest32.sha256(Data()),
            layerStart: 0, layerEnd: 1, inputCommitment: Digest32.sha256(Data("in".utf8)),
            outputCommitment: Digest32.sha256(output), node: node.publicKey, startedAtMs: 1, finishedAtMs: 2,
            sequence: 1)
        let item = ReceiptSubmission(signed: try .sign(receipt, with: node), output: output).json()
        var body = Data(#"{"receipts":["#.utf8)
        for i in 0..<1024 {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(item)
        }
        body.append(contentsOf: Array("]}".utf8))
        return body
    }

    @Test func concurrentLargeBatchesStayWithinTheBudget() throws {
        let budget = 128 << 20
        let dir = try RepoPaths.temporaryDirectory(prefix: "serve-budget")
        let config: [String: Any] = [
            "listen": ["host": "127.0.0.1", "port": 0], "dataDirectory": "data",
            "identityKey": ["hex": Hex.encode(SchnorrSigningKey.generate().rawRepresentation)],
            "checkpointKey": ["hex": String(repeating: "5c", count: 32)],
            "orchestrators": [SchnorrSigningKey.generate().publicKey.hex], "logLevel": "error",
            "limits": ["maxBodyMemoryInFlight": budget],
        ]
        let url = dir.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        let server = try ServeProcess(binary: try #require(ServeBinary.url), config: url)
        defer { _ = server.terminate() }
        let body = try Self.largeBatch()
        #expect(body.count > 28 << 20 && body.count < 32 << 20, "batch is \(body.count) bytes")
        // Warm up with one small request; the baseline is the resident set afterwards.
        #expect(try LoopbackHTTPClient(port: server.port).get("/healthz").status == 200)
        let baseline = try Self.memory(of: server.process.processIdentifier).resident

        let statuses = Mutex<[Int]>([])
        let port = server.port
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let status =
                (try? LoopbackHTTPClient(port: port).post("/v1/receipts/batch", json: body))?.status ?? -1
            statuses.withLock { $0.append(status) }
        }
        let seen = statuses.withLock { $0 }
        let (peak, after) = try Self.memory(of: server.process.processIdentifier)
        print(
            "budget test: baseline \(baseline >> 20) MiB, peak \(peak >> 20) MiB, after \(after >> 20) MiB, statuses \(seen)"
        )
        #expect(seen.contains(200), "no batch got through: \(seen)")
        #expect(seen.allSatisfy { $0 == 200 || $0 == 503 }, "\(seen)")
        #expect(
            peak <= baseline + budget, "peak \(peak >> 20) MiB over baseline \(baseline >> 20) MiB + budget")
        #expect(
            after <= baseline + (32 << 20),
            "\(after >> 20) MiB stayed resident (baseline \(baseline >> 20) MiB)")
    }
}
