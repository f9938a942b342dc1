import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// A login a rule or action redirected, waiting for `/continue`.
extension AuthorizationService {
    /// A login suspended by a rule or action redirect, waiting for `/continue?state=…`.
    struct Suspended: KeptValue {
        var parameters: Parameters
        var clientId: String
        var sessionID: String
        var userId: String
        var resume: JSONValue
        var created: Double
        /// The suspending browser's `authsim_continue` cookie (in the store: its hash): only it may continue.
        var browser: String
        /// A second factor passed before the redirect (it still counts after `/continue`).
        var mfaPassed: MFAPassed? = nil
        /// The login ran in the browser's existing session.
        var inSession: Bool? = nil
    }
}
