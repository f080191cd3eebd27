import Crypto
import Foundation

/// The conformance vectors of `Fixtures/kernel/` (see its README): per-op cases with inline
/// integer inputs and outputs, table commitments, and whole tiny-model runs with output
/// commitments. Another runtime (a browser node) checks itself against these files; our
/// tests recompute them.
public enum ConformanceVectors {
    /// One per-op case: `op` names a function of specs/kernel.md, `params` its integer
    /// parameters, `inputs` named integer arrays, `want` the expected integer array.
    public struct OpCase: Codable, Equatable, Sendable {
        public var desc: String
        public var op: String
        public var params: [String: Int64]
        public var inputs: [String: [Int64]]
        public var want: [Int64]
    }

    /// One whole-model case: the tiny model of `TinyModel` with `seed` and widths, a prompt,
    /// the model digest, the output commitment of the whole model and of a two-shard split,
    /// and (llama) greedy tokens.
    public struct ModelCase: Codable, Equatable, Sendable {
        public var desc: String
        public var architecture: String
        public var seed: UInt64
        public var activationBits: Int
        public var weightBits: Int
        /// SHA-256 over the model's named tensors: for each, in canonical order,
        /// `u32 LE name length || name UTF-8 || 32-byte tensor commitment`.
        public var modelDigest: String
        public var prompt: [Int32]
        public var outputKind: String
        public var outputCommitment: String
        /// Commitment of the hidden state after layers [0, 1).
        public var firstShardCommitment: String
        /// Llama: 6 greedy tokens with 2 shards; empty for bert.
        public var generated: [Int32]
    }

    /// Canonical tensor decoding cases: `hex` bytes, and either the commitment or an error.
    public struct TensorCase: Codable, Equatable, Sendable {
        public var desc: String
        public var hex: String
        public var wantCommitment: String?
        public var wantErr: Bool
    }

    // MARK: Generation

    /// SHA-256 commitments of the tables of §4 as canonical int32 tensors (kind raw).
    public static func tableCommitments() -> [String: String] {
        func c(_ v: [Int32]) -> String {
            (try? CanonicalTensor(shape: [v.count], values: .int32(v)))?.commitmentHex ?? ""
        }
        let tiny = RopeTable(headDim: 8, base: 10000, positions: 64)
        let smol = RopeTable(headDim: 64, base: 100000, positions: 2048)
        return [
            "silu": c(Tables.silu), "gelu": c(Tables.gelu), "exp": c(Tables.exp),
            "rope_d8_base1e4_p64_cos": c(tiny.cos), "rope_d8_base1e4_p64_sin": c(tiny.sin),
            "rope_d64_base1e5_p2048_cos": c(smol.cos), "rope_d64_base1e5_p2048_sin": c(smol.sin),
        ]
    }

    /// The per-op cases, computed by this implementation.
    public static func opCases() throws(KernelError) -> [OpCase] {
        var cases: [OpCase] = []
        var rng = SplitMix64(seed: 2024)
        let edges: [Int64] = [
            0, 1, -1, 2, -2, 3, -3, 127, -128, 32767, -32768, (1 << 31) - 1, -(1 << 31), 1 << 40,
            -(1 << 40), (1 << 61) + 12345, -(1 << 61) - 12345,
        ]
        for s in [-3, 0, 1, 2, 10, 30, 61, 62, 63, 70] {
            cases.append(
                OpCase(
                    desc: "roundShift edges, s = \(s)", op: "roundShift", params: ["s": Int64(s)],
                    inputs: ["x": edges], want: edges.map { FixedPoint.roundShift($0, s) }))
        }
        let big: [Int64] = [0, 1, -1, (1 << 46) - 1, -(1 << 46), 123_456_789_012, -987_654_321]
        for (b, s) in [(Int64(1 << 14), 15), ((1 << 23) - 1, 40), (255 * 32767, 70), (3, -5)] {
            cases.append(
                OpCase(
                    desc: "mulRoundShift, b = \(b), s = \(s)", op: "mulRoundShift",
                    params: ["b": b, "s": Int64(s)],
                    inputs: ["a": big], want: big.map { FixedPoint.mulRoundShift($0, b, s) }))
        }
        let sq: [Int64] = [0, 1, 2, 3, 4, 15, 16, 17, (1 << 62) - 1, 1 << 62, 999_999_999_999]
        cases.append(
            OpCase(desc: "isqrt", op: "isqrt", params: [:], inputs: ["v": sq], want: sq.map(FixedPoint.isqrt))
        )
        let lutEdges: [Int64] = [
            -2_147_483_647, -1_048_577, -1_048_576, -65536, -1, 0, 1, 1023, 1024, 65536, 1_048_575, 1_048_576,
            1 << 30,
        ]
        var lutIn = lutEdges
        for _ in 0..<24 { lutIn.append(Int64(rng.nextInt(-(17 << 16), 17 << 16))) }
        for f in ActivationFunction.allCases {
            cases.append(
                OpCase(
                    desc: "\(f.rawValue) lut", op: "lut", params: ["table": f == .silu ? 0 : 1],
                    inputs: ["x": lutIn], want: lutIn.map { Int64(f.apply(Int32($0))) }))
        }
        var expIn: [Int64] = [0, 1, 1023, 1024, 65536, 1_048_575, 1_048_576, 1 << 31]
        for _ in 0..<16 { expIn.append(Int64(rng.nextInt(0, 17 << 16))) }
        cases.append(
            OpCase(
                desc: "expq", op: "expq", params: [:], inputs: ["d": expIn],
                want: expIn.map(Nonlinearity.expq)))

        // Per-token quantization (8 and 16 bits), returned as q values then (mant, e) per token.
        let width = 6
        var z: [Int32] = [0, 0, 0, 0, 0, 0, 1, -1, 2, 0, 0, 3, Int32.max, -Int32.max, 5, -7, 1 << 20, 99]
        for _ in 0..<12 { z.append(Int32(rng.nextInt(-5_000_000, 5_000_000))) }
        for bits in [8, 16] {
            let a = try QuantizedActivations.quantize(z, tokens: z.count / width, width: width, bits: bits)
            let want =
                a.values.map { Int64($0) } + zip(a.mantissas, a.exponents).flatMap { [Int64($0), Int64($1)] }
            cases.append(
                OpCase(
                    desc: "quantizeToken, \(bits) bits (want: q row-major, then mant, e per token)",
                    op: "quantizeToken", params: ["bits": Int64(bits), "width": Int64(width)],
                    inputs: ["z": z.map { Int64($0) }], want: want))
        }

        // Dense primitive: raw integer weights, multipliers, bias, residual, gelu.
        for (bits, wbits) in [(8, 8), (16, 16)] {
            let (t, k, n) = (3, 70, 5)
            let zz = (0..<(t * k)).map { _ in Int32(rng.nextInt(-1_000_000, 1_000_000)) }
            let a = try QuantizedActivations.quantize(zz, tokens: t, width: k, bits: bits)
            let m = try Quantizer.quantizeMatrix(
                name: "w", values: (0..<(n * k)).map { _ in rng.nextFloat(scale: 0.5) }, rows: n, cols: k,
                activationBits: bits, weightBits: wbits)
            let bias = (0..<n).map { _ in Int32(rng.nextInt(-100_000, 100_000)) }
            let res = (0..<(t * n)).map { _ in Int32(rng.nextInt(-100_000, 100_000)) }
            let y = try Dense.apply(a, try LinearWeights(matrix: m, bias: bias), lut: .gelu, residual: res)
            cases.append(
                OpCase(
                    desc: "dense with bias, gelu and residual; \(bits)-bit inputs, \(wbits)-bit weights",
                    op: "dense",
                    params: ["tokens": Int64(t), "k": Int64(k), "n": Int64(n), "lut": 1],
                    inputs: [
                        "q": a.values.map { Int64($0) }, "mant": a.mantissas.map { Int64($0) },
                        "e": a.exponents.map { Int64($0) },
                        "w": (0..<(n * k)).map { m.weight($0 / k, $0 % k) },
                        "M": m.outputScales.map { Int64($0.multiplier) },
                        "sh": m.outputScales.map { Int64($0.shift) },
                        "bias": bias.map { Int64($0) }, "residual": res.map { Int64($0) },
                    ],
                    want: y.map { Int64($0) }))
        }

        // Norms.
        let nw = 7
        var xs: [Int32] = [0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5, 5]
        for _ in 0..<21 { xs.append(Int32(rng.nextInt(-3_000_000, 3_000_000))) }
        xs += [Int32.max, -Int32.max, 1, 0, 0, 0, 0]
        let gamma = (0..<nw).map { _ in Int32(rng.nextInt(30000, 100_000)) }
        let beta = (0..<nw).map { _ in Int32(rng.nextInt(-20000, 20000)) }
        let eps = Int64(42950)
        cases.append(
            OpCase(
                desc: "rmsNorm", op: "rmsNorm", params: ["width": Int64(nw), "epsQ32": eps],
                inputs: ["x": xs.map { Int64($0) }, "gamma": gamma.map { Int64($0) }],
                want: try Norms.rmsNorm(xs, width: nw, gamma: gamma, epsilonQ32: eps).map { Int64($0) }))
        cases.append(
            OpCase(
                desc: "layerNorm", op: "layerNorm", params: ["width": Int64(nw), "epsQ32": 4],
                inputs: [
                    "x": xs.map { Int64($0) }, "gamma": gamma.map { Int64($0) },
                    "beta": beta.map { Int64($0) },
                ],
                want: try Norms.layerNorm(xs, width: nw, gamma: gamma, beta: beta, epsilonQ32: 4).map {
                    Int64($0)
                }))
        cases.append(
            OpCase(
                desc: "meanPoolL2", op: "meanPoolL2", params: ["width": Int64(nw)],
                inputs: ["h": xs.map { Int64($0) }],
                want: try Norms.meanPoolL2(xs, tokens: xs.count / nw, width: nw).map { Int64($0) }))

        // RoPE and attention (tiny shapes).
        let d = 8
        let table = RopeTable(headDim: d, base: 10000, positions: 16)
        var q = (0..<(3 * 2 * d)).map { _ in Int32(rng.nextInt(-400_000, 400_000)) }
        let q0 = q
        try Rope.apply(&q, tokens: 3, heads: 2, startPosition: 5, table: table, style: .interleaved)
        cases.append(
            OpCase(
                desc: "rope interleaved, 3 tokens from position 5, 2 heads of 8", op: "rope",
                params: ["tokens": 3, "heads": 2, "headDim": 8, "base": 10000, "start": 5, "interleaved": 1],
                inputs: ["x": q0.map { Int64($0) }], want: q.map { Int64($0) }))
        var k = (0..<(4 * d)).map { _ in Int32(rng.nextInt(-400_000, 400_000)) }
        k[0] = Int32.max
        let v = (0..<(4 * d)).map { _ in Int32(rng.nextInt(-400_000, 400_000)) }
        var cache = LayerKVCache(kvHeads: 1, headDim: d)
        try cache.append(keys: k, values: v, tokens: 4)
        let qa = (0..<(4 * 2 * d)).map { _ in Int32(rng.nextInt(-400_000, 400_000)) }
        for causal in [true, false] {
            let out = try Attention.attend(
                queries: qa, tokens: 4, startPosition: 0, cache: cache, heads: 2, causal: causal)
            cases.append(
                OpCase(
                    desc: "attention, 4 tokens, 2 query heads sharing 1 kv head of 8, causal \(causal)",
                    op: "attention",
                    params: ["tokens": 4, "heads": 2, "kvHeads": 1, "headDim": 8, "causal": causal ? 1 : 0],
                    inputs: ["q": qa.map { Int64($0) }, "k": k.map { Int64($0) }, "v": v.map { Int64($0) }],
                    want: out.map { Int64($0) }))
        }
        return cases
    }

    /// SHA-256 over `(u32 LE name length, name, tensor commitment)` for every named tensor.
    public static func modelDigest(_ model: QuantizedModel) -> String {
        var h = SHA256()
        for (name, t) in model.namedTensors() {
            let n = Array(name.utf8)
            let len = UInt32(n.count)
            h.update(data: [
                UInt8(len & 255), UInt8(len >> 8 & 255), UInt8(len >> 16 & 255), UInt8(len >> 24),
            ])
            h.update(data: n)
            h.update(data: t.commitment)
        }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static let prompt: [Int32] = [3, 14, 15, 9, 26, 53, 58, 9, 7, 9, 32, 38, 46, 26, 43, 38]

    /// The whole-model cases.
    public static func modelCases() throws(KernelError) -> [ModelCase] {
        var out: [ModelCase] = []
        let specs: [(Architecture, UInt64, Int, Int)] = [
            (.llama, 1, 8, 8), (.llama, 1, 16, 16), (.llama, 3, 16, 8), (.bert, 2, 16, 8), (.bert, 2, 8, 16),
        ]
        for (arch, seed, ab, wb) in specs {
            let model =
                arch == .llama
                ? try TinyModel.llama(seed: seed, activationBits: ab, weightBits: wb)
                : try TinyModel.bert(seed: seed, activationBits: ab, weightBits: wb)
            let input = try CanonicalTensor(kind: .tokenIDs, shape: [prompt.count], values: .int32(prompt))
            let whole = try Shard(model: model, layers: 0..<model.config.layers).run(input)
            let first = try Shard(model: model, layers: 0..<1).run(input)
            var generated: [Int32] = []
            if arch == .llama {
                generated = try ShardedGenerator(model: model, parts: 2).generate(
                    prompt: prompt, maxTokens: 6)
            }
            out.append(
                ModelCase(
                    desc: "tiny \(arch.rawValue), seed \(seed), \(ab)-bit activations, \(wb)-bit weights",
                    architecture: arch.rawValue, seed: seed, activationBits: ab, weightBits: wb,
                    modelDigest: modelDigest(model), prompt: prompt, outputKind: whole.kind.description,
                    outputCommitment: whole.commitmentHex, firstShardCommitment: first.commitmentHex,
                    generated: generated))
        }
        return out
    }

    /// Canonical tensor decoding cases (valid encodings and named malformations).
    public static func tensorCases() throws(KernelError) -> [TensorCase] {
        let t = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [2, 3],
            values: .int32([1, -1, 65536, -65536, Int32.max, Int32.min]))
        let ids = try CanonicalTensor(kind: .tokenIDs, shape: [3], values: .int32([1, 2, 49151]))
        let bytes = t.encoded()
        func hex(_ d: Data) -> String { d.map { String(format: "%02x", $0) }.joined() }
        var cases = [
            TensorCase(
                desc: "hidden int32 Q16 [2,3]", hex: hex(bytes), wantCommitment: t.commitmentHex,
                wantErr: false),
            TensorCase(
                desc: "token ids [3]", hex: hex(ids.encoded()), wantCommitment: ids.commitmentHex,
                wantErr: false),
        ]
        var b = bytes
        b[0] = 0x4E
        cases.append(TensorCase(desc: "bad magic", hex: hex(b), wantCommitment: nil, wantErr: true))
        b = bytes
        b[4] = 2
        cases.append(TensorCase(desc: "version 2", hex: hex(b), wantCommitment: nil, wantErr: true))
        b = bytes
        b[6] = 9
        cases.append(TensorCase(desc: "unknown dtype", hex: hex(b), wantCommitment: nil, wantErr: true))
        b = bytes
        b[5] = 7
        cases.append(TensorCase(desc: "unknown kind", hex: hex(b), wantCommitment: nil, wantErr: true))
        b = bytes
        b[8] = 0
        cases.append(TensorCase(desc: "rank 0", hex: hex(b), wantCommitment: nil, wantErr: true))
        b = bytes
        b[9] = 0
        cases.append(TensorCase(desc: "zero dimension", hex: hex(b), wantCommitment: nil, wantErr: true))
        cases.append(
            TensorCase(
                desc: "truncated payload", hex: hex(bytes.dropLast()), wantCommitment: nil, wantErr: true))
        cases.append(
            TensorCase(desc: "trailing byte", hex: hex(bytes + [0]), wantCommitment: nil, wantErr: true))
        cases.append(TensorCase(desc: "empty", hex: "", wantCommitment: nil, wantErr: true))
        return cases
    }

    /// The block-format vectors (§3.5, `blocks.json`): dense cases on block weights and whole
    /// tiny block-quantized llama models.
    public struct BlockVectors: Codable, Equatable, Sendable {
        public var ops: [OpCase]
        public var models: [ModelCase]
    }

    /// `blockDense` cases: the dense primitive (§5.1) with the block accumulator of §3.5.
    /// Inputs: `q`, `mant`, `e` per token; `codes` one per weight `[n, k]` (`[0, 15]` or
    /// `[-128, 127]`, param `codeBits`); `S`, `Z` per block `[n, k / 32]`; `M`, `sh` per row.
    /// `want` = the accumulators `[tokens, n]`, then the dense outputs `[tokens, n]`.
    public static func blockOpCases() throws(KernelError) -> [OpCase] {
        var rng = SplitMix64(seed: 3232)
        var cases: [OpCase] = []
        func add(_ desc: String, t: Int, k: Int, n: Int, bits: Int, edge: Bool) throws(KernelError) {
            let nb = k / 32
            var q: [Int16]
            if edge {
                q = (0..<(t * k)).map { [Int16.max, Int16.min + 1, -1, 0, 1][($0 / 7) % 5] }
            } else {
                q = (0..<(t * k)).map { _ in Int16(rng.nextInt(-32767, 32767)) }
            }
            let mant = (0..<t).map { _ in Int32(rng.nextInt(1, 256)) }
            let e = (0..<t).map { _ in Int32(rng.nextInt(0, 9)) }
            let lo = bits == 4 ? 0 : -128
            let hi = bits == 4 ? 15 : 127
            let codes: [Int] = (0..<(n * k)).map { i in edge ? (i % 3 == 2 ? lo : hi) : rng.nextInt(lo, hi) }
            let sz: [Int16] = (0..<(n * nb * 2)).map { i in
                edge ? [Int16.max, Int16.min, -32767, 1][i % 4] : Int16(rng.nextInt(-32768, 32767))
            }
            var packed = [UInt8](repeating: 0, count: bits == 4 ? n * k / 2 : n * k)
            for i in 0..<(n * k) {
                if bits == 4 {
                    packed[i / 2] |= UInt8(codes[i]) << (4 * (i & 1))
                } else {
                    packed[i] = UInt8(bitPattern: Int8(codes[i]))
                }
            }
            let blocks = try BlockWeights(rows: n, cols: k, codeBits: bits, codes: packed, blockScales: sz)
            let scales = try (0..<n).map { _ throws(KernelError) in
                try DyadicMultiplier(
                    multiplier: Int32(rng.nextInt(1 << 14, (1 << 15) - 1)), shift: Int32(rng.nextInt(40, 60)))
            }
            let m = try QuantizedMatrix(blocks: blocks, outputScales: scales, valueScales: scales)
            let a = try QuantizedActivations(
                tokens: t, width: k, bits: 16, values: q, mantissas: mant, exponents: e)
            let acc = try Dense.accumulate(a, m)
            let y = try Dense.apply(a, try LinearWeights(matrix: m))
            cases.append(
                OpCase(
                    desc: desc, op: "blockDense",
                    params: ["tokens": Int64(t), "k": Int64(k), "n": Int64(n), "codeBits": Int64(bits)],
                    inputs: [
                        "q": q.map { Int64($0) }, "mant": mant.map { Int64($0) }, "e": e.map { Int64($0) },
                        "codes": codes.map { Int64($0) },
                        "S": stride(from: 0, to: sz.count, by: 2).map { Int64(sz[$0]) },
                        "Z": stride(from: 1, to: sz.count, by: 2).map { Int64(sz[$0]) },
                        "M": scales.map { Int64($0.multiplier) }, "sh": scales.map { Int64($0.shift) },
                    ],
                    want: acc + y.map { Int64($0) }))
        }
        try add("4-bit codes, random, 3 tokens, K 96, 5 rows", t: 3, k: 96, n: 5, bits: 4, edge: false)
        try add("8-bit codes, random, 2 tokens, K 64, 17 rows", t: 2, k: 64, n: 17, bits: 8, edge: false)
        try add(
            "4-bit codes, extremes (codes 0/15, S/Z ±2^15, q ±32767), K 1024", t: 1,
            k: 1024, n: 2, bits: 4, edge: true)
        try add(
            "8-bit codes, extremes (codes -128/127, S/Z ±2^15, q ±32767), K 1024", t: 1, k: 1024, n: 2,
            bits: 8, edge: true)
        return cases
    }

    /// The tiny block-quantized llama (`TinyModel.blockLlama`) runs, like `modelCases`.
    public static func blockModelCases() throws(KernelError) -> [ModelCase] {
        let model = try TinyModel.blockLlama(seed: 3)
        let input = try CanonicalTensor(kind: .tokenIDs, shape: [prompt.count], values: .int32(prompt))
        let whole = try Shard(model: model, layers: 0..<model.config.layers).run(input)
        let first = try Shard(model: model, layers: 0..<1).run(input)
        let generated = try ShardedGenerator(model: model, parts: 2).generate(prompt: prompt, maxTokens: 6)
        return [
            ModelCase(
                desc: "tiny block llama (TinyModel.blockLlama), seed 3, 16-bit activations, block weights",
                architecture: "llama", seed: 3, activationBits: 16, weightBits: 4,
                modelDigest: modelDigest(model), prompt: prompt, outputKind: whole.kind.description,
                outputCommitment: whole.commitmentHex, firstShardCommitment: first.commitmentHex,
                generated: generated)
        ]
    }

    // MARK: Files

    static let files = ["ops.json", "models.json", "tensors.json", "tables.json", "blocks.json"]

    static func encode(_ v: some Encodable) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try e.encode(v) + Data("\n".utf8)
    }

    /// The current contents of every vector file.
    public static func render() throws -> [String: Data] {
        [
            "ops.json": try encode(try opCases()),
            "models.json": try encode(try modelCases()),
            "tensors.json": try encode(try tensorCases()),
            "tables.json": try encode(tableCommitments()),
            "blocks.json": try encode(BlockVectors(ops: try blockOpCases(), models: try blockModelCases())),
        ]
    }

    /// Rewrites the vector files in `directory`.
    public static func write(to directory: URL) throws {
        for (name, data) in try render() {
            try data.write(to: directory.appendingPathComponent(name), options: .atomic)
        }
    }

    /// Recomputes every vector and compares it with the files; returns one message per mismatch.
    public static func check(directory: URL) throws -> [String] {
        var failures: [String] = []
        let dec = JSONDecoder()
        func load<T: Decodable>(_ name: String, _ type: T.Type) throws -> T {
            try dec.decode(T.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
        }
        let ops = try load("ops.json", [OpCase].self)
        let wantOps = try opCases()
        if ops.count != wantOps.count {
            failures.append("ops.json: \(ops.count) cases, want \(wantOps.count)")
        }
        for (a, b) in zip(ops, wantOps) where a != b { failures.append("ops.json: \(a.desc)") }
        let models = try load("models.json", [ModelCase].self)
        let wantModels = try modelCases()
        if models.count != wantModels.count { failures.append("models.json: \(models.count) cases") }
        for (a, b) in zip(models, wantModels) where a != b { failures.append("models.json: \(a.desc)") }
        for c in try load("tensors.json", [TensorCase].self) {
            let bytes = Data(hexBytes(c.hex))
            let got = try? CanonicalTensor(decoding: bytes)
            if c.wantErr != (got == nil) || (got != nil && got?.commitmentHex != c.wantCommitment) {
                failures.append("tensors.json: \(c.desc)")
            }
        }
        let blocks = try load("blocks.json", BlockVectors.self)
        let wantBlocks = BlockVectors(ops: try blockOpCases(), models: try blockModelCases())
        if blocks.ops.count != wantBlocks.ops.count || blocks.models.count != wantBlocks.models.count {
            failures.append("blocks.json: \(blocks.ops.count) ops, \(blocks.models.count) models")
        }
        for (a, b) in zip(blocks.ops, wantBlocks.ops) where a != b {
            failures.append("blocks.json: \(a.desc)")
        }
        for (a, b) in zip(blocks.models, wantBlocks.models) where a != b {
            failures.append("blocks.json: \(a.desc)")
        }
        let tables = try load("tables.json", [String: String].self)
        if tables != tableCommitments() { failures.append("tables.json: table commitments differ") }
        return failures
    }

    static func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let h = UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16) else { return [] }
            out.append(h)
        }
        return out
    }
}
