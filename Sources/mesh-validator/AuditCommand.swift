import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("audit: not yet built") }
}
