import Foundation
import JSONCore
import ScriptRuntime

/// What the console asks of a debugged login, and how a pause is shown to it.
extension DebugSession {
    /// Carries out one command (`{"action": …}`): `resume`, `stepOver`, `stepInto`, `stepOut`,
    /// `evaluate` (`expression`, optional `frame`), `properties` (`objectId`), `setBreakpoint` /
    /// `removeBreakpoint` (`file`, `line`).
    public func command(_ body: JSONValue) async throws(DebugCommandError) -> JSONValue {
        await commands.acquire()
        let outcome: Result<JSONValue, DebugCommandError>
        do { outcome = .success(try await perform(body)) } catch { outcome = .failure(error) }
        await commands.release()
        return try outcome.get()
    }

    func perform(_ body: JSONValue) async throws(DebugCommandError) -> JSONValue {
        guard let action = body["action"]?.stringValue else { throw DebugCommandError(400, "expected {\"action\": …}") }
        switch action {
        case "resume", "stepOver", "stepInto", "stepOut":
            let inspector = try pausedOrFail()
            let pause = status.withLock { $0.pause }
            runtime.resumeDeadlines()
            do { _ = try await inspector.send("Debugger.\(action)") } catch { throw DebugCommandError(500, "the inspector did not answer: \(error)") }
            // This pause is over (a next one announced meanwhile stays).
            update { s in
                guard s.phase == .paused, s.pause == pause else { return }
                s.phase = .running
                s.paused = nil
                s.pausedIn = nil
            }
            return await state()
        case "evaluate":
            guard let expression = body["expression"]?.stringValue, !expression.isEmpty, expression.utf8.count <= 65536 else {
                throw DebugCommandError(400, "expected {\"action\": \"evaluate\", \"expression\": \"…\"} (at most 64 KiB)")
            }
            let inspector = try pausedOrFail()
            guard let frame = body["frame"]?.stringValue ?? status.withLock({ $0.paused?["frames"]?.arrayValue?.first?["id"]?.stringValue }) else {
                throw DebugCommandError(409, "no paused frame")
            }
            do {
                // It runs on the inspector's thread, with the login's deadline standing still:
                // the watchdog cannot stop an evaluation there (README, "Not stoppable").
                let answer = try await inspector.send("Debugger.evaluateOnCallFrame", [
                    "callFrameId": .string(frame), "expression": .string(expression), "objectGroup": "console", "includeCommandLineAPI": true,
                    "doNotPauseOnExceptionsAndMuteConsole": true, "returnByValue": false, "generatePreview": true,
                ])
                return ["result": .object(Self.summary(answer["result"] ?? [:])), "thrown": .bool(answer["wasThrown"]?.boolValue ?? false)]
            } catch {
                throw DebugCommandError(500, "the inspector did not answer: \(error)")
            }
        case "properties":
            guard let objectId = body["objectId"]?.stringValue else { throw DebugCommandError(400, "expected {\"action\": \"properties\", \"objectId\": \"…\"}") }
            let inspector = try pausedOrFail()
            do { return ["properties": .array(try await Self.properties(objectId, inspector: inspector))] } catch {
                throw DebugCommandError(500, "the inspector did not answer: \(error)")
            }
        case "setBreakpoint", "removeBreakpoint":
            guard let file = body["file"]?.stringValue, !file.isEmpty, let line = body["line"]?.doubleValue, line >= 1, line <= 1_000_000, line == line.rounded() else {
                throw DebugCommandError(400, "expected {\"action\": \"\(action)\", \"file\": \"rules/….js\", \"line\": n ≥ 1}")
            }
            let b = Breakpoint(file: file, line: Int(line))
            if action == "setBreakpoint", let problem = b.problem(in: tenant) { throw DebugCommandError(400, problem) }
            guard !ended else { throw DebugCommandError(409, "the login has ended") }
            do {
                if action == "setBreakpoint" { try await setBreakpoint(b) } else { try await removeBreakpoint(b) }
            } catch {
                throw DebugCommandError(500, "the inspector did not answer: \(error)")
            }
            return await state()
        default:
            throw DebugCommandError(400, "unknown action \(action): resume, stepOver, stepInto, stepOut, evaluate, properties, setBreakpoint, removeBreakpoint")
        }
    }

    func pausedOrFail() throws(DebugCommandError) -> InspectorSession {
        if let inspector = pausedInspector() { return inspector }
        let phase = status.withLock { $0.phase }
        throw DebugCommandError(409, phase == .running ? "the login is not paused" : "the login has ended (\(phase.rawValue))")
    }

    func setBreakpoint(_ b: Breakpoint) async throws {
        if status.withLock({ $0.breakpoints[b.description] != nil }) { return }
        var ids: [(session: Int, id: String)] = []
        // What was set is kept even when a later session fails, so that it can be removed.
        defer { update { $0.breakpoints[b.description] = ids } }
        for (i, inspector) in inspectors.withLock({ $0 }).enumerated() {
            let answer = try await inspector.send("Debugger.setBreakpointByUrl", ["lineNumber": .number(Double(b.line - 1)), "url": .string(b.file)])
            if let id = answer["breakpointId"]?.stringValue { ids.append((i, id)) }
        }
    }

    func removeBreakpoint(_ b: Breakpoint) async throws {
        guard let ids = status.withLock({ $0.breakpoints[b.description] }) else { return }
        let list = inspectors.withLock { $0 }
        for (i, id) in ids where list.indices.contains(i) { _ = try await list[i].send("Debugger.removeBreakpoint", ["breakpointId": .string(id)]) }
        update { _ = $0.breakpoints.removeValue(forKey: b.description) }
    }

    // MARK: - Showing a pause

    /// The pause: why, the call stack (each frame's file, line, function and scopes), and the
    /// variables of the top frame's scopes (the runtime's own, `__authsim…`, left out).
    static func snapshot(_ paused: JSONValue, urls: [String: String], files: Set<String>, inspector: InspectorSession) async -> JSONValue {
        var frames: [JSONValue] = []
        let callFrames = paused["callFrames"]?.arrayValue ?? []
        for (i, frame) in callFrames.enumerated() {
            let location = frame["location"] ?? [:]
            let scriptId = location["scriptId"]?.stringValue ?? ""
            // Frames of the runtime's own code (what calls a rule, promise jobs) are not the
            // author's: only the tenant's scripts are shown (the top frame always).
            if i > 0, !files.contains(urls[scriptId] ?? "") { continue }
            var scopes: [JSONValue] = []
            for scope in frame["scopeChain"]?.arrayValue ?? [] {
                guard let objectId = scope["object"]?["objectId"]?.stringValue else { continue }
                var entry: [String: JSONValue] = ["type": scope["type"] ?? "", "objectId": .string(objectId)]
                if let name = scope["name"]?.stringValue { entry["name"] = .string(name) }
                scopes.append(.object(entry))
            }
            frames.append([
                "id": frame["callFrameId"] ?? "", "function": frame["functionName"] ?? "", "file": .string(urls[scriptId] ?? scriptId),
                "line": .number((location["lineNumber"]?.doubleValue ?? 0) + 1), "column": .number((location["columnNumber"]?.doubleValue ?? 0) + 1),
                "scopes": .array(scopes),
            ])
        }
        var variables: [JSONValue] = []
        for scope in frames.first?["scopes"]?.arrayValue ?? [] {
            let type = scope["type"]?.stringValue ?? ""
            // The global object and the global lexical scope are the runtime's, not the script's.
            if type == "global" || type == "globalLexicalEnvironment" { break }
            guard let objectId = scope["objectId"]?.stringValue else { continue }
            let properties = (try? await Self.properties(objectId, inspector: inspector)) ?? []
            var entry: [String: JSONValue] = ["type": .string(type), "objectId": .string(objectId), "variables": .array(properties)]
            if let name = scope["name"] { entry["name"] = name }
            variables.append(.object(entry))
        }
        return ["reason": paused["reason"] ?? .null, "frames": .array(frames), "scopes": .array(variables)]
    }

    /// An object's own properties as the console lists them (at most 1,000). Getters are not
    /// called: an accessor shows as such.
    static func properties(_ objectId: String, inspector: InspectorSession) async throws -> [JSONValue] {
        let answer = try await inspector.send("Runtime.getProperties", ["objectId": .string(objectId), "ownProperties": true, "generatePreview": true])
        var out: [JSONValue] = []
        for p in answer["properties"]?.arrayValue ?? [] {
            guard let name = p["name"]?.stringValue, !name.hasPrefix("__authsim") else { continue }
            if let value = p["value"] {
                out.append(.object(["name": .string(name)].merging(summary(value)) { a, _ in a }))
            } else if p["get"] != nil || p["set"] != nil {
                out.append(["name": .string(name), "type": "accessor", "value": "(getter)"])
            }
            if out.count >= 1000 { break }
        }
        return out
    }

    /// A protocol value as the console shows it: `type`, `value` (text: strings quoted,
    /// objects with a preview of their first properties) and `objectId` when it can be expanded.
    static func summary(_ remote: JSONValue) -> [String: JSONValue] {
        let type = remote["type"]?.stringValue ?? "undefined"
        let description = remote["description"]?.stringValue ?? ""
        var out: [String: JSONValue] = ["type": .string(type)]
        switch type {
        case "string": out["value"] = .string(quoted(remote["value"]?.stringValue ?? description))
        case "undefined": out["value"] = "undefined"
        case "object" where remote["subtype"]?.stringValue == "null": out["value"] = "null"
        case "object", "function":
            out["value"] = .string(type == "function" ? functionHead(description) : preview(remote["preview"], description: description))
            if let id = remote["objectId"]?.stringValue { out["objectId"] = .string(id) }
            if let subtype = remote["subtype"]?.stringValue { out["subtype"] = .string(subtype) }
        default: out["value"] = .string(description.isEmpty ? (remote["value"].map { $0.serialized() } ?? "") : description)
        }
        return out
    }

    static func quoted(_ s: String) -> String {
        let cut = s.count > 2000 ? String(s.prefix(2000)) + "…" : s
        return JSONValue.string(cut).serialized()
    }

    static func functionHead(_ description: String) -> String {
        let head = description.split(separator: "{", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        return head.isEmpty ? "function" : String(head.prefix(160))
    }

    /// `{email: "ann@example.com", email_verified: true, …}` or `[1, 2, 3]`, from the
    /// inspector's preview (it calls no getter); the description when there is none.
    static func preview(_ preview: JSONValue?, description: String) -> String {
        guard let preview, let properties = preview["properties"]?.arrayValue else { return description }
        let isArray = preview["subtype"]?.stringValue == "array"
        let items = properties.map { p -> String in
            let value: String
            switch p["type"]?.stringValue {
            case "string": value = quoted(p["value"]?.stringValue ?? "")
            case "object" where p["subtype"]?.stringValue == "null": value = "null"
            case "object": value = p["value"]?.stringValue ?? "{…}"
            case "function": value = "ƒ"
            default: value = p["value"]?.stringValue ?? ""
            }
            return isArray ? value : (p["name"]?.stringValue ?? "") + ": " + value
        }
        let more = preview["overflow"]?.boolValue == true ? ", …" : ""
        let body = items.joined(separator: ", ") + more
        if isArray { return description + " [" + body + "]" }
        return (description == "Object" ? "" : description + " ") + "{" + body + "}"
    }
}
