import Foundation
import Karma
import Ledger
import Logging
import NIOCore
import Receipts

/// The validator's configuration file (JSON; specs/service.md §2 lists every field, and
/// Fixtures/service/example-config.json is a complete example).
///
/// Relative paths are resolved against the directory of the configuration file.
public struct ValidatorConfig: Codable, Sendable, Equatable {
    /// Where the HTTP server listens.
    public struct Listen: Codable, Sendable, Equatable {
        public var host: String
        /// TCP port; 0 picks a free port (the chosen one is logged).
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = 8080) {
            self.host = host
            self.port = port
        }
    }

    /// A secret key given inline as hex or as a file that holds the hex (a trailing newline is
    /// allowed).
    public struct SecretKey: Codable, Sendable, Equatable {
        public var hex: String?
        public var file: String?

        public init(hex: String? = nil, file: String? = nil) {
            self.hex = hex
            self.file = file
        }

        /// The key text: `hex`, or the trimmed contents of `file`.
        ///
        /// - Throws: `ValidatorConfig.Problem` when neither or both are given or the file is
        ///   unreadable.
        func text(what: String) throws(ValidatorConfig.Problem) -> String {
            switch (hex, file) {
            case (let hex?, nil): return hex.trimmingCharacters(in: .whitespacesAndNewlines)
            case (nil, let file?):
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                    throw .init("\(what): cannot read key file \(file): \(error.localizedDescription)")
                }
                return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            default: throw .init("\(what): give exactly one of \"hex\" or \"file\"")
            }
        }

        /// The 32 secret bytes, given as 64 hex characters (as `mesh-validator keygen` writes).
        ///
        /// - Throws: `ValidatorConfig.Problem` when neither or both are given, the file is
        ///   unreadable, or the text is not 64 hex characters.
        public func bytes(what: String) throws(ValidatorConfig.Problem) -> Data {
            guard let bytes = Hex.decode(try text(what: what)), bytes.count == 32 else {
                throw .init("\(what): the key must be 64 hex characters (32 bytes)")
            }
            return bytes
        }

        /// The Ed25519 checkpoint seed: 64 hex characters, or a C2SP note signer key
        /// `PRIVATE+KEY+<name>+<id>+<base64>` as `mesh-validator ledger keygen` writes, whose name
        /// must be the log's `origin`.
        public func checkpointSeed(origin: String) throws(ValidatorConfig.Problem) -> Data {
            let text = try text(what: "checkpointKey")
            guard text.hasPrefix("PRIVATE+KEY+") else { return try bytes(what: "checkpointKey") }
            let signer: NoteSigner
            do { signer = try NoteSigner(signerKey: text) } catch {
                throw .init("checkpointKey: not a usable note signer key: \(error)")
            }
            guard signer.name == origin else {
                throw .init(
                    "checkpointKey: the signer key is named \"\(signer.name)\" but logOrigin is \"\(origin)\"; create the key with `ledger keygen --name \(origin)` or set logOrigin to its name"
                )
            }
            return signer.ed25519Seed32
        }
    }

    /// One genesis allocation (specs/karma.md §5.6): written as the ledger's first entry when the
    /// ledger is created, e.g. to give the validator its minimum bond.
    public struct GenesisAllocation: Codable, Sendable, Equatable {
        /// Hex x-only key.
        public var node: String
        /// µK credited to the liquid balance.
        public var balance: UInt64
        /// µK credited as bonded stake.
        public var bonded: UInt64

        public init(node: String, balance: UInt64, bonded: UInt64) {
            self.node = node
            self.balance = balance
            self.bonded = bonded
        }
    }

    /// How jobs are settled.
    public struct Settlement: Codable, Sendable, Equatable {
        /// `re-execute`: always re-run the shard. `verify-proofs`: when the layer has a registered
        /// circuit and a receipt carries a proof, verify the proof instead (falling back to
        /// re-execution when no proof verifies).
        public var mode: Mode
        /// How often the deadline sweeper looks for expired jobs, in milliseconds.
        public var sweepIntervalMs: Int
        /// Threads for re-execution and proof checks: the bound on concurrent kernel runs
        /// (`ComputePool`; default one per core less one, at least 1).
        public var computeThreads: Int
        /// When a job whose assigned nodes all reported the same output is re-executed
        /// (specs/service.md §4.1): `always`, never (`on-dispute`), or when the verifiable audit
        /// draw says so (`audited`, the default).
        public var reExecute: ReExecute
        /// `audited`: the audit probability in parts per million the operator asks for; the rules'
        /// minimum for the quorum (specs/karma.md §5.8) applies when it is higher.
        public var auditPPM: Int

        public enum Mode: String, Codable, Sendable {
            case reExecute = "re-execute"
            case verifyProofs = "verify-proofs"
        }

        public enum ReExecute: String, Codable, Sendable {
            case always
            case onDispute = "on-dispute"
            case audited
        }

        public init(
            mode: Mode = .reExecute, sweepIntervalMs: Int = 200,
            computeThreads: Int = ComputePool.defaultThreads, reExecute: ReExecute = .audited,
            auditPPM: Int = Int(AuditRule.floorPPM)
        ) {
            self.mode = mode
            self.sweepIntervalMs = sweepIntervalMs
            self.computeThreads = computeThreads
            self.reExecute = reExecute
            self.auditPPM = auditPPM
        }

        private enum CodingKeys: String, CodingKey {
            case mode, sweepIntervalMs, computeThreads, reExecute, auditPPM
        }

        /// Decodes with the defaults for members that are absent.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Settlement()
            mode = try c.value(.mode, or: d.mode)
            sweepIntervalMs = try c.value(.sweepIntervalMs, or: d.sweepIntervalMs)
            computeThreads = try c.value(.computeThreads, or: d.computeThreads)
            reExecute = try c.value(.reExecute, or: d.reExecute)
            auditPPM = try c.value(.auditPPM, or: d.auditPPM)
        }
    }

    /// Request body limits, in bytes.
    public struct Limits: Codable, Sendable, Equatable {
        /// `POST /v1/receipts` (receipt JSON plus base64 tensors and proof).
        public var maxReceiptBodyBytes: Int
        /// `POST /v1/jobs` (announcement plus an optional base64 input tensor).
        public var maxJobBodyBytes: Int
        /// Heartbeats, seeding receipts and staking requests.
        public var maxSmallBodyBytes: Int
        /// `POST /v1/receipts/batch` (up to `ReceiptBatch.maxItems` submissions).
        public var maxBatchBodyBytes: Int
        /// Memory that request bodies in flight may take together, across all requests
        /// (`BodyBudget`; specs/service.md §2.2). Must cover `BodyBudget.chargePerByte` × the
        /// largest per-endpoint limit, so one largest body always fits an idle server.
        public var maxBodyMemoryInFlight: Int

        public init(
            maxReceiptBodyBytes: Int = 8 << 20, maxJobBodyBytes: Int = 8 << 20,
            maxSmallBodyBytes: Int = 64 << 10, maxBatchBodyBytes: Int = 32 << 20,
            maxBodyMemoryInFlight: Int = 256 << 20
        ) {
            self.maxReceiptBodyBytes = maxReceiptBodyBytes
            self.maxJobBodyBytes = maxJobBodyBytes
            self.maxSmallBodyBytes = maxSmallBodyBytes
            self.maxBatchBodyBytes = maxBatchBodyBytes
            self.maxBodyMemoryInFlight = maxBodyMemoryInFlight
        }

        private enum CodingKeys: String, CodingKey {
            case maxReceiptBodyBytes, maxJobBodyBytes, maxSmallBodyBytes, maxBatchBodyBytes
            case maxBodyMemoryInFlight
        }

        /// Decodes with the defaults for members that are absent.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Limits()
            maxReceiptBodyBytes = try c.value(.maxReceiptBodyBytes, or: d.maxReceiptBodyBytes)
            maxJobBodyBytes = try c.value(.maxJobBodyBytes, or: d.maxJobBodyBytes)
            maxSmallBodyBytes = try c.value(.maxSmallBodyBytes, or: d.maxSmallBodyBytes)
            maxBatchBodyBytes = try c.value(.maxBatchBodyBytes, or: d.maxBatchBodyBytes)
            maxBodyMemoryInFlight = try c.value(.maxBodyMemoryInFlight, or: d.maxBodyMemoryInFlight)
        }

        /// The largest per-endpoint body limit.
        var largestBody: Int {
            max(maxReceiptBodyBytes, maxJobBodyBytes, maxSmallBodyBytes, maxBatchBodyBytes)
        }
    }

    /// Connection discipline (specs/service.md §2.1); times in milliseconds.
    public struct Connections: Codable, Sendable, Equatable {
        /// Cap on open connections; lowered at start to leave descriptors for storage
        /// (`ConnectionGovernor.capacity`).
        public var maxConnections: Int
        /// How long a connection may wait for the first byte of a request.
        public var idleTimeoutMs: Int
        /// How long a request head may take, from its first byte.
        public var headerTimeoutMs: Int
        /// How long a request body may take, from the end of the head.
        public var bodyTimeoutMs: Int
        /// Most `GET /v1/events` streams open at once (specs/service.md §3.6); 0 disables them.
        /// A stream is a connection being answered, which the governor never evicts, so the
        /// service uses at most half of `maxConnections` (``eventStreamCap``).
        public var maxEventStreams: Int
        /// How long one event stream lasts before the server ends it (the browser reconnects).
        public var eventStreamMaxMs: Int

        public init(
            maxConnections: Int = 4096, idleTimeoutMs: Int = 60_000, headerTimeoutMs: Int = 10_000,
            bodyTimeoutMs: Int = 60_000, maxEventStreams: Int = 32, eventStreamMaxMs: Int = 300_000
        ) {
            self.maxConnections = maxConnections
            self.idleTimeoutMs = idleTimeoutMs
            self.headerTimeoutMs = headerTimeoutMs
            self.bodyTimeoutMs = bodyTimeoutMs
            self.maxEventStreams = maxEventStreams
            self.eventStreamMaxMs = eventStreamMaxMs
        }

        private enum CodingKeys: String, CodingKey {
            case maxConnections, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs, maxEventStreams
            case eventStreamMaxMs
        }

        /// Decodes with the defaults for members that are absent.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Connections()
            maxConnections = try c.value(.maxConnections, or: d.maxConnections)
            idleTimeoutMs = try c.value(.idleTimeoutMs, or: d.idleTimeoutMs)
            headerTimeoutMs = try c.value(.headerTimeoutMs, or: d.headerTimeoutMs)
            bodyTimeoutMs = try c.value(.bodyTimeoutMs, or: d.bodyTimeoutMs)
            maxEventStreams = try c.value(.maxEventStreams, or: d.maxEventStreams)
            eventStreamMaxMs = try c.value(.eventStreamMaxMs, or: d.eventStreamMaxMs)
        }

        /// The event streams allowed at once: `maxEventStreams`, at most half of `maxConnections`.
        public var eventStreamCap: Int { min(maxEventStreams, maxConnections / 2) }

        /// The governor's policy.
        public var policy: ConnectionGovernor.Policy {
            .init(
                maxConnections: maxConnections, idleTimeout: .milliseconds(Int64(idleTimeoutMs)),
                headerTimeout: .milliseconds(Int64(headerTimeoutMs)),
                bodyTimeout: .milliseconds(Int64(bodyTimeoutMs)))
        }
    }

    /// Where the validator keeps jobs, receipts, tensors, the heartbeat journal and the ledger
    /// (specs/service.md §2, §5).
    public enum Storage: Codable, Sendable, Equatable {
        /// `validator.sqlite` and `ledger.sqlite` in `directory` (the default).
        case sqlite(directory: String)
        /// One PostgreSQL database (`url`: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`), with
        /// at most `pool` connections per store (the job store and the ledger each have theirs).
        case postgres(url: String, pool: Int)

        /// Connections per store when `pool` is not given.
        public static let defaultPool = 4

        private enum Kind: String, CodingKey { case sqlite, postgres }
        private enum SQLiteKeys: String, CodingKey { case directory }
        private enum PostgresKeys: String, CodingKey { case url, pool }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Kind.self)
            switch (c.contains(.sqlite), c.contains(.postgres)) {
            case (true, false):
                let s = try c.nestedContainer(keyedBy: SQLiteKeys.self, forKey: .sqlite)
                self = .sqlite(directory: try s.decode(String.self, forKey: .directory))
            case (false, true):
                let p = try c.nestedContainer(keyedBy: PostgresKeys.self, forKey: .postgres)
                self = .postgres(
                    url: try p.decode(String.self, forKey: .url),
                    pool: try p.decodeIfPresent(Int.self, forKey: .pool) ?? Self.defaultPool)
            default:
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "storage must hold exactly one of \"sqlite\" or \"postgres\""))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Kind.self)
            switch self {
            case .sqlite(let directory):
                var s = c.nestedContainer(keyedBy: SQLiteKeys.self, forKey: .sqlite)
                try s.encode(directory, forKey: .directory)
            case .postgres(let url, let pool):
                var p = c.nestedContainer(keyedBy: PostgresKeys.self, forKey: .postgres)
                try p.encode(url, forKey: .url)
                try p.encode(pool, forKey: .pool)
            }
        }
    }

    /// Several processes on one PostgreSQL database (specs/service.md §8): how this process is
    /// named in the log's lease and how it times the lease.
    public struct Cluster: Codable, Sendable, Equatable {
        /// This process's name in the lease, and what followers answer node requests with so a
        /// client finds the leader: give the URL the process is reachable at. Unique per process
        /// (default: `HOSTNAME:PID`).
        public var name: String
        /// How long a lease lasts without renewal, in ms: the longest a dead leader holds the log
        /// (default 3,000; 500 – 60,000).
        public var leaseMs: Int
        /// How often the leader renews its lease, in ms (default 1,000; at most a third of `leaseMs`).
        public var renewMs: Int
        /// How often a follower reads the log's new entries and tries to take an expired lease,
        /// in ms (default 250; 10 – `leaseMs`).
        public var followMs: Int

        public static var defaultName: String {
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        }

        public init(
            name: String = Cluster.defaultName, leaseMs: Int = 3_000, renewMs: Int = 1_000,
            followMs: Int = 250
        ) {
            self.name = name
            self.leaseMs = leaseMs
            self.renewMs = renewMs
            self.followMs = followMs
        }

        private enum CodingKeys: String, CodingKey { case name, leaseMs, renewMs, followMs }

        /// Decodes with the defaults for members that are absent.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Cluster()
            name = try c.value(.name, or: d.name)
            leaseMs = try c.value(.leaseMs, or: d.leaseMs)
            renewMs = try c.value(.renewMs, or: d.renewMs)
            followMs = try c.value(.followMs, or: d.followMs)
        }

        /// Checks the ranges named in the members' documentation.
        func check() throws(Problem) {
            guard !name.isEmpty, name.utf8.count <= 256, !name.contains(where: \.isNewline) else {
                throw Problem("cluster.name must be one line of 1–256 bytes")
            }
            guard (500...60_000).contains(leaseMs) else {
                throw Problem("cluster.leaseMs = \(leaseMs) is outside 500 – 60,000")
            }
            guard renewMs >= 10, renewMs * 3 <= leaseMs else {
                throw Problem(
                    "cluster.renewMs = \(renewMs) must be at least 10 and at most a third of leaseMs (\(leaseMs)), so a leader renews twice before its lease can run out"
                )
            }
            guard (10...leaseMs).contains(followMs) else {
                throw Problem("cluster.followMs = \(followMs) is outside 10 – leaseMs (\(leaseMs))")
            }
        }
    }

    public var listen: Listen
    /// Directory holding `validator.sqlite` (jobs, receipts) and `ledger.sqlite` (the karma log):
    /// the SQLite storage's directory (``storage`` decides; with PostgreSQL it is unused). Setting
    /// it moves SQLite storage along.
    public var dataDirectory: String {
        didSet { if case .sqlite = storage { storage = .sqlite(directory: dataDirectory) } }
    }
    /// The storage backend; `.sqlite(directory: dataDirectory)` unless configured.
    public var storage: Storage
    /// With PostgreSQL storage, this process's part in the cluster (every process on PostgreSQL
    /// takes part, alone or not; defaults when absent). Refused with SQLite storage.
    public var cluster: Cluster?
    /// BIP-340 secret key: the validator's identity (credited with validation karma).
    public var identityKey: SecretKey
    /// Ed25519 32-byte seed that signs ledger checkpoints.
    public var checkpointKey: SecretKey
    /// Checkpoint origin line (C2SP tlog-checkpoint), e.g. `mesh.example/validator/1`.
    public var logOrigin: String
    /// Hex x-only keys of the orchestrators whose job announcements are accepted.
    public var orchestrators: [String]
    /// Directory of imported model packages (one subdirectory per model); `nil` uses only the
    /// built-in tiny test model.
    public var modelDirectory: String?
    /// Directory of registered layer circuits (`*.json`, specs/proofs.md); circuit jobs name a
    /// circuit id as their model id. `nil` registers none.
    public var circuitDirectory: String?
    /// Karma parameters file (specs/karma.md); `nil` uses the built-in defaults.
    public var karmaParametersFile: String?
    public var settlement: Settlement
    public var limits: Limits
    public var connections: Connections
    /// swift-log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String
    /// Allocations of the genesis entry, used only when the ledger is empty.
    public var genesis: [GenesisAllocation]
    /// Also hold the project's seeded tiny test model (for demos and tests; default `false`).
    public var tinyModel: Bool
    /// How far a heartbeat's timestamp may be from the validator's clock when it arrives, in ms
    /// (default 30,000; specs/service.md §5.3).
    public var heartbeatToleranceMs: UInt64

    public init(
        listen: Listen = Listen(), dataDirectory: String, identityKey: SecretKey, checkpointKey: SecretKey,
        logOrigin: String = "mesh-validator.local/log", orchestrators: [String],
        modelDirectory: String? = nil, circuitDirectory: String? = nil,
        karmaParametersFile: String? = nil, settlement: Settlement = Settlement(), limits: Limits = Limits(),
        connections: Connections = Connections(), logLevel: String = "info",
        genesis: [GenesisAllocation] = [], tinyModel: Bool = false,
        heartbeatToleranceMs: UInt64 = 30_000, storage: Storage? = nil, cluster: Cluster? = nil
    ) {
        self.storage = storage ?? .sqlite(directory: dataDirectory)
        self.cluster = cluster
        self.tinyModel = tinyModel
        self.heartbeatToleranceMs = heartbeatToleranceMs
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.identityKey = identityKey
        self.checkpointKey = checkpointKey
        self.logOrigin = logOrigin
        self.orchestrators = orchestrators
        self.modelDirectory = modelDirectory
        self.circuitDirectory = circuitDirectory
        self.karmaParametersFile = karmaParametersFile
        self.settlement = settlement
        self.limits = limits
        self.connections = connections
        self.logLevel = logLevel
        self.genesis = genesis
    }

    private enum CodingKeys: String, CodingKey {
        case listen, dataDirectory, identityKey, checkpointKey, logOrigin, orchestrators, modelDirectory
        case circuitDirectory, karmaParametersFile, settlement, limits, logLevel, genesis, tinyModel
        case heartbeatToleranceMs, connections, storage, cluster
    }

    /// Decodes with defaults for the optional sections.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listen = try c.value(.listen, or: Listen())
        let storage = try c.decodeIfPresent(Storage.self, forKey: .storage)
        switch storage {
        case nil:
            dataDirectory = try c.decode(String.self, forKey: .dataDirectory)
            self.storage = .sqlite(directory: dataDirectory)
        case .sqlite(let directory)?:
            if let legacy = try c.decodeIfPresent(String.self, forKey: .dataDirectory), legacy != directory {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: [CodingKeys.storage],
                        debugDescription:
                            "dataDirectory \(legacy) and storage.sqlite.directory \(directory) differ: give one"
                    ))
            }
            dataDirectory = directory
            self.storage = .sqlite(directory: directory)
        case let postgres?:
            dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory) ?? ""
            self.storage = postgres
        }
        cluster = try c.decodeIfPresent(Cluster.self, forKey: .cluster)
        identityKey = try c.decode(SecretKey.self, forKey: .identityKey)
        checkpointKey = try c.decode(SecretKey.self, forKey: .checkpointKey)
        logOrigin = try c.value(.logOrigin, or: "mesh-validator.local/log")
        orchestrators = try c.decode([String].self, forKey: .orchestrators)
        modelDirectory = try c.decodeIfPresent(String.self, forKey: .modelDirectory)
        circuitDirectory = try c.decodeIfPresent(String.self, forKey: .circuitDirectory)
        karmaParametersFile = try c.decodeIfPresent(String.self, forKey: .karmaParametersFile)
        settlement = try c.value(.settlement, or: Settlement())
        limits = try c.value(.limits, or: Limits())
        connections = try c.value(.connections, or: Connections())
        logLevel = try c.value(.logLevel, or: "info")
        genesis = try c.value(.genesis, or: [])
        tinyModel = try c.value(.tinyModel, or: false)
        heartbeatToleranceMs = try c.value(.heartbeatToleranceMs, or: 30_000)
    }

    /// A configuration problem a person can fix by editing the file.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Reads and checks a configuration file; relative paths in it are made absolute.
    public static func load(from path: String) throws(Problem) -> ValidatorConfig {
        let url = URL(fileURLWithPath: path)
        guard let data = try? Data(contentsOf: url) else { throw Problem("cannot read config file \(path)") }
        var config: ValidatorConfig
        do {
            config = try JSONDecoder().decode(ValidatorConfig.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw Problem("\(path): missing field \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw Problem(
                "\(path): wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.dataCorrupted(context) {
            throw Problem(
                "\(path): \(context.debugDescription) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            )
        } catch {
            throw Problem("\(path): \(error)")
        }
        config.resolvePaths(relativeTo: url.deletingLastPathComponent())
        try config.check()
        return config
    }

    /// Makes relative paths absolute against `base` (the config file's directory).
    public mutating func resolvePaths(relativeTo base: URL) {
        dataDirectory = Self.resolve(dataDirectory, relativeTo: base).path
        modelDirectory = modelDirectory.map { Self.resolve($0, relativeTo: base).path }
        circuitDirectory = circuitDirectory.map { Self.resolve($0, relativeTo: base).path }
        karmaParametersFile = karmaParametersFile.map { Self.resolve($0, relativeTo: base).path }
        identityKey.file = identityKey.file.map { Self.resolve($0, relativeTo: base).path }
        checkpointKey.file = checkpointKey.file.map { Self.resolve($0, relativeTo: base).path }
    }

    static func resolve(_ path: String, relativeTo base: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
    }

    /// Checks values that decoding alone cannot.
    public func check() throws(Problem) {
        guard (0...65535).contains(listen.port) else {
            throw Problem("listen.port \(listen.port) is not 0–65535")
        }
        guard !orchestrators.isEmpty else {
            throw Problem("orchestrators: list at least one orchestrator key")
        }
        for (i, key) in orchestrators.enumerated() {
            guard (try? XOnlyPublicKey(hex: key)) != nil else {
                throw Problem("orchestrators[\(i)]: not a 64-hex-character x-only secp256k1 key")
            }
        }
        guard !logOrigin.isEmpty, !logOrigin.contains("\n") else {
            throw Problem("logOrigin must be one non-empty line")
        }
        for (name, value) in [
            ("maxReceiptBodyBytes", limits.maxReceiptBodyBytes), ("maxJobBodyBytes", limits.maxJobBodyBytes),
            ("maxSmallBodyBytes", limits.maxSmallBodyBytes), ("maxBatchBodyBytes", limits.maxBatchBodyBytes),
        ] where value < 1024 || value > 1 << 30 {
            throw Problem("limits.\(name) = \(value) is outside 1 KiB – 1 GiB")
        }
        let floor = BodyBudget.chargePerByte * limits.largestBody
        guard limits.maxBodyMemoryInFlight >= floor, limits.maxBodyMemoryInFlight <= 1 << 40 else {
            throw Problem(
                "limits.maxBodyMemoryInFlight = \(limits.maxBodyMemoryInFlight) must be at least \(floor) (\(BodyBudget.chargePerByte) × the largest body limit, so one largest body fits)"
            )
        }
        guard (1...1_000_000).contains(connections.maxConnections) else {
            throw Problem("connections.maxConnections = \(connections.maxConnections) is outside 1–1,000,000")
        }
        for (name, value) in [
            ("idleTimeoutMs", connections.idleTimeoutMs), ("headerTimeoutMs", connections.headerTimeoutMs),
            ("bodyTimeoutMs", connections.bodyTimeoutMs),
        ] where !(100...3_600_000).contains(value) {
            throw Problem("connections.\(name) = \(value) is outside 100 ms – 1 h")
        }
        guard (0...10_000).contains(connections.maxEventStreams) else {
            throw Problem(
                "connections.maxEventStreams = \(connections.maxEventStreams) is outside 0 – 10,000")
        }
        guard (1_000...3_600_000).contains(connections.eventStreamMaxMs) else {
            throw Problem(
                "connections.eventStreamMaxMs = \(connections.eventStreamMaxMs) is outside 1 s – 1 h")
        }
        _ = try level()
        guard (Int(AuditRule.floorPPM)...Int(AuditDraw.certain)).contains(settlement.auditPPM) else {
            throw Problem(
                "settlement.auditPPM = \(settlement.auditPPM) is outside \(AuditRule.floorPPM)–1000000 "
                    + "(the rules' floor to always)")
        }
        guard (1...256).contains(settlement.computeThreads) else {
            throw Problem("settlement.computeThreads = \(settlement.computeThreads) is outside 1–256")
        }
        guard settlement.sweepIntervalMs >= 10 else {
            throw Problem("settlement.sweepIntervalMs must be ≥ 10")
        }
        for (i, g) in genesis.enumerated() where (try? XOnlyPublicKey(hex: g.node)) == nil {
            throw Problem("genesis[\(i)].node: not a 64-hex-character x-only secp256k1 key")
        }
        if case .postgres(let url, let pool) = storage {
            do { _ = try PostgresEndpoint(url: url) } catch {
                throw Problem("storage.postgres.url: \(error)")
            }
            guard (1...64).contains(pool) else {
                throw Problem("storage.postgres.pool = \(pool) is outside 1–64")
            }
            try clusterOrDefault?.check()
        } else if cluster != nil {
            throw Problem(
                "cluster: several processes share one PostgreSQL database; with SQLite storage there is one process (remove cluster, or configure storage.postgres)"
            )
        }
    }

    /// The cluster settings in force: `cluster` or the defaults with PostgreSQL storage, `nil`
    /// with SQLite.
    public var clusterOrDefault: Cluster? {
        guard case .postgres = storage else { return nil }
        return cluster ?? Cluster()
    }

    /// The swift-log level named by `logLevel`.
    public func level() throws(Problem) -> Logger.Level {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw Problem(
                "logLevel \"\(logLevel)\" is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return level
    }

    /// The orchestrator keys, parsed.
    public func orchestratorKeys() throws(Problem) -> Set<XOnlyPublicKey> {
        var keys = Set<XOnlyPublicKey>()
        for key in orchestrators {
            guard let parsed = try? XOnlyPublicKey(hex: key) else {
                throw Problem("bad orchestrator key \(key)")
            }
            keys.insert(parsed)
        }
        return keys
    }
}

extension KeyedDecodingContainer {
    /// The member's value, or `fallback` when the member is absent (a wrong type still throws).
    fileprivate func value<T: Decodable>(_ key: Key, or fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}
