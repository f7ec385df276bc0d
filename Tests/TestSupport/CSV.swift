import Foundation

/// CSV files read by Python's `csv` module: an independent reader, so a test proves that what RollGate writes is
/// CSV that other tools read as intended.
public enum CSV {
    public static func read(_ url: URL) throws -> [[String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import csv, json, sys
            with open(sys.argv[1], newline="", encoding="utf-8") as f:
                json.dump(list(csv.reader(f, strict=True)), sys.stdout)
            """, url.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let rows = try JSONSerialization.jsonObject(with: data) as? [[String]] else {
            throw CSVError(message: "Python's csv module cannot read \(url.path)")
        }
        return rows
    }

    public struct CSVError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
