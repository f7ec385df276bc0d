import Foundation

/// Removes secrets from text before it is printed, logged or stored.
///
/// libmongoc puts passwords into some URI error messages (an unescaped `:` shows it whole, an unescaped `@` shows its
/// tail), so every message that may hold URI text passes through here.
public enum Redactor {
    public static let mask = "*****"

    /// The password part of a connection string as written (before percent-decoding), or nil when there is none.
    /// The user-info part ends at the last `@` before the host list, as a lenient parser would read it.
    public static func password(inURI uri: String) -> String? {
        guard let scheme = uri.range(of: "://") else { return nil }
        let rest = uri[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        // An '@' inside the password may sit before a '/' too; take the last '@' of the whole authority-ish prefix.
        let searchEnd = rest[..<authorityEnd].lastIndex(of: "@") ?? rest.lastIndex(of: "@")
        guard let at = searchEnd else { return nil }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        let password = String(userInfo[userInfo.index(after: colon)...])
        return password.isEmpty ? nil : password
    }

    /// URI options whose value is a secret: the passphrase of a TLS client key.
    static let secretOptions: Set<String> = ["tlscertificatekeyfilepassword", "sslclientcertificatekeypassword"]

    /// Every form in which a URI's secrets could appear in a message: the password and the TLS key passphrase, each
    /// as written, percent-decoded, and in the pieces a parser makes of a password when it splits at `@` or `:`.
    public static func secrets(inURI uri: String) -> [String] {
        var found: Set<String> = []
        if let password = password(inURI: uri) {
            found.insert(password)
            for piece in password.split(whereSeparator: { $0 == "@" || $0 == ":" }) where piece.count >= 3 {
                found.insert(String(piece))
            }
        }
        if let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first {
            for option in query.split(separator: "&") {
                let pair = option.split(separator: "=", maxSplits: 1)
                if pair.count == 2, secretOptions.contains(pair[0].lowercased()), !pair[1].isEmpty { found.insert(String(pair[1])) }
            }
        }
        for secret in found { if let decoded = secret.removingPercentEncoding { found.insert(decoded) } }
        // Longest first, so that a piece never leaves the rest of a longer secret behind.
        return found.sorted { $0.count > $1.count }
    }

    /// `text` with every secret, and any `scheme://user:password@` credentials, replaced by a mask.
    public static func redact(_ text: String, secrets: [String] = []) -> String {
        var result = text
        for secret in secrets where !secret.isEmpty {
            result = result.replacingOccurrences(of: secret, with: mask)
        }
        return maskCredentials(in: result)
    }

    /// A connection string fit for display: the password replaced by a mask, the rest kept.
    public static func displayURI(_ uri: String) -> String {
        redact(uri, secrets: secrets(inURI: uri))
    }

    private static let credentialPattern = try! NSRegularExpression(
        pattern: #"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^\s/?]*@"#)

    private static func maskCredentials(in text: String) -> String {
        let range = NSRange(text.startIndex..., in: text)
        return credentialPattern.stringByReplacingMatches(
            in: text, range: range, withTemplate: "$1:\(mask)@")
    }
}
