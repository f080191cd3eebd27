import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("demo: not yet built") }
}
