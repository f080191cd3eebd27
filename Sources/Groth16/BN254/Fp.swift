/// An element of the BN254 base field F_p (specs/groth16.md §2): Montgomery form on GMP's `mpn_`
/// layer (`MontgomeryField`).
public struct Fp: MontgomeryField {
    public var montgomery: Limbs4

    @inlinable public init(montgomery: Limbs4) { self.montgomery = montgomery }

    /// p = 21888242871839275222246405745257275088696311157297823662689037894645226208583.
    public static let field = MontgomeryModulus(
        modulus: (0x3c20_8c16_d87c_fd47, 0x9781_6a91_6871_ca8d, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029),
        r2: (0xf32c_fc5b_538a_fa89, 0xb5e7_1911_d445_01fb, 0x47ab_1eff_0a41_7ff6, 0x06d8_9f71_cab8_351f),
        nPrime: 0x87d2_0782_e486_6389,
        one: (0xd35d_438d_c58f_0d9d, 0x0a78_eb28_f5c7_0b3d, 0x666e_a36f_7879_462c, 0x0e0a_77c1_9a07_df2f))

    /// p as limbs.
    public static var modulus: Limbs4 { field.modulus }
}
