import Foundation
import Hummingbird
import JSONCore
import LoginEngine
import OIDCProvider

/// `POST /oauth/token`, `GET|POST /userinfo`, `POST /oauth/revoke`: decoding and encoding only;
/// the grants live in `OAuthService`.
struct OAuthRoutes: RouteGroup {
    let authorization: AuthorizationService
    var oauth: OAuthService { authorization.oauth }
    let maximumBodySize: Int

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.post("oauth/token") { request, context -> Response in
            switch await decode(request, context) {
            case .failure(let e): return Self.error(e)
            case .success(let r):
                let limit = oauth.rateLimit(r)
                var response: Response
                if let limit, !limit.allowed {
                    response = HTTPJSON.response(["error": "too_many_requests", "error_description": "Global limit has been reached"], status: .tooManyRequests)
                } else {
                    switch await authorization.token(r) {
                    case .success(let body): response = HTTPJSON.response(body)
                    case .failure(let e): response = Self.error(e)
                    }
                }
                if let limit { HTTPJSON.addRateLimitHeaders(&response, limit) }
                return response
            }
        }
        router.post("passwordless/start") { request, context -> Response in
            switch await decode(request, context) {
            case .failure(let e): return Self.error(e)
            case .success(let r):
                switch await oauth.passwordlessStart(r) {
                case .success(let body): return HTTPJSON.response(body)
                case .failure(let e): return Self.error(e)
                }
            }
        }
        router.post("oauth/revoke") { request, context -> Response in
            switch await decode(request, context) {
            case .failure(let e): return Self.error(e)
            case .success(let r):
                switch await oauth.revoke(r) {
                case .success: return Response(status: .ok)
                case .failure(let e): return Self.error(e)
                }
            }
        }
        // Auth0's MFA API: the mfa_token of an `mfa_required` answer is the bearer token.
        router.get("mfa/authenticators") { request, _ -> Response in
            switch await oauth.mfaAuthenticators(mfaToken: Self.bearer(request)) {
            case .success(let body): return HTTPJSON.response(body)
            case .failure(let e): return Self.error(e)
            }
        }
        router.post("mfa/associate") { request, context -> Response in
            switch await decode(request, context) {
            case .failure(let e): return Self.error(e)
            case .success(let r):
                switch await oauth.mfaAssociate(r, mfaToken: Self.bearer(request)) {
                case .success(let body): return HTTPJSON.response(body)
                case .failure(let e): return Self.error(e)
                }
            }
        }
        router.post("oauth/device/code") { request, context -> Response in
            switch await decode(request, context) {
            case .failure(let e): return Self.error(e)
            case .success(let r):
                switch await authorization.deviceCode(r) {
                case .success(let body): return HTTPJSON.response(body)
                case .failure(let e): return Self.error(e)
                }
            }
        }
        router.post("mfa/challenge") { request, context -> Response in
            switch await decode(request, context) {
            case .failure(let e): return Self.error(e)
            case .success(let r):
                switch await oauth.mfaChallenge(r) {
                case .success(let body): return HTTPJSON.response(body)
                case .failure(let e): return Self.error(e)
                }
            }
        }
        let userinfo: @Sendable (Request, AuthsimRequestContext) async throws -> Response = { request, _ in
            switch await oauth.userinfo(authorizationHeader: request.headers[.authorization]) {
            case .success(let body): return HTTPJSON.response(body)
            case .failure(let e):
                var response = Self.error(e)
                response.headers[.wwwAuthenticate] = "Bearer error=\"\(e.error)\", error_description=\"\(e.description.replacingOccurrences(of: "\"", with: "'"))\""
                return response
            }
        }
        router.get("userinfo", use: userinfo)
        router.post("userinfo", use: userinfo)
    }

    static func bearer(_ request: Request) -> String? {
        guard let h = request.headers[.authorization], h.lowercased().hasPrefix("bearer ") else { return nil }
        return String(h.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    static func error(_ e: OAuthError) -> Response {
        // An error status is 400–599 whatever produced it.
        let status = (400...599).contains(e.status) ? e.status : 500
        return HTTPJSON.response(e.json, status: HTTPResponse.Status(code: status, reasonPhrase: HTTPJSON.reason(status)))
    }

    /// Form-encoded or JSON parameters, plus Basic client credentials and the caller's address.
    func decode(_ request: Request, _ context: AuthsimRequestContext) async -> Result<OAuthRequest, OAuthError> {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: maximumBodySize) } catch {
            return .failure(OAuthError(413, "invalid_request", "Request body is larger than \(maximumBodySize) bytes"))
        }
        guard let text = HTTPJSON.utf8(buffer) else {
            return .failure(OAuthError(400, "invalid_request", "The body is not valid UTF-8"))
        }
        var parameters: [String: String] = [:]
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") {
            guard let json = try? JSONValue.parse(text, maxDepth: HTTPJSON.maxNesting), case .object(let o) = json else {
                return .failure(OAuthError(400, "invalid_request", "The body must be a JSON object"))
            }
            for (k, v) in o { parameters[k] = v.stringValue ?? (v.isNull ? nil : v.serialized()) }
        } else {
            parameters = FormEncoding.decode(text)
        }
        var basic: (String, String)?
        if let auth = request.headers[.authorization], auth.lowercased().hasPrefix("basic ") {
            guard let data = Data(base64Encoded: String(auth.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
            else {
                return .failure(OAuthError(401, "invalid_client", "Malformed Basic authorization header"))
            }
            basic = (FormEncoding.percentDecode(String(pair[..<colon])), FormEncoding.percentDecode(String(pair[pair.index(after: colon)...])))
        }
        // The peer's address, as on every route: a client-sent X-Forwarded-For is not believed
        // (Auth0 ignores it too), so a rule's IP checks and the logs cannot be fooled by a header.
        var r = OAuthRequest(parameters: parameters, basicCredentials: basic, ip: context.clientIP, userAgent: request.headers[.userAgent])
        r.origin = context.crossOrigin
        return .success(r)
    }
}

/// `application/x-www-form-urlencoded`.
enum FormEncoding {
    static func decode(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(parts[0]))
            let value = parts.count > 1 ? percentDecode(String(parts[1])) : ""
            if !key.isEmpty { out[key] = value }
        }
        return out
    }

    static func percentDecode(_ s: String) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
