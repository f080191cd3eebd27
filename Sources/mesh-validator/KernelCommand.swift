import ArgumentParser

// Placeholder: replaced by the owner of this subcommand.
struct KernelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel", abstract: "(not yet built)")
    func run() async throws { throw CleanExit.message("kernel: not yet built") }
}
