/// OAuth scope strings: space-delimited (RFC 6749 §3.3). Split by the byte, not by `Character`:
/// Management API tokens carry a hundred scopes, and grapheme-aware splitting of them cost more
/// than the rest of the request's token check.
public enum ScopeList {
    /// The scopes of `scope`, in order, empty ones dropped.
    public static func split(_ scope: String) -> [String] {
        scope.utf8.split(separator: UInt8(ascii: " ")).map { String(Substring($0)) }
    }
}
