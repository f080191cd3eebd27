import ArgumentParser
import CSecp256k1
import Dispatch
import Foundation
import Receipts

/// Receipts verified per second through our API against raw `secp256k1_schnorrsig_verify` calls on the
/// same signatures, measured in the same run (best of `rounds`, interleaved).
struct ReceiptsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts", abstract: "Receipt verification throughput vs raw libsecp256k1.")

    @Option(help: "Receipts per round.") var count = 4000
    @Option(help: "Rounds (best taken).") var rounds = 5

    func run() async throws {
        let keys = (0..<16).map { _ in SchnorrSigningKey.generate() }
        var receipts: [SignedReceipt] = []
        for i in 0..<count {
            let key = keys[i % keys.count]
            let r = Receipt(
                jobID: TaggedHash.hash(tag: "bench/job", Data("\(i)".utf8)),
                modelID: TaggedHash.hash(tag: "bench/model", Data()), layerStart: 0, layerEnd: 4,
                inputCommitment: TaggedHash.hash(tag: "bench/in", Data("\(i)".utf8)),
                outputCommitment: TaggedHash.hash(tag: "bench/out", Data("\(i)".utf8)), node: key.publicKey,
                startedAtMs: 1_795_000_000_000, finishedAtMs: 1_795_000_000_100, sequence: UInt64(i))
            receipts.append(try SignedReceipt.sign(r, with: key))
        }
        let jsons = receipts.map { $0.json() }
        let raw = RawBaseline(receipts)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("receipts: \(count) per round, best of \(rounds); cores: \(cores)")
        print(String(repeating: "-", count: 78))
        for threads in [1, cores] where threads == 1 || cores > 1 {
            var best = (raw: Double.infinity, api: Double.infinity, json: Double.infinity)
            for _ in 0..<rounds {
                best.raw = min(best.raw, time { precondition(raw.verifyAll(threads: threads) == count) })
                best.api = min(
                    best.api,
                    time {
                        let v = ReceiptBatchVerifier.verify(receipts, threads: threads)
                        precondition(v.allSatisfy(\.isValid))
                    })
                best.json = min(
                    best.json,
                    time {
                        let parsed = jsons.map { try! SignedReceipt(json: $0) }
                        precondition(
                            ReceiptBatchVerifier.verify(parsed, threads: threads).allSatisfy(\.isValid))
                    })
            }
            let rate = { (t: Double) in Double(count) / t }
            print(
                "threads \(threads): raw secp256k1_schnorrsig_verify \(fmt(rate(best.raw)))/s | "
                    + "SignedReceipt.verify \(fmt(rate(best.api)))/s (ratio \(String(format: "%.3f", best.raw / best.api))) | "
                    + "JSON parse + verify \(fmt(rate(best.json)))/s (ratio \(String(format: "%.3f", best.raw / best.json)))"
            )
        }
        try vrfTimings(keys: keys)
    }
}

/// ECVRF prove and verify (specs/vrf.md), one thread, µs per call (best of `rounds`).
extension ReceiptsBench {
    func vrfTimings(keys: [SchnorrSigningKey]) throws {
        let alphas = (0..<256).map { TaggedHash.hash(tag: "bench/vrf", Data("\($0)".utf8)).bytes }
        var proofs: [VRFProof] = []
        for (i, alpha) in alphas.enumerated() {
            proofs.append(try keys[i % keys.count].vrfProve(alpha).proof)
        }
        var best = (prove: Double.infinity, verify: Double.infinity)
        for _ in 0..<rounds {
            best.prove = min(
                best.prove,
                time {
                    for (i, alpha) in alphas.enumerated() { _ = try! keys[i % keys.count].vrfProve(alpha) }
                })
            best.verify = min(
                best.verify,
                time {
                    for (i, alpha) in alphas.enumerated() {
                        precondition(keys[i % keys.count].publicKey.vrfVerify(alpha, proof: proofs[i]) != nil)
                    }
                })
        }
        let us = { (t: Double) in String(format: "%.1f", t / Double(alphas.count) * 1e6) }
        print(
            "vrf (ECVRF-SECP256K1-SHA256-TAI, 1 thread): prove \(us(best.prove)) µs | verify \(us(best.verify)) µs"
        )
    }
}

/// Pre-parsed keys, 32-byte digests and signatures: the least work libsecp256k1 can be asked to do.
private final class RawBaseline: @unchecked Sendable {
    let ctx = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
    var keys: [secp256k1_xonly_pubkey] = []
    var digests: [[UInt8]] = []
    var sigs: [[UInt8]] = []

    init(_ receipts: [SignedReceipt]) {
        for r in receipts {
            var k = secp256k1_xonly_pubkey()
            let ok = secp256k1_xonly_pubkey_parse(ctx, &k, [UInt8](r.receipt.node.rawRepresentation))
            precondition(ok == 1)
            keys.append(k)
            digests.append([UInt8](r.receipt.digest.bytes))
            sigs.append([UInt8](r.signature.rawRepresentation))
        }
    }

    /// Number of signatures that verified.
    func verifyAll(threads: Int) -> Int {
        let n = keys.count
        let chunk = (n + threads - 1) / threads
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        defer { counts.deallocate() }
        nonisolated(unsafe) let out = counts
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            var good = 0
            for i in (w * chunk)..<min(n, (w + 1) * chunk) {
                var k = keys[i]
                good += Int(secp256k1_schnorrsig_verify(ctx, sigs[i], digests[i], 32, &k))
            }
            out[w] = good
        }
        return counts.reduce(0, +)
    }
}
