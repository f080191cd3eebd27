import Karma
import Receipts

extension LedgerKarmaBook {
    /// The hash of ``currentState``: equal to an audit's replay of the same ledger.
    /// - Complexity: encodes the whole state (O(n log n) in its size); for status and tests.
    public func stateHash() async throws(ValidatorError) -> Digest32? { currentState.stateHash }
}
