import Crypto
import Foundation

/// BIP-340 tagged hashes: `SHA256(SHA256(tag) || SHA256(tag) || message)`.
///
/// Every signed object in Mesh is signed over the tagged hash of its canonical bytes, with a tag
/// naming the object and its version (for example `mesh/receipt/v1`), so a signature over one kind
/// of object can never be replayed as another (specs/receipt.md §4).
public enum TaggedHash {
    /// The tagged hash of `message` under `tag` (tag as UTF-8 bytes).
    public static func hash(tag: String, _ message: some DataProtocol) -> Digest32 {
        let tagHash = SHA256.hash(data: Data(tag.utf8))
        var h = SHA256()
        tagHash.withUnsafeBytes { h.update(bufferPointer: $0) }
        tagHash.withUnsafeBytes { h.update(bufferPointer: $0) }
        h.update(data: Data(message))
        return Digest32(uncheckedBytes: Data(h.finalize()))
    }
}
