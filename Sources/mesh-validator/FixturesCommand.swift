import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct FixturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fixtures", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("fixtures: not yet built") }
}
