import Findings
import Foundation

/// Formatting shared by the reports: locale-independent, so a report reads the same on every machine.
enum ReportText {
    /// Seconds with exactly three decimals and a dot (`12.345`), whatever the process locale; never negative.
    static func seconds(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0.000" }
        guard value < 1e15 else { return "999999999999999.999" }
        let milliseconds = Int64((value * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// An ISO 8601 timestamp in UTC to the second (`2026-02-01T10:00:00Z`).
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// One decimal with a dot (`12.3`), whatever the locale.
    static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "∞" : "—" }
        let tenths = Int64((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// `512 B`, `3.4 KB`, `12.5 MB`, `1.2 GB` (powers of 1,000).
    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        for (limit, unit) in [(1e9, "GB"), (1e6, "MB"), (1e3, "KB")] where value >= limit {
            return decimal(value / limit) + " " + unit
        }
        return "\(count) B"
    }

    /// `1 finding`, `3 findings`.
    static func count(_ number: Int, _ noun: String) -> String {
        "\(IndianNumberFormat.string(Double(number))) \(noun)\(number == 1 ? "" : "s")"
    }
}

extension String {
    /// The string with every character that XML 1.0 forbids (C0 controls other than tab, line feed and carriage
    /// return; U+FFFE; U+FFFF) replaced by U+FFFD. libxml2's writer would copy them raw and make the document invalid.
    var replacingCharactersInvalidInXML: String {
        guard unicodeScalars.contains(where: { !$0.isAllowedInXML }) else { return self }
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            scalars.append(scalar.isAllowedInXML ? scalar : "\u{FFFD}")
        }
        return String(scalars)
    }
}

private extension Unicode.Scalar {
    /// XML 1.0 `Char`; Swift scalars are never surrogates.
    var isAllowedInXML: Bool {
        switch value {
        case 0x9, 0xA, 0xD, 0x20...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}
