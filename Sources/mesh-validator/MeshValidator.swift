import ArgumentParser

/// `mesh-validator`: the validator node and the auditor's tool, one binary with subcommands.
///
/// Exit codes shared by every verifying subcommand: 0 valid, 1 invalid (reason printed),
/// 2 malformed input (what is wrong printed). See `CLISupport.swift`.
@main
struct MeshValidator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh-validator",
        abstract: "Validator for the Mesh peer-to-peer inference grid.",
        discussion: """
            Verifies signed execution receipts, settles 2-of-3 shard jobs by deterministic \
            re-execution or succinct proofs, and keeps karma in an append-only Merkle ledger.
            """,
        subcommands: [
            KeygenCommand.self,
            ReceiptCommand.self,
            LedgerCommand.self,
            ModelCommand.self,
            KernelCommand.self,
            ProofCommand.self,
            FixturesCommand.self,
            AuditCommand.self,
            ServeCommand.self,
            DemoCommand.self,
        ]
    )
}
