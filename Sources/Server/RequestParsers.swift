/// The parsers of what a request brings before any route sees it, as one public surface for
/// the fuzz targets (`Fuzzing`): form bodies and queries, `multipart/form-data` bodies, `Host`
/// values and `X-Forwarded-For` lists. Each is the implementation the daemon uses.
public enum RequestParsers {
    /// `application/x-www-form-urlencoded` (and form-style queries): `+` is a space.
    public static func form(_ text: String) -> [String: String] { FormEncoding.decode(text) }

    /// A `multipart/form-data` body's parts as (name, file name, content).
    public static func multipart(_ body: String, boundary: String) -> [(name: String, filename: String?, content: String)] {
        Multipart.parse(body, boundary: boundary).map { ($0.name, $0.filename, $0.content) }
    }

    /// The boundary of a `multipart/form-data` content type.
    public static func multipartBoundary(_ contentType: String) -> String? { Multipart.boundary(contentType) }

    /// The host name a `Host` value names (lower-cased, no port, brackets or trailing dot).
    public static func hostname(_ authority: String) -> String { HostCheckMiddleware.hostname(authority) }

    /// The client behind trusted proxies from `X-Forwarded-For` values.
    public static func forwardedClient(_ values: [String], trusted: [String]) -> String? {
        ForwardedForMiddleware.client(forwardedFor: values, trusted: trusted)
    }
}
