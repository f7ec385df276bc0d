import Crypto
import Foundation

/// Where the rule files come from, found without flags as installed tools find their content: `--checks`, else
/// `$ROLLGATE_CHECKS`, else `./checks` when it exists, else the catalog installed beside the executable
/// (`../share/rollgate/checks`, so `/usr/bin/rollgate` reads `/usr/share/rollgate/checks`).
public struct CatalogLocation: Sendable, Equatable {
    public enum Origin: String, Sendable {
        case flag = "--checks"
        case environment = "$ROLLGATE_CHECKS"
        case workingDirectory = "./checks"
        case installed = "installed with rollgate"
    }

    public let directory: URL
    public let origin: Origin

    public static let environmentVariable = "ROLLGATE_CHECKS"

    public init(directory: URL, origin: Origin) {
        self.directory = directory
        self.origin = origin
    }

    /// The catalog to use. A directory named by the flag or the variable is used as given (a wrong one fails to load,
    /// naming it); the other two only when they exist. Throws `noCatalog`, naming where it looked, when none does.
    public static func find(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                            currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                            executable: URL = Self.executable) throws(CatalogError) -> CatalogLocation {
        if let flag { return CatalogLocation(directory: URL(fileURLWithPath: flag), origin: .flag) }
        if let variable = environment[environmentVariable], !variable.isEmpty {
            return CatalogLocation(directory: URL(fileURLWithPath: variable), origin: .environment)
        }
        let local = currentDirectory.appendingPathComponent("checks")
        if isDirectory(local) { return CatalogLocation(directory: URL(fileURLWithPath: "checks"), origin: .workingDirectory) }
        let installed = installedDirectory(executable: executable)
        if isDirectory(installed) { return CatalogLocation(directory: installed, origin: .installed) }
        throw CatalogError.noCatalog(looked: [local.path, installed.path])
    }

    /// `../share/rollgate/checks` from the directory of the executable (symbolic links resolved).
    /// Loads the catalog here, its `rules` naming this location.
    public func load() throws(CatalogError) -> Catalog {
        var catalog = try Catalog.load(directory: directory)
        catalog.rules?.origin = origin.rawValue
        return catalog
    }

    public static func installedDirectory(executable: URL) -> URL {
        executable.resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/rollgate/checks").standardizedFileURL
    }

    /// The running executable, as the kernel knows it.
    public static var executable: URL {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
    }
}

extension Catalog {
    /// SHA-256 over the rule files of `directory` in name order (each file's name, a zero byte, its bytes, a zero
    /// byte), so that a report names exactly the rules it applied. Nil when the directory cannot be read.
    public static func fingerprint(directory: URL) -> String? {
        guard let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter({ ["yaml", "yml"].contains($0.pathExtension) })
            .sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) else { return nil }
        var contents: [(name: String, data: Data)] = []
        for file in files {
            guard let data = try? Data(contentsOf: file) else { return nil }
            contents.append((file.lastPathComponent, data))
        }
        return fingerprint(contents)
    }

    /// SHA-256 over rule files given as (name, bytes), in the order given.
    static func fingerprint(_ files: [(name: String, data: Data)]) -> String {
        var hash = SHA256()
        for file in files {
            hash.update(data: Data(file.name.utf8) + [0])
            hash.update(data: file.data + [0])
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
