import Foundation
import JSONCore

/// Writes tenant changes back in the deploy-cli layout, so changes made through the API are
/// ordinary files (and can be committed with the rest of the tenant).
public enum TenantWriter {
    /// The files a rule lives in, relative paths → contents (nil: absent).
    public typealias Snapshot = [String: String?]

    /// Writes `rules/<stem>.js` and `rules/<stem>.json`; returns what was there before.
    public static func writeRule(directory: String, stem: String, name: String, script: String, order: Int?, enabled: Bool, stage: String) throws -> Snapshot {
        let before = snapshot(directory: directory, stem: stem)
        var meta: [String: JSONValue] = ["name": .string(name), "enabled": .bool(enabled), "stage": .string(stage)]
        if let order { meta["order"] = .number(Double(order)) }
        try FileManager.default.createDirectory(atPath: directory + "/rules", withIntermediateDirectories: true)
        try script.write(toFile: directory + "/rules/\(stem).js", atomically: true, encoding: .utf8)
        try (JSONValue.object(meta).serialized(pretty: true) + "\n").write(toFile: directory + "/rules/\(stem).json", atomically: true, encoding: .utf8)
        return before
    }

    public static func deleteRule(directory: String, stem: String) throws -> Snapshot {
        let before = snapshot(directory: directory, stem: stem)
        for ext in ["js", "json"] {
            let path = directory + "/rules/\(stem).\(ext)"
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        }
        return before
    }

    /// Writes (or, for nil, deletes) files given by relative path; returns what was there before.
    public static func write(directory: String, files: [String: String?]) throws -> Snapshot {
        var before: Snapshot = [:]
        for rel in files.keys { before[rel] = .some(try? String(contentsOfFile: directory + "/" + rel, encoding: .utf8)) }
        for (rel, content) in files {
            let path = directory + "/" + rel
            if let content {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: path, atomically: true, encoding: .utf8)
            } else if FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
            }
        }
        return before
    }

    /// Puts files back as a snapshot had them.
    public static func restore(directory: String, _ snapshot: Snapshot) {
        for (rel, content) in snapshot {
            let path = directory + "/" + rel
            if let content { try? content.write(toFile: path, atomically: true, encoding: .utf8) } else { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    static func snapshot(directory: String, stem: String) -> Snapshot {
        var s: Snapshot = [:]
        for ext in ["js", "json"] {
            let rel = "rules/\(stem).\(ext)"
            s[rel] = .some(try? String(contentsOfFile: directory + "/" + rel, encoding: .utf8))
        }
        return s
    }
}

extension Rule {
    /// The Management API id: stable for the rule's file.
    public var id: String { stableID(prefix: "rul_", file, length: 16) }

    /// The file name without `rules/` and `.js`.
    public var stem: String { String(file.dropFirst("rules/".count).dropLast(3)) }
}
