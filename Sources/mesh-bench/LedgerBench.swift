import ArgumentParser

// Placeholder: replaced by the owner of this benchmark.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "(not yet built)")
    func run() async throws { print("ledger: not yet built") }
}
