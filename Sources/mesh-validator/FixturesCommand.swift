import ArgumentParser
import Foundation
import Karma

/// `mesh-validator fixtures`: consensus-style test vectors.
struct FixturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixtures",
        abstract: "Run consensus-style fixture cases (specs/karma.md §10).",
        subcommands: [Run.self])

    /// `mesh-validator fixtures run DIR`: runs every karma case below DIR.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every fixture case below a directory and print pass/fail per case.",
            discussion: """
                A case is a folder holding case.json, pre.json, events.jsonl and (for valid cases) \
                post.json; parameters are read from a params/ folder above it. Exits 0 when every \
                case passes, 1 when any fails, 2 when no case is found.
                """)

        @Argument(help: "A fixture root such as Fixtures/karma, a suite folder, or one case folder.")
        var directory: String

        @Flag(help: "Print failures and the summary only.")
        var quiet = false

        func run() async throws {
            let root = URL(fileURLWithPath: directory, isDirectory: true)
            let cases = KarmaFixtures.discover(root: root)
            guard !cases.isEmpty else {
                throw malformed("no fixture cases (folders with events.jsonl) under \(directory)")
            }
            var failed = 0
            for c in cases {
                let result = KarmaFixtures.run(c)
                if let failure = result.failure {
                    failed += 1
                    print("FAIL \(c.name): \(failure)")
                } else if !quiet {
                    print("PASS \(c.name)")
                }
            }
            print("\(cases.count - failed) passed, \(failed) failed, \(cases.count) cases")
            if failed > 0 { throw CLIExit.invalid }
        }
    }
}
