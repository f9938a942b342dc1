import JSONCore
import LoginEngine
import Tokens

extension SimulationResult {
    /// A readable report: each rule with a time bar, logs and changes; the outcome; the
    /// decoded token claims.
    public func report() -> String {
        var out: [String] = []
        let userID = user["user_id"]?.stringValue ?? "?"
        let email = user["email"]?.stringValue.map { "\($0) " } ?? ""
        out.append("Login of \(email)(\(userID)) via \(client) / \(connection) [\(protocolName)]")
        out.append("")
        if trace.isEmpty {
            out.append("No rule ran.")
        } else {
            out.append(trace.allSatisfy { ($0["kind"]?.stringValue ?? "rule") == "rule" } ? "Rules" : "Steps")
            // The console's timeline as text: the steps run one after another, so each bar
            // starts where the previous one ended, on a scale of the whole flow.
            // A stored or hand-written result may hold any number: negative, NaN and huge
            // durations are drawn as zero-length and full-length bars, never trapped on.
            let durations = trace.map { d -> Double in
                let ms = d["durationMs"]?.doubleValue ?? 0
                return ms.isFinite ? min(max(ms, 0), 1e12) : 0
            }
            let total = max(durations.reduce(0, +), 0.001)
            let columns = 32
            let nameWidth = min(36, trace.map { ($0["name"]?.stringValue ?? "").count }.max() ?? 10)
            var elapsed = 0.0
            for (i, entry) in trace.enumerated() {
                let name = entry["name"]?.stringValue ?? "?"
                let ms = durations[i]
                let start = min(columns - 1, Int((elapsed / total * Double(columns)).rounded(.down)))
                let width = min(columns - start, max(1, Int((ms / total * Double(columns)).rounded())))
                elapsed += ms
                let bar = String(repeating: " ", count: start) + String(repeating: "█", count: width) + String(repeating: " ", count: columns - start - width)
                let padded = name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                let kind = (entry["kind"]?.stringValue).map { $0 == "rule" ? "" : " (\($0))" } ?? ""
                out.append("  \(i + 1). \(padded) \(formatMs(ms).leftPad(9)) │\(bar)│ \(entry["outcome"]?.stringValue ?? "")\(kind)")
                if let err = entry["error"], !err.isNull {
                    out.append("       error: \(err["error"]?.stringValue ?? "") — \(err["error_description"]?.stringValue ?? "")")
                }
                for w in entry["warnings"]?.arrayValue ?? [] { out.append("       warning: \(w.stringValue ?? "")") }
                for line in entry["console"]?.arrayValue ?? [] {
                    out.append("       console.\(line["level"]?.stringValue ?? "log"): \(line["message"]?.stringValue ?? "")")
                }
                for call in entry["http"]?.arrayValue ?? [] {
                    let result = call["status"]?.intValue.map(String.init) ?? "failed: \(call["error"]?.stringValue ?? "no answer")"
                    let time = call["durationMs"]?.doubleValue.map { " in " + formatMs($0) } ?? ""
                    out.append("       http \(call["method"]?.stringValue ?? "GET") \(call["url"]?.stringValue ?? "") → \(result)\(time)")
                }
                for c in entry["net"]?.arrayValue ?? [] {
                    if c["lookup"]?.boolValue == true {
                        let answer = c["error"]?.stringValue.map { "failed: \($0)" } ?? c["address"]?.stringValue ?? "?"
                        out.append("       dns \(c["host"]?.stringValue ?? "?") → \(answer)\(c["durationMs"]?.doubleValue.map { " in " + formatMs($0) } ?? "")")
                        continue
                    }
                    let queries = c["queries"]?.intValue.map { q in
                        ", \(q) quer\(q == 1 ? "y" : "ies")" + (c["queryMs"]?.doubleValue.map { " (" + formatMs($0) + ")" } ?? "")
                    } ?? ""
                    let time = c["durationMs"]?.doubleValue.map { " in " + formatMs($0) } ?? ""
                    let failed = c["error"]?.stringValue.map { " failed: \($0)" } ?? ""
                    out.append(
                        "       net \(c["host"]?.stringValue ?? "?"):\(c["port"]?.intValue ?? 0) → \(c["bytesWritten"]?.intValue ?? 0) B out, \(c["bytesRead"]?.intValue ?? 0) B in\(queries)\(time)\(failed)")
                }
                let changes = entry["changes"]?.objectValue ?? [:]
                for token in ["idToken", "accessToken", "user"] {
                    guard let d = changes[token] else { continue }
                    for (k, v) in (d["added"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) { out.append("       \(token) + \(k) = \(v.serialized())") }
                    for (k, v) in (d["changed"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                        out.append("       \(token) ~ \(k): \((v["from"] ?? .null).serialized()) → \((v["to"] ?? .null).serialized())")
                    }
                    for k in d["removed"]?.arrayValue ?? [] { out.append("       \(token) - \(k.stringValue ?? "")") }
                }
                for w in changes["metadataWrites"]?.arrayValue ?? [] {
                    let state = w["error"].map { "failed: \($0.stringValue ?? "")" } ?? ((w["persisted"]?.boolValue ?? false) ? "persisted" : "not persisted (inline user)")
                    out.append("       \(w["kind"]?.stringValue ?? "") write for \(w["userId"]?.stringValue ?? "?") \(state): \((w["metadata"] ?? .null).serialized())")
                }
                if let m = changes["multifactor"] { out.append("       multifactor requested: \(m.serialized())") }
                if let r = changes["redirect"] { out.append("       redirect requested: \(r.serialized())") }
                if let p = changes["primaryUser"] { out.append("       primaryUser: \(p.serialized())") }
                for d in entry["droppedClaims"]?.arrayValue ?? [] {
                    out.append("       dropped \(d["token"]?.stringValue ?? "") claim \(d["claim"]?.stringValue ?? ""): \(d["reason"]?.stringValue ?? "")")
                }
            }
        }
        out.append("")
        var outcomeLine = "Outcome: \(outcome.rawValue)"
        if let error { outcomeLine += " — \(error.error): \(error.description)" }
        outcomeLine += "  (\(formatMs(durationMs)) total)"
        out.append(outcomeLine)
        if let redirect { out.append("Redirect: \(redirect.serialized())") }
        if let multifactor { out.append("MFA: \(multifactor.serialized())") }
        for w in warnings { out.append("Warning: \(w)") }
        if let idToken { out.append(""); out.append(contentsOf: Self.describe("ID token", idToken)) }
        if let accessToken { out.append(""); out.append(contentsOf: Self.describe("Access token", accessToken)) }
        if !droppedClaims.isEmpty {
            out.append("")
            out.append("Dropped claims")
            for d in droppedClaims { out.append("  \(d.token.rawValue) \(d.claim) (set by \(d.setBy ?? "?")): \(d.reason)") }
        }
        out.append("")
        out.append("Metadata after the flow (\(metadataStored ? "stored" : "inline user, not stored"))")
        out.append("  app_metadata:  \(JSONValue.object(persistedAppMetadata).serialized())")
        out.append("  user_metadata: \(JSONValue.object(persistedUserMetadata).serialized())")
        return out.joined(separator: "\n")
    }

    static func describe(_ title: String, _ token: IssuedToken) -> [String] {
        var lines: [String] = []
        if token.jwt == nil, let opaque = token.opaque {
            lines.append("\(title) (opaque, for /userinfo only): \(opaque)")
            return lines
        }
        lines.append("\(title) (\(token.header["alg"]?.stringValue ?? "?"), kid \(token.header["kid"]?.stringValue ?? "-"))")
        lines.append(contentsOf: ClaimsFormatter.lines(token.claims))
        if let jwt = token.jwt { lines.append("  jwt: \(jwt)") }
        return lines
    }
}

/// Claims one per line, times shown as dates.
public enum ClaimsFormatter {
    static let timeClaims: Set<String> = ["iat", "exp", "nbf", "auth_time", "updated_at_epoch"]

    /// `setBy` names the rule that set a claim, shown after its value.
    public static func lines(_ claims: JSONValue, setBy: [String: String] = [:]) -> [String] {
        let o = claims.objectValue ?? [:]
        let width = min(40, o.keys.map(\.count).max() ?? 0)
        return o.keys.sorted().map { k in
            let v = o[k]!
            var line = "  \(k.padding(toLength: width, withPad: " ", startingAt: 0))  \(v.stringValue ?? v.serialized())"
            if timeClaims.contains(k), let t = v.doubleValue {
                line += "  (\(Timestamp.formatIfRepresentable(t) ?? "not a date of years 0000–9999"))"
            }
            if let rule = setBy[k] { line += "  ← set by \(rule)" }
            return line
        }
    }
}

func formatMs(_ ms: Double) -> String {
    if ms < 1 { return String(Int(clamping: (ms * 1000).rounded())) + " µs" }
    return String((ms * 100).rounded() / 100) + " ms"
}

extension String {
    public func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
