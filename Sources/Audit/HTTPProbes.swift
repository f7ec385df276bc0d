import Catalog
import Findings
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `http`: checks of the running API for code-only steps. Without `--api-url` they are skipped, and the finding
/// carries what to check by hand.
enum HTTPCheck {
    static func run(_ probe: HTTPProbe, maker: FindingMaker, apiURL: URL?, timeout: Duration) async -> [Finding] {
        var findings: [Finding] = []
        for endpoint in probe.protectedEndpoints {
            let check = "\(maker.probe.id) \(endpoint.method) \(endpoint.path)"
            guard let apiURL else {
                findings.append(maker.skipped(
                    "no --api-url given: check by hand", check: check,
                    details: ["\(endpoint.method) \(endpoint.path) without credentials must answer 401 or 403"]))
                continue
            }
            findings.append(await protected(endpoint, check: check, maker: maker, apiURL: apiURL, timeout: timeout))
        }
        if let path = probe.openAPIPath {
            let check = "\(maker.probe.id) openapi"
            if let apiURL {
                findings.append(await openAPI(path: path, tags: probe.openAPITags, check: check, maker: maker,
                                              apiURL: apiURL, timeout: timeout))
            } else {
                findings.append(maker.skipped("no --api-url given: check by hand", check: check, details: [
                    "GET \(path) lists the tags \(probe.openAPITags.joined(separator: ", "))",
                ]))
            }
        }
        return findings
    }

    private static func protected(_ endpoint: HTTPProbe.Endpoint, check: String, maker: FindingMaker, apiURL: URL,
                                  timeout: Duration) async -> Finding {
        // Path parameters get a random UUID: the request must be refused before anything is looked up.
        let path = endpoint.path.replacingOccurrences(of: #"\{[^}]+\}"#, with: UUID().uuidString.lowercased(),
                                                      options: .regularExpression)
        var request = URLRequest(url: apiURL.appendingPathComponent(path), timeoutInterval: timeout.inSeconds)
        request.httpMethod = endpoint.method
        if ["POST", "PUT", "PATCH"].contains(endpoint.method) {
            request.httpBody = Data("{}".utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let start = ContinuousClock.now
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return maker.make(FindingCode.httpProtected, check: check, verdict: [401, 403].contains(status) ? .passed : .failed,
                              measured: "\(endpoint.method) \(endpoint.path) without credentials answered \(status)",
                              expected: "401 or 403", figures: ["status": Double(status)], seconds: start.secondsElapsed)
        } catch {
            return maker.error(error, check: check, seconds: start.secondsElapsed)
        }
    }

    private static func openAPI(path: String, tags: [String], check: String, maker: FindingMaker, apiURL: URL,
                                timeout: Duration) async -> Finding {
        let start = ContinuousClock.now
        do {
            let request = URLRequest(url: apiURL.appendingPathComponent(path), timeoutInterval: timeout.inSeconds)
            let (data, _) = try await URLSession.shared.data(for: request)
            let found = openAPITags(in: data)
            let missing = tags.filter { !found.contains($0) }
            return maker.make(FindingCode.httpOpenAPI, check: check, verdict: missing.isEmpty ? .passed : .failed,
                              measured: "tags: \(found.sorted().joined(separator: ", "))",
                              expected: "tags include \(tags.joined(separator: ", "))",
                              message: missing.isEmpty ? "" : "missing: \(missing.joined(separator: ", "))",
                              figures: ["tags": Double(found.count)], seconds: start.secondsElapsed)
        } catch {
            return maker.error(error, check: check, seconds: start.secondsElapsed)
        }
    }

    /// Tag names declared at the top of an OpenAPI document and on its operations.
    static func openAPITags(in data: Data) -> Set<String> {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        var tags = Set((root["tags"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        for case let operations as [String: Any] in (root["paths"] as? [String: Any] ?? [:]).values {
            for case let operation as [String: Any] in operations.values {
                tags.formUnion(operation["tags"] as? [String] ?? [])
            }
        }
        return tags
    }
}


/// The tag names of an OpenAPI document, for tests and tools.
public enum HTTPCheckTags {
    public static func tags(_ json: String) -> Set<String> { HTTPCheck.openAPITags(in: Data(json.utf8)) }
}
