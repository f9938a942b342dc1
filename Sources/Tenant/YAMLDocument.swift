import Foundation
import JSONCore
import Yams

/// YAML files (test suites, and the deploy-cli YAML format later) as JSON values.
public enum YAMLDocument {
    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw ParseError(description: String(describing: error)) }
        guard let node else { return .null }
        return try value(node)
    }

    static func value(_ node: Node) throws(ParseError) -> JSONValue {
        switch node {
        case .scalar(let s):
            if s.style == .plain || s.style == .any {
                switch s.string {
                case "null", "Null", "NULL", "~", "": return .null
                case "true", "True", "TRUE": return .bool(true)
                case "false", "False", "FALSE": return .bool(false)
                default:
                    if let i = Int(s.string) { return .number(Double(i)) }
                    if let d = Double(s.string), s.string.rangeOfCharacter(from: CharacterSet(charactersIn: "0123456789")) != nil { return .number(d) }
                }
            }
            return .string(s.string)
        case .sequence(let seq):
            var out: [JSONValue] = []
            for n in seq { out.append(try value(n)) }
            return .array(out)
        case .mapping(let map):
            var out: [String: JSONValue] = [:]
            for (k, v) in map {
                guard let key = k.string else { throw ParseError(description: "mapping keys must be strings (line \(k.mark?.line ?? 0))") }
                out[key] = try value(v)
            }
            return .object(out)
        default:
            throw ParseError(description: "unsupported YAML node (aliases are not supported in authsim files)")
        }
    }
}
