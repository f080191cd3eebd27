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
                try checkSourceBlocks(file, info, values)
            case .failure(let e):
                throw InvariantViolation(target: "gguf", message: "dequantizable \(info.name) refused: \(e)")
            }
        }
        return .accepted
    }

    /// For Q4_0 / Q4_1 / Q8_0 tensors, the blocks handed to the block format (kernel.md §3.5)
    /// must describe the dequantized values: `d * code + m` in binary32 equals each value (as
    /// numbers: ±0 aside) wherever `d` and `m` are finite; other types have no blocks.
    static func checkSourceBlocks(_ file: GGUFFile, _ info: GGUFTensorInfo, _ values: [Float])
        throws(InvariantViolation)
    {
        guard let blocks = file.sourceBlocks(info) else {
            try require(
                !GGUFFile.blockSourceTypes.contains(info.type), "gguf", "no source blocks for \(info.name)")
            return
        }
        try require(
            blocks.codes.count == values.count && blocks.scales.count * 32 == values.count
                && blocks.offsets.count == blocks.scales.count, "gguf",
            "source blocks of \(info.name) do not cover its \(values.count) values")
        for (i, v) in values.enumerated() {
            let d = blocks.scales[i / 32]
            let m = blocks.offsets[i / 32]
            guard d.isFinite, m.isFinite else { continue }
            let code =
                blocks.codeBits == 8 ? Float(Int8(bitPattern: blocks.codes[i])) : Float(blocks.codes[i])
            try require(
                code * d + m == v, "gguf",
                "\(info.name) value \(i): blocks give \(code * d + m), dequantized \(v)")
        }
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
