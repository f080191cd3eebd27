#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Random access to the bytes of a file, in memory or on disk (specs/groth16.md §12.1). A file
/// on disk is read by offset, so a ceremony file of gigabytes is never loaded whole.
enum ByteSource: Sendable {
    case memory([UInt8])
    case file(path: String, size: UInt64)

    /// Opens `path` for reading and notes its size.
    ///
    /// - Throws: `Groth16Error.unreadableFile` when it cannot be opened or is not a regular file.
    static func open(path: String) throws(Groth16Error) -> ByteSource {
        let fd = Self.openDescriptor(path)
        guard fd >= 0 else { throw .unreadableFile(path: path, reason: "cannot open (errno \(errno))") }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadableFile(path: path, reason: "not a regular file")
        }
        return .file(path: path, size: UInt64(info.st_size))
    }

    private static func openDescriptor(_ path: String) -> Int32 {
        #if canImport(Glibc)
            return Glibc.open(path, O_RDONLY)
        #else
            return Darwin.open(path, O_RDONLY)
        #endif
    }

    var size: UInt64 {
        switch self {
        case .memory(let bytes): return UInt64(bytes.count)
        case .file(_, let size): return size
        }
    }

    /// `count` bytes from `offset`. Precondition (checked by every caller against `size`, and
    /// here again): `offset + count ≤ size`.
    ///
    /// - Throws: `Groth16Error.unreadableFile` when the disk read fails or comes up short.
    func read(offset: UInt64, count: Int, kind: String) throws(Groth16Error) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw .truncatedFile(
                kind: kind, what: "a read at offset \(offset)", need: UInt64(max(count, 0)),
                have: offset <= size ? size - offset : 0)
        }
        switch self {
        case .memory(let bytes):
            let start = Int(offset)
            return Array(bytes[start..<(start + count)])
        case .file(let path, _):
            let fd = Self.openDescriptor(path)
            guard fd >= 0 else { throw .unreadableFile(path: path, reason: "cannot open (errno \(errno))") }
            defer { _ = close(fd) }
            var out = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let got = out.withUnsafeMutableBytes { buffer in
                    pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                }
                guard got > 0 else {
                    throw .unreadableFile(path: path, reason: "short read at offset \(offset + UInt64(done))")
                }
                done += got
            }
            return out
        }
    }
}

/// The container shared by iden3's `.r1cs`, `.wtns`, `.ptau` and `.zkey` files
/// (specs/groth16.md §12.1): 4 magic bytes, u32 version, u32 section count, then sections of
/// `u32 type ‖ u64 size ‖ size bytes`, all integers little-endian.
struct BinaryFileLayout: Sendable {
    struct Section: Sendable {
        /// Offset of the section's first data byte in the file.
        let offset: UInt64
        let size: UInt64
    }

    let kind: String
    let version: UInt32
    /// Every section in file order.
    let sections: [(type: UInt32, section: Section)]

    /// More sections than any iden3 file has (r1cs 3–5, wtns 2, ptau 11, zkey about 10–20): a
    /// bound on the work a hostile table can ask for.
    static let maxSections: UInt32 = 1024

    /// Reads the header and the section table (not the sections' data).
    ///
    /// - Throws: `.badFileHeader` for another magic, an unsupported version or more than
    ///   `maxSections` sections; `.truncatedFile`
    ///   when a section header or a section's declared size runs past the end; `.malformedSection`
    ///   for bytes after the last section.
    static func parse(_ source: ByteSource, magic: String, versions: ClosedRange<UInt32>) throws(Groth16Error)
        -> BinaryFileLayout
    {
        let kind = magic
        guard source.size >= 12 else {
            throw .truncatedFile(kind: kind, what: "the file header", need: 12, have: source.size)
        }
        let head = try source.read(offset: 0, count: 12, kind: kind)
        guard Array(head[0..<4]) == Array(magic.utf8) else {
            throw .badFileHeader(kind: kind, reason: "magic is \(printable(head[0..<4])), want \"\(magic)\"")
        }
        let version = le32(head, at: 4)
        guard versions.contains(version) else {
            throw .badFileHeader(
                kind: kind,
                reason:
                    "version \(version), want \(versions.lowerBound == versions.upperBound ? "\(versions.lowerBound)" : "\(versions)")"
            )
        }
        let count = le32(head, at: 8)
        guard count <= maxSections else {
            throw .badFileHeader(
                kind: kind,
                reason: "\(count) sections; iden3 files have a few dozen at most (limit \(maxSections))")
        }
        var sections: [(type: UInt32, section: Section)] = []
        var position: UInt64 = 12
        for i in 0..<Int(count) {
            let left = source.size - position
            guard left >= 12 else {
                throw .truncatedFile(
                    kind: kind, what: "the header of section entry \(i)", need: 12, have: left)
            }
            let entry = try source.read(offset: position, count: 12, kind: kind)
            let type = le32(entry, at: 0)
            let size = le64(entry, at: 4)
            guard size <= left - 12 else {
                throw .truncatedFile(kind: kind, what: "section \(type)", need: size, have: left - 12)
            }
            sections.append((type, Section(offset: position + 12, size: size)))
            position += 12 + size
        }
        guard position == source.size else {
            throw .malformedSection(
                kind: kind, section: -1, reason: "\(source.size - position) bytes after the last section")
        }
        return BinaryFileLayout(kind: kind, version: version, sections: sections)
    }

    /// The one section of `type`, nil when absent.
    ///
    /// - Throws: `.malformedSection` when the file has it more than once.
    func unique(_ type: UInt32) throws(Groth16Error) -> Section? {
        let all = sections.filter { $0.type == type }
        guard all.count <= 1 else {
            throw .malformedSection(kind: kind, section: Int(type), reason: "appears \(all.count) times")
        }
        return all.first?.section
    }

    /// The one section of `type`; throws when absent or repeated.
    func required(_ type: UInt32, name: String) throws(Groth16Error) -> Section {
        guard let s = try unique(type) else {
            throw .malformedSection(kind: kind, section: Int(type), reason: "the \(name) section is missing")
        }
        return s
    }

    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        "\""
            + bytes.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "\\x\(hex2($0))" }.joined()
            + "\""
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}

/// A little-endian reader over one section's bytes; every read is bounds-checked and reports
/// what it was reading (specs/groth16.md §12.1).
struct ByteCursor {
    let bytes: [UInt8]
    let kind: String
    let section: Int
    private(set) var position = 0

    init(_ bytes: [UInt8], kind: String, section: Int) {
        self.bytes = bytes
        self.kind = kind
        self.section = section
    }

    var remaining: Int { bytes.count - position }

    mutating func take(_ n: Int, what: String) throws(Groth16Error) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else {
            throw .truncatedFile(
                kind: kind, what: "\(what) (section \(section))", need: UInt64(max(n, 0)),
                have: UInt64(remaining))
        }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func u32(_ what: String) throws(Groth16Error) -> UInt32 {
        let s = try take(4, what: what)
        return le32(s, at: s.startIndex)
    }

    mutating func u64(_ what: String) throws(Groth16Error) -> UInt64 {
        let s = try take(8, what: what)
        return le64(s, at: s.startIndex)
    }

    /// Throws unless every byte was consumed.
    func expectEnd() throws(Groth16Error) {
        guard remaining == 0 else {
            throw .malformedSection(
                kind: kind, section: section, reason: "\(remaining) unexpected trailing bytes")
        }
    }
}

@inline(__always)
func le32<C: RandomAccessCollection<UInt8>>(_ b: C, at i: C.Index) -> UInt32 where C.Index == Int {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}

@inline(__always)
func le64<C: RandomAccessCollection<UInt8>>(_ b: C, at i: C.Index) -> UInt64 where C.Index == Int {
    UInt64(le32(b, at: i)) | UInt64(le32(b, at: i + 4)) << 32
}

/// 32 little-endian bytes as four limbs (no reduction).
@inline(__always)
func limbsLE(_ b: ArraySlice<UInt8>) -> Limbs4 {
    let i = b.startIndex
    return (
        UInt(le64(b, at: i)), UInt(le64(b, at: i + 8)), UInt(le64(b, at: i + 16)), UInt(le64(b, at: i + 24))
    )
}

/// Appends little-endian integers and sections to a byte buffer (the writers of §12).
struct BinaryFileWriter {
    private(set) var bytes: [UInt8] = []

    init(magic: String, version: UInt32, sectionCount: UInt32) {
        bytes += Array(magic.utf8)
        u32(version)
        u32(sectionCount)
    }

    mutating func u32(_ v: UInt32) {
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }
    mutating func u64(_ v: UInt64) {
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// 32 little-endian bytes of `limbs`.
    mutating func limbs(_ l: Limbs4) {
        for w in [l.0, l.1, l.2, l.3] { u64(UInt64(w)) }
    }

    /// Appends a section: type, the size of what `body` appends, then those bytes.
    mutating func section(_ type: UInt32, _ body: (inout BinaryFileWriter) -> Void) {
        u32(type)
        let sizeAt = bytes.count
        u64(0)
        let start = bytes.count
        body(&self)
        let size = UInt64(bytes.count - start)
        for k in 0..<8 { bytes[sizeAt + k] = UInt8(truncatingIfNeeded: size >> (8 * k)) }
    }
}

/// The header both `.r1cs` and `.wtns` begin with: `u32 n8 ‖ prime (n8 bytes, little-endian)`,
/// which must be 32 and BN254's r.
func readScalarFieldPrime(_ cursor: inout ByteCursor) throws(Groth16Error) {
    let n8 = try cursor.u32("field size n8")
    guard n8 == 32 else {
        throw .malformedSection(
            kind: cursor.kind, section: cursor.section,
            reason: "field elements are \(n8) bytes; only BN254 (32-byte) files are supported")
    }
    let prime = limbsLE(try cursor.take(32, what: "the prime"))
    guard Limbs256.compare(prime, Fr.field.modulus) == 0 else {
        throw .wrongPrime(
            kind: cursor.kind, got: Limbs256.decimal(prime), want: Limbs256.decimal(Fr.field.modulus))
    }
}

extension BinaryFileWriter {
    /// `u32 32 ‖ r` (the scalar-field header of `.r1cs` and `.wtns`).
    mutating func scalarFieldPrime() {
        u32(32)
        limbs(Fr.field.modulus)
    }
}
