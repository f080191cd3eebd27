import ArgumentParser

/// `mesh-bench`: benchmarks that print our figures beside a reference measured in the same run.
///
/// Build in release mode: `swift run -c release mesh-bench <area>`. Figures go in BENCHMARKS.md.
@main
struct MeshBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh-bench",
        abstract: "Benchmarks for Mesh Validator (ratios against same-run references).",
        subcommands: [
            ReceiptsBench.self,
            LedgerBench.self,
            KernelBench.self,
            DecodeBench.self,
            ProofsBench.self,
            ServiceBench.self,
            IngestBench.self,
            SettlementBench.self,
            AuditBench.self,
            Groth16Bench.self,
        ]
    )
}
