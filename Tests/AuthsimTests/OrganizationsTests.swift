import AuthsimTesting
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Testing
import Tokens

/// Organizations: the Management API (the organization as a tenant file, its enabled connections,
/// members, member roles, invitations), and logins in an organization (`organization` and
/// `invitation` at `/authorize` and in the password grant, the membership check,
/// `assign_membership_on_login`, `org_id`/`org_name`, `event.organization`/`context.organization`,
/// the organization's roles, the prompt of a client that requires one, refresh tokens that stay
/// in the organization), in-process on copies of the sample tenant (which has `acme`).
@Suite struct OrganizationsTests {
    static let acme = "acme"
    static let bob = "auth0|5f7c8ec7c33c6c004bbafe83"

    /// A post-login action that shows what the login saw of its organization in the ID token.
    static let showOrganization = """
        exports.onExecutePostLogin = async (event, api) => {
          api.idToken.setCustomClaim('https://example.com/org', event.organization ? event.organization.name + '/' + event.organization.display_name + '/' + (event.organization.metadata.plan || '') : 'none');
          api.idToken.setCustomClaim('https://example.com/roles', event.authorization.roles.join(','));
        };
        """

    static func run(action: String? = nil, editApp: ((inout [String: JSONValue]) -> Void)? = nil, _ body: @Sendable (AuthsimTestApp, AuthsimTestClient, String) async throws -> Void) async throws {
        let dir = try sampleTenantCopy()
        if let action { try bindPostLoginAction(in: dir, name: "show-org", code: action) }
        if let editApp { try editSampleApp(in: dir) { editApp(&$0) } }
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        let token = try app.managementToken()
        try await app.test { c in try await body(app, c, token) }
    }

    static func acmeId(_ app: AuthsimTestApp) throws -> String { try #require(app.pipeline.tenant.organization("acme")).id }

    static func password(_ c: AuthsimTestClient, user: String = "ann@example.com", organization: String?, scope: String = "openid profile email") async throws -> AuthsimTestResponse {
        var fields = ["grant_type": "password", "username": user, "password": "Passw0rd!", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "scope": scope]
        if let organization { fields["organization"] = organization }
        return try await c.form("oauth/token", fields)
    }

    static func json(_ c: AuthsimTestClient, _ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> AuthsimTestResponse {
        try await c.send(method, "api/v2/" + path, body: body?.serialized(), token: token)
    }

    @Test func organizationsAreTenantFilesManagedThroughTheAPI() async throws {
        try await Self.run { app, c, token in
            // The sample's organization, as deploy-cli wrote it (no id in the file: one derived from the name).
            let listed = try await Self.json(c, "GET", "organizations?include_totals=true", token: token)
            #expect(listed.status == 200)
            #expect(listed.json["total"] == 1)
            #expect(listed.json["organizations"]?.arrayValue?.first?["display_name"] == "Acme Corporation")
            #expect(try await Self.json(c, "GET", "organizations/name/acme", token: token).json["metadata"]?["plan"] == "enterprise")

            let created = try await Self.json(
                c, "POST", "organizations",
                ["name": "globex", "display_name": "Globex", "metadata": ["tier": "gold"],
                 "enabled_connections": [["connection_id": "Username-Password-Authentication", "assign_membership_on_login": true]]], token: token)
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(id.hasPrefix("org_"))
            // A file in the tenant directory, deploy-cli's shape plus the id (a rename keeps it).
            let file = try String(contentsOfFile: app.pipeline.tenant.directory + "/organizations/globex.json", encoding: .utf8)
            let doc = try JSONValue.parse(file)
            #expect(doc["id"]?.stringValue == id)
            #expect(doc["connections"]?.arrayValue?.first?["name"] == "Username-Password-Authentication")
            #expect(doc["connections"]?.arrayValue?.first?["assign_membership_on_login"] == true)

            #expect(try await Self.json(c, "POST", "organizations", ["name": "globex"], token: token).status == 409)
            let badName = try await Self.json(c, "POST", "organizations", ["name": "Not Valid!"], token: token)
            #expect(badName.status == 400)
            #expect(badName.json["errorCode"] == "invalid_body")
            #expect(try await Self.json(c, "POST", "organizations", ["name": "x", "colour": "red"], token: token).status == 400)

            let renamed = try await Self.json(c, "PATCH", "organizations/\(id)", ["name": "globex-corp", "metadata": ["tier": .null, "region": "eu"]], token: token)
            #expect(renamed.status == 200)
            #expect(renamed.json["id"]?.stringValue == id)
            #expect(renamed.json["name"] == "globex-corp")
            #expect(renamed.json["metadata"] == ["region": "eu"])
            #expect(try await Self.json(c, "GET", "organizations/\(id)", token: token).json["name"] == "globex-corp")

            // Enabled connections.
            let conns = try await Self.json(c, "GET", "organizations/\(id)/enabled_connections", token: token)
            #expect(conns.json.arrayValue?.first?["connection"]?["name"] == "Username-Password-Authentication")
            let connId = try #require(conns.json.arrayValue?.first?["connection_id"]?.stringValue)
            let patched = try await Self.json(c, "PATCH", "organizations/\(id)/enabled_connections/\(connId)", ["assign_membership_on_login": false], token: token)
            #expect(patched.json["assign_membership_on_login"] == false)
            #expect(try await Self.json(c, "POST", "organizations/\(id)/enabled_connections", ["connection_id": .string(connId)], token: token).status == 409)
            #expect(try await Self.json(c, "DELETE", "organizations/\(id)/enabled_connections/\(connId)", token: token).status == 204)
            #expect(try await Self.json(c, "GET", "organizations/\(id)/enabled_connections/\(connId)", token: token).status == 404)

            // Deleted: the file goes, and its members with it.
            _ = try await Self.json(c, "POST", "organizations/\(id)/members", ["members": [.string(InProcess.ann)]], token: token)
            #expect(try await app.pipeline.member(organization: id, userId: InProcess.ann) != nil)
            #expect(try await Self.json(c, "DELETE", "organizations/\(id)", token: token).status == 204)
            #expect(try await Self.json(c, "GET", "organizations/\(id)", token: token).status == 404)
            #expect(!FileManager.default.fileExists(atPath: app.pipeline.tenant.directory + "/organizations/globex.json"))
            #expect(try await app.pipeline.member(organization: id, userId: InProcess.ann) == nil)

            // The scopes are the organization ones.
            let usersOnly = try app.managementToken(scopes: ["read:users"])
            #expect(try await Self.json(c, "GET", "organizations", token: usersOnly).status == 403)
        }
    }

    @Test func membersAndTheirRolesDecideWhoLogsInAndWithWhichRoles() async throws {
        try await Self.run(action: Self.showOrganization) { app, c, token in
            let acme = try Self.acmeId(app)
            // Not a member: refused, and the login is not counted.
            let before = try #require(try await app.pipeline.store.user(id: InProcess.ann)).loginsCount
            let refused = try await Self.password(c, organization: acme)
            #expect(refused.status == 403)
            #expect(refused.json["error"] == "access_denied")
            #expect(refused.json["error_description"]?.stringValue?.contains("not part of") == true)
            #expect(try #require(try await app.pipeline.store.user(id: InProcess.ann)).loginsCount == before)

            #expect(try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token).status == 204)
            #expect(try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": ["auth0|nobody"]], token: token).status == 404)
            // A bounded number of ids per call (each is store work).
            let many = JSONValue.array((0...100).map { .string("auth0|u\($0)") })
            #expect(try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": many], token: token).status == 400)
            // A role assigned tenant-wide does not apply in the organization (Auth0: its own roles do).
            let adminId = try #require(app.pipeline.tenant.roles.first { $0.name == "admin" }).id
            _ = try await Self.json(c, "POST", "users/\(InProcess.annPath)/roles", ["roles": [.string(adminId)]], token: token)
            let tenantRoleOnly = try JWT.decode(try #require(try await Self.password(c, organization: acme).json["id_token"]?.stringValue)).claims
            #expect(tenantRoleOnly["https://example.com/roles"] == "")
            #expect(try await Self.json(c, "POST", "organizations/\(acme)/members/\(InProcess.annPath)/roles", ["roles": ["admin"]], token: token).status == 204)
            let members = try await Self.json(c, "GET", "organizations/\(acme)/members?fields=roles", token: token)
            #expect(members.json.arrayValue?.first?["user_id"]?.stringValue == InProcess.ann)
            #expect(members.json.arrayValue?.first?["email"] == "ann@example.com")
            #expect(members.json.arrayValue?.first?["roles"]?.arrayValue?.first?["name"] == "admin")
            let roles = try await Self.json(c, "GET", "organizations/\(acme)/members/\(InProcess.annPath)/roles", token: token)
            #expect(roles.json.arrayValue?.first?["name"] == "admin")
            let userOrgs = try await Self.json(c, "GET", "users/\(InProcess.annPath)/organizations", token: token)
            #expect(userOrgs.json.arrayValue?.first?["name"] == "acme")
            // A role for someone who is not a member: 404.
            #expect(try await Self.json(c, "POST", "organizations/\(acme)/members/\(Self.bob.replacingOccurrences(of: "|", with: "%7C"))/roles", ["roles": ["admin"]], token: token).status == 404)

            // A member: tokens in the organization, the organization's roles in the flow.
            for ref in [acme, "acme"] {
                let ok = try await Self.password(c, organization: ref)
                #expect(ok.status == 200)
                let id = try JWT.decode(try #require(ok.json["id_token"]?.stringValue)).claims
                #expect(id["org_id"]?.stringValue == acme)
                #expect(id["org_name"] == "acme")
                #expect(id["https://example.com/org"] == "acme/Acme Corporation/enterprise")
                #expect(id["https://example.com/roles"]?.stringValue?.split(separator: ",").contains("admin") == true)
                let at = try JWT.decode(try #require(ok.json["access_token"]?.stringValue)).claims
                #expect(at["org_id"]?.stringValue == acme)
            }
            // Without an organization the same user logs in outside it.
            let outside = try JWT.decode(try #require(try await Self.password(c, organization: nil).json["id_token"]?.stringValue)).claims
            #expect(outside["org_id"] == nil)
            #expect(outside["https://example.com/org"] == "none")
            #expect(outside["https://example.com/roles"] == "admin", "outside the organization the tenant-wide role applies")

            // An unknown organization, and a client that may not use organizations.
            #expect(try await Self.password(c, organization: "org_doesnotexist000").json["error"] == "invalid_request")

            // Removed from the organization: refused again.
            #expect(try await Self.json(c, "DELETE", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token).status == 204)
            #expect(try await Self.password(c, organization: acme).json["error"] == "access_denied")
        }
    }

    @Test func refreshTokensStayInTheirOrganizationAndLoseItWithTheMembership() async throws {
        try await Self.run { app, c, token in
            let acme = try Self.acmeId(app)
            _ = try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            let first = try await Self.password(c, organization: acme, scope: "openid offline_access")
            let rt = try #require(first.json["refresh_token"]?.stringValue)
            let refreshed = try await c.form("oauth/token", ["grant_type": "refresh_token", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "refresh_token": rt])
            #expect(refreshed.status == 200)
            #expect(try JWT.decode(try #require(refreshed.json["id_token"]?.stringValue)).claims["org_id"]?.stringValue == acme)
            _ = try await Self.json(c, "DELETE", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            let after = try await c.form("oauth/token", ["grant_type": "refresh_token", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "refresh_token": rt])
            #expect(after.json["error"] == "access_denied")
        }
    }

    @Test func assignMembershipOnLoginMakesTheUserAMember() async throws {
        try await Self.run { app, c, token in
            let acme = try Self.acmeId(app)
            let conn = try #require(app.pipeline.tenant.connection(named: "Username-Password-Authentication")).id
            _ = try await Self.json(c, "PATCH", "organizations/\(acme)/enabled_connections/\(conn)", ["assign_membership_on_login": true], token: token)
            #expect(try await app.pipeline.member(organization: acme, userId: InProcess.ann) == nil)
            #expect(try await Self.password(c, organization: acme).status == 200)
            #expect(try await app.pipeline.member(organization: acme, userId: InProcess.ann) != nil)
        }
    }

    @Test func aConnectionTheOrganizationDoesNotEnableIsRefused() async throws {
        try await Self.run { app, c, token in
            let acme = try Self.acmeId(app)
            _ = try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            let conn = try #require(app.pipeline.tenant.connection(named: "Username-Password-Authentication")).id
            _ = try await Self.json(c, "DELETE", "organizations/\(acme)/enabled_connections/\(conn)", token: token)
            let refused = try await Self.password(c, organization: acme)
            #expect(refused.json["error"] == "invalid_request")
            #expect(refused.json["error_description"]?.stringValue?.contains("not enabled") == true)
        }
    }

    @Test func aClientThatDeniesOrganizationsRefusesTheParameter() async throws {
        try await Self.run(editApp: { $0["organization_usage"] = "deny" }) { app, c, _ in
            #expect(try await Self.password(c, organization: "acme").json["error"] == "invalid_request")
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get(Self.authorize("&organization=acme"))
            #expect(page.header("Location")?.contains("error=invalid_request") == true)
            // Its logins cannot be moved into an organization through the prompt's form either.
            let plain = try await browser.get(Self.authorize(""))
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: plain.text))
            #expect(try await browser.submit("authorize/organization", ["tx": tx, "organization": "acme"]).status == 400)
            // Nor through a simulation.
            let token = try app.managementToken()
            let simulated = try await c.send("POST", "api/authsim/simulate", body: #"{"user": "ann@example.com", "organization": "acme"}"#, token: token)
            #expect(simulated.json["error"]?["error"] == "invalid_request")
        }
    }

    static func authorize(_ extra: String) -> String {
        "authorize?client_id=\(InProcess.appClient)&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=code&scope=openid%20email&state=s1" + extra
    }

    /// Follows a login to the callback and exchanges the code; returns the ID token's claims.
    static func finish(_ c: AuthsimTestClient, _ response: AuthsimTestResponse) async throws -> JSONValue {
        let location = try #require(response.header("Location"))
        let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value, "no code in \(location)")
        let tokens = try await c.form(
            "oauth/token",
            ["grant_type": "authorization_code", "client_id": InProcess.appClient, "client_secret": InProcess.appSecret, "code": code, "redirect_uri": InProcess.callback])
        return try JWT.decode(try #require(tokens.json["id_token"]?.stringValue)).claims
    }

    @Test func theBrowserLoginInAnOrganization() async throws {
        try await Self.run { app, c, token in
            let acme = try Self.acmeId(app)
            _ = try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            let browser = AuthsimTestBrowser(c)
            #expect(try await browser.get(Self.authorize("&organization=nope")).header("Location")?.contains("error=invalid_request") == true)
            #expect(try await browser.get(Self.authorize("&invitation=abc")).header("Location")?.contains("error=invalid_request") == true)
            let page = try await browser.get(Self.authorize("&organization=acme"))
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            let login = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            let claims = try await Self.finish(c, login)
            #expect(claims["org_id"]?.stringValue == acme)
            #expect(claims["org_name"] == "acme")
            // Sign-up is off for the organization's connection (Auth0's default): no account is made.
            let other = AuthsimTestBrowser(c)
            let start = try await other.get(Self.authorize("&organization=acme&prompt=login"))
            let tx2 = try #require(AuthsimTestBrowser.hidden("tx", in: start.text))
            let signup = try await other.submit("authorize/signup", ["tx": tx2, "email": "eve@example.com", "password": "Eve-Passw0rd-1"])
            #expect(signup.text.contains("Sign-up is not enabled for this organization"))
            #expect(try await app.pipeline.store.user(login: "eve@example.com", connection: "Username-Password-Authentication") == nil)
            // The SSO session: a later authorize in the organization is silent, and still checked.
            let silent = try await browser.get(Self.authorize("&organization=\(acme)"))
            #expect(try await Self.finish(c, silent)["org_id"]?.stringValue == acme)
            _ = try await Self.json(c, "DELETE", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            let denied = try await browser.get(Self.authorize("&organization=\(acme)"))
            #expect(denied.header("Location")?.contains("error=access_denied") == true)
        }
    }

    @Test func aClientThatRequiresAnOrganizationAsksForIt() async throws {
        try await Self.run(editApp: { $0["organization_usage"] = "require"; $0["organization_require_behavior"] = "pre_login_prompt" }) { app, c, token in
            let acme = try Self.acmeId(app)
            _ = try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            #expect(try await Self.password(c, organization: nil).json["error"] == "invalid_request")
            // The simulation API too: the client requires one.
            let simulated = try await c.send("POST", "api/authsim/simulate", body: #"{"user": "ann@example.com"}"#, token: token)
            #expect(simulated.json["error"]?["error"] == "invalid_request")
            let browser = AuthsimTestBrowser(c)
            let prompt = try await browser.get(Self.authorize(""))
            #expect(prompt.status == 200)
            #expect(prompt.text.contains("action=\"/authorize/organization\""))
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: prompt.text))
            // Skipping the prompt (posting the credentials, or the sign-up form, straight away) only shows it again.
            let skipped = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            #expect(skipped.text.contains("action=\"/authorize/organization\""))
            #expect(try await browser.get("authorize/signup?tx=\(tx)").text.contains("action=\"/authorize/organization\""))
            let unknown = try await browser.submit("authorize/organization", ["tx": tx, "organization": "initech"])
            #expect(unknown.text.contains("No organization is called initech"))
            let login = try await browser.submit("authorize/organization", ["tx": tx, "organization": "acme"])
            #expect(login.text.contains("action=\"/authorize/login\""))
            let done = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            #expect(try await Self.finish(c, done)["org_id"]?.stringValue == acme)
        }
        // no_prompt, Auth0's default: the application must send one.
        for behavior: JSONValue? in ["no_prompt", nil] {
            try await Self.run(editApp: { $0["organization_usage"] = "require"; $0["organization_require_behavior"] = behavior }) { _, c, _ in
                let refused = try await AuthsimTestBrowser(c).get(Self.authorize(""))
                #expect(refused.header("Location")?.contains("error=invalid_request") == true)
            }
        }
    }

    /// `post_login_prompt`: the credentials first, then the user picks one of their
    /// organizations; the login counts once, when it runs in the organization picked.
    @Test func postLoginPromptLetsTheUserPickAfterTheCredentials() async throws {
        try await Self.run(editApp: { $0["organization_usage"] = "require"; $0["organization_require_behavior"] = "post_login_prompt" }) { app, c, token in
            let acme = try Self.acmeId(app)
            _ = try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get(Self.authorize(""))
            #expect(page.text.contains("action=\"/authorize/login\""), "the credentials come first")
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            // Naming an organization by the pre-login form is not this login's way.
            #expect(try await browser.submit("authorize/organization", ["tx": tx, "organization": "acme"]).status == 400)
            // Nor is a sign-up the organization would refuse anyway (no account is made).
            let signup = try await browser.submit("authorize/signup", ["tx": tx, "email": "zed@example.com", "password": "Zed-Passw0rd-1"])
            #expect(signup.text.contains("Sign-up is not enabled"))
            #expect(try await app.pipeline.store.user(login: "zed@example.com", connection: "Username-Password-Authentication") == nil)
            let before = try #require(try await app.pipeline.store.user(id: InProcess.ann)).loginsCount
            let pick = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            #expect(pick.status == 200)
            #expect(pick.text.contains("Choose your organization"))
            #expect(pick.text.contains("value=\"\(acme)\""))
            #expect(try #require(try await app.pipeline.store.user(id: InProcess.ann)).loginsCount == before, "not counted before the organization is known")
            // An organization that is not the user's is not taken.
            let other = try await browser.submit("authorize/organization", ["tx": tx, "organization": "org_notmine000000000"])
            #expect(other.text.contains("Pick one of your organizations"))
            let done = try await browser.submit("authorize/organization", ["tx": tx, "organization": acme])
            #expect(try await Self.finish(c, done)["org_id"]?.stringValue == acme)
            #expect(try #require(try await app.pipeline.store.user(id: InProcess.ann)).loginsCount == before + 1)
            // The transaction is spent.
            #expect(try await browser.submit("authorize/organization", ["tx": tx, "organization": acme]).status == 400)
            // A user in no organization is refused after the credentials.
            let bobBrowser = AuthsimTestBrowser(c)
            let bobPage = try await bobBrowser.get(Self.authorize(""))
            let bobTx = try #require(AuthsimTestBrowser.hidden("tx", in: bobPage.text))
            let refused = try await bobBrowser.submit("authorize/login", ["tx": bobTx, "username": "bob@example.com", "password": "Passw0rd!"])
            #expect(refused.header("Location")?.contains("error=access_denied") == true)
        }
    }

    @Test func anInvitationSignsTheInviteeUpAsAMemberWithItsRolesOnce() async throws {
        try await Self.run(action: Self.showOrganization) { app, c, token in
            let acme = try Self.acmeId(app)
            let invited = try await Self.json(
                c, "POST", "organizations/\(acme)/invitations",
                ["inviter": ["name": "Ann"], "invitee": ["email": "carol@example.com"], "client_id": .string(InProcess.appClient), "roles": ["admin"],
                 "app_metadata": ["invited": true]], token: token)
            #expect(invited.status == 201)
            let url = try #require(invited.json["invitation_url"]?.stringValue)
            #expect(url.hasPrefix(InProcess.callback + "?invitation="))
            let query = try #require(URLComponents(string: url)?.queryItems)
            let ticket = try #require(query.first { $0.name == "invitation" }?.value)
            #expect(query.first { $0.name == "organization" }?.value == acme)
            #expect(query.first { $0.name == "organization_name" }?.value == "acme")
            let invitationId = try #require(invited.json["id"]?.stringValue)
            #expect(try await Self.json(c, "GET", "organizations/\(acme)/invitations", token: token).json.arrayValue?.first?["id"]?.stringValue == invitationId)
            #expect(try await Self.json(c, "GET", "organizations/\(acme)/invitations/\(invitationId)", token: token).json["invitee"]?["email"] == "carol@example.com")

            // The app sends the invitee to /authorize with the ticket: no account yet, so the sign-up form.
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get(Self.authorize("&organization=\(acme)&invitation=\(ticket)"))
            #expect(page.text.contains("action=\"/authorize/signup\""))
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            let otherEmail = try await browser.submit("authorize/signup", ["tx": tx, "email": "mallory@example.com", "password": "An0ther-Passw0rd!"])
            #expect(otherEmail.text.contains("the email address the invitation was sent to"))
            let done = try await browser.submit("authorize/signup", ["tx": tx, "email": "carol@example.com", "password": "An0ther-Passw0rd!"])
            let claims = try await Self.finish(c, done)
            #expect(claims["org_id"]?.stringValue == acme)
            #expect(claims["https://example.com/roles"]?.stringValue?.split(separator: ",").contains("admin") == true)
            let carol = try #require(try await app.pipeline.store.user(login: "carol@example.com", connection: "Username-Password-Authentication"))
            #expect(try await app.pipeline.member(organization: acme, userId: carol.userId)?.roles == ["admin"])
            #expect(carol.appMetadata["invited"] == true)
            // Accepted: gone, and the same ticket no longer opens a login.
            #expect(try await Self.json(c, "GET", "organizations/\(acme)/invitations/\(invitationId)", token: token).status == 404)
            let again = try await AuthsimTestBrowser(c).get(Self.authorize("&organization=\(acme)&invitation=\(ticket)"))
            #expect(again.header("Location")?.contains("error=access_denied") == true)
        }
    }

    @Test func anInvitationForAnotherEmailIsNotAccepted() async throws {
        try await Self.run { app, c, token in
            let acme = try Self.acmeId(app)
            let invited = try await Self.json(
                c, "POST", "organizations/\(acme)/invitations",
                ["inviter": ["name": "Ann"], "invitee": ["email": "dave@example.com"], "client_id": .string(InProcess.appClient)], token: token)
            let url = try #require(invited.json["invitation_url"]?.stringValue)
            let ticket = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "invitation" }?.value)
            let browser = AuthsimTestBrowser(c)
            let page = try await browser.get(Self.authorize("&organization=\(acme)&invitation=\(ticket)"))
            let tx = try #require(AuthsimTestBrowser.hidden("tx", in: page.text))
            // Ann (who has an account) opens the invitation meant for Dave.
            let login = try await browser.submit("authorize/login", ["tx": tx, "username": "ann@example.com", "password": "Passw0rd!"])
            #expect(login.header("Location")?.contains("error=access_denied") == true)
            #expect(try await app.pipeline.member(organization: acme, userId: InProcess.ann) == nil)
            // The invitation is still there for Dave; deleting it ends it.
            let id = try #require(invited.json["id"]?.stringValue)
            #expect(try await Self.json(c, "DELETE", "organizations/\(acme)/invitations/\(id)", token: token).status == 204)
            #expect(try await Self.json(c, "DELETE", "organizations/\(acme)/invitations/\(id)", token: token).status == 404)
        }
    }

    @Test func theSimulationAPITakesAnOrganizationFromTheModel() async throws {
        try await Self.run(action: Self.showOrganization) { app, c, token in
            let acme = try Self.acmeId(app)
            _ = try await Self.json(c, "POST", "organizations/\(acme)/members", ["members": [.string(InProcess.ann)]], token: token)
            let simulated = try await c.send("POST", "api/authsim/simulate", body: #"{"user": "ann@example.com", "organization": "acme"}"#, token: token)
            #expect(simulated.status == 200)
            #expect(simulated.json["outcome"] == "allowed")
            #expect(simulated.json["idToken"]?["claims"]?["org_id"]?.stringValue == acme)
            let outsider = try await c.send("POST", "api/authsim/simulate", body: #"{"user": "bob@example.com", "organization": "acme"}"#, token: token)
            #expect(outsider.json["outcome"] == "denied")
        }
    }

    /// Machine-to-machine tokens in an organization: the client grant's `organization_usage`,
    /// and an organization that lists the grant (or a grant that allows any).
    @Test func clientCredentialsInAnOrganization() async throws {
        let dir = try sampleTenantCopy()
        let grantFile = dir + "/client-grants/example-api.json"
        var grant = try JSONValue.parse(String(contentsOfFile: grantFile, encoding: .utf8)).objectValue ?? [:]
        grant["organization_usage"] = "allow"
        try JSONValue.object(grant).serialized().write(toFile: grantFile, atomically: true, encoding: .utf8)
        let orgFile = dir + "/organizations/acme.json"
        var org = try JSONValue.parse(String(contentsOfFile: orgFile, encoding: .utf8)).objectValue ?? [:]
        org["client_grants"] = [["client_id": "authsim Management", "audience": "https://api.example.com"]]
        try JSONValue.object(org).serialized().write(toFile: orgFile, atomically: true, encoding: .utf8)
        try #"{"name": "other"}"#.write(toFile: dir + "/organizations/other.json", atomically: true, encoding: .utf8)
        let app = try await AuthsimTestApp.open(tenantDirectory: dir, runtime: InProcess.runtime)
        try await app.test { c in
            func cc(_ organization: String?, audience: String = "https://api.example.com") async throws -> AuthsimTestResponse {
                var fields = ["grant_type": "client_credentials", "client_id": "sampleManagementClientId0000000", "client_secret": "sample-management-secret-change-me", "audience": audience]
                if let organization { fields["organization"] = organization }
                return try await c.form("oauth/token", fields)
            }
            let acme = try Self.acmeId(app)
            let inside = try await cc("acme")
            #expect(inside.status == 200)
            let claims = try JWT.decode(try #require(inside.json["access_token"]?.stringValue)).claims
            #expect(claims["org_id"]?.stringValue == acme)
            #expect(claims["org_name"] == "acme")
            #expect(try JWT.decode(try #require(try await cc(nil).json["access_token"]?.stringValue)).claims["org_id"] == nil)
            // An organization that does not list the grant; a grant that denies organizations.
            #expect(try await cc("other").json["error"] == "access_denied")
            #expect(try await cc("nope").json["error"] == "invalid_request")
            #expect(try await cc("acme", audience: AuthsimTestApp.issuer + "api/v2/").json["error"] == "invalid_request")
        }
    }

    @Test func deployCLIYAMLOrganizationsLoadAndAConnectionTheTenantLacksIsReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-org-yaml-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            tenant:
              friendly_name: orgs
            clients:
              - name: App
                app_type: regular_web
                callbacks: ['http://localhost/cb']
                organization_usage: require
            databases:
              - name: db
                strategy: auth0
            organizations:
              - name: wayne
                display_name: Wayne Enterprises
                metadata:
                  city: Gotham
                connections:
                  - name: db
                    assign_membership_on_login: true
                  - name: missing-connection
              - name: Bad Name
            """.write(toFile: dir + "/tenant.yaml", atomically: true, encoding: .utf8)
        let tenant = try TenantLoader.load(directory: dir)
        let wayne = try #require(tenant.organization("wayne"))
        #expect(wayne.displayName == "Wayne Enterprises")
        #expect(wayne.metadata == ["city": "Gotham"])
        #expect(wayne.connections.map(\.name) == ["db"])
        #expect(wayne.connections.first?.assignMembershipOnLogin == true)
        #expect(tenant.organizations.count == 1)
        #expect(tenant.notices.contains { $0.message.contains("missing-connection") })
        #expect(tenant.notices.contains { $0.message.contains("Bad Name") })
        #expect(tenant.clients.first?.organizationUsage == "require")
    }
}
