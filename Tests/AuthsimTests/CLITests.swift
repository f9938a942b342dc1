import Foundation
import JSONCore
import Testing

/// End-to-end tests of the `authsim` executable, run as a separate process on the sample tenant.
@Suite struct CLITests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("repository root not found")
    }()

    /// The executable built next to the test bundle (`swift build` builds it; `make test` runs that first).
    static let binary: String = {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("authsim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return root.appendingPathComponent(".build/release/authsim").path
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `environment`: variables set (or, with "", removed) for this run.
    func authsim(_ args: [String], store: String, environment: [String: String] = [:]) async throws -> Run {
        try await offThePool { try CLITests.runBlocking(args, store: store, environment: environment) }
    }

    static func runBlocking(_ args: [String], store: String, environment: [String: String] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = root
        var env = ProcessInfo.processInfo.environment
        env["AUTHSIM_DATA_DIR"] = (store as NSString).deletingLastPathComponent
        for (name, value) in environment { env[name] = value.isEmpty ? nil : value }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func freshStore() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("authsim.sqlite").path
    }

    @Test func simulateJSONReturnsTheSampleRulesClaimsAndTrace() async throws {
        let store = freshStore()
        let r = try await authsim(["simulate", "--user", "ann@example.com", "--ip", "198.51.100.7", "--json"], store: store)
        #expect(r.status == 0, "\(r.stderr)")
        let out = try #require(try? JSONValue.parse(r.stdout), "stdout is not JSON (\(r.stdout.utf8.count) bytes: \(r.stdout.prefix(300))); stderr: \(r.stderr.prefix(2000))")
        #expect(out["outcome"] == "allowed")
        #expect(out["error"] == .null)
        let claims = try #require(out["idToken"]?["claims"])
        #expect(claims["https://example.com/roles"] == ["admin", "editor"])
        #expect(claims["https://example.com/country"] == "JP")
        #expect(claims["https://example.com/plan"] == "enterprise")
        #expect(out["idToken"]?["jwt"]?.stringValue?.split(separator: ".").count == 3)
        #expect(out["accessToken"]?["claims"]?["https://example.com/plan"] == "enterprise")
        let trace = try #require(out["trace"]?.arrayValue)
        #expect(trace.count == 5)
        for entry in trace {
            #expect(entry["outcome"] == "continued")
            #expect(entry["durationMs"]?.doubleValue != nil)
        }
        #expect(trace[0]["changes"]?["idToken"]?["added"]?["https://example.com/roles"] == ["admin", "editor"])
        #expect(out["persisted"]?["user_metadata"]?["first_login_at"]?.stringValue != nil)

        // The token verifies against the store's keys with `token decode`.
        let jwt = try #require(out["idToken"]?["jwt"]?.stringValue)
        let decoded = try await authsim(["token", "decode", jwt, "--store", store, "--json"], store: store)
        #expect(decoded.status == 0)
        let explained = try JSONValue.parse(decoded.stdout)
        #expect(explained["signatureValid"] == true)
        // The stored trace (found by jti) says which rule set each custom claim.
        #expect(explained["setBy"]?["https://example.com/roles"] == "add-roles-to-tokens")
        #expect(explained["setBy"]?["https://example.com/country"] == "geoip-country")
        #expect(explained["claims"]?["jti"] == out["traceId"])
        // A tampered token does not.
        var parts = jwt.split(separator: ".").map(String.init)
        parts[2] = String(parts[2].reversed())
        let tampered = try await authsim(["token", "decode", parts.joined(separator: "."), "--store", store, "--json"], store: store)
        #expect(try JSONValue.parse(tampered.stdout)["signatureValid"] == false)
    }

    @Test func readableReportShowsEachRule() async throws {
        let r = try await authsim(["simulate", "--user", "bob@example.com"], store: freshStore())
        #expect(r.status == 0)
        for rule in ["add-roles-to-tokens", "require-verified-email", "metadata-claims", "geoip-country", "track-first-login"] {
            #expect(r.stdout.contains(rule))
        }
        #expect(r.stdout.contains("Outcome: allowed"))
        #expect(r.stdout.contains("https://example.com/lang"))
    }

    @Test func deniedLoginStillExitsZero() async throws {
        let r = try await authsim(["simulate", "--user", "unverified@example.com", "--json"], store: freshStore())
        #expect(r.status == 0)
        #expect(try JSONValue.parse(r.stdout)["outcome"] == "denied")
    }

    @Test func loginChecksThePassword() async throws {
        let store = freshStore()
        let bad = try await authsim(["login", "--username", "ann@example.com", "--password", "wrong", "--json"], store: store)
        #expect(bad.status == 0)
        #expect(try JSONValue.parse(bad.stdout)["error"]?["error"] == "invalid_grant")
        let good = try await authsim(["login", "--username", "ann@example.com", "--password", "Passw0rd!", "--json"], store: store)
        #expect(try JSONValue.parse(good.stdout)["outcome"] == "allowed")
    }

    @Test func usageErrorsExitTwoAndRunFailuresExitOne() async throws {
        let store = freshStore()
        let usage = try await authsim(["simulate"], store: store)
        #expect(usage.status == 2)
        let unknownFlag = try await authsim(["simulate", "--user", "x", "--bogus"], store: store)
        #expect(unknownFlag.status == 2)
        // A command line naming a subcommand is parsed by that subcommand alone; what it does not
        // accept is parsed again by the whole tree, whose messages name `authsim <command>`.
        #expect(unknownFlag.stderr.contains("Unknown option '--bogus'") && unknownFlag.stderr.contains("authsim simulate"), "\(unknownFlag.stderr)")
        let help = try await authsim(["simulate", "--help"], store: store)
        #expect(help.status == 0 && help.stdout.contains("USAGE: authsim simulate"), "\(help.stdout)")
        let nestedHelp = try await authsim(["users", "import", "--help"], store: store)
        #expect(nestedHelp.status == 0 && nestedHelp.stdout.contains("USAGE: authsim users import"), "\(nestedHelp.stdout)")
        let unknownCommand = try await authsim(["simulat"], store: store)
        #expect(unknownCommand.status != 0 && unknownCommand.stderr.contains("simulat"), "\(unknownCommand.stderr)")
        let noUser = try await authsim(["simulate", "--user", "nobody@example.com"], store: store)
        #expect(noUser.status == 1)
        #expect(noUser.stderr.contains("nobody@example.com"))
        let badTenant = try await authsim(["simulate", "--user", "x", "--tenant", "/nonexistent"], store: store)
        #expect(badTenant.status == 1)
    }

    @Test func syntaxErrorInARuleExitsOneNamingFileAndLine() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-tenant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("rules"), withIntermediateDirectories: true)
        try "function (user, context, callback) {\n  callback(null, user, context)\n  }}\n".write(to: dir.appendingPathComponent("rules/oops.js"), atomically: true, encoding: .utf8)
        let store = freshStore()
        let inline = dir.appendingPathComponent("req.json")
        try #"{"user": {"user_id": "auth0|x", "email": "x@example.com"}}"#.write(to: inline, atomically: true, encoding: .utf8)
        let r = try await authsim(["simulate", "--tenant", dir.path, "--request", inline.path], store: store)
        #expect(r.status == 1)
        #expect(r.stderr.contains("rules/oops.js:3"), "\(r.stderr)")
    }

    @Test func usersImportExportAndList() async throws {
        let store = freshStore()
        let file = (store as NSString).deletingLastPathComponent + "/import.json"
        try #"[{"email": "new@example.com", "email_verified": true}, {"email": "broken"}]"#.write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try await authsim(["users", "import", file, "--connection", "Username-Password-Authentication"], store: store)
        #expect(imported.status == 0)
        #expect(imported.stdout.contains("imported 1 user"))
        #expect(imported.stdout.contains("user[1]"))
        let list = try await authsim(["users", "list"], store: store)
        #expect(list.stdout.contains("new@example.com"))
        #expect(list.stdout.contains("ann@example.com"))
        let export = try await authsim(["users", "export"], store: store)
        let users = try #require(try JSONValue.parse(export.stdout).arrayValue)
        #expect(users.count == 5)
        #expect(users.contains { $0["email"] == "ann@example.com" && $0["password_hash"]?.stringValue?.hasPrefix("$2b$") == true })
    }

    /// `authsim tenant export`: a deploy-cli YAML tenant written out in the directory format,
    /// which loads again; a directory that is not empty is refused.
    @Test func tenantExportWritesTheDirectoryFormat() async throws {
        let store = freshStore()
        let yaml = Self.root.appendingPathComponent("Tests/LoginEngineTests/Fixtures/deploy-cli/yaml").path
        let out = (store as NSString).deletingLastPathComponent + "/exported"
        let r = try await authsim(["tenant", "export", out, "--tenant", yaml, "--store", store], store: store)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("(yaml format)"), "\(r.stdout)")
        #expect(r.stderr.contains("pages"), "what is not simulated is reported: \(r.stderr)")
        for file in ["tenant.json", "rules/Add plan claim.js", "rules/Add plan claim.json", "actions/Tag plan/code.js", "actions/Tag plan.json",
                     "database-connections/Legacy DB/database.json", "database-connections/Legacy DB/login.js", "grants", "organizations/acme-partners.json",
                     "hooks/client-credentials-exchange.js", "triggers/triggers.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let again = try await authsim(["tenant", "export", out + "2", "--tenant", out, "--store", store], store: store)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("(directory format)"), "\(again.stdout)")
        let refused = try await authsim(["tenant", "export", out, "--tenant", yaml, "--store", store], store: store)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not empty"), "\(refused.stderr)")
    }
}
