import Foundation
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
        #expect(config.circuitDirectory == base + "/circuits")
        #expect(config.settlement.mode == .reExecute)
        #expect(config.orchestrators.count == 1)
        #expect(config.genesis.first?.bonded == 10_000_000_000)
        #expect(!config.tinyModel)
        #expect(config.heartbeatToleranceMs == 30_000)
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

    @Test func keyFilesAreRead() throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "keys")
        try Data((String(repeating: "ab", count: 32) + "\n").utf8).write(
            to: dir.appendingPathComponent("k.hex"))
        let key = ValidatorConfig.SecretKey(file: dir.appendingPathComponent("k.hex").path)
        #expect(try key.bytes(relativeTo: dir, what: "k") == Data(repeating: 0xab, count: 32))
        #expect(throws: ValidatorConfig.Problem.self) {
            try ValidatorConfig.SecretKey(hex: "abc").bytes(relativeTo: dir, what: "k")
        }
        #expect(throws: ValidatorConfig.Problem.self) {
            try ValidatorConfig.SecretKey(hex: "00", file: "x").bytes(relativeTo: dir, what: "k")
        }
    }
}
