import Kernel

/// Everything that can go wrong while reading, importing, writing or loading a model.
///
/// One enum for the whole `Models` module. Every case names the file section, tensor, chunk or
/// key at fault so that the message alone tells a user what to fix. Readers never crash on bad
/// bytes: they throw one of these.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes remain than a field needs.
    case truncated(what: String, offset: Int, need: Int, available: Int)
    /// The file does not start with the expected magic bytes.
    case badMagic(format: String, got: [UInt8])
    /// A container version this reader does not implement.
    case unsupportedVersion(format: String, got: UInt64)
    /// A count or length field is larger than the file could hold or than a sane limit.
    case countTooLarge(what: String, count: UInt64, limit: UInt64)
    /// A string field is not valid UTF-8.
    case invalidUTF8(what: String)
    /// A metadata value type code outside the format's enumeration.
    case unknownValueType(key: String, code: UInt32)
    /// A structural rule of the container is broken (duplicate key, bad alignment, ...).
    case malformed(format: String, reason: String)
    /// A tensor's element type is unknown or not supported by this reader.
    case unsupportedTensorType(tensor: String, type: String)
    /// A tensor's data would lie (partly) outside the file's data section.
    case tensorOutOfBounds(tensor: String, begin: UInt64, end: UInt64, available: UInt64)
    /// A tensor has a shape other than the architecture requires.
    case shapeMismatch(tensor: String, got: [Int], want: [Int])
    /// A tensor the architecture requires is missing.
    case missingTensor(String)
    /// A required metadata key (GGUF metadata, config.json field, manifest field) is missing.
    case missingMetadata(key: String)
    /// A metadata value has the wrong type or an out-of-range value.
    case badMetadata(key: String, reason: String)
    /// The model's architecture is not one this project implements.
    case unsupportedArchitecture(String)
    /// The tokenizer description is inconsistent (unknown merge token, missing special token, ...).
    case badTokenizer(String)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// A package's manifest is not valid canonical JSON of the expected shape.
    case badManifest(String)
    /// A weight chunk's SHA-256 does not match the manifest.
    case chunkHashMismatch(index: Int, got: String, want: String)
    /// A weight chunk has the wrong number of bytes.
    case chunkSizeMismatch(index: Int, got: Int, want: Int)
    /// A weight chunk file is missing.
    case chunkMissing(index: Int, path: String)
    /// The chunks' Merkle root does not match the manifest.
    case chunkRootMismatch(got: String, want: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// The kernel rejected the model (bad config, tensor shapes, non-finite weights).
    case kernel(KernelError)
    /// `weight_bits` 4 (block format, kernel.md §3.5) was asked of a source without
    /// block-quantized matrices (`source` names it: safetensors F32, a GGUF without Q4_0 / Q4_1
    /// / Q8_0 matrices): the format keeps source blocks and never requantizes floats.
    case noBlockSource(source: String)

    /// The case name ("truncated", "chunkHashMismatch", ...): the stable `wantErr` of
    /// Fixtures/models/malformed.json.
    public var code: String {
        switch self {
        case .truncated: return "truncated"
        case .badMagic: return "badMagic"
        case .unsupportedVersion: return "unsupportedVersion"
        case .countTooLarge: return "countTooLarge"
        case .invalidUTF8: return "invalidUTF8"
        case .unknownValueType: return "unknownValueType"
        case .malformed: return "malformed"
        case .unsupportedTensorType: return "unsupportedTensorType"
        case .tensorOutOfBounds: return "tensorOutOfBounds"
        case .shapeMismatch: return "shapeMismatch"
        case .missingTensor: return "missingTensor"
        case .missingMetadata: return "missingMetadata"
        case .badMetadata: return "badMetadata"
        case .unsupportedArchitecture: return "unsupportedArchitecture"
        case .badTokenizer: return "badTokenizer"
        case .tokenOutOfRange: return "tokenOutOfRange"
        case .badManifest: return "badManifest"
        case .chunkHashMismatch: return "chunkHashMismatch"
        case .chunkSizeMismatch: return "chunkSizeMismatch"
        case .chunkMissing: return "chunkMissing"
        case .chunkRootMismatch: return "chunkRootMismatch"
        case .io: return "io"
        case .kernel: return "kernel"
        case .noBlockSource: return "noBlockSource"
        }
    }

    public var description: String {
        switch self {
        case .truncated(let what, let offset, let need, let available):
            return "truncated \(what) at byte \(offset): need \(need) bytes, \(available) available"
        case .badMagic(let format, let got):
            let hex = got.map { String($0, radix: 16) }.joined(separator: " ")
            return "not a \(format) file: bad magic bytes [\(hex)]"
        case .unsupportedVersion(let format, let got):
            return "unsupported \(format) version \(got)"
        case .countTooLarge(let what, let count, let limit):
            return "\(what) is \(count), more than the limit \(limit)"
        case .invalidUTF8(let what):
            return "\(what) is not valid UTF-8"
        case .unknownValueType(let key, let code):
            return "metadata key \(key): unknown value type \(code)"
        case .malformed(let format, let reason):
            return "malformed \(format): \(reason)"
        case .unsupportedTensorType(let tensor, let type):
            return "tensor \(tensor): unsupported type \(type)"
        case .tensorOutOfBounds(let tensor, let begin, let end, let available):
            return "tensor \(tensor): data [\(begin), \(end)) lies outside the \(available)-byte data section"
        case .shapeMismatch(let tensor, let got, let want):
            return "tensor \(tensor): shape \(got), want \(want)"
        case .missingTensor(let name):
            return "missing tensor \(name)"
        case .missingMetadata(let key):
            return "missing metadata \(key)"
        case .badMetadata(let key, let reason):
            return "metadata \(key): \(reason)"
        case .unsupportedArchitecture(let arch):
            return "unsupported architecture \(arch) (supported: llama, bert)"
        case .badTokenizer(let reason):
            return "bad tokenizer: \(reason)"
        case .tokenOutOfRange(let id, let size):
            return "token id \(id) is outside the vocabulary of \(size) tokens"
        case .badManifest(let reason):
            return "bad manifest: \(reason)"
        case .chunkHashMismatch(let index, let got, let want):
            return "chunk \(index): SHA-256 \(got), manifest says \(want)"
        case .chunkSizeMismatch(let index, let got, let want):
            return "chunk \(index): \(got) bytes, want \(want)"
        case .chunkMissing(let index, let path):
            return "chunk \(index) missing: \(path)"
        case .chunkRootMismatch(let got, let want):
            return "chunk Merkle root \(got), manifest says \(want)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .kernel(let error):
            return "kernel: \(error)"
        case .noBlockSource(let source):
            return
                "weight bits 4 (block format, kernel.md §3.5) keeps block-quantized source matrices "
                + "(GGUF Q4_0, Q4_1, Q8_0) and \(source) has none; import it with --weight-bits 8 or 16"
        }
    }
}
