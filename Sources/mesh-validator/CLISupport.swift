import ArgumentParser
import Foundation

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
    if path == "-" {
        let data = FileHandle.standardInput.readData(ofLength: maxBytes + 1)
        guard data.count <= maxBytes else {
            throw malformed("standard input is larger than \(maxBytes) bytes")
        }
        return data
    }
    let url = URL(fileURLWithPath: path)
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
        throw malformed("cannot read \(path): no such file")
    }
    if let size = attributes[.size] as? Int, size > maxBytes {
        throw malformed("\(path) is \(size) bytes; the limit is \(maxBytes)")
    }
    do {
        return try Data(contentsOf: url)
    } catch {
        throw malformed("cannot read \(path): \(error.localizedDescription)")
    }
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
