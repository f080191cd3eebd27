import ArgumentParser

// Placeholder: replaced by the owner of this benchmark.
struct KernelBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel", abstract: "(not yet built)")
    func run() async throws { print("kernel: not yet built") }
}
