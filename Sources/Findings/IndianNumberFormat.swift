/// Numbers grouped the Indian way (lakh, crore): `6,00,000`, `₹1,23,45,678.90`. Locale-independent.
///
/// Values are rounded to two decimals (half away from zero); whole results are shown without decimals, others with
/// exactly two, as rupees and paise are.
public enum IndianNumberFormat {
    /// `600000` → `6,00,000`; `12345678.9` → `1,23,45,678.90`; `-1500.5` → `-1,500.50`.
    public static func string(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        let hundredths = (abs(value) * 100).rounded()
        guard hundredths < 9e18 else { return "\(value)" }
        let cents = Int64(hundredths)
        let sign = value < 0 && cents != 0 ? "-" : ""
        let fraction = cents % 100
        let decimals = fraction == 0 ? "" : (fraction < 10 ? ".0\(fraction)" : ".\(fraction)")
        return sign + grouped(cents / 100) + decimals
    }

    /// `600000` → `₹6,00,000`; `-250` → `-₹250`.
    public static func rupees(_ value: Double) -> String {
        let number = string(value)
        return number.hasPrefix("-") ? "-₹\(number.dropFirst())" : "₹\(number)"
    }

    /// Large amounts in words as finance reads them: `₹15.19 lakh`, `₹2.40 crore`; smaller ones, and amounts beyond
    /// words (infinite, or more than 10^21 rupees from a corrupt document), as `rupees` does.
    public static func rupeesInWords(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e21 else { return rupees(value) }
        let magnitude = abs(value)
        let sign = value < 0 ? "-" : ""
        if magnitude >= 1e7 { return sign + "₹" + twoDecimals(magnitude / 1e7) + " crore" }
        if magnitude >= 1e5 { return sign + "₹" + twoDecimals(magnitude / 1e5) + " lakh" }
        return rupees(value)
    }

    private static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// The last three digits, then groups of two: 12345678 → 1,23,45,678.
    private static func grouped(_ whole: Int64) -> String {
        var digits = String(whole)
        guard digits.count > 3 else { return digits }
        var groups = [String(digits.suffix(3))]
        digits.removeLast(3)
        while !digits.isEmpty {
            groups.insert(String(digits.suffix(2)), at: 0)
            digits.removeLast(min(2, digits.count))
        }
        return groups.joined(separator: ",")
    }
}
