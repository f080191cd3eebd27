import ArgumentParser

// Placeholder: replaced by the owner of this benchmark.
struct ServiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "service", abstract: "(not yet built)")
    func run() async throws { print("service: not yet built") }
}
