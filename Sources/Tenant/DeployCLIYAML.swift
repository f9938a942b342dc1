import Foundation
import JSONCore

/// deploy-cli's YAML format: `tenant.yaml`, naming script and page files beside it (paths
/// relative to the YAML's folder), read as the deploy-cli directory it stands for, so the one
/// directory loader reads both formats. What authsim does not simulate stays in the YAML and
/// is reported by `DeployCLIResources`.
enum DeployCLIYAML {
    struct Built {
        var files: [String: String] = [:]
        var origins: [String: String] = [:]
        var notices: [TenantNotice] = []
    }

    static func directoryFiles(
        yaml text: String, file: String, readFile: (String) throws(TenantError) -> String
    ) throws(TenantError) -> Built {
        let doc: JSONValue
        do { doc = try YAMLDocument.parse(text) } catch { throw TenantError(file: file, message: "invalid YAML: \(error.description)") }
        if case .null = doc { return Built() }
        guard let top = doc.objectValue else { throw TenantError(file: file, message: "expected a mapping of deploy-cli resource keys (tenant, rules, clients, …)") }
        var b = Built()
        var names = DeployCLIResources.FileNames()

        func put(_ rel: String, _ text: String, _ origin: String) {
            b.files[rel] = text
            b.origins[rel] = "\(file): \(origin)"
        }
        func stem(_ name: String, in folder: String) -> String { names.stem(name, in: folder) }
        func list(_ key: String) throws(TenantError) -> [[String: JSONValue]] {
            guard let v = top[key], v != .null else { return [] }
            guard let items = v.arrayValue else { throw TenantError(file: file, message: "'\(key)' must be a list") }
            var out: [[String: JSONValue]] = []
            for (i, item) in items.enumerated() {
                guard let o = item.objectValue else { throw TenantError(file: file, message: "\(key)[\(i)] must be a mapping") }
                out.append(o)
            }
            return out
        }
        func label(_ key: String, _ i: Int, _ o: [String: JSONValue]) -> String {
            let name = o["name"]?.stringValue ?? o["key"]?.stringValue
            return name.map { "\(key)[\(i)] (\($0))" } ?? "\(key)[\(i)]"
        }
        /// The text of a file the YAML names, located to its entry when missing.
        func named(_ path: String, _ origin: String) throws(TenantError) -> String {
            do { return try readFile(path) } catch {
                throw TenantError(file: "\(file): \(origin)", message: "names \(path): \(error.message)")
            }
        }
        func json(_ o: [String: JSONValue]) -> String { JSONValue.object(o).serialized() }

        if let t = top["tenant"], t != .null {
            guard t.objectValue != nil else { throw TenantError(file: file, message: "'tenant' must be a mapping") }
            put("tenant.json", t.serialized(), "tenant")
        }
        for (i, var o) in try list("rules").enumerated() {
            let origin = label("rules", i, o)
            guard let name = o["name"]?.stringValue else { throw TenantError(file: "\(file): \(origin)", message: "'name' is required") }
            guard let script = o.removeValue(forKey: "script")?.stringValue else { throw TenantError(file: "\(file): \(origin)", message: "'script' (the rule's file) is required") }
            let s = stem(name, in: "rules")
            put("rules/\(s).js", try named(script, origin), origin)
            put("rules/\(s).json", json(o), origin)
        }
        for (i, o) in try list("rulesConfigs").enumerated() {
            put("rules-configs/\(stem(o["key"]?.stringValue ?? "config-\(i)", in: "rules-configs")).json", json(o), label("rulesConfigs", i, o))
        }
        for (key, folder) in [("clients", "clients"), ("connections", "connections"), ("resourceServers", "resource-servers"), ("roles", "roles")] {
            for (i, o) in try list(key).enumerated() {
                put("\(folder)/\(stem(o["name"]?.stringValue ?? "\(key)-\(i)", in: folder)).json", json(o), label(key, i, o))
            }
        }
        for (i, o) in try list("clientGrants").enumerated() {
            let name = [o["client_id"]?.stringValue, o["audience"]?.stringValue].compactMap { $0 }.joined(separator: "-")
            put("grants/\(stem(name.isEmpty ? "grant-\(i)" : name, in: "grants")).json", json(o), "clientGrants[\(i)]")
        }
        for (i, var o) in try list("databases").enumerated() {
            let origin = label("databases", i, o)
            guard let name = o["name"]?.stringValue else { throw TenantError(file: "\(file): \(origin)", message: "'name' is required") }
            let folder = "database-connections/\(stem(name, in: "database-connections"))"
            var options = o["options"]?.objectValue ?? [:]
            if var scripts = options["customScripts"]?.objectValue {
                for (kind, value) in scripts {
                    guard let path = value.stringValue, !DeployCLIResources.isInlineScript(path) else { continue }
                    put("\(folder)/\(kind).js", try named(path, "\(origin) options.customScripts.\(kind)"), "\(origin) options.customScripts.\(kind)")
                    scripts[kind] = .string("./\(kind).js")
                }
                options["customScripts"] = .object(scripts)
                o["options"] = .object(options)
            }
            put("\(folder)/database.json", json(o), origin)
        }
        for (i, var o) in try list("actions").enumerated() {
            let origin = label("actions", i, o)
            guard let name = o["name"]?.stringValue else { throw TenantError(file: "\(file): \(origin)", message: "'name' is required") }
            let s = stem(name, in: "actions")
            guard let code = o["code"]?.stringValue else { throw TenantError(file: "\(file): \(origin)", message: "'code' (the action's file) is required") }
            let source = DeployCLIResources.isInlineScript(code) ? code : try named(code, origin)
            put("actions/\(s)/code.js", source, origin)
            o["code"] = .string("./actions/\(s)/code.js")
            put("actions/\(s).json", json(o), origin)
        }
        if let t = top["triggers"], t != .null {
            guard t.objectValue != nil else { throw TenantError(file: file, message: "'triggers' must be a mapping of trigger id → bindings") }
            put("triggers/triggers.json", t.serialized(), "triggers")
        }
        if let ap = top["attackProtection"], ap != .null {
            guard let o = ap.objectValue else { throw TenantError(file: file, message: "'attackProtection' must be a mapping") }
            for (key, name) in [("bruteForceProtection", "brute-force-protection"), ("suspiciousIpThrottling", "suspicious-ip-throttling"),
                                ("breachedPasswordDetection", "breached-password-detection"), ("botDetection", "bot-detection"), ("captcha", "captcha")] {
                if let v = o[key], v != .null { put("attack-protection/\(name).json", v.serialized(), "attackProtection.\(key)") }
            }
        }
        // What authsim does not simulate, in the directory layout deploy-cli gives it, so it is
        // validated and reported (and exported) as in a directory tenant.
        for resource in DeployCLIResources.unsimulated {
            guard let v = top[resource.yamlKey], v != .null else { continue }
            for (rel, content) in resource.yamlFiles(v, file, named, notices: &b.notices) { put(rel, content, resource.yamlKey) }
        }
        let known = Set(DeployCLIResources.simulatedYAMLKeys + DeployCLIResources.unsimulated.map(\.yamlKey))
        for unknown in top.keys.sorted() where !known.contains(unknown) {
            b.notices.append(TenantNotice(file: file, message: "'\(unknown)' is not a deploy-cli resource key authsim knows: ignored"))
        }
        return b
    }
}
