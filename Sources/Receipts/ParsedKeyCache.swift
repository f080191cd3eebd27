import Foundation
import Synchronization

/// Recently parsed x-only keys, so decoding a log that names the same few thousand nodes over
/// and over does not pay a field square root per key (`secp256k1_xonly_pubkey_parse`).
///
/// Only keys that parsed are stored, under their exact 32 bytes; parsing is a pure function of
/// those bytes, so a hit returns what parsing would. Bounded: when full, the cache is emptied and
/// refills with the keys in use.
final class ParsedKeyCache: Sendable {
    static let shared = ParsedKeyCache(capacity: 8_192)

    private let capacity: Int
    private let keys = Mutex<[Data: XOnlyPublicKey.ParsedKey]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ raw32: Data) -> XOnlyPublicKey.ParsedKey? { keys.withLock { $0[raw32] } }

    func insert(_ raw32: Data, _ parsed: XOnlyPublicKey.ParsedKey) {
        keys.withLock { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[raw32] = parsed
        }
    }
}
