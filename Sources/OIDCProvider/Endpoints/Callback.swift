import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// How the client is answered: the callback URL with a code, tokens or an error.
extension AuthorizationService {
    func errorRedirect(_ p: Parameters, _ error: String, _ description: String) -> Step {
        if let device = p.device { return .deviceFailed(device: device, error: error, description: description) }
        var params = [("error", error), ("error_description", description)]
        if let s = p.state { params.append(("state", s)) }
        return respond(p, params, session: nil)
    }

    /// The authorization response in the request's `response_mode`: the callback URL's query or
    /// fragment, a form posted to it, or a message posted to its origin.
    func respond(_ p: Parameters, _ params: [(String, String)], session: String?) -> Step {
        let fields = params.map { Field(name: $0.0, value: $0.1) }
        switch p.responseMode {
        case "form_post": return .formPost(action: p.redirectURI, fields: fields, session: session)
        case "web_message": return .webMessage(origin: Self.origin(of: p.redirectURI) ?? p.redirectURI, fields: fields, session: session)
        default: return .redirect(Self.callbackURL(p, params), session: session)
        }
    }

    /// The response modes `/authorize` accepts (Auth0's).
    static let responseModes: Set<String> = ["query", "fragment", "form_post", "web_message"]

    /// A Content-Security-Policy source allowing one inline script (the response pages').
    public static func scriptSource(_ script: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString()
    }

    /// `scheme://host[:port]` of a URL.
    public static func origin(of url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host, !host.isEmpty else { return nil }
        return "\(scheme)://\(host)" + (c.port.map { ":\($0)" } ?? "")
    }

    /// Query for the code flow, fragment for implicit flows (unless response_mode says otherwise).
    static func callbackURL(_ p: Parameters, _ params: [(String, String)]) -> String {
        let encoded = params.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
        // Implicit and hybrid flows answer in the fragment unless response_mode says otherwise.
        // (An unknown response type's error goes in the query.)
        let implicitOrHybrid = p.responseTypes != ["code"] && AuthorizationService.Parameters.allowedResponseTypes.contains(p.responseTypes)
        let useFragment = p.responseMode == "fragment" || (p.responseMode == nil && implicitOrHybrid)
        if useFragment { return p.redirectURI + "#" + encoded }
        return p.redirectURI + (p.redirectURI.contains("?") ? "&" : "?") + encoded
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
