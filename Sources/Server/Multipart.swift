/// `multipart/form-data` bodies (the users file of `POST /api/v2/jobs/users-imports`): the
/// parts' names, file names and contents. Enough for form fields and text files.
enum Multipart {
    struct Part {
        var name: String
        var filename: String?
        var content: String
    }

    /// The boundary of a `multipart/form-data; boundary=…` content type.
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "boundary" { return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    static func parse(_ body: String, boundary: String) -> [Part] {
        var parts: [Part] = []
        for chunk in body.components(separatedBy: "--" + boundary).dropFirst() {
            if chunk.hasPrefix("--") { break }
            var text = Substring(chunk)
            // "\r\n" is one Character in Swift.
            if text.hasPrefix("\r\n") || text.hasPrefix("\n") { text = text.dropFirst() }
            guard let split = text.range(of: "\r\n\r\n") ?? text.range(of: "\n\n") else { continue }
            let headers = text[..<split.lowerBound]
            var content = text[split.upperBound...]
            if content.hasSuffix("\r\n") || content.hasSuffix("\n") { content = content.dropLast() }
            var name: String?
            var filename: String?
            for line in headers.split(whereSeparator: \.isNewline) where line.lowercased().hasPrefix("content-disposition") {
                for param in line.split(separator: ";").dropFirst() {
                    let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard kv.count == 2 else { continue }
                    let value = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    if kv[0] == "name" { name = value }
                    if kv[0] == "filename" { filename = value }
                }
            }
            if let name { parts.append(Part(name: name, filename: filename, content: String(content))) }
        }
        return parts
    }
}

import Foundation
