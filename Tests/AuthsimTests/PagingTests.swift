import Foundation
import JSONCore
import Testing

/// `page`/`per_page` on the Management API's list endpoints: any integer a caller sends gets an
/// answer (a 400 naming what is wrong, or the page), never an arithmetic trap in the daemon.
@Suite struct PagingTests {
    @Test func hostilePagingValuesAreRefusedAndTheDaemonStaysUp() async throws {
        try await InProcessDaemon.run { d in
            let refused: [(path: String, code: String)] = [
                ("api/v2/users?page=9223372036854775807", "invalid_paging"),
                ("api/v2/users?page=9223372036854775807&per_page=100", "invalid_paging"),
                ("api/v2/logs?page=4611686018427387904&per_page=2", "invalid_paging"),
                ("api/v2/logs?page=9223372036854775807&per_page=100&q=type%3As", "invalid_paging"),
                ("api/v2/users?page=20&per_page=50", "invalid_paging"),
                ("api/v2/users?page=-1", "invalid_query_string"),
                ("api/v2/logs?per_page=101", "invalid_query_string"),
                ("api/v2/users?per_page=-9223372036854775808", "invalid_query_string"),
                ("api/v2/users?page=99999999999999999999", "invalid_query_string"),
                ("api/v2/logs?page=1e300", "invalid_query_string"),
            ]
            for r in refused {
                let (status, body) = try await d.request(r.path, token: d.token)
                #expect(status == 400, "\(r.path)")
                #expect(body["errorCode"] == .string(r.code), "\(r.path): \(body)")
            }
            // The last page under Auth0's 1000-record window is served, and so is an empty page
            // size at any page.
            let (last, lastBody) = try await d.request("api/v2/users?page=19&per_page=50&include_totals=true", token: d.token)
            #expect(last == 200)
            #expect(lastBody["start"] == 950)
            let (empty, emptyBody) = try await d.request("api/v2/logs?page=9223372036854775807&per_page=0", token: d.token)
            #expect(empty == 200)
            #expect(emptyBody.arrayValue?.isEmpty == true)
            let (after, users) = try await d.request("api/v2/users?per_page=1", token: d.token)
            #expect(after == 200)
            #expect(users.arrayValue?.count == 1)
        }
    }
}
