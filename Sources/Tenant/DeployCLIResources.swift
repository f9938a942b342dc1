import Foundation
import JSONCore

/// deploy-cli's resources beyond the ones authsim simulates: where each lives in the directory
/// format and under which key in the YAML format. They are read, checked (JSON that parses, the
/// files they name present) and reported once as not simulated, never dropped and never fatal;
/// `TenantExporter` writes them back as they were read.
enum DeployCLIResources {
    /// The YAML keys the loader turns into what it simulates.
    static let simulatedYAMLKeys = [
        "tenant", "rules", "rulesConfigs", "clients", "connections", "databases", "resourceServers", "roles", "clientGrants", "actions",
        "triggers", "attackProtection",
    ]

    enum Shape {
        /// One file per item in a folder; `file`: a field naming a file beside the item (its
        /// extension), read in the YAML format like deploy-cli does.
        case list(folder: String, nameKeys: [String], file: (field: String, ext: String)?)
        /// One document in one file.
        case document(file: String)
    }

    struct Resource {
        let yamlKey: String
        /// What the notice calls the items.
        let what: String
        let shape: Shape
        /// Where the directory format keeps it (folders end in `/`).
        let paths: [String]
        let why: String
        /// Read into the model (`Hook`, `TokenExchangeProfile`) besides being kept as read:
        /// checked and kept like the rest, never reported as not simulated.
        let simulated: Bool

        init(_ yamlKey: String, _ what: String, _ shape: Shape, paths: [String]? = nil, why: String = "", simulated: Bool = false) {
            self.yamlKey = yamlKey
            self.what = what
            self.shape = shape
            switch shape {
            case .list(let folder, _, _): self.paths = paths ?? [folder + "/"]
            case .document(let file): self.paths = paths ?? [file]
            }
            self.why = why
            self.simulated = simulated
        }

        /// The YAML value in the directory layout: file path → text. Nothing here is fatal: an
        /// item that is not a mapping, or a file it names that cannot be read, is reported and
        /// the rest kept (the item with the path it named).
        func yamlFiles(
            _ value: JSONValue, _ yamlFile: String, _ readNamed: (String, String) throws(TenantError) -> String, notices: inout [TenantNotice]
        ) -> [(String, String)] {
            func read(_ path: String, _ origin: String) -> String? {
                do { return try readNamed(path, origin) } catch {
                    notices.append(TenantNotice(file: error.file, message: error.message + " (not simulated: kept without it)"))
                    return nil
                }
            }
            switch shape {
            case .document(let file):
                // branding's templates: deploy-cli reads branding_templates/<template>.html.
                guard yamlKey == "branding", case .object(var o) = value, let templates = o.removeValue(forKey: "templates")?.arrayValue else {
                    return [(file, value.serialized())]
                }
                var out: [(String, String)] = [(file, JSONValue.object(o).serialized())]
                for (i, t) in templates.enumerated() {
                    guard let name = t["template"]?.stringValue, !DeployCLIResources.fileName(name).isEmpty else { continue }
                    let stem = DeployCLIResources.fileName(name)
                    if let html = read("./branding_templates/\(stem).html", "branding.templates[\(i)]") { out.append(("branding/templates/\(stem).html", html)) }
                    out.append(("branding/templates/\(stem).json", JSONValue.object(["template": .string(name), "body": .string("./\(stem).html")]).serialized()))
                }
                return out
            case .list(let folder, let nameKeys, let fileField):
                guard let items = value.arrayValue else {
                    notices.append(TenantNotice(file: yamlFile, message: "'\(yamlKey)' must be a list: not read"))
                    return []
                }
                var out: [(String, String)] = []
                var names = FileNames()
                for (i, item) in items.enumerated() {
                    guard var o = item.objectValue else {
                        notices.append(TenantNotice(file: yamlFile, message: "\(yamlKey)[\(i)] must be a mapping: not read"))
                        continue
                    }
                    let stem = names.stem(nameKeys.lazy.compactMap { o[$0]?.stringValue }.first ?? "\(yamlKey)-\(i)", in: folder)
                    if let (field, ext) = fileField, let path = o[field]?.stringValue, !DeployCLIResources.isInlineScript(path),
                        let text = read(path, "\(yamlKey)[\(i)] \(field)")
                    {
                        if ext == "json" {
                            // forms and flows: the file holds the item's body, merged into it.
                            if case .object(let body)? = try? JSONValue.parse(text) {
                                o.removeValue(forKey: field)
                                for (k, v) in body where o[k] == nil { o[k] = v }
                            } else {
                                notices.append(TenantNotice(file: "\(yamlFile): \(yamlKey)[\(i)] \(field)", message: "\(path) is not a JSON object: kept as named"))
                            }
                        } else {
                            out.append(("\(folder)/\(stem).\(ext)", text))
                            o[field] = .string("./\(stem).\(ext)")
                        }
                    }
                    out.append(("\(folder)/\(stem).json", JSONValue.object(o).serialized()))
                }
                return out
            }
        }
    }

    static let unsimulated: [Resource] = [
        Resource("hooks", "hooks", .list(folder: "hooks", nameKeys: ["name"], file: ("script", "js")), simulated: true),
        Resource("organizations", "organizations", .list(folder: "organizations", nameKeys: ["name"], file: nil), simulated: true),
        Resource("pages", "pages", .list(folder: "pages", nameKeys: ["name"], file: ("html", "html")), why: "authsim shows its own login pages"),
        Resource("emailTemplates", "email templates", .list(folder: "emails", nameKeys: ["template"], file: ("body", "html")),
                 why: "authsim prints its messages to the daemon log"),
        Resource("emailProvider", "email provider", .document(file: "emails/provider.json"), why: "authsim prints its messages to the daemon log"),
        Resource("guardianFactors", "guardian factors", .list(folder: "guardian/factors", nameKeys: ["name"], file: nil)),
        Resource("guardianFactorProviders", "guardian factor providers", .list(folder: "guardian/providers", nameKeys: ["name", "provider"], file: nil)),
        Resource("guardianFactorTemplates", "guardian factor templates", .list(folder: "guardian/templates", nameKeys: ["name"], file: nil)),
        Resource("guardianPhoneFactorMessageTypes", "guardian phone message types", .document(file: "guardian/phoneFactorMessageTypes.json")),
        Resource("guardianPhoneFactorSelectedProvider", "guardian phone provider", .document(file: "guardian/phoneFactorSelectedProvider.json")),
        Resource("guardianPolicies", "guardian policies", .document(file: "guardian/policies.json")),
        Resource("guardianSettings", "guardian settings", .document(file: "guardian/settings.json")),
        Resource("guardianEmailFactorSettings", "guardian email settings", .document(file: "guardian/emailFactorSettings.json")),
        Resource("branding", "branding", .document(file: "branding/branding.json"), paths: ["branding/"], why: "authsim shows its own login pages"),
        Resource("prompts", "prompts", .document(file: "prompts/prompts.json"), paths: ["prompts/"], why: "authsim shows its own login pages"),
        Resource("themes", "themes", .list(folder: "themes", nameKeys: ["displayName", "themeId"], file: nil), why: "authsim shows its own login pages"),
        Resource("logStreams", "log streams", .list(folder: "log-streams", nameKeys: ["name"], file: nil), why: "read the logs with GET /api/v2/logs"),
        Resource("customDomains", "custom domains", .document(file: "custom-domains/custom-domains.json"), paths: ["custom-domains/"],
                 why: "name extra host names with serve --allowed-host"),
        Resource("migrations", "migrations", .document(file: "migrations.json")),
        Resource("supplementalSignals", "supplemental signals", .document(file: "supplemental-signals.json")),
        Resource("riskAssessment", "risk assessment settings", .document(file: "risk-assessment/settings.json"), paths: ["risk-assessment/"]),
        Resource("riskAssessments", "risk assessment settings", .document(file: "risk-assessment/settings.json"), paths: []),
        Resource("phoneProviders", "phone providers", .document(file: "phone-providers/provider.json"), paths: ["phone-providers/"],
                 why: "authsim prints its messages to the daemon log"),
        Resource("phoneTemplates", "phone templates", .list(folder: "phone-templates", nameKeys: ["type"], file: nil)),
        Resource("actionModules", "action modules", .list(folder: "action-modules", nameKeys: ["name"], file: ("code", "js")), paths: ["action-modules/"]),
        Resource("forms", "forms", .list(folder: "forms", nameKeys: ["name"], file: ("body", "json"))),
        Resource("flows", "flows", .list(folder: "flows", nameKeys: ["name"], file: ("body", "json"))),
        Resource("flowVaultConnections", "flow vault connections", .list(folder: "flow-vault-connections", nameKeys: ["name"], file: nil)),
        Resource("selfServiceProfiles", "self-service profiles", .list(folder: "self-service-profiles", nameKeys: ["name"], file: nil)),
        Resource("networkACLs", "network ACLs", .list(folder: "network-acls", nameKeys: ["description"], file: nil)),
        Resource("userAttributeProfiles", "user attribute profiles", .list(folder: "user-attribute-profiles", nameKeys: ["name"], file: nil)),
        Resource("connectionProfiles", "connection profiles", .list(folder: "connection-profiles", nameKeys: ["name"], file: nil)),
        Resource("tokenExchangeProfiles", "token exchange profiles", .list(folder: "token-exchange-profiles", nameKeys: ["name"], file: nil), simulated: true),
        Resource("rateLimitPolicies", "rate limit policies", .list(folder: "rate-limit-policies", nameKeys: ["name"], file: nil)),
        Resource("eventStreams", "event streams", .list(folder: "event-streams", nameKeys: ["name"], file: nil)),
    ]

    /// Attack-protection settings deploy-cli keeps beside the two authsim enforces.
    static let unsimulatedAttackProtection = [
        "attack-protection/breached-password-detection.json", "attack-protection/bot-detection.json", "attack-protection/captcha.json",
    ]

    /// Every path the directory format may hold, simulated or not (for change polling).
    static var watchedPaths: [String] {
        var out = Set(unsimulated.flatMap(\.paths).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 })
        out.formUnion(unsimulated.flatMap(\.paths).compactMap { $0.split(separator: "/").first.map(String.init) })
        return out.sorted()
    }

    /// Reads, checks and reports what authsim does not simulate; returns its files (path → text).
    static func read(_ files: inout TenantFiles, notices: inout [TenantNotice]) -> [String: String] {
        var kept: [String: String] = [:]
        var seen = Set<String>()
        for resource in unsimulated {
            var paths: [String] = []
            for p in resource.paths {
                if p.hasSuffix("/") {
                    paths += files.files(under: String(p.dropLast()))
                } else if files.exists(p) {
                    paths.append(p)
                }
            }
            // emails/ holds the provider (its own resource) besides the templates.
            if resource.yamlKey == "emailTemplates" { paths.removeAll { $0 == "emails/provider.json" } }
            paths.removeAll { seen.contains($0) }
            guard !paths.isEmpty else { continue }
            seen.formUnion(paths)
            var items = 0
            for rel in paths {
                let text: String
                do { text = try files.read(rel) } catch {
                    notices.append(TenantNotice(file: rel, message: "\(error.message): skipped"))
                    continue
                }
                kept[rel] = text
                guard rel.hasSuffix(".json") else { continue }
                items += 1
                let doc: JSONValue
                do { doc = try JSONValue.parse(text) } catch {
                    notices.append(TenantNotice(file: rel, message: "invalid JSON (line \(error.line)): \(error.message); kept as it is"))
                    continue
                }
                if case .list(let folder, _, let fileField?) = resource.shape, rel.hasPrefix(folder + "/"),
                    let named = doc[fileField.field]?.stringValue, !isInlineScript(named)
                {
                    let target = TenantLoader.normalize(folder + "/" + named)
                    if !files.exists(target) { notices.append(TenantNotice(file: rel, message: "'\(fileField.field)' names \(target), which does not exist")) }
                }
            }
            guard !resource.simulated else { continue }
            let place = resource.paths.first ?? resource.yamlKey
            let why = resource.why.isEmpty ? "" : " (\(resource.why))"
            notices.append(TenantNotice(
                file: place,
                message: "\(items == 1 || items == 0 ? resource.what : "\(items) \(resource.what)"): read and checked, not simulated by authsim\(why); kept for `authsim tenant export`"))
        }
        for rel in unsimulatedAttackProtection where files.exists(rel) {
            guard let text = try? files.read(rel) else { continue }
            kept[rel] = text
            notices.append(TenantNotice(file: rel, message: "read, not simulated by authsim (brute-force protection and suspicious-IP throttling are); kept for `authsim tenant export`"))
        }
        return kept
    }

    /// File names for resources, unique within each folder (case-insensitively, as on some disks).
    struct FileNames {
        private var used: [String: Set<String>] = [:]

        /// `name` as a file name (without extension), `-2`, `-3`, … added when the folder has it.
        mutating func stem(_ name: String, in folder: String) -> String {
            var s = DeployCLIResources.fileName(name)
            if s.isEmpty { s = "unnamed" }
            var candidate = s
            var n = 2
            while used[folder, default: []].contains(candidate.lowercased()) {
                candidate = "\(s)-\(n)"
                n += 1
            }
            claim(candidate, in: folder)
            return candidate
        }

        func isTaken(_ name: String, in folder: String) -> Bool { used[folder, default: []].contains(name.lowercased()) }

        /// Marks a name taken as it is.
        mutating func claim(_ name: String, in folder: String) { used[folder, default: []].insert(name.lowercased()) }
    }

    /// A resource name as a file name (as deploy-cli's sanitizer makes it): no path separators,
    /// reserved characters or control characters, no leading dots.
    static func fileName(_ name: String) -> String {
        let reserved = Set("/\\?<>:*|\"")
        var s = String(name.unicodeScalars.filter { !reserved.contains(Character($0)) && $0.value >= 0x20 && $0.value != 0x7f }.map(Character.init))
        while s.hasPrefix(".") { s.removeFirst() }
        return String(s.prefix(200))
    }

    /// Whether a value that usually names a file is the script itself (the Management API's shape).
    static func isInlineScript(_ value: String) -> Bool {
        value.contains("function") || value.contains("=>") || value.contains("\n") || value.contains("{")
    }
}
