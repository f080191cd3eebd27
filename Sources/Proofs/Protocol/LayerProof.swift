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
/// The prover sends every GEMM accumulator of the layer (exact integers; for the GEMM that
/// produces Y with no table after it, only its difference from what Y implies, §5.3) and one
/// matmul sumcheck per GEMM. The verifier recomputes every non-GEMM step — activation quantization,
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
        var calls: [GemmCall] = []
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
            calls.append(call)
            accumulators.append(acc)
            return acc
        }
        guard y == statement.output else {
            throw .claimedOutputDiffers(firstDifference(y, statement.output) ?? "")
        }
        let layout = shape(statement.circuit)
        var stages: [ProofFormat.Stage] = []
        for (i, acc) in accumulators.enumerated() {
            var entries = acc
            if layout.stages[i].derived {
                let baseline = try baseline(of: calls[i], statement: statement)
                for j in entries.indices { entries[j] -= baseline[j] }
            }
            stages.append(.init(entries: entries))
        }
        var transcript = statement.transcript()
        var sections: [[UInt8]] = []
        for (i, s) in stages.enumerated() {
            // True accumulators and differences are below 2^47 in magnitude (§5.1, §5.3).
            guard let section = ProofFormat.entrySection(s) else {
                throw .nonCanonicalEntries(stage: i, reason: "an entry is outside [-2^47, 2^47)")
            }
            transcript.observe("accumulator", section)
            sections.append(section)
        }
        let rounds = MatmulArgument.prove(
            statements: calls.map(\.statement), accumulators: accumulators, transcript: &transcript)
        for i in stages.indices { stages[i].rounds = rounds[i] }
        return ProofFormat(circuitID: statement.circuit.id, tokens: statement.tokens, stages: stages)
            .encoded(entrySections: sections)
    }

    /// The §5.3 baseline of a derived stage's accumulator, from the claimed output Y.
    static func baseline(of call: GemmCall, statement: LayerStatement) throws(ProofsError) -> [Int64] {
        guard let tail = call.outputTail else {
            throw .malformedCircuit("stage \(call.matrix.rows)×\(call.matrix.cols) has no output tail")
        }
        let y: [Int32]
        do { y = try statement.output.int32Values() } catch { throw .kernel(error) }
        let c = statement.circuit
        let bound = accumulatorBound(
            inner: call.matrix.cols, activationBits: c.activationBits, weightBits: c.weightBits)
        return AccumulatorBaseline.derive(
            output: y, residual: tail.residual, bias: tail.bias, activations: call.activations,
            scales: call.matrix.outputScales, bound: bound)
    }

    /// The circuit's proof layout (§6): each stage's output count, inner size and whether its
    /// accumulator is derived from Y (§5.3).
    public static func shape(_ circuit: Circuit) -> ProofFormat.Shape {
        let d = circuit.inFeatures
        let f = circuit.outFeatures
        let stages: [(outputs: Int, inner: Int)] =
            switch circuit.kind {
            case .dense: [(f, d)]
            case .llamaMLP: [(f, d), (f, d), (d, f)]
            }
        return .init(
            maxTokens: circuit.maxTokens,
            stages: stages.enumerated().map { i, s in
                .init(outputs: s.outputs, inner: s.inner, derived: circuit.derivedStage == i)
            })
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
        var clock = PhaseClock(enabled: false)
        return try verify(statement, proof: proof, clock: &clock)
    }

    /// `verify`, also returning the seconds spent in each phase (for benchmarks, §10).
    public static func verifyWithProfile(_ statement: LayerStatement, proof: some DataProtocol)
        throws(ProofsError) -> (verdict: ProofVerdict, profile: VerifierProfile)
    {
        var clock = PhaseClock(enabled: true)
        let verdict = try verify(statement, proof: proof, clock: &clock)
        return (verdict, clock.profile)
    }

    static func verify(_ statement: LayerStatement, proof: some DataProtocol, clock: inout PhaseClock)
        throws(ProofsError) -> ProofVerdict
    {
        // The header routes the proof: another circuit or another batch is invalid before the
        // body is decoded (a short proof claiming many tokens allocates nothing).
        let header = try ProofFormat.decodeHeader(proof, maxTokens: statement.circuit.maxTokens)
        guard header.circuitID == statement.circuit.id else {
            return .invalid(
                reason:
                    "the proof is for another circuit (id \(hex(header.circuitID)), want \(statement.circuit.idHex))"
            )
        }
        guard header.tokens == statement.tokens else {
            return .invalid(
                reason: "the proof covers \(header.tokens) tokens, the input has \(statement.tokens)")
        }
        let (decoded, sections) = try ProofFormat.decode(proof, shape: shape(statement.circuit))
        clock.lap(\.decode)
        // Replay the layer on the claimed accumulators: every non-GEMM step is recomputed.
        let c = statement.circuit
        let layout = shape(c)
        var calls: [GemmCall] = []
        var accumulators: [[Int64]] = []
        let y: CanonicalTensor
        do {
            y = try LayerTrace.run(circuit: c, weights: statement.weights, input: statement.input) {
                (call: GemmCall) throws(ProofsError) -> [Int64] in
                let i = calls.count
                var acc = decoded.stages[i].entries
                if layout.stages[i].derived {
                    let baseline = try baseline(of: call, statement: statement)
                    for j in acc.indices { acc[j] += baseline[j] }
                }
                calls.append(call)
                accumulators.append(acc)
                return acc
            }
        } catch {
            return .invalid(reason: "the claimed accumulators do not run through the layer: \(error)")
        }
        clock.lap(\.trace)
        // True accumulators are bounded by K·Amax·Wmax (§5.1); larger claims are false.
        for (i, (acc, s)) in zip(accumulators, layout.stages).enumerated() {
            let bound = accumulatorBound(
                inner: s.inner, activationBits: c.activationBits, weightBits: c.weightBits)
            if let bad = largestMagnitude(acc), bad > bound {
                return .invalid(
                    reason:
                        "stage \(i): accumulator entry of magnitude \(bad) exceeds the GEMM bound \(bound)")
            }
        }
        clock.lap(\.bounds)
        if let reason = firstDifference(y, statement.output) { return .invalid(reason: reason) }
        clock.lap(\.compare)
        var transcript = statement.transcript()
        for section in sections { transcript.observe("accumulator", section) }
        clock.lap(\.transcript)
        if let reason = MatmulArgument.verify(
            statements: calls.map(\.statement), accumulators: accumulators,
            rounds: decoded.stages.map(\.rounds), transcript: &transcript, clock: &clock)
        {
            return .invalid(reason: reason)
        }
        return .valid
    }

    /// The largest `|acc|` of a true accumulator of a GEMM with inner size `inner`:
    /// `K · Amax · Wmax` with `Amax = 2^(b−1) − 1` and `Wmax` = 128 (int8 weights, −128
    /// included) or 32896 (`|256·hi + lo|` for two int8 planes) (§5.1). At most
    /// `2^15 · 32767 · 32896 < 2^46`.
    public static func accumulatorBound(inner: Int, activationBits: Int, weightBits: Int) -> Int64 {
        let amax = (Int64(1) << (activationBits - 1)) - 1
        let wmax: Int64 = weightBits == 16 ? 32896 : 128
        return Int64(inner) * amax * wmax
    }

    /// The largest `|v|` in `values` (nil when empty). Accumulators are decoded 48-bit values,
    /// plus a baseline of at most the GEMM bound `< 2^46` for a derived stage, so `|v| < 2^48`
    /// and nothing overflows.
    static func largestMagnitude(_ values: [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        var lo = Int64.max
        var hi = Int64.min
        values.withUnsafeBufferPointer { v in
            for x in v {
                lo = min(lo, x)
                hi = max(hi, x)
            }
        }
        return max(hi, 0 &- lo)
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

/// Seconds the verifier spent in each phase of one `verify` call (specs/proofs.md §10.1).
public struct VerifierProfile: Sendable, Equatable {
    /// Reading the header, decoding and unpacking the proof.
    public var decode = 0.0
    /// Checking every accumulator against its GEMM bound.
    public var bounds = 0.0
    /// The layer trace on the claimed accumulators: the kernel's non-GEMM steps, and deriving
    /// the accumulators of derived stages from Y (§5.3).
    public var trace = 0.0
    /// Comparing the trace output with Y.
    public var compare = 0.0
    /// Hashing the statement (X, Y) and the entry sections into the transcript.
    public var transcript = 0.0
    /// Evaluating each accumulator's MLE at the random point (the claims).
    public var claims = 0.0
    /// The sumcheck rounds.
    public var sumcheck = 0.0
    /// Evaluating q~ (the quantized GEMM inputs) at the final point.
    public var inputMLE = 0.0
    /// Evaluating W~ (the weights) at the final point.
    public var weightsMLE = 0.0

    public init() {}

    /// The sum of all phases.
    public var total: Double {
        decode + bounds + trace + compare + transcript + claims + sumcheck + inputMLE + weightsMLE
    }
}

/// A stopwatch that charges the time since the last lap to a phase; free when disabled.
struct PhaseClock {
    let enabled: Bool
    var last: UInt64
    var profile = VerifierProfile()

    init(enabled: Bool) {
        self.enabled = enabled
        last = enabled ? DispatchTime.now().uptimeNanoseconds : 0
    }

    mutating func lap(_ phase: WritableKeyPath<VerifierProfile, Double>) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        profile[keyPath: phase] += Double(now &- last) / 1e9
        last = now
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
