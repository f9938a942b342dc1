import JSONCore

/// What a store can look up by index before matching: every user a query matches is among the
/// rows these column values select, so a store fetches those rows and runs `matches` on them
/// instead of on every profile.
public enum UserQueryCandidates: Sendable, Equatable {
    /// Users with one of these ids.
    case userIds(Set<String>)
    /// Users with one of these emails (lower-cased, as the stores keep them).
    case emails(Set<String>)
    /// Users with one of these usernames (compared exactly).
    case usernames(Set<String>)
}

extension UserQuery {
    /// The index lookup that narrows this query, if any: an exact `user_id`, `email` or
    /// `username` term with an ASCII value that every match must satisfy (in an `AND`, either
    /// side's; in an `OR`, both sides' of the same column).
    public var candidates: UserQueryCandidates? {
        switch self {
        case .match(let field?, let value, false, _):
            // SQL compares bytes; Swift compares canonically equivalent text as equal.
            guard value.unicodeScalars.allSatisfy(\.isASCII) else { return nil }
            switch field {
            case "user_id": return .userIds([value])
            case "email": return .emails([value.lowercased()])
            case "username": return .usernames([value])
            default: return nil
            }
        case .and(let a, let b):
            return a.candidates ?? b.candidates
        case .or(let a, let b):
            switch (a.candidates, b.candidates) {
            case (.userIds(let x)?, .userIds(let y)?): return .userIds(x.union(y))
            case (.emails(let x)?, .emails(let y)?): return .emails(x.union(y))
            case (.usernames(let x)?, .usernames(let y)?): return .usernames(x.union(y))
            default: return nil
            }
        default:
            return nil
        }
    }
}

extension UserQueryCandidates {
    /// The indexed column these values are looked up in.
    public var column: String {
        switch self {
        case .userIds: return "user_id"
        case .emails: return "email"
        case .usernames: return "username"
        }
    }

    /// The values, in a stable order.
    public var values: [String] {
        switch self {
        case .userIds(let v), .emails(let v), .usernames(let v): return v.sorted()
        }
    }
}

extension UserQuery {
    /// The search result page from candidate profiles (password hashes already removed), in
    /// creation order: matched, sorted (`field:1|-1`), paged; `total` counts every match.
    public func page(of profiles: [JSONValue], sort: String?, offset: Int, limit: Int) throws -> (users: [UserProfile], total: Int) {
        var matches = profiles.filter(matches)
        if let sort { matches = try UserQuery.sort(matches, by: sort) }
        return (try matches.dropFirst(offset).prefix(limit).map { try UserProfile(json: $0) }, matches.count)
    }
}

/// A text filter a store can run over each stored profile's JSON text (SQL `LIKE`, ignoring
/// ASCII case) before parsing it: every profile the query matches passes it, so only those that
/// pass are parsed and matched. Patterns are SQL `LIKE` patterns escaped with `\`.
public indirect enum UserQueryTextFilter: Sendable, Equatable {
    case like(String)
    case and(UserQueryTextFilter, UserQueryTextFilter)
    case or(UserQueryTextFilter, UserQueryTextFilter)

    /// SQL for the filter, `render` giving the condition for one pattern (e.g. `profile LIKE ?`).
    public func sql(_ render: (String) -> String) -> String {
        switch self {
        case .like(let p): return render(p)
        case .and(let a, let b): return "(\(a.sql(render)) AND \(b.sql(render)))"
        case .or(let a, let b): return "(\(a.sql(render)) OR \(b.sql(render)))"
        }
    }

    /// The patterns in the order `sql` renders them.
    public var patterns: [String] {
        switch self {
        case .like(let p): return [p]
        case .and(let a, let b), .or(let a, let b): return a.patterns + b.patterns
        }
    }
}

extension UserQuery {
    /// The text filter for this query, when every match must contain some text: a term's value
    /// as the profile's JSON spells it (a whole quoted string; for `value*` and `*value`, and in
    /// names, the bare text, which also finds unquoted numbers and booleans), for values of plain ASCII letters, digits and `@._+-|:` that do
    /// not read as numbers or booleans (those are stored unquoted, and may be written
    /// differently). Ranges, `_exists_` and `NOT` give none.
    public var textFilter: UserQueryTextFilter? {
        switch self {
        case .match(let field, let value, let wildcard, let exact):
            guard Self.isPlainText(value) else { return nil }
            let escaped = value.replacingOccurrences(of: "_", with: "\\_")
            // A word (or word prefix) of a name, or any of the free-text fields: inside a string.
            if field == nil || (!exact && Self.textFields.contains(field!)) { return .like("%" + escaped + "%") }
            if field == "email.domain" { return .like("%@" + escaped + (wildcard ? "%" : "\"%")) }
            // A prefix may also start a number or a boolean, stored unquoted (`t*` matches true).
            if wildcard { return .like("%" + escaped + "%") }
            return .like("%\"" + escaped + "\"%")
        case .suffix(let field, let value):
            guard Self.isPlainText(value) else { return nil }
            let escaped = value.replacingOccurrences(of: "_", with: "\\_")
            // The end of a string, a word, a number or a boolean (`*rue` matches true, unquoted).
            return .like("%" + escaped + "%")
        case .and(let a, let b):
            switch (a.textFilter, b.textFilter) {
            case (let x?, let y?): return .and(x, y)
            case (let x?, nil), (nil, let x?): return x
            case (nil, nil): return nil
            }
        case .or(let a, let b):
            guard let x = a.textFilter, let y = b.textFilter else { return nil }
            return .or(x, y)
        default:
            return nil
        }
    }

    static func isPlainText(_ value: String) -> Bool {
        guard !value.isEmpty, Double(value) == nil, !["true", "false", "null"].contains(value.lowercased()) else { return false }
        return value.unicodeScalars.allSatisfy { s in
            (s.value >= 0x30 && s.value <= 0x39) || (s.value >= 0x41 && s.value <= 0x5A) || (s.value >= 0x61 && s.value <= 0x7A) || "@._+-|:".unicodeScalars.contains(s)
        }
    }
}
