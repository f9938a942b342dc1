import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization
import Tenant

#if canImport(Glibc)
import Glibc
#endif

/// A listener that could not be set up: no socket, no free port, or a server that stopped
/// before it listened.
public struct ListenerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Asks the kernel for a free TCP port on a host's address (bind to port 0, read it back).
public enum FreePort {
    /// A port held by a bound (not listening) socket until `release()`: nobody else can take it
    /// meanwhile, and the listener binds it right after the release.
    public final class Reservation: Sendable {
        public let port: Int
        private let fd: Mutex<Int32>
        init(port: Int, fd: Int32) { self.port = port; self.fd = Mutex(fd) }
        public func release() {
            fd.withLock { fd in
                if fd >= 0 { close(fd); fd = -1 }
            }
        }
        deinit { release() }
    }

    public static func reserve(host: String) throws -> Reservation {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("socket() failed") }
        do { return Reservation(port: try bindZero(fd, host: host), fd: fd) } catch {
            close(fd)
            throw error
        }
    }

    private static func bindZero(_ fd: Int32, host: String) throws -> Int {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { throw ListenerError("cannot bind \(host) to find a free port") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

extension AuthsimServer {
    /// The issuer `authsim serve` gives tokens: the one asked for, else the tenant's
    /// `authsim.issuer`, else `http://HOST:PORT/` (loopback for a daemon listening on every address).
    public static func issuer(explicit: String?, tenantDirectory: String, host: String, port: Int) -> String {
        if let explicit { return explicit }
        if let own = (try? TenantLoader.load(directory: tenantDirectory))?.settings.issuer { return own }
        return "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)/"
    }
}

/// The application serving in this process until `stop()`, without signal handling (the bench's
/// daemon, the test harness's listening mode); `authsim serve` runs its own, stopped by signals.
public final class LocalListener: Sendable {
    /// The bound port.
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// How long `stop()` lets requests in flight finish before cancelling them.
    static let shutdownGrace: Duration = .seconds(30)

    /// Starts `server` on its configured address and returns once it listens. A `reservation`
    /// (the port of that address, held since the issuer was chosen) is released just before.
    public static func start(_ server: AuthsimServer, reservation: FreePort.Reservation? = nil) async throws -> LocalListener {
        precondition(reservation == nil || reservation?.port == server.configuration.port, "the reservation holds another port than the server's")
        let (ports, bound) = AsyncThrowingStream<Int, any Error>.makeStream()
        let application = server.application(onListening: { port in bound.yield(port) })
        var configuration = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [], logger: server.logger)
        configuration.maximumGracefulShutdownDuration = shutdownGrace
        let group = ServiceGroup(configuration: configuration)
        reservation?.release()
        let task = Task {
            do {
                try await group.run()
                bound.finish()
            } catch {
                bound.finish(throwing: error)
                throw error
            }
        }
        do {
            for try await port in ports { return LocalListener(port: port, group: group, task: task) }
        } catch {
            task.cancel()
            throw ListenerError("the server did not start: \(error)")
        }
        // Only a cancelled caller gets here (the stream ends with the group otherwise): the
        // server may be listening by now, so it is stopped before this returns.
        await group.triggerGracefulShutdown()
        _ = await task.result
        throw CancellationError()
    }

    /// Stops accepting, lets requests in flight finish (at most `shutdownGrace`, then they are
    /// cancelled), closes kept-alive connections, and returns once the port is closed: with
    /// the error the server ended with, if any.
    @discardableResult
    public func stop() async -> (any Error)? {
        await group.triggerGracefulShutdown()
        if case .failure(let error) = await task.result { return error }
        return nil
    }
}
