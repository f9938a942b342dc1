import Hummingbird
import JSONCore
import LoginEngine
import NIOCore

/// JSON bodies in and out, and Auth0's error body (`statusCode`, `error`, `message`, `errorCode`).
enum HTTPJSON {
    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        response(serialized: value.serialized(), status: status)
    }

    /// A JSON text already written.
    static func response(serialized text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, errorCode: String? = nil) -> Response {
        var body: [String: JSONValue] = [
            "statusCode": .number(Double(status.code)), "error": .string(reason(status.code)), "message": .string(message),
        ]
        if let errorCode { body["errorCode"] = .string(errorCode) }
        return response(.object(body), status: status)
    }

    /// Objects and arrays nested deeper than this in a request body are refused with 400.
    static let maxNesting = 64

    /// The body as text, or nil when it is not valid UTF-8 (refused rather than repaired, so a
    /// stored value is never silently changed).
    static func utf8(_ buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
    }

    /// Reads a JSON body of at most `limit` bytes; the failure is the response to send.
    static func body(_ request: Request, limit: Int) async -> Result<JSONValue, ErrorResponse> {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            return .failure(ErrorResponse(response: HTTPJSON.error(.contentTooLarge, "Request body is larger than \(limit) bytes", errorCode: "payload_too_large")))
        }
        guard let text = utf8(buffer) else {
            return .failure(ErrorResponse(response: HTTPJSON.error(.badRequest, "Invalid JSON body: the body is not valid UTF-8", errorCode: "invalid_body"), detail: "the body is not valid UTF-8"))
        }
        do {
            return .success(try JSONValue.parse(text, maxDepth: maxNesting))
        } catch {
            return .failure(ErrorResponse(response: HTTPJSON.error(.badRequest, "Invalid JSON body: \(error)", errorCode: "invalid_body"), detail: "\(error)"))
        }
    }

    /// Auth0's rate-limit headers.
    static func addRateLimitHeaders(_ response: inout Response, _ d: RateLimiter.Decision) {
        response.headers[.init("X-RateLimit-Limit")!] = String(d.limit)
        response.headers[.init("X-RateLimit-Remaining")!] = String(d.remaining)
        response.headers[.init("X-RateLimit-Reset")!] = String(d.reset)
    }

    /// Auth0 puts the standard reason phrase in `error`.
    static func reason(_ code: Int) -> String {
        switch code {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 421: return "Misdirected Request"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return HTTPResponse.Status(code: code).reasonPhrase
        }
    }

    struct ErrorResponse: Error {
        let response: Response
        /// What was wrong with the body, for callers that answer in their own error shape.
        var detail: String = ""
    }
}
