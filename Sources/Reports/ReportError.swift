/// Why a report could not be rendered or a schema could not be used.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// A libxml2 writer call failed (out of memory, or a bug in the caller's nesting).
    case xmlWriter(call: String)
    /// The XML Schema itself does not parse; the messages are libxml2's.
    case invalidSchema([String])
    /// The XML Schema file cannot be read.
    case unreadableSchema(path: String, reason: String)
    /// A report or export file cannot be created.
    case unwritable(path: String)

    public var description: String {
        switch self {
        case .xmlWriter(let call): "libxml2 writer call \(call) failed"
        case .invalidSchema(let messages): "invalid XML Schema: \(messages.joined(separator: "; "))"
        case .unreadableSchema(let path, let reason): "cannot read XML Schema \(path): \(reason)"
        case .unwritable(let path): "cannot write \(path)"
        }
    }
}
