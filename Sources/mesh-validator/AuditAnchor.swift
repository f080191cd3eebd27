import ArgumentParser
import Foundation
import Karma
import Ledger
import Receipts

/// The signed checkpoint an audit replays against, and where it and its key came from
/// (specs/ledger.md §7.1): `audit` trusts nothing in the database that this checkpoint does not
/// vouch for.
struct AuditAnchor {
    /// The checkpoint whose signature verified; the audit replays exactly its `size` entries.
    var checkpoint: Checkpoint
    /// Which checkpoint: `signed checkpoint #<seq>` or `checkpoint file <path>`.
    var what: String
    /// The key the signature verified under.
    var key: NoteVerifier
    /// Where the key came from: `--key` or the ledger's meta table.
    var keySource: String
    /// The karma state the checkpoint commits to, when it carries a `karma-state` line.
    var commitment: KarmaStateCommitment?
    /// Entries in the ledger (entries past `checkpoint.size` are not replayed: nothing vouches
    /// for them).
    var ledgerSize: UInt64

    /// Chooses and verifies the checkpoint: the file `checkpointFile` when given, else the latest
    /// checkpoint stored in the ledger; its signature is checked under `key` (vkey text) when
    /// given, else under the key the ledger records.
    ///
    /// - Throws: `ExitCode` 2 (printed) for a malformed `--key` or checkpoint file; `ExitCode` 1
    ///   (printed, naming the checkpoint) when there is no key, no checkpoint although the ledger
    ///   holds entries, a signature that does not verify, another log's checkpoint, a checkpoint
    ///   larger than the ledger, or a malformed `karma-state` line.
    static func resolve(ledger: Ledger, db: String, checkpointFile: String?, key: String?) throws
        -> AuditAnchor
    {
        let verifier: NoteVerifier
        let keySource: String
        if let key {
            do { verifier = try NoteVerifier(verifierKey: key) } catch { throw malformed("--key: \(error)") }
            keySource = "--key"
        } else {
            guard let recorded = ledger.verifierKey else {
                throw invalid("\(db) records no checkpoint verifier key: give the log's key with --key")
            }
            do { verifier = try NoteVerifier(verifierKey: recorded) } catch {
                throw invalid("\(db): the recorded verifier key is malformed (\(error)); give --key")
            }
            keySource = "the ledger's meta table"
        }

        let note: String
        let what: String
        if let checkpointFile {
            note = String(
                decoding: try readInput(checkpointFile, maxBytes: SignedNote.maxBytes), as: UTF8.self)
            what = "checkpoint file \(checkpointFile)"
            do { _ = try Checkpoint(parsing: try SignedNote(parsing: note).text) } catch {
                throw malformed("\(what): \(error)")
            }
        } else {
            let stored: StoredCheckpoint?
            do { stored = try ledger.latestStoredCheckpoint() } catch {
                throw invalid("\(db): the latest stored checkpoint cannot be read: \(error)")
            }
            guard let latest = stored else {
                if ledger.size == 0 {
                    return AuditAnchor(
                        checkpoint: Checkpoint(origin: ledger.origin, size: 0, rootHash: RFC9162.emptyRoot),
                        what: "the empty tree", key: verifier, keySource: keySource, commitment: nil,
                        ledgerSize: 0)
                }
                throw invalid(
                    "\(db) holds \(ledger.size) entries but no signed checkpoint: nothing anchors them "
                        + "(give one with --checkpoint)")
            }
            note = latest.note
            what = "signed checkpoint #\(latest.sequence)"
        }

        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.open(note: note, verifier: verifier, origin: ledger.origin) } catch {
            throw invalid("\(what) does not verify under key \(verifier.verifierKey): \(error)")
        }
        guard checkpoint.size <= ledger.size else {
            throw invalid(
                "\(what) has size \(checkpoint.size) but the ledger holds only \(ledger.size) entries")
        }
        let commitment: KarmaStateCommitment?
        do { commitment = try KarmaStateCommitment.find(in: checkpoint.extensions) } catch {
            throw invalid("\(what): \(error)")
        }
        return AuditAnchor(
            checkpoint: checkpoint, what: what, key: verifier, keySource: keySource, commitment: commitment,
            ledgerSize: ledger.size)
    }

    /// Replays the checkpoint's entries into `replayer` with the pipelined batch replay
    /// (`KarmaReplayer.apply(upTo:read:)`), reading them through the anchored reader: an entry is
    /// decoded and applied only after it matched the tree, and the entries' root must be the
    /// checkpoint's.
    ///
    /// - Throws: `ExitCode` 1 (printed) naming the entry that does not hash to the tree, or the
    ///   checkpoint whose root the entries do not give — reported before any karma refusal, so a
    ///   changed entry is named as such; then `ExitCode` 1 for an entry the rules refuse;
    ///   `ExitCode` 2 when the entries cannot be read.
    func replay(_ ledger: Ledger, db: String, into replayer: inout KarmaReplayer) throws {
        let reader: AnchoredEntryReader
        do { reader = try ledger.anchoredReader(checkpoint: checkpoint) } catch {
            throw malformed("\(db): \(error)")
        }
        var refused: KarmaReplayFailure?
        do {
            try replayer.apply(upTo: checkpoint.size) { try reader.read($0) }
        } catch let mismatch as AnchorMismatch {
            try report(mismatch.verdict)
        } catch let failure as KarmaReplayFailure {
            refused = failure
        } catch {
            throw malformed("\(db): \(error)")
        }
        let verdict: AnchorVerdict
        do { verdict = try reader.finish() } catch { throw malformed("\(db): \(error)") }
        try report(verdict)
        if let refused { throw invalid("\(refused) (the ledger holds an entry the karma rules refuse)") }
    }

    /// Throws the auditor's finding for a verdict other than `.anchored`.
    private func report(_ verdict: AnchorVerdict) throws {
        switch verdict {
        case .anchored: return
        case .entryMismatch(let index):
            throw invalid("entry \(index) does not hash to the tree (its stored leaf hash differs): tampered")
        case .rootMismatch(let computed, let expected):
            throw invalid(
                "entries 0..<\(checkpoint.size) give root \(computed.base64); \(what) signs \(expected.base64)"
            )
        }
    }

    /// Checks the replayed state against the checkpoint's `karma-state` line, when it has one.
    ///
    /// - Throws: `ExitCode` 1 (printed) when the account root, account count or state hash differ.
    func check(_ state: KarmaState) throws {
        guard let commitment else { return }
        let mine = KarmaStateCommitment(state: state)
        guard mine == commitment else {
            throw invalid(
                "the replayed karma state (\(mine.extensionLine)) is not the state \(what) commits to "
                    + "(\(commitment.extensionLine))")
        }
    }

    /// Human-readable lines saying what anchors the audit.
    var lines: [String] {
        var out = [
            "anchored to \(what): size \(checkpoint.size), root \(checkpoint.rootHash.base64)",
            "checkpoint key \(key.verifierKey) (from \(keySource))",
        ]
        if keySource != "--key" {
            out.append(
                "  (a key read from the database vouches only for itself: pin the published one with --key)")
        }
        if let commitment {
            out.append(
                "karma state committed by the checkpoint: \(commitment.extensionLine) (matches the replay)")
        }
        if ledgerSize > checkpoint.size {
            out.append(
                "\(ledgerSize - checkpoint.size) entries past the checkpoint (\(checkpoint.size)..<\(ledgerSize)) "
                    + "are not covered by a signature and were not replayed")
        }
        return out
    }

    /// The anchor as JSON.
    var json: JSONValue {
        var m: [String: JSONValue] = [
            "checkpoint": .string(what), "size": .string(String(checkpoint.size)),
            "root": .string(checkpoint.rootHash.base64), "key": .string(key.verifierKey),
            "keySource": .string(keySource), "ledgerSize": .string(String(ledgerSize)),
            "unanchoredEntries": .string(String(ledgerSize - checkpoint.size)),
        ]
        m["karmaState"] = commitment.map { .string($0.extensionLine) } ?? .null
        return .object(m)
    }
}
