import ArgumentParser

// Placeholder: replaced by the owner of this benchmark.
struct ProofsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proofs", abstract: "(not yet built)")
    func run() async throws { print("proofs: not yet built") }
}
