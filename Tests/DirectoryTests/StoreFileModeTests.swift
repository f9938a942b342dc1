import Foundation
import Testing

@testable import Directory

#if canImport(Glibc)
import Glibc
#endif

/// The store holds the signing keys: it is private to its owner from the moment it exists.
@Suite(.serialized) struct StoreFileModeTests {
    func mode(_ path: String) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { return -1 }
        return Int(st.st_mode) & 0o777
    }

    @Test func aNewStoreAndItsDirectoryAreOwnerOnlyWhateverTheUmask() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-modes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let old = umask(0o000)
        defer { umask(old) }
        let path = root + "/data/authsim.sqlite"
        let store = try SQLiteUserStore(path: path)
        try await store.insert(UserProfile(userId: "auth0|modes", connection: "c", email: "modes@example.com"))
        #expect(mode(root + "/data") == 0o700)
        #expect(mode(path) == 0o600)
        #expect(mode(path + "-wal") == 0o600, "SQLite gives the journal the store file's mode")
        #expect(SQLiteUserStore.permissionWarnings(path: path).isEmpty)
    }

    @Test func looserModesAreReportedAndLeftAlone() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-modes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let path = root + "/authsim.sqlite"
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        _ = try SQLiteUserStore(path: path)
        #expect(mode(path) == 0o644, "an existing store keeps the mode its owner gave it")
        let warnings = SQLiteUserStore.permissionWarnings(path: path)
        #expect(warnings.contains { $0.contains("store file \(path) has mode 644") && $0.contains("chmod 600") })
        #expect(warnings.contains { $0.contains("data directory \(root) has mode 755") })
    }
}
