import ArgumentParser
import Foundation
import Ledger

/// Exit statuses shared by every subcommand that checks something.
enum CLIExit {
    /// The checked object is valid.
    static let valid = ExitCode(0)
    /// The checked object is well formed but invalid (bad signature, wrong proof, ...).
    static let invalid = ExitCode(1)
    /// The input could not be parsed (bad JSON, wrong lengths, truncated file, ...).
    static let malformed = ExitCode(2)
}

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Prints `reason` to standard error prefixed with `invalid:` and returns exit status 1.
func invalid(_ reason: String) -> ExitCode {
    printError("invalid: \(reason)")
    return CLIExit.invalid
}

/// Prints `reason` to standard error prefixed with `malformed:` and returns exit status 2.
func malformed(_ reason: String) -> ExitCode {
    printError("malformed: \(reason)")
    return CLIExit.malformed
}

/// Reads a whole input file (or standard input for `-`), refusing files over `maxBytes`.
///
/// - Throws: `ExitCode` 2 (after printing what is wrong) when the file is missing,
///   unreadable or larger than `maxBytes`.
func readInput(_ path: String, maxBytes: Int = 16 << 20) throws -> Data {
    do { return try readInputFile(path, maxBytes: maxBytes) } catch { throw malformed(error.description) }
}

/// Why an input file could not be read; the message names the file.
struct InputFileError: Error, CustomStringConvertible {
    var description: String
}

/// `readInput` without printing: the caller reports the error (e.g. as one verdict among many).
func readInputFile(_ path: String, maxBytes: Int) throws(InputFileError) -> Data {
    if path == "-" {
        let data = FileHandle.standardInput.readData(ofLength: maxBytes + 1)
        guard data.count <= maxBytes else {
            throw InputFileError(description: "standard input is larger than \(maxBytes) bytes")
        }
        return data
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw InputFileError(description: "cannot read \(path): no such file")
    }
    guard !isDirectory.boolValue else {
        throw InputFileError(description: "cannot read \(path): it is a directory, not a file")
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw InputFileError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
    }
    // Closing a descriptor opened for reading cannot lose data; the bytes are already read.
    defer { try? handle.close() }
    let data: Data
    do { data = try handle.read(upToCount: maxBytes + 1) ?? Data() } catch {
        throw InputFileError(description: "cannot read \(path): \(error.localizedDescription)")
    }
    guard data.count <= maxBytes else {
        throw InputFileError(description: "\(path) is larger than the limit of \(maxBytes) bytes")
    }
    return data
}

/// Prints `value` as JSON with sorted keys (pretty unless `compact`) to standard output.
func printJSON<T: Encodable>(_ value: T, compact: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
        compact
        ? [.sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// The ledger store `--db` names: a `postgres://` (or `postgresql://`) URL for a validator on
/// PostgreSQL (read while it runs), else an SQLite ledger file, opened read-only.
func openLedgerStore(_ db: String) throws -> any LedgerStore {
    do {
        if db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") {
            return PostgresLedgerStore(link: try PostgresLink(url: db, size: 2))
        }
        return try SQLiteLedgerStore(path: db, readOnly: true)
    } catch {
        throw malformed("\(db): \(error)")
    }
}

/// Opens the ledger `--db` names (``openLedgerStore(_:)``) read-only, turning failures into exit
/// status 2.
func openLedger(_ db: String) throws -> Ledger {
    let store = try openLedgerStore(db)
    do { return try Ledger(store: store, readOnly: true) } catch { throw malformed("\(db): \(error)") }
}
