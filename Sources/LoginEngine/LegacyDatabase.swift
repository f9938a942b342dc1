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
        // Hashes run on the flow's KDF pool: the synchronous calls block the script's worker
        // (as Node's hashSync blocks its thread) for at most the flow's time limit; the async
        // ones free their host-call thread while they wait.
        let hash: SyncHostFunction = { json, environment in
            let work = try BcryptCall.hash(json)
            return try Self.pool(environment).runWaiting(atMost: Self.waitLimit(environment), work)
        }
        let compare: SyncHostFunction = { json, environment in
            let work = try BcryptCall.compare(json)
            return try Self.pool(environment).runWaiting(atMost: Self.waitLimit(environment), work)
        }
        let salt: SyncHostFunction = { json, _ in try BcryptCall.salt(json) }
        return (
            ["bcrypt.hash": hash, "bcrypt.compare": compare, "bcrypt.salt": salt],
            [
                "legacyDB": legacy,
                "bcrypt.hashAsync": { json, environment in try await Self.pool(environment).run(try BcryptCall.hash(json)) },
                "bcrypt.compareAsync": { json, environment in try await Self.pool(environment).run(try BcryptCall.compare(json)) },
            ]
        )
    }

    static func pool(_ environment: JobEnvironment) -> KDFPool { (environment as? FlowEnvironment)?.kdfPool ?? .shared }
    static func waitLimit(_ environment: JobEnvironment) -> Duration { (environment as? FlowEnvironment)?.hashWaitLimit ?? .seconds(20) }
}

/// The `bcrypt` module's host calls: arguments checked on the calling thread (a cost above the
/// limit is refused there, before any queueing), the hashing itself returned as work for the
/// pool. Results are JSON.
enum BcryptCall {
    /// `hash`/`hashSync` with `{password, rounds}` or `{password, salt}`.
    static func hash(_ json: String) throws -> @Sendable () throws(PasswordHashError) -> String {
        let a = try JSONValue.parse(json)
        let password = a["password"]?.stringValue ?? ""
        if let salt = a["salt"]?.stringValue {
            let invalid = LegacyDatabase.Failure(description: "Invalid salt. Salt must be in the form of: $Vers$log2(NumRounds)$saltvalue")
            guard salt.utf8.count >= 29, let cost = PasswordHasher.cost(of: salt) else { throw invalid }
            guard PasswordHasher.costs.contains(cost) else { throw PasswordHashError.bcryptCost(cost) }
            return { () throws(PasswordHashError) in
                guard let h = try PasswordHasher.hash(password, setting: salt) else { throw .failed(invalid.description) }
                return JSONValue.string(h).serialized()
            }
        }
        let cost = try rounds(a)
        guard PasswordHasher.costs.contains(cost) else { throw PasswordHashError.bcryptCost(cost) }
        return { () throws(PasswordHashError) in JSONValue.string(try PasswordHasher.hash(password, cost: cost)).serialized() }
    }

    /// `compare`/`compareSync` with `{password, hash}`: false for anything not bcrypt, an
    /// error for a bcrypt hash whose cost is above the limit.
    static func compare(_ json: String) throws -> @Sendable () throws(PasswordHashError) -> String {
        let a = try JSONValue.parse(json)
        let password = a["password"]?.stringValue ?? ""
        let hash = a["hash"]?.stringValue ?? ""
        if PasswordHasher.isBcrypt(hash), let cost = PasswordHasher.cost(of: hash), !PasswordHasher.costs.contains(cost) {
            throw PasswordHashError.bcryptCost(cost)
        }
        return { () throws(PasswordHashError) in try PasswordHasher.compare(password, hash: hash) ? "true" : "false" }
    }

    /// `genSalt`/`genSaltSync` with `{rounds}`: no hashing, but a cost above the limit is
    /// refused here, where the script chose it, rather than at the hash that would use it.
    static func salt(_ json: String) throws -> String {
        JSONValue.string(try PasswordHasher.salt(cost: try rounds(try JSONValue.parse(json)))).serialized()
    }

    /// `rounds`, when given, must be a whole number (JSON carries NaN and Infinity as null,
    /// which means the default, as a missing value does).
    static func rounds(_ a: JSONValue) throws -> Int {
        guard let v = a["rounds"], !v.isNull else { return PasswordHasher.defaultCost }
        guard let n = v.intValue else {
            throw LegacyDatabase.Failure(description: "bcrypt rounds must be a whole number from \(PasswordHasher.minimumCost) to \(PasswordHasher.maximumCost)")
        }
        return n
    }
}
