import Foundation
import Testing

@testable import Groth16

/// snarkjs interop (specs/groth16.md §5–§6): the three real triples verify, their negatives fail,
/// any layout is read, every refusal of §4 happens, and no mutation of a proof or of the public
/// inputs is ever accepted.
@Suite("Groth16: snarkjs verification keys, proofs and public inputs")
struct SnarkjsTests {
    static let vectors = ["nullifier-2pub", "risc0-sudoku-81pub", "zkml-nids-7pub"]

    enum Outcome: Equatable {
        case valid
        case invalid
        case malformed(Groth16Error)
    }

    static func file(_ vector: String, _ name: String) throws -> Data {
        try Data(contentsOf: groth16Fixtures.appendingPathComponent("snarkjs/\(vector)/\(name)"))
    }

    static func key(_ vector: String) throws -> Groth16VerifyingKey {
        try Groth16VerifyingKey(snarkjsJSON: try file(vector, "verification_key.json"))
    }

    /// Reads proof and inputs and verifies: malformed input is an outcome here, not a failure.
    static func outcome(_ key: Groth16VerifyingKey, proof: Data, inputs: Data) -> Outcome {
        do {
            let p = try Groth16Proof(snarkjsJSON: proof)
            let x = try Groth16PublicInputs(snarkjsJSON: inputs)
            switch try Groth16.verify(key: key, proof: p, inputs: x) {
            case .valid: return .valid
            case .invalid: return .invalid
            }
        } catch {
            return .malformed(error)
        }
    }

    /// The JSON text of a value (compact, sorted keys): another layout of the same document.
    static func reserialize(_ data: Data, _ edit: (inout Any) -> Void = { _ in }) throws -> Data {
        var obj = try JSONSerialization.jsonObject(with: data)
        edit(&obj)
        return try JSONSerialization.data(
            withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    @Test(arguments: vectors)
    func realProofsVerifyAndTheirNegativesDoNot(vector: String) throws {
        let key = try Self.key(vector)
        let proof = try Self.file(vector, "proof.json")
        let inputs = try Self.file(vector, "public.json")
        #expect(Self.outcome(key, proof: proof, inputs: inputs) == .valid)
        #expect(Self.outcome(key, proof: proof, inputs: try Self.file(vector, "bad_public.json")) == .invalid)
        let badProof = Self.outcome(key, proof: try Self.file(vector, "bad_proof.json"), inputs: inputs)
        #expect(badProof != .valid)
        // Another layout: compact, keys sorted, and without the optional "curve" member.
        let compactProof = try Self.reserialize(proof) { obj in
            if var d = obj as? [String: Any] {
                d["curve"] = nil
                obj = d
            }
        }
        let compactKey = try Groth16VerifyingKey(
            snarkjsJSON: try Self.reserialize(try Self.file(vector, "verification_key.json")) { obj in
                if var d = obj as? [String: Any] {
                    d["curve"] = nil
                    d["vk_alphabeta_12"] = nil
                    obj = d
                }
            })
        #expect(Self.outcome(compactKey, proof: compactProof, inputs: try Self.reserialize(inputs)) == .valid)
    }

    @Test(arguments: vectors)
    func badProofsNegateAAndFailThePairing(vector: String) throws {
        // Each bad_proof.json replaces A's y by p − y: still a curve point (−A), so the proof is
        // well formed and invalid, not malformed.
        let good = try Groth16Proof(snarkjsJSON: try Self.file(vector, "proof.json"))
        let bad = try Groth16Proof(snarkjsJSON: try Self.file(vector, "bad_proof.json"))
        #expect(bad.a == good.a.negated)
        #expect(
            Self.outcome(
                try Self.key(vector), proof: try Self.file(vector, "bad_proof.json"),
                inputs: try Self.file(vector, "public.json")) == .invalid)
    }

    /// Edits the proof document as a JSON object and returns the outcome.
    static func edited(
        _ vector: String, proof edit: (inout [String: Any]) -> Void = { _ in },
        inputs editInputs: (inout [String]) -> Void = { _ in }
    ) throws -> Outcome {
        let key = try Self.key(vector)
        let proof = try Self.reserialize(try Self.file(vector, "proof.json")) { obj in
            if var d = obj as? [String: Any] {
                edit(&d)
                obj = d
            }
        }
        let inputs = try Self.reserialize(try Self.file(vector, "public.json")) { obj in
            if var a = obj as? [String] {
                editInputs(&a)
                obj = a
            }
        }
        return Self.outcome(key, proof: proof, inputs: inputs)
    }

    @Test func refusesWhatSection4Refuses() throws {
        let v = "nullifier-2pub"
        let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617"
        let p = "21888242871839275222246405745257275088696311157297823662689037894645226208583"
        // Public inputs: ≥ r, non-canonical text, wrong type, wrong count.
        #expect(
            try Self.edited(v, inputs: { $0[1] = r })
                == .malformed(.badPublicInput(index: 1, reason: "\(r) is not below r")))
        guard
            case .malformed(.badPublicInput(index: 0, _)) = try Self.edited(
                v, inputs: { $0[0] = "0" + $0[0] })
        else {
            Issue.record("leading zero accepted")
            return
        }
        #expect(
            try Self.edited(v, inputs: { $0.removeLast() })
                == .malformed(.countMismatch(what: "public input count", got: 1, want: 2)))
        #expect(
            try Self.edited(v, inputs: { $0.append("0") })
                == .malformed(.countMismatch(what: "public input count", got: 3, want: 2)))
        // Points: identity A, z ≠ 1, coordinate ≥ p, off the curve, G2 point outside the subgroup.
        #expect(
            try Self.edited(v, proof: { $0["pi_a"] = ["0", "1", "0"] })
                == .malformed(.identityNotAllowed(field: "pi_a")))
        #expect(
            try Self.edited(v, proof: { $0["pi_b"] = [["0", "0"], ["1", "0"], ["0", "0"]] })
                == .malformed(.identityNotAllowed(field: "pi_b")))
        #expect(
            try Self.edited(v, proof: { $0["pi_c"] = ["1", "2", "2"] })
                == .malformed(.badProjectiveZ(field: "pi_c")))
        #expect(
            try Self.edited(v, proof: { $0["pi_c"] = ["1", "2", "0"] })
                == .malformed(.badProjectiveZ(field: "pi_c")))
        #expect(
            try Self.edited(v, proof: { $0["pi_c"] = ["1", "3", "1"] })
                == .malformed(.badPoint(field: "pi_c", reason: .notOnCurve)))
        #expect(
            try Self.edited(v, proof: { $0["pi_c"] = [p, "2", "1"] })
                == .malformed(.badCoordinate(field: "pi_c[0]", reason: "\(p) is not below p")))
        #expect(
            try Self.edited(v, proof: { $0["pi_c"] = ["1", "2", "1"] }) == .invalid,
            "G1 generator as C: a curve point, wrong proof")
        let outside: [[String]] = [
            ["2", "1"],
            [
                "7292567877523311580221095596750716176434782432868683424513645834767876293070",
                "19659275751359636165940301690575149581329631496732780143538578556285923319774",
            ],
            ["1", "0"],
        ]
        #expect(
            try Self.edited(v, proof: { $0["pi_b"] = outside })
                == .malformed(.badPoint(field: "pi_b", reason: .notInSubgroup)))
        // Document shape: protocol, curve, unknown and missing members, numbers instead of strings.
        #expect(
            try Self.edited(v, proof: { $0["protocol"] = "plonk" })
                == .malformed(.unsupportedProtocol("plonk")))
        #expect(
            try Self.edited(v, proof: { $0["curve"] = "bls12381" })
                == .malformed(.unsupportedCurve("bls12381")))
        #expect(
            try Self.edited(v, proof: { $0["extra"] = 1 })
                == .malformed(.malformedField(field: "extra", reason: "not a member this reader knows")))
        #expect(
            try Self.edited(v, proof: { $0["pi_c"] = nil })
                == .malformed(.malformedField(field: "pi_c", reason: "missing")))
        #expect(
            try Self.edited(v, proof: { $0["pi_c"] = [1, 2, 1] })
                == .malformed(.badCoordinate(field: "pi_c[0]", reason: "must be a decimal string")))
        // A duplicated member is refused by the strict JSON reader.
        let dup = Data(#"{"protocol":"groth16","protocol":"groth16","pi_a":["1","2","1"]}"#.utf8)
        #expect(throws: Groth16Error.self) { try Groth16Proof(snarkjsJSON: dup) }
    }

    @Test func keyChecks() throws {
        let data = try Self.file("nullifier-2pub", "verification_key.json")
        func key(_ edit: (inout [String: Any]) -> Void) throws -> Groth16Error? {
            let bytes = try Self.reserialize(data) { obj in
                if var d = obj as? [String: Any] {
                    edit(&d)
                    obj = d
                }
            }
            do {
                _ = try Groth16VerifyingKey(snarkjsJSON: bytes)
                return nil
            } catch { return error }
        }
        #expect(try key { _ in } == nil)
        #expect(try key { $0["nPublic"] = 3 } == .countMismatch(what: "IC length", got: 3, want: 4))
        #expect(
            try key { $0["IC"] = [["1", "2", "1"], ["0", "1", "0"], ["1", "2", "1"]] }
                == .identityNotAllowed(field: "IC[1]"))
        #expect(
            try key { $0["vk_delta_2"] = [["0", "0"], ["1", "0"], ["0", "0"]] }
                == .identityNotAllowed(field: "vk_delta_2"))
        #expect(try key { $0["vk_alpha_1"] = ["0", "1", "0"] } == .identityNotAllowed(field: "vk_alpha_1"))
        #expect(try key { $0["protocol"] = nil } == .malformedField(field: "protocol", reason: "missing"))
        #expect(try key { $0["nPublic"] = "2" } != nil)
    }

    /// Every field of the proof and every public input, changed (+1, replaced by 0, last digit
    /// changed): never valid.
    @Test(arguments: ["nullifier-2pub", "zkml-nids-7pub"])
    func fieldMutationsAreNeverAccepted(vector: String) throws {
        func variants(_ s: String) -> [String] {
            var out = ["0", "1", s + "0", String(s.dropLast())]
            if let last = s.last, let d = last.wholeNumberValue {
                out.append(String(s.dropLast()) + String((d + 1) % 10))
            }
            return out.filter { $0 != s && !$0.isEmpty }
        }
        var checked = 0
        for member in ["pi_a", "pi_b", "pi_c"] {
            let original =
                try JSONSerialization.jsonObject(with: try Self.file(vector, "proof.json")) as? [String: Any]
            let point = try #require(original?[member] as? [Any])
            for i in point.indices {
                let paths: [(Int?, String)] =
                    if let s = point[i] as? String { [(nil, s)] } else {
                        (try #require(point[i] as? [String])).enumerated().map { ($0.offset, $0.element) }
                    }
                for (j, s) in paths {
                    for replacement in variants(s) {
                        let got = try Self.edited(
                            vector,
                            proof: { d in
                                var pt = point
                                if let j, var pair = pt[i] as? [String] {
                                    pair[j] = replacement
                                    pt[i] = pair
                                } else {
                                    pt[i] = replacement
                                }
                                d[member] = pt
                            })
                        #expect(
                            got != .valid, "\(member)[\(i)][\(j.map(String.init) ?? "-")] = \(replacement)")
                        checked += 1
                    }
                }
            }
        }
        let inputs = try #require(
            try JSONSerialization.jsonObject(with: try Self.file(vector, "public.json")) as? [String])
        for i in inputs.indices {
            for replacement in variants(inputs[i]) {
                let got = try Self.edited(vector, inputs: { $0[i] = replacement })
                #expect(got != .valid, "public[\(i)] = \(replacement)")
                checked += 1
            }
        }
        #expect(checked > 50)
    }

    /// Every single-bit flip of every byte of proof.json and public.json: never valid. A flip that
    /// leaves the public inputs' values unchanged cannot exist (each byte is structural or a digit).
    @Test func everyBitFlipIsRejected() throws {
        let v = "nullifier-2pub"
        let key = try Self.key(v)
        let proof = try Self.file(v, "proof.json")
        let inputs = try Self.file(v, "public.json")
        var outcomes: [String: Int] = [:]
        for (which, original) in [("proof", proof), ("public", inputs)] {
            for i in original.indices {
                for bit in 0..<8 {
                    var m = original
                    m[i] ^= UInt8(1 << bit)
                    let got =
                        which == "proof"
                        ? Self.outcome(key, proof: m, inputs: inputs)
                        : Self.outcome(key, proof: proof, inputs: m)
                    #expect(got != .valid, "\(which) byte \(i) bit \(bit)")
                    let label = if case .malformed = got { "malformed" } else { "\(got)" }
                    outcomes["\(which) \(label)", default: 0] += 1
                }
            }
        }
        #expect(
            outcomes["proof invalid", default: 0] + outcomes["proof malformed", default: 0] == proof.count * 8
        )
        #expect(
            outcomes["public invalid", default: 0] > 0, "some flips change a digit: those reach the pairing")
    }
}
