import Foundation

/// Each target's starting inputs and the tokens its mutations insert. `authsim-fuzz` writes
/// them out as a libFuzzer corpus and dictionary, so both drivers start from the same place.
public enum FuzzSeeds {
    public static func seeds(_ target: FuzzTarget) -> [[UInt8]] {
        switch target {
        case .query:
            return [
                #"email:"ann@example.com""#, "name:ann*", "logins_count:[1 TO 5]", "app_metadata.plan:gold AND NOT blocked:true",
                #"(email:*example.com OR user_id:"auth0|1") AND _exists_:user_metadata.lang"#, #"identities.connection:"github""#,
                "created_at:{2020-01-01 TO *]", "user_metadata.n:>1", "email_verified:false", "-blocked:true", "bob", #""exact phrase""#,
                "app_metadata.roles:admin OR app_metadata.roles:editor", "NOT (a:1 AND b:2) OR c:[* TO 3}",
            ].map { Array($0.utf8) }
        case .merge:
            // Current metadata, then the patch, one per line.
            let pairs: [(String, String)] = [
                (#"{"a":1,"b":{"c":[1,2,3]}}"#, #"{"b":null,"d":"x"}"#), ("{}", "{}"), (#"{"keep":true}"#, "{}"),
                (#"{"x":"\u00e9\ud83d\ude00"}"#, #"{"y":1e308,"z":-0.5,"w":[{"v":null}]}"#),
                (#"{"plan":"gold"}"#, #"{"blocked":true,"clientID":"x"}"#), (#"{"a":{"b":{"c":{"d":1}}}}"#, #"{"a.b":1}"#),
                (#"{"n":12345678901234567890,"s":"\\\"\/\b\f\n\r\t"}"#, #"{"$x":1}"#), ("[]", "[]"), (#"{"a":1}"#, "null"),
            ]
            return pairs.map { Array(($0.0 + "\n" + $0.1).utf8) }
        case .jwt:
            var seeds = [
                "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.", "a.b.c", "..", "e30.e30.",
                "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6InJlYWQ6dXNlcnMifQ.c2ln",
                "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.eyJleHAiOjF9.AAAA",
            ].map { Array($0.utf8) }
            if let t = FuzzTarget.reference?.token { seeds.append(Array(t.utf8)) }
            return seeds
        case .tenant:
            func tenant(_ entries: [(Int, String)]) -> [UInt8] {
                entries.map { [UInt8($0.0)] + Array($0.1.utf8) }.joined(separator: [0]).map { $0 }
            }
            return [
                tenant([(20, #"{"friendly_name":"f","authsim":{"flow_timeout_seconds":5,"allow_eval":false}}"#)]),
                tenant([
                    (20, #"{"default_audience":"https://api"}"#), (1, "function (user, context, callback) { callback(null, user, context); }"),
                    (2, #"{"name":"a","order":1,"enabled":true}"#), (5, #"{"key":"K","value":"V"}"#),
                    (6, #"{"name":"app","client_id":"c1","callbacks":["http://x/cb"],"app_type":"spa"}"#),
                ]),
                tenant([
                    (8, #"{"name":"db","strategy":"auth0","options":{"enabledDatabaseCustomization":true,"import_mode":true,"customScripts":{"login":"./login.js"}}}"#),
                    (9, "function login(email, password, callback) { callback(null, { user_id: '1', email: email }); }"),
                    (13, #"[{"email":"a@b.c","email_verified":true,"user_id":"u1"}]"#),
                ]),
                tenant([
                    (14, #"{"name":"act","code":"./act/code.js","supported_triggers":[{"id":"post-login","version":"v3"}],"secrets":[{"name":"S","value":"v"}]}"#),
                    (15, "exports.onExecutePostLogin = async (event, api) => {};"),
                    (16, #"{"post-login":[{"action_name":"act","display_name":"act"}]}"#),
                ]),
                tenant([
                    (21, "tenant:\n  friendly_name: y\nrules:\n  - name: x\n    script: ./rules/x.js\n    order: 1\n    enabled: true\ndatabases:\n  - name: db\n    options:\n      enabledDatabaseCustomization: true\n      customScripts:\n        login: ./databases/db/login.js\norganizations:\n  - name: o\nhooks:\n  - name: h\n    script: ./hooks/h.js\n    triggerId: credentials-exchange\n"),
                    (22, "function (user, context, callback) { callback(null, user, context); }"),
                    (23, "function login(email, password, callback) { callback(null, { user_id: '##ID##', email: email }); }"),
                    (27, "module.exports = function (client, scope, audience, context, cb) { cb(null, {}); };"),
                    (33, #"{"AUTH0_KEYWORD_REPLACE_MAPPINGS": {"ID": "1", "LIST": ["a", "b"]}}"#),
                ]),
                tenant([
                    (25, #"{"name":"o","display_name":"O"}"#), (26, #"{"name":"h","script":"./h.js","triggerId":"credentials-exchange"}"#),
                    (28, #"{"template":"verify_email","body":"./verify_email.html"}"#), (29, "<p>{{ user.email }}</p>"), (32, #"{"client_id":"app","audience":"https://@@AUD@@","scope":[]}"#),
                    (34, #"{"enabled":true,"max_attempts":3}"#), (35, #"{"active":false}"#), (14, #"{"name":"act","code":"C:\exports\actions\act\code.js"}"#),
                    (24, "exports.onExecutePostLogin = async () => {};"),
                ]),
                tenant([(7, #"{"name":"google-oauth2","strategy":"google-oauth2","options":{"simulated_users":[{"sub":"1","email":"g@x"}]}}"#), (11, #"{"identifier":"https://api","scopes":[{"value":"read:x"}],"token_lifetime":60}"#), (12, #"{"name":"r","permissions":[{"resource_server_identifier":"https://api","permission_name":"read:x"}]}"#)]),
            ]
        case .address:
            return [
                "127.0.0.1", "10.0.0.0/8", "192.168.1.7/32", "0.0.0.0/0", "::1", "2001:db8::/32", "fe80::1%eth0", "::", "::ffff:1.2.3.4",
                "1:2:3:4:5:6:7:8", "https://spa.example.com", "http://localhost:3000", "https://*.apps.example.com", "HTTPS://A.EXAMPLE.COM:443/path?q",
                "http://[::1]:8080", "null", "https://a.example.com.",
            ].map { Array($0.utf8) }
        case .protection:
            return [
                #"{"enabled":true,"shields":["block","user_notification"],"mode":"count_per_identifier_and_ip","allowlist":["10.0.0.0/8"],"max_attempts":10}"#,
                #"{"max_attempts":1,"mode":"count_per_identifier"}"#, #"{"shields":[]}"#, "{}",
                #"{"stage":{"pre-login":{"max_attempts":100,"rate":864000},"pre-user-registration":{"max_attempts":50,"rates":1200}}}"#,
                #"{"enabled":false,"shields":["admin_notification"],"allowlist":["::1","2001:db8::/32"]}"#, #"{"max_attempts":2.5}"#,
            ].map { Array($0.utf8) }
        case .request:
            return [
                [0] + Array("grant_type=password&username=ann%40example.com&password=Passw0rd%21&scope=openid+profile".utf8),
                [0] + Array("a=1&a=2&=x&b&c=%zz&d=%E2%82%AC+%2B".utf8),
                [1] + Array("XyZ\n--XyZ\r\nContent-Disposition: form-data; name=\"users\"; filename=\"u.json\"\r\nContent-Type: application/json\r\n\r\n[{\"email\":\"a@b.c\"}]\r\n--XyZ\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\ncon_1\r\n--XyZ--\r\n".utf8),
                [2] + Array("LocalHost.:8080".utf8), [2] + Array("[::1]:443".utf8), [2] + Array("authsim.test".utf8),
                [3] + Array("203.0.113.9, 10.0.0.2".utf8), [3] + Array("2001:db8::1,10.1.1.1\n198.51.100.7".utf8),
            ]
        case .wasm:
            let header: [UInt8] = [0, 97, 115, 109, 1, 0, 0, 0]
            return [
                header,
                header + [1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 8, 1, 4, 115, 112, 105, 110, 0, 0, 10, 9, 1, 7, 0, 3, 64, 12, 0, 11, 11],
                header + [1, 4, 1, 96, 0, 0, 2, 9, 1, 3, 101, 110, 118, 1, 102, 0, 0, 3, 2, 1, 0, 7, 8, 1, 4, 115, 112, 105, 110, 0, 1, 10, 15, 1, 13, 0, 3, 64, 6, 64, 16, 0, 25, 11, 12, 0, 11, 11],
                header + [1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 8, 1, 4, 116, 97, 105, 108, 0, 0, 10, 6, 1, 4, 0, 18, 0, 11],
                // A table with an element segment, a memory with a data segment, a global, a start function.
                header + [1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 4, 4, 1, 112, 0, 1, 5, 4, 1, 1, 1, 2, 6, 6, 1, 127, 1, 65, 7, 11, 8, 1, 0,
                          9, 7, 1, 0, 65, 0, 11, 1, 0, 10, 4, 1, 2, 0, 11, 11, 7, 1, 0, 65, 0, 11, 1, 42],
            ]
        }
    }

    public static func dictionary(_ target: FuzzTarget) -> [String] {
        switch target {
        case .query:
            return [" AND ", " OR ", "NOT ", "-", "(", ")", "[", "]", "{", "}", " TO ", "*", "?", ":", "\"", "\\", "_exists_:", ">", "<=", "app_metadata.", "user_metadata.", "identities.", "email", "logins_count", "2026-01-01"]
        case .merge:
            return ["{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "-0", "1e-7", "\\u0000", "\\ud800", "\"k\":", "\n", "{\"a\":", ".", "$"]
        case .jwt:
            return [".", "eyJ", "e30", "-", "_", "=", "eyJhbGciOiJSUzI1NiJ9", "eyJhbGciOiJub25lIn0", " ", "\n", "\u{00}", "AAAA"]
        case .tenant:
            return ["{", "}", "\"", "null", "\u{00}", "\u{14}", "\u{01}", "\u{02}", "\u{08}", "\u{09}", "\u{0E}", "\u{0F}", "\"name\":", "\"order\":", "\"enabled\":false",
                    "\"customScripts\":", "../", "/etc/passwd.js", "\"code\":\"../../x.js\"", "function (user, context, callback) {", "\"strategy\":\"auth0\"", "\"options\":{", "\"authsim\":{", "\"flow_timeout_seconds\":1e9", "\"module_paths\":[\"/\"]"]
        case .address:
            return [".", ":", "::", "/", "/0", "/32", "/128", "0", "255", "256", "ffff", "http://", "https://", "*.", "[", "]", ":443", ":80", "%", "@", "#", " "]
        case .protection:
            return ["{", "}", "[", "]", "\"enabled\":", "\"shields\":", "\"allowlist\":", "\"mode\":", "\"max_attempts\":", "\"stage\":", "\"pre-login\":",
                    "\"pre-user-registration\":", "\"rate\":", "\"rates\":", "\"pre-custom-token-exchange\":", "\"block\"", "\"count_per_identifier\"", "1e300", "-1", "0", "101", "86400001", "null", "true"]
        case .request:
            return ["\u{00}", "\u{01}", "\u{02}", "\u{03}", "&", "=", "+", "%", "%2B", "%00", "%E2%82%AC", "\r\n", "\r\n\r\n", "--", "Content-Disposition: form-data; ",
                    "name=\"", "filename=\"", ":", "[", "]", ".", ",", "10.0.0.1", "::1", "127.0.0.1"]
        case .wasm:
            // Opcodes and prefixes (loop, call, return_call, ref.func, try, the 0xfc/0xfd/0xfe prefixes), limits flags, LEB128 pieces.
            return ["\u{03}\u{40}", "\u{10}\u{00}", "\u{12}\u{00}", "\u{0B}", "\u{06}\u{40}", "\u{19}", "\u{1F}", "\u{0E}\u{02}\u{00}\u{00}",
                    "\u{0F}", "\u{7F}", "\u{70}", "\u{63}", "\u{03}", "\u{04}", "\u{05}", "\u{01}", "\u{00}", "\u{FF}\u{FF}\u{FF}\u{FF}\u{0F}",
                    "\u{80}", "\u{60}\u{00}\u{00}", "name"]
        }
    }
}
