import Crypto
import Foundation
import Kernel

/// The weights of one circuit as the validator holds them (specs/proofs.md §7.3).
///
/// The validator holds W itself (it has the model package), not a commitment: a proof's
/// sumcheck ends in an evaluation W~(r) at a fresh random point, which the verifier computes
/// from the integers it holds. `digest` binds the exact weights into the transcript.
public struct LayerWeights: Sendable {
    /// Dense: `[layer]`; llama-mlp: `[gate, up, down]`.
    public let linears: [LinearWeights]
    /// llama-mlp: the FFN RMSNorm gamma; dense: nil.
    public let norm: NormWeights?
    /// llama-mlp: the model's `normEpsilonQ32` (specs/kernel.md §3.2); dense: 0.
    public let normEpsilonQ32: Int64
    /// SHA-256 over the canonical encodings of every weight tensor, in order (§7.3), 32 bytes.
    public let digest: [UInt8]

    /// Wraps weights after checking them against `circuit`.
    ///
    /// - Throws: `ProofsError.wrongShape` if a matrix, bias or norm does not fit the circuit;
    ///   `.blockWeightsUnsupported` for a block-quantized matrix (kernel.md §3.5);
    ///   `.malformedCircuit` if a matrix's weight width is not the circuit's `weightBits`.
    public init(
        circuit: Circuit, linears: [LinearWeights], norm: NormWeights?, normEpsilonQ32: Int64 = 0
    ) throws(ProofsError) {
        let d = circuit.inFeatures
        let f = circuit.outFeatures
        let want: [(Int, Int)]
        switch circuit.kind {
        case .dense: want = [(f, d)]
        case .llamaMLP: want = [(f, d), (f, d), (d, f)]
        }
        guard linears.count == want.count else {
            throw .wrongShape(what: "weight matrices", got: [linears.count], want: [want.count])
        }
        if let i = linears.firstIndex(where: { $0.matrix.blocks != nil }) {
            throw .blockWeightsUnsupported(matrix: "\(circuit.name) matrix \(i)")
        }
        for (l, (r, c)) in zip(linears, want) {
            guard l.matrix.rows == r, l.matrix.cols == c else {
                throw .wrongShape(what: "weight matrix", got: [l.matrix.rows, l.matrix.cols], want: [r, c])
            }
            guard l.matrix.weightBits == circuit.weightBits else {
                throw .malformedCircuit(
                    "circuit \(circuit.name) has weightBits \(circuit.weightBits); a matrix has "
                        + "\(l.matrix.weightBits)-bit weights")
            }
            let hasBias = circuit.kind == .dense && circuit.bias
            guard (l.bias != nil) == hasBias else {
                throw .wrongShape(what: "bias", got: [l.bias?.count ?? 0], want: [hasBias ? r : 0])
            }
        }
        if circuit.kind == .llamaMLP {
            guard let norm, norm.gamma.count == d, norm.beta == nil else {
                throw .wrongShape(what: "ffn norm", got: [norm?.gamma.count ?? 0], want: [d])
            }
        }
        self.linears = linears
        self.norm = circuit.kind == .llamaMLP ? norm : nil
        self.normEpsilonQ32 = circuit.kind == .llamaMLP ? normEpsilonQ32 : 0
        var h = SHA256()
        h.update(data: Array("mesh-validator/proofs/weights/v1".utf8))
        for l in linears {
            h.update(data: l.matrix.weightTensor.encoded())
            if let low = l.matrix.lowWeightTensor { h.update(data: low.encoded()) }
            h.update(data: l.matrix.scalesTensor.encoded())
            if let b = l.bias {
                h.update(data: Self.int32Tensor(b))
            }
        }
        if let norm = self.norm {
            h.update(data: Self.int32Tensor(norm.gamma))
            h.update(data: Transcript.bigEndian(UInt64(bitPattern: self.normEpsilonQ32)))
        }
        digest = Array(h.finalize())
    }

    static func int32Tensor(_ v: [Int32]) -> Data {
        (try? CanonicalTensor(fractionBits: 16, shape: [v.count], values: .int32(v)))?.encoded() ?? Data()
    }

    /// The weights of `circuit` taken from a loaded model (`weights == .model`).
    ///
    /// - Throws: `.malformedCircuit` if the circuit is not a llama-mlp over this model's block,
    ///   `.wrongShape` if the widths differ.
    public init(circuit: Circuit, model: QuantizedModel) throws(ProofsError) {
        guard circuit.weights == .model, let block = circuit.block else {
            throw .malformedCircuit("circuit \(circuit.name) does not take its weights from a model")
        }
        guard case .llama(let blocks) = model.blocks, circuit.kind == .llamaMLP else {
            throw .malformedCircuit("model-sourced circuits are llama-mlp blocks of a llama model")
        }
        guard block < blocks.count else {
            throw .malformedCircuit("block \(block) is not below the model's \(blocks.count) blocks")
        }
        let b = blocks[block]
        guard model.config.activationBits == circuit.activationBits else {
            throw .malformedCircuit(
                "circuit activationBits \(circuit.activationBits) != model's \(model.config.activationBits)")
        }
        guard model.config.weightBits != 4 else {
            throw .blockWeightsUnsupported(matrix: "blk.\(block).ffn_gate/up/down")
        }
        guard model.config.weightBits == circuit.weightBits else {
            throw .malformedCircuit(
                "circuit weightBits \(circuit.weightBits) != model's \(model.config.weightBits)")
        }
        try self.init(
            circuit: circuit, linears: [b.gate, b.up, b.down], norm: b.ffnNorm,
            normEpsilonQ32: model.config.normEpsilonQ32)
    }

    /// The deterministic weights of a `seeded` dense circuit (§7.4): floats from SplitMix64
    /// quantized by the kernel's own `Quantizer` with the circuit's activation and weight bits.
    public init(seededFor circuit: Circuit) throws(ProofsError) {
        guard circuit.weights == .seeded, let seed = circuit.seed, circuit.kind == .dense else {
            throw .malformedCircuit("circuit \(circuit.name) has no seeded weights")
        }
        var rng = SeededWeights(seed: seed)
        let rows = circuit.outFeatures
        let cols = circuit.inFeatures
        // Uniform in [-1, 1) scaled by 1/sqrt(cols) (keeps outputs in a useful range).
        let scale = 1.0 / Double(cols).squareRoot()
        let values = (0..<(rows * cols)).map { _ in Float(rng.nextSigned() * scale) }
        do {
            let matrix = try Quantizer.quantizeMatrix(
                name: circuit.name, values: values, rows: rows, cols: cols,
                activationBits: circuit.activationBits, weightBits: circuit.weightBits)
            let bias: [Int32]? =
                circuit.bias
                ? try Quantizer.quantizeQ16(
                    name: circuit.name + ".bias",
                    values: (0..<rows).map { _ in Float(rng.nextSigned() * 0.1) })
                : nil
            try self.init(
                circuit: circuit, linears: [try LinearWeights(matrix: matrix, bias: bias)], norm: nil)
        } catch let e as KernelError {
            throw .kernel(e)
        } catch let e as ProofsError {
            throw e
        } catch {
            throw .malformedCircuit("\(error)")
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): the generator behind seeded circuit weights (§7.4).
public struct SeededWeights: Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64-bit output.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `(next() >> 11) · 2^-52 − 1`: a Double in [-1, 1) on a 2^-52 grid (exact).
    public mutating func nextSigned() -> Double {
        Double(next() >> 11) * 0x1p-52 - 1.0
    }
}
