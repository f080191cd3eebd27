import Crypto
import Foundation

/// A registered layer circuit (specs/proofs.md §7): the fixed shape and semantics a proof is
/// about. Circuits are JSON files under `Circuits/`; a circuit is identified by the SHA-256 of
/// its canonical binary encoding (`canonicalBytes`), never chosen by the prover.
public struct Circuit: Sendable, Equatable, Codable {
    /// The only `format` value this version reads.
    public static let formatV1 = "mesh-validator/circuit/v1"

    /// What the circuit computes.
    public enum Kind: String, Sendable, Codable {
        /// One dense layer on the residual stream: `Y = act(linear(X)) (+ X)`.
        case dense
        /// One Llama FFN sub-block: `Y = X + down(silu(gate(n)) ⊙ up(n))`, `n = rmsnorm(X)`.
        case llamaMLP = "llama-mlp"
    }

    /// The elementwise nonlinearity after a dense layer.
    public enum Activation: String, Sendable, Codable {
        case none
        case silu
        case gelu
    }

    /// How a node proves the layer (specs/proofs.md §7.1).
    public enum ProofSystem: String, Sendable, Codable {
        /// The sumcheck proofs of specs/proofs.md; any batch up to `maxTokens`.
        case sumcheck
        /// Groth16 over BN254 (specs/groth16.md §8): dense layers, exactly `maxTokens` tokens,
        /// verified with the key registered beside the circuit.
        case groth16
    }

    /// Where the verifier gets the weights.
    public enum WeightSource: String, Sendable, Codable {
        /// Generated from `seed` by `SeededWeights` (test and benchmark layers).
        case seeded
        /// Block `block` of a model package the validator holds.
        case model
    }

    public var format: String
    /// Human-readable name (part of the id).
    public var name: String
    public var kind: Kind
    /// Input width n (dense) or model width d (llama-mlp).
    public var inFeatures: Int
    /// Output width m (dense) or FFN width (llama-mlp).
    public var outFeatures: Int
    /// Dense only; `none` for llama-mlp.
    public var activation: Activation
    /// Dense only: add the input to the output (requires `inFeatures == outFeatures`).
    public var residual: Bool
    /// Dense only: the layer has a Q16 bias.
    public var bias: Bool
    /// Bits of the quantized GEMM inputs: 8 or 16 (the kernel's `activationBits`, §3.1).
    public var activationBits: Int
    /// Bits of the weight matrices: 8 (one int8 plane) or 16 (`256·hi + lo`, two int8 planes;
    /// the kernel's `weightBits`, §3.2). Optional in JSON, default 8.
    public var weightBits: Int
    /// Largest token batch T one proof may cover.
    public var maxTokens: Int
    public var weights: WeightSource
    /// `seeded`: the generator seed.
    public var seed: UInt64?
    /// `model`: the block index.
    public var block: Int?
    /// `model`: the model id (hex) the weights come from, if pinned.
    public var modelID: String?
    /// Optional in JSON, default `sumcheck`.
    public var proofSystem: ProofSystem

    /// Largest accepted width and token batch (keeps every lazy sum below 2^63, §3.2).
    public static let maxDimension = IntegerMatrixMLE.maxDimension

    enum CodingKeys: String, CodingKey {
        case format, name, kind, inFeatures, outFeatures, activation, residual, bias, activationBits
        case weightBits, maxTokens, weights, seed, block, modelID, proofSystem
    }

    /// Decodes the JSON fields of §7.1; `weightBits` defaults to 8 and `proofSystem` to
    /// `sumcheck` when absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(Kind.self, forKey: .kind)
        inFeatures = try c.decode(Int.self, forKey: .inFeatures)
        outFeatures = try c.decode(Int.self, forKey: .outFeatures)
        activation = try c.decode(Activation.self, forKey: .activation)
        residual = try c.decode(Bool.self, forKey: .residual)
        bias = try c.decode(Bool.self, forKey: .bias)
        activationBits = try c.decode(Int.self, forKey: .activationBits)
        weightBits = try c.decodeIfPresent(Int.self, forKey: .weightBits) ?? 8
        maxTokens = try c.decode(Int.self, forKey: .maxTokens)
        weights = try c.decode(WeightSource.self, forKey: .weights)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        block = try c.decodeIfPresent(Int.self, forKey: .block)
        modelID = try c.decodeIfPresent(String.self, forKey: .modelID)
        proofSystem = try c.decodeIfPresent(ProofSystem.self, forKey: .proofSystem) ?? .sumcheck
    }

    /// Parses and validates a circuit JSON file.
    ///
    /// - Throws: `ProofsError.malformedCircuit` naming the bad field.
    public init(json: Data) throws(ProofsError) {
        let decoded: Circuit
        do {
            decoded = try JSONDecoder().decode(Circuit.self, from: json)
        } catch {
            throw .malformedCircuit("not a circuit JSON object: \(error)")
        }
        self = decoded
        try validate()
    }

    /// Checks every field (§7.1).
    public func validate() throws(ProofsError) {
        func check(_ ok: Bool, _ reason: String) throws(ProofsError) {
            if !ok { throw .malformedCircuit(reason) }
        }
        try check(format == Circuit.formatV1, "format must be \(Circuit.formatV1)")
        try check(!name.isEmpty && name.utf8.count <= 256, "name must have 1...256 bytes")
        let dims = 1...Circuit.maxDimension
        try check(dims.contains(inFeatures), "inFeatures must be in [1, 2^15]")
        try check(dims.contains(outFeatures), "outFeatures must be in [1, 2^15]")
        try check(dims.contains(maxTokens), "maxTokens must be in [1, 2^15]")
        try check(activationBits == 8 || activationBits == 16, "activationBits must be 8 or 16")
        try check(weightBits == 8 || weightBits == 16, "weightBits must be 8 or 16")
        switch kind {
        case .dense:
            try check(!residual || inFeatures == outFeatures, "residual needs inFeatures == outFeatures")
        case .llamaMLP:
            try check(
                activation == .none && !residual && !bias, "llama-mlp takes no activation/residual/bias")
        }
        if proofSystem == .groth16 {
            try check(kind == .dense, "groth16 circuits are dense layers")
        }
        switch weights {
        case .seeded:
            try check(seed != nil && block == nil && modelID == nil, "seeded weights need seed only")
            try check(kind == .dense, "seeded weights are for dense circuits")
        case .model:
            try check(block != nil && seed == nil, "model weights need block")
            try check((block ?? -1) >= 0, "block must be >= 0")
            if let modelID {
                try check(
                    modelID.count == 64 && modelID.allSatisfy(\.isHexDigit), "modelID must be 64 hex digits")
            }
        }
    }

    /// The canonical binary encoding hashed into the id (§7.2): "MVC1", then each field in
    /// the order of §7.2 — strings as u32be length ‖ UTF-8, integers as u64be, booleans as
    /// one byte 0/1, optionals as 0x00 or 0x01 ‖ value — then, only when it is not 8,
    /// `u64be(weightBits)` (so circuits with 8-bit weights keep the ids they had before the
    /// field existed), and last, only when it is not `sumcheck`, the string `proofSystem`.
    public var canonicalBytes: [UInt8] {
        var out = Array("MVC1".utf8)
        func string(_ s: String) {
            out += Transcript.bigEndian(UInt32(s.utf8.count))
            out += Array(s.utf8)
        }
        func int(_ v: UInt64) { out += Transcript.bigEndian(v) }
        func bool(_ b: Bool) { out.append(b ? 1 : 0) }
        string(format)
        string(name)
        string(kind.rawValue)
        int(UInt64(inFeatures))
        int(UInt64(outFeatures))
        string(activation.rawValue)
        bool(residual)
        bool(bias)
        int(UInt64(activationBits))
        int(UInt64(maxTokens))
        string(weights.rawValue)
        for v in [seed, block.map { UInt64($0) }] {
            if let v {
                out.append(1)
                int(v)
            } else {
                out.append(0)
            }
        }
        if let modelID {
            out.append(1)
            string(modelID)
        } else {
            out.append(0)
        }
        if weightBits != 8 { int(UInt64(weightBits)) }
        if proofSystem != .sumcheck { string(proofSystem.rawValue) }
        return out
    }

    /// SHA-256 of `canonicalBytes`: the circuit id (32 bytes).
    public var id: [UInt8] { Array(SHA256.hash(data: canonicalBytes)) }

    /// `id` as 64 lowercase hex digits.
    public var idHex: String { id.map { String(format: "%02x", $0) }.joined() }
}
