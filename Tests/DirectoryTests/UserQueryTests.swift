import Foundation
import JSONCore
import Testing

@testable import Directory

@Suite struct UserQueryTests {
    let users: [JSONValue] = [
        ["user_id": "auth0|1", "email": "Ann@Example.com", "name": "Ann Admin", "logins_count": 5, "email_verified": true,
         "created_at": "2024-01-10T00:00:00.000Z", "app_metadata": ["plan": "pro", "roles": ["admin", "editor"]],
         "identities": [["connection": "Username-Password-Authentication", "provider": "auth0"]]],
        ["user_id": "auth0|2", "email": "bob@corp.io", "name": "Bob", "logins_count": 1, "email_verified": false,
         "created_at": "2024-06-01T00:00:00.000Z", "app_metadata": ["plan": "free"],
         "identities": [["connection": "legacy-db", "provider": "auth0"]]],
        ["user_id": "google-oauth2|3", "email": "carol@example.com", "name": "Carol", "logins_count": 12,
         "created_at": "2025-02-01T00:00:00.000Z", "user_metadata": ["lang": "fr"],
         "identities": [["connection": "google-oauth2", "provider": "google-oauth2"]]],
    ]

    func ids(_ q: String) throws -> [String] {
        let query = try UserQuery.parse(q)
        return users.filter { query.matches($0) }.compactMap { $0["user_id"]?.stringValue }
    }

    @Test func fieldsQuotesAndCase() throws {
        #expect(try ids(#"email:"ann@example.com""#) == ["auth0|1"])
        #expect(try ids("name:bob") == ["auth0|2"])
        #expect(try ids("user_id:AUTH0|1") == [])
        #expect(try ids("email_verified:true") == ["auth0|1"])
        #expect(try ids("logins_count:12") == ["google-oauth2|3"])
        #expect(try ids("") == ["auth0|1", "auth0|2", "google-oauth2|3"])
    }

    @Test func booleanOperatorsAndGroups() throws {
        #expect(try ids("name:ann OR name:bob") == ["auth0|1", "auth0|2"])
        #expect(try ids("email.domain:example.com AND NOT name:carol") == ["auth0|1"])
        #expect(try ids("email.domain:example.com -name:carol") == ["auth0|1"])
        #expect(try ids("(name:ann OR name:bob) AND app_metadata.plan:free") == ["auth0|2"])
        #expect(try ids("name:(ann OR carol)") == ["auth0|1", "google-oauth2|3"])
    }

    @Test func nestedPathsExistsWildcardsAndRanges() throws {
        #expect(try ids(#"app_metadata.plan:"pro""#) == ["auth0|1"])
        #expect(try ids("app_metadata.roles:editor") == ["auth0|1"])
        #expect(try ids(#"identities.connection:"legacy-db""#) == ["auth0|2"])
        #expect(try ids("_exists_:user_metadata.lang") == ["google-oauth2|3"])
        #expect(try ids("email:car*") == ["google-oauth2|3"])
        #expect(try ids("logins_count:[2 TO 12]") == ["auth0|1", "google-oauth2|3"])
        #expect(try ids("logins_count:{5 TO *]") == ["google-oauth2|3"])
        #expect(try ids("created_at:[2024-03-01 TO 2025-12-31]") == ["auth0|2", "google-oauth2|3"])
    }

    @Test(arguments: [("name:", 5), ("(name:ann", 9), ("email:*ab", 6), (#"name:"open"#, 5), ("logins_count:[1 2]", 16), ("name:ann)", 8)])
    func badSyntaxNamesThePosition(query: String, position: Int) {
        #expect(throws: UserQuery.SyntaxError.self) { try UserQuery.parse(query) }
        do { _ = try UserQuery.parse(query) } catch { #expect(error.position == position, "\(query): \(error)") }
    }

    /// Auth0's wildcard rules: any prefix before a trailing `*` (`name:j*`), at least three
    /// characters after a leading one (`name:*usa`, not `name:*sa`), nothing inside a term or on
    /// both ends, none on user_metadata fields.
    @Test func wildcardsFollowAuth0sRules() throws {
        #expect(try ids("name:a*") == ["auth0|1"])
        #expect(try ids("name:C*") == ["google-oauth2|3"])
        #expect(try ids("email:b*") == ["auth0|2"])
        #expect(try ids("email:*corp.io") == ["auth0|2"])
        #expect(try ids("email:*EXAMPLE.COM") == ["auth0|1", "google-oauth2|3"], "email is matched without case")
        #expect(try ids("name:*min") == ["auth0|1"], "one word of a name")
        #expect(try ids("user_id:*0|2") == ["auth0|2"])
        #expect(try ids("*rol") == ["google-oauth2|3"], "free text")
        #expect(try ids("app_metadata.plan:*ree") == ["auth0|2"])
        #expect(try ids("NOT email:*example.com") == ["auth0|2"])
        for bad in ["name:*sa", "name:*a", "name:a*b", "name:*ann*", "name:**", "user_metadata.lang:f*", "user_metadata.lang:*fre", "user_metadata:x*"] {
            #expect(throws: UserQuery.SyntaxError.self, "\(bad)") { try UserQuery.parse(bad) }
        }
        #expect(try ids("user_metadata.lang:*") == ["google-oauth2|3"], "field:* alone is existence, allowed on user_metadata")
        // The stores' text pre-filter keeps every profile the suffix matches.
        #expect(try UserQuery.parse("email:*corp.io").textFilter == .like("%corp.io%"))
        // A boolean or number is stored unquoted: a wildcard's filter must not need quotes.
        let flagged: JSONValue = ["user_id": "auth0|9", "app_metadata": ["active": true, "n": 12345]]
        for q in ["app_metadata.active:*rue", "app_metadata.active:t*", "app_metadata.n:12*", "app_metadata.n:*345"] {
            let query = try UserQuery.parse(q)
            #expect(query.matches(flagged), "\(q)")
            guard let pattern = query.textFilter?.patterns.first else { continue }  // no filter drops nothing
            let regex = "^" + NSRegularExpression.escapedPattern(for: pattern).replacingOccurrences(of: "%", with: ".*") + "$"
            #expect(flagged.serialized().range(of: regex, options: [.regularExpression, .caseInsensitive]) != nil, "\(q): the filter \(pattern) drops a match")
        }
        #expect(try UserQuery.parse("name:*min").textFilter == .like("%min%"))
    }

    @Test func indexLookupsOnlyWhereEveryMatchNeedsThem() throws {
        func c(_ q: String) throws -> UserQueryCandidates? { try UserQuery.parse(q).candidates }
        #expect(try c(#"email:"Ann@Example.com""#) == .emails(["ann@example.com"]))
        #expect(try c("user_id:auth0|1 AND app_metadata.plan:pro") == .userIds(["auth0|1"]))
        #expect(try c("app_metadata.plan:pro AND username:ann") == .usernames(["ann"]))
        #expect(try c("email:a@x.com OR email:b@x.com") == .emails(["a@x.com", "b@x.com"]))
        // Anything a match may not need cannot narrow the rows.
        #expect(try c("email:a@x.com OR user_id:auth0|1") == nil)
        #expect(try c("email:a@x.com OR name:ann") == nil)
        #expect(try c("NOT email:a@x.com") == nil)
        #expect(try c("email:ann*") == nil)
        #expect(try c("ann@x.com") == nil)
        #expect(try c("_exists_:email") == nil)
        #expect(try c("app_metadata.email:a@x.com") == nil)
        #expect(try c("username:\"ki\u{212A}\"") == nil, "non-ASCII values may match canonically equivalent text SQL would not")
    }

    @Test func textFiltersSpellValuesAsTheProfileTextDoes() throws {
        func f(_ q: String) throws -> UserQueryTextFilter? { try UserQuery.parse(q).textFilter }
        #expect(try f(#"app_metadata.plan:"pro""#) == .like(#"%"pro"%"#))
        #expect(try f("app_metadata.plan:pro*") == .like("%pro%"))
        #expect(try f("name:ann") == .like("%ann%"), "a word of a name sits inside the string")
        #expect(try f("ann") == .like("%ann%"))
        #expect(try f(#"email.domain:"example.com""#) == .like(#"%@example.com"%"#))
        #expect(try f("user_id:auth0|a_b") == .like(#"%"auth0|a\_b"%"#), "LIKE's _ is escaped")
        #expect(try f("name:ann AND app_metadata.plan:pro") == .and(.like("%ann%"), .like(#"%"pro"%"#)))
        #expect(try f("name:ann OR app_metadata.plan:pro") == .or(.like("%ann%"), .like(#"%"pro"%"#)))
        // Numbers and booleans are stored unquoted; other characters may be escaped: no filter.
        for q in ["logins_count:5", "email_verified:true", "name:ann OR logins_count:5", "NOT name:ann", "_exists_:name", #"name:"é""#, #"app_metadata.x:"a/b""#, "logins_count:[1 TO 5]"] {
            #expect(try f(q) == nil, "\(q)")
        }
        #expect(try f("name:ann AND logins_count:5") == .like("%ann%"))
        // Every match passes its filter (SQL LIKE: % any text, \_ an underscore, ASCII case ignored).
        func like(_ text: String, _ pattern: String) -> Bool {
            let regex = "^" + NSRegularExpression.escapedPattern(for: pattern.lowercased())
                .replacingOccurrences(of: "%", with: ".*").replacingOccurrences(of: "\\\\_", with: "_") + "$"
            return text.lowercased().range(of: regex, options: .regularExpression) != nil
        }
        func passes(_ f: UserQueryTextFilter, _ text: String) -> Bool {
            switch f {
            case .like(let p): return like(text, p)
            case .and(let a, let b): return passes(a, text) && passes(b, text)
            case .or(let a, let b): return passes(a, text) || passes(b, text)
            }
        }
        for q in [#"app_metadata.plan:"pro""#, "name:admin", "name:ADM*", "email.domain:corp.io", "ann@example.com", "app_metadata.roles:editor", "identities.connection:legacy-db", "carol*"] {
            let query = try UserQuery.parse(q)
            let filter = try #require(query.textFilter, "\(q)")
            for u in users where query.matches(u) { #expect(passes(filter, u.serialized()), "\(q) on \(u)") }
            #expect(users.contains { query.matches($0) }, "\(q) matches someone")
        }
    }

    /// The depth of a parsed query's tree (what matching, translating and freeing recurse on).
    func depth(_ q: UserQuery) -> Int {
        switch q {
        case .and(let a, let b), .or(let a, let b): return 1 + max(depth(a), depth(b))
        case .not(let a): return 1 + depth(a)
        default: return 1
        }
    }

    @Test func limitsRefuseWhatWouldRecurseWithoutBound() throws {
        func refused(_ q: String) -> String? {
            do { _ = try UserQuery.parse(q); return nil } catch { return error.message }
        }
        // Nesting: 32 levels of groups or negations parse, 33 do not (at any size of input).
        #expect(refused(String(repeating: "(", count: 32) + "name:ann" + String(repeating: ")", count: 32)) == nil)
        #expect(refused(String(repeating: "(", count: 33) + "name:ann" + String(repeating: ")", count: 33))?.contains("deeper than 32") == true)
        #expect(refused(String(repeating: "-", count: 50_000) + "name:ann")?.contains("deeper than 32") == true)
        #expect(refused("name:" + String(repeating: "(", count: 40) + "ann" + String(repeating: ")", count: 40))?.contains("deeper than 32") == true)
        #expect(refused(String(repeating: "(", count: 30_000)) != nil)
        // Terms: 1,024 parse, 1,025 do not.
        let terms = (0..<1_024).map { "name:n\($0)" }
        #expect(refused(terms.joined(separator: " OR ")) == nil)
        #expect(refused((terms + ["name:x"]).joined(separator: " "))?.contains("more than 1024 terms") == true)
        #expect(refused(String(repeating: "a", count: 70_000))?.contains("longer than") == true)
        // Chains are balanced trees: 1,024 ORed terms nest 11 deep, not 1,024.
        let chain = try UserQuery.parse(terms.joined(separator: " OR ") )
        #expect(depth(chain) <= 12)
        #expect(chain.matches(["name": "n1023"]))
        #expect(chain.matches(["name": "n0"]))
        #expect(!chain.matches(["name": "n1024"]))
        // Negations still mean what they say.
        #expect(try ids("NOT NOT name:ann") == ["auth0|1"])
        #expect(try ids("- - -name:ann") == ["auth0|2", "google-oauth2|3"])
    }

    @Test func sorting() throws {
        let byLogins = try UserQuery.sort(users, by: "logins_count:-1").compactMap { $0["user_id"]?.stringValue }
        #expect(byLogins == ["google-oauth2|3", "auth0|1", "auth0|2"])
        let byPlan = try UserQuery.sort(users, by: "app_metadata.plan:1").compactMap { $0["user_id"]?.stringValue }
        #expect(byPlan == ["auth0|2", "auth0|1", "google-oauth2|3"])
        #expect(throws: UserQuery.SyntaxError.self) { try UserQuery.sort(users, by: "name:up") }
    }
}
