import Foundation
import Receipts
import Testing

@testable import Karma

/// The state encoding's claim section (§8.4) from ``KarmaState/sortedClaimWords(_:)`` against
/// the byte-wise sort it replaced.
struct StateEncodingTests {
    @Test func sortedClaimWordsWriteTheClaimsInByteOrder() throws {
        var claims = BatchReplayTests.ledger.grid.state.claims
        #expect(claims.count > 1_000)
        // Edges: all zeros, all ones, keys equal but for the first or the last byte, high bits set.
        for bytes: [UInt8] in [
            Array(repeating: 0, count: 32), Array(repeating: 0xff, count: 32),
            [0x80] + Array(repeating: 0, count: 31), [0x7f] + Array(repeating: 0xff, count: 31),
            Array(repeating: 0, count: 31) + [1], Array(repeating: 0, count: 31) + [0x80],
            Array(repeating: 0, count: 8) + [1] + Array(repeating: 0, count: 23),
        ] {
            claims.insert(try Digest32(bytes: bytes))
        }
        var got = CanonicalWriter()
        for k in KarmaState.sortedClaimWords(claims) { k.write(to: &got) }
        var want = CanonicalWriter()
        for c in claims.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) { want.digest(c) }
        #expect(got.bytes == want.bytes)
    }
}
