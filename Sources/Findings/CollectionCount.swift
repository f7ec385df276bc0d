/// How many documents in one collection: seeded by `rollgate seed`, or changed by a rollback step.
public struct CollectionCount: Sendable, Equatable {
    public var collection: String
    public var documents: Int

    public init(collection: String, documents: Int) {
        self.collection = collection
        self.documents = documents
    }
}
