import Foundation
import JSONCore
import Testing

@testable import LoginEngine

/// The errors JavaScriptCore raises, worded as Node 18 (Auth0's runtime) words them wherever a
/// flow reports them: a test written against Auth0 that checks an error's text passes here.
@Suite struct NodeErrorMessageTests {
    static let cases: [(name: String, body: String, node: String)] = [
        ("read-undefined", "var roles = user.app_metadata.nothing.roles;", "Cannot read properties of undefined (reading 'roles')"),
        ("read-null", "var x = null; var y = x.y;", "Cannot read properties of null (reading 'y')"),
        ("read-index", "var n = context.list[0].name;", "Cannot read properties of undefined (reading '0')"),
        ("read-quoted", "var v = user.app_metadata.missing['x-y'];", "Cannot read properties of undefined (reading 'x-y')"),
        ("set-undefined", "context.nothing.claim = 1;", "Cannot set properties of undefined (setting 'claim')"),
        ("not-a-function", "user.notAFunction();", "user.notAFunction is not a function"),
        ("not-defined", "var z = notDefinedAnywhere + 1;", "notDefinedAnywhere is not defined"),
        ("json-eof", "JSON.parse('');", "Unexpected end of JSON input"),
        ("own-error", "throw new TypeError('my own words (evaluating nothing)');", "my own words (evaluating nothing)"),
    ]

    @Test func engineErrorsAreWordedAsNodeWordsThem() async throws {
        var f = TenantFixture()
        f.rules = Self.cases.map { c in (c.name, "function (user, context, callback) { \(c.body) callback(null, user, context); }") }
        f.rules.append(("logged", """
            function (user, context, callback) {
              try { user.app_metadata.nothing.roles; } catch (e) { console.log(e); console.log(e.message); }
              callback(null, user, context);
            }
            """))
        f.add(
            actions: [ActionSource(name: "act", code: "exports.onExecutePostLogin = async (event, api) => { event.user.app_metadata.nothing.x; };")],
            bindings: ["post-login": ["act"]])
        let p = try await makePipeline(f)
        for c in Self.cases {
            let r = try await simulate(p) { $0.rules = [c.name]; $0.actions = [] }
            #expect(r.outcome != .allowed, "\(c.name)")
            #expect(r.error?.description == c.node, "\(c.name): \(r.error?.description ?? "")")
            #expect(r.traceEntry(c.name)?["error"]?["error_description"]?.stringValue == c.node, "\(c.name)")
        }
        // An action's error likewise.
        let a = try await simulate(p) { $0.rules = []; $0.actions = ["act"] }
        #expect(a.error?.description == "Cannot read properties of undefined (reading 'x')")
        // console.log of the error object shows Node's text (the message string a script reads
        // itself stays the engine's: JavaScriptCore made it).
        let logged = try await simulate(p) { $0.rules = ["logged"]; $0.actions = [] }
        let lines = logged.traceEntry("logged")?["console"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
        #expect(lines.first?.hasPrefix("TypeError: Cannot read properties of undefined (reading 'roles')") == true, "\(lines)")
    }
}
