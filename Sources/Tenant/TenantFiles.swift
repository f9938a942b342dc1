import Foundation
import JSONCore

/// A tenant's files by path relative to its directory, in deploy-cli's directory layout, with
/// the store's run-time changes (the overlay) laid over them. A deploy-cli directory gives them
/// as they are on disk; a deploy-cli YAML tenant (`tenant.yaml`) gives the directory it stands
/// for, built from the YAML and the files it names (`DeployCLIYAML`), so one loader reads both.
struct TenantFiles {
    enum Format: Equatable { case directory, yaml(file: String) }

    let directory: String
    let format: Format
    /// The YAML's files (directory layout; keywords already replaced), nil for a directory.
    private let generated: [String: String]?
    /// Where in the YAML a generated file came from, for errors (`tenant.yaml: rules[0] (name)`).
    let origins: [String: String]
    /// What reading the YAML found to report.
    let notices: [TenantNotice]
    /// The files the YAML names (absolute paths), for change polling.
    let named: [String]
    private let overlay: [String: String?]
    private let root: String
    private let mappings: [String: JSONValue]
    private(set) var hasher = FNV1a()
    private let fm = FileManager.default

    /// authsim's own files, read from the disk beside a YAML tenant too.
    static func isAuthsimOwn(_ rel: String) -> Bool { rel == "geoip.json" || rel == "config.json" || rel.hasPrefix("users/") }

    init(directory: String, overlay: [String: String?], environment: [String: String]) throws(TenantError) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            if isDir.boolValue == false, directory.hasSuffix(".yaml") || directory.hasSuffix(".yml"), FileManager.default.fileExists(atPath: directory) {
                throw TenantError(file: directory, message: "a tenant is a directory: name the folder that holds the deploy-cli YAML file (as tenant.yaml)")
            }
            throw TenantError(file: directory, message: "tenant directory not found")
        }
        self.directory = directory
        self.overlay = overlay.filter { TenantLoader.isOverlayPath($0.key) }
        self.root = TenantLoader.resolved(directory) ?? directory
        self.mappings = try TenantLoader.keywordMappings(directory: directory, environment: environment)
        if !mappings.isEmpty { hasher.add(JSONValue.object(mappings).serialized()) }
        let yamlName = ["tenant.yaml", "tenant.yml"].first { FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
        guard let yamlName else {
            format = .directory
            generated = nil
            origins = [:]
            notices = []
            named = []
            return
        }
        if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("tenant.json")) {
            throw TenantError(
                file: yamlName,
                message: "the directory has both tenant.json (deploy-cli's directory format) and \(yamlName) (its YAML format): keep the one this tenant is in")
        }
        format = .yaml(file: yamlName)
        let root = self.root, mappings = self.mappings
        var namedPaths: [String] = []
        let raw = try Self.readDisk(directory: directory, root: root, yamlName)
        hasher.add(yamlName)
        hasher.add(raw)
        let built = try DeployCLIYAML.directoryFiles(
            yaml: TenantLoader.replaceKeywords(raw, mappings), file: yamlName,
            readFile: { (rel: String) throws(TenantError) -> String in
                namedPaths.append((directory as NSString).appendingPathComponent(TenantLoader.normalize(rel)))
                let text = try Self.readDisk(directory: directory, root: root, rel)
                return TenantLoader.replaceKeywords(text, mappings)
            })
        generated = built.files
        origins = built.origins
        notices = built.notices
        named = namedPaths
        for (rel, text) in built.files.sorted(by: { $0.key < $1.key }) {
            hasher.add(rel)
            hasher.add(text)
        }
    }

    func path(_ rel: String) -> String { (directory as NSString).appendingPathComponent(rel) }

    private func fromDisk(_ rel: String) -> Bool { generated == nil || Self.isAuthsimOwn(rel) }

    func exists(_ rel: String) -> Bool {
        if let over = overlay[rel] { return over != nil }
        if !fromDisk(rel) { return generated?[rel] != nil }
        return fm.fileExists(atPath: path(rel))
    }

    /// A file's text, keywords replaced (deploy-cli's `##KEY##` / `@@KEY@@`).
    mutating func read(_ rel: String) throws(TenantError) -> String {
        var text: String
        if let over = overlay[rel] {
            guard let over else { throw TenantError(file: rel, message: "cannot read file") }
            text = over
        } else if !fromDisk(rel) {
            guard let g = generated?[rel] else { throw TenantError(file: rel, message: "cannot read file") }
            hasher.add(rel)
            return g
        } else {
            text = try Self.readDisk(directory: directory, root: root, rel)
        }
        hasher.add(rel)
        hasher.add(text)
        if !mappings.isEmpty { text = TenantLoader.replaceKeywords(text, mappings) }
        return text
    }

    mutating func readJSON(_ rel: String) throws(TenantError) -> JSONValue {
        let text = try read(rel)
        do { return try JSONValue.parse(text) } catch {
            if let keyword = TenantLoader.unmappedKeyword(in: text) {
                throw TenantError(
                    file: rel, line: error.line,
                    message: "uses the keyword \(keyword), which no mapping gives (AUTH0_KEYWORD_REPLACE_MAPPINGS in the tenant's config.json or the environment)")
            }
            throw TenantError(file: rel, line: error.line, message: "invalid JSON: \(error.message) (column \(error.column))")
        }
    }

    /// The names of a folder's files ending `.ext` (not hidden), overlay included.
    func list(_ rel: String, ext: String) -> [String] {
        var names: Set<String>
        if fromDisk(rel + "/") {
            names = Set(((try? fm.contentsOfDirectory(atPath: path(rel))) ?? []).filter { $0.hasSuffix("." + ext) && !$0.hasPrefix(".") && !isFolder(rel + "/" + $0) })
        } else {
            names = Set((generated ?? [:]).keys.compactMap { key -> String? in
                guard key.hasPrefix(rel + "/") else { return nil }
                let name = String(key.dropFirst(rel.count + 1))
                return !name.contains("/") && name.hasSuffix("." + ext) ? name : nil
            })
        }
        for (key, content) in overlay where key.hasPrefix(rel + "/") && key.hasSuffix("." + ext) {
            let name = String(key.dropFirst(rel.count + 1))
            guard !name.contains("/") else { continue }
            if content == nil { names.remove(name) } else { names.insert(name) }
        }
        return names.sorted()
    }

    /// The names of a folder's sub-folders (not hidden).
    func folders(_ rel: String) -> [String] {
        if let generated {
            return Set(generated.keys.compactMap { key -> String? in
                guard key.hasPrefix(rel + "/") else { return nil }
                let rest = key.dropFirst(rel.count + 1).split(separator: "/", omittingEmptySubsequences: false)
                return rest.count > 1 ? String(rest[0]) : nil
            }).sorted()
        }
        return ((try? fm.contentsOfDirectory(atPath: path(rel))) ?? []).filter { !$0.hasPrefix(".") && isFolder(rel + "/" + $0) }.sorted()
    }

    /// Every file under a folder (relative paths, not hidden), for resources read as they are.
    func files(under rel: String) -> [String] {
        var listed = Set(filesAsRead(under: rel))
        for (key, content) in overlay where key.hasPrefix(rel + "/") {
            if content == nil { listed.remove(key) } else { listed.insert(key) }
        }
        return listed.sorted()
    }

    /// The same, from the directory or the YAML only (no overlay).
    private func filesAsRead(under rel: String) -> [String] {
        if let generated { return generated.keys.filter { $0.hasPrefix(rel + "/") }.sorted() }
        var out: [String] = []
        // Each real folder once, inside the tenant only (a link to `..` or `/` is not walked).
        var seen = Set<String>()
        let inside = root.hasSuffix("/") ? root : root + "/"
        func visit(_ r: String) {
            guard let real = TenantLoader.resolved(path(r)), real.hasPrefix(inside), seen.insert(real).inserted, seen.count <= 10_000 else { return }
            for child in ((try? fm.contentsOfDirectory(atPath: path(r))) ?? []).sorted() where !child.hasPrefix(".") {
                let c = r + "/" + child
                if isFolder(c) { visit(c) } else { out.append(c) }
            }
        }
        visit(rel)
        return out
    }

    private func isFolder(_ rel: String) -> Bool {
        var isDir: ObjCBool = false
        return fm.fileExists(atPath: path(rel), isDirectory: &isDir) && isDir.boolValue
    }

    /// Fails when a path is a symbolic link out of the tenant directory.
    func checkInside(_ rel: String) throws(TenantError) { try Self.inside(directory: directory, root: root, rel) }

    static func inside(directory: String, root: String, _ rel: String) throws(TenantError) {
        guard let real = TenantLoader.resolved((directory as NSString).appendingPathComponent(rel)) else { return }
        guard real.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw TenantError(file: rel, message: "is a symbolic link to \(real), outside the tenant directory: tenant files must be inside it")
        }
    }

    /// A file of the directory, read only inside it (a symbolic link may point within, never out).
    static func readDisk(directory: String, root: String, _ rel: String) throws(TenantError) -> String {
        let normalized = TenantLoader.normalize(rel)
        guard !rel.hasPrefix("/"), normalized.split(separator: "/").first != ".." else {
            throw TenantError(file: rel, message: "is outside the tenant directory: tenant files must be inside it")
        }
        try inside(directory: directory, root: root, normalized)
        guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(normalized)) else {
            throw TenantError(file: normalized, message: "cannot read file")
        }
        guard let t = String(data: data, encoding: .utf8) else { throw TenantError(file: normalized, message: "file is not UTF-8 text") }
        return t
    }

    /// An error located in a generated file, pointed at the YAML instead.
    func located(_ e: TenantError) -> TenantError {
        guard let origin = origins[e.file] else { return e }
        return TenantError(file: origin, message: e.message)
    }
}
