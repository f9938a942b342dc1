import Foundation
import Logging
import Synchronization

/// What an application under test logs (its pipeline's and its server's loggers), kept as
/// lines for the test to read (a passwordless code, a reset link, that no secret was logged);
/// warnings and errors also go to standard error, where a failing test's output shows them.
public final class AuthsimTestLog: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// Every line so far, one per entry: `LEVEL label: message key=value…`.
    public var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// A logger labelled `label` writing here (at `info` and above, as `authsim serve` logs).
    public func logger(label: String) -> Logger {
        Logger(label: label) { label in
            var echo = StreamLogHandler.standardError(label: label)
            echo.logLevel = .warning
            return Handler(label: label, log: self, echo: echo)
        }
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let label: String
        let log: AuthsimTestLog
        var echo: StreamLogHandler
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.append("\(event.level.rawValue.uppercased()) \(label): \(event.message)\(pairs.isEmpty ? "" : " " + pairs)")
            if event.level >= echo.logLevel { echo.log(event: event) }
        }
    }
}
