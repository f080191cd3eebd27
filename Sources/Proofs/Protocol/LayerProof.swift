import Dispatch
import Foundation
import Kernel

/// The public statement of one proof: circuit, weights, input X and claimed output Y.
public struct LayerStatement: Sendable {
    public let circuit: Circuit
    public let weights: LayerWeights
    /// Input: the kernel's canonical hidden tensor, int32 Q16, shape [T, inFeatures].
    public let input: CanonicalTensor
    /// Claimed output: canonical hidden tensor, int32 Q16, shape [T, outFeatures] (dense) or
    /// [T, inFeatures] (llama-mlp).
    public let output: CanonicalTensor

    /// Checks shapes and element types against the circuit.
    ///
    /// - Throws: `ProofsError.wrongShape` / `.wrongTensorType` / `.tokenCountOutOfRange`.
    public init(
        circuit: Circuit, weights: LayerWeights, input: CanonicalTensor, output: CanonicalTensor
    ) throws(ProofsError) {
        let outWidth = circuit.kind == .dense ? circuit.outFeatures : circuit.inFeatures
        for (what, t, width) in [("input", input, circuit.inFeatures), ("output", output, outWidth)] {
            guard t.dtype == .int32 else {
                throw .wrongTensorType(what: what, got: "\(t.dtype)", want: "int32")
            }
            guard t.shape.count == 2, t.shape[1] == width else {
                throw .wrongShape(what: what, got: t.shape, want: [t.shape.first ?? 0, width])
            }
        }
        guard input.shape[0] == output.shape[0] else {
            throw .wrongShape(what: "output", got: output.shape, want: [input.shape[0], outWidth])
        }
        guard (1...circuit.maxTokens).contains(input.shape[0]) else {
            throw .tokenCountOutOfRange(got: input.shape[0], max: circuit.maxTokens)
        }
        self.circuit = circuit
        self.weights = weights
        self.input = input
        self.output = output
    }

    public var tokens: Int { input.shape[0] }

    /// Absorbs the public statement (§4.2, steps 1–6) into a fresh transcript.
    func transcript() -> Transcript {
        var t = Transcript()
        t.observe("protocol", Array("mesh-validator/proofs/dense-sumcheck".utf8))
        t.observe("version", Transcript.bigEndian(ProofFormat.version))
        t.observe("circuit", circuit.id)
        t.observe("weights", weights.digest)
        t.observe("tokens", u64: UInt64(tokens))
        t.observe("input", input.commitment)
        t.observe("output", output.commitment)
        return t
    }
}

/// Proves and verifies `Y = layer(W, X)` for a registered circuit (specs/proofs.md §5–§6).
///
/// The prover sends every GEMM accumulator of the layer (exact integers) and one matmul
/// sumcheck per GEMM. The verifier recomputes every non-GEMM step — activation quantization,
/// requantization, saturation, nonlinearity tables, norms, products, residual adds — with the
/// kernel's own functions from those accumulators, checks the result equals Y bit for bit, and
/// checks each accumulator against its GEMM by the sumcheck.
public enum LayerProof {
    /// Produces a proof that `statement.output` is the layer's output on `statement.input`.
    ///
    /// - Throws: `ProofsError.claimedOutputDiffers` if the layer's output is not the claimed
    ///   output (an honest prover never proves a false statement), or a kernel error.
    /// - Parameter options: the kernel GEMM path and threads (the proof does not depend on them).
    public static func prove(
        _ statement: LayerStatement, options: ExecutionOptions = ExecutionOptions()
    ) throws(ProofsError) -> Data {
        var statements: [MatmulStatement] = []
        var accumulators: [[Int64]] = []
        let y = try LayerTrace.run(
            circuit: statement.circuit, weights: statement.weights, input: statement.input
        ) { (call: GemmCall) throws(ProofsError) -> [Int64] in
            let acc: [Int64]
            do {
                acc = try Dense.accumulate(call.activations, call.matrix, options: options)
            } catch let e as KernelError {
                throw .kernel(e)
            } catch {
                throw .malformedCircuit("\(error)")
            }
            statements.append(call.statement)
            accumulators.append(acc)
            return acc
        }
        guard y == statement.output else {
            throw .claimedOutputDiffers(firstDifference(y, statement.output) ?? "")
        }
        var stages: [ProofFormat.Stage] = []
        for acc in accumulators {
            guard let bits = ProofFormat.minimalBits(acc) else {
                throw .accumulatorWidthOutOfRange(stage: stages.count, got: 64)
            }
            stages.append(.init(accumulatorBits: bits, accumulator: acc, rounds: []))
        }
        var transcript = statement.transcript()
        for s in stages { transcript.observe("accumulator", ProofFormat.accumulatorSection(s)) }
        let rounds = MatmulArgument.prove(
            statements: statements, accumulators: accumulators, transcript: &transcript)
        for i in stages.indices { stages[i].rounds = rounds[i] }
        return ProofFormat(circuitID: statement.circuit.id, tokens: statement.tokens, stages: stages)
            .encoded()
    }

    /// The decoder's view of the circuit's proof layout for `tokens` tokens.
    static func shape(_ circuit: Circuit) -> ProofFormat.Shape {
        let d = circuit.inFeatures
        let f = circuit.outFeatures
        switch circuit.kind {
        case .dense: return .init(maxTokens: circuit.maxTokens, stages: [(f, d)])
        case .llamaMLP: return .init(maxTokens: circuit.maxTokens, stages: [(f, d), (f, d), (d, f)])
        }
    }

    /// Verifies `proof` for `statement`.
    ///
    /// - Returns: `.valid`, or `.invalid(reason:)` naming the failed check (wrong circuit,
    ///   wrong token count, output mismatch, sumcheck failure).
    /// - Throws: `ProofsError` only when `proof` is malformed (truncated, oversized, bad lengths,
    ///   non-canonical field elements, trailing bytes).
    public static func verify(_ statement: LayerStatement, proof: some DataProtocol) throws(ProofsError)
        -> ProofVerdict
    {
        let header = try ProofFormat.decodeCircuitID(proof)
        guard header == statement.circuit.id else {
            return .invalid(
                reason:
                    "the proof is for another circuit (id \(hex(header)), want \(statement.circuit.idHex))")
        }
        let decoded = try ProofFormat(decoding: proof, shape: shape(statement.circuit))
        guard decoded.tokens == statement.tokens else {
            return .invalid(
                reason: "the proof covers \(decoded.tokens) tokens, the input has \(statement.tokens)")
        }
        // True accumulators are bounded by n·128·2^(bits−1) (§5.3); larger claims are false and
        // would leave the kernel's documented input ranges.
        for (i, (stage, s)) in zip(decoded.stages, shape(statement.circuit).stages).enumerated() {
            let bound = Int64(s.inner) * 128 * (Int64(1) << (statement.circuit.activationBits - 1))
            if let bad = stage.accumulator.first(where: { $0 > bound || $0 < -bound }) {
                return .invalid(
                    reason: "stage \(i): accumulator entry \(bad) exceeds the GEMM bound \(bound)")
            }
        }
        // Replay the layer on the claimed accumulators: every non-GEMM step is recomputed.
        var statements: [MatmulStatement] = []
        var stageIndex = 0
        let y: CanonicalTensor
        do {
            y = try LayerTrace.run(
                circuit: statement.circuit, weights: statement.weights, input: statement.input
            ) { (call: GemmCall) throws(ProofsError) -> [Int64] in
                statements.append(call.statement)
                defer { stageIndex += 1 }
                return decoded.stages[stageIndex].accumulator
            }
        } catch {
            return .invalid(reason: "the claimed accumulators do not run through the layer: \(error)")
        }
        if let reason = firstDifference(y, statement.output) { return .invalid(reason: reason) }
        var transcript = statement.transcript()
        for s in decoded.stages { transcript.observe("accumulator", ProofFormat.accumulatorSection(s)) }
        if let reason = MatmulArgument.verify(
            statements: statements, accumulators: decoded.stages.map(\.accumulator),
            rounds: decoded.stages.map(\.rounds), transcript: &transcript)
        {
            return .invalid(reason: reason)
        }
        return .valid
    }

    static func firstDifference(_ got: CanonicalTensor, _ want: CanonicalTensor) -> String? {
        guard got != want else { return nil }
        guard case .int32(let a) = got.values, case .int32(let b) = want.values, a.count == b.count,
            got.shape == want.shape
        else { return "the layer output's shape or type differs from the claimed output" }
        let width = want.shape.last ?? 1
        for i in a.indices where a[i] != b[i] {
            return "output[\(i / width)][\(i % width)] is \(b[i]); the proven accumulators give \(a[i])"
        }
        return "the layer output's header differs from the claimed output"
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

extension LayerProof {
    /// Seconds (best of `rounds`) the verifier spends on its three big multilinear evaluations
    /// of the first GEMM — W~, X~ and the accumulator A~ — at random points: the terms that
    /// dominate its cost (specs/proofs.md §9). For benchmarks.
    public static func verifierBreakdown(
        _ statement: LayerStatement, rounds: Int
    ) -> (weights: Double, input: Double, accumulator: Double) {
        var rng = SeededWeights(seed: 99)
        func point(_ size: Int) -> [GoldilocksExt2] {
            (0..<Multilinear.variableCount(size)).map { _ in
                GoldilocksExt2(Goldilocks(rng.next()), Goldilocks(rng.next()))
            }
        }
        guard let call = try? firstGemm(statement) else { return (0, 0, 0) }
        let s = call.statement
        let (pk, pm, pt) = (point(s.inner), point(s.outputs), point(s.tokens))
        let acc = s.product()
        func best(_ body: () -> Void) -> Double {
            var b = Double.infinity
            for _ in 0..<max(1, rounds) {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                b = min(b, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return b
        }
        var sink = GoldilocksExt2.zero
        let w = best { sink += s.weights.evaluate(colPoint: pk, rowPoint: pm) }
        let x = best { sink += s.input.evaluate(colPoint: pk, rowPoint: pt) }
        let a = best {
            sink += IntegerMatrixMLE.evaluate(
                acc, rows: s.tokens, cols: s.outputs, colPoint: pm, rowPoint: pt)
        }
        if sink == GoldilocksExt2(Goldilocks(1), Goldilocks(2)) { print("") }  // keep `sink` alive
        return (w, x, a)
    }

    static func firstGemm(_ statement: LayerStatement) throws(ProofsError) -> GemmCall {
        var first: GemmCall?
        _ = try LayerTrace.run(circuit: statement.circuit, weights: statement.weights, input: statement.input)
        {
            (call: GemmCall) throws(ProofsError) -> [Int64] in
            if first == nil { first = call }
            return [Int64](repeating: 0, count: call.statement.tokens * call.statement.outputs)
        }
        guard let first else { throw .malformedCircuit("circuit has no GEMM") }
        return first
    }
}

extension LayerProof {
    /// The layer's output on `input`, computed by the kernel (the prover's first step).
    ///
    /// - Throws: `ProofsError` for shapes that do not fit the circuit, or a kernel error.
    public static func output(
        circuit: Circuit, weights: LayerWeights, input: CanonicalTensor,
        options: ExecutionOptions = ExecutionOptions()
    ) throws(ProofsError) -> CanonicalTensor {
        guard input.dtype == .int32, input.shape.count == 2, input.shape[1] == circuit.inFeatures else {
            throw .wrongShape(
                what: "input", got: input.shape, want: [input.shape.first ?? 0, circuit.inFeatures])
        }
        guard (1...circuit.maxTokens).contains(input.shape[0]) else {
            throw .tokenCountOutOfRange(got: input.shape[0], max: circuit.maxTokens)
        }
        return try LayerTrace.run(circuit: circuit, weights: weights, input: input) {
            (call: GemmCall) throws(ProofsError) -> [Int64] in
            do {
                return try Dense.accumulate(call.activations, call.matrix, options: options)
            } catch let e as KernelError {
                throw .kernel(e)
            } catch {
                throw .malformedCircuit("\(error)")
            }
        }
    }
}
