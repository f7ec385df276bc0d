import Foundation
import Mongo
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request as the API checks need it: a deadline on the whole exchange (not URLSession's idle timeout, which
/// a server sending a byte every few seconds never trips), redirects never followed silently (a 307/308 is re-sent
/// with its method and body, up to ten times; any other comes back as the answer), and a cap on the body.
struct HTTPExchange {
    struct Answer: Sendable {
        var status: Int
        /// The URL that gave this answer (the last of a 307/308 chain).
        var url: String
        /// The `Location` of a redirect answer.
        var location: String?
        var contentType: String?
        /// The 307/308 hops followed to get here: `307 → http://…`.
        var redirects: [String]
        var body: Data
    }

    /// Why an exchange gave no answer, in plain words.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let maximumRedirects = 10

    static func send(_ request: URLRequest, timeout: Duration, maximumBytes: Int) async throws -> Answer {
        let deadline = ContinuousClock.now + timeout
        var current = request
        var redirects: [String] = []
        while true {
            let remaining = deadline - ContinuousClock.now
            let what = "\(current.httpMethod ?? "GET") \(current.url?.absoluteString ?? "?")"
            guard remaining > .zero else { throw Failure(description: "no answer within \(seconds(timeout)) from \(what)") }
            var answer = try await Transfer(request: current, maximumBytes: maximumBytes, describing: what, total: timeout)
                .run(timeout: remaining)
            answer.redirects = redirects
            guard [307, 308].contains(answer.status), let location = answer.location,
                  let next = URL(string: location, relativeTo: current.url)?.absoluteURL else { return answer }
            guard redirects.count < maximumRedirects else {
                throw Failure(description: "more than \(maximumRedirects) redirects from \(request.httpMethod ?? "GET") "
                    + "\(request.url?.absoluteString ?? "?")")
            }
            redirects.append("\(answer.status) → \(next.absoluteString)")
            current.url = next
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.inSeconds
        return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}

/// One request and its answer through a URLSession delegate, cancelled at its deadline or when the body grows past
/// its cap.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let request: URLRequest
    private let maximumBytes: Int
    private let lock = NSLock()
    private var response: HTTPURLResponse?
    private var body = Data()
    private var tooLarge = false
    private var timedOut = false
    private var continuation: CheckedContinuation<HTTPExchange.Answer, any Error>?
    /// `POST http://…`, for the error messages; `total` is the whole exchange's timeout, as the user gave it.
    private let describing: String
    private let total: Duration

    init(request: URLRequest, maximumBytes: Int, describing: String, total: Duration) {
        self.request = request
        self.maximumBytes = maximumBytes
        self.describing = describing
        self.total = total
    }

    func run(timeout: Duration) async throws -> HTTPExchange.Answer {
        let configuration = URLSessionConfiguration.ephemeral
        let seconds = timeout.inSeconds
        configuration.timeoutIntervalForRequest = seconds + 1
        configuration.timeoutIntervalForResource = seconds + 1
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        return try await withCheckedThrowingContinuation { continuation in
            lock.withLock { self.continuation = continuation }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [weak self, weak task] in
                guard let self else { return }
                let pending = self.lock.withLock { () -> Bool in
                    guard self.continuation != nil else { return false }
                    self.timedOut = true
                    return true
                }
                if pending { task?.cancel() }
            }
            task.resume()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.withLock { self.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = lock.withLock { () -> Bool in
            body.append(data)
            if body.count > maximumBytes { tooLarge = true }
            return tooLarge
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (continuation, result) = lock.withLock { () -> (CheckedContinuation<HTTPExchange.Answer, any Error>?, Result<HTTPExchange.Answer, any Error>) in
            defer { self.continuation = nil }
            return (self.continuation, outcome(error))
        }
        continuation?.resume(with: result)
    }

    /// Called with the lock held.
    private func outcome(_ error: (any Error)?) -> Result<HTTPExchange.Answer, any Error> {
        // URLSession's own timeout (set a second later, as a backstop) can win the race under load: same words.
        if timedOut || (error as? URLError)?.code == .timedOut { return .failure(HTTPExchange.Failure(description: "no answer within \(HTTPExchange.seconds(total)) from \(describing)")) }
        if tooLarge {
            return .failure(HTTPExchange.Failure(description: "the answer to \(describing) is larger than "
                + "\(maximumBytes / 1_048_576) MB; not read further"))
        }
        // A redirect that was not followed can end as an error on some platforms; its response is still the answer.
        if let response, error == nil || (300..<400).contains(response.statusCode) {
            return .success(HTTPExchange.Answer(
                status: response.statusCode, url: response.url?.absoluteString ?? request.url?.absoluteString ?? "?",
                location: response.value(forHTTPHeaderField: "Location"),
                contentType: response.value(forHTTPHeaderField: "Content-Type"), redirects: [], body: body))
        }
        return .failure(HTTPExchange.Failure(description: Self.plainWords(error, describing)))
    }

    private static func plainWords(_ error: (any Error)?, _ describing: String) -> String {
        guard let error = error as? URLError else {
            return "\(describing) failed: \(error.map { String(describing: $0) } ?? "no answer")"
        }
        switch error.code {
        case .cannotConnectToHost: return "\(describing): could not connect (connection refused); is --api-url right?"
        case .cannotFindHost, .dnsLookupFailed: return "\(describing): host not found; is --api-url right?"
        case .timedOut: return "\(describing): timed out"
        case .networkConnectionLost: return "\(describing): the connection was closed before the answer ended"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate:
            return "\(describing): the TLS connection failed (certificate or protocol)"
        case .badServerResponse: return "\(describing): the server's answer is not valid HTTP"
        default: return "\(describing) failed (URLError \(error.code.rawValue))"
        }
    }
}
