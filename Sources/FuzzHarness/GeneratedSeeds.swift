import Foundation
import Groth16
import Karma
import Receipts

/// Seed inputs written by the project's own code for the targets whose formats only our writers
/// produce (no public corpus may be shipped: README "Fuzzing"): `mesh-fuzz --write-seeds DIR`
/// writes them under `DIR/<target>/`, and `Tests/FuzzHarnessTests` checks the committed copies are
/// exactly what this generates. Everything here is deterministic (fixed keys and secrets).
public enum GeneratedSeeds {
    /// One seed: its target, file name and bytes.
    public struct Seed: Sendable {
        public var target: String
        public var name: String
        public var bytes: [UInt8]
    }

    /// The targets whose corpus is generated here.
    public static let targets = ["circom", "ptau", "proving-key", "vrf", "karma-entry", "node-request"]

    /// Every generated seed. `events` are JSON lines of ledger entries (the karma fixtures'
    /// `events.jsonl` files), the source of the `karma-entry` and `node-request` seeds.
    public static func all(events: [String]) throws -> [Seed] {
        var out: [Seed] = []
        func add(_ target: String, _ name: String, _ bytes: [UInt8]) {
            out.append(Seed(target: target, name: name, bytes: bytes))
        }

        // circom: Multiplier(3) (c = ((a² + b)² + b)² + b), its .r1cs and .wtns, and near misses.
        var builder = ConstraintSystemBuilder()
        let (a, b) = (Fr(3), Fr(11))
        var chain: [Fr] = []
        var x = a
        for _ in 0..<3 {
            x = x * x + b
            chain.append(x)
        }
        let c = builder.publicInput(chain[2])
        var previous = builder.witness(a)
        let bWire = builder.witness(b)
        for i in 0..<3 {
            let next = i == 2 ? c : builder.witness(chain[i])
            builder.enforce(previous, times: previous, equals: next - bWire)
            previous = next
        }
        let r1cs = try builder.system()
        let r1csFile = try CircomR1CS(r1cs, publicOutputCount: 1).fileBytes
        let wtnsFile = try CircomWitness(values: builder.values).fileBytes
        add("circom", "valid-multiplier3.r1cs", r1csFile)
        add("circom", "valid-multiplier3.wtns", wtnsFile)
        add("circom", "truncated.r1cs", Array(r1csFile.prefix(r1csFile.count - 7)))
        var version = wtnsFile
        version[4] = 9
        add("circom", "version-9.wtns", version)

        // proving-key: the seeded (insecure) setup of the same system, for the target's statement.
        let key = try Groth16Setup.generate(r1cs, waste: .seeded(1))
        let keyFile = key.serialized(statementID: Groth16FileTargets.statementID)
        add("proving-key", "valid-multiplier3.mvzk", keyFile)
        add("proving-key", "truncated.mvzk", Array(keyFile.prefix(keyFile.count - 64)))
        var offCurve = keyFile
        offCurve[offCurve.count - 1] ^= 0x01
        add("proving-key", "off-curve.mvzk", offCurve)

        // ptau: a power-2 ceremony from known (public) secrets.
        let ptau = PowersOfTauWriter(power: 2, tau: Fr(1_234_567), alpha: Fr(89), beta: Fr(1_011)).fileBytes()
        add("ptau", "valid-power2.ptau", ptau)
        add("ptau", "truncated.ptau", Array(ptau.prefix(ptau.count / 2)))
        var magic = ptau
        magic[0] ^= 0x20
        add("ptau", "magic.ptau", magic)

        // vrf: proofs by the target's key over audit-draw-like inputs, and one over the empty input.
        guard case .success(let vrfKey) = KarmaTargets.vrfKey else { throw ReceiptError.invalidSecretKey }
        for (i, alpha) in [Data("mesh/audit-draw/v1".utf8) + Data(repeating: 0xA5, count: 96), Data()]
            .enumerated()
        {
            let (proof, _) = try vrfKey.vrfProve(alpha)
            add("vrf", "valid-\(i).bin", Array(proof.rawRepresentation + alpha))
            var wrong = Array(proof.rawRepresentation + alpha)
            wrong[40] ^= 0x80  // inside c
            add("vrf", "wrong-c-\(i).bin", wrong)
        }

        // karma-entry and node-request: every entry type the fixtures hold, once each.
        var seenTypes = Set<String>()
        var seenRequests = Set<String>()
        for line in events where !line.isEmpty {
            // The fixtures' `invalid_*` cases hold malformed entries on purpose: those are not
            // seeds of valid kinds.
            guard let entry = try? KarmaEntry(json: Data(line.utf8)) else { continue }
            let type = "\(entry.type)"
            if seenTypes.insert(type).inserted {
                add("karma-entry", "valid-\(type).bin", Array(entry.canonicalBytes))
                add("karma-entry", "valid-\(type).json", Array(line.utf8))
            }
            let requests: [(String, Data)]
            switch entry.body {
            case .uptime(let u): requests = u.heartbeats.prefix(1).map { ("heartbeat", $0.json()) }
            case .seeding(let s): requests = s.receipts.prefix(1).map { ("chunk-receipt", $0.receipt.json()) }
            case .bond(let r), .unbond(let r), .withdraw(let r), .unjail(let r):
                requests = [("\(entry.type)", r.json())]
            default: requests = []
            }
            for (name, json) in requests where seenRequests.insert(name).inserted {
                add("node-request", "valid-\(name).json", Array(json))
            }
        }
        // Near misses: one byte too many, an unknown JSON member.
        if let first = out.first(where: { $0.target == "karma-entry" && $0.name.hasSuffix(".bin") }) {
            add("karma-entry", "trailing-byte.bin", first.bytes + [0])
        }
        if let first = out.first(where: { $0.target == "karma-entry" && $0.name.hasSuffix(".json") }) {
            add("karma-entry", "unknown-member.json", Array("{\"extra\":1,".utf8) + first.bytes.dropFirst())
        }
        if let first = out.first(where: { $0.target == "node-request" }) {
            add("node-request", "unknown-member.json", Array("{\"extra\":1,".utf8) + first.bytes.dropFirst())
        }
        return out
    }

    /// The lines of every `events.jsonl` below `directory`, in path order.
    public static func eventLines(under directory: URL) throws -> [String] {
        guard let e = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        var files: [URL] = []
        for case let url as URL in e where url.lastPathComponent == "events.jsonl" { files.append(url) }
        var lines: [String] = []
        for file in files.sorted(by: { $0.path < $1.path }) {
            lines += try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        return lines
    }
}
