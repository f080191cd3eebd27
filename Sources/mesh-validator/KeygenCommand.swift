import ArgumentParser
import Foundation
import Receipts

/// `mesh-validator keygen`: a new BIP-340 secret key for a node, orchestrator or validator.
struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a secp256k1 (BIP-340) secret key file and print its x-only public key.",
        discussion: "The file holds 64 hex characters and a newline, with mode 0600. It is never overwritten."
    )

    @Option(name: .long, help: "Where to write the secret key.")
    var out: String

    @Flag(name: .long, help: "Print {\"publicKey\": ..., \"file\": ...} as JSON.")
    var json = false

    func run() async throws {
        let key = SchnorrSigningKey.generate()
        try writeSecretKey(key, to: out)
        if json {
            try printJSON(["publicKey": key.publicKey.hex, "file": out])
        } else {
            print(key.publicKey.hex)
        }
    }
}

/// Writes `key` as hex to a new file with mode 0600, refusing to replace an existing file.
func writeSecretKey(_ key: SchnorrSigningKey, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else {
        let reason =
            errno == EEXIST
            ? "it already exists (refusing to overwrite a key)" : String(cString: strerror(errno))
        throw malformed("cannot create \(path): \(reason)")
    }
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    try handle.write(contentsOf: Data((Hex.encode(key.rawRepresentation) + "\n").utf8))
    try handle.synchronize()
}

/// Reads a secret key file written by `keygen` (64 lowercase hex characters, optional newline).
func readSecretKey(_ path: String) throws -> SchnorrSigningKey {
    let data = try readInput(path, maxBytes: 1024)
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let raw = Hex.decode(text), raw.count == 32 else {
        throw malformed("\(path): a secret key file holds exactly 64 lowercase hex characters")
    }
    do {
        return try SchnorrSigningKey(rawRepresentation: raw)
    } catch {
        throw malformed("\(path): \(error)")
    }
}
