import Foundation
import Kernel
import Models

/// Targets for the tensor file reader (`Kernel`) and the model file readers (`Models`).
enum ModelsTargets {
    /// `CanonicalTensor(decoding:)`; an accepted tensor must re-encode to exactly the input (the
    /// encoding is canonical, specs/kernel.md §7.1).
    @Sendable static func tensor(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let t: CanonicalTensor
        do { t = try CanonicalTensor(decoding: input) } catch { return .rejected(reason: "\(error)") }
        try require(
            Array(t.encoded()) == input, "tensor", "decoded tensor \(hexPrefix(input)) re-encodes differently"
        )
        _ = t.commitment
        return .accepted
    }

    /// `GGUFFile(data:)`; on an accepted file, every metadata accessor on every key (typed errors
    /// allowed), and every tensor's raw data and, where supported, dequantized values, whose sizes
    /// must match the tensor info.
    @Sendable static func gguf(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let file: GGUFFile
        do { file = try GGUFFile(data: Data(input)) } catch { return .rejected(reason: "\(error)") }
        for key in file.metadataKeys {
            // Each accessor either returns or throws `ModelError`: a wrong type is not a bug.
            _ = Result(catching: { () throws(ModelError) in try file.string(key) })
            _ = Result(catching: { () throws(ModelError) in try file.unsigned(key) })
            _ = Result(catching: { () throws(ModelError) in try file.float(key) })
            _ = Result(catching: { () throws(ModelError) in try file.stringArray(key) })
            _ = Result(catching: { () throws(ModelError) in try file.integerArray(key) })
        }
        for info in file.tensors {
            try require(
                file.rawData(of: info).count == info.byteCount, "gguf",
                "raw data of \(info.name) is not \(info.byteCount) bytes")
            try require(file.tensor(named: info.name) == info, "gguf", "tensor(named: \(info.name)) differs")
            guard info.type.isDequantizable else { continue }
            switch Result(catching: { () throws(ModelError) in try file.dequantize(info) }) {
            case .success(let values):
                try require(
                    values.count == info.elementCount, "gguf",
                    "dequantized \(info.name) has \(values.count) values, want \(info.elementCount)")
            case .failure(let e):
                throw InvariantViolation(target: "gguf", message: "dequantizable \(info.name) refused: \(e)")
            }
        }
        return .accepted
    }

    /// `SafetensorsFile(data:)`; on an accepted file, every tensor's raw bytes (the size its
    /// dtype and shape imply) and, for F32 / F16 / BF16, its values.
    @Sendable static func safetensors(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(data: Data(input)) } catch { return .rejected(reason: "\(error)") }
        for info in file.tensors {
            try require(
                file.rawData(of: info).count == info.elementCount * info.dtype.size, "safetensors",
                "raw data of \(info.name) does not match its shape and dtype")
            switch info.dtype {
            case .f32, .f16, .bf16:
                switch Result(catching: { () throws(ModelError) in try file.floats(info) }) {
                case .success(let values):
                    try require(
                        values.count == info.elementCount, "safetensors",
                        "\(info.name) has \(values.count) values, want \(info.elementCount)")
                case .failure(let e):
                    throw InvariantViolation(
                        target: "safetensors", message: "floats(\(info.name)) refused: \(e)")
                }
            default: continue
            }
        }
        return .accepted
    }
}
