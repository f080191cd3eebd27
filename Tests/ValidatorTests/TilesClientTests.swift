import Foundation
import Karma
import Receipts
import TestSupport
import Testing

@testable import Validator

/// A tiles client written from c2sp.org/tlog-tiles and RFC 9162 alone — it shares no code with the
/// ledger (`TilePath`, `TileNodes`, `TileReader`, `RFC9162`): its own path encoding, its own
/// Merkle Tree Hash, its own bundle parser; only SHA-256 and the loopback HTTP transport are
/// borrowed. It reads a running validator the way a monitor reads any tiled log.
enum IndependentTilesClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `<N>` in tlog-tiles form: zero-padded 3-digit path elements, all but the last prefixed
    /// with `x` (1234067 → `x001/x234/067`).
    static func encodeIndex(_ n: UInt64) -> String {
        var elements = [String(format: "%03d", Int(n % 1000))]
        var rest = n / 1000
        while rest > 0 {
            elements.insert(String(format: "x%03d", Int(rest % 1000)), at: 0)
            rest /= 1000
        }
        return elements.joined(separator: "/")
    }

    /// `/tile/<L>/<N>[.p/<W>]` (`width` 256 = full) or, with `level` nil, `/tile/entries/<N>[.p/<W>]`.
    static func path(level: Int?, index: UInt64, width: Int) -> String {
        let head = level.map { "/tile/\($0)/" } ?? "/tile/entries/"
        return head + encodeIndex(index) + (width == 256 ? "" : ".p/\(width)")
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(Digest32.sha256(bytes).bytes) }
    /// RFC 9162 §2.1.1: `SHA-256(0x00 || d)`.
    static func leafHash(_ entry: [UInt8]) -> [UInt8] { sha256([0x00] + entry) }
    /// RFC 9162 §2.1.1: `SHA-256(0x01 || left || right)`.
    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { sha256([0x01] + left + right) }

    /// MTH over leaf hashes (RFC 9162 §2.1.1): split at the largest power of two below `n`.
    static func treeHash(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leaves.count {
        case 0: return sha256([])
        case 1: return leaves[leaves.startIndex]
        default:
            var k = 1
            while k * 2 < leaves.count { k *= 2 }
            let mid = leaves.startIndex + k
            return nodeHash(treeHash(leaves[..<mid]), treeHash(leaves[mid...]))
        }
    }

    /// A checkpoint's first three lines (c2sp.org/tlog-checkpoint): origin, size, base64 root.
    static func parseCheckpoint(_ text: String) throws -> (origin: String, size: UInt64, root: [UInt8]) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, let size = UInt64(lines[1]), let root = Data(base64Encoded: String(lines[2])),
            root.count == 32
        else { throw Failure(description: "not a checkpoint: \(text.debugDescription)") }
        return (String(lines[0]), size, Array(root))
    }

    /// A tile's 32-byte hashes; the byte count must be exactly `32 · width`.
    static func hashes(_ tile: Data, width: Int, path: String) throws -> [[UInt8]] {
        guard tile.count == 32 * width else {
            throw Failure(description: "\(path): \(tile.count) bytes, want \(32 * width)")
        }
        let bytes = Array(tile)
        return (0..<width).map { Array(bytes[($0 * 32)..<($0 * 32 + 32)]) }
    }

    /// An entry bundle: big-endian uint16 length, then that many bytes, repeated to the end.
    static func entries(_ bundle: Data, path: String) throws -> [[UInt8]] {
        let bytes = Array(bundle)
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard i + 2 <= bytes.count else { throw Failure(description: "\(path): truncated length") }
            let n = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard i + 2 + n <= bytes.count else { throw Failure(description: "\(path): truncated entry") }
            out.append(Array(bytes[(i + 2)..<(i + 2 + n)]))
            i += 2 + n
        }
        return out
    }
}

/// The validator's log read by a standard tlog-tiles client over HTTP (specs/openapi.yaml tile
/// paths, c2sp.org/tlog-tiles): the root recomputed from tiles equals the checkpoint's.
@Suite(.serialized) struct TilesClientTests {
    typealias C = IndependentTilesClient

    /// A validator on a real ledger grown to `bonds` + a few entries by staking requests.
    func runningValidator(bonds: Int) async throws -> (RunningValidator, LoopbackHTTPClient, URL) {
        let dir = try RepoPaths.temporaryDirectory(prefix: "tiles-client")
        let node = SchnorrSigningKey.generate()
        var config = ValidatorConfig(
            listen: .init(host: "127.0.0.1", port: 0), dataDirectory: dir.path,
            identityKey: .init(hex: Hex.encode(SchnorrSigningKey.generate().rawRepresentation)),
            checkpointKey: .init(hex: String(repeating: "42", count: 32)),
            orchestrators: [SchnorrSigningKey.generate().publicKey.hex])
        config.settlement.reExecute = .always
        config.logLevel = "error"
        config.genesis = [.init(node: node.publicKey.hex, balance: 1_000_000_000_000, bonded: 0)]
        let dependencies = try await ValidatorDependencies.open(config: config)
        let server = try await RunningValidator.start(
            config: config, dependencies: dependencies, logLevel: "error")
        let client = try LoopbackHTTPClient(port: server.port)
        for nonce in 1...UInt64(bonds) {
            let request = try Signed.sign(
                StakingRequest(node: node.publicKey, action: .bond, amount: 1, nonce: nonce), with: node)
            let r = try await client.send("POST", "/v1/staking/bond", body: request.json())
            guard r.status == 202 else {
                throw C.Failure(description: "bond \(nonce): \(r.status) \(r.text)")
            }
        }
        return (server, client, dir)
    }

    @Test func rootFromTilesAndBundlesEqualsTheCheckpointRoot() async throws {
        let (server, client, dir) = try await runningValidator(bonds: 530)
        defer { try? FileManager.default.removeItem(at: dir) }

        let checkpoint = try await client.send("GET", "/checkpoint")
        #expect(checkpoint.status == 200)
        #expect(checkpoint.headers["content-type"] == "text/plain; charset=utf-8")
        let (_, size, root) = try C.parseCheckpoint(checkpoint.text)
        #expect(size > 512, "the log should span two full level-0 tiles; size \(size)")

        // Level 0: every full tile and the partial one, exactly as the spec names them.
        var leafHashes: [[UInt8]] = []
        var levelBelow: [[UInt8]] = []
        for index in 0...(size / 256) {
            let width = index < size / 256 ? 256 : Int(size % 256)
            if width == 0 { break }
            let path = C.path(level: 0, index: index, width: width)
            let tile = try await client.send("GET", path)
            #expect(tile.status == 200, "\(path): \(tile.status) \(tile.text)")
            #expect(tile.headers["content-type"] == "application/octet-stream", "\(path)")
            #expect(
                tile.headers["cache-control"]
                    == (width == 256 ? "public, max-age=31536000, immutable" : "no-cache"), "\(path)")
            let hashes = try C.hashes(tile.body, width: width, path: path)
            leafHashes += hashes
            if width == 256 { levelBelow.append(C.treeHash(hashes[...])) }

            // The bundle: entry i hashes to hash i of the level-0 tile.
            let bundlePath = C.path(level: nil, index: index, width: width)
            let bundle = try await client.send("GET", bundlePath)
            #expect(bundle.status == 200, "\(bundlePath): \(bundle.status) \(bundle.text)")
            #expect(bundle.headers["content-type"] == "application/octet-stream")
            let entries = try C.entries(bundle.body, path: bundlePath)
            #expect(entries.count == width, "\(bundlePath)")
            #expect(entries.map(C.leafHash) == hashes, "\(bundlePath): entries do not hash to the tile")
        }
        #expect(UInt64(leafHashes.count) == size)
        #expect(C.treeHash(leafHashes[...]) == root, "root from level-0 tiles differs from the checkpoint")

        // Level 1: the partial tile of width floor(size / 256) mod 256 holds the roots of the
        // full level-0 tiles.
        let width1 = Int((size / 256) % 256)
        let path1 = C.path(level: 1, index: 0, width: width1)
        let tile1 = try await client.send("GET", path1)
        #expect(tile1.status == 200, "\(path1): \(tile1.text)")
        let level1 = try C.hashes(tile1.body, width: width1, path: path1)
        #expect(level1 == levelBelow, "\(path1) does not hold the roots of the full level-0 tiles")

        // The root again from the level-1 tile and the partial level-0 tile only, as a client
        // that skips full tiles computes it: every full tile is an aligned perfect subtree, so
        // the MTH over [tile roots…, MTH(partial leaves)] is the MTH over all leaves.
        let partialLeaves = leafHashes[(width1 * 256)...]
        let items = level1 + (partialLeaves.isEmpty ? [] : [C.treeHash(partialLeaves)])
        #expect(C.treeHash(items[...]) == root, "root from the level-1 tile differs from the checkpoint")

        // Paths the spec allows but this tree does not reach are 404, not 400.
        for path in ["/tile/0/x001/000", "/tile/entries/x001/000", "/tile/2/000", "/tile/0/999"] {
            #expect(try await client.send("GET", path).status == 404, "\(path)")
        }
        // Malformed paths are 400 bad-parameter.
        for path in ["/tile/0/0", "/tile/00/000", "/tile/64/000", "/tile/0/000.p/256", "/tile/0/000.p/0"] {
            let r = try await client.send("GET", path)
            #expect(r.status == 400, "\(path): \(r.status)")
            #expect(r.text.contains("bad-parameter"), "\(path): \(r.text)")
        }
        try await server.shutdown()
    }

    @Test func pathEncodingFollowsTheSpecExamples() {
        #expect(C.encodeIndex(0) == "000")
        #expect(C.encodeIndex(5) == "005")
        #expect(C.encodeIndex(1000) == "x001/000")
        #expect(C.encodeIndex(1_234_067) == "x001/x234/067")
        #expect(C.path(level: 0, index: 1_234_067, width: 8) == "/tile/0/x001/x234/067.p/8")
        #expect(C.path(level: nil, index: 1_234_067, width: 256) == "/tile/entries/x001/x234/067")
    }
}
