import Foundation

/// Runs the built `rollgate` executable as a user would, capturing its output and exit code.
public struct RollGateProcess {
    public struct Result: CustomStringConvertible {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public let seconds: Double
        public var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    /// The executable next to the test bundle in the build folder.
    public static var executable: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("rollgate")
    }

    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           currentDirectory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["ROLLGATE_URI"] = nil
        env["ROLLGATE_DB"] = nil
        env["ROLLGATE_CHECKS"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let started = Date()
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child can never block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), seconds: Date().timeIntervalSince(started))
    }

    /// Kills `rollgate` with SIGKILL if it still runs, waits for it, and removes what libmongoc leaves of a killed process:
    /// its shared-memory counters, `/dev/shm/mongoc-PID`. libmongoc starts before RollGate's own code and prints
    /// "Falling back to malloc for counters" on stderr in any later process given the same PID, a second line under
    /// the one error line tests read (seen in CI).
    public static func killHard(_ process: Process) {
        let pid = process.processIdentifier
        guard process.isRunning else { return process.waitUntilExit() }
        kill(pid, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: "/dev/shm/mongoc-\(pid)")
    }
}
