import Foundation

/// The result of running a program to completion.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

extension Process {
    /// Waits until the process has exited, polling ``isRunning`` every 5 ms; `false` when it still
    /// runs after `timeout` seconds.
    ///
    /// Not `waitUntilExit()`: on Linux that runs the calling thread's run loop, and it was seen to
    /// sleep in `ppoll` for ten minutes after its child had exited and been reaped, until a
    /// debugger's signal woke it (swift-corelibs-foundation; the suite's CI hang). `isRunning`
    /// is cleared by Foundation's own reaper thread, which did its part.
    @discardableResult
    public func waitForExit(timeout: Double = .infinity) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while isRunning {
            guard Date() < end else { return false }
            usleep(5_000)
        }
        return true
    }
}

/// A child process that had not exited when its time ran out; it was killed (SIGKILL).
public struct ProcessTimedOut: Error, CustomStringConvertible {
    public var command: String
    public var seconds: Double
    public var description: String { "\(command) did not exit within \(seconds) s and was killed" }
}

/// Runs `executable` with `arguments`, feeding `input` on standard input, and waits for it — at
/// most `timeout` seconds, after which the child is killed and ``ProcessTimedOut`` thrown, so a
/// hung child fails its test instead of hanging the suite.
public func runProcess(
    _ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String]? = nil,
    timeout: Double = 600
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
    // Threads of their own: while tests block GCD's global queues, GCD adds threads only slowly.
    func inThread(_ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread {
            body()
            group.leave()
        }.start()
    }
    inThread { out = outPipe.fileHandleForReading.readDataToEndOfFile() }
    inThread { err = errPipe.fileHandleForReading.readDataToEndOfFile() }
    inThread {
        // A child that exits without reading its input fails the write (EPIPE); its status says more.
        try? inPipe.fileHandleForWriting.write(contentsOf: input)
        try? inPipe.fileHandleForWriting.close()
    }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        kill(p.processIdentifier, SIGKILL)
        group.wait()
        p.waitForExit()
        throw ProcessTimedOut(command: ([executable] + arguments).joined(separator: " "), seconds: timeout)
    }
    p.waitForExit()
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
