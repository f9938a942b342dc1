import JSONCore

/// Auth0's user search query language (search engine v3 subset), parsed once and matched
/// against profile JSON:
///
///     field:value  field:"quoted value"  value*  _exists_:field
///     field:[a TO b]  field:{a TO b}  (numbers or dates; `*` is an open end)
///     AND  OR  NOT  -term  ( … )      (terms next to each other are ANDed)
///     app_metadata.plan:"pro"  identities.connection:"x"  email.domain:"example.com"
public indirect enum UserQuery: Sendable, Equatable {
    case all
    case and(UserQuery, UserQuery)
    case or(UserQuery, UserQuery)
    case not(UserQuery)
    /// `exact`: a quoted value must equal the whole field; an unquoted one may also match one
    /// word of a text field (`name:ann` finds "Ann Admin").
    case match(field: String?, value: String, wildcard: Bool, exact: Bool = false)
    /// A leading wildcard (`name:*son`): the field (or one word of a text field) ends with `value`.
    case suffix(field: String?, value: String)
    case exists(field: String)
    case range(field: String, low: String?, lowInclusive: Bool, high: String?, highInclusive: Bool)

    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var position: Int
        public var message: String
        public var description: String { "\(message) at position \(position)" }
    }

    /// Fields matched without regard to case.
    static let caseInsensitiveFields: Set<String> = ["email", "name", "given_name", "family_name", "nickname"]
    /// Free-text fields, where an unquoted term may match one word.
    static let textFields: Set<String> = ["name", "given_name", "family_name", "nickname"]
    /// Fields searched by a term without a field name.
    static let freeTextFields = ["email", "name", "nickname", "given_name", "family_name", "username"]

    /// Longest query text accepted, in characters (room for `maxTerms` terms such as
    /// `user_id:"auth0|5f7c8ec7c33c6c004bbafe82"`).
    public static let maxLength = 65_536
    /// Deepest nesting of groups `( … )` and negations (`NOT`, `-`) accepted.
    public static let maxNesting = 32
    /// Most terms in one query (Elasticsearch's default `max_clause_count` is 1,024).
    public static let maxTerms = 1_024

    /// Parses a query. Input past the limits above is refused with a `SyntaxError` rather than
    /// parsed: the parser recurses only per nesting level, and `AND`/`OR` chains are built as
    /// balanced trees, so matching, translating and freeing a query never recurse deeper than
    /// about `maxNesting + log2(maxTerms)` levels.
    public static func parse(_ text: String) throws(SyntaxError) -> UserQuery {
        guard text.utf8.count <= maxLength || text.count <= maxLength else {
            throw SyntaxError(position: maxLength, message: "Query is longer than \(maxLength) characters")
        }
        var p = Parser(tokens: try tokenize(text))
        if p.tokens.isEmpty { return .all }
        let q = try p.parseOr()
        if let t = p.peek { throw SyntaxError(position: t.position, message: "Unexpected '\(t.text)'") }
        return q
    }

    /// `combine` over `items` as a balanced tree (items in order, so `a AND b AND c` still
    /// evaluates left to right).
    static func balanced(_ items: ArraySlice<UserQuery>, _ combine: (UserQuery, UserQuery) -> UserQuery) -> UserQuery {
        if items.count == 1 { return items[items.startIndex] }
        let middle = items.startIndex + items.count / 2
        return combine(balanced(items[..<middle], combine), balanced(items[middle...], combine))
    }

    // MARK: Tokens

    struct Token: Equatable {
        enum Kind { case word, quoted, lparen, rparen, lbracket, rbracket, lbrace, rbrace, colon, minus }
        var kind: Kind
        var text: String
        var position: Int
    }

    static func tokenize(_ s: String) throws(SyntaxError) -> [Token] {
        var tokens: [Token] = []
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            let single: [Character: Token.Kind] = ["(": .lparen, ")": .rparen, "[": .lbracket, "]": .rbracket, "{": .lbrace, "}": .rbrace, ":": .colon]
            if let kind = single[c] {
                tokens.append(Token(kind: kind, text: String(c), position: i))
                i += 1
                continue
            }
            if c == "-", tokens.last.map({ $0.kind != .colon }) ?? true {
                tokens.append(Token(kind: .minus, text: "-", position: i))
                i += 1
                continue
            }
            if c == "\"" {
                let start = i
                i += 1
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    value.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw SyntaxError(position: start, message: "Unterminated quoted string") }
                i += 1
                tokens.append(Token(kind: .quoted, text: value, position: start))
                continue
            }
            let start = i
            var word = ""
            while i < chars.count, !chars[i].isWhitespace, !"()[]{}:\"".contains(chars[i]) {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                word.append(chars[i])
                i += 1
            }
            tokens.append(Token(kind: .word, text: word, position: start))
        }
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var i = 0
        var peek: Token? { i < tokens.count ? tokens[i] : nil }
        func isKeyword(_ k: String) -> Bool { peek?.kind == .word && peek?.text == k }

        /// Groups and negations open around the token being parsed.
        var depth = 0
        var terms = 0

        mutating func parseOr() throws(SyntaxError) -> UserQuery {
            var items = [try parseAnd()]
            while isKeyword("OR") {
                i += 1
                items.append(try parseAnd())
            }
            return UserQuery.balanced(items[...], UserQuery.or)
        }

        mutating func parseAnd() throws(SyntaxError) -> UserQuery {
            var items = [try parseNot()]
            while let t = peek, t.kind != .rparen, !isKeyword("OR") {
                if isKeyword("AND") { i += 1 }
                items.append(try parseNot())
            }
            return UserQuery.balanced(items[...], UserQuery.and)
        }

        /// Enters one nesting level at the current token, refusing past `maxNesting`.
        mutating func nest() throws(SyntaxError) {
            depth += 1
            guard depth <= UserQuery.maxNesting else {
                throw SyntaxError(position: peek?.position ?? 0, message: "Query nests groups and negations deeper than \(UserQuery.maxNesting) levels")
            }
        }

        mutating func parseNot() throws(SyntaxError) -> UserQuery {
            // Negations are counted iteratively: a run of 50,000 `-` is refused, not recursed into.
            var negations = 0
            while isKeyword("NOT") || peek?.kind == .minus {
                try nest()
                i += 1
                negations += 1
            }
            var q = try parsePrimary()
            depth -= negations
            // `NOT NOT x` is `x`.
            if negations % 2 == 1 { q = .not(q) }
            return q
        }

        mutating func expect(_ kind: Token.Kind, _ what: String) throws(SyntaxError) -> Token {
            guard let t = peek else { throw SyntaxError(position: tokens.last.map { $0.position + $0.text.count } ?? 0, message: "Expected \(what) but the query ended") }
            guard t.kind == kind else { throw SyntaxError(position: t.position, message: "Expected \(what) but found '\(t.text)'") }
            i += 1
            return t
        }

        mutating func parsePrimary() throws(SyntaxError) -> UserQuery {
            guard let t = peek else { throw SyntaxError(position: tokens.last.map { $0.position + $0.text.count } ?? 0, message: "Expected a term but the query ended") }
            if t.kind != .lparen {
                terms += 1
                guard terms <= UserQuery.maxTerms else {
                    throw SyntaxError(position: t.position, message: "Query has more than \(UserQuery.maxTerms) terms")
                }
            }
            switch t.kind {
            case .lparen:
                try nest()
                i += 1
                let q = try parseOr()
                _ = try expect(.rparen, "')'")
                depth -= 1
                return q
            case .quoted:
                i += 1
                return .match(field: nil, value: t.text, wildcard: false, exact: true)
            case .word:
                i += 1
                if peek?.kind == .colon {
                    i += 1
                    return try parseValue(field: t.text, at: t.position)
                }
                return try UserQuery.term(field: nil, t.text, quoted: false, at: t.position)
            default:
                throw SyntaxError(position: t.position, message: "Unexpected '\(t.text)'")
            }
        }

        mutating func parseValue(field: String, at position: Int) throws(SyntaxError) -> UserQuery {
            guard let v = peek else {
                throw SyntaxError(position: tokens.last.map { $0.position + $0.text.count } ?? position, message: "Expected a value after '\(field):'")
            }
            switch v.kind {
            case .quoted:
                i += 1
                return .match(field: field, value: v.text, wildcard: false, exact: true)
            case .word:
                i += 1
                if field == "_exists_" { return .exists(field: v.text) }
                return try UserQuery.term(field: field, v.text, quoted: false, at: v.position)
            case .lbracket, .lbrace:
                i += 1
                let low = try rangeBound()
                guard isKeyword("TO") else { throw SyntaxError(position: peek?.position ?? v.position, message: "Expected 'TO' in range") }
                i += 1
                let high = try rangeBound()
                guard let close = peek, close.kind == .rbracket || close.kind == .rbrace else {
                    throw SyntaxError(position: peek?.position ?? v.position, message: "Expected ']' or '}' to close the range")
                }
                i += 1
                return .range(field: field, low: low, lowInclusive: v.kind == .lbracket, high: high, highInclusive: close.kind == .rbracket)
            case .lparen:
                // field:(a OR b) — distribute the field over the group.
                try nest()
                i += 1
                let inner = try parseOr()
                _ = try expect(.rparen, "')'")
                depth -= 1
                return inner.withField(field)
            default:
                throw SyntaxError(position: v.position, message: "Expected a value after '\(field):'")
            }
        }

        mutating func rangeBound() throws(SyntaxError) -> String? {
            guard let t = peek, t.kind == .word || t.kind == .quoted else {
                throw SyntaxError(position: peek?.position ?? 0, message: "Expected a range bound")
            }
            i += 1
            return t.text == "*" && t.kind == .word ? nil : t.text
        }
    }

    /// Auth0's wildcard rules: a trailing `*` matches any rest (`name:j*`; `field:*` alone is
    /// "the field exists"); a leading `*` needs at least three characters after it
    /// (`name:*usa`, not `name:*sa`); no `*` inside a term, none on both ends, and none on
    /// `user_metadata` fields.
    static func term(field: String?, _ text: String, quoted: Bool, at position: Int) throws(SyntaxError) -> UserQuery {
        let leading = text.count > 1 && text.hasPrefix("*"), trailing = text.hasSuffix("*")
        if trailing, text == "*", let field { return .exists(field: field) }
        if leading || trailing {
            if let field, field == "user_metadata" || field.hasPrefix("user_metadata.") {
                throw SyntaxError(position: position, message: "Wildcards cannot be used on user_metadata fields")
            }
        }
        if leading {
            let literal = String(text.dropFirst())
            guard !literal.contains("*") else {
                throw SyntaxError(position: position, message: "A wildcard may only start or end a term, not both or inside it")
            }
            guard literal.count >= 3 else {
                throw SyntaxError(position: position, message: "A leading wildcard needs at least 3 characters after '*'")
            }
            return .suffix(field: field, value: literal)
        }
        if trailing {
            let stem = String(text.dropLast())
            guard !stem.contains("*") else {
                throw SyntaxError(position: position, message: "A wildcard may only start or end a term, not both or inside it")
            }
            return .match(field: field, value: stem, wildcard: true)
        }
        guard !text.contains("*") else {
            throw SyntaxError(position: position, message: "A wildcard may only start or end a term, not both or inside it")
        }
        return .match(field: field, value: text, wildcard: false)
    }

    func withField(_ field: String) -> UserQuery {
        switch self {
        case .match(nil, let v, let w, let e): return .match(field: field, value: v, wildcard: w, exact: e)
        case .suffix(nil, let v): return .suffix(field: field, value: v)
        case .and(let a, let b): return .and(a.withField(field), b.withField(field))
        case .or(let a, let b): return .or(a.withField(field), b.withField(field))
        case .not(let a): return .not(a.withField(field))
        default: return self
        }
    }

    // MARK: Matching

    public func matches(_ user: JSONValue) -> Bool {
        switch self {
        case .all: return true
        case .and(let a, let b): return a.matches(user) && b.matches(user)
        case .or(let a, let b): return a.matches(user) || b.matches(user)
        case .not(let a): return !a.matches(user)
        case .exists(let field): return !UserQuery.values(of: field, in: user).filter { !$0.isNull }.isEmpty
        case .match(let field, let value, let wildcard, let exact):
            return UserQuery.anyValue(field: field, words: !exact, in: user) { v, insensitive in
                UserQuery.compare(v, value, wildcard ? .prefix : .whole, insensitive: insensitive)
            }
        case .suffix(let field, let value):
            return UserQuery.anyValue(field: field, words: true, in: user) { v, insensitive in
                UserQuery.compare(v, value, .suffix, insensitive: insensitive)
            }
        case .range(let field, let low, let li, let high, let hi):
            return UserQuery.values(of: field, in: user).contains { v in
                if let low, let c = UserQuery.order(v, low) { if c < 0 || (c == 0 && !li) { return false } } else if low != nil { return false }
                if let high, let c = UserQuery.order(v, high) { if c > 0 || (c == 0 && !hi) { return false } } else if high != nil { return false }
                return true
            }
        }
    }

    /// The values at a dotted path; arrays along the way fan out.
    static func values(of path: String, in user: JSONValue) -> [JSONValue] {
        if path == "email.domain" {
            guard let email = user["email"]?.stringValue, let at = email.lastIndex(of: "@") else { return [] }
            return [.string(String(email[email.index(after: at)...]))]
        }
        var current: [JSONValue] = [user]
        for part in path.split(separator: ".") {
            var next: [JSONValue] = []
            for v in current {
                switch v {
                case .object(let o): if let x = o[String(part)] { next.append(x) }
                case .array(let a): for e in a { if let x = e[String(part)] { next.append(x) } }
                default: break
                }
            }
            current = next
        }
        return current.flatMap { v -> [JSONValue] in
            if case .array(let a) = v { return a }
            return [v]
        }
    }

    /// Whether `test` holds for a value of `field` (of the free-text fields without one), or,
    /// with `words`, for one word of a text field's value.
    static func anyValue(field: String?, words: Bool, in user: JSONValue, _ test: (JSONValue, _ insensitive: Bool) -> Bool) -> Bool {
        let fields = field.map { [$0] } ?? UserQuery.freeTextFields
        return fields.contains { f in
            let insensitive = field == nil || UserQuery.caseInsensitiveFields.contains(f) || f == "email.domain"
            let byWord = words && UserQuery.textFields.contains(f)
            return UserQuery.values(of: f, in: user).contains { v in
                if test(v, insensitive) { return true }
                guard byWord, case .string(let s) = v else { return false }
                return s.split(separator: " ").contains { test(.string(String($0)), insensitive) }
            }
        }
    }

    /// How a term's text is compared with a value: all of it, its start, or its end.
    enum Comparison { case whole, prefix, suffix }

    static func compare(_ v: JSONValue, _ text: String, _ how: Comparison, insensitive: Bool) -> Bool {
        let s: String
        switch v {
        case .string(let x): s = x
        case .number(let n): s = JSONValue.format(number: n)
        case .bool(let b): s = b ? "true" : "false"
        default: return false
        }
        let a = insensitive ? s.lowercased() : s
        let b = insensitive ? text.lowercased() : text
        switch how {
        case .whole: return a == b
        case .prefix: return a.hasPrefix(b)
        case .suffix: return a.hasSuffix(b)
        }
    }

    /// -1/0/1 comparing a value with a bound: numerically when both are numbers, by time when
    /// both are dates, else as text.
    static func order(_ v: JSONValue, _ bound: String) -> Int? {
        if case .number(let n) = v, let b = Double(bound) { return n < b ? -1 : (n > b ? 1 : 0) }
        guard case .string(let s) = v else { return nil }
        if let t = Timestamp.parse(s), let b = Timestamp.parse(bound.count == 10 ? bound + "T00:00:00Z" : bound) {
            return t < b ? -1 : (t > b ? 1 : 0)
        }
        return s < bound ? -1 : (s > bound ? 1 : 0)
    }

    /// Sorts by a dotted path (`field:1` ascending, `field:-1` descending); missing values last.
    public static func sort(_ users: [JSONValue], by spec: String) throws(SyntaxError) -> [JSONValue] {
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let dir = Int(parts[1]), dir == 1 || dir == -1 else {
            throw SyntaxError(position: 0, message: "sort must be field:1 or field:-1")
        }
        let field = String(parts[0])
        return users.sorted { a, b in
            let x = values(of: field, in: a).first, y = values(of: field, in: b).first
            switch (x, y) {
            case (nil, nil): return false
            case (nil, _): return false
            case (_, nil): return true
            case let (x?, y?):
                let c: Int
                if case .number(let m) = x, case .number(let n) = y { c = m < n ? -1 : (m > n ? 1 : 0) } else {
                    let s = x.stringValue ?? x.serialized(), t = y.stringValue ?? y.serialized()
                    c = s < t ? -1 : (s > t ? 1 : 0)
                }
                return dir == 1 ? c < 0 : c > 0
            }
        }
    }
}
