import ArgumentParser
import Foundation
import Groth16

extension ProofCommand {
    /// `mesh-validator proof verify-groth16`: check a snarkjs Groth16 proof (specs/groth16.md §9.1).
    struct VerifyGroth16: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-groth16",
            abstract: "Check a snarkjs Groth16 (BN254) proof: exit 0 valid, 1 invalid, 2 malformed.",
            discussion: """
                Reads verification_key.json, proof.json and public.json as snarkjs writes them \
                (protocol groth16, curve bn128). Every point is checked (canonical, on its curve, in \
                its subgroup, not the identity) and every public input must be below r \
                (specs/groth16.md §4).
                """)

        @Option(help: "snarkjs verification_key.json.") var vk: String
        @Option(help: "snarkjs proof.json.") var proof: String
        @Option(name: .customLong("public"), help: "snarkjs public.json.") var publicInputs: String
        @Flag(help: "Print the verdict as one JSON object.") var json = false

        /// Largest verification key read (a key with 2^16 public inputs is about 15 MB).
        static let maxKeyBytes = 32 << 20
        /// Largest proof or public-input file read.
        static let maxProofBytes = 1 << 20
        static let maxPublicBytes = 8 << 20

        struct Verdict: Encodable {
            enum Status: String, Encodable { case valid, invalid, malformed }
            var status: Status
            var reason: String?
            var publicInputs: Int?
            var verifyMilliseconds: Double?
        }

        func run() async throws {
            let key: Groth16VerifyingKey
            let p: Groth16Proof
            let inputs: Groth16PublicInputs
            do {
                key = try load(vk, maxBytes: Self.maxKeyBytes) { (b: [UInt8]) throws(Groth16Error) in
                    try Groth16VerifyingKey(snarkjsJSON: b)
                }
                p = try load(proof, maxBytes: Self.maxProofBytes) { (b: [UInt8]) throws(Groth16Error) in
                    try Groth16Proof(snarkjsJSON: b)
                }
                inputs = try load(publicInputs, maxBytes: Self.maxPublicBytes) {
                    (b: [UInt8]) throws(Groth16Error) in
                    try Groth16PublicInputs(snarkjsJSON: b)
                }
            } catch {
                try report(Verdict(status: .malformed, reason: error.description))
                throw malformed(error.description)
            }
            let started = ContinuousClock.now
            let verdict: Groth16Verdict
            do {
                verdict = try Groth16.verify(key: key, proof: p, inputs: inputs)
            } catch {
                try report(Verdict(status: .malformed, reason: error.description))
                throw malformed(error.description)
            }
            let ms = milliseconds(ContinuousClock.now - started)
            switch verdict {
            case .valid:
                if json {
                    try report(Verdict(status: .valid, publicInputs: inputs.count, verifyMilliseconds: ms))
                } else {
                    print(
                        "valid: Groth16 proof over BN254 with \(inputs.count) public inputs, "
                            + "verified in \(String(format: "%.1f", ms)) ms")
                }
            case .invalid(let reason):
                try report(
                    Verdict(
                        status: .invalid, reason: reason, publicInputs: inputs.count, verifyMilliseconds: ms))
                throw invalid(reason)
            }
        }

        struct LoadError: Error, CustomStringConvertible { var description: String }

        /// Reads and parses one file; the error names the file.
        func load<T>(_ path: String, maxBytes: Int, _ parse: ([UInt8]) throws(Groth16Error) -> T)
            throws(LoadError) -> T
        {
            let data: Data
            do { data = try readInputFile(path, maxBytes: maxBytes) } catch {
                throw LoadError(description: error.description)
            }
            do { return try parse([UInt8](data)) } catch { throw LoadError(description: "\(path): \(error)") }
        }

        func report(_ v: Verdict) throws {
            if json { try printJSON(v, compact: true) }
        }
    }
}
