import Foundation
import JSONCore

/// Tenant changes in the deploy-cli layout: the files a rule is made of, and writing such files
/// to the tenant directory, so that changes made through the API are ordinary files (and can be
/// committed with the rest of the tenant). A store keeping the changes holds the same files.
public enum TenantWriter {
    /// The files a rule lives in, relative paths → contents (nil: absent).
    public typealias Snapshot = [String: String?]

    /// A rule's two files, `rules/<stem>.js` and `rules/<stem>.json`.
    public static func ruleFiles(stem: String, name: String, script: String, order: Int?, enabled: Bool, stage: String) -> [String: String?] {
        var meta: [String: JSONValue] = ["name": .string(name), "enabled": .bool(enabled), "stage": .string(stage)]
        if let order { meta["order"] = .number(Double(order)) }
        return ["rules/\(stem).js": script, "rules/\(stem).json": JSONValue.object(meta).serialized(pretty: true) + "\n"]
    }

    /// Deletions of a rule's two files.
    public static func ruleDeletion(stem: String) -> [String: String?] {
        let gone: String? = nil
        return ["rules/\(stem).js": gone, "rules/\(stem).json": gone]
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
}

extension Rule {
    /// The Management API id: stable for the rule's file.
    public var id: String { stableID(prefix: "rul_", file, length: 16) }

    /// The file name without `rules/` and `.js`.
    public var stem: String { String(file.dropFirst("rules/".count).dropLast(3)) }
}
