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
    /// `username` term that every match must satisfy (in an `AND`, either side's; in an `OR`,
    /// both sides' of the same column).
    public var candidates: UserQueryCandidates? {
        switch self {
        case .match(let field?, let value, false, _):
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
