import Directory
import Foundation
import JSONCore
import Tenant

/// A message Auth0 would send: a passwordless code, a password-reset link. authsim prints every
/// one in the daemon log (there is no mail or SMS here); a tenant that delivers its own — the
/// custom-email-provider or custom-phone-provider action, or for text messages the
/// send-phone-message hook and actions — has them run with the message, as Auth0 does.
public struct OutgoingMessage: Sendable {
    public enum Channel: String, Sendable {
        case email, phone
    }

    public var channel: Channel
    /// Auth0's `message_type`: `verification_code`, `reset_email` (email); `otp_verify` (phone).
    public var messageType: String
    /// An email address or an E.164 phone number.
    public var recipient: String
    public var subject: String
    public var text: String
    public var html: String
    /// The one-time code, when the message carries one.
    public var code: String?
    /// send-phone-message's `message_options.action`.
    public var phoneAction: String = "passwordless"
    public var user: UserProfile?
    public var client: Client?
    public var connection: Connection?
    public var ip: String
    public var userAgent: String?
}

extension LoginPipeline {
    /// How a message went: the trace id of the scripts that delivered it (nil when none ran) and
    /// a line for the daemon log.
    public struct Delivery: Sendable {
        public var traceId: String?
        public var summary: String
    }

    /// Runs the tenant's delivery scripts for `message` (none: authsim's log is the only
    /// delivery). `api.notification.retry` runs the provider again, up to five times, a little
    /// later each time; `drop`, an error or a timeout logs `fn`.
    /// `traceId`: the id its trace is stored under (chosen before, so that a log event written
    /// first can name it).
    public func deliver(_ message: OutgoingMessage, traceId: String? = nil) async -> Delivery {
        await deliver(message, revision: current, attempt: 0, traceId: traceId)
    }

    /// Whether the tenant has scripts that deliver `message` (its trace will exist).
    public func deliveryRuns(_ message: OutgoingMessage) -> Bool {
        let tenant = current.tenant
        switch message.channel {
        case .email: return !tenant.boundActions("custom-email-provider").isEmpty
        case .phone:
            return !tenant.boundActions("custom-phone-provider").isEmpty || !tenant.boundActions("send-phone-message").isEmpty
                || tenant.activeHook("send-phone-message") != nil
        }
    }

    func deliver(_ message: OutgoingMessage, revision rev: Revision, attempt: Int, traceId chosen: String? = nil) async -> Delivery {
        let tenant = rev.tenant
        let trigger: String
        var trace: [JSONValue] = []
        var notification: JSONValue?
        var failure: String?
        do {
            switch message.channel {
            case .email:
                trigger = "custom-email-provider"
                let bound = tenant.boundActions(trigger)
                guard !bound.isEmpty else { return Delivery(traceId: nil, summary: "") }
                let outcome = try await rev.rulesRunner.runTrigger(trigger, event: providerEvent(message, tenant: tenant), actions: bound, environment: flowEnvironment(rev), runtime: runtime)
                (trace, notification, failure) = (outcome.trace, outcome.notification, outcome.denied?.description)
            case .phone where !tenant.boundActions("custom-phone-provider").isEmpty:
                trigger = "custom-phone-provider"
                let outcome = try await rev.rulesRunner.runTrigger(
                    trigger, event: providerEvent(message, tenant: tenant), actions: tenant.boundActions(trigger), environment: flowEnvironment(rev), runtime: runtime)
                (trace, notification, failure) = (outcome.trace, outcome.notification, outcome.denied?.description)
            case .phone:
                trigger = "send-phone-message"
                let bound = tenant.boundActions(trigger)
                if let hook = await runHook(trigger, args: [.string(message.recipient), .string(message.text)], context: phoneHookContext(message), revision: rev) {
                    trace.append(hook.trace)
                    if hook.error != nil { failure = "hook '\(tenant.activeHook(trigger)?.name ?? "?")': \(hook.errorMessage)" }
                }
                guard !trace.isEmpty || !bound.isEmpty else { return Delivery(traceId: nil, summary: "") }
                if failure == nil, !bound.isEmpty {
                    let outcome = try await rev.rulesRunner.runTrigger(trigger, event: phoneMessageEvent(message, tenant: tenant), actions: bound, environment: flowEnvironment(rev), runtime: runtime)
                    trace += outcome.trace
                    failure = outcome.denied?.description
                }
            }
        } catch {
            return Delivery(traceId: nil, summary: "its delivery scripts could not run: \(error)")
        }
        let names = trace.compactMap { $0["name"]?.stringValue }.map { "'\($0)'" }.joined(separator: ", ")
        let traceId = chosen ?? randomHexID()
        do {
            let document: JSONValue = [
                "trigger": .string(trigger), "attempt": .number(Double(attempt + 1)),
                "message": ["channel": .string(message.channel.rawValue), "message_type": .string(message.messageType), "recipient": .string(message.recipient)],
                "user": message.user?.json ?? .null, "trace": .array(trace),
            ]
            try await storeTrace(id: traceId, userId: message.user?.userId, clientId: message.client?.clientId ?? "", document: document)
        } catch {
            logger.error("could not store the \(trigger) trace: \(error)")
        }
        func failed(_ description: String) async {
            await log(TenantLogEvent(
                type: "fn", description: description, clientId: message.client?.clientId, clientName: message.client?.name, connection: message.connection?.name,
                userId: message.user?.userId, userName: message.recipient, ip: message.ip, userAgent: message.userAgent,
                details: ["traceId": .string(traceId), "trigger": .string(trigger), "message_type": .string(message.messageType)]))
        }
        if let failure {
            await failed("\(trigger) failed: \(failure)")
            return Delivery(traceId: traceId, summary: "\(trigger) \(names) failed: \(failure)")
        }
        switch notification?["action"]?.stringValue {
        case "drop":
            let reason = String((notification?["reason"]?.stringValue ?? "").prefix(1024))
            await failed("\(trigger) dropped the \(message.messageType) message: \(reason)")
            return Delivery(traceId: traceId, summary: "dropped by \(names): \(reason)")
        case "retry":
            let reason = String((notification?["reason"]?.stringValue ?? "").prefix(1024))
            await failed("\(trigger) asked to retry the \(message.messageType) message (attempt \(attempt + 1)): \(reason)")
            guard attempt < Self.deliveryRetries else { return Delivery(traceId: traceId, summary: "\(names) asked to retry; gave up after \(attempt + 1) attempts") }
            let delay = Duration.seconds(1 << attempt)
            Task.detached { [self] in
                try? await Task.sleep(for: delay)
                let again = await deliver(message, revision: current, attempt: attempt + 1)
                logger.notice("\(message.channel == .email ? "email" : "text message") to \(message.recipient), attempt \(attempt + 2): \(again.summary.isEmpty ? "sent" : again.summary)")
            }
            return Delivery(traceId: traceId, summary: "\(names) asked to retry (\(reason)): trying again in \(1 << attempt) s")
        default:
            return Delivery(traceId: traceId, summary: "delivered by \(names)")
        }
    }

    /// Auth0 retries a message a provider action asked to retry up to five times.
    static let deliveryRetries = 5

    /// The custom-email/phone-provider `event`.
    func providerEvent(_ m: OutgoingMessage, tenant: Tenant) -> JSONValue {
        var notification: [String: JSONValue]
        switch m.channel {
        case .email:
            let provider = tenant.unsimulatedFiles["emails/provider.json"].flatMap { try? JSONValue.parse($0) }
            let from = provider?["default_from_address"]?.stringValue ?? "no-reply@\(tenant.settings.domain)"
            notification = [
                "from": .string(from), "to": .string(m.recipient), "subject": .string(m.subject), "text": .string(m.text), "html": .string(m.html),
                "locale": "en", "message_type": .string(m.messageType),
            ]
        case .phone:
            notification = [
                "recipient": .string(m.recipient), "as_text": .string(m.text), "as_voice": .string(m.text), "delivery_method": "text",
                "locale": "en", "message_type": .string(m.messageType),
            ]
            if let code = m.code { notification["code"] = .string(code) }
        }
        var event = messageEventBase(m, tenant: tenant)
        event["notification"] = .object(notification)
        event["tenant"] = ["id": .string(tenant.name), "friendly_name": .string(tenant.name)]
        if let connection = m.connection { event["connection"] = LoginPipeline.eventJSON(connection) }
        return .object(event)
    }

    /// The send-phone-message actions' `event`.
    func phoneMessageEvent(_ m: OutgoingMessage, tenant: Tenant) -> JSONValue {
        var event = messageEventBase(m, tenant: tenant)
        var options: [String: JSONValue] = ["action": .string(m.phoneAction), "message_type": "sms", "recipient": .string(m.recipient), "text": .string(m.text)]
        options["code"] = m.code.map(JSONValue.string) ?? .null
        event["message_options"] = .object(options)
        return .object(event)
    }

    /// `client`, `request`, `tenant` and `user` as every message trigger has them.
    private func messageEventBase(_ m: OutgoingMessage, tenant: Tenant) -> [String: JSONValue] {
        let user: JSONValue = m.user?.json ?? (m.channel == .email ? ["email": .string(m.recipient), "user_metadata": [:], "app_metadata": [:]]
            : ["phone_number": .string(m.recipient), "user_metadata": [:], "app_metadata": [:]])
        var event: [String: JSONValue] = [
            "request": [
                "ip": .string(m.ip), "hostname": .string(tenant.settings.domain), "method": "POST", "user_agent": .string(m.userAgent ?? ""), "language": "en",
                "geoip": LoginPipeline.eventGeoip(tenant.geoip[m.ip] ?? tenant.geoip["default"]),
            ],
            "tenant": ["id": .string(tenant.name)], "user": user,
        ]
        if let client = m.client { event["client"] = LoginPipeline.eventJSON(client) }
        return event
    }

    /// A send-phone-message hook's `context`.
    private func phoneHookContext(_ m: OutgoingMessage) -> JSONValue {
        var context: [String: JSONValue] = [
            "message_type": "sms", "action": .string(m.phoneAction), "language": "en", "code": m.code.map(JSONValue.string) ?? .null, "ip": .string(m.ip),
            "user_agent": .string(m.userAgent ?? ""),
        ]
        if let c = m.client {
            context["client"] = ["client_id": .string(c.clientId), "name": .string(c.name), "client_metadata": .object(c.clientMetadata.mapValues(JSONValue.string))]
        }
        if let u = m.user {
            context["user"] = [
                "user_id": .string(u.userId), "name": u.name.map(JSONValue.string) ?? .null, "email": u.email.map(JSONValue.string) ?? .null,
                "app_metadata": .object(u.appMetadata), "user_metadata": .object(u.userMetadata),
            ]
        } else {
            context["user"] = ["user_metadata": [:], "app_metadata": [:]]
        }
        return .object(context)
    }
}
