import Foundation

/// The result of running a program to completion.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `executable` with `arguments`, feeding `input` on standard input, and waits for it.
public func runProcess(
    _ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String]? = nil
) throws -> ProcessOutput {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    let inPipe = Pipe()
    let outPipe = Pipe()
    let errPipe = Pipe()
    p.standardInput = inPipe
    p.standardOutput = outPipe
    p.standardError = errPipe
    try p.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var out = Data()
    nonisolated(unsafe) var err = Data()
    DispatchQueue.global().async(group: group) { out = outPipe.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { err = errPipe.fileHandleForReading.readDataToEndOfFile() }
    try? inPipe.fileHandleForWriting.write(contentsOf: input)
    try? inPipe.fileHandleForWriting.close()
    group.wait()
    p.waitUntilExit()
    return ProcessOutput(status: p.terminationStatus, stdout: out, stderr: err)
}

/// Locates the `mesh-validator` executable built beside the test bundle.
///
/// `swift test` builds every product of the package into the same directory as the test bundle.
public func builtExecutable(_ name: String = "mesh-validator") -> URL? {
    var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    if let env = ProcessInfo.processInfo.environment["MESH_VALIDATOR_BIN"] {
        return URL(fileURLWithPath: env)
    }
    return nil
}

/// Runs `python3` from `PATH` (the interpreter the setup script installs packages into).
public func runPython(_ arguments: [String], input: Data = Data()) throws -> ProcessOutput {
    try runProcess("/usr/bin/env", ["python3"] + arguments, input: input)
}
