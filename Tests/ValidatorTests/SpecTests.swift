import Foundation
import Ledger
import Receipts
import TestSupport
import Testing

@testable import Validator

/// specs/openapi.yaml and Fixtures/service/ agree with the code.
@Suite struct SpecTests {
    /// `METHOD /path` pairs declared under `paths:` in specs/openapi.yaml (2-space path keys,
    /// 4-space method keys).
    func specRoutes() throws -> Set<String> {
        let text = try String(
            contentsOf: RepoPaths.root().appendingPathComponent("specs/openapi.yaml"), encoding: .utf8)
        var routes = Set<String>()
        var inPaths = false
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.hasPrefix(" "), !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                current = String(line.dropFirst(2).dropLast())
            } else if let path = current, line.hasPrefix("    "), !line.hasPrefix("     "),
                line.hasSuffix(":")
            {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "delete", "patch"].contains(method) {
                    routes.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return routes
    }

    @Test func openAPIListsExactlyTheServedRoutes() throws {
        let h = try Harness()
        var served = Set(
            h.router.routes.map { route -> String in
                let path = "\(route.path)".split(separator: "/").map { part -> String in
                    if part == "**" { return "{path}" }
                    if part.hasPrefix(":") { return "{\(part.dropFirst())}" }
                    return String(part)
                }.joined(separator: "/")
                return "\(route.method) /\(path)"
            })
        // One catch-all route serves the c2sp.org/tlog-tiles paths the spec lists one by one.
        let tiles: Set = [
            "GET /tile/{L}/{N}", "GET /tile/{L}/{N}.p/{W}", "GET /tile/entries/{N}",
            "GET /tile/entries/{N}.p/{W}",
        ]
        #expect(served.contains("GET /tile/{path}"))
        served.remove("GET /tile/{path}")
        served.formUnion(tiles)
        let spec = try specRoutes()
        #expect(spec.count >= 14)
        #expect(
            served.subtracting(spec).isEmpty,
            "served but not in specs/openapi.yaml: \(served.subtracting(spec))")
        #expect(
            spec.subtracting(served).isEmpty,
            "in specs/openapi.yaml but not served: \(spec.subtracting(served))")
    }

    @Test func exampleConfigLoadsAndResolvesPaths() throws {
        let url = RepoPaths.fixture("service/example-config.json")
        let config = try ValidatorConfig.load(from: url.path)
        let base = url.deletingLastPathComponent().path
        #expect(config.listen == .init(host: "127.0.0.1", port: 8080))
        #expect(config.dataDirectory == base + "/data")
        #expect(config.identityKey.file == base + "/keys/validator.bip340.hex")
        #expect(config.modelDirectory == base + "/models")
        #expect(
            config.circuitDirectory.map { URL(fileURLWithPath: $0).standardized.path }
                == RepoPaths.root().appendingPathComponent("Circuits").standardized.path)
        #expect(config.settlement.mode == .reExecute)
        #expect(config.orchestrators.count == 1)
        #expect(config.genesis.first?.bonded == 10_000_000_000)
        #expect(!config.tinyModel)
        #expect(config.heartbeatToleranceMs == 30_000)
    }

    /// The shipped example starts: its key files (both keygen formats), model and circuit
    /// directories are there. Only the port and the data directory are changed, to run beside CI.
    @Test func exampleConfigStartsAsShipped() async throws {
        var config = try ValidatorConfig.load(from: RepoPaths.fixture("service/example-config.json").path)
        config.listen.port = 0
        config.dataDirectory = try RepoPaths.temporaryDirectory(prefix: "example-config").path
        let dependencies = try await ValidatorDependencies.open(config: config)
        let server = try await RunningValidator.start(
            config: config, dependencies: dependencies, logLevel: "error")
        let health = try await LoopbackHTTPClient(port: server.port).send("GET", "/healthz")
        #expect(health.status == 200)
        try await server.shutdown()
    }

    @Test(arguments: [
        ("{}", "missing field \"dataDirectory\""),
        ("[]", "config"),
        (
            "{\"dataDirectory\":\"d\",\"identityKey\":{},\"checkpointKey\":{},\"orchestrators\":[\"zz\"]}",
            "orchestrators[0]"
        ),
        (
            "{\"dataDirectory\":\"d\",\"identityKey\":{},\"checkpointKey\":{},\"orchestrators\":[]}",
            "at least one orchestrator"
        ),
        (
            "{\"dataDirectory\":\"d\",\"identityKey\":{},\"checkpointKey\":{},\"listen\":{\"host\":\"x\",\"port\":70000},"
                + "\"orchestrators\":[\"79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\"]}",
            "listen.port"
        ),
        (
            Self.withStorage(#"{"sqlite":{"directory":"a"},"postgres":{"url":"postgres://u@h/db"}}"#),
            "exactly one"
        ),
        (Self.withStorage(#"{"postgres":{"url":"mysql://u@h/db"}}"#), "storage.postgres.url"),
        (Self.withStorage(#"{"postgres":{"url":"postgres://h/db"}}"#), "no user"),
        (Self.withStorage(#"{"postgres":{"url":"postgres://u@h/db","pool":0}}"#), "storage.postgres.pool"),
        (Self.withStorage(#"{"sqlite":{"directory":"elsewhere"}}"#, dataDirectory: "d"), "differ"),
    ])
    func badConfigsNameTheProblem(json: String, fragment: String) throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "config")
        let url = dir.appendingPathComponent("config.json")
        try Data(json.utf8).write(to: url)
        do {
            _ = try ValidatorConfig.load(from: url.path)
            Issue.record("accepted a bad configuration: \(json)")
        } catch {
            #expect(error.description.contains(fragment) || fragment == "config", "\(error.description)")
        }
    }

    /// A minimal valid config with `storage` (and `dataDirectory` when given).
    static func withStorage(_ storage: String, dataDirectory: String? = nil) -> String {
        let data = dataDirectory.map { #""dataDirectory":"\#($0)","# } ?? ""
        return
            #"{\#(data)"storage":\#(storage),"identityKey":{"hex":"\#(String(repeating: "11", count: 32))"},"#
            + #""checkpointKey":{"hex":"\#(String(repeating: "22", count: 32))"},"#
            + #""orchestrators":["79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"]}"#
    }

    @Test func storageIsSQLiteUnlessConfigured() throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "config")
        let url = dir.appendingPathComponent("config.json")
        try Data(Self.withStorage(#"{"sqlite":{"directory":"db"}}"#).utf8).write(to: url)
        let sqlite = try ValidatorConfig.load(from: url.path)
        #expect(sqlite.storage == .sqlite(directory: dir.appendingPathComponent("db").path))
        #expect(sqlite.dataDirectory == dir.appendingPathComponent("db").path)
        try Data(Self.withStorage(#"{"postgres":{"url":"postgres://mesh@127.0.0.1:5432/mesh"}}"#).utf8).write(
            to: url)
        let postgres = try ValidatorConfig.load(from: url.path)
        #expect(postgres.storage == .postgres(url: "postgres://mesh@127.0.0.1:5432/mesh", pool: 4))
        let legacy = try ValidatorConfig.load(from: RepoPaths.fixture("service/example-config.json").path)
        #expect(legacy.storage == .sqlite(directory: legacy.dataDirectory))
        let encoded = try JSONEncoder().encode(postgres)
        #expect(try JSONDecoder().decode(ValidatorConfig.self, from: encoded).storage == postgres.storage)
    }

    /// A server that does not answer stops the start with its host and port named.
    @Test func unreachablePostgresIsNamedAtStart() async throws {
        var config = try ValidatorConfig.load(from: RepoPaths.fixture("service/example-config.json").path)
        config.storage = .postgres(url: "postgres://mesh@127.0.0.1:1/mesh", pool: 1)
        do {
            _ = try await ValidatorDependencies.open(config: config)
            Issue.record("opened a validator on a server that is not there")
        } catch let problem as ValidatorConfig.Problem {
            #expect(problem.description.contains("cannot connect to PostgreSQL at 127.0.0.1:1"), "\(problem)")
            #expect(problem.description.hasPrefix("storage.postgres: "), "\(problem)")
        }
    }

    @Test func keyFilesAreRead() throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "keys")
        try Data((String(repeating: "ab", count: 32) + "\n").utf8).write(
            to: dir.appendingPathComponent("k.hex"))
        let key = ValidatorConfig.SecretKey(file: dir.appendingPathComponent("k.hex").path)
        #expect(try key.bytes(what: "k") == Data(repeating: 0xab, count: 32))
        #expect(throws: ValidatorConfig.Problem.self) {
            try ValidatorConfig.SecretKey(hex: "abc").bytes(what: "k")
        }
        #expect(throws: ValidatorConfig.Problem.self) {
            try ValidatorConfig.SecretKey(hex: "00", file: "x").bytes(what: "k")
        }
    }

    @Test func keysFromBothKeygenCommandsAreAccepted() throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "keys")
        let signer = try NoteSigner.generate(name: "mesh.example/log")
        let file = dir.appendingPathComponent("checkpoint.key")
        try Data((signer.signerKey + "\n").utf8).write(to: file)
        let key = ValidatorConfig.SecretKey(file: file.path)
        #expect(try key.checkpointSeed(origin: "mesh.example/log") == signer.ed25519Seed32)
        #expect(throws: ValidatorConfig.Problem.self) { try key.checkpointSeed(origin: "other.example/log") }
        let hex = ValidatorConfig.SecretKey(hex: String(repeating: "cd", count: 32))
        #expect(try hex.checkpointSeed(origin: "any") == Data(repeating: 0xcd, count: 32))
        let broken = ValidatorConfig.SecretKey(hex: "PRIVATE+KEY+mesh.example/log+00000000+AAAA")
        do {
            _ = try broken.checkpointSeed(origin: "mesh.example/log")
            Issue.record("a malformed signer key was accepted")
        } catch { #expect(error.description.contains("checkpointKey")) }
    }

    @Test(arguments: [
        (#""logLevel":"loud""#, "logLevel \"loud\""),
        (#""connections":{"headerTimeoutMs":5}"#, "connections.headerTimeoutMs"),
        (#""connections":{"maxConnections":0}"#, "connections.maxConnections"),
        (#""limits":{"maxBodyMemoryInFlight":1048576}"#, "limits.maxBodyMemoryInFlight"),
        (#""settlement":{"mode":"sometimes"}"#, "settlement.mode"),
    ])
    func invalidValuesNameTheirMember(member: String, fragment: String) throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "config")
        let url = dir.appendingPathComponent("config.json")
        let text =
            #"{"dataDirectory":"d","identityKey":{"hex":"00"},"checkpointKey":{"hex":"00"},"#
            + #""orchestrators":["79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"],"#
            + member + "}"
        try Data(text.utf8).write(to: url)
        do {
            _ = try ValidatorConfig.load(from: url.path)
            Issue.record("\(member) was accepted")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }
}
