import Groth16

/// The binary Groth16 files the CLI reads (specs/groth16.md §9.4, §12): circom `.r1cs` and
/// `.wtns`, a prepared `.ptau` ceremony, and our proving-key file.
enum Groth16FileTargets {
    /// The statement id the `proving-key` target reads keys for (its seeds are written for it).
    static let statementID = [UInt8](repeating: 0x5A, count: 32)

    /// Read as a circom `.r1cs` and as a `.wtns`. Each reader refuses with `Groth16Error` and never
    /// traps; what one accepts, written back by our writer and read again, is the same system or
    /// witness (the writer's bytes are a fixed point: written twice, they are equal).
    @Sendable static func circom(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let target = "circom"
        var reasons: [String] = []
        do {
            let file = try CircomR1CS(fileBytes: input)
            let written = file.fileBytes
            let again: CircomR1CS
            do { again = try CircomR1CS(fileBytes: written) } catch {
                throw InvariantViolation(
                    target: target, message: "our .r1cs of an accepted file does not read: \(error)")
            }
            try require(again.fileBytes == written, target, "the .r1cs writer is not a fixed point")
            try require(
                again.r1cs.constraints.count == file.r1cs.constraints.count
                    && again.r1cs.variableCount == file.r1cs.variableCount
                    && again.r1cs.publicCount == file.r1cs.publicCount, target,
                "a written .r1cs reads back with other counts")
            return .accepted
        } catch let e as InvariantViolation {
            throw e
        } catch {
            reasons.append("r1cs: \(error)")
        }
        do {
            let witness = try CircomWitness(fileBytes: input)
            let written = witness.fileBytes
            let again: CircomWitness
            do { again = try CircomWitness(fileBytes: written) } catch {
                throw InvariantViolation(
                    target: target, message: "our .wtns of an accepted file does not read: \(error)")
            }
            try require(again.fileBytes == written, target, "a written .wtns reads back other values")
            return .accepted
        } catch let e as InvariantViolation {
            throw e
        } catch {
            reasons.append("wtns: \(error)")
        }
        return .rejected(reason: reasons.joined(separator: "; "))
    }

    /// Read as a prepared powers-of-tau file. The reader checks sizes, coordinates and curve
    /// membership and refuses with `Groth16Error`; it must never trap.
    @Sendable static func ptau(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        do {
            let file = try PowersOfTau(fileBytes: input)
            try require(
                file.power >= 1 && file.power <= file.ceremonyPower, "ptau",
                "power \(file.power) out of range")
            return .accepted
        } catch {
            return .rejected(reason: "\(error)")
        }
    }

    /// Read as a proving-key file for ``statementID``. What it accepts serializes back to the
    /// input byte for byte (the format has one encoding per key).
    @Sendable static func provingKey(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let key: Groth16ProvingKey
        do { key = try Groth16ProvingKey(serialized: input, statementID: statementID) } catch {
            return .rejected(reason: "\(error)")
        }
        try require(
            key.serialized(statementID: statementID) == input, "proving-key",
            "an accepted key re-serializes differently: \(hexPrefix(input))")
        return .accepted
    }
}
