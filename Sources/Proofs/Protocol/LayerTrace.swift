import Kernel

/// Runs a circuit's layer with every GEMM supplied by `matmul` (specs/proofs.md §5.1).
///
/// The prover passes a closure that runs the kernel's GEMM; the verifier passes one that
/// returns the accumulator claimed in the proof. Every other step is the kernel's integer
/// arithmetic (`KernelBridge`), in the order of specs/kernel.md §5.1 and §6.2.
enum LayerTrace {
    typealias MatmulProvider = (GemmCall) throws(ProofsError) -> [Int64]

    static func run(
        circuit: Circuit, weights: LayerWeights, input: CanonicalTensor, matmul: MatmulProvider
    ) throws(ProofsError) -> CanonicalTensor {
        let x: [Int32]
        do { x = try input.int32Values() } catch { throw .kernel(error) }
        let tokens = input.shape[0]
        let bits = circuit.activationBits
        switch circuit.kind {
        case .dense:
            // y = dense(quantizeToken(x), W, bias?, lut?, residual: x?)
            let layer = weights.linears[0]
            let a = try KernelBridge.quantize(x, tokens: tokens, width: circuit.inFeatures, bits: bits)
            let tail =
                circuit.derivedStage == 0
                ? OutputTail(bias: layer.bias, residual: circuit.residual ? x : nil) : nil
            let acc = try matmul(try GemmCall(a, layer.matrix, outputTail: tail))
            let y = try KernelBridge.dense(
                accumulators: acc, input: a, weights: layer, lut: circuit.activation.kernelFunction,
                residual: circuit.residual ? x : nil)
            return try KernelBridge.hidden(y, tokens: tokens, width: circuit.outFeatures)
        case .llamaMLP:
            // specs/kernel.md §6.2, FFN half of the Llama block.
            let d = circuit.inFeatures
            let f = circuit.outFeatures
            guard let norm = weights.norm else {
                throw .malformedCircuit("llama-mlp weights need the ffn norm")
            }
            let (gate, up, down) = (weights.linears[0], weights.linears[1], weights.linears[2])
            let z = try KernelBridge.rmsNorm(x, width: d, norm: norm, epsilonQ32: weights.normEpsilonQ32)
            let a = try KernelBridge.quantize(z, tokens: tokens, width: d, bits: bits)
            let gAcc = try matmul(try GemmCall(a, gate.matrix))
            let uAcc = try matmul(try GemmCall(a, up.matrix))
            let g = try KernelBridge.dense(
                accumulators: gAcc, input: a, weights: gate, lut: .silu, residual: nil)
            let u = try KernelBridge.dense(accumulators: uAcc, input: a, weights: up, lut: nil, residual: nil)
            let h = KernelBridge.swiglu(g, u)
            let hq = try KernelBridge.quantize(h, tokens: tokens, width: f, bits: bits)
            let dAcc = try matmul(
                try GemmCall(hq, down.matrix, outputTail: OutputTail(bias: down.bias, residual: x)))
            let y = try KernelBridge.dense(
                accumulators: dAcc, input: hq, weights: down, lut: nil, residual: x)
            return try KernelBridge.hidden(y, tokens: tokens, width: d)
        }
    }
}

extension Circuit {
    /// The stage whose accumulator a proof derives from Y (§5.3): the GEMM that produces the
    /// layer's output with no table after it — a dense layer without activation, the `down`
    /// projection of a llama MLP. Nil when the output passes through a table.
    var derivedStage: Int? {
        switch kind {
        case .dense: return activation == .none ? 0 : nil
        case .llamaMLP: return 2
        }
    }
}

extension Circuit.Activation {
    /// The kernel's table function, or nil for `none`.
    var kernelFunction: ActivationFunction? {
        switch self {
        case .none: return nil
        case .silu: return .silu
        case .gelu: return .gelu
        }
    }
}
