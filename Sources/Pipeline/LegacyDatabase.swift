import Directory
import Foundation
import JSONCore
import ScriptRuntime
import Synchronization

/// "Your own database" for local work: user tables kept as JSON arrays in
/// `<tenant>/legacy-db/<table>.json`, reached by custom-database scripts through
/// `require('authsim:legacy-db')`. Each call reads the file, so a hand edit shows at the next
/// call; writes go to a temporary file renamed over the table. One lock per process serializes
/// the calls (a fixture for one developer, not a database server).
public struct LegacyDatabase: Sendable {
    public let directory: String
    private static let lock = Mutex(())

    public init(tenantDirectory: String) {
        directory = (tenantDirectory as NSString).appendingPathComponent("legacy-db")
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The path of a table; names are plain file names (no folders).
    func path(_ table: String) throws -> String {
        guard !table.isEmpty, table.count <= 100, table.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }), !table.hasPrefix(".") else {
            throw Failure(description: "authsim:legacy-db: bad table name '\(table)' (letters, digits, - _ . @)")
        }
        return (directory as NSString).appendingPathComponent(table + ".json")
    }

    public func read(_ table: String) throws -> [[String: JSONValue]] {
        let p = try path(table)
        guard let data = FileManager.default.contents(atPath: p) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [] }
        guard case .array(let rows) = try JSONValue.parse(text) else { throw Failure(description: "\(p): expected a JSON array of records") }
        return rows.compactMap(\.objectValue)
    }

    public func write(_ table: String, _ rows: [[String: JSONValue]]) throws {
        let p = try path(table)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = JSONValue.array(rows.map(JSONValue.object)).serialized(pretty: true) + "\n"
        let temporary = p + ".tmp-\(randomHexID())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else { throw Failure(description: "cannot write \(temporary)") }
        guard rename(temporary, p) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(description: "cannot replace \(p)")
        }
    }

    static func matches(_ row: [String: JSONValue], email: String) -> Bool {
        row["email"]?.stringValue?.lowercased() == email.lowercased()
    }

    static func id(of row: [String: JSONValue]) -> String? {
        row["id"]?.stringValue ?? row["id"]?.intValue.map(String.init) ?? row["user_id"]?.stringValue
    }

    /// One operation: `findByEmail`, `findById`, `find`, `all`, `insert`, `update`, `remove`.
    public func perform(table: String, op: String, args: [JSONValue]) throws -> JSONValue {
        try Self.lock.withLock { _ in
            var rows = try read(table)
            func arg(_ i: Int) -> JSONValue { i < args.count ? args[i] : .null }
            func key(_ v: JSONValue) -> String? { v.stringValue ?? v.intValue.map(String.init) }
            switch op {
            case "findByEmail":
                guard let email = arg(0).stringValue else { return .null }
                return rows.first { Self.matches($0, email: email) }.map(JSONValue.object) ?? .null
            case "findById":
                guard let id = key(arg(0)) else { return .null }
                return rows.first { Self.id(of: $0) == id }.map(JSONValue.object) ?? .null
            case "find":
                let query = arg(0).objectValue ?? [:]
                return .array(rows.filter { row in query.allSatisfy { row[$0.key] == $0.value } }.map(JSONValue.object))
            case "all":
                return .array(rows.map(JSONValue.object))
            case "insert":
                guard var record = arg(0).objectValue else { throw Failure(description: "insert needs a record object") }
                if let email = record["email"]?.stringValue, rows.contains(where: { Self.matches($0, email: email) }) {
                    throw Failure(description: "a record with email \(email) already exists")
                }
                let id = Self.id(of: record) ?? randomHexID()
                if rows.contains(where: { Self.id(of: $0) == id }) { throw Failure(description: "a record with id \(id) already exists") }
                record["id"] = .string(id)
                rows.append(record)
                try write(table, rows)
                return .object(record)
            case "update":
                guard let id = key(arg(0)), let changes = arg(1).objectValue else { throw Failure(description: "update needs an id (or email) and a changes object") }
                guard let i = rows.firstIndex(where: { Self.id(of: $0) == id || Self.matches($0, email: id) }) else { return .null }
                for (k, v) in changes {
                    if k == "id" { continue }
                    if v.isNull { rows[i].removeValue(forKey: k) } else { rows[i][k] = v }
                }
                try write(table, rows)
                return .object(rows[i])
            case "remove":
                guard let id = key(arg(0)) else { return false }
                let before = rows.count
                rows.removeAll { Self.id(of: $0) == id || Self.matches($0, email: id) }
                if rows.count == before { return false }
                try write(table, rows)
                return true
            default:
                throw Failure(description: "authsim:legacy-db has no operation '\(op)'")
            }
        }
    }

    /// The host functions behind `authsim:legacy-db` (its tables are the job's tenant's) and
    /// the `bcrypt` module.
    static func hostFunctions() -> (sync: [String: SyncHostFunction], async: [String: AsyncHostFunction]) {
        let legacy: AsyncHostFunction = { json, environment in
            guard let db = (environment as? FlowEnvironment)?.legacyDatabase else { throw Failure(description: "authsim:legacy-db is not available here") }
            let a = try JSONValue.parse(json)
            guard let table = a["table"]?.stringValue, let op = a["op"]?.stringValue else { throw Failure(description: "legacyDB: bad call") }
            return try db.perform(table: table, op: op, args: a["args"]?.arrayValue ?? []).serialized()
        }
        let hash: SyncHostFunction = { json, _ in try Self.bcryptHash(json) }
        let compare: SyncHostFunction = { json, _ in
            let a = try JSONValue.parse(json)
            return PasswordHasher.verify(a["password"]?.stringValue ?? "", hash: a["hash"]?.stringValue ?? "") ? "true" : "false"
        }
        let salt: SyncHostFunction = { json, _ in
            let rounds = try JSONValue.parse(json)["rounds"]?.intValue ?? PasswordHasher.defaultCost
            return JSONValue.string(try PasswordHasher.salt(cost: rounds)).serialized()
        }
        return (
            ["bcrypt.hash": hash, "bcrypt.compare": compare, "bcrypt.salt": salt],
            ["legacyDB": legacy, "bcrypt.hashAsync": { json, env in try hash(json, env) }, "bcrypt.compareAsync": { json, env in try compare(json, env) }]
        )
    }

    static func bcryptHash(_ json: String) throws -> String {
        let a = try JSONValue.parse(json)
        let password = a["password"]?.stringValue ?? ""
        if let salt = a["salt"]?.stringValue {
            guard let h = PasswordHasher.hash(password, setting: salt) else { throw Failure(description: "Invalid salt. Salt must be in the form of: $Vers$log2(NumRounds)$saltvalue") }
            return JSONValue.string(h).serialized()
        }
        return JSONValue.string(try PasswordHasher.hash(password, cost: a["rounds"]?.intValue ?? PasswordHasher.defaultCost)).serialized()
    }
}
