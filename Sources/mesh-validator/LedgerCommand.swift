import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("ledger: not yet built") }
}
