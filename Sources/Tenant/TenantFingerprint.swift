import Foundation
import JSONCore

/// A cheap summary of the tenant files (paths, sizes, modification times) for change polling.
public enum TenantFingerprint {
    /// What the loader reads; anything else in the directory (build output, stores) is ignored.
    static let entries = [
        "tenant.json", "config.json", "geoip.json", "rules", "rules-configs", "clients", "client-grants", "grants", "connections",
        "database-connections", "resource-servers", "roles", "users", "actions", "triggers", "attack-protection",
        // deploy-cli's YAML format and the folders its export writes scripts to.
        "tenant.yaml", "tenant.yml", "databases", "emailTemplates", "branding_templates",
    ]

    /// `alsoWatching`: more files or folders (absolute paths), e.g. a test suite.
    public static func of(directory: String, alsoWatching: [String] = []) -> String {
        let fm = FileManager.default
        var h = FNV1a()
        func visit(_ path: String, _ rel: String) {
            guard let attrs = try? fm.attributesOfItem(atPath: path) else { return }
            if (attrs[.type] as? FileAttributeType) == .typeDirectory {
                for child in ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted() where !child.hasPrefix(".") {
                    visit(path + "/" + child, rel + "/" + child)
                }
                return
            }
            h.add(rel)
            h.add(String((attrs[.size] as? NSNumber)?.int64Value ?? -1))
            h.add(String((attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0))
        }
        for e in entries + DeployCLIResources.watchedPaths { visit((directory as NSString).appendingPathComponent(e), e) }
        for path in alsoWatching { visit(path, path) }
        return h.hex
    }
}
