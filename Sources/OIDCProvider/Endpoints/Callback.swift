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
        var params = [("error", error), ("error_description", description)]
        if let s = p.state { params.append(("state", s)) }
        return .redirect(Self.callbackURL(p, params), session: nil)
    }

    /// Query for the code flow, fragment for implicit flows (unless response_mode says otherwise).
    static func callbackURL(_ p: Parameters, _ params: [(String, String)]) -> String {
        let encoded = params.map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
        let implicit = ["id_token", "id_token token", "token id_token"].contains(p.responseType)
        let useFragment = p.responseMode == "fragment" || (p.responseMode == nil && implicit)
        if useFragment { return p.redirectURI + "#" + encoded }
        return p.redirectURI + (p.redirectURI.contains("?") ? "&" : "?") + encoded
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
