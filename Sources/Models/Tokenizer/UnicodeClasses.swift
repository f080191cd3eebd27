/// Unicode character classes used by the pre-tokenizers, by general category and the
/// White_Space property of the Unicode data shipped with the Swift runtime.
enum UnicodeClasses {
    /// `\p{L}`: Lu, Ll, Lt, Lm, Lo.
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}`: Nd, Nl, No.
    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// `\s`: the White_Space property.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// `\p{P}`: Pc, Pd, Ps, Pe, Pi, Pf, Po.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// The "other" categories Cc, Cf, Cs, Co, Cn.
    static func isOther(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// Nonspacing mark (Mn), removed when BERT strips accents.
    static func isNonspacingMark(_ s: Unicode.Scalar) -> Bool {
        s.properties.generalCategory == .nonspacingMark
    }
}
