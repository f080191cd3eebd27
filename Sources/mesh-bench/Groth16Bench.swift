import ArgumentParser
import Foundation
import Groth16

/// `mesh-bench groth16`: snarkjs Groth16 verification on BN254 (specs/groth16.md), one thread:
/// reading the key and proof (with every curve and subgroup check), the verification itself,
/// and the primitives under it. Build with `-c release`.
struct Groth16Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groth16",
        abstract: "Groth16/BN254: read + check, verify, pairing, G2 subgroup check, F_p multiplication.")

    @Option(help: "snarkjs vector folders (verification_key.json, proof.json, public.json), comma-separated.")
    var vectors: String =
        "Fixtures/groth16/snarkjs/nullifier-2pub,Fixtures/groth16/snarkjs/zkml-nids-7pub,"
        + "Fixtures/groth16/snarkjs/risc0-sudoku-81pub"

    @Option(help: "Timing rounds (best of N).")
    var rounds: Int = 10

    func run() async throws {
        print("groth16: 1 thread, best of \(rounds)")
        print("vector                     inputs  read key ms  read proof ms  verify ms  valid")
        for dir in vectors.split(separator: ",").map(String.init) {
            func file(_ name: String) throws -> [UInt8] {
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name)))
            }
            let keyBytes = try file("verification_key.json")
            let proofBytes = try file("proof.json")
            let inputs = try Groth16PublicInputs(snarkjsJSON: try file("public.json"))
            var key = try Groth16VerifyingKey(snarkjsJSON: keyBytes)
            var proof = try Groth16Proof(snarkjsJSON: proofBytes)
            var verdict = Groth16Verdict.invalid(reason: "not run")
            let readKey = bestOf(rounds) { key = try! Groth16VerifyingKey(snarkjsJSON: keyBytes) }
            let readProof = bestOf(rounds) { proof = try! Groth16Proof(snarkjsJSON: proofBytes) }
            let verify = bestOf(rounds) {
                verdict = try! Groth16.verify(key: key, proof: proof, inputs: inputs)
            }
            let name = URL(fileURLWithPath: dir).lastPathComponent
            print(
                name.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(
                        format: " %6d  %11.2f  %13.2f  %9.2f  %@", inputs.count, readKey * 1e3,
                        readProof * 1e3,
                        verify * 1e3, verdict == .valid ? "yes" : "NO"))
        }
        let p = G1.generator
        let q = G2.generator
        var sink = Fp12.one
        let pairing = bestOf(rounds) { sink = Pairing.pairing(p, q) }
        let miller = bestOf(rounds) { sink = Pairing.millerLoop([(p, q)]) }
        let finalExp = bestOf(rounds) { sink = Pairing.finalExponentiation(sink) }
        var inG2 = false
        let subgroup = bestOf(rounds) { inG2 = G2.isInSubgroup(q) }
        var x = Fp(7)
        let y = Fp(0x1234_5678_9abc_def0)
        let n = 1_000_000
        let mul = bestOf(rounds) { for _ in 0..<n { x = x * y } }
        print(
            String(
                format:
                    "pairing %.2f ms (Miller loop %.2f, final exponentiation %.2f); G2 subgroup check %.2f ms%@",
                pairing * 1e3, miller * 1e3, finalExp * 1e3, subgroup * 1e3, inG2 ? "" : " (FAILED)"))
        print(String(format: "F_p multiplication (mpn Montgomery): %.1f ns/op", mul / Double(n) * 1e9))
        if sink.isZero || x.isZero { print("(unreachable: keeps the results alive)") }
    }
}
