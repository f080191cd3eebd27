import Foundation
import Ledger
import Receipts

@testable import Validator

/// A `KarmaLedger` that lets one call at a time into the store it wraps, across its `await`s
/// (an actor alone does not: it is re-entrant at every suspension).
///
/// Used by the property test's control run: with every karma call serialized, the service must
/// agree with the audit whatever the store does inside a call, which shows that a disagreement
/// in the plain runs comes from interleaved calls, not from the test.
final class SerializedKarmaLedger: KarmaLedger {
    let inner: any KarmaLedger
    private let lock = AsyncLock()

    init(_ inner: any KarmaLedger) { self.inner = inner }

    private func serialized<T: Sendable>(_ body: () async throws(ValidatorError) -> T)
        async throws(ValidatorError) -> T
    {
        await lock.acquire()
        let result: Result<T, ValidatorError>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await lock.release()
        return try result.get()
    }

    func record(_ events: [KarmaEvent]) async throws(ValidatorError) -> RecordOutcome {
        try await serialized { () async throws(ValidatorError) in try await inner.record(events) }
    }

    func submit(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError) -> [RecordedEntry] {
        try await serialized { () async throws(ValidatorError) in try await inner.submit(kind, body: body) }
    }

    func account(of node: XOnlyPublicKey, recent: Int) async throws(ValidatorError) -> NodeAccount? {
        try await serialized { () async throws(ValidatorError) in
            try await inner.account(of: node, recent: recent)
        }
    }

    func accounts() async throws(ValidatorError) -> [NodeAccount] {
        try await serialized { () async throws(ValidatorError) in try await inner.accounts() }
    }

    func sweepLiveness() async throws(ValidatorError) -> [RecordedEntry] {
        try await serialized { () async throws(ValidatorError) in try await inner.sweepLiveness() }
    }

    func stateHash() async throws(ValidatorError) -> Digest32? {
        try await serialized { () async throws(ValidatorError) in try await inner.stateHash() }
    }

    func checkpoint() async throws(ValidatorError) -> String { try await inner.checkpoint() }

    func tile(path: String) async throws(ValidatorError) -> Data { try await inner.tile(path: path) }

    func inclusionProof(index: UInt64, size: UInt64?) async throws(ValidatorError) -> InclusionProofDocument {
        try await inner.inclusionProof(index: index, size: size)
    }

    func consistencyProof(old: UInt64, new: UInt64) async throws(ValidatorError) -> ConsistencyProofDocument {
        try await inner.consistencyProof(old: old, new: new)
    }

    func size() async throws(ValidatorError) -> UInt64 { try await inner.size() }
}

/// A FIFO lock for async code: `acquire` suspends until every earlier holder has released.
actor AsyncLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { held = false } else { waiters.removeFirst().resume() }
    }
}
