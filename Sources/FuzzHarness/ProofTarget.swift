import Foundation
import Kernel
import Proofs
import Receipts

/// The proof decoder and verifier on prover-supplied bytes.
enum ProofTarget {
    /// `Circuits/dense-16x8-test.json`, the registered circuit the fixture proof is for.
    static let circuitJSON = """
        {"format": "mesh-validator/circuit/v1", "name": "dense-16x8-test", "kind": "dense",
         "inFeatures": 16, "outFeatures": 8, "activation": "gelu", "residual": false, "bias": true,
         "activationBits": 16, "maxTokens": 8, "weights": "seeded", "seed": 7}
        """

    /// `Fixtures/proofs/dense-16x8-test/input.mvt`: X, int32 Q16 [2, 16].
    static let inputHex =
        "4d56543101020310020200000010000000238d00005d4501008eb8fefff204fdff49fffcff035a0000ae3903002de2fcff"
        + "f412fcff4247fcff6de3ffffe0a70300187b020065970200399afdff49480100a9dc02004394feffc312fdff194c0300"
        + "a442feff781d020024450000f228000041080100b99e00008f0bfcff8ead020078d1fcffd04e00001e36fdffd4d7feff"

    /// The statement `Fixtures/proofs/dense-16x8-test/proof.bin` proves: the circuit, its seeded
    /// weights, X, and Y computed by the kernel (the fixture's `output.mvt`). Built once.
    static let statement: Result<LayerStatement, ProofsError> = Result { () throws(ProofsError) in
        let circuit = try Circuit(json: Data(circuitJSON.utf8))
        let weights = try LayerWeights(seededFor: circuit)
        let x: CanonicalTensor
        guard let bytes = Hex.decode(inputHex) else {
            throw .kernel(.malformedTensor("the embedded input is not lowercase hex"))
        }
        do throws(KernelError) { x = try CanonicalTensor(decoding: bytes) } catch { throw .kernel(error) }
        let y = try LayerProof.output(circuit: circuit, weights: weights, input: x)
        return try LayerStatement(circuit: circuit, weights: weights, input: x, output: y)
    }

    /// The honest prover's proof of ``statement`` (the fixture's `proof.bin`). Proving is
    /// deterministic and the format canonical, so it is the only proof that may verify.
    static let honestProof: Result<[UInt8], ProofsError> = Result { () throws(ProofsError) in
        Array(try LayerProof.prove(try statement.get()))
    }

    /// `ProofFormat(decoding:shape:)` then `LayerProof.verify`: the decoder must refuse
    /// malformed bytes with `ProofsError` and re-encode a decoded proof to exactly the input (the
    /// format is canonical, specs/proofs.md §6); the verifier must return a verdict for every
    /// well-formed proof, may call a proof invalid without decoding its body only when the
    /// header names another circuit or token count (§4.2), and may accept only the honest proof.
    @Sendable static func proof(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let s: LayerStatement
        let honest: [UInt8]
        switch (statement, honestProof) {
        case (.success(let built), .success(let proof)): (s, honest) = (built, proof)
        case (.failure(let e), _), (_, .failure(let e)):
            throw InvariantViolation(
                target: "proof", message: "the dense-16x8-test statement or its proof cannot be built: \(e)")
        }
        let decoded = Result { () throws(ProofsError) in
            try ProofFormat(decoding: input, shape: LayerProof.shape(s.circuit))
        }
        let verdict = Result { () throws(ProofsError) in try LayerProof.verify(s, proof: input) }
        switch (decoded, verdict) {
        case (.success(let p), .success(let v)):
            try require(
                Array(p.encoded()) == input, "proof",
                "decoded proof \(hexPrefix(input)) re-encodes differently")
            if case .invalid(let reason) = v { return .rejected(reason: "invalid: \(reason)") }
            try require(
                input == honest, "proof", "a proof other than the honest one verifies: \(hexPrefix(input))")
            return .accepted
        case (.failure(let e), .failure):
            return .rejected(reason: "malformed: \(e)")
        case (.success, .failure(let e)):
            throw InvariantViolation(target: "proof", message: "decodes, but verify calls it malformed: \(e)")
        case (.failure(let e), .success(let v)):
            let header = Result { () throws(ProofsError) in
                try ProofFormat.decodeHeader(input, maxTokens: s.circuit.maxTokens)
            }
            guard case .success(let h) = header, case .invalid(let reason) = v,
                h.circuitID != s.circuit.id || h.tokens != s.tokens
            else {
                throw InvariantViolation(
                    target: "proof", message: "verify returned \(v) for bytes that do not decode: \(e)")
            }
            return .rejected(reason: "invalid by header: \(reason)")
        }
    }
}
