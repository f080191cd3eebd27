import Foundation
import Testing

@testable import Ledger

@Suite("Tile paths and entry bundles (c2sp.org/tlog-tiles)")
struct TilePathTests {
    @Test("Index encodings match the fixture (including the spec's 1234067 → x001/x234/067)")
    func encodings() throws {
        let fixture = try #require(try LedgerFixtures.json("tiles-70000.json") as? [String: Any])
        let cases = try #require(fixture["indexEncodings"] as? [[String: Any]])
        #expect(cases.count == 6)
        for c in cases {
            let index = try #require((c["index"] as? NSNumber)?.uint64Value)
            let path = try #require(c["path"] as? String)
            #expect(TilePath.encodeIndex(index) == path)
            #expect(try TilePath(parsing: "tile/3/\(path)").index == index)
        }
        #expect(TilePath.encodeIndex(1_234_067) == "x001/x234/067")
    }

    @Test("Paths round-trip and non-canonical paths are rejected")
    func parsing() throws {
        for good in ["tile/0/000", "tile/63/x001/x234/067.p/255", "tile/entries/x001/000.p/1", "/tile/2/005"]
        {
            let p = try TilePath(parsing: good)
            #expect("/" + p.description == good || p.description == good)
        }
        let p = try TilePath(parsing: "tile/8/x001/x234/067.p/1")
        #expect(p == TilePath(kind: .hashes(level: 8), index: 1_234_067, partialWidth: 1))
        for bad in [
            "", "tile", "tile/0", "tile/0/", "tile/00/000", "tile/64/000", "tile/-1/000", "tile/0/0",
            "tile/0/0000",
            "tile/0/x000/001", "tile/0/001/002", "tile/0/x1/002", "tile/0/000.p/0", "tile/0/000.p/256",
            "tile/0/000.p/01", "tile/0/000.p", "tile/0/000.p/", "tile/0/000/", "tiles/0/000",
            "tile/entry/000",
            "tile/0/x018/x446/x744/x073/x709/x551/616", "tile/0/abc", "tile/0/000.p/1/2", "tile/0/000?x",
        ] {
            #expect(throws: LedgerError.self, "\(bad)") { try TilePath(parsing: bad) }
        }
    }

    @Test("Entry bundles carry a 16-bit big-endian length before every entry")
    func bundles() throws {
        let entries = [Data(), Data("a".utf8), Data(repeating: 0xAB, count: 300)]
        let bundle = try EntryBundle.encode(entries)
        #expect(bundle.prefix(5) == Data([0, 0, 0, 1, 0x61]))
        #expect(bundle[5...6] == Data([0x01, 0x2C]))
        #expect(try EntryBundle.decode(bundle) == entries)
        #expect(throws: LedgerError.self) { try EntryBundle.decode(bundle.dropLast()) }
        #expect(throws: LedgerError.self) { try EntryBundle.decode(Data([0])) }
        #expect(throws: LedgerError.entryTooLarge(bytes: 65_536, max: 65_535)) {
            try EntryBundle.encode([Data(count: 65_536)])
        }
    }
}
