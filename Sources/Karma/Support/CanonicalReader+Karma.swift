import Foundation
import Receipts

/// ``CanonicalReader`` reads that throw ``KarmaError`` (the Receipts codec's messages kept).
extension CanonicalReader {
    mutating func readU8(_ field: String) throws(KarmaError) -> UInt8 {
        do { return try u8(field) } catch { throw KarmaError(error) }
    }

    mutating func readU16(_ field: String) throws(KarmaError) -> UInt16 {
        do { return try u16(field) } catch { throw KarmaError(error) }
    }

    mutating func readU32(_ field: String) throws(KarmaError) -> UInt32 {
        do { return try u32(field) } catch { throw KarmaError(error) }
    }

    mutating func readU64(_ field: String) throws(KarmaError) -> UInt64 {
        do { return try u64(field) } catch { throw KarmaError(error) }
    }

    mutating func readDigest(_ field: String) throws(KarmaError) -> Digest32 {
        do { return try digest(field) } catch { throw KarmaError(error) }
    }

    mutating func readPublicKey(_ field: String) throws(KarmaError) -> XOnlyPublicKey {
        do { return try publicKey(field) } catch { throw KarmaError(error) }
    }

    mutating func readString(_ field: String, limit: Int) throws(KarmaError) -> String {
        do { return try string(field, limit: limit) } catch { throw KarmaError(error) }
    }

    /// A u32 count, refused above `limit` before anything is allocated.
    mutating func readCount(_ field: String, limit: Int) throws(KarmaError) -> Int {
        let n = Int(try readU32(field))
        guard n <= limit else { throw .tooManyItems(field, got: n, limit: limit) }
        return n
    }

    /// A signed receipt embedded in a karma entry: `varBytes(receipt canonical bytes)` then the
    /// 64-byte signature (specs/karma.md §4.4).
    mutating func readSignedReceipt(_ field: String) throws(KarmaError) -> SignedReceipt {
        do {
            let bytes = try varBytes("\(field).receipt", limit: 4096)
            let receipt = try Receipt(canonicalBytes: bytes)
            return SignedReceipt(receipt: receipt, signature: try signature("\(field).signature"))
        } catch { throw KarmaError(error) }
    }

    /// Throws unless every byte was read.
    func finishKarma() throws(KarmaError) {
        do { try finish() } catch { throw KarmaError(error) }
    }
}

extension CanonicalWriter {
    /// Writes what ``CanonicalReader/readSignedReceipt(_:)`` reads.
    mutating func signedReceipt(_ s: SignedReceipt) {
        varBytes(s.receipt.canonicalBytes)
        signature(s.signature)
    }
}

/// JSON forms of the Receipts types embedded in karma entries.
enum ReceiptJSONBridge {
    /// The signed receipt's own JSON document (specs/receipt.md §2) as a ``JSONValue``.
    static func value(_ s: SignedReceipt) -> JSONValue {
        // The receipt module writes valid JSON; parsing it back cannot fail.
        (try? StrictJSON.parse(s.json())) ?? .null
    }

    /// Reads a signed receipt from its JSON object form.
    static func signedReceipt(_ value: JSONValue, field: String) throws(KarmaError) -> SignedReceipt {
        guard case .object = value else { throw .malformed("\(field): must be a signed receipt object") }
        do { return try SignedReceipt(json: JSONOutput.data(value, pretty: false)) } catch {
            throw .malformed("\(field): \(error)")
        }
    }
}
