/// Where a script's code is, line by line, for coverage: which lines hold code (not blank, not
/// only comments, not only the inside of a string or template begun on an earlier line) and the
/// UTF-16 offset of each one's first code character. A small JavaScript scanner: comments may
/// open, close and sit anywhere on a line (`/* a */ f();`, `f(); /* opens`), and what looks like
/// a comment inside a string, a template or a regular expression literal is not one. Lines end at
/// LF, as the profiler's offsets are mapped (`ScriptCoverage.lines`).
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

    private static let lf: UInt16 = 0x0A, cr: UInt16 = 0x0D, slash: UInt16 = 0x2F, star: UInt16 = 0x2A
    private static let backslash: UInt16 = 0x5C, backtick: UInt16 = 0x60, dollar: UInt16 = 0x24
    private static let braceOpen: UInt16 = 0x7B, braceClose: UInt16 = 0x7D, parenOpen: UInt16 = 0x28, parenClose: UInt16 = 0x29
    private static let dot: UInt16 = 0x2E

    /// Words after which an expression (so a regular expression, not a division) comes.
    private static let expressionKeywords: Set<String> = [
        "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await",
    ]
    /// Words whose parenthesised head is followed by a statement (`if (a) /re/.test(b)`).
    private static let headKeywords: Set<String> = ["if", "while", "for", "with"]
    /// Words after which `{` opens a block.
    private static let blockKeywords: Set<String> = ["else", "do", "try", "finally"]

    /// Lines (from 1) that hold code and the offset of each one's first code character.
    static func scan(_ text: String) -> [(line: Int, offset: Int)] {
        let u = Array(text.utf16)
        var out: [(line: Int, offset: Int)] = []
        var mode = Mode.code
        // Whether the last token ended an operand (then `/` divides, else it starts a regular
        // expression), the last word, and the last punctuator.
        var operandEnded = false
        var lastWord = ""
        var lastPunctuator: UInt16 = 0, previousPunctuator: UInt16 = 0
        // Open parentheses (whether each is an if/while/for/with head) and braces (whether each
        // opens a block, or a template's `${`: nil).
        var parens: [Bool] = []
        var braces: [Bool?] = []
        var line = 1
        var lineHasCode = false
        // The line the string or template being read began on; whether one that began on an
        // earlier line ended on this one (its `;` or `)` alone does not make the line code).
        var literalLine = 0
        var continued = false
        var i = 0

        func code(at offset: Int) {
            if !lineHasCode {
                lineHasCode = true
                out.append((line, offset))
            }
        }
        func newLine() {
            line += 1
            lineHasCode = false
            continued = false
        }
        /// Skips an escape at `i` (a backslash) in a string or template: a backslash before a
        /// line end continues the literal on the next line.
        func skipEscape() {
            if i + 1 < u.count, u[i + 1] == lf {
                newLine()
                i += 2
            } else if i + 2 < u.count, u[i + 1] == cr, u[i + 2] == lf {
                newLine()
                i += 3
            } else {
                i += 2
            }
        }

        while i < u.count {
            let c = u[i]
            let next: UInt16 = i + 1 < u.count ? u[i + 1] : 0
            if c == lf {
                newLine()
                switch mode {
                // An unterminated string or regular expression ends at the line's end.
                case .lineComment, .string, .regex: mode = .code
                default: break
                }
                i += 1
                continue
            }
            switch mode {
            case .lineComment:
                i += 1
            case .blockComment:
                if c == star && next == slash { mode = .code; i += 2 } else { i += 1 }
            case .string(let quote):
                if c == backslash { skipEscape() } else {
                    if c == quote {
                        mode = .code
                        operandEnded = true
                        if literalLine < line { continued = true }
                    }
                    i += 1
                }
            case .template:
                if c == backslash { skipEscape() } else if c == backtick {
                    mode = .code
                    operandEnded = true
                    if literalLine < line { continued = true }
                    i += 1
                } else if c == dollar && next == braceOpen {
                    code(at: i)
                    braces.append(nil)
                    mode = .code
                    operandEnded = false
                    i += 2
                } else { i += 1 }
            case .regex(let inClass):
                if c == backslash {
                    // An escaped line end does not continue a regular expression: it ends there.
                    i += (next == lf || next == cr) ? 1 : 2
                } else {
                    if c == 0x5B { mode = .regex(inClass: true) }  // [
                    else if c == 0x5D { mode = .regex(inClass: false) }  // ]
                    else if c == slash && !inClass { mode = .code; operandEnded = true }
                    i += 1
                }
            case .code:
                if c == 0x20 || c == 0x09 || c == cr || c == 0x0B || c == 0x0C || c == 0xA0 || c == 0xFEFF || c == 0x2028 || c == 0x2029 {
                    i += 1
                    continue
                }
                if c == slash && next == slash { mode = .lineComment; i += 2; continue }
                if c == slash && next == star { mode = .blockComment; i += 2; continue }
                let startsToken = isWordUnit(c) || (c == dot && isDigit(next)) || c == 0x27 || c == 0x22 || c == backtick || (c == slash && !operandEnded)
                if startsToken || !continued { code(at: i) }
                if isWordUnit(c) || (c == dot && isDigit(next)) {
                    // A word, or a number (with its dots and exponent letters: `1./2` divides).
                    let start = i
                    let number = isDigit(c) || c == dot
                    i += 1
                    while i < u.count, isWordUnit(u[i]) || (number && u[i] == dot) { i += 1 }
                    let word = String(decoding: u[start..<i], as: UTF16.self)
                    lastWord = word
                    lastPunctuator = 0
                    previousPunctuator = 0
                    operandEnded = number || !expressionKeywords.contains(word)
                    continue
                }
                defer { i += 1 }
                let word = lastWord
                lastWord = ""
                let before = lastPunctuator, beforeThat = previousPunctuator
                previousPunctuator = before
                lastPunctuator = c
                switch c {
                case slash:
                    if !operandEnded { mode = .regex(inClass: false) }
                    operandEnded = false
                case 0x27, 0x22:
                    mode = .string(c)
                    literalLine = line
                case backtick:
                    mode = .template
                    literalLine = line
                case parenOpen:
                    parens.append(headKeywords.contains(word))
                    operandEnded = false
                case parenClose:
                    // The head of an if/while/for/with is followed by a statement.
                    operandEnded = !(parens.popLast() ?? false)
                case 0x5D:  // ]
                    operandEnded = true
                case braceOpen:
                    // A block after `)`, `=>`, `;`, `{`, `}`, else/do/try/finally or at the start;
                    // an object literal anywhere else (after `=`, `(`, `,`, `:`, return…).
                    let arrow = before == 0x3E && beforeThat == 0x3D
                    let block = arrow || before == parenClose || before == 0x3B || before == braceOpen || before == braceClose
                        || (before == 0 && word.isEmpty) || blockKeywords.contains(word)
                    braces.append(block)
                    operandEnded = false
                case braceClose:
                    switch braces.popLast() {
                    case .some(nil):
                        // The end of a template's `${…}`: back in the template (which began
                        // on some earlier line, or this one: it makes no difference here).
                        mode = .template
                        literalLine = 0
                    case .some(.some(let block)):
                        operandEnded = !block
                    case .none:
                        operandEnded = false
                    }
                case 0x2B, 0x2D:  // + -
                    // `x++ / 2` divides: a postfix ++/-- keeps the operand ended.
                    if next == c {
                        i += 1
                        lastPunctuator = 0
                        previousPunctuator = 0
                    } else {
                        operandEnded = false
                    }
                default:
                    operandEnded = false
                }
            }
        }
        return out
    }

    private static func isDigit(_ c: UInt16) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func isWordUnit(_ c: UInt16) -> Bool {
        isDigit(c) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == dollar || c == 0x23 || (c >= 0x80 && c != 0xA0 && c != 0xFEFF && c != 0x2028 && c != 0x2029)
    }
}
