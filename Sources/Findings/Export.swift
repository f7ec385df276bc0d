/// One cell of an exported row: text (guarded against spreadsheet formulas when written) or a number as written.
public enum ExportCell: Sendable, Equatable {
    case text(String)
    case number(String)
}

/// Where exported rows go, one at a time, so that an export of any size holds one row in memory.
public protocol ExportRowWriter: AnyObject {
    func write(_ row: [ExportCell]) throws
}

/// What one export file holds, for the terminal and the reports: its rows and, for orders, their ₹ total.
public struct ExportSummary: Codable, Sendable, Equatable {
    public var step: Int
    /// The file's path, as given to `--export`.
    public var file: String
    public var what: String
    public var rows: Int
    public var rupees: Double?
    public var pricedAtDefault: Int?
    /// Personal-data fields written as `[masked]` (without `--include-personal-data`).
    public var maskedFields: [String]
    /// Personal-data fields written as they are (with `--include-personal-data`): the file needs protecting.
    public var includedPersonalFields: [String]

    public init(step: Int, file: String, what: String, rows: Int, rupees: Double? = nil, pricedAtDefault: Int? = nil,
                maskedFields: [String] = [], includedPersonalFields: [String] = []) {
        self.step = step
        self.file = file
        self.what = what
        self.rows = rows
        self.rupees = rupees
        self.pricedAtDefault = pricedAtDefault
        self.maskedFields = maskedFields
        self.includedPersonalFields = includedPersonalFields
    }
}
