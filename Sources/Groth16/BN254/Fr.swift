/// An element of the BN254 scalar field F_r, r the order of G1 and G2 (specs/groth16.md §2):
/// the field of R1CS witnesses, public inputs and QAP polynomials. Montgomery form on GMP's `mpn_`
/// layer (`MontgomeryField`).
public struct Fr: MontgomeryField {
    public var montgomery: Limbs4

    @inlinable public init(montgomery: Limbs4) { self.montgomery = montgomery }

    /// r = 21888242871839275222246405745257275088548364400416034343698204186575808495617.
    public static let field = MontgomeryModulus(
        modulus: (0x43e1_f593_f000_0001, 0x2833_e848_79b9_7091, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029),
        r2: (0x1bb8_e645_ae21_6da7, 0x53fe_3ab1_e35c_59e3, 0x8c49_833d_53bb_8085, 0x0216_d0b1_7f4e_44a5),
        nPrime: 0xc2e1_f593_efff_ffff,
        one: (0xac96_341c_4fff_fffb, 0x36fc_7695_9f60_cd29, 0x666e_a36f_7879_462e, 0x0e0a_77c1_9a07_df2f))

    /// r − 1 = 2^28 · t with t odd: radix-2 domains up to 2^28 points exist.
    public static let twoAdicity = 28
    /// 5 is a quadratic non-residue mod r; ω = 5^t is a primitive 2^28-th root of unity.
    public static let twoAdicRootOfUnity = Fr(
        montgomery: Fr.field.multiply(
            (0x9bd6_1b6e_725b_19f0, 0x402d_111e_4111_2ed4, 0x00e0_a7eb_8ef6_2abc, 0x2a3c_09f0_a58a_7e85),
            Fr.field.r2))
    /// The multiplicative generator used for cosets.
    public static let generator = Fr(5)

    /// Whether the 4-limb little-endian value is `< r`.
    public static func isCanonical(_ v: [UInt64]) -> Bool {
        guard v.count == 4 else { return false }
        return Fr(canonical: (UInt(v[0]), UInt(v[1]), UInt(v[2]), UInt(v[3]))) != nil
    }

    /// The element from four little-endian 64-bit limbs; nil unless `< r`.
    public init?(words v: [UInt64]) {
        guard v.count == 4 else { return nil }
        self.init(canonical: (UInt(v[0]), UInt(v[1]), UInt(v[2]), UInt(v[3])))
    }
}
