import Foundation

/// A bounds-checked little-endian cursor over a byte buffer.
///
/// Every read checks that enough bytes remain and throws `ModelError.truncated` naming the field
/// otherwise; nothing here traps on hostile input. Offsets are relative to the start of `bytes`.
struct ByteReader {
    /// The whole buffer (a zero-based copy-on-write view).
    let bytes: Data
    /// The offset of the next byte to read, in `[0, bytes.count]`.
    private(set) var offset: Int
    /// The format name used in error messages ("GGUF", "safetensors").
    let format: String

    init(_ bytes: Data, format: String, offset: Int = 0) {
        self.bytes = bytes.startIndex == 0 ? bytes : Data(bytes)
        self.offset = offset
        self.format = format
    }

    /// Bytes left after `offset`.
    var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes are available.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws(ModelError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(what: what(), offset: offset, need: count, available: max(remaining, 0))
        }
    }

    /// Reads a little-endian fixed-width integer.
    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String)
        throws(ModelError) -> T
    {
        let size = MemoryLayout<T>.size
        try require(size, what())
        let start = offset
        let value = bytes.withUnsafeBytes { raw in
            T(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: T.self))
        }
        offset += size
        return value
    }

    /// Reads `count` raw bytes.
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(ModelError) -> Data {
        try require(count, what())
        let slice = bytes.subdata(in: offset..<(offset + count))
        offset += count
        return slice
    }

    /// Reads `count` bytes and decodes them as UTF-8 (invalid sequences are an error, not replaced).
    mutating func utf8(_ count: Int, _ what: @autoclosure () -> String) throws(ModelError) -> String {
        try require(count, what())
        let start = offset
        let decoded: String? = bytes.withUnsafeBytes { raw in
            let view = UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)])
            return String(validating: view.bindMemory(to: UInt8.self), as: UTF8.self)
        }
        guard let decoded else { throw .invalidUTF8(what: what()) }
        offset += count
        return decoded
    }

    /// Moves the cursor to `newOffset`, which must lie in `[0, bytes.count]`.
    mutating func seek(to newOffset: Int, _ what: @autoclosure () -> String) throws(ModelError) {
        guard newOffset >= 0, newOffset <= bytes.count else {
            throw .truncated(what: what(), offset: offset, need: newOffset - offset, available: remaining)
        }
        offset = newOffset
    }
}
