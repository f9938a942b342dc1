import Foundation
import JSONCore

/// Node's `require` resolution, confined to a set of module folders: a request resolves to a
/// file inside one of the roots or to nothing. Paths are compared lexically (after `.` and `..`
/// are folded), so `require('../../etc/passwd')` cannot leave the roots, while symbolic links
/// installed inside a root (Debian links `moment.js` into /usr/share/javascript) still work.
struct ModuleResolver: Sendable {
    /// Every folder searched, in order: the embedder's, then the system's.
    let roots: [String]
    /// Debian's package folders (see `SystemModules`).
    let systemRoots: [String]

    init(roots: [String], systemRoots: [String] = []) {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { ModuleResolver.normalize(p.hasPrefix("/") ? p : cwd + "/" + p) }
        let own = roots.map(absolute)
        self.systemRoots = systemRoots.map(absolute)
        self.roots = own + self.systemRoots.filter { !own.contains($0) }
    }

    /// Host function: `{request, from}` → `{path, dir, json, display}` or `null`. Nothing is
    /// read: the loader reads a file (`read`) only when its context has not loaded it yet.
    /// `display` names the file in stack traces and errors without the host's folders.
    func resolve(argumentsJSON: String) throws -> String {
        let args = try JSONValue.parse(argumentsJSON)
        guard let request = args["request"]?.stringValue else { return "null" }
        let found = args["system"]?.boolValue == true ? resolveSystem(request) : resolve(request, from: args["from"]?.stringValue)
        guard let path = found else { return "null" }
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        return JSONValue.object([
            "path": .string(path), "dir": .string(dir), "json": .bool(path.hasSuffix(".json")), "display": .string(display(path)),
        ]).serialized()
    }

    /// A module file as scripts see it in errors: `node_modules/<its path under its module
    /// folder>`, whichever folder on the host it was found in.
    func display(_ path: String) -> String {
        guard let root = root(containing: path) else { return "node_modules/" + (path.split(separator: "/").last.map(String.init) ?? "") }
        return "node_modules/" + path.dropFirst(root.count).drop { $0 == "/" }
    }

    /// Host function: `{path}` (a resolved path) → the file's source.
    func read(argumentsJSON: String) throws -> String {
        let args = try JSONValue.parse(argumentsJSON)
        guard let raw = args["path"]?.stringValue else { throw ModuleError("read needs a path") }
        let path = ModuleResolver.normalize(raw)
        guard root(containing: path) != nil, isFile(path), var source = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ModuleError("Cannot read module file \(display(path))")
        }
        if source.hasPrefix("#!") { source = "//" + source.dropFirst(2) }
        return JSONValue.string(source).serialized()
    }

    func resolve(_ request: String, from: String?) -> String? {
        if request.hasPrefix("/") {
            return fileOrDirectory(ModuleResolver.normalize(request))
        }
        if request == "." || request == ".." || request.hasPrefix("./") || request.hasPrefix("../") {
            guard let from else { return nil }
            return fileOrDirectory(ModuleResolver.normalize(from + "/" + request))
        }
        for dir in searchDirectories(from: from) {
            if let r = fileOrDirectory(dir + "/" + request) { return r }
        }
        // A package under the name scripts knew it by, installed under its new one.
        for (old, new) in Self.renamed where request == old || request.hasPrefix(old + "/") {
            return resolve(new + request.dropFirst(old.count), from: from)
        }
        return nil
    }

    /// Packages that moved to a new name (Auth0's sandbox had them under the old one):
    /// `require('xmldom')` finds `@xmldom/xmldom` when no `xmldom` is installed.
    static let renamed: [(old: String, new: String)] = [("xmldom", "@xmldom/xmldom")]

    /// A package from the system folders only (what the runtime's own modules are built on, so
    /// that a tenant's copy of another version cannot change them).
    func resolveSystem(_ request: String) -> String? {
        guard !request.hasPrefix("/"), !request.hasPrefix(".") else { return nil }
        for dir in systemRoots {
            if let r = fileOrDirectory(dir + "/" + request) { return r }
        }
        return nil
    }

    /// `node_modules` folders above the requiring file (inside a root), then the roots.
    private func searchDirectories(from: String?) -> [String] {
        var dirs: [String] = []
        if let from, let root = root(containing: from) {
            var d = from
            while d.count > root.count {
                if !d.hasSuffix("/node_modules") { dirs.append(d + "/node_modules") }
                d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
            }
        }
        for r in roots where !dirs.contains(r) { dirs.append(r) }
        return dirs
    }

    private func root(containing path: String) -> String? {
        roots.first { path == $0 || path.hasPrefix($0 + "/") }
    }

    private func fileOrDirectory(_ path: String) -> String? {
        let path = ModuleResolver.normalize(path)
        guard root(containing: path) != nil else { return nil }
        for candidate in [path, path + ".js", path + ".json", path + ".cjs"] where isFile(candidate) {
            return candidate
        }
        guard isDirectory(path) else { return nil }
        if isFile(path + "/package.json"), let main = packageMain(path + "/package.json") {
            let target = ModuleResolver.normalize(path + "/" + main)
            if target != path, let r = fileOrDirectory(target) { return r }
        }
        for index in ["index.js", "index.json", "index.cjs"] where isFile(path + "/" + index) {
            return path + "/" + index
        }
        return nil
    }

    /// `main`, or the CommonJS entry of a simple `exports` map.
    private func packageMain(_ file: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8), let pkg = try? JSONValue.parse(text) else { return nil }
        if let main = pkg["main"]?.stringValue, !main.isEmpty { return main }
        var exports = pkg["exports"]
        if let dot = exports?["."] { exports = dot }
        for _ in 0..<4 {
            if let s = exports?.stringValue { return s }
            guard let o = exports?.objectValue else { return nil }
            exports = o["require"] ?? o["node"] ?? o["default"]
        }
        return nil
    }

    private func isFile(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && !dir.boolValue
    }

    private func isDirectory(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }

    /// Folds `.`, `..` and repeated slashes without touching the file system.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for p in path.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(p)
        }
        return "/" + parts.joined(separator: "/")
    }
}

struct ModuleError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Where Debian's JavaScript packages are: `/usr/share/nodejs` (what apt installs), and the folder
/// `make` unpacks the packages apt will not install on this machine into (`apt-get download` and
/// `dpkg -x`, because they depend on Debian's `nodejs`): `.build/debian-nodejs/usr/share/nodejs`,
/// found from the running binary, or `AUTHSIM_NODE_PACKAGES` when set.
public enum SystemModules {
    public static let paths: [String] = {
        var paths = ["/usr/share/nodejs"]
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["AUTHSIM_NODE_PACKAGES"], !env.isEmpty {
            paths.append(env)
            return paths
        }
        let tail = "debian-nodejs/usr/share/nodejs"
        var candidates: [URL] = []
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent(tail))
                candidates.append(dir.appendingPathComponent(".build/" + tail))
                dir = dir.deletingLastPathComponent()
            }
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent(".build/" + tail))
        if let found = candidates.first(where: { var d: ObjCBool = false; return fm.fileExists(atPath: $0.path, isDirectory: &d) && d.boolValue }) {
            paths.append(found.standardizedFileURL.path)
        }
        return paths
    }()
}
