import Crypto
import Foundation
import Synchronization

/// BIP-340 tagged hashes: `SHA256(SHA256(tag) || SHA256(tag) || message)`.
///
/// Every signed object in Mesh is signed over the tagged hash of its canonical bytes, with a tag
/// naming the object and its version (for example `mesh/receipt/v1`), so a signature over one kind
/// of object can never be replayed as another (specs/receipt.md §4).
public enum TaggedHash {
    /// SHA-256 states that have absorbed `SHA256(tag) || SHA256(tag)` (one 64-byte block), per tag.
    private static let prefixes = Mutex<[String: SHA256]>([:])

    /// The tagged hash of `message` under `tag` (tag as UTF-8 bytes).
    public static func hash(tag: String, _ message: some DataProtocol) -> Digest32 {
        var h = prefixes.withLock { cache in
            if let state = cache[tag] { return state }
            let tagHash = SHA256.hash(data: Data(tag.utf8))
            var state = SHA256()
            tagHash.withUnsafeBytes { state.update(bufferPointer: $0) }
            tagHash.withUnsafeBytes { state.update(bufferPointer: $0) }
            if cache.count < 256 { cache[tag] = state }
            return state
        }
        h.update(data: message)
        return Digest32(uncheckedBytes: Data(h.finalize()))
    }
}
