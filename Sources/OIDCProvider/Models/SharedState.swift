import Foundation
import JSONCore
import LoginEngine
import Tokens

/// The browser-side state of `/authorize` (login transactions, SSO sessions, logins suspended by
/// a redirect) lives in the store's short-lived values, like authorization codes: every daemon on
/// a shared store sees it, so a login page served by one daemon can be posted to another, and an
/// SSO session started on one logs the browser in silently on the others. Session cookies and
/// continue states are stored by hash only.
extension AuthorizationService {
    /// Auth0's default absolute session lifetime.
    static let sessionLifetime: Double = 7 * 24 * 3600

    // MARK: transactions

    func transaction(_ tx: String) async -> Transaction? {
        guard let text = try? await pipeline.store.readEphemeral("tx:" + OpaqueToken.hash(tx), now: Timestamp.now()), let json = try? JSONValue.parse(text),
            let query = json["parameters"]?.objectValue?.compactMapValues(\.stringValue), let created = json["created"]?.doubleValue,
            let parameters = Parameters(query: query)
        else { return nil }
        return Transaction(parameters: parameters, created: created)
    }

    func saveTransaction(_ tx: String, _ t: Transaction) async throws {
        let json: JSONValue = ["parameters": .object(t.parameters.query.mapValues(JSONValue.string)), "created": .number(t.created)]
        try await pipeline.store.putEphemeral("tx:" + OpaqueToken.hash(tx), json.serialized(), expires: t.created + Self.transactionLifetime)
    }

    func dropTransaction(_ tx: String) async {
        _ = try? await pipeline.store.takeEphemeral("tx:" + OpaqueToken.hash(tx), now: Timestamp.now())
    }

    // MARK: SSO sessions

    func session(_ cookie: String) async -> Session? {
        guard let text = try? await pipeline.store.readEphemeral("session:" + OpaqueToken.hash(cookie), now: Timestamp.now()),
            let json = try? JSONValue.parse(text), let userId = json["userId"]?.stringValue, let authTime = json["authTime"]?.doubleValue
        else { return nil }
        return Session(
            userId: userId, connection: json["connection"]?.stringValue ?? "", authTime: authTime,
            clients: Set((json["clients"]?.arrayValue ?? []).compactMap(\.stringValue)))
    }

    func saveSession(_ cookie: String, _ s: Session) async throws {
        let json: JSONValue = [
            "userId": .string(s.userId), "connection": .string(s.connection), "authTime": .number(s.authTime),
            "clients": .array(s.clients.sorted().map(JSONValue.string)),
        ]
        try await pipeline.store.putEphemeral("session:" + OpaqueToken.hash(cookie), json.serialized(), expires: s.authTime + Self.sessionLifetime)
    }

    func dropSession(_ cookie: String) async {
        _ = try? await pipeline.store.takeEphemeral("session:" + OpaqueToken.hash(cookie), now: Timestamp.now())
    }

    // MARK: suspended logins

    func suspend(_ id: String, _ s: Suspended) async throws {
        let json: JSONValue = [
            "parameters": .object(s.parameters.query.mapValues(JSONValue.string)), "clientId": .string(s.clientId), "sessionID": .string(s.sessionID),
            "userId": .string(s.userId), "resume": s.resume, "created": .number(s.created), "browser": .string(OpaqueToken.hash(s.browser)),
        ]
        try await pipeline.store.putEphemeral("suspended:" + OpaqueToken.hash(id), json.serialized(), expires: s.created + Self.transactionLifetime)
    }

    /// Takes a suspended login once, and only for the browser that was sent away (another
    /// browser's attempt leaves it in place).
    func takeSuspended(_ id: String, browser: String?) async -> Suspended? {
        let key = "suspended:" + OpaqueToken.hash(id)
        guard let browser, let peek = try? await pipeline.store.readEphemeral(key, now: Timestamp.now()),
            (try? JSONValue.parse(peek))?["browser"]?.stringValue == OpaqueToken.hash(browser),
            let text = try? await pipeline.store.takeEphemeral(key, now: Timestamp.now()),
            let json = try? JSONValue.parse(text), json["browser"]?.stringValue == OpaqueToken.hash(browser),
            let query = json["parameters"]?.objectValue?.compactMapValues(\.stringValue), let parameters = Parameters(query: query),
            let clientId = json["clientId"]?.stringValue, let sessionID = json["sessionID"]?.stringValue, let userId = json["userId"]?.stringValue,
            let resume = json["resume"], let created = json["created"]?.doubleValue
        else { return nil }
        return Suspended(parameters: parameters, clientId: clientId, sessionID: sessionID, userId: userId, resume: resume, created: created, browser: browser)
    }
}

extension AuthorizationService.Parameters {
    /// The `/authorize` query these parameters came from.
    var query: [String: String] {
        var q = ["client_id": clientId, "redirect_uri": redirectURI, "response_type": responseType, "scope": scope]
        let optional: [(String, String?)] = [
            ("state", state), ("nonce", nonce), ("audience", audience), ("connection", connection), ("prompt", prompt),
            ("code_challenge", codeChallenge), ("code_challenge_method", codeChallengeMethod), ("login_hint", loginHint), ("response_mode", responseMode),
        ]
        for (k, v) in optional { if let v { q[k] = v } }
        return q
    }

    init?(query q: [String: String]) {
        guard let clientId = q["client_id"], let redirect = q["redirect_uri"] else { return nil }
        self.init(
            clientId: clientId, redirectURI: redirect, responseType: q["response_type"] ?? "", scope: q["scope"] ?? "openid",
            state: q["state"], nonce: q["nonce"], audience: q["audience"], connection: q["connection"], prompt: q["prompt"],
            codeChallenge: q["code_challenge"], codeChallengeMethod: q["code_challenge_method"], loginHint: q["login_hint"],
            responseMode: q["response_mode"])
    }
}
