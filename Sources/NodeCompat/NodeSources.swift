/// The JavaScript half of NodeCompat: one file per module in `JS/`, embedded at build time and
/// named `authsim:node/<name>.js` in errors and stacks. They are runtime files
/// (`ScriptFile.Kind.runtime`): each gets the runtime's private object `rt` and registers a module
/// factory with `rt.define`; a factory runs once per context, on its first `require`, inside
/// `rt.loadModule`, so that what one login does to a module's exports is undone before the next.
enum NodeSources {
    /// In evaluation order: `core` (the registry and `require`) first, the drivers last.
    static let all: [(name: String, source: String)] = [
        ("core", PackageResources.core_js), ("errors", PackageResources.errors_js), ("buffer", PackageResources.buffer_js),
        ("events", PackageResources.events_js), ("util", PackageResources.util_js),
        ("querystring", PackageResources.querystring_js), ("punycode", PackageResources.punycode_js),
        ("url", PackageResources.url_js),
        ("cipher", PackageResources.cipher_js), ("crypto", PackageResources.crypto_js), ("assert", PackageResources.assert_js),
        ("uuid", PackageResources.uuid_js), ("jsonwebtoken", PackageResources.jsonwebtoken_js),
        ("http-client", PackageResources.http_client_js), ("request", PackageResources.request_js),
        ("axios", PackageResources.axios_js), ("node-fetch", PackageResources.node_fetch_js),
        ("stream", PackageResources.stream_js), ("string_decoder", PackageResources.string_decoder_js),
        ("net", PackageResources.net_js), ("tls", PackageResources.tls_js), ("dns", PackageResources.dns_js),
        ("path", PackageResources.path_js), ("zlib", PackageResources.zlib_js), ("http", PackageResources.http_js),
        ("web", PackageResources.web_js), ("drivers", PackageResources.drivers_js),
    ].map { ($0.0, String(decoding: $0.1, as: UTF8.self)) }
}
