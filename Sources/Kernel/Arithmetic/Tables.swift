/// The lookup tables of specs/kernel.md §4.1–4.3, built once with `DeterministicMath`.
public enum Tables {
    /// `T[j] = round_half_even(f(-16 + j/64) * 2^16)`, `j = 0 ... 2048` (§4.1).
    static func activationTable(_ f: (Double) -> Double) -> [Int32] {
        (0...2048).map { j in
            Int32((f(-16 + Double(j) / 64) * 65536).rounded(.toNearestOrEven))
        }
    }

    /// SiLU table (§4.1).
    public static let silu: [Int32] = activationTable(DeterministicMath.silu)
    /// GELU table (§4.1).
    public static let gelu: [Int32] = activationTable(DeterministicMath.gelu)
    /// `X[j] = round_half_even(e^(-j/64) * 2^30)`, `j = 0 ... 1024` (§4.2).
    public static let exp: [Int32] = (0...1024).map { j in
        Int32((DeterministicMath.exp(-(Double(j) / 64)) * 1_073_741_824).rounded(.toNearestOrEven))
    }
}

/// RoPE cos/sin tables in Q30 for one model (§4.3), indexed `[position * (D/2) + i]`.
public struct RopeTable: Sendable {
    public let headDim: Int
    public let positions: Int
    public let cos: [Int32]
    public let sin: [Int32]

    /// Builds the table for `positions` positions (`[0, positions)`).
    public init(headDim: Int, base: Double, positions: Int) {
        let half = headDim / 2
        let lnBase = DeterministicMath.ln(base)
        let theta = (0..<half).map { i in
            DeterministicMath.exp(-((Double(2 * i) / Double(headDim)) * lnBase))
        }
        var c = [Int32](repeating: 0, count: positions * half)
        var s = [Int32](repeating: 0, count: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Double(p) * theta[i]
                c[p * half + i] = Int32(
                    (DeterministicMath.cos(angle) * 1_073_741_824).rounded(.toNearestOrEven))
                s[p * half + i] = Int32(
                    (DeterministicMath.sin(angle) * 1_073_741_824).rounded(.toNearestOrEven))
            }
        }
        self.headDim = headDim
        self.positions = positions
        self.cos = c
        self.sin = s
    }
}
