import AuthsimTesting
import Foundation
import JSONCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `POST /api/v2/jobs/users-imports` with every password-hash format Auth0 accepts, then a
/// real password login for each imported user (which replaces the hash with bcrypt).
@Suite(.serialized) struct BulkImportTests {
    /// Hashes of "Passw0rd!" made outside authsim (Python hashlib, libargon2).
    static let users: [(email: String, hash: String)] = [
        ("bcrypt@import.test", #"{"algorithm": "bcrypt", "hash": {"value": "$2b$10$8px0W/YK7WQUO9fu.nTtkeFZGD7y06gkw7VEB5BRzHXV4o1AjZmKy"}}"#),
        ("argon2@import.test", #"{"algorithm": "argon2", "hash": {"value": "$argon2id$v=19$m=4096,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5MmgGXWwVbhOSOyNMiE7gQw5hjWYouljS8thguLOjJ0", "encoding": "utf8"}}"#),
        ("pbkdf2@import.test", #"{"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2-sha256$i=1000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$2/6i32L0Bi6MtP2OuJMPcqA89+m4kdqqE3/bAThGMxs", "encoding": "utf8"}}"#),
        ("sha256@import.test", #"{"algorithm": "sha256", "hash": {"value": "3fd7ad7bb0a3f49219870418d01e4d750b11ec27d452dec33a8309b6de961da8", "encoding": "hex"}, "salt": {"value": "NaCl", "position": "prefix"}}"#),
        ("sha512@import.test", #"{"algorithm": "sha512", "hash": {"value": "98J08+wY9IjNYFDYd4OX45fs3NKkgH7AAdFIkzsr1GAodnYf9ZZbh9qB4DBgKh+DldZgzpkYSDrPQ2OUE/1qjg==", "encoding": "base64"}, "salt": {"value": "AQJzYWx0eXNhbHQ=", "encoding": "base64", "position": "suffix"}}"#),
        ("sha1@import.test", #"{"algorithm": "sha1", "hash": {"value": "86e1c5175fd854069930066a470e7000661d3312"}, "salt": {"value": "pepper", "position": "prefix"}}"#),
        ("md5@import.test", #"{"algorithm": "md5", "hash": {"value": "47b7bfb65fa83ac9a71dcb0f6296bb6e", "encoding": "hex"}}"#),
        ("hmac@import.test", #"{"algorithm": "hmac", "hash": {"value": "77388bd8f68c13686b8960ae765143f92c3f5a59cae54590eb47ac72cd778e34", "digest": "sha256", "key": {"value": "server-key"}}}"#),
    ]

    func multipart(_ users: String, connectionId: String) -> (Data, String) {
        let boundary = "----authsim\(UUID().uuidString)"
        var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\n\(connectionId)\r\n"
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"users\"; filename=\"users.json\"\r\nContent-Type: application/json\r\n\r\n\(users)\r\n"
        body += "--\(boundary)--\r\n"
        return (Data(body.utf8), "multipart/form-data; boundary=\(boundary)")
    }

    @Test func everyHashFormatImportsAndLogsIn() async throws {
        let d = try await listeningApp()
        defer { d.terminate() }
        let (_, connections) = try await d.request("api/v2/connections", token: d.token)
        let database = try #require(connections.arrayValue?.first { $0["name"] == "Username-Password-Authentication" }?["id"]?.stringValue)

        var entries = Self.users.map { #"{"email": "\#($0.email)", "email_verified": true, "custom_password_hash": \#($0.hash)}"# }
        entries.append(#"{"email": "scrypt@import.test", "custom_password_hash": {"algorithm": "scrypt", "hash": {"value": "abc"}}}"#)
        entries.append(#"{"email": "badpbkdf2@import.test", "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": "not-phc"}}}"#)
        entries.append(#"{"email": "not-an-email"}"#)
        let (body, contentType) = multipart("[" + entries.joined(separator: ",\n") + "]", connectionId: database)
        var r = URLRequest(url: d.base.appendingPathComponent("api/v2/jobs/users-imports"))
        r.httpMethod = "POST"
        r.httpBody = body
        r.setValue(contentType, forHTTPHeaderField: "Content-Type")
        r.setValue("Bearer \(d.token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: r)
        let job = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        #expect((response as? HTTPURLResponse)?.statusCode == 201, "\(job)")
        #expect(job["status"] == "completed")
        #expect(job["summary"]?["inserted"] == .number(Double(Self.users.count)))
        #expect(job["summary"]?["failed"] == 3)
        let id = try #require(job["id"]?.stringValue)
        #expect(try await d.request("api/v2/jobs/" + id, token: d.token).1["id"] == job["id"])
        let (_, errors) = try await d.request("api/v2/jobs/\(id)/errors", token: d.token)
        let failed = (errors.arrayValue ?? []).compactMap { $0["index"]?.intValue }
        #expect(failed == [8, 9, 10], "invalid entries are reported by index")
        #expect(errors.arrayValue?.first?["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("scrypt") == true)
        #expect(try await d.request("api/v2/jobs/job_nope", token: d.token).0 == 404)
        // A custom database without import mode keeps its users in its own database.
        let (refused, why) = try await d.request(
            "api/v2/jobs/users-imports", method: "POST", body: Data(#"{"connection_id": "legacy-users", "users": [{"email": "x@import.test"}]}"#.utf8), token: d.token)
        #expect(refused == 400)
        #expect(why["message"]?.stringValue?.contains("import mode off") == true)

        // Each imported user logs in with the password; a wrong password is still refused.
        let oauth = OAuthTests()
        for user in Self.users {
            let (status, tokens) = try await oauth.passwordGrant(d, user: user.email, scope: "openid")
            #expect(status == 200, "\(user.email): \(tokens)")
        }
        #expect(try await oauth.passwordGrant(d, user: "md5@import.test", password: "Passw0rd?").1["error"] == "invalid_grant")

        // After the first login every hash is bcrypt, and the password still works.
        let export = try await CLITests().authsim(["users", "export"], store: d.app.storePath)
        let exported = try JSONValue.parse(export.stdout).arrayValue ?? []
        for user in Self.users {
            let row = try #require(exported.first { $0["email"]?.stringValue == user.email })
            #expect(row["password_hash"]?.stringValue?.hasPrefix("$2b$") == true, "\(user.email) was re-hashed with bcrypt")
            #expect(row["custom_password_hash"] == nil)
        }
        #expect(try await oauth.passwordGrant(d, user: "argon2@import.test", scope: "openid").0 == 200)
        #expect(await d.stop() == nil)
    }
}
