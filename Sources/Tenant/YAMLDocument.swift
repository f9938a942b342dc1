import Foundation
import JSONCore
import Yams

/// YAML files (test suites, deploy-cli's YAML tenants) as JSON values.
public enum YAMLDocument {
    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// At most this many values (an alias is a reference, but each use is a copy here: nine
    /// aliases of nine aliases of … would make billions) and this much nesting.
    static let maxValues = 1_000_000
    static let maxDepth = 256

    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        // Flow collections nest one character per level, deeper than the parser's recursion can
        // take: refused before it runs (brackets in quotes count too; no real file comes close).
        var depth = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                depth += 1
                if depth > maxDepth { throw ParseError(description: "nested more than \(maxDepth) levels deep") }
            } else if (byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")) && depth > 0 {
                depth -= 1
            }
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw ParseError(description: String(describing: error)) }
        guard let node else { return .null }
        var budget = maxValues
        return try value(node, depth: 0, budget: &budget)
    }

    static func value(_ node: Node, depth: Int, budget: inout Int) throws(ParseError) -> JSONValue {
        budget -= 1
        guard budget >= 0 else { throw ParseError(description: "more than \(maxValues) values (aliases used over and over?)") }
        guard depth <= maxDepth else { throw ParseError(description: "nested more than \(maxDepth) levels deep") }
        switch node {
        case .scalar(let s):
            if s.style == .plain || s.style == .any {
                switch s.string {
                case "null", "Null", "NULL", "~", "": return .null
                case "true", "True", "TRUE": return .bool(true)
                case "false", "False", "FALSE": return .bool(false)
                default:
                    if let i = Int(s.string) { return .number(Double(i)) }
                    if let d = Double(s.string), d.isFinite, s.string.rangeOfCharacter(from: CharacterSet(charactersIn: "0123456789")) != nil { return .number(d) }
                }
            }
            return .string(s.string)
        case .sequence(let seq):
            var out: [JSONValue] = []
            for n in seq { out.append(try value(n, depth: depth + 1, budget: &budget)) }
            return .array(out)
        case .mapping(let map):
            var out: [String: JSONValue] = [:]
            for (k, v) in map {
                guard let key = k.string else { throw ParseError(description: "mapping keys must be strings (line \(k.mark?.line ?? 0))") }
                out[key] = try value(v, depth: depth + 1, budget: &budget)
            }
            return .object(out)
        }
    }
}
