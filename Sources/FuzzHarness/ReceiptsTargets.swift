import Foundation
import Receipts

/// Targets for the `Receipts` module's parsers.
enum ReceiptsTargets {
    /// `StrictJSON.parse`; an accepted value must survive `JSONOutput` (compact and pretty) and a
    /// second parse unchanged.
    @Sendable static func json(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let value: JSONValue
        do { value = try StrictJSON.parse(input) } catch { return .rejected(reason: "\(error)") }
        for pretty in [false, true] {
            switch Result(catching: { () throws(ReceiptError) in
                try StrictJSON.parse(JSONOutput.data(value, pretty: pretty))
            }) {
            case .success(let again):
                try require(again == value, "json", "round trip (pretty: \(pretty)) changed the value")
            case .failure(let e):
                throw InvariantViolation(
                    target: "json",
                    message: "JSONOutput (pretty: \(pretty)) wrote text the parser refuses: \(e)")
            }
        }
        return .accepted
    }

    /// The input as an unsigned receipt document, a signed receipt document and canonical
    /// receipt bytes. Accepted receipts must round-trip through JSON and canonical bytes, and
    /// canonical bytes that decode must be exactly the receipt's encoding (the encoding is unique).
    @Sendable static func receipts(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        var accepted = false
        var reasons: [String] = []
        switch Result(catching: { () throws(ReceiptError) in try Receipt(json: input) }) {
        case .success(let r):
            try roundTrip(r)
            accepted = true
        case .failure(let e): reasons.append("unsigned JSON: \(e)")
        }
        switch Result(catching: { () throws(ReceiptError) in try SignedReceipt(json: input) }) {
        case .success(let s):
            switch Result(catching: { () throws(ReceiptError) in try SignedReceipt(json: s.json()) }) {
            case .success(let again):
                try require(again == s, "receipts", "signed receipt JSON round trip changed the value")
            case .failure(let e):
                throw InvariantViolation(target: "receipts", message: "SignedReceipt.json() is refused: \(e)")
            }
            _ = s.verify()
            try roundTrip(s.receipt)
            accepted = true
        case .failure(let e): reasons.append("signed JSON: \(e)")
        }
        switch Result(catching: { () throws(ReceiptError) in try Receipt(canonicalBytes: input) }) {
        case .success(let r):
            try require(
                Array(r.canonicalBytes) == input, "receipts",
                "decoded canonical bytes \(hexPrefix(input)) re-encode differently")
            try roundTrip(r)
            accepted = true
        case .failure(let e): reasons.append("canonical: \(e)")
        }
        return accepted ? .accepted : .rejected(reason: reasons.joined(separator: "; "))
    }

    /// `Receipt(json: r.json()) == r` and `Receipt(canonicalBytes: r.canonicalBytes) == r`.
    private static func roundTrip(_ r: Receipt) throws(InvariantViolation) {
        switch Result(catching: { () throws(ReceiptError) in
            (try Receipt(json: r.json()), try Receipt(canonicalBytes: r.canonicalBytes))
        }) {
        case .success(let (fromJSON, fromBytes)):
            try require(fromJSON == r, "receipts", "receipt JSON round trip changed the value")
            try require(fromBytes == r, "receipts", "canonical round trip changed the value")
        case .failure(let e):
            throw InvariantViolation(
                target: "receipts", message: "an accepted receipt's own encoding is refused: \(e)")
        }
    }
}
