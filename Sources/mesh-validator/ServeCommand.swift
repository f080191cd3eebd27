import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("serve: not yet built") }
}
