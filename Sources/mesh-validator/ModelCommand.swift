import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("model: not yet built") }
}
