/// Amounts of karma: unsigned 64-bit integers in micro-karma (µK; 1 karma = 1,000,000 µK).
///
/// Every operation on amounts is checked: a sum or product that does not fit in 64 bits is a
/// ``KarmaError/overflow(_:)``, never a wrap (specs/karma.md §2).
public typealias MicroKarma = UInt64

/// Checked integer helpers used by every karma formula (specs/karma.md §2.2).
public enum CheckedMath {
    /// `a + b`.
    /// - Throws: ``KarmaError/overflow(_:)`` naming `what` when the sum exceeds 2^64 − 1.
    @inlinable
    public static func add(_ a: UInt64, _ b: UInt64, _ what: @autoclosure () -> String) throws(KarmaError)
        -> UInt64
    {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .overflow(what()) }
        return sum
    }

    /// `a - b`.
    /// - Throws: ``KarmaError/overflow(_:)`` naming `what` when `b > a` (callers check the
    ///   business rule first, so this only fires on an internal inconsistency).
    @inlinable
    public static func sub(_ a: UInt64, _ b: UInt64, _ what: @autoclosure () -> String) throws(KarmaError)
        -> UInt64
    {
        let (diff, overflow) = a.subtractingReportingOverflow(b)
        guard !overflow else { throw .overflow(what()) }
        return diff
    }

    /// `a * b`.
    /// - Throws: ``KarmaError/overflow(_:)`` when the product exceeds 2^64 − 1.
    @inlinable
    public static func mul(_ a: UInt64, _ b: UInt64, _ what: @autoclosure () -> String) throws(KarmaError)
        -> UInt64
    {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw .overflow(what()) }
        return product
    }

    /// `floor(a * b / d)` with an exact 128-bit intermediate product: one rounding, toward zero.
    ///
    /// - Precondition: `d > 0` (checked: `d == 0` throws, it never traps).
    /// - Throws: ``KarmaError/overflow(_:)`` when the quotient exceeds 2^64 − 1 or `d == 0`.
    @inlinable
    public static func mulDiv(
        _ a: UInt64, _ b: UInt64, _ d: UInt64, _ what: @autoclosure () -> String
    ) throws(KarmaError) -> UInt64 {
        guard d > 0 else { throw .overflow("\(what()) (division by zero)") }
        let (high, low) = a.multipliedFullWidth(by: b)
        // The quotient fits in 64 bits exactly when the high word is below the divisor.
        guard high < d else { throw .overflow(what()) }
        return d.dividingFullWidth((high, low)).quotient
    }

    /// The sum of `values`, checked.
    @inlinable
    public static func sum(_ values: some Sequence<UInt64>, _ what: @autoclosure () -> String)
        throws(KarmaError)
        -> UInt64
    {
        var total: UInt64 = 0
        for v in values { total = try add(total, v, what()) }
        return total
    }
}
