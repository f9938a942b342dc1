import Directory
import Foundation
import JSONCore
import LoginEngine
import ScriptRuntime
import Server
import Tenant
import Tokens

/// A property that failed for one input: the input and what was wrong.
public struct FuzzFailure: Error, CustomStringConvertible {
    public var target: FuzzTarget
    public var input: [UInt8]
    public var message: String
    public init(target: FuzzTarget, input: [UInt8], message: String) {
        self.target = target
        self.input = input
        self.message = message
    }

    public var description: String {
        "\(target.rawValue): \(message)\ninput (\(input.count) bytes, base64): \(Data(input).base64EncodedString())"
    }
}

/// What one input did: parsed/loaded (accepted) or refused with the parser's own error.
public enum FuzzOutcome: Sendable { case accepted, refused }

/// The fuzz targets: the user query parser, the metadata merge (with the JSON parser and
/// serializer under it), the JWT parser and verifier, the tenant directory loader, the address
/// parsers (IP addresses and CIDR ranges of allowlists and trusted proxies, web origins), the
/// attack-protection settings documents, and the request parsers ahead of the routes (form
/// bodies, multipart bodies, `Host` values, `X-Forwarded-For`), and the WebAssembly meter. Each
/// takes arbitrary bytes and checks properties that must hold for every input; a failed
/// property is a `FuzzFailure` (the libFuzzer driver turns it into a crash).
public enum FuzzTarget: String, CaseIterable, Sendable {
    case query, merge, jwt, tenant, address, protection, request, wasm

    public func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(FuzzFailure) {
            if !ok { throw FuzzFailure(target: self, input: input, message: message()) }
        }
        switch self {
        case .query: return try Self.query(input, check)
        case .merge: return try Self.merge(input, check)
        case .jwt: return try Self.jwt(input, check)
        case .tenant: return try Self.tenant(input, check)
        case .address: return try Self.address(input, check)
        case .protection: return try Self.protection(input, check)
        case .request: return try Self.request(input, check)
        case .wasm: return try Self.wasm(input, check)
        }
    }

    typealias Check = (Bool, @autoclosure () -> String) throws(FuzzFailure) -> Void

    // MARK: - user query

    static let sampleUsers: [JSONValue] = [
        (try? JSONValue.parse(#"{"user_id": "auth0|1", "email": "ann@example.com", "name": "Ann Admin", "logins_count": 3, "blocked": false, "email_verified": true, "created_at": "2026-01-02T03:04:05.000Z", "identities": [{"provider": "auth0", "connection": "Username-Password-Authentication"}], "app_metadata": {"plan": "gold", "roles": ["admin"]}, "user_metadata": {"lang": "en", "n": 1.5}}"#)) ?? .null,
        (try? JSONValue.parse(#"{"user_id": "github|2", "email": "bob@example.org", "nickname": "bob", "logins_count": 0, "identities": [{"provider": "github", "connection": "github", "isSocial": true}], "app_metadata": {}, "user_metadata": {"lang": null}}"#)) ?? .null,
        .object([:]),
    ]

    static func query(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: input, as: UTF8.self)
        let parsed: UserQuery
        do { parsed = try UserQuery.parse(text) } catch {
            try check(error.position >= 0 && error.position <= text.utf8.count + 1, "syntax error position \(error.position) outside the input")
            try check(!error.message.isEmpty, "syntax error without a message")
            return .refused
        }
        // Parsing is a function of the text, and evaluating never traps.
        try check((try? UserQuery.parse(text)) == parsed, "the same text parsed to two different queries")
        for user in sampleUsers { _ = parsed.matches(user) }
        _ = try? UserQuery.sort(sampleUsers, by: text)
        return .accepted
    }

    // MARK: - metadata merge (and JSON)

    /// Input: the current metadata and a patch, separated by the first newline.
    static func merge(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        let cut = input.firstIndex(of: 0x0A) ?? input.endIndex
        let documents = [Array(input[..<cut]), cut < input.endIndex ? Array(input[(cut + 1)...]) : []]
        var values: [JSONValue] = []
        for bytes in documents {
            guard let v = try? JSONValue.parse(bytes: bytes) else { return .refused }
            // The serializer's output parses back to the same value.
            let text = v.serialized()
            let again = try? JSONValue.parse(text)
            try check(again == v, "serialize/parse round trip changed \(text)")
            values.append(v)
        }
        guard case .object(let current) = values[0] else { return .refused }
        let patch = values[1]
        for kind in MetadataKind.allCases {
            let merged: [String: JSONValue]
            do { merged = try MetadataMerge.apply(patch, to: current, kind: kind) } catch {
                try check(!String(describing: error).isEmpty, "a refused patch without a message")
                continue
            }
            guard case .object(let p) = patch else {
                throw FuzzFailure(target: .merge, input: input, message: "a non-object patch was applied")
            }
            if p.isEmpty {
                try check(merged.isEmpty, "an empty patch must clear the metadata")
                continue
            }
            for (k, v) in p {
                if v.isNull {
                    try check(merged[k] == nil, "key \(k) set to null survived the merge")
                } else {
                    try check(merged[k] == v, "key \(k) does not hold the patch's value")
                }
            }
            for (k, v) in current where p[k] == nil { try check(merged[k] == v, "key \(k), not in the patch, changed") }
            for k in merged.keys { try check(p[k] != nil || current[k] != nil, "key \(k) came from nowhere") }
            // Applying the same patch again changes nothing.
            let twice = try? MetadataMerge.apply(patch, to: merged, kind: kind)
            try check(twice == merged, "the merge is not idempotent")
        }
        return .accepted
    }

    // MARK: - JWT

    /// One key for the whole process, and one token it signed (a seed for the drivers).
    static let reference: (jwks: JSONValue, token: String)? = {
        guard let key = try? SigningKeys.generate() else { return nil }
        let jwks = JSONValue.object(["keys": .array([key.jwk])])
        let claims: JSONValue = ["iss": "https://fuzz.local/", "sub": "auth0|fuzz", "aud": "fuzz", "iat": 1_700_000_000, "exp": 4_000_000_000, "scope": "read:users"]
        guard let token = try? JWT.signRS256(claims: claims, key: key) else { return nil }
        return (jwks, token)
    }()

    static func jwt(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: input, as: UTF8.self)
        let decoded: JWT.Decoded
        do { decoded = try JWT.decode(text) } catch {
            try check(String(describing: error).hasPrefix("Malformed JWT"), "decode failed with \(error)")
            return .refused
        }
        try check(decoded.signingInput.split(separator: ".", omittingEmptySubsequences: false).count == 2, "signing input is not two parts")
        guard let reference else { return .accepted }
        switch JWT.verifyRS256(decoded, jwks: reference.jwks) {
        case .success:
            // Only the one token the key signed (give or take surrounding white space) verifies.
            let expected = try? JWT.decode(reference.token)
            try check(decoded.signingInput == expected?.signingInput && decoded.signature == expected?.signature, "a token the key never signed verified")
        case .failure: break
        }
        return .accepted
    }

    // MARK: - tenant directory

    /// The files an input may write, by the number in its first byte of each entry.
    static let tenantPaths = [
        "tenant.json", "rules/a.js", "rules/a.json", "rules/b.js", "rules/b.json", "rules-configs/k.json", "clients/app.json",
        "connections/c.json", "database-connections/db/database.json", "database-connections/db/login.js",
        "database-connections/db/get_user.js", "resource-servers/api.json", "roles/r.json", "users/db.json", "actions/act.json",
        "actions/act/code.js", "triggers/triggers.json", "client-grants/g.json", "geoip.json", "rules/c.json",
        // 21…: deploy-cli's YAML format and the files it names, what authsim does not simulate, keywords.
        "tenant.yaml", "rules/x.js", "databases/db/login.js", "actions/act/current_version.js", "organizations/o.json", "hooks/h.json",
        "hooks/h.js", "emails/verify_email.json", "emails/verify_email.html", "pages/login.json", "guardian/policies.json", "grants/g.json",
        "config.json", "attack-protection/brute-force-protection.json", "attack-protection/captcha.json",
    ]

    /// Input: entries separated by 0x00, each a path number (one byte) and the file's content.
    /// They are written into a fresh directory, which the loader then reads.
    static func tenant(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        let dir = TenantScratch.shared.fresh()
        for entry in input.split(separator: 0, omittingEmptySubsequences: true) {
            let rel = tenantPaths[Int(entry[entry.startIndex]) % tenantPaths.count]
            let path = dir + "/" + rel
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: Data(entry.dropFirst()))
        }
        let tenant: Tenant
        do { tenant = try TenantLoader.load(directory: dir, environment: [:]) } catch {
            try check(!error.file.isEmpty && !error.message.isEmpty, "a tenant error without file or message")
            try check(!error.file.hasPrefix("/") || error.file.hasPrefix(dir), "a tenant error names a file outside the tenant: \(error.file)")
            return .refused
        }
        // Whatever loaded came from inside the directory.
        let files = tenant.rules.map(\.file) + tenant.actions.map(\.file) + tenant.connections.flatMap { $0.scripts.values.map(\.file) }
        for f in files {
            let path = f.split(separator: "#").first.map(String.init) ?? f
            try check(!path.hasPrefix("/") && !path.split(separator: "/").contains(".."), "a script file outside the tenant: \(f)")
        }
        // What loaded exports, and the export loads as the same tenant.
        let out = dir + "-export"
        try? FileManager.default.removeItem(atPath: out)
        defer { try? FileManager.default.removeItem(atPath: out) }
        do { try TenantExporter.write(tenant, to: out) } catch { try check(false, "a loaded tenant did not export: \(error)") }
        let again: Tenant
        do { again = try TenantLoader.load(directory: out, environment: [:]) } catch {
            try check(false, "the export of a loaded tenant does not load: \(error)")
            return .accepted
        }
        try check(again.settings == tenant.settings, "the export changed the settings")
        // Everything but the files' names (a name the exporter had to make safe may change).
        func rules(_ t: Tenant) -> [String] { t.rules.map { "\($0.name)|\($0.source)|\($0.order.map(String.init) ?? "-")|\($0.enabled)|\($0.stage.rawValue)" } }
        try check(rules(again) == rules(tenant), "the export changed the rules")
        try check(again.configuration == tenant.configuration, "the export changed the rules' configuration")
        try check(again.clients == tenant.clients, "the export changed the clients")
        func connections(_ t: Tenant) -> [JSONValue] {
            t.connections.map { c in
                ["name": .string(c.name), "id": .string(c.id), "strategy": .string(c.strategy), "metadata": .object(c.metadata.mapValues(JSONValue.string)),
                 "enabled": c.enabledClients.map { .array($0.map(JSONValue.string)) } ?? .null, "custom": .bool(c.usesCustomScripts),
                 "scripts": .object(c.scripts.mapValues { .string($0.source) }),
                 "options": .object(c.options.filter { $0.key != "customScripts" })]
            }
        }
        try check(connections(again) == connections(tenant), "the export changed the connections")
        try check(again.resourceServers == tenant.resourceServers && again.roles == tenant.roles, "the export changed the APIs or roles")
        try check(again.clientGrants == tenant.clientGrants, "the export changed the grants")
        func actions(_ t: Tenant) -> [Action] { t.actions.map { var a = $0; a.file = ""; return a } }
        try check(actions(again) == actions(tenant), "the export changed the actions")
        try check(again.triggerBindings == tenant.triggerBindings, "the export changed the bindings")
        try check(again.unsimulatedFiles == tenant.unsimulatedFiles, "the export changed what authsim does not simulate")
        return .accepted
    }
}

extension FuzzTarget {
    // MARK: - addresses

    /// Input: text, read as an IP address or CIDR range and as a web origin.
    static func address(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        let text = String(decoding: input, as: UTF8.self)
        var accepted = false
        if let range = IPRange(text) {
            accepted = true
            try check(IPRange(text) == range, "the same text parsed to two different ranges")
            let address = String(text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0])
            // A range holds its own address; an address alone (no prefix) holds only itself.
            try check(range.contains(address), "\(text) does not contain its own address")
            if !text.contains("/") {
                try check(IPRange(address + (address.contains(":") ? "/128" : "/32")) == range, "\(text) is not its own full-length range")
            }
            try check(!range.contains(text + "x") || text.contains("/"), "an address with trailing garbage is contained")
        }
        if let origin = WebOrigin(text) {
            accepted = true
            // An origin's text parses back to itself and matches itself; a pattern matches only
            // origins of its scheme and port.
            let again = WebOrigin(origin.description)
            try check(again == origin, "origin \(text) → \(origin) does not parse back to itself (\(again.map(\.description) ?? "nil"))")
            try check(origin.matches(origin), "\(origin) does not match itself")
            for other in ["https://a.example.com", "http://a.example.com:8080", "https://x.y.example.com"].compactMap(WebOrigin.init) where origin.matches(other) {
                try check(other.scheme == origin.scheme && other.port == origin.port, "\(origin) matches \(other) of another scheme or port")
                try check(origin.host == other.host || origin.host.hasPrefix("*."), "\(origin) matches the other host \(other)")
            }
        }
        return accepted ? .accepted : .refused
    }

    // MARK: - attack-protection settings

    /// Input: a settings document (JSON), read as brute-force protection and as suspicious-IP
    /// throttling.
    static func protection(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        guard let v = try? JSONValue.parse(bytes: input) else { return .refused }
        var accepted = false
        switch Result(catching: { () throws(TenantError) in try AttackProtectionSettings.BruteForce.parse(v, file: "b.json") }) {
        case .success(let b):
            accepted = true
            try check((1...100).contains(b.maxAttempts), "max_attempts \(b.maxAttempts) outside 1…100")
            try check(b.allowlist.allSatisfy { IPRange($0) != nil }, "an allowlist entry that is not an address")
            // What the API serves reads back to the same settings.
            try check((try? AttackProtectionSettings.BruteForce.parse(b.json, file: "b.json")) == b, "brute-force settings do not round-trip through their document")
        case .failure(let error):
            try check(error.file == "b.json" && !error.message.isEmpty, "a refusal without its file or message")
        }
        switch Result(catching: { () throws(TenantError) in try AttackProtectionSettings.SuspiciousIPThrottling.parse(v, file: "t.json") }) {
        case .success(let t):
            accepted = true
            for stage in [t.preLogin, t.preUserRegistration, t.preCustomTokenExchange] {
                try check(stage.maxAttempts >= 1 && stage.rateMs >= 1 && stage.rateMs <= 86_400_000 && stage.rateMs.isFinite, "a stage outside Auth0's bounds: \(stage)")
            }
            try check((try? AttackProtectionSettings.SuspiciousIPThrottling.parse(t.json, file: "t.json")) == t, "throttling settings do not round-trip through their document")
        case .failure(let error):
            try check(error.file == "t.json" && !error.message.isEmpty, "a refusal without its file or message")
        }
        return accepted ? .accepted : .refused
    }
}

extension FuzzTarget {
    // MARK: - request parsers

    /// `s` percent-encoded as a form value (everything but letters, digits and `-._~`).
    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    // MARK: - WebAssembly meter

    /// Input: a module. The meter never traps; what it writes it reads again, with the same
    /// memory and table accounting, and its output is a version 1 module.
    static func wasm(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        let limits = WasmMeter.Limits(memoryPages: 64, tableElements: 4096, moduleBytes: 1 << 20)
        let once: WasmMeter.Metered
        do throws(WasmMeter.Refusal) { once = try WasmMeter.meter(input, limits: limits) } catch {
            try check(!error.message.isEmpty, "a refusal without a message")
            return .refused
        }
        try check(once.bytes.starts(with: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]), "the metered module has no header")
        try check(once.memoryBytes <= 64 * 65536 * 100_000 && once.tableElements >= 0, "impossible accounting")
        let twice: WasmMeter.Metered
        do throws(WasmMeter.Refusal) { twice = try WasmMeter.reread(once.bytes, limits: limits) } catch {
            try check(false, "the meter refused its own output: \(error.message)")
            return .refused
        }
        try check(twice.memoryBytes == once.memoryBytes && twice.tableElements == once.tableElements, "metering again changed the accounting")
        return .accepted
    }

    /// Input: its first byte chooses the parser (form, multipart, Host, X-Forwarded-For), the
    /// rest is the text it reads.
    static func request(_ input: [UInt8], _ check: Check) throws(FuzzFailure) -> FuzzOutcome {
        guard let first = input.first else { return .refused }
        let text = String(decoding: input.dropFirst(), as: UTF8.self)
        switch first % 4 {
        case 0:
            // A form: keys are never empty, and what it decodes to encodes and decodes back.
            let fields = RequestParsers.form(text)
            try check(!fields.keys.contains(""), "an empty form key")
            let again = RequestParsers.form(fields.sorted { $0.key < $1.key }.map { formEncode($0.key) + "=" + formEncode($0.value) }.joined(separator: "&"))
            try check(again == fields, "form fields do not survive encoding and decoding: \(fields) → \(again)")
            return fields.isEmpty ? .refused : .accepted
        case 1:
            // A multipart body (boundary on the first line): parts have names, and parts with
            // plain names written out again with a fresh boundary parse back the same.
            let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            let boundary = String(lines[0])
            guard !boundary.isEmpty, lines.count == 2 else { return .refused }
            _ = RequestParsers.multipartBoundary("multipart/form-data; boundary=" + boundary)
            let parts = RequestParsers.multipart(String(lines[1]), boundary: boundary)
            typealias Part = (name: String, filename: String?, content: String)
            func plainName(_ n: String) -> Bool {
                !n.isEmpty && n.trimmingCharacters(in: .whitespaces) == n && !n.contains("--authsim-fuzz-boundary")
                    && !n.contains(where: { c in c == "\"" || c == ";" || c == "=" || c == "\r" || c == "\n" || c == "\r\n" || c == "\\" })
            }
            var plain: [Part] = []
            for p in parts where plainName(p.name) && (p.filename.map(plainName) ?? true) {
                if p.content.contains("--authsim-fuzz-boundary") || p.content.hasPrefix("\n") || p.content.hasPrefix("\r") { continue }
                plain.append(p)
            }
            var body = ""
            for p in plain {
                body += "--authsim-fuzz-boundary\r\nContent-Disposition: form-data; name=\"" + p.name + "\""
                if let f = p.filename { body += "; filename=\"" + f + "\"" }
                body += "\r\n\r\n" + p.content + "\r\n"
            }
            body += "--authsim-fuzz-boundary--\r\n"
            let again = RequestParsers.multipart(body, boundary: "authsim-fuzz-boundary")
            let same = again.map(\.name) == plain.map(\.name) && again.map(\.filename) == plain.map(\.filename) && again.map(\.content) == plain.map(\.content)
            try check(same, "multipart parts do not survive writing and parsing")
            return parts.isEmpty ? .refused : .accepted
        case 2:
            // A Host value: its host name is lower-case and a fixed point.
            let name = RequestParsers.hostname(text)
            try check(name == name.lowercased(), "host name \(name) is not lower-case")
            try check(RequestParsers.hostname(name) == name, "host name \(name) of \(text) is not a fixed point")
            return name.isEmpty ? .refused : .accepted
        default:
            // X-Forwarded-For behind 10.0.0.0/8: the client is an address of the list, never a
            // trusted proxy, never a range.
            let values = text.split(separator: "\n").map(String.init)
            guard let client = RequestParsers.forwardedClient(values, trusted: ["10.0.0.0/8"]) else { return .refused }
            try check(IPRange(client) != nil && !client.contains("/"), "forwarded client \(client) is not an address")
            try check(!(IPRange("10.0.0.0/8")?.contains(client) ?? true), "a trusted proxy \(client) was taken as the client")
            try check(values.joined(separator: ",").contains(client), "forwarded client \(client) is not in the header")
            return .accepted
        }
    }
}

/// One scratch directory per process for the tenant target, emptied before each input.
final class TenantScratch: @unchecked Sendable {
    static let shared = TenantScratch()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-fuzz-tenant-\(getpid())").path
    private var n = 0
    private let lock = NSLock()

    func fresh() -> String {
        lock.withLock {
            try? FileManager.default.removeItem(atPath: root)
            n += 1
            let dir = root + "/t\(n % 2)"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return dir
        }
    }
}
