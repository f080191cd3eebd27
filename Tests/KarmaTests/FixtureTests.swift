import Foundation
import Karma
import Receipts
import TestSupport
import Testing

/// Runs every case under Fixtures/karma and checks the generator reproduces them byte for byte.
///
/// Regenerate with `MESH_REGENERATE_KARMA_FIXTURES=1 swift test --filter FixtureTests` (the
/// generator refuses to write a case whose engine result breaks its hand-derived `expect`).
@Suite(.serialized) struct FixtureTests {
    static let root = RepoPaths.fixture("karma")

    @Test func everyCasePasses() throws {
        let cases = KarmaFixtures.discover(root: Self.root)
        #expect(cases.count >= 40, "found \(cases.count) cases")
        for c in cases {
            let result = KarmaFixtures.run(c)
            #expect(result.passed, "\(c.name): \(result.failure ?? "")")
        }
    }

    @Test func parametersFileIsTheBuiltInV1() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("params/v2.json"))
        #expect(try KarmaParameters(json: data) == .v2)
        #expect(KarmaParameters.v2.json() == data)
    }

    @Test func generatorReproducesFixtures() throws {
        let regenerate = ProcessInfo.processInfo.environment["MESH_REGENERATE_KARMA_FIXTURES"] == "1"
        let out = regenerate ? Self.root : try RepoPaths.temporaryDirectory(prefix: "karma-fixtures")
        try FixtureWriter.write(FixtureCases.all, to: out)
        // Every generated case passes the runner, including its hand-derived expectations.
        for c in KarmaFixtures.discover(root: out) {
            let result = KarmaFixtures.run(c)
            #expect(result.passed, "\(c.name): \(result.failure ?? "")")
        }
        guard !regenerate else { return }
        for c in FixtureCases.all {
            for file in ["case.json", "pre.json", "events.jsonl", "post.json"] {
                let rel = "\(c.suite)/\(c.name)/\(file)"
                let generated = FileManager.default.contents(atPath: out.appendingPathComponent(rel).path)
                let onDisk = FileManager.default.contents(atPath: Self.root.appendingPathComponent(rel).path)
                #expect(
                    generated == onDisk, "\(rel) differs from the generator's output; regenerate the fixtures"
                )
            }
        }
    }

    @Test func caseNamesAreUnique() {
        let names = FixtureCases.all.map { "\($0.suite)/\($0.name)" }
        #expect(Set(names).count == names.count)
    }
}

/// Writes generated cases in the on-disk layout.
enum FixtureWriter {
    static func write(_ cases: [GeneratedCase], to root: URL) throws {
        let fm = FileManager.default
        let params = root.appendingPathComponent("params")
        try fm.createDirectory(at: params, withIntermediateDirectories: true)
        try KarmaParameters.v2.json().write(to: params.appendingPathComponent("v2.json"))
        let engine = try KarmaEngine(parameters: .v2)
        for c in cases {
            let dir = root.appendingPathComponent(c.suite).appendingPathComponent(c.name)
            if fm.fileExists(atPath: dir.path) { try fm.removeItem(at: dir) }
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            var nodes: [String: JSONValue] = [:]
            for (alias, key) in TestKeys.aliases { nodes[alias] = .string(key.publicKey.hex) }
            var info: [String: JSONValue] = [
                "desc": .string(c.desc), "params": .string("v2"), "nodes": .object(nodes),
                "expect": .object(c.expect.mapValues { .string($0) }),
            ]
            if let w = c.wantError { info["wantError"] = .string(w) }
            try (JSONOutput.data(.object(info)) + Data("\n".utf8)).write(
                to: dir.appendingPathComponent("case.json"))
            try c.pre.json().write(to: dir.appendingPathComponent("pre.json"))
            var lines = c.events.map { $0.jsonLine() }
            if let edit = c.editLastLine, let last = lines.popLast() { lines.append(edit(last)) }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(
                to: dir.appendingPathComponent("events.jsonl"))
            if c.wantError == nil {
                let post = try engine.replay(c.events, from: c.pre)
                try post.json().write(to: dir.appendingPathComponent("post.json"))
            }
        }
    }
}
