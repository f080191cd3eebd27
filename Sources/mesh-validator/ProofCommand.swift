import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct ProofCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proof", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("proof: not yet built") }
}
