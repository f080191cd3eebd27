import Foundation
import Receipts

/// One consensus-style test case on disk (specs/karma.md §10):
/// `Fixtures/karma/<suite>/<case>/` with `case.json`, `pre.json`, `events.jsonl` and, for valid
/// cases, `post.json`.
///
/// `case.json` holds `desc` (what is expected and why), `params` (the parameters file name under a
/// `params/` folder of an ancestor directory, e.g. `v2`), `nodes` (aliases → keys), `expect`
/// (hand-derived figures, `"alice.balance": "50000"`), and for `invalid_*` cases `wantError`
/// (a ``KarmaError/code``): every event but the last must apply and the last must be refused with
/// that error.
public struct KarmaFixtureCase: Sendable {
    /// `<suite>/<case>`.
    public var name: String
    public var directory: URL
}

/// The outcome of running one case.
public struct KarmaFixtureResult: Sendable {
    public var name: String
    /// nil when the case passed; otherwise what went wrong.
    public var failure: String?
    public var passed: Bool { failure == nil }
}

/// Finds and runs karma fixture cases; shared by the test suite and `mesh-validator fixtures run`.
public enum KarmaFixtures {
    /// Every case directory (one holding `events.jsonl`) under `root`, sorted by path.
    public static func discover(root: URL) -> [KarmaFixtureCase] {
        let fm = FileManager.default
        var found: [KarmaFixtureCase] = []
        if fm.fileExists(atPath: root.appendingPathComponent("events.jsonl").path) {
            return [KarmaFixtureCase(name: root.lastPathComponent, directory: root)]
        }
        guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        let rootPath = root.standardizedFileURL.path
        for case let url as URL in walker where url.lastPathComponent == "events.jsonl" {
            let dir = url.deletingLastPathComponent().standardizedFileURL
            var name = dir.path
            if name.hasPrefix(rootPath + "/") { name.removeFirst(rootPath.count + 1) }
            found.append(KarmaFixtureCase(name: name, directory: dir))
        }
        return found.sorted { $0.name < $1.name }
    }

    /// Runs one case: loads the parameters and `pre.json`, applies `events.jsonl` in order and
    /// compares with `post.json` (or checks the last event is refused), then checks `expect`.
    /// Also checks each event line is the canonical JSON form and survives the canonical byte
    /// encoding unchanged.
    public static func run(_ fixture: KarmaFixtureCase) -> KarmaFixtureResult {
        do {
            try runThrowing(fixture.directory)
            return KarmaFixtureResult(name: fixture.name, failure: nil)
        } catch let e as FixtureFailure {
            return KarmaFixtureResult(name: fixture.name, failure: e.message)
        } catch {
            return KarmaFixtureResult(name: fixture.name, failure: "\(error)")
        }
    }

    struct FixtureFailure: Error {
        var message: String
    }

    private static func fail(_ message: String) -> FixtureFailure { FixtureFailure(message: message) }

    private static func read(_ url: URL) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw fail("cannot read \(url.lastPathComponent)")
        }
        return data
    }

    /// Description of a case from `case.json`.
    struct CaseInfo {
        var desc: String
        var params: String
        var nodes: [String: XOnlyPublicKey]
        var expect: [String: String]
        var wantError: String?
    }

    static func caseInfo(_ data: Data) throws -> CaseInfo {
        var r = try KarmaObjectReader(try KarmaJSON.parse(data), what: "case.json")
        let desc = try r.string("desc")
        let params = try r.string("params")
        var nodes: [String: XOnlyPublicKey] = [:]
        if r.has("nodes") {
            for (alias, v) in try r.object("nodes") {
                guard case .string(let hex) = v else {
                    throw fail("case.json nodes.\(alias) must be a hex string")
                }
                nodes[alias] = try XOnlyPublicKey(hex: hex, field: "nodes.\(alias)")
            }
        }
        var expect: [String: String] = [:]
        if r.has("expect") {
            for (k, v) in try r.object("expect") {
                guard case .string(let s) = v else { throw fail("case.json expect.\(k) must be a string") }
                expect[k] = s
            }
        }
        var wantError: String?
        if case .string(let w)? = r.optionalValue("wantError") { wantError = w }
        try r.finish()
        return CaseInfo(desc: desc, params: params, nodes: nodes, expect: expect, wantError: wantError)
    }

    /// Finds `params/<name>.json` in `dir` or one of its ancestors.
    static func parameters(named name: String, from dir: URL) throws -> KarmaParameters {
        var d = dir
        for _ in 0..<6 {
            let candidate = d.appendingPathComponent("params").appendingPathComponent("\(name).json")
            if FileManager.default.fileExists(atPath: candidate.path) {
                return try KarmaParameters(json: try read(candidate))
            }
            d = d.deletingLastPathComponent()
        }
        throw fail("no params/\(name).json found above \(dir.path)")
    }

    static func runThrowing(_ dir: URL) throws {
        let info = try caseInfo(try read(dir.appendingPathComponent("case.json")))
        let engine = try KarmaEngine(parameters: try parameters(named: info.params, from: dir))
        var state = try KarmaState(json: try read(dir.appendingPathComponent("pre.json")))
        let text = String(decoding: try read(dir.appendingPathComponent("events.jsonl")), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { throw fail("events.jsonl is empty") }
        let postURL = dir.appendingPathComponent("post.json")
        let hasPost = FileManager.default.fileExists(atPath: postURL.path)
        let isInvalid = dir.lastPathComponent.hasPrefix("invalid_")
        guard isInvalid != hasPost else {
            throw fail(isInvalid ? "an invalid_* case must not have post.json" : "post.json is missing")
        }
        guard isInvalid == (info.wantError != nil) else {
            throw fail(
                isInvalid ? "case.json of an invalid_* case needs wantError" : "wantError on a valid case")
        }
        for (i, line) in lines.enumerated() {
            let isLast = i == lines.count - 1
            do {
                let entry = try KarmaEntry(json: Data(line.utf8))
                guard entry.jsonLine() == line else {
                    throw fail("event \(i + 1) is not in canonical JSON form")
                }
                guard try KarmaEntry(canonicalBytes: entry.canonicalBytes) == entry else {
                    throw fail("event \(i + 1) does not survive its canonical encoding")
                }
                state = try engine.apply(entry, to: state)
                if isInvalid && isLast {
                    throw fail("the last event was accepted; want error \(info.wantError ?? "")")
                }
            } catch let error as KarmaError {
                if isInvalid && isLast {
                    guard error.code == info.wantError else {
                        throw fail(
                            "the last event was refused with \(error.code) (\(error)); want \(info.wantError ?? "")"
                        )
                    }
                } else {
                    throw fail("event \(i + 1) was refused: \(error)")
                }
            }
        }
        if hasPost {
            let post = try KarmaState(json: try read(postURL))
            guard post == state else {
                throw fail(
                    "state after the events differs from post.json (got hash \(state.stateHash.hex), want \(post.stateHash.hex))\n"
                        + firstDifference(got: state, want: post))
            }
        }
        try check(info, state)
    }

    /// Checks the hand-derived `expect` figures against `state`.
    static func check(_ info: CaseInfo, _ state: KarmaState) throws {
        for (key, want) in info.expect.sorted(by: { $0.key < $1.key }) {
            let got = try figure(key, info.nodes, state)
            guard got == want else { throw fail("expect \(key): got \(got), want \(want)") }
        }
    }

    /// One figure of a state by its `expect` key: `minted`, `slashed`, `claims`, `offences`,
    /// `models`, `lastTimestampMs`, or `<alias>.<field>` with field `balance`, `escrow`, `bonded`, `unbonding` (total),
    /// `unbondingEntries`, `jailedUntilMs` (`null` when free), `nonce`, `nextLivenessWindow`,
    /// `score.<category>`, or `<alias>.correlationBps.<jobhex>`.
    static func figure(_ key: String, _ nodes: [String: XOnlyPublicKey], _ s: KarmaState) throws -> String {
        switch key {
        case "minted": return String(s.minted)
        case "slashed": return String(s.slashed)
        case "claims": return String(s.claims.count)
        case "offences": return String(s.offences.count)
        case "models": return String(s.models.count)
        case "lastTimestampMs": return String(s.lastTimestampMs)
        default: break
        }
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let node = nodes[parts[0]] else {
            throw fail("expect key \(key) names no node alias")
        }
        let a = s.account(node)
        switch parts[1] {
        case "balance": return String(a.balance)
        case "escrow": return String(a.escrow)
        case "bonded": return String(a.bonded)
        case "unbonding": return String(try a.unbondingTotal())
        case "unbondingEntries": return String(a.unbonding.count)
        case "jailedUntilMs": return a.jailedUntilMs.map { String($0) } ?? "null"
        case "nonce": return String(a.nonce)
        case "nextLivenessWindow": return a.nextLivenessWindow.map { String($0) } ?? "null"
        case let f where f.hasPrefix("score."):
            let category = String(f.dropFirst("score.".count))
            guard let path = Scores.fields.first(where: { $0.0 == category })?.1 else {
                throw fail("expect key \(key): unknown score category")
            }
            return String(a.scores[keyPath: path])
        case let f where f.hasPrefix("correlationBps."):
            let job = try Digest32(hex: String(f.dropFirst("correlationBps.".count)))
            return s.jobs[job]?[node].map { String($0) } ?? "null"
        default: throw fail("expect key \(key): unknown field")
        }
    }

    /// A line naming the first top-level JSON member that differs between two states.
    static func firstDifference(got: KarmaState, want: KarmaState) -> String {
        guard case .object(let g) = got.jsonObject(), case .object(let w) = want.jsonObject() else {
            return ""
        }
        for key in Set(g.keys).union(w.keys).sorted() where key != "stateHash" && g[key] != w[key] {
            let gs = g[key].map { JSONOutput.text($0, pretty: false) } ?? "absent"
            let ws = w[key].map { JSONOutput.text($0, pretty: false) } ?? "absent"
            return "  \(key): got \(gs.prefix(600))\n  \(key): want \(ws.prefix(600))"
        }
        return ""
    }
}
