import CZlib
import Foundation
import JSONCore

/// `zlib` for scripts, on the system's zlib: one host call compresses or decompresses a whole
/// buffer (the streams in JavaScript collect their input first). Decompressed output is capped
/// (`maxOutputLength`, at most `maximumOutput`), so a small "zip bomb" cannot take the heap.
enum HostZlib {
    static let maximumOutput = 16 << 20

    struct Failure: Error, CustomStringConvertible {
        var code: String
        var message: String
        var description: String { message }
    }

    /// `{op, data: base64, level, maxOutputLength}` → `{data: base64}` or `{error: {code, message}}`.
    @Sendable static func process(_ json: String, _ environment: Any?) throws -> String {
        let args = try JSONValue.parse(json)
        guard let op = args["op"]?.stringValue, let b64 = args["data"]?.stringValue, let input = Data(base64Encoded: b64) else {
            return failure("ERR_INVALID_ARG_TYPE", "zlib needs an operation and bytes")
        }
        // Script numbers: checked as doubles before any conversion.
        let rawLevel = args["level"]?.doubleValue ?? -1
        guard rawLevel == rawLevel.rounded(), (-1...9).contains(rawLevel) else {
            return failure("ERR_OUT_OF_RANGE", "The value of \"options.level\" is out of range. It must be >= -1 and <= 9. Received \(args["level"]?.serialized() ?? "")")
        }
        let level = Int32(rawLevel)
        let rawCap = args["maxOutputLength"]?.doubleValue ?? Double(maximumOutput)
        guard rawCap == rawCap.rounded(), rawCap >= 1, rawCap <= 4_294_967_296 else {
            return failure("ERR_OUT_OF_RANGE", "The value of \"options.maxOutputLength\" is out of range. It must be >= 1 and <= 4294967296. Received \(args["maxOutputLength"]?.serialized() ?? "")")
        }
        let cap = min(maximumOutput, Int(rawCap))
        do {
            let out: Data
            switch op {
            case "gzip": out = try deflate(input, windowBits: 15 + 16, level: level)
            case "deflate": out = try deflate(input, windowBits: 15, level: level)
            case "deflateRaw": out = try deflate(input, windowBits: -15, level: level)
            case "gunzip": out = try inflate(input, windowBits: 15 + 16, cap: cap)
            case "inflate": out = try inflate(input, windowBits: 15, cap: cap)
            case "inflateRaw": out = try inflate(input, windowBits: -15, cap: cap)
            case "unzip": out = try inflate(input, windowBits: 15 + 32, cap: cap)
            default: return failure("ERR_INVALID_ARG_VALUE", "unknown zlib operation \(op)")
            }
            return JSONValue.object(["data": .string(out.base64EncodedString())]).serialized()
        } catch let e as Failure {
            return failure(e.code, e.message)
        }
    }

    static func failure(_ code: String, _ message: String) -> String {
        JSONValue.object(["error": .object(["code": .string(code), "message": .string(message)])]).serialized()
    }

    /// zlib's message (a NUL-terminated C string).
    static func message(_ p: UnsafePointer<CChar>) -> String {
        var bytes: [UInt8] = []
        var q = p
        while q.pointee != 0, bytes.count < 256 { bytes.append(UInt8(bitPattern: q.pointee)); q += 1 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs `step` (one deflate or inflate call) over `input`, 64 KiB of output at a time, as
    /// long as `next` returns nil; its non-nil answer is the final status.
    private static func pump(
        _ s: inout z_stream, _ input: Data, step: (inout z_stream) -> Int32, next: (Int32, inout z_stream, Int) -> Int32?
    ) -> (status: Int32, out: Data) {
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var input = input
        let status = input.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) -> Int32 in
            s.next_in = raw.bindMemory(to: Bytef.self).baseAddress
            s.avail_in = uInt(raw.count)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { c -> Int32 in
                    s.next_out = c.baseAddress
                    s.avail_out = uInt(c.count)
                    let r = step(&s)
                    out.append(c.baseAddress!, count: c.count - Int(s.avail_out))
                    return r
                }
                if let done = next(rc, &s, out.count) { return done }
            }
        }
        return (status, out)
    }

    static func deflate(_ input: Data, windowBits: Int32, level: Int32) throws -> Data {
        var s = z_stream()
        guard authsim_deflateInit2(&s, level, windowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK else { throw Failure(code: "Z_STREAM_ERROR", message: "zlib could not start") }
        defer { deflateEnd(&s) }
        let (status, out) = pump(&s, input, step: { CZlib.deflate(&$0, Z_FINISH) }, next: { rc, _, _ in rc == Z_OK ? nil : rc })
        guard status == Z_STREAM_END else { throw Failure(code: "Z_STREAM_ERROR", message: "zlib: compression failed (\(status))") }
        return out
    }

    /// `next`'s answer when the output outgrows the cap.
    private static let overCap = Int32.min

    static func inflate(_ input: Data, windowBits: Int32, cap: Int) throws -> Data {
        var s = z_stream()
        guard authsim_inflateInit2(&s, windowBits) == Z_OK else { throw Failure(code: "Z_STREAM_ERROR", message: "zlib could not start") }
        defer { inflateEnd(&s) }
        let (status, out) = pump(&s, input, step: { CZlib.inflate(&$0, Z_NO_FLUSH) }) { rc, s, produced in
            if produced > cap { return overCap }
            // gzip files may hold several members, one after the other (Node reads them all).
            if rc == Z_STREAM_END, windowBits > 15, s.avail_in > 0, s.next_in.pointee == 0x1f {
                return inflateReset(&s) == Z_OK ? nil : Z_STREAM_ERROR
            }
            return rc == Z_OK && (s.avail_in > 0 || s.avail_out == 0) ? nil : rc
        }
        switch status {
        case overCap: throw Failure(code: "ERR_BUFFER_TOO_LARGE", message: "Cannot create a Buffer larger than \(cap) bytes (maxOutputLength)")
        case Z_STREAM_END: return out
        case Z_OK, Z_BUF_ERROR: throw Failure(code: "Z_BUF_ERROR", message: "unexpected end of file")
        default: throw Failure(code: "Z_DATA_ERROR", message: s.msg.map { message($0) } ?? "invalid data")
        }
    }
}
