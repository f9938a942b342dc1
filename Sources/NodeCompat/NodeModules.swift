import ScriptRuntime

/// Node.js compatibility for scripts written for Auth0's Node sandbox: the globals (`Buffer`,
/// `process`, `URL`, `TextEncoder`, `fetch`, …), the built-in modules implemented by the host
/// (`crypto`, `url`, `querystring`, `util`, `buffer`, `events`, `assert`, `uuid`,
/// `jsonwebtoken`, and the HTTP clients `request`, `axios`, `node-fetch`) and a CommonJS loader
/// for pure-JavaScript packages in `node_modules` folders.
///
/// An embedder adds `files` to its program ahead of its own scripts and merges the host
/// functions. The files are runtime files: they put `rt.require` (the loader, for the embedder's
/// own runtime files to hand to user code), `rt.define` and `rt.outbound` (a function told of
/// each outbound HTTP call, for the trace) on the runtime's private object; scripts get
/// `require` only as the embedder passes it to them.
public struct NodeModules: Sendable {
    public struct Configuration: Sendable {
        /// `node_modules`-style folders searched for packages, in order.
        public var modulePaths: [String]
        /// The folders of Debian's JavaScript packages, searched after `modulePaths`; the runtime's
        /// own modules built on them (`stream` on `readable-stream`) look only here.
        public var systemPaths: [String]
        /// Expose the pre-Node-16 bare globals (`_`, `request`, `jwt`, `q`, `uuid`, …) that
        /// `require` can resolve.
        public var legacyGlobals: Bool

        public init(modulePaths: [String] = [], legacyGlobals: Bool = false, systemPaths: [String] = SystemModules.paths) {
            self.modulePaths = modulePaths
            self.systemPaths = systemPaths
            self.legacyGlobals = legacyGlobals
        }
    }

    public let configuration: Configuration
    let resolver: ModuleResolver

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.resolver = ModuleResolver(roots: configuration.modulePaths, systemRoots: configuration.systemPaths)
    }

    /// The scripts that set the environment up, to evaluate before the embedder's own.
    public var files: [ScriptFile] {
        var files = NodeSources.all.map { ScriptFile(name: "authsim:node/\($0.name).js", source: $0.source, kind: .runtime) }
        if configuration.legacyGlobals {
            files.append(ScriptFile(name: "authsim:node/legacy-globals.js", source: "rt.installLegacyGlobals();\n", kind: .runtime))
        }
        return files
    }

    public var syncFunctions: [String: SyncHostFunction] {
        let resolver = self.resolver
        let own: [String: SyncHostFunction] = [
            "node.resolve": { json, _ in try resolver.resolve(argumentsJSON: json) },
            "node.read": { json, _ in try resolver.read(argumentsJSON: json) },
            "node.hash": HostCrypto.hash,
            "node.hmac": HostCrypto.hmac,
            "node.random": HostCrypto.random,
            "node.sign": HostCrypto.sign,
            "node.verify": HostCrypto.verify,
            "node.pbkdf2": HostCrypto.pbkdf2,
            "node.aes": HostCipher.aes,
            "node.zlib": HostZlib.process,
        ]
        return own.merging(NetSockets.functions.sync) { a, _ in a }
    }

    public var asyncFunctions: [String: AsyncHostFunction] {
        let own: [String: AsyncHostFunction] = ["node.http": OutboundHTTP.send]
        return own.merging(NetSockets.functions.async) { a, _ in a }
    }
}
