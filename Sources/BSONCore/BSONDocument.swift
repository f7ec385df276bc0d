/// An ordered BSON document: keys keep the order they were added in, as MongoDB requires for commands and sort
/// specifications. Lookup by key is linear, which suits the small documents RollGate handles.
public struct BSONDocument: Sendable, Hashable {
    public private(set) var elements: [(key: String, value: BSON)]

    public init() { elements = [] }

    public init(_ pairs: [(String, BSON)]) {
        elements = pairs.map { (key: $0.0, value: $0.1) }
    }

    public var isEmpty: Bool { elements.isEmpty }
    public var count: Int { elements.count }
    public var keys: [String] { elements.map(\.key) }

    /// The value of the first element named `key`; setting replaces it in place, or appends a new element.
    /// Setting `nil` removes the element.
    public subscript(key: String) -> BSON? {
        get { elements.first { $0.key == key }?.value }
        set {
            if let index = elements.firstIndex(where: { $0.key == key }) {
                if let newValue { elements[index].value = newValue } else { elements.remove(at: index) }
            } else if let newValue {
                elements.append((key: key, value: newValue))
            }
        }
    }

    /// Appends an element without looking for an existing one with the same key.
    public mutating func append(_ key: String, _ value: BSON) {
        elements.append((key: key, value: value))
    }

    /// Follows a dotted path (`"cursor.firstBatch"`, `"items.0.status"`) through documents and arrays.
    public func value(at path: String) -> BSON? {
        var current: BSON = .document(self)
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .document(let doc):
                guard let next = doc[String(part)] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(part), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    public static func == (lhs: BSONDocument, rhs: BSONDocument) -> Bool {
        lhs.elements.count == rhs.elements.count
            && zip(lhs.elements, rhs.elements).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(elements.count)
        for element in elements {
            hasher.combine(element.key)
            hasher.combine(element.value)
        }
    }
}

extension BSONDocument: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, BSON)...) {
        self.init(elements)
    }
}

extension BSONDocument: Sequence {
    public func makeIterator() -> IndexingIterator<[(key: String, value: BSON)]> {
        elements.makeIterator()
    }
}
