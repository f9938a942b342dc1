import Directory
import Foundation
import JSONCore
import ManagementAPI
@testable import Tenant
import Testing

@testable import LoginEngine

/// Custom-database scripts in the real runtime: Auth0's callback contract, the error globals,
/// the module environment, and scripts that misbehave.
@Suite struct CustomDatabaseScriptTests {
    /// A tenant with one custom-database connection `db` holding the given scripts.
    func fixture(_ scripts: [String: String], importMode: Bool = false, timeoutSeconds: Int = 10) -> TenantFixture {
        var f = TenantFixture()
        f.tenantJSON = #"{"authsim": {"domain": "test.authsim.local", "flow_timeout_seconds": \#(timeoutSeconds)}, "default_audience": "https://api.test"}"#
        f.extraFiles["database-connections/db/database.json"] =
            #"{"name": "db", "options": {"enabled_database_customization": true, "import_mode": \#(importMode), "configuration": {"SECRET": "s3"}}}"#
        for (kind, source) in scripts { f.extraFiles["database-connections/db/\(kind).js"] = source }
        return f
    }

    @Test func callbackContractErrorGlobalsAndModules() async throws {
        let p = try await makePipeline(fixture([
            "login": """
                function login(email, password, callback) {
                  const crypto = require('crypto');
                  console.log('configured', configuration.SECRET);
                  if (password === 'validation') return callback(new ValidationError('weak', 'too weak'));
                  if (password === 'unauthorized') return callback(new UnauthorizedError('blocked upstream'));
                  if (password === 'string') return callback('just a string');
                  if (password === 'twice') { callback(null, { user_id: 'a', email: email }); return callback(null, { user_id: 'b' }); }
                  if (password === 'throw') throw new TypeError('boom');
                  callback(null, { user_id: 42, email: email.toUpperCase(), digest: crypto.createHash('sha256').update(password).digest('hex').slice(0, 8),
                    password: password, password_hash: '$2b$10$legacy', salt: 'legacy-salt', title: 'Dr' });
                }
                """,
            "get_user": "function getByEmail(email, context, callback) { callback(null, { user_id: 'ctx', connection: context.connection.name }); }",
        ]))
        func run(_ kind: String, _ args: [JSONValue]) async throws -> RulesRunner.DatabaseScriptOutcome {
            try await p.tryConnectionScript(connection: "db", script: kind, args: args)
        }
        let ok = try await run("login", ["Ann@Test.local", "pw"])
        #expect(ok.error == nil)
        #expect(ok.result?["user_id"] == 42)
        #expect(ok.result?["digest"] == "30c952fa", "sha256('pw') from the crypto module")
        #expect(ok.trace["console"]?.arrayValue?.first?["message"] == "configured s3")
        #expect(ok.trace["kind"] == "database")
        let validation = try await run("login", ["a@b.c", "validation"])
        #expect(validation.errorName == "ValidationError")
        #expect(validation.error?["code"] == "weak")
        #expect(validation.errorMessage == "too weak")
        #expect(try await run("login", ["a@b.c", "unauthorized"]).errorName == "UnauthorizedError")
        #expect(try await run("login", ["a@b.c", "string"]).errorMessage == "just a string")
        let twice = try await run("login", ["a@b.c", "twice"])
        #expect(twice.result?["user_id"] == "a")
        #expect(twice.trace["warnings"]?.arrayValue?.first?.stringValue?.contains("called 2 times") == true)
        let thrown = try await run("login", ["a@b.c", "throw"])
        #expect(thrown.errorName == "TypeError")
        #expect(thrown.errorMessage == "boom")
        // The organizations variant gets a context before the callback.
        let ctx = try await run("get_user", ["a@b.c"])
        #expect(ctx.result?["connection"] == "db")

        // A login through the pipeline normalizes and caches the profile.
        let result = try await p.login(username: "ann@test.local", password: "pw", request: {
            var r = SimulationRequest(user: .stored("ann@test.local"))
            r.connection = "db"
            return r
        }())
        #expect(result.outcome == .allowed)
        #expect(result.user["user_id"] == "auth0|42")
        #expect(result.user["email"] == "ann@test.local", "emails are lower-cased")
        #expect(result.trace.first?["kind"] == "database")
        let cached = try #require(try await p.store.user(id: "auth0|42"))
        #expect(cached.identities.first?.connection == "db")
        #expect(cached.passwordHash == nil, "import mode off: no password is kept locally")
        #expect(cached.extra["title"] == "Dr", "other root attributes are kept")
        for secret in ["password", "password_hash", "salt"] { #expect(cached.extra[secret] == nil, "the legacy \(secret) is never stored") }

        // A refresh keeps identities linked to the cached user.
        _ = try await p.store.update(id: "auth0|42") { u in
            u.identities.append(Identity(provider: "google-oauth2", connection: "google-oauth2", userId: "g-1", isSocial: true, profileData: ["email": "g@x.test"]))
        }
        let again = try await p.login(username: "ann@test.local", password: "pw", request: {
            var r = SimulationRequest(user: .stored("ann@test.local"))
            r.connection = "db"
            return r
        }())
        #expect(again.outcome == .allowed)
        #expect(try await p.store.user(id: "auth0|42")?.identities.map(\.provider) == ["auth0", "google-oauth2"])
    }

    @Test func misbehavingScriptsFailWithTheirOwnErrorAndTheNextLoginWorks() async throws {
        let p = try await makePipeline(fixture([
            "login": """
                function login(email, password, callback) {
                  if (password === 'loop') { while (true) {} }
                  if (password === 'silent') return;
                  if (password === 'bomb') { const a = []; while (true) a.push(new Array(1e6).fill(1)); }
                  if (password === 'deep') { const f = (n) => f(n + 1) + 1; f(0); }
                  if (password === 'fs') { require('fs').readFileSync('/etc/shadow'); }
                  callback(null, { user_id: 'ok', email: email });
                }
                """,
        ], timeoutSeconds: 1))
        func login(_ password: String) async throws -> SimulationResult {
            var r = SimulationRequest(user: .stored("x@test.local"))
            r.connection = "db"
            return try await p.login(username: "x@test.local", password: password, request: r)
        }
        let loop = try await login("loop")
        #expect(loop.outcome == .denied)
        #expect(loop.error?.description.contains("Script execution time exceeded") == true)
        #expect(loop.error?.description.contains("database-connections/db/login.js") == true)
        let silent = try await login("silent")
        #expect(silent.error?.description.contains("did not call back") == true)
        #expect(silent.trace.first?["outcome"] == "timeout")
        let bomb = try await login("bomb")
        #expect(bomb.outcome == .denied)
        #expect(bomb.error?.description.contains("memory") == true || bomb.error?.description.contains("exceeded") == true)
        let deep = try await login("deep")
        #expect(deep.error?.description.contains("Maximum call stack") == true || deep.error?.description.contains("RangeError") == true)
        let fs = try await login("fs")
        #expect(fs.error?.description.contains("ENOENT: no such file or directory, open '/etc/shadow'") == true)
        #expect(try await login("fine").outcome == .allowed)
    }

    @Test func aSyntaxErrorNamesTheScriptFileAndLine() async throws {
        let p = try await makePipeline(fixture(["login": "function login(email, password, callback) {\n  callback(null,\n  ;\n}\n"]))
        await #expect {
            try await p.rulesRunner.validate(on: Shared.runtime)
        } throws: { error in
            guard case .script(let file, let line, _) = error as? PipelineError else { return false }
            return file == "database-connections/db/login.js" && line == 3
        }
    }

    @Test func importModeRefusesAPartialProfileOfAnotherUser() async throws {
        let login = "function login(email, password, callback) { callback(null, { user_id: 'legacy-7', email: email }); }"
        var partial = UserProfile(userId: "auth0|someone-else", connection: "db", email: "dup@test.local")
        partial.applyDefaults()
        let p = try await makePipeline(fixture(["login": login], importMode: true), users: [partial])
        var r = SimulationRequest(user: .stored("dup@test.local"))
        r.connection = "db"
        let refused = try await p.login(username: "dup@test.local", password: "pw", request: r)
        #expect(refused.outcome == .denied)
        #expect(refused.error?.description.contains("DUPLICATED_USER") == true)

        // The same id: the partial profile is completed with a local password.
        var same = UserProfile(userId: "auth0|legacy-7", connection: "db", email: "same@test.local")
        same.applyDefaults()
        try await p.store.insert(same)
        r.user = .stored("same@test.local")
        let completed = try await p.login(username: "same@test.local", password: "pw", request: r)
        #expect(completed.outcome == .allowed)
        #expect(try await p.store.user(id: "auth0|legacy-7")?.passwordHash.map { PasswordHasher.verify("pw", hash: $0) } == true)
    }

    @Test func theLegacyDatabaseModule() async throws {
        let p = try await makePipeline(fixture([
            "login": "function login(email, password, callback) { callback(null); }",
            "create": """
                async function create(user, callback) {
                  const db = require('authsim:legacy-db');
                  const bcrypt = require('bcryptjs');
                  const row = await db.insert({ email: user.email, password_hash: await bcrypt.hash(user.password, 4) });
                  let duplicate = null;
                  try { await db.insert({ email: user.email.toUpperCase() }); } catch (e) { duplicate = e.message; }
                  await db.update(row.id, { plan: 'pro', drop: null });
                  const other = db.table('other');
                  await other.insert({ id: 'o1', email: 'o@test.local' });
                  callback(null, {
                    found: await db.findByEmail(user.email.toUpperCase()),
                    byId: (await db.findById(row.id)).email,
                    query: (await db.find({ plan: 'pro' })).length,
                    valid: await bcrypt.compare(user.password, row.password_hash),
                    invalid: bcrypt.compareSync('nope', row.password_hash),
                    others: (await other.all()).length,
                    removed: await db.remove(row.id),
                    after: (await db.all()).length,
                    duplicate: duplicate
                  });
                }
                """,
        ]))
        let out = try await p.tryConnectionScript(connection: "db", script: "create", args: [["email": "n@test.local", "password": "pw"]])
        #expect(out.error == nil, "\(out.errorMessage)")
        let r = try #require(out.result)
        #expect(r["found"]?["plan"] == "pro")
        #expect(r["byId"] == "n@test.local")
        #expect(r["query"] == 1)
        #expect(r["valid"] == true)
        #expect(r["invalid"] == false)
        #expect(r["others"] == 1)
        #expect(r["removed"] == true)
        #expect(r["after"] == 0)
        #expect(r["duplicate"]?.stringValue?.contains("already exists") == true)
        let file = p.tenant.directory + "/legacy-db/other.json"
        #expect(FileManager.default.fileExists(atPath: file))
    }
}

/// What rules see of a social or enterprise login, and how IdP profiles map.
@Suite struct IdPProfileTests {
    @Test func rulesSeeTheConnectionAsAuth0DescribesIt() async throws {
        var f = TenantFixture()
        f.rules = [("ctx", """
            function (user, context, callback) {
              context.idToken['https://t/ctx'] = {
                strategy: context.connectionStrategy, connection: context.connection, options: context.connectionOptions,
                methods: context.authentication.methods.map(function (m) { return m.name; }),
                identities: user.identities.map(function (i) { return i.provider + '|' + i.user_id + '|' + i.isSocial; })
              };
              callback(null, user, context);
            }
            """)]
        f.extraFiles["connections/corp.json"] = #"{"name": "corp", "strategy": "samlp", "options": {"tenant_domain": "corp.example", "domain_aliases": ["corp.example"]}}"#
        let p = try await makePipeline(f)
        let r = try await p.simulate({
            var q = SimulationRequest(user: .stored(""))
            q.connection = "corp"
            q.idpProfile = ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": "emp-17", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "Emp@Corp.example", "name": "Employee 17"]
            return q
        }())
        #expect(r.outcome == .allowed)
        #expect(r.user["user_id"] == "samlp|corp|emp-17")
        #expect(r.user["email"] == "emp@corp.example")
        let ctx = try #require(r.idToken?.claims["https://t/ctx"])
        #expect(ctx["strategy"] == "samlp")
        #expect(ctx["connection"] == "corp")
        #expect(ctx["options"]?["tenant_domain"] == "corp.example")
        #expect(ctx["methods"] == ["federated"])
        #expect(ctx["identities"] == ["samlp|corp|emp-17|false"])
    }

    @Test func neverOnLoginTakesOnlyTheEmailFromTheIdP() async throws {
        var f = TenantFixture()
        f.extraFiles["connections/li.json"] = #"{"name": "li", "strategy": "linkedin", "options": {"set_user_root_attributes": "never_on_login"}}"#
        let p = try await makePipeline(f)
        func login(_ name: String) async throws -> SimulationResult {
            var q = SimulationRequest(user: .stored(""))
            q.connection = "li"
            q.idpProfile = ["sub": "li-1", "email": "Li@Example.com", "name": .string(name), "given_name": "Lin"]
            return try await p.simulate(q)
        }
        let first = try await login("From LinkedIn")
        #expect(first.user["email"] == "li@example.com")
        #expect(first.user["given_name"] == nil)
        #expect(first.user["name"] == "li@example.com", "Auth0's default name")
        let second = try await login("Changed At LinkedIn")
        #expect(second.user["name"] == "li@example.com")
        #expect(try await ManagementService(pipeline: p).patchUser("linkedin|li-1", ["name": "Set Here"])["name"] == "Set Here")
    }

    @Test func strategyMappings() throws {
        func map(_ strategy: String, _ raw: JSONValue) throws -> LoginPipeline.IdPUser {
            try LoginPipeline.mapIdPProfile(raw, connection: Connection(name: strategy, id: "con_x", strategy: strategy, options: [:], metadata: [:], enabledClients: nil))
        }
        let fb = try map("facebook", ["id": "77", "first_name": "Fay", "last_name": "Book", "name": "Fay Book", "picture": ["data": ["url": "https://p/fb.png"]]])
        #expect(fb.userId == "facebook|77")
        #expect(fb.attributes["given_name"] == "Fay")
        #expect(fb.attributes["picture"] == "https://p/fb.png")
        let aad = try map("waad", ["oid": "0000-aaaa", "upn": "Ann@Contoso.example", "name": "Ann"])
        #expect(aad.userId == "waad|0000-aaaa")
        #expect(aad.attributes["email"] == "ann@contoso.example")
        let gh = try map("github", ["id": 12, "login": "octo"])
        #expect(gh.userId == "github|12")
        #expect(gh.attributes["name"] == "octo", "GitHub's name falls back to the login")
        #expect(throws: PipelineError.self) { try map("google-oauth2", ["email": "no-id@example.com"]) }
    }
}
