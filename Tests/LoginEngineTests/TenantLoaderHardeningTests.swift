import Foundation
import Testing

@testable import Tenant

/// The tenant loader reads only files inside the tenant, and attack-protection settings are
/// checked as they are read.
@Suite struct TenantLoaderHardeningTests {
    @Test func symbolicLinksMayPointWithinTheTenantNeverOut() throws {
        let outside = temporaryPath("secret.js")
        try "function s(u, c, cb) { cb(null, u, c); }".write(toFile: outside, atomically: true, encoding: .utf8)
        var fixture = TenantFixture(rules: [("one", "function one(u, c, cb) { cb(null, u, c); }")])
        fixture.extraFiles["shared/two.js"] = "function two(u, c, cb) { cb(null, u, c); }"
        let dir = try fixture.write()
        let fm = FileManager.default
        // Inside: a rule whose script is a link to another file of the tenant.
        try #"{"name": "two", "order": 2, "enabled": true}"#.write(toFile: dir + "/rules/two.json", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: dir + "/rules/two.js", withDestinationPath: dir + "/shared/two.js")
        #expect(try TenantLoader.load(directory: dir).rules.map(\.name) == ["one", "two"])
        // Out: refused, naming the file.
        try fm.removeItem(atPath: dir + "/rules/two.js")
        try fm.createSymbolicLink(atPath: dir + "/rules/two.js", withDestinationPath: outside)
        let refusal = Result { () throws(TenantError) in try TenantLoader.load(directory: dir) }
        guard case .failure(let e) = refusal else {
            Issue.record("a link out of the tenant was followed")
            return
        }
        #expect(e.file == "rules/two.js")
        #expect(e.message.contains("outside the tenant directory"))
        // A linked folder that leaves the tenant is refused the same way.
        try fm.removeItem(atPath: dir + "/rules/two.js")
        try fm.removeItem(atPath: dir + "/rules/two.json")
        let elsewhere = (outside as NSString).deletingLastPathComponent + "/clients"
        try fm.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try #"{"name": "Other", "client_id": "other"}"#.write(toFile: elsewhere + "/other.json", atomically: true, encoding: .utf8)
        try fm.removeItem(atPath: dir + "/clients")
        try fm.createSymbolicLink(atPath: dir + "/clients", withDestinationPath: elsewhere)
        #expect(throws: TenantError.self) { try TenantLoader.load(directory: dir) }
    }

    @Test func addressesAndRanges() {
        #expect(IPRange("127.0.0.0/8")?.contains("127.1.2.3") == true)
        #expect(IPRange("127.0.0.0/8")?.contains("128.0.0.1") == false)
        #expect(IPRange("10.1.2.3")?.contains("10.1.2.3") == true)
        #expect(IPRange("10.1.2.3")?.contains("10.1.2.4") == false)
        #expect(IPRange("::1")?.contains("::1") == true)
        #expect(IPRange("2001:db8::/32")?.contains("2001:db8:ffff::1") == true)
        #expect(IPRange("2001:db8::/32")?.contains("2001:db9::1") == false)
        #expect(IPRange("0.0.0.0/0")?.contains("8.8.8.8") == true)
        #expect(IPRange("0.0.0.0/0")?.contains("::1") == false, "families do not mix")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4/33", "::1/129", "1:2:3:4:5:6:7:8:9", "1::2::3", "x.y.z.w", "10.0.0.0/-1"] {
            #expect(IPRange(bad) == nil, "\(bad)")
        }
    }

    /// Web origins as browsers compare them; the cases the address fuzz target found first
    /// (IPv6 literals kept their brackets, empty labels and port 0 were accepted).
    @Test func webOriginsParseAsBrowsersCompareThem() {
        #expect(WebOrigin("HTTPS://App.Example.COM:443/path?q") == WebOrigin("https://app.example.com"))
        #expect(WebOrigin("http://[::1]:8080")?.description == "http://[::1]:8080")
        #expect(WebOrigin("http://[::1]:8080")?.host == "::1")
        #expect(WebOrigin("https://a.example.com.") == WebOrigin("https://a.example.com"))
        #expect(WebOrigin("https://*.example.com")?.matches(WebOrigin("https://x.example.com")!) == true)
        #expect(WebOrigin("https://*.example.com")?.matches(WebOrigin("https://x.y.example.com")!) == false)
        #expect(WebOrigin("https://*.example.com")?.matches(WebOrigin("https://example.com")!) == false)
        #expect(WebOrigin("https://*.example.com")?.matches(WebOrigin("http://x.example.com")!) == false)
        #expect(WebOrigin("capacitor://localhost")?.description == "capacitor://localhost")
        #expect(WebOrigin("capacitor://localhost")?.matches(WebOrigin("capacitor://localhost")!) == true)
        #expect(WebOrigin("capacitor://localhost")?.matches(WebOrigin("http://localhost")!) == false)
        for bad in ["null", "", "file:///x", "https://", "https://.", "https://a..", "https://a..b", "http://[::1]:0", "http://[:(:1]:8", "http://[%::1]",
                    "https://*", "https://a.*.com", "https://exa mple.com", "javascript:alert(1)"] {
            #expect(WebOrigin(bad) == nil, "\(bad)")
        }
    }
}
