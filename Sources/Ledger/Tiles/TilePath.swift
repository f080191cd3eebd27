/// A c2sp.org/tlog-tiles resource path: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
///
/// `<N>` is written in 3-digit groups, all but the last prefixed with `x` (1234067 is
/// `x001/x234/067`); `<W>` (1...255) is present only for partial tiles. See specs/ledger.md §6.
public struct TilePath: Hashable, Sendable, CustomStringConvertible {
    /// What the resource holds.
    public enum Kind: Hashable, Sendable {
        /// Merkle Tree hashes at tile level `level` (tree level `8 · level`), 0...63.
        case hashes(level: Int)
        /// An entry bundle (16-bit big-endian length-prefixed entries).
        case entries
    }

    public var kind: Kind
    /// Tile index within its level.
    public var index: UInt64
    /// Width of a partial tile (1...255), `nil` for a full tile (256).
    public var partialWidth: Int?

    public init(kind: Kind, index: UInt64, partialWidth: Int? = nil) {
        self.kind = kind
        self.index = index
        self.partialWidth = partialWidth
    }

    /// Number of hashes or entries the resource holds.
    public var width: Int { partialWidth ?? 256 }

    /// The canonical path, without a leading slash.
    public var description: String {
        let head: String
        switch kind {
        case .hashes(let level): head = "tile/\(level)/"
        case .entries: head = "tile/entries/"
        }
        var path = head + Self.encodeIndex(index)
        if let w = partialWidth { path += ".p/\(w)" }
        return path
    }

    /// `x`-prefixed 3-digit groups: 5 → `005`, 1234067 → `x001/x234/067`.
    public static func encodeIndex(_ n: UInt64) -> String {
        var groups: [String] = []
        var rest = n
        repeat {
            let g = String(rest % 1000)
            groups.append(String(repeating: "0", count: 3 - g.count) + g)
            rest /= 1000
        } while rest > 0
        groups.reverse()
        return groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }
            .joined(separator: "/")
    }

    /// Parses a canonical tile path (an optional leading `/` is accepted).
    ///
    /// - Throws: `LedgerError.badTilePath` for anything else: leading zeros in `<L>` or `<W>`,
    ///   a level above 63, a width outside 1...255, a non-canonical index (a leading `x000`
    ///   group), or trailing characters.
    public init(parsing text: String) throws(LedgerError) {
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "" { parts.removeFirst() }
        guard parts.count >= 3, parts[0] == "tile" else { throw .badTilePath(text) }
        let kind: Kind
        if parts[1] == "entries" {
            kind = .entries
        } else {
            guard let level = Self.decimal(parts[1], max: 63) else { throw .badTilePath(text) }
            kind = .hashes(level: level)
        }
        var indexParts = Array(parts.dropFirst(2))
        var width: Int?
        if indexParts.count >= 2, indexParts[indexParts.count - 2].hasSuffix(".p") {
            guard let w = Self.decimal(indexParts.removeLast(), max: 255), w >= 1 else {
                throw .badTilePath(text)
            }
            width = w
            indexParts[indexParts.count - 1].removeLast(2)
        }
        var index: UInt64 = 0
        for (i, var g) in indexParts.enumerated() {
            let isLast = i == indexParts.count - 1
            if !isLast {
                guard g.hasPrefix("x") else { throw .badTilePath(text) }
                g.removeFirst()
            }
            guard g.utf8.count == 3, g.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = UInt64(g) else {
                throw .badTilePath(text)
            }
            if i == 0, v == 0, !isLast { throw .badTilePath(text) }  // non-canonical leading x000
            let (m, o1) = index.multipliedReportingOverflow(by: 1000)
            let (s, o2) = m.addingReportingOverflow(v)
            guard !o1, !o2 else { throw .badTilePath(text) }
            index = s
        }
        self.init(kind: kind, index: index, partialWidth: width)
    }

    /// A canonical decimal (no sign, no leading zeros) not above `max`.
    static func decimal(_ s: String, max: Int) -> Int? {
        guard !s.isEmpty, s.utf8.count <= 3, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            s == "0" || !s.hasPrefix("0"), let v = Int(s), v <= max
        else { return nil }
        return v
    }
}
