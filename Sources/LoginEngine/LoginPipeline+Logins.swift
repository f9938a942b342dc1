import Directory
import Foundation
import JSONCore
import Logging
import Metrics
import NodeCompat
import ScriptRuntime
import Synchronization
import Tenant
import Tokens

/// The ways a login starts: a simulation (no credentials), a password, an SSO session, a refresh
/// token. Each takes one tenant revision, resolves the client and connection from it and hands
/// the flow (`run`) that revision.
extension LoginPipeline {
    /// A login without credentials, like the dashboard's "try this rule".
    /// `signTokens: false` builds the tokens' claims without signatures (benchmarks only).
    public func simulate(_ request: SimulationRequest, signTokens: Bool = true) async throws(PipelineError) -> SimulationResult {
        var request = request
        request.simulated = true
        if let idp = request.idpProfile, let connection = request.connection {
            return try await idpLogin(connection: connection, profile: idp, request: request)
        }
        let started = monotonicSeconds()
        let rev = current
        let client = try resolveClient(request.client, in: rev.tenant)
        let user: UserProfile
        let stored: Bool
        var prelude: [JSONValue] = []
        switch request.user {
        case .stored(let ref):
            do {
                user = try await findUser(ref, connection: request.connection)
            } catch .userNotFound(let missing) {
                // A custom database's get_user script may know them (and caches them).
                guard let name = request.connection, let c = rev.tenant.connection(named: name), let (found, entry) = try await userFromScript(ref, connection: c, revision: rev) else {
                    throw .userNotFound(missing)
                }
                user = found
                prelude = [entry]
            }
            stored = true
        case .inline(let json):
            do {
                var u = try UserProfile(json: json, defaultConnection: request.connection ?? Self.defaultConnection(in: rev.tenant))
                u.applyDefaults()
                user = u
            } catch { throw .invalidRequest("inline user: \(error)") }
            stored = false
        }
        let connection = try resolveConnection(request.connection ?? user.connection, in: rev.tenant)
        var result = try await run(revision: rev, user: user, stored: stored, client: client, connection: connection, request: request, started: started, signTokens: signTokens, prelude: prelude)
        // `"mfa": "pass"`: an action that paused for a challenge resumes as after a real one.
        var hops = 0
        while result.outcome == .redirect, result.mfa?.pausedAction != nil, request.mfaOutcome == .pass, let resume = result.resume, hops < 16 {
            hops += 1
            var next = request
            next.resume = resume
            next.mfaPassed = MFAPassed(at: Timestamp.now(), factor: "otp")
            let current = stored ? (try? await findUser(user.userId, connection: nil)) ?? user : user
            let again = try await run(
                revision: rev, user: current, stored: stored, client: client, connection: connection, request: next, started: monotonicSeconds(), signTokens: signTokens,
                countLogin: false, prelude: result.trace)
            result = again
        }
        return result
    }

    /// A resource-owner password login: verifies the password, then runs the same flow.
    public func login(username: String, password: String, request base: SimulationRequest? = nil) async throws(PipelineError) -> SimulationResult {
        let started = monotonicSeconds()
        var request = base ?? SimulationRequest(user: .stored(username))
        let rev = current
        let client = try resolveClient(request.client, in: rev.tenant)
        let connection = try resolveConnection(request.connection ?? Self.defaultConnection(in: rev.tenant), in: rev.tenant)
        if request.protocolName == nil { request.protocolName = "oauth2-password" }
        request.body = request.body ?? ["username": .string(username), "grant_type": "password"]
        let ip = request.ip ?? "127.0.0.1"
        let protection = rev.tenant.settings.attackProtection
        if let refused = await attackRefusal(username: username, ip: ip, client: client, connection: connection, request: request, started: started, protection) {
            return refused
        }
        let result: SimulationResult
        if connection.usesCustomScripts {
            result = try await customDatabaseLogin(username: username, password: password, connection: connection, client: client, request: request, started: started, revision: rev)
        } else {
            result = try await databaseLogin(username: username, password: password, client: client, connection: connection, request: request, started: started, revision: rev)
        }
        await countAttempt(result, username: username, ip: ip, client: client, connection: connection, request: request, protection)
        return result
    }

    /// The password check and flow of a login at an authsim-stored database connection.
    func databaseLogin(
        username: String, password: String, client: Client, connection: Connection, request: SimulationRequest, started: Double, revision rev: Revision
    ) async throws(PipelineError) -> SimulationResult {
        let found: UserProfile?
        do { found = try await store.user(login: username, connection: connection.name) } catch { throw .store(String(describing: error)) }
        var check: (valid: Bool, rehash: Bool) = (false, false)
        if let found, let hash = found.passwordHash {
            do { check = try await checkPassword(password, against: hash) } catch {
                return await uncheckedPasswordLogin(error, username: username, userId: found.userId, client: client, connection: connection, request: request, started: started)
            }
        } else {
            // No timing difference tells a caller whether the user exists.
            do { try await checkPasswordOfAbsentUser(password) } catch {
                return await uncheckedPasswordLogin(error, username: username, userId: found?.userId ?? "", client: client, connection: connection, request: request, started: started)
            }
        }
        guard var user = found, check.valid else {
            return await refusedLogin(
                logType: found == nil ? "fu" : "fp", description: "Wrong email or password.", username: username, userId: found?.userId,
                client: client, connection: connection, request: request, started: started)
        }
        if check.rehash { user = await rehash(user, password: password) }
        return try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started)
    }

    /// An imported password hash (md5, sha*, pbkdf2, argon2) checked at login is replaced by bcrypt.
    func rehash(_ user: UserProfile, password: String) async -> UserProfile {
        do {
            let hash = try await hashPassword(password)
            return try await store.update(id: user.userId) { u in u.passwordHash = hash }
        } catch {
            logger.error("could not re-hash the imported password of \(user.userId): \(error)")
            return user
        }
    }

    /// A password login refused before the flow: logged (`fp`, `fu`, `f`) with the trace of
    /// whatever ran (a custom database's script), which is kept when there is one.
    func refusedLogin(
        logType: String, description: String, error: FlowError = FlowError("invalid_grant", "Wrong email or password."), username: String, userId: String?,
        client: Client, connection: Connection, request: SimulationRequest, started: Double, trace: [JSONValue] = []
    ) async -> SimulationResult {
        logger.info("failed login", metadata: ["username": .string(username), "connection": .string(connection.name), "type": .string(logType)])
        let result = SimulationResult(
            outcome: .denied, error: error, user: .null, idToken: nil,
            accessToken: nil, multifactor: nil, redirect: nil, persistedAppMetadata: [:], persistedUserMetadata: [:],
            metadataStored: false, droppedClaims: [], trace: trace, warnings: [], client: client.name,
            connection: connection.name, protocolName: request.protocolName ?? "oauth2-password", durationMs: (monotonicSeconds() - started) * 1000,
            traceId: randomHexID())
        var details: JSONValue? = nil
        if !trace.isEmpty {
            do {
                try await storeTrace(id: result.traceId, userId: userId, clientId: client.clientId, document: result.json)
                details = ["traceId": .string(result.traceId)]
            } catch {
                logger.error("could not store trace \(result.traceId): \(error)")
            }
        }
        await log(TenantLogEvent(
            type: logType, description: description, clientId: client.clientId, clientName: client.name,
            connection: connection.name, userId: userId, userName: username, ip: request.ip ?? "127.0.0.1", userAgent: request.userAgent, details: details))
        return result
    }
}
