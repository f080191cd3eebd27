import Foundation
import Receipts

extension KarmaState {
    /// A claim key as four big-endian 64-bit words: comparing the words in order compares the 32
    /// bytes lexicographically (unsigned), the order of `Digest32 <` and of the state encoding
    /// (§8.4).
    struct ClaimWords: Comparable {
        var w0: UInt64
        var w1: UInt64
        var w2: UInt64
        var w3: UInt64

        /// - Precondition: `key` is 32 bytes (every `Digest32` is).
        init(_ key: Digest32) {
            (w0, w1, w2, w3) = key.bytes.withUnsafeBytes { p in
                (
                    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
                )
            }
        }

        static func < (a: ClaimWords, b: ClaimWords) -> Bool {
            (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
        }

        /// Writes the 32 bytes back, as `CanonicalWriter.digest` would.
        func write(to w: inout CanonicalWriter) {
            w.u64(w0)
            w.u64(w1)
            w.u64(w2)
            w.u64(w3)
        }
    }

    /// `claims` in ascending byte order, without a heap object per key (the state hash of a large
    /// ledger sorts about a million of them).
    static func sortedClaimWords(_ claims: Set<Digest32>) -> [ClaimWords] {
        var words: [ClaimWords] = []
        words.reserveCapacity(claims.count)
        for c in claims { words.append(ClaimWords(c)) }
        words.sort()
        return words
    }
}
