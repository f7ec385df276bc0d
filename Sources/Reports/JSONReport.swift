import Findings
import Foundation

/// The run for machines: the `RunResult` itself as JSON, keys sorted, pretty printed, with `schemaVersion` at the
/// top level and dates in ISO 8601 UTC to the millisecond. Non-finite figures are written as strings (`"Infinity"`).
public enum JSONReport {
    public static func render(_ run: RunResult) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(timestampStyle))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(run), as: UTF8.self) + "\n"
    }

    /// Reads a report back; dates with or without fractional seconds.
    public static func decode(_ json: String) throws -> RunResult {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try timestampStyle.parse(decoder.singleValueContainer().decode(String.self))
        }
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(RunResult.self, from: Data(json.utf8))
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
