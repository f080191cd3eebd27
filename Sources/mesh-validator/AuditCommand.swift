import ArgumentParser
import Foundation
import Karma
import Ledger
import Receipts

/// `mesh-validator audit`: replay a ledger's karma entries from the empty state (specs/karma.md §9).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Replay a ledger's karma entries: balances, stake, jail status, scores, history.",
        subcommands: [Balances.self, History.self, Settlements.self, VerifyBalance.self])

    /// Options shared by the audit subcommands.
    struct Source: ParsableArguments {
        @Option(help: "The ledger database (ledger.sqlite, or a postgres:// URL), opened read-only.")
        var db: String

        @Option(help: "A karma parameters file (default: the built-in v1 parameters).")
        var params: String?

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        @Option(
            help: ArgumentHelp(
                "A signed checkpoint note file to anchor the replay to (default: the latest checkpoint stored in the ledger).",
                valueName: "file"))
        var checkpoint: String?

        @Option(
            help: ArgumentHelp(
                "The log's checkpoint verifier key, <name>+<id>+<base64> (default: the key recorded in the ledger).",
                valueName: "vkey"))
        var key: String?

        /// Replays the entries a verified signed checkpoint covers, in order, through `replayer`:
        /// each entry is checked against the Merkle tree before it is applied, the entries' root
        /// against the checkpoint's, and the final state against the checkpoint's `karma-state`
        /// line when it has one (specs/ledger.md §7.1).
        func replay(tracking node: XOnlyPublicKey? = nil, coverage: Bool = false) throws -> (
            KarmaReplayer, Ledger, AuditAnchor
        ) {
            let parameters: KarmaParameters
            if let params {
                do { parameters = try KarmaParameters(json: try readInput(params)) } catch let e as KarmaError
                {
                    throw malformed("\(params): \(e)")
                }
            } else {
                parameters = .v2
            }
            let ledger = try openLedger(db)
            var replayer: KarmaReplayer
            do {
                replayer = KarmaReplayer(
                    engine: try KarmaEngine(parameters: parameters), trackingNode: node, coverage: coverage)
            } catch {
                throw malformed("parameters: \(error)")
            }
            let anchor = try AuditAnchor.resolve(ledger: ledger, db: db, checkpointFile: checkpoint, key: key)
            try anchor.replay(ledger, db: db, into: &replayer)
            try anchor.check(replayer.state)
            return (replayer, ledger, anchor)
        }
    }

    /// `audit balances`: every node's account after replaying the whole ledger.
    struct Balances: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the whole ledger from the empty state; print every account and the state hash.")

        @OptionGroup var source: Source

        func run() async throws {
            let (replayer, ledger, anchor) = try source.replay()
            let state = replayer.state
            let nodes = state.accounts.keys.sorted {
                $0.rawRepresentation.lexicographicallyPrecedes($1.rawRepresentation)
            }
            if source.json {
                let rows: [JSONValue] = try nodes.map { node in try accountJSON(node, state.account(node)) }
                let doc: JSONValue = .object([
                    "origin": .string(ledger.origin), "entries": .string(String(replayer.count)),
                    "stateHash": .string(state.stateHash.hex), "minted": .string(String(state.minted)),
                    "slashed": .string(String(state.slashed)), "nodes": .array(rows),
                    "anchor": anchor.json,
                ])
                print(JSONOutput.text(doc))
                return
            }
            print("ledger \(ledger.origin): \(replayer.count) entries")
            for line in anchor.lines { print(line) }
            print("state hash \(state.stateHash.hex)")
            print("minted \(state.minted) µK, slashed \(state.slashed) µK, \(nodes.count) accounts")
            print(
                [
                    "node", "balance", "escrow", "bonded", "unbonding", "jailed until", "inference",
                    "seeding",
                    "uptime",
                    "redundancy", "validation",
                ].joined(separator: "\t"))
            for node in nodes {
                let a = state.account(node)
                let unbonding = try unbondingTotal(node, a)
                let s = a.scores
                print(
                    [
                        node.hex, String(a.balance), String(a.escrow), String(a.bonded), unbonding,
                        a.jailedUntilMs.map { String($0) } ?? "-",
                        String(s.inference), String(s.seeding), String(s.uptime), String(s.redundancy),
                        String(s.validation),
                    ].joined(separator: "\t"))
            }
        }
    }

    /// `audit history`: every entry that touched one node, with its running balance.
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every ledger entry that touched a node, with the running balance.")

        @OptionGroup var source: Source

        @Option(help: "The node's x-only public key (64 hex).")
        var node: String

        func run() async throws {
            let key: XOnlyPublicKey
            do { key = try XOnlyPublicKey(hex: node, field: "--node") } catch { throw malformed("\(error)") }
            let (replayer, _, anchor) = try source.replay(tracking: key)
            if source.json {
                let rows: [JSONValue] = try replayer.history.map { row in
                    .object([
                        "index": .string(String(row.index)), "type": .string(row.type.description),
                        "entryID": .string(row.entryID.hex), "timestampMs": .string(String(row.timestampMs)),
                        "account": try accountJSON(key, row.account),
                    ])
                }
                print(
                    JSONOutput.text(
                        .object(["node": .string(key.hex), "entries": .array(rows), "anchor": anchor.json])))
                return
            }
            for line in anchor.lines { print(line) }
            print(
                [
                    "index", "type", "timestampMs", "balance", "escrow", "bonded", "unbonding",
                    "jailed until",
                    "entry id",
                ].joined(separator: "\t"))
            for row in replayer.history {
                let a = row.account
                print(
                    [
                        String(row.index), row.type.description, String(row.timestampMs), String(a.balance),
                        String(a.escrow), String(a.bonded),
                        try unbondingTotal(key, a),
                        a.jailedUntilMs.map { String($0) } ?? "-", row.entryID.hex,
                    ].joined(separator: "\t"))
            }
            print("\(replayer.history.count) of \(replayer.count) entries touched \(key.hex)")
        }
    }
}

/// The account's unbonding total as decimal text.
///
/// - Throws: exit 1 (invalid) when the sum overflows: the replay accepted every entry under
///   checked arithmetic, so such a state is inconsistent and the audit must not print it as a figure.
private func unbondingTotal(_ node: XOnlyPublicKey, _ a: Account) throws -> String {
    do { return String(try a.unbondingTotal()) } catch {
        throw invalid("account \(node.hex): the replayed state is inconsistent: \(error)")
    }
}

/// One account as JSON (64-bit integers as decimal strings, as in specs/karma.md §8.5).
private func accountJSON(_ node: XOnlyPublicKey, _ a: Account) throws -> JSONValue {
    let unbonding = try unbondingTotal(node, a)
    let jailed: JSONValue = a.jailedUntilMs.map { JSONValue.string(String($0)) } ?? JSONValue.null
    var scores: [String: JSONValue] = [:]
    scores["inference"] = .string(String(a.scores.inference))
    scores["seeding"] = .string(String(a.scores.seeding))
    scores["uptime"] = .string(String(a.scores.uptime))
    scores["redundancy"] = .string(String(a.scores.redundancy))
    scores["validation"] = .string(String(a.scores.validation))
    var m: [String: JSONValue] = [:]
    m["node"] = .string(node.hex)
    m["balance"] = .string(String(a.balance))
    m["escrow"] = .string(String(a.escrow))
    m["bonded"] = .string(String(a.bonded))
    m["unbonding"] = .string(unbonding)
    m["unbondingEntries"] = .number(String(a.unbonding.count))
    m["jailedUntilMs"] = jailed
    m["nonce"] = .string(String(a.nonce))
    m["scores"] = .object(scores)
    return .object(m)
}
