import Foundation
import Testing

@testable import Models

/// One entry of Fixtures/models/malformed.json.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    let format: String
    let name: String
    let bytes: Data
    let wantErr: String
    var testDescription: String { "\(format)/\(name)" }

    static func all() throws -> [MalformedCase] {
        let json = try ModelFixtures.json("malformed.json")
        let cases = json["cases"] as? [[String: String]] ?? []
        return cases.map { c in
            let hex = Array((c["hex"] ?? "").utf8)
            var bytes = Data()
            var i = 0
            while i + 1 < hex.count {
                bytes.append(UInt8(String(decoding: hex[i...(i + 1)], as: UTF8.self), radix: 16) ?? 0)
                i += 2
            }
            return MalformedCase(
                format: c["format"] ?? "", name: c["name"] ?? "", bytes: bytes, wantErr: c["wantErr"] ?? "")
        }
    }
}

@Suite("malformed input vectors")
struct MalformedFixtureTests {
    @Test("every vector is rejected with the named error", arguments: try MalformedCase.all())
    func rejected(_ c: MalformedCase) {
        do throws(ModelError) {
            switch c.format {
            case "gguf": _ = try GGUFFile(data: c.bytes)
            case "safetensors": _ = try SafetensorsFile(data: c.bytes)
            default:
                Issue.record("unknown format \(c.format)")
                return
            }
            Issue.record("\(c.name) was accepted")
        } catch {
            #expect(error.code == c.wantErr, "\(c.name): \(error)")
        }
    }

    @Test("the vector file is not empty")
    func count() throws {
        #expect(try MalformedCase.all().count >= 30)
    }
}
