import Foundation
import HTTPTypes
import Synchronization

/// A browser over an `AuthsimTestClient`: it keeps the cookies the application sets and sends
/// them back, and posts a login page's form as the page would, with the page's hidden
/// anti-forgery field (`_csrf`) for the transaction the form names.
public final class AuthsimTestBrowser: Sendable {
    public let client: AuthsimTestClient
    struct State {
        var cookies: [String: String] = [:]
        var formTokens: [String: String] = [:]
    }
    let state = Mutex(State())

    public init(_ client: AuthsimTestClient) { self.client = client }

    /// The cookies this browser holds, by name.
    public var cookies: [String: String] { state.withLock { $0.cookies } }

    /// Loads `path` (with its query) with this browser's cookies.
    public func get(_ path: String, headers: [String: String] = [:]) async throws -> AuthsimTestResponse {
        try await exchange(.get, path, body: nil, headers: headers)
    }

    /// Posts `fields` to `path` as a form of the last page shown for their transaction (`tx`)
    /// would: with that page's `_csrf` unless `fields` gives one.
    public func submit(_ path: String, _ fields: [String: String], headers: [String: String] = [:]) async throws -> AuthsimTestResponse {
        var fields = fields
        if fields["_csrf"] == nil, let tx = fields["tx"], let token = state.withLock({ $0.formTokens[tx] }) { fields["_csrf"] = token }
        let body = fields.sorted { $0.key < $1.key }.map { AuthsimTestClient.formEncode($0.key) + "=" + AuthsimTestClient.formEncode($0.value) }.joined(separator: "&")
        return try await exchange(.post, path, body: body, headers: headers)
    }

    func exchange(_ method: HTTPRequest.Method, _ path: String, body: String?, headers: [String: String]) async throws -> AuthsimTestResponse {
        var headers = headers
        let jar = cookies
        if !jar.isEmpty, headers["Cookie"] == nil { headers["Cookie"] = jar.sorted { $0.key < $1.key }.map { $0.key + "=" + $0.value }.joined(separator: "; ") }
        let response = try await client.send(method, path, body: body, contentType: body == nil ? nil : "application/x-www-form-urlencoded", headers: headers)
        let tx = Self.hidden("tx", in: response.text), token = Self.hidden("_csrf", in: response.text)
        state.withLock { s in
            for field in response.headers where field.name == .setCookie {
                let attributes = field.value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard let pair = attributes.first, let eq = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
                let expired = value.isEmpty || attributes.contains { $0.lowercased() == "max-age=0" }
                s.cookies[name] = expired ? nil : value
            }
            if let tx, let token { s.formTokens[tx] = token }
        }
        return response
    }

    /// The value of the hidden input `name` of an HTML page.
    public static func hidden(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: #"name="\#(name)" value="([^"]*)""#, options: .regularExpression) else { return nil }
        return String(html[r].split(separator: "\"")[3])
    }
}
