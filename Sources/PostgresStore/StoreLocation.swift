import Directory
import Foundation

/// `--store`: a SQLite file path (the embedded default) or a `postgres://` URL.
public enum StoreLocation {
    public static func isPostgres(_ spec: String) -> Bool {
        spec.hasPrefix("postgres://") || spec.hasPrefix("postgresql://")
    }

    public static func open(_ spec: String) async throws -> any DataStore {
        if isPostgres(spec) { return try await PostgresUserStore(url: spec) }
        return try SQLiteUserStore(path: spec)
    }
}
