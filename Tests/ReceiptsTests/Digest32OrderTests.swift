import Foundation
import Receipts
import Testing

/// `Digest32.<` (memcmp) against the byte-wise lexicographic order it replaced, and the parsed-key
/// cache against fresh parsing.
struct Digest32OrderTests {
    func digest(_ bytes: [UInt8]) -> Digest32 { try! Digest32(bytes: bytes) }

    @Test func orderEqualsLexicographicBytesOnEdgesAndRandomPairs() {
        var samples: [[UInt8]] = [
            Array(repeating: 0, count: 32), Array(repeating: 0xff, count: 32),
            [0x80] + Array(repeating: 0, count: 31), [0x7f] + Array(repeating: 0xff, count: 31),
            Array(repeating: 0, count: 31) + [1], Array(repeating: 0, count: 31) + [0xff],
        ]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var b = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            samples.append(b)
            // A near twin: differs in one random byte only.
            b[Int.random(in: 0..<32, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            samples.append(b)
        }
        for x in samples {
            for y in samples.prefix(40) {
                #expect((digest(x) < digest(y)) == x.lexicographicallyPrecedes(y), "\(x) vs \(y)")
            }
        }
    }

    @Test func aCachedKeyIsTheParsedKey() throws {
        let key = SchnorrSigningKey.generate()
        let message = Data(repeating: 9, count: 32)
        let sig = try key.signature(for: message)
        // Parse twice (the second comes from the cache); both verify, and a wrong message fails.
        for _ in 0..<2 {
            let parsed = try XOnlyPublicKey(rawRepresentation: key.publicKey.rawRepresentation)
            #expect(parsed.isValidSignature(sig, for: message))
            #expect(!parsed.isValidSignature(sig, for: Data(repeating: 8, count: 32)))
        }
        // Bytes that are not a curve x coordinate are refused every time (never cached).
        let bad = Data(repeating: 0xff, count: 32)
        for _ in 0..<2 {
            #expect(throws: ReceiptError.self) { try XOnlyPublicKey(rawRepresentation: bad) }
        }
    }
}
