import Foundation
import Testing

@testable import ScriptRuntime

/// Debug mode's pieces that do not need a login: outside it no context is inspectable and the
/// inspector is never started; the relay reads whatever a peer sends without failing.
@Suite struct InspectorTests {
    static func program(_ id: String) -> ScriptProgram {
        ScriptProgram(id: id, files: [ScriptFile(name: "test/\(id).js", source: "function main(s) { return s + '!'; }")])
    }

    @Test func outsideDebugModeNoContextIsInspectableAndNoInspectorRuns() async throws {
        let before = ScriptContext.inspectableContexts.load(ordering: .relaxed)
        let normal = ScriptRuntime(configuration: RuntimeConfiguration(workers: 2))
        defer { normal.shutdown() }
        for i in 0..<4 {
            let out = try await normal.run(ScriptJob(program: Self.program("plain-\(i)"), entry: "main", input: "x"))
            #expect(out.output == "x!")
        }
        #expect(ScriptContext.inspectableContexts.load(ordering: .relaxed) == before)
        // Nothing in this process ever started the inspector (the CLI's --break does, in its own).
        #expect(InspectorBridge.startedAddress == nil)

        // The count does move when a runtime is in debug mode (a context the inspector may
        // attach to, though no inspector runs here).
        var debug = RuntimeConfiguration(workers: 1)
        debug.inspectable = true
        let inspectable = ScriptRuntime(configuration: debug)
        defer { inspectable.shutdown() }
        #expect(try await inspectable.run(ScriptJob(program: Self.program("debug"), entry: "main", input: "y")).output == "y!")
        #expect(ScriptContext.inspectableContexts.load(ordering: .relaxed) == before + 1)
        #expect(InspectorBridge.startedAddress == nil)
    }

    @Test func theSymbolsAreFoundInThisJavaScriptCore() {
        // Debian's WebKitGTK 2.50 exports them; when a build stops doing so, debug mode says
        // which are missing instead of failing.
        #expect(InspectorBridge.unavailable == nil, "\(InspectorBridge.unavailable?.description ?? "")")
        let why = InspectorUnavailable(missing: ["_ZN3WTF7CStringC1EPKc"])
        #expect(why.description.contains("does not export _ZN3WTF7CStringC1EPKc"))
    }

    @Test func theRelayReadsHostileBodiesWithoutFailing() {
        var g = SystemRandomNumberGenerator()
        for i in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...96, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            _ = GVariantReader.targetList(bytes, littleEndian: i % 2 == 0)
            _ = GVariantReader.targetMessage(bytes, littleEndian: i % 3 == 0)
        }
        // A well-formed body reads back.
        let message = InspectorRelay.uint64(42) + Array("{\"id\":1}".utf8) + [0]
        #expect(GVariantReader.targetMessage(message, littleEndian: true).map { "\($0.0) \($0.1)" } == "42 {\"id\":1}")
    }

    /// A job paused in the debugger keeps its time: with its runtime's deadlines suspended, a
    /// job waiting past its timeout is not stopped, and after the resume it has what it had
    /// left. The same job on a runtime that is not suspended times out (and says when the
    /// first job's own deadline has passed: events, no sleeping).
    @Test func aPausedJobsDeadlineStandsStill() async throws {
        let entered = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let hold: AsyncHostFunction = { _, _ in
            entered.continuation.yield()
            for await _ in release.stream { break }
            return "\"released\""
        }
        let source = "rt.entries.main = async function () { return 'job ' + await rt.callAsync('hold', null); };"
        let held = ScriptProgram(id: "held", files: [ScriptFile(name: "test/held.js", source: source, kind: .runtime)], asyncFunctions: ["hold": hold])
        let paused = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { paused.shutdown() }
        let job = Task { try await paused.run(ScriptJob(program: held, entry: "main", input: "", timeout: .seconds(2))).output }
        for await _ in entered.stream { break }
        paused.suspendDeadlines()

        // The control: the same wait on a runtime that is not suspended, started after the
        // first job; when it times out, the first job's two seconds are over too.
        let never: AsyncHostFunction = { _, _ in
            try await Task.sleep(for: .seconds(3600))
            return "null"
        }
        let control = ScriptProgram(
            id: "control", files: [ScriptFile(name: "test/control.js", source: source.replacingOccurrences(of: "'hold'", with: "'never'"), kind: .runtime)],
            asyncFunctions: ["never": never])
        let other = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { other.shutdown() }
        await #expect(throws: ScriptFailure.self) { try await other.run(ScriptJob(program: control, entry: "main", input: "", timeout: .seconds(2))) }

        paused.resumeDeadlines()
        release.continuation.yield()
        let out = try await job.value
        #expect(out == "job released")
    }

    /// The relay takes its own process's connection only: another local process that connects
    /// to its port first is turned away (the connection closed at once), this one's is kept.
    @Test func theRelayTurnsAwayOtherProcesses() async throws {
        let relay = try InspectorRelay()
        defer { relay.shutdown() }
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        // Connects, then waits for the relay to close the connection (EOF), and says so.
        other.arguments = ["-c", "import socket; s = socket.create_connection(('127.0.0.1', \(relay.port))); s.settimeout(60)\ntry: print('closed' if s.recv(1) == b'' else 'open')\nexcept socket.timeout: print('open')"]
        let out = Pipe()
        other.standardOutput = out
        other.standardError = FileHandle.nullDevice  // not the test run's own output
        try other.run()
        let answer = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        other.waitUntilExit()
        #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines) == "closed")
        #expect(relay.connectionCount == 0)

        // A socket of this process is accepted.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(relay.port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        await relay.waitForConnection()
        #expect(relay.connectionCount == 1)
    }
}

