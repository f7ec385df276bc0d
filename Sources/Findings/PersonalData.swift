import Foundation

/// Masks personal data in free text before it reaches a report.
///
/// Recognised: device and user-agent strings (from a product token with a dotted version, `Mozilla/5.0`,
/// `Dalvik/2.1.0`, `EarlyBird-iOS/2.4.0`, up to the end of their product tokens and comments), email addresses, Indian
/// phone numbers (`+91` then ten digits, with or without spaces or hyphens) and IPv4 addresses. Names cannot be recognised generically: probes must never put a person's
/// name in a finding.
public enum PersonalData {
    private static let productToken = #"[A-Za-z][\w.+-]*/[\w.+-]*"#
    private static let comment = #"\([^()\n]*\)"#
    private static let octet = #"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"#

    /// Pattern and replacement, applied in order: devices first (their version numbers look like addresses).
    private static let rules: [(pattern: NSRegularExpression, replacement: String)] = [
        // Any product token with a dotted version (`Mozilla/5.0`, `EarlyBird-Android/2.4.1`, `okhttp/4.9.0`), so a
        // new app's user agent is masked without a list of apps to keep up to date.
        (#"(?<![\w/.-])[A-Za-z][\w-]{2,}/\d+(?:\.\d+)+[\w.+-]*"#
            + #"(?:\s*\#(comment)|\s+\#(productToken)|\s+[A-Za-z]+(?=\s+\#(productToken)))*"#, "[device]"),
        // A local part starts only where a run of its characters starts, and never gives characters back: without
        // that, a long run without `@` costs quadratic time.
        (#"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"#, "[email]"),
        (#"\+91[ -]?\d(?:[ -]?\d){9}(?!\d)"#, "[phone]"),
        (#"(?<!\d)(?<!\d\.)\#(octet)(?:\.\#(octet)){3}(?!\.?\d)"#, "[ip]"),
    ].map { pattern, replacement in
        // The patterns are constants of this file; the unit tests compile every one of them.
        (try! NSRegularExpression(pattern: pattern), NSRegularExpression.escapedTemplate(for: replacement))
    }

    /// `text` with every recognised piece of personal data replaced by `[device]`, `[email]`, `[phone]` or `[ip]`.
    public static func mask(_ text: String) -> String {
        rules.reduce(text) { text, rule in
            rule.pattern.stringByReplacingMatches(
                in: text, range: NSRange(text.startIndex..., in: text), withTemplate: rule.replacement)
        }
    }
}
