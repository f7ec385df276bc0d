import Catalog
import Findings
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `http`: checks of the running API for code-only steps. Without `--api-url` they are skipped, and the finding
/// carries what to check by hand.
///
/// Every endpoint gets a request without credentials (401 or 403 expected) and, when the rule names a wrong-role
/// token's environment variable and it is set, one with that token (403 expected). Requests run concurrently, each
/// within `--probe-timeout` as a deadline on the whole exchange. Redirects are not followed silently: a 307/308 is
/// followed with its method and body, a redirect to a login page counts as refused, any other is an error that shows
/// the chain. A 404, 405 or 5xx proves nothing about protection, so it is an error naming the URL.
///
/// Under `--expect rolled-back` the same requests expect the rolled-back API: a login still needed (401 or 403
/// without credentials) but any role let in (the wrong role's request accepted), and the separate route tags back.
enum HTTPCheck {
    static func run(_ probe: HTTPProbe, maker: FindingMaker, apiURL: URL?, timeout: Duration,
                    expectation: ExpectedState = .applied,
                    environment: [String: String] = ProcessInfo.processInfo.environment) async -> [Finding] {
        let rolledBack = expectation == .rolledBack
        guard let apiURL else { return skipped(probe, maker: maker) }
        let token = probe.wrongRoleTokenVariable.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        var checks: [@Sendable () async -> Finding] = []
        for endpoint in probe.protectedEndpoints {
            checks.append { await protected(endpoint, token: nil, rolledBack: rolledBack, maker: maker, apiURL: apiURL, timeout: timeout) }
            if let token {
                checks.append { await protected(endpoint, token: token, rolledBack: rolledBack, maker: maker, apiURL: apiURL, timeout: timeout) }
            }
        }
        if !probe.protectedEndpoints.isEmpty && token == nil {
            let variable = probe.wrongRoleTokenVariable.map { "$" + $0 } ?? "a wrong-role token (wrong_role_token_env)"
            let finding = maker.skipped(
                "only unauthenticated access was tested: set \(variable) to a token of a role these endpoints must "
                    + "refuse, so that an API that lets any logged-in user in cannot pass",
                check: "\(maker.probe.id) wrong-role")
            checks.append { finding }
        }
        if let path = probe.openAPIPath {
            checks.append {
                await openAPI(path: path, probe: probe, rolledBack: rolledBack, maker: maker, apiURL: apiURL, timeout: timeout)
            }
        }
        return await withTaskGroup(of: (Int, Finding).self) { group in
            for (index, check) in checks.enumerated() { group.addTask { (index, await check()) } }
            var findings: [(Int, Finding)] = []
            for await finding in group { findings.append(finding) }
            return findings.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    private static func skipped(_ probe: HTTPProbe, maker: FindingMaker) -> [Finding] {
        var findings = probe.protectedEndpoints.map { endpoint in
            maker.skipped("no --api-url given: check by hand", check: "\(maker.probe.id) \(endpoint.method) \(endpoint.path)",
                          details: ["\(endpoint.method) \(endpoint.path) without credentials must answer 401 or 403, "
                                    + "and with a wrong role's token 403"])
        }
        if let path = probe.openAPIPath {
            findings.append(maker.skipped("no --api-url given: check by hand", check: "\(maker.probe.id) openapi", details: [
                "GET \(path) lists the tags \(probe.openAPITags.joined(separator: ", "))"
                    + (probe.openAPIAbsentTags.isEmpty ? "" : " and none of \(probe.openAPIAbsentTags.joined(separator: ", "))"),
            ]))
        }
        return findings
    }

    private static func protected(_ endpoint: HTTPProbe.Endpoint, token: String?, rolledBack: Bool, maker: FindingMaker,
                                  apiURL: URL, timeout: Duration) async -> Finding {
        let who = token == nil ? "without credentials" : "with a wrong role's token"
        let check = "\(maker.probe.id) \(endpoint.method) \(endpoint.path)" + (token == nil ? "" : " wrong-role")
        // Path parameters get a random UUID and bodies are empty: a protected API refuses before looking anything up.
        let path = endpoint.path.replacingOccurrences(of: #"\{[^}]+\}"#, with: UUID().uuidString.lowercased(),
                                                      options: .regularExpression)
        var request = URLRequest(url: apiURL.appendingPathComponent(path))
        request.httpMethod = endpoint.method
        if ["POST", "PUT", "PATCH"].contains(endpoint.method) {
            request.httpBody = Data("{}".utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let start = ContinuousClock.now
        // Rolled back, a login is still needed but any role will do.
        let wantsRefusal = token == nil || !rolledBack
        let expected = token == nil ? "401 or 403" : rolledBack ? "accepted (2xx): any role is let in" : "403"
        do {
            let answer = try await HTTPExchange.send(request, timeout: timeout, maximumBytes: maximumAnswerBytes)
            let label = "\(endpoint.method) \(endpoint.path) \(who)"
            let chain = answer.redirects.isEmpty ? "" : " after " + answer.redirects.joined(separator: " → ")
            switch answer.status {
            case 401, 403:
                // A 401 to a token means the token is no login at all, whatever the roles: it proves nothing.
                let unusable = token != nil && answer.status == 401
                let verdict: Verdict = unusable || !wantsRefusal ? .failed : .passed
                return maker.make(FindingCode.httpProtected, check: check, verdict: verdict,
                                  measured: "\(label) answered \(answer.status)\(chain)", expected: expected,
                                  message: unusable ? "the token was not accepted as a login at all: check it" : "",
                                  figures: ["status": Double(answer.status)], seconds: start.secondsElapsed)
            case 300..<400 where answer.location.map(isLoginPage) == true:
                return maker.make(FindingCode.httpProtected, check: check, verdict: wantsRefusal ? .passed : .failed,
                                  measured: "\(label) was redirected (\(answer.status)) to the login page "
                                      + "\(answer.location ?? ""): refused", expected: expected,
                                  figures: ["status": Double(answer.status)], seconds: start.secondsElapsed)
            case 300..<400:
                return maker.make(FindingCode.probeError, check: check, verdict: .error,
                                  message: "\(endpoint.method) \(answer.url) answered \(answer.status) redirecting to "
                                      + "\(answer.location ?? "nowhere"); not followed, so protection is unknown: "
                                      + "point --api-url at the API itself", seconds: start.secondsElapsed)
            case 404, 405:
                return maker.make(FindingCode.probeError, check: check, verdict: .error,
                                  message: "\(endpoint.method) \(answer.url) answered \(answer.status)"
                                      + (answer.status == 404 ? " (not found)" : " (method not allowed)")
                                      + ": this proves nothing about protection; is --api-url the API's base URL?",
                                  seconds: start.secondsElapsed)
            case 500...:
                return maker.make(FindingCode.probeError, check: check, verdict: .error,
                                  message: "\(endpoint.method) \(answer.url) answered \(answer.status) (server error): "
                                      + "protection is unknown", seconds: start.secondsElapsed)
            default:
                return maker.make(FindingCode.httpProtected, check: check, verdict: wantsRefusal ? .failed : .passed,
                                  measured: "\(label) answered \(answer.status)\(chain)", expected: expected,
                                  message: wantsRefusal ? "the endpoint accepted the request: the request may have changed data" : "",
                                  figures: ["status": Double(answer.status)], seconds: start.secondsElapsed)
            }
        } catch {
            return maker.make(FindingCode.probeError, check: check, verdict: .error, message: "\(error)",
                              seconds: start.secondsElapsed)
        }
    }

    /// A redirect target that is a login page: its path names login, signin or auth.
    static func isLoginPage(_ location: String) -> Bool {
        let path = (URL(string: location)?.path ?? location).lowercased()
        return ["login", "signin", "sign-in", "sign_in", "auth"].contains { path.contains($0) }
    }

    /// The largest answer to a probe's request read.
    static let maximumAnswerBytes = 1 << 20

    /// The largest OpenAPI document read: a bigger one is an error, not a reason to fill the memory.
    static let maximumOpenAPIBytes = 10 << 20

    private static func openAPI(path: String, probe: HTTPProbe, rolledBack: Bool, maker: FindingMaker, apiURL: URL,
                                timeout: Duration) async -> Finding {
        let check = "\(maker.probe.id) openapi"
        let start = ContinuousClock.now
        do {
            let answer = try await HTTPExchange.send(URLRequest(url: apiURL.appendingPathComponent(path)), timeout: timeout,
                                                     maximumBytes: maximumOpenAPIBytes)
            guard (200..<300).contains(answer.status) else {
                return maker.make(FindingCode.probeError, check: check, verdict: .error,
                                  message: "GET \(answer.url) answered \(answer.status): the OpenAPI document could not be read",
                                  seconds: start.secondsElapsed)
            }
            guard let found = openAPITags(in: answer.body) else {
                return maker.make(FindingCode.probeError, check: check, verdict: .error,
                                  message: "GET \(answer.url) did not return an OpenAPI document (not a JSON object"
                                      + (answer.contentType.map { "; content type \($0)" } ?? "") + ")",
                                  seconds: start.secondsElapsed)
            }
            let lowered = Set(found.map { $0.lowercased() })
            // Applied: the consolidated tags and none of the separate ones. Rolled back: the separate ones are back.
            let wanted = rolledBack ? probe.openAPIAbsentTags : probe.openAPITags
            let unwanted = rolledBack ? [] : probe.openAPIAbsentTags
            let missing = wanted.filter { !lowered.contains($0.lowercased()) }
            let stillThere = unwanted.filter { lowered.contains($0.lowercased()) }
            var problems: [String] = []
            if !missing.isEmpty { problems.append("missing: \(missing.joined(separator: ", "))") }
            if !stillThere.isEmpty { problems.append("still listed: \(stillThere.joined(separator: ", "))") }
            return maker.make(FindingCode.httpOpenAPI, check: check, verdict: problems.isEmpty ? .passed : .failed,
                              measured: "\(found.count) tags: \(found.sorted().joined(separator: ", "))",
                              expected: "tags include \(wanted.joined(separator: ", "))"
                                  + (unwanted.isEmpty ? "" : " and none of \(unwanted.joined(separator: ", "))"),
                              message: problems.joined(separator: "; "),
                              figures: ["tags": Double(found.count)], seconds: start.secondsElapsed)
        } catch {
            return maker.make(FindingCode.probeError, check: check, verdict: .error, message: "\(error)",
                              seconds: start.secondsElapsed)
        }
    }

    /// Tag names declared at the top of an OpenAPI document and on its operations; nil when it is not a JSON object.
    static func openAPITags(in data: Data) -> Set<String>? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
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
    public static func tags(_ json: String) -> Set<String> { HTTPCheck.openAPITags(in: Data(json.utf8)) ?? [] }
}
