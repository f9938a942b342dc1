/// Where a script's code is, line by line, for coverage: which lines hold code (not blank, not
/// only comments, not only the inside of a string or template begun on an earlier line) and the
/// UTF-16 offset of each one's first code character. A small JavaScript scanner: comments may
/// open, close and sit anywhere on a line (`/* a */ f();`, `f(); /* opens`), and what looks like
/// a comment inside a string, a template or a regular expression literal is not one.
struct CodeLines {
    private enum Mode {
        case code
        case lineComment
        case blockComment
        /// Inside a string quoted by this unit (`'` or `"`).
        case string(UInt16)
        case template
        /// Inside a regular expression literal (`inClass`: within `[…]`, where `/` does not end it).
        case regex(inClass: Bool)
    }

    private static let newline: UInt16 = 0x0A, carriageReturn: UInt16 = 0x0D, slash: UInt16 = 0x2F, star: UInt16 = 0x2A
    private static let backslash: UInt16 = 0x5C, backtick: UInt16 = 0x60, dollar: UInt16 = 0x24
    private static let braceOpen: UInt16 = 0x7B, braceClose: UInt16 = 0x7D

    /// Lines (from 1) that hold code and the offset of each one's first code character.
    static func scan(_ text: String) -> [(line: Int, offset: Int)] {
        let u = Array(text.utf16)
        var out: [(line: Int, offset: Int)] = []
        var mode = Mode.code
        // Brace depths at which a template's `${…}` closes, innermost last.
        var templateDepths: [Int] = []
        var depth = 0
        // The last significant code unit and word, for telling a regular expression from a division.
        var last: UInt16 = 0
        var lastWord = ""
        var word = ""
        var line = 1
        var lineHasCode = false
        var i = 0

        func code(at offset: Int) {
            if !lineHasCode {
                lineHasCode = true
                out.append((line, offset))
            }
        }
        func endWord() {
            if !word.isEmpty { lastWord = word; word = "" }
        }

        while i < u.count {
            let c = u[i]
            let next: UInt16 = i + 1 < u.count ? u[i + 1] : 0
            if c == newline {
                line += 1
                lineHasCode = false
                if case .lineComment = mode { mode = .code }
                // An unterminated string or regular expression ends at the line's end.
                if case .string = mode { mode = .code }
                if case .regex = mode { mode = .code }
                endWord()
                i += 1
                continue
            }
            switch mode {
            case .lineComment:
                i += 1
            case .blockComment:
                if c == star && next == slash { mode = .code; i += 2 } else { i += 1 }
            case .string(let quote):
                if c == backslash { i += 2 } else {
                    if c == quote { mode = .code; last = quote; lastWord = "" }
                    i += 1
                }
            case .template:
                if c == backslash { i += 2 } else if c == backtick {
                    mode = .code
                    last = backtick
                    lastWord = ""
                    i += 1
                } else if c == dollar && next == braceOpen {
                    code(at: i)
                    templateDepths.append(depth)
                    depth += 1
                    mode = .code
                    last = braceOpen
                    i += 2
                } else { i += 1 }
            case .regex(let inClass):
                if c == backslash { i += 2 } else {
                    if c == 0x5B { mode = .regex(inClass: true) }  // [
                    else if c == 0x5D { mode = .regex(inClass: false) }  // ]
                    else if c == slash && !inClass { mode = .code; last = slash; lastWord = "" }
                    i += 1
                }
            case .code:
                if c == 0x20 || c == 0x09 || c == carriageReturn || c == 0x0B || c == 0x0C || c == 0xA0 || c == 0xFEFF {
                    endWord()
                    i += 1
                    continue
                }
                if c == slash && next == slash { endWord(); mode = .lineComment; i += 2; continue }
                if c == slash && next == star { endWord(); mode = .blockComment; i += 2; continue }
                code(at: i)
                if c == slash {
                    endWord()
                    if regexMayStart(after: last, word: lastWord) { mode = .regex(inClass: false) } else { last = slash; lastWord = "" }
                    i += 1
                    continue
                }
                if c == 0x27 || c == 0x22 { endWord(); mode = .string(c); i += 1; continue }
                if c == backtick { endWord(); mode = .template; i += 1; continue }
                if c == braceOpen { depth += 1 }
                if c == braceClose {
                    depth -= 1
                    if let open = templateDepths.last, open == depth {
                        templateDepths.removeLast()
                        mode = .template
                        endWord()
                        i += 1
                        continue
                    }
                }
                if isWordUnit(c) {
                    word.unicodeScalars.append(Unicode.Scalar(c) ?? "_")
                } else {
                    endWord()
                    lastWord = ""
                }
                last = c
                i += 1
            }
        }
        return out
    }

    private static func isWordUnit(_ c: UInt16) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == dollar || c >= 0x80
    }

    /// Whether a `/` after `last` (and the word that ended there) starts a regular expression
    /// literal rather than dividing: after an operator, an opening bracket, a separator, at the
    /// start, or after a keyword that takes an expression.
    private static func regexMayStart(after last: UInt16, word: String) -> Bool {
        if !word.isEmpty {
            return ["return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await"].contains(word)
        }
        if last == 0 { return true }
        // ) ] } and word ends divide; everything else (operators, ( [ { , ; : ? !) starts an expression.
        return ![0x29, 0x5D, braceClose, 0x27, 0x22, backtick, slash].contains(last) && !isWordUnit(last)
    }
}
