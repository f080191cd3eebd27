import Crypto
import Foundation

/// The Fiat–Shamir transcript: a SHA-256 hash chain that absorbs prover messages and public
/// inputs and squeezes verifier challenges (specs/proofs.md §4).
///
/// State is one 32-byte digest `S`. Starting from `S0 = SHA-256("mesh-validator/proofs/transcript/v1")`:
/// - `observe(label, bytes)`: `S ← SHA-256(S ‖ 0x01 ‖ u32be(len label) ‖ label ‖ u64be(len bytes) ‖ bytes)`.
/// - `sampleExt2(label)`: repeat `S ← SHA-256(S ‖ 0x02 ‖ u32be(len label) ‖ label)`, read
///   `c0 = u64be(S[0..<8])`, `c1 = u64be(S[8..<16])` until both are `< p`; return `c0 + c1·x`.
///   Rejection (not reduction) keeps every challenge exactly uniform on F_{p^2}.
///
/// Every absorbed item carries its label and length, so no two different message sequences
/// hash the same way.
public struct Transcript: Sendable {
    /// The domain separator hashed into the initial state.
    public static let domainSeparator = "mesh-validator/proofs/transcript/v1"

    private var state: SHA256Digest

    /// A fresh transcript in state `S0`.
    public init() {
        state = SHA256.hash(data: Data(Transcript.domainSeparator.utf8))
    }

    /// The current 32-byte state (for tests and debugging).
    public var stateBytes: [UInt8] { Array(state) }

    /// Absorbs `bytes` under `label`.
    public mutating func observe(_ label: String, _ bytes: some DataProtocol) {
        var h = SHA256()
        h.update(data: Array(state))
        h.update(data: [0x01])
        Transcript.updateLabel(&h, label)
        h.update(data: Transcript.bigEndian(UInt64(bytes.count)))
        h.update(data: bytes)
        state = h.finalize()
    }

    /// Absorbs a 64-bit unsigned integer (8 bytes big-endian) under `label`.
    public mutating func observe(_ label: String, u64 value: UInt64) {
        observe(label, Transcript.bigEndian(value))
    }

    /// Absorbs extension-field elements, each as `u64be(c0) ‖ u64be(c1)`, under `label`.
    public mutating func observe(_ label: String, ext values: [GoldilocksExt2]) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 16)
        for v in values {
            bytes += Transcript.bigEndian(v.c0.value)
            bytes += Transcript.bigEndian(v.c1.value)
        }
        observe(label, bytes)
    }

    /// Squeezes one uniformly random element of F_{p^2}.
    public mutating func sampleExt2(_ label: String) -> GoldilocksExt2 {
        while true {
            var h = SHA256()
            h.update(data: Array(state))
            h.update(data: [0x02])
            Transcript.updateLabel(&h, label)
            state = h.finalize()
            let bytes = Array(state)
            let c0 = Transcript.readBigEndian(bytes, at: 0)
            let c1 = Transcript.readBigEndian(bytes, at: 8)
            if let a = Goldilocks(exactly: c0), let b = Goldilocks(exactly: c1) {
                return GoldilocksExt2(a, b)
            }
        }
    }

    /// Squeezes `count` challenges, in order, all under `label`.
    public mutating func sampleExt2(_ label: String, count: Int) -> [GoldilocksExt2] {
        (0..<count).map { _ in sampleExt2(label) }
    }

    private static func updateLabel(_ h: inout SHA256, _ label: String) {
        let bytes = Array(label.utf8)
        h.update(data: bigEndian(UInt32(bytes.count)))
        h.update(data: bytes)
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        return v
    }
}
