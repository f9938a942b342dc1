import Hummingbird
import JSONCore
import LoginEngine
import ManagementAPI
import NIOCore
import Synchronization
import Tokens

/// One-time sign-in links for the web console. `authsim serve` prints one at start; opening it
/// trades the code for a Management API token (all scopes, the tenant's management token
/// lifetime) once; the console renews its token while it is open.
public final class ConsoleSignIn: Sendable {
    private let codes = Mutex<[String: Double]>([:])
    /// How long an unused code stays valid.
    public let lifetime: Double

    public init(lifetime: Double = 12 * 3600) {
        self.lifetime = lifetime
    }

    /// A new single-use code.
    public func issue(now: Double = Timestamp.now()) -> String {
        let code = OpaqueToken.new()
        codes.withLock { $0[code] = now + lifetime }
        return code
    }

    /// The path (under the daemon's base URL) that signs a browser in with a new code.
    public func link() -> String { "/console/#login=" + issue() }

    /// Consumes `code`: true the first time only, and only before it expires.
    func redeem(_ code: String, now: Double = Timestamp.now()) -> Bool {
        codes.withLock { codes in
            codes = codes.filter { $0.value > now }
            return codes.removeValue(forKey: code) != nil
        }
    }
}

/// `/console`: the static web console (HTML, CSS and JavaScript embedded in the binary),
/// `POST /console/session`, which trades a one-time code for a management token, and
/// `POST /console/session/renew`, which trades a console token still valid for a fresh one (so
/// the tokens stay short-lived while a console stays open). Everything else the console shows
/// comes from the public APIs with that token.
struct ConsoleRoutes: RouteGroup {
    let pipeline: LoginPipeline
    let signIn: ConsoleSignIn

    static func session(_ s: (token: String, lifetime: Double)) -> Response {
        HTTPJSON.response(["access_token": .string(s.token), "token_type": "Bearer", "expires_in": .number(s.lifetime)])
    }

    static let files: [String: (bytes: [UInt8], type: String)] = [
        "": (PackageResources.index_html, "text/html; charset=utf-8"),
        "console.js": (PackageResources.console_js, "text/javascript; charset=utf-8"),
        "console.css": (PackageResources.console_css, "text/css; charset=utf-8"),
        "debugger.js": (PackageResources.debugger_js, "text/javascript; charset=utf-8"),
    ]

    /// Only the console's own files run: no inline script, no other origin.
    static let headers: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "no-referrer", .cacheControl: "no-cache",
    ]

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        // The router ignores a trailing slash: this serves both /console and /console/.
        router.get("console") { _, _ in Self.file("") }
        router.get("console/:file") { _, context in Self.file(context.parameters.get("file") ?? "") }
        router.post("console/session") { request, _ -> Response in
            let code: String
            switch await HTTPJSON.body(request, limit: 4096) {
            case .success(let body):
                guard let c = body["code"]?.stringValue else {
                    return HTTPJSON.error(.badRequest, "expected {\"code\": \"…\"}", errorCode: "invalid_body")
                }
                code = c
            case .failure(let e): return e.response
            }
            guard signIn.redeem(code) else {
                return HTTPJSON.error(.unauthorized, "This sign-in link was already used or has expired: restart authsim serve for a new one, or sign in with the token in the management-token file", errorCode: "invalid_code")
            }
            do { return Self.session(try pipeline.consoleSession()) } catch {
                return HTTPJSON.error(.internalServerError, "could not sign a token: \(error)", errorCode: "server_error")
            }
        }
        router.post("console/session/renew") { request, _ -> Response in
            do throws(AccessTokenVerifier.Failure) {
                return Self.session(try pipeline.renewConsoleSession(authorizationHeader: request.headers[.authorization]))
            } catch {
                return HTTPJSON.error(HTTPResponse.Status(code: error.status), error.message, errorCode: error.errorCode)
            }
        }
    }

    static func file(_ name: String) -> Response {
        guard let file = files[name] else { return HTTPJSON.error(.notFound, "No console file \(name)", errorCode: "not_found") }
        var headers = Self.headers
        headers[.contentType] = file.type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
