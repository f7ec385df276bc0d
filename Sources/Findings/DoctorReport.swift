import Foundation

/// What `rollgate doctor` found out about a server and a database (Doctor gathers it).
public struct DoctorReport: Sendable, Codable {
    /// The connection string with its password masked.
    public var server: String
    public var version: String
    /// `standalone`, `replica set "name"` or `sharded (mongos)`.
    public var topology: String
    public var features: [Feature]
    public var database: String
    public var collections: [CollectionFacts]
    /// The rule files a run from here would apply, and their SHA-256 (when a catalog was found).
    public var catalog: String?
    public var catalogSHA256: String?

    /// One capability RollGate relies on, and whether this server has it.
    public struct Feature: Sendable, Codable {
        public var name: String
        public var available: Bool
        public var detail: String

        public init(name: String, available: Bool, detail: String) {
            self.name = name
            self.available = available
            self.detail = detail
        }
    }

    /// A collection's documents and indexes, or its absence.
    public struct CollectionFacts: Sendable, Codable {
        public var name: String
        public var exists: Bool
        public var documents: Int
        public var indexes: Int

        public init(name: String, exists: Bool, documents: Int, indexes: Int) {
            self.name = name
            self.exists = exists
            self.documents = documents
            self.indexes = indexes
        }
    }

    public init(server: String, version: String, topology: String, features: [Feature], database: String,
                collections: [CollectionFacts], catalog: String? = nil, catalogSHA256: String? = nil) {
        self.server = server
        self.version = version
        self.topology = topology
        self.features = features
        self.database = database
        self.collections = collections
        self.catalog = catalog
        self.catalogSHA256 = catalogSHA256
    }

    /// True when every feature RollGate relies on is available.
    public var healthy: Bool { features.allSatisfy(\.available) }
}
