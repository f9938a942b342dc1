import Foundation
import LoginEngine
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The bench's HTTP client: one blocking keep-alive HTTP/1.1 connection per thread, so that the
/// load generator costs a few microseconds per request and the server gets the cores (a
/// URLSession client spends more CPU per request than the daemon's `/healthz`).
final class LoadConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else {
            close(fd)
            throw Failure("connect to port \(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// One request (complete bytes, keep-alive) and its status and body.
    func exchange(_ request: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure("write: errno \(errno)") }
            sent += n
        }
        let head = try readHead()
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "), let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw Failure("bad status line: \(head.first ?? "")")
        }
        var length: Int?
        var chunked = false
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        if chunked {
            var body: [UInt8] = []
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first.map(String.init) ?? "", radix: 16) else { throw Failure("bad chunk size '\(sizeLine)'") }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    return (status, body)
                }
                body += try readBytes(size)
                _ = try readLine()
            }
        }
        return (status, try readBytes(length ?? 0))
    }

    private func fill() throws {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw Failure(n == 0 ? "the server closed the connection" : "read: errno \(errno)") }
        buffer += chunk[0..<n]
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = i
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = i + 1
                return line
            }
            try fill()
        }
    }

    private func readHead() throws -> [String] {
        var lines: [String] = []
        while true {
            let line = try readLine()
            if line.isEmpty { return lines }
            lines.append(line)
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count - start < count { try fill() }
        let out = Array(buffer[start..<(start + count)])
        start += count
        return out
    }
}

/// A request as bytes, ready to send again and again on a keep-alive connection.
struct LoadRequest: Sendable {
    let name: String
    let bytes: [UInt8]

    init(name: String, method: String = "GET", path: String, body: String? = nil, contentType: String = "application/x-www-form-urlencoded", bearer: String? = nil) {
        self.name = name
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n" }
        head += "\r\n" + (body ?? "")
        bytes = Array(head.utf8)
    }
}

extension Bench {
    /// `clients` threads, each on its own keep-alive connection, sending `request` for the
    /// measurement time: requests/s, p50 and p99 (ms), and the process's CPU time per request
    /// (µs, the daemon's and this client's) over the measured requests. Every answer must be 200.
    func load(_ request: LoadRequest, port: Int, clients: Int, seconds: Double) async throws -> (rate: Double, p50: Double, p99: Double, cpuPerRequest: Double) {
        let connections = try (0..<clients).map { _ in try LoadConnection(port: port) }
        // Warm each connection (accepted, its first request served).
        for c in connections {
            let (status, body) = try c.exchange(request.bytes)
            guard status == 200 else { throw CommandFailure("\(request.name) answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))") }
        }
        let results = Mutex<(latencies: [Double], failure: String?)>(([], nil))
        let group = DispatchGroup()
        let cpuAtStart = processCPUSeconds()
        let started = Date()
        let deadline = started.addingTimeInterval(seconds)
        for connection in connections {
            let unchecked = UncheckedConnection(connection: connection)
            group.enter()
            Thread {
                var mine: [Double] = []
                mine.reserveCapacity(4096)
                var failure: String?
                while Date() < deadline {
                    let t0 = monotonicSeconds()
                    do {
                        let (status, body) = try unchecked.connection.exchange(request.bytes)
                        guard status == 200 else {
                            failure = "\(request.name) answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))"
                            break
                        }
                    } catch {
                        failure = "\(request.name): \(error)"
                        break
                    }
                    mine.append((monotonicSeconds() - t0) * 1000)
                }
                results.withLock {
                    $0.latencies += mine
                    if $0.failure == nil { $0.failure = failure }
                }
                group.leave()
            }.start()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in group.notify(queue: .global()) { done.resume() } }
        let elapsed = Date().timeIntervalSince(started)
        let cpu = processCPUSeconds() - cpuAtStart
        let (latencies, failure) = results.withLock { ($0.latencies.sorted(), $0.failure) }
        if let failure { throw CommandFailure(failure) }
        guard !latencies.isEmpty else { throw CommandFailure("no request finished within \(seconds) s") }
        return (
            Double(latencies.count) / elapsed, latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
            cpu / Double(latencies.count) * 1e6
        )
    }
}

private struct UncheckedConnection: @unchecked Sendable { let connection: LoadConnection }

/// User and system CPU time of this process so far, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
