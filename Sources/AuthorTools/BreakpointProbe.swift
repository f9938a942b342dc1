import Foundation
import JSONCore
import LoginEngine
import ScriptRuntime
import Tenant

/// A line of a tenant script where a login should stop: `rules/add-roles.js:12` (the file as the
/// tenant names it, the line counted from 1 in that file).
public struct Breakpoint: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `FILE:LINE`; nil when it is not that.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let line = Int(text[text.index(after: colon)...]), line >= 1, colon > text.startIndex else { return nil }
        self.init(file: String(text[..<colon]), line: line)
    }

    public var description: String { "\(file):\(line)" }

    /// Why this breakpoint names no line of `tenant`'s scripts, or nil. Its file must be one of
    /// the scripts a login can stop in (`Breakpoint.scripts(of:)`) or a disabled rule (which
    /// stops nothing), and its line within the file as JavaScriptCore counts lines.
    public func problem(in tenant: Tenant) -> String? {
        var files = Breakpoint.scripts(of: tenant)
        for r in tenant.rules where !r.enabled { files[r.file] = r.source }
        guard let source = files[file] else {
            return "\(self): \(file) is not one of the tenant's scripts (\(files.keys.sorted().joined(separator: ", ")))"
        }
        let lines = Breakpoint.lineCount(source)
        return line <= lines ? nil : "\(self): \(file) has \(lines) line\(lines == 1 ? "" : "s")"
    }

    /// The scripts a login can stop in (path → text): enabled rules, actions, custom-database
    /// scripts, enabled hooks.
    public static func scripts(of tenant: Tenant) -> [String: String] {
        var files = CoverageRecorder.scripts(of: tenant)
        for h in tenant.hooks where h.enabled { files[h.file] = h.source }
        return files
    }

    /// Lines as JavaScript counts them: ended by LF, CR, CRLF (one), U+2028 or U+2029; a last
    /// line without a terminator counts, an empty one after the last terminator does not.
    static func lineCount(_ text: String) -> Int {
        var lines = 0, open = false, afterCR = false
        for u in text.unicodeScalars {
            switch u {
            case "\n" where afterCR: afterCR = false
            case "\n", "\u{2028}", "\u{2029}": lines += 1; open = false; afterCR = false
            case "\r": lines += 1; open = false; afterCR = true
            default: open = true; afterCR = false
            }
        }
        return lines + (open ? 1 : 0)
    }
}

/// Breakpoints that name no line of the tenant's scripts (see `Breakpoint.problem(in:)`).
public struct BreakpointError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Runs one login with breakpoints (debug mode): at each pause the paused frame's scopes are
/// read — every variable of the local and closure scopes, objects as their JSON — and the login
/// continues. The pipeline's runtime must be inspectable (`RuntimeConfiguration.inspectable`)
/// and the inspector started towards `relay` (`InspectorBridge.start(address:)`).
public enum BreakpointProbe {
    /// The login's result and one snapshot per pause, in order.
    public static func run(_ request: SimulationRequest, pipeline: LoginPipeline, relay: InspectorRelay, breakpoints: [Breakpoint]) async throws -> (
        result: SimulationResult, pauses: [JSONValue]
    ) {
        let problems = breakpoints.compactMap { $0.problem(in: pipeline.tenant) }
        if !problems.isEmpty { throw BreakpointError(description: "--break " + problems.joined(separator: "; ")) }
        try await pipeline.prepareScripts()
        let targets = try await relay.targets(within: 60).filter { $0.type == "JavaScript" }
        guard !targets.isEmpty else { throw InspectorRelayError("no inspectable script context: is the runtime in debug mode?") }
        var sessions: [InspectorSession] = []
        var readers: [Task<[JSONValue], Never>] = []
        for target in targets {
            let session = relay.attach(target.id)
            sessions.append(session)
            // Events are read from the start: `Debugger.enable` announces the scripts it knows.
            readers.append(Task { await pauses(of: session) })
            try await session.send("Debugger.enable")
            try await session.send("Debugger.setBreakpointsActive", ["active": true])
            for b in breakpoints {
                try await session.send("Debugger.setBreakpointByUrl", ["lineNumber": .number(Double(b.line - 1)), "url": .string(b.file)])
            }
        }
        // A login that runs out of time is terminated as usual, but only once the debugger is
        // off (JavaScriptCore aborts the process when it terminates a script with a debugger
        // attached): the check asks for that, with the VM's locks dropped for the inspector.
        let attached = sessions
        pipeline.runtime.setOverdueHandler { _ in
            let done = DispatchSemaphore(value: 0)
            Task {
                for s in attached { _ = try? await s.send("Debugger.disable") }
                done.signal()
            }
            return done.wait(timeout: .now() + 10) == .timedOut
        }
        defer { pipeline.runtime.setOverdueHandler(nil) }
        let result: SimulationResult
        do { result = try await pipeline.simulate(request) } catch {
            for s in sessions { s.close() }
            throw error
        }
        for s in sessions { s.close() }
        var snapshots: [JSONValue] = []
        for r in readers { snapshots += await r.value }
        return (result, snapshots)
    }

    /// Reads a session's events until it ends: each pause is read and resumed.
    static func pauses(of session: InspectorSession) async -> [JSONValue] {
        var urls: [String: String] = [:]
        var out: [JSONValue] = []
        for await event in session.events {
            switch event["method"]?.stringValue {
            case "Debugger.scriptParsed":
                if let id = event["params"]?["scriptId"]?.stringValue, let url = event["params"]?["url"]?.stringValue { urls[id] = url }
            case "Debugger.paused":
                // The deadline keeps running while the scopes are read: turning a variable into
                // JSON runs its getters and `toJSON`, which the watchdog must still be able to stop.
                let params = event["params"] ?? [:]
                out.append(await snapshot(params, urls: urls, session: session))
                _ = try? await session.send("Debugger.resume")
            default:
                break
            }
        }
        return out
    }

    /// The paused frame: where, why, and its scopes' variables.
    static func snapshot(_ paused: JSONValue, urls: [String: String], session: InspectorSession) async -> JSONValue {
        guard let frame = paused["callFrames"]?.arrayValue?.first else { return ["reason": paused["reason"] ?? .null] }
        let location = frame["location"] ?? [:]
        var scopes: [JSONValue] = []
        for scope in frame["scopeChain"]?.arrayValue ?? [] {
            let type = scope["type"]?.stringValue ?? ""
            // The global object and the global lexical scope are the runtime's, not the script's.
            if type == "global" || type == "globalLexicalEnvironment" { break }
            guard let objectId = scope["object"]?["objectId"]?.stringValue else { continue }
            var variables: [String: JSONValue] = [:]
            let properties = (try? await session.send("Runtime.getProperties", ["objectId": .string(objectId), "ownProperties": true]))?["properties"]?.arrayValue ?? []
            for p in properties {
                // The runtime's wrapper around a rule names its own variables `__authsim…`.
                guard let name = p["name"]?.stringValue, !name.hasPrefix("__authsim"), let value = p["value"] else { continue }
                variables[name] = await plain(value, session: session)
            }
            var entry: [String: JSONValue] = ["type": .string(type), "variables": .object(variables)]
            if let name = scope["name"]?.stringValue { entry["name"] = .string(name) }
            scopes.append(.object(entry))
        }
        let scriptId = location["scriptId"]?.stringValue ?? ""
        return [
            "reason": paused["reason"] ?? .null, "file": .string(urls[scriptId] ?? scriptId),
            "line": .number((location["lineNumber"]?.doubleValue ?? 0) + 1), "column": .number((location["columnNumber"]?.doubleValue ?? 0) + 1),
            "function": frame["functionName"] ?? "", "scopes": .array(scopes),
        ]
    }

    /// The largest JSON kept for one variable; bigger values are shown by their description.
    static let maximumVariableBytes = 65536

    /// A protocol value as plain JSON: primitives as themselves, objects as their JSON (or their
    /// description when they have none), functions as `[function name]`.
    static func plain(_ remote: JSONValue, session: InspectorSession) async -> JSONValue {
        let description = remote["description"]?.stringValue ?? ""
        switch remote["type"]?.stringValue {
        case "string", "number", "boolean": return remote["value"] ?? .string(description)
        case "undefined": return .null
        case "function":
            // `function name(a, b)`: the description up to the body.
            let head = description.split(separator: "{", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            return .string("[" + (head.isEmpty ? "function" : String(head.prefix(120))) + "]")
        case "object":
            if remote["subtype"]?.stringValue == "null" { return .null }
            guard let objectId = remote["objectId"]?.stringValue,
                let answer = try? await session.send("Runtime.callFunctionOn", [
                    "objectId": .string(objectId), "functionDeclaration": "function () { return JSON.stringify(this); }", "returnByValue": true,
                    "doNotPauseOnExceptionsAndMuteConsole": true,
                ]),
                answer["wasThrown"]?.boolValue != true, let text = answer["result"]?["value"]?.stringValue, text.utf8.count <= maximumVariableBytes,
                let value = try? JSONValue.parse(text)
            else { return .string("[\(description)]") }
            return value
        default: return .string(description)
        }
    }
}
