import Foundation

/// A c2sp.org/tlog-tiles entry bundle: entries, each prefixed by its length as a big-endian
/// 16-bit unsigned integer. Entries therefore hold at most 65,535 bytes.
public enum EntryBundle {
    /// The longest entry a bundle can carry.
    public static let maxEntryBytes = 65_535

    /// Encodes entries. Precondition: every entry is at most 65,535 bytes.
    ///
    /// - Throws: `LedgerError.entryTooLarge` for a longer entry.
    public static func encode(_ entries: some Sequence<Data>) throws(LedgerError) -> Data {
        var out = Data()
        for e in entries {
            guard e.count <= maxEntryBytes else { throw .entryTooLarge(bytes: e.count, max: maxEntryBytes) }
            out.append(UInt8(e.count >> 8))
            out.append(UInt8(e.count & 0xff))
            out.append(e)
        }
        return out
    }

    /// Decodes a bundle.
    ///
    /// - Throws: `LedgerError.corrupted` when a length prefix or an entry is truncated.
    public static func decode(_ bundle: Data) throws(LedgerError) -> [Data] {
        var entries: [Data] = []
        var i = bundle.startIndex
        while i < bundle.endIndex {
            guard bundle.endIndex - i >= 2 else {
                throw .corrupted("entry bundle ends inside a length prefix")
            }
            let n = Int(bundle[i]) << 8 | Int(bundle[i + 1])
            i += 2
            guard bundle.endIndex - i >= n else { throw .corrupted("entry bundle ends inside an entry") }
            entries.append(Data(bundle[i..<(i + n)]))
            i += n
        }
        return entries
    }
}
