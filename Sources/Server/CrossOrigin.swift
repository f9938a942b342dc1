import Foundation
import HTTPTypes
import Hummingbird
import LoginEngine
import Tenant

/// Cross-origin requests from browser JavaScript (SPAs, auth0-spa-js, auth0.js), as Auth0
/// answers them: the Authentication API's endpoints that a page calls directly (token,
/// revocation, userinfo, passwordless start, database sign-up and password change) are open
/// only to the origins an application of the tenant allows (`Client.webOrigins`: Allowed Web
/// Origins, Allowed Origins (CORS) and the callback URLs' origins). A preflight from such an
/// origin is answered 204 with the CORS headers; from any other origin, the preflight and the
/// request itself get 403 `access_denied` and run nothing. The token endpoint also checks the
/// origin against the client named in the request (`OAuthRequest.origin`). Discovery and the
/// JWKS are public (`Access-Control-Allow-Origin: *`). Other routes get no CORS headers, so
/// browsers keep their answers from other sites; same-origin requests (the console) and
/// requests without `Origin` (servers, SDKs) pass unchanged.
struct CrossOriginMiddleware: RouterMiddleware {
    typealias Context = AuthsimRequestContext
    let pipeline: LoginPipeline

    static let credentialed: Set<String> = [
        "/oauth/token", "/oauth/revoke", "/userinfo", "/passwordless/start", "/dbconnections/signup", "/dbconnections/change_password",
    ]
    static let publicDocuments: Set<String> = ["/.well-known/openid-configuration", "/.well-known/jwks.json"]
    static let methods = "GET, POST"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let originText = request.headers[.origin] else { return try await next(request, context) }
        let path = request.uri.path.count > 1 && request.uri.path.hasSuffix("/") ? String(request.uri.path.dropLast()) : request.uri.path
        let origin = WebOrigin(originText)
        if let origin, Self.isSameOrigin(origin, as: request) {
            return try await next(request, context)
        }
        let preflight = request.method == .options && request.headers[Self.requestMethod] != nil
        if Self.publicDocuments.contains(path) {
            var response = preflight ? Response(status: .noContent) : try await next(request, context)
            response.headers[.accessControlAllowOrigin] = "*"
            if preflight { response.headers[.accessControlAllowMethods] = "GET" }
            return response
        }
        guard Self.credentialed.contains(path) else { return try await next(request, context) }
        guard let origin, pipeline.tenant.clients.contains(where: { $0.allowsOrigin(origin) }) else {
            return HTTPJSON.error(
                .forbidden,
                "Origin '\(String(originText.prefix(200)))' is not allowed: add it to an application's Allowed Web Origins (web_origins) or Allowed Origins (CORS) (allowed_origins)",
                errorCode: "access_denied")
        }
        var response: Response
        if preflight {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = Self.methods
            if let asked = request.headers[Self.requestHeaders] { response.headers[.accessControlAllowHeaders] = String(asked.prefix(1000)) }
            response.headers[.accessControlMaxAge] = "86400"
        } else {
            var context = context
            context.crossOrigin = origin
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = origin.description
        response.headers[.accessControlAllowCredentials] = "true"
        response.headers[.vary] = "Origin"
        return response
    }

    /// Whether `origin` is the origin `request` was addressed to (a page the daemon served).
    static func isSameOrigin(_ origin: WebOrigin, as request: Request) -> Bool {
        HostCheckMiddleware.hosts(of: request).contains { isSameOrigin(origin, host: $0) }
    }

    /// Whether a page of `origin` is one this daemon served under `host` (its `Host`; the scheme
    /// is not known behind a TLS proxy, so a `Host` without a port matches either default port).
    static func isSameOrigin(_ origin: WebOrigin, host: String) -> Bool {
        guard let served = WebOrigin("http://" + host), served.host == origin.host else { return false }
        let portGiven = host.hasPrefix("[") ? host.contains("]:") : host.contains(":")
        return portGiven ? served.port == origin.port : [80, 443].contains(origin.port)
    }

    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let requestHeaders = HTTPField.Name("Access-Control-Request-Headers")!
}
