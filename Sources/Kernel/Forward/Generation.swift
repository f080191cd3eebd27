/// Greedy decoding split across shards, the way the grid runs it (specs/kernel.md §6.6):
/// the prompt goes through every shard once (prefill), then each new token goes through every
/// shard with each shard keeping the K/V cache of its own layers.
public struct ShardedGenerator: Sendable {
    public let shards: [Shard]

    /// Splits `model`'s layers into `parts` contiguous shards of near-equal size.
    ///
    /// - Throws: `.unsupported` for bert; `.valueOutOfRange` unless `1 <= parts <= layers`.
    public init(model: QuantizedModel, parts: Int, options: ExecutionOptions = .init()) throws(KernelError) {
        guard model.config.architecture == .llama else { throw .unsupported("generate needs a llama model") }
        let n = model.config.layers
        guard parts >= 1, parts <= n else {
            throw .valueOutOfRange(what: "shard count", value: Int64(parts), range: "[1, \(n)]")
        }
        var out: [Shard] = []
        for i in 0..<parts {
            out.append(
                try Shard(model: model, layers: (n * i / parts)..<(n * (i + 1) / parts), options: options))
        }
        shards = out
    }

    /// The layer ranges of the shards.
    public var ranges: [Range<Int>] { shards.map(\.layers) }

    /// Generates up to `maxTokens` tokens after `prompt` by greedy argmax (§5.11), stopping
    /// early after a token in `stopTokens`. `onToken` sees each new token as it is produced.
    ///
    /// - Returns: the new tokens (not including the prompt).
    public func generate(
        prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32> = [],
        onToken: (Int32) -> Void = { _ in }
    ) throws(KernelError) -> [Int32] {
        guard !prompt.isEmpty else {
            throw .wrongShape(what: "prompt tokens", got: [0], want: [1])
        }
        var states = shards.map { $0.makeState() }
        var input = try CanonicalTensor(kind: .tokenIDs, shape: [prompt.count], values: .int32(prompt))
        var produced: [Int32] = []
        while produced.count < maxTokens {
            var x = input
            for (i, s) in shards.enumerated() { x = try s.step(x, state: &states[i]) }
            let next = Int32(Self.argmax(try x.int32Values()))
            produced.append(next)
            onToken(next)
            if stopTokens.contains(next) { break }
            input = try CanonicalTensor(kind: .tokenIDs, shape: [1], values: .int32([next]))
        }
        return produced
    }

    /// The smallest index of a maximal value (§5.11); 0 for an empty array.
    public static func argmax(_ v: [Int32]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }
}
