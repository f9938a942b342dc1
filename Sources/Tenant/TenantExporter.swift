import Foundation
import JSONCore

/// A loaded tenant written out in deploy-cli's directory format: a YAML tenant, or a tenant
/// with the rules, actions and bindings the Management API saved in the store, as files to
/// commit or to import with deploy-cli. Loading what it writes gives the same tenant.
public enum TenantExporter {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The files (relative path → text), in the layout deploy-cli writes.
    public static func files(of tenant: Tenant) -> [String: String] {
        var out: [String: String] = [:]
        var names = DeployCLIResources.FileNames()
        func doc(_ o: [String: JSONValue]) -> String { JSONValue.object(o).serialized(pretty: true) + "\n" }
        func stem(_ name: String, in folder: String) -> String { names.stem(name, in: folder) }

        // What authsim does not simulate first: the simulated resources below win a shared path.
        for (rel, text) in tenant.unsimulatedFiles { out[rel] = text }

        if !tenant.tenantDocument.isEmpty { out["tenant.json"] = doc(tenant.tenantDocument) }
        out["attack-protection/brute-force-protection.json"] = tenant.settings.attackProtection.bruteForce.json.serialized(pretty: true) + "\n"
        out["attack-protection/suspicious-ip-throttling.json"] = tenant.settings.attackProtection.suspiciousIPThrottling.json.serialized(pretty: true) + "\n"

        for rule in tenant.rules {
            let s = stem(rule.stem, in: "rules")
            var meta: [String: JSONValue] = [
                "name": .string(rule.name), "script": .string("./\(s).js"), "enabled": .bool(rule.enabled), "stage": .string(rule.stage.rawValue),
            ]
            if let order = rule.order { meta["order"] = .number(Double(order)) }
            out["rules/\(s).js"] = rule.source
            out["rules/\(s).json"] = doc(meta)
        }
        for (key, value) in tenant.configuration {
            out["rules-configs/\(stem(key, in: "rules-configs")).json"] = doc(["key": .string(key), "value": .string(value)])
        }
        for client in tenant.clients {
            let o = client.raw
            out["clients/\(stem(client.name, in: "clients")).json"] = doc(o)
        }
        // A database connection goes back to the folder it was read from, else one named after it.
        var folders: [String: String] = [:]
        for c in tenant.connections where c.isDatabase {
            let parts = c.definitionFile.split(separator: "/").map(String.init)
            guard parts.count == 3, parts[0] == "database-connections", !names.isTaken(parts[1], in: "database-connections") else { continue }
            names.claim(parts[1], in: "database-connections")
            folders[c.name] = parts[1]
        }
        for c in tenant.connections {
            // The document as read (a name or id it lacks comes back the same from the file's name).
            var o = c.raw
            if o.isEmpty { o = ["name": .string(c.name), "strategy": .string(c.strategy)] }
            guard c.isDatabase else {
                out["connections/\(stem(c.name, in: "connections")).json"] = doc(o)
                continue
            }
            let name = folders[c.name] ?? stem(c.name, in: "database-connections")
            let folder = "database-connections/" + name
            if !c.scripts.isEmpty {
                var options = o["options"]?.objectValue ?? [:]
                var named: [String: JSONValue] = [:]
                for (kind, script) in c.scripts {
                    out["\(folder)/\(kind).js"] = script.source
                    named[kind] = .string("./\(kind).js")
                }
                options["customScripts"] = .object(named)
                o["options"] = .object(options)
            }
            out["\(folder)/database.json"] = doc(o)
        }
        for api in tenant.resourceServers {
            var o = api.raw
            if o["identifier"] == nil { o = ["name": .string(api.name), "identifier": .string(api.identifier)] }
            out["resource-servers/\(stem(api.name, in: "resource-servers")).json"] = doc(o)
        }
        for role in tenant.roles {
            out["roles/\(stem(role.name, in: "roles")).json"] = doc([
                "name": .string(role.name), "description": .string(role.description),
                "permissions": .array(role.permissions.map { ["resource_server_identifier": .string($0.resourceServer), "permission_name": .string($0.permission)] }),
            ])
        }
        for g in tenant.clientGrants {
            // deploy-cli names the client by its name, so the grant follows the client to another tenant.
            // (by id when another client has the same name).
            let named = tenant.clients.first { $0.clientId == g.clientId }?.name
            let client = named.flatMap { n in tenant.clients.filter { $0.name == n }.count == 1 ? n : nil } ?? g.clientId
            out["grants/\(stem("\(client)-\(g.audience)", in: "grants")).json"] = doc([
                "client_id": .string(client), "audience": .string(g.audience), "scope": .array(g.scope.map(JSONValue.string)),
            ])
        }
        for action in tenant.actions {
            let s = stem(action.name, in: "actions")
            var o: [String: JSONValue] = [
                "name": .string(action.name), "code": .string("./actions/\(s)/code.js"), "runtime": .string(action.runtime),
                "deployed": .bool(action.deployed), "status": "built",
                "dependencies": .array(action.dependencies.map { ["name": .string($0.name), "version": .string($0.version)] }),
                "secrets": .array(action.secrets.sorted { $0.key < $1.key }.map { ["name": .string($0.key), "value": .string($0.value)] }),
                "supported_triggers": .array(action.supportedTriggers.map { ["id": .string($0), "version": .string(action.triggerVersions[$0] ?? Action.currentVersion(of: $0))] }),
            ]
            if action.version != 0 { o["authsim_version"] = .number(Double(action.version)) }
            out["actions/\(s)/code.js"] = action.source
            if let draft = action.draft { out[Action.draftFile(for: "actions/\(s)/code.js")] = draft }
            out["actions/\(s).json"] = doc(o)
        }
        if !tenant.triggerBindings.isEmpty {
            var o: [String: JSONValue] = [:]
            for (trigger, names) in tenant.triggerBindings {
                o[trigger] = .array(names.map { ["action_name": .string($0), "display_name": .string($0)] })
            }
            out["triggers/triggers.json"] = doc(o)
        }
        if !tenant.geoip.isEmpty { out["geoip.json"] = doc(tenant.geoip) }
        return out
    }

    /// Writes the tenant to `directory`, which must not exist or be empty; returns the paths written.
    @discardableResult
    public static func write(_ tenant: Tenant, to directory: String) throws(Failure) -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw Failure(description: "\(directory) is a file, not a directory") }
            guard ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).isEmpty else {
                throw Failure(description: "\(directory) is not empty: export into a new or empty directory")
            }
        }
        var files = Self.files(of: tenant).mapValues { Data($0.utf8) }
        // Seed users are authsim's own files: copied as they are.
        for seed in tenant.seedUserFiles {
            guard let data = fm.contents(atPath: seed.path) else { throw Failure(description: "cannot read the seed users file \(seed.path)") }
            files["users/\(seed.connection).json"] = data
        }
        do {
            for (rel, data) in files.sorted(by: { $0.key < $1.key }) {
                let path = (directory as NSString).appendingPathComponent(rel)
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: path))
            }
        } catch {
            throw Failure(description: "could not write \(directory): \(error.localizedDescription)")
        }
        return files.keys.sorted()
    }
}
