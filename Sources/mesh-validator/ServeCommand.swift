import ArgumentParser
import Foundation
import Validator

/// `mesh-validator serve --config FILE`: the validator's long-running HTTP service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the validator service (HTTP API, settlement, karma ledger).",
        discussion: """
            Reads the JSON configuration FILE (specs/service.md §2; example: \
            Fixtures/service/example-config.json), opens the data directory, and serves the API of \
            specs/openapi.yaml until SIGTERM or SIGINT, then shuts down gracefully: the listener \
            closes, in-flight requests and their durable writes finish, the settlement in progress \
            completes. Prints "checkpoint key <vkey>" (the checkpoint verifier key) at start and \
            "listening on HOST:PORT" to standard output once it accepts requests.
            """
    )

    @Option(name: .long, help: "Configuration file (JSON).")
    var config: String

    @Option(name: .long, help: "Override listen.port from the configuration (0 picks a free port).")
    var port: Int?

    func run() async throws {
        var settings: ValidatorConfig
        do {
            settings = try ValidatorConfig.load(from: config)
            if let port {
                settings.listen.port = port
                try settings.check()
            }
        } catch {
            throw malformed("configuration: \(error)")
        }
        let dependencies: ValidatorDependencies
        do {
            dependencies = try await ValidatorDependencies.open(config: settings)
        } catch {
            printError("cannot start: \(error)")
            throw ExitCode.failure
        }
        // Auditors pin this key to check checkpoints (`audit … --key`, `audit verify-balance`).
        let checkpointKey: String
        do { checkpointKey = try await dependencies.karma.checkpointKey() } catch {
            printError("cannot start: \(error)")
            throw ExitCode.failure
        }
        FileHandle.standardOutput.write(Data("checkpoint key \(checkpointKey)\n".utf8))
        let host = settings.listen.host
        try await ValidatorServer.serve(config: settings, dependencies: dependencies) { port in
            FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
        }
    }
}
