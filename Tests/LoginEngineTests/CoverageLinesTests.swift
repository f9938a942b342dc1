import Foundation
import Testing

@testable import AuthorTools

/// How `authsim test --coverage` reads a script's lines: where they start (the profiler's UTF-16
/// offsets), which hold code, and which declare a function (those count the function's calls).
@Suite struct CoverageLinesTests {
    @Test func crlfFilesHaveTheSameLinesAsLFFiles() {
        let lf = "/** doc\n * more\n */\nfunction f(a) {\n  // note\n  if (a) {\n    g();\n  } else {\n    h();\n  }\n\n  return 1;\n}\n"
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        let expected = [4, 6, 7, 9, 12]
        #expect(ScriptCoverage.codeLines(lf).map(\.line) == expected)
        #expect(ScriptCoverage.codeLines(crlf).map(\.line) == expected)
        // Offsets are where the line's first character is, in UTF-16 units of the whole text.
        for (line, offset) in ScriptCoverage.codeLines(crlf) {
            let units = Array(crlf.utf16)
            #expect(units[offset] != 0x20 && units[offset] != 0x0D && units[offset] != 0x0A, "line \(line)")
        }
        #expect(ScriptCoverage.lines(crlf) == ScriptCoverage.lines(lf))
        // Non-ASCII text before a line moves its offset by UTF-16 units.
        let wide = "const s = 'ü😀';\nf();\n"
        #expect(ScriptCoverage.codeLines(wide).map(\.offset) == [0, 17])
    }

    /// Comments anywhere on a line, and what only looks like one inside a string, a template or
    /// a regular expression.
    @Test func commentsAreFoundWhereverTheyAre() {
        func lines(_ text: String) -> [Int] { ScriptCoverage.codeLines(text).map(\.line) }
        // Code after a comment on the same line; a comment opened after code on its line.
        #expect(lines("/* a */ /* b */ f();\n/* only */\ng(); /* opens\n  still a comment\n*/ h();\ni();\n") == [1, 3, 5, 6])
        #expect(ScriptCoverage.codeLines("  /* a */ f();\n").map(\.offset) == [10])
        // Not comments: inside strings, a template (its lines after the first are not code unless
        // an expression starts there), regular expressions.
        #expect(lines("const s = '/* not';\nf();\nconst u = \"// nor\";\ng();\n") == [1, 2, 3, 4])
        #expect(lines("const t = `a\n/* inside */\n${x /* c */}`;\nz();\n") == [1, 3, 4])
        #expect(lines("const re = /\\/\\*/g; const r2 = /[/*]/;\nk();\nconst half = a / 2; /* c */\nm();\n") == [1, 2, 3, 4])
        #expect(lines("return /*/ a comment /*/ x;\ny();\n") == [1, 2])
        #expect(lines("if (a) /re*/.test(b);\nn();\n") == [1, 2])
        // A regular expression after an if/while/for head or a block; a division after an
        // operand, `x++`, a number with a dot, an object literal.
        #expect(lines("if (ok) /\\/*/.test(s);\nf();\ng();\n") == [1, 2, 3])
        #expect(lines("{ a(); }\n/\\/*/.test(s);\nf();\n") == [1, 2, 3])
        #expect(lines("n = i++ / 2; /* the\n   long note\n*/\nf();\n") == [1, 4])
        #expect(lines("x = 1./2; /* the\n note */\nf();\n") == [1, 3])
        #expect(lines("y = {a: 1} / 2; /* the\n note */\nf();\n") == [1, 3])
        #expect(lines("const h = (x) => { return x; }\n/\\/*/.test(s);\nf();\n") == [1, 2, 3])
        // A backslash at a line's end continues a string or template on the next line.
        #expect(lines("var q = 'SELECT id \\\n  FROM users';\nquery(q);\ncallback(null);\n") == [1, 3, 4])
        #expect(lines("var q = 'a \\\r\n  b /* c';\r\nf();\r\n") == [1, 3])
        // Templates nest: `${ {…} }` and a template inside one.
        #expect(lines("t = `a ${ {k: `b ${c}`}.k } d\n/* in */ e`;\nz();\n") == [1, 3])
        #expect(lines("const sql = `SELECT *\n  FROM users\n  WHERE id = ?`;\nrun(sql);\n") == [1, 4])
        #expect(lines("s = 'a' + `b\nc` + d;\n") == [1, 2], "code after a template that ends on the line")
    }

    /// The repository's own JavaScript (the runtime, the Node built-ins, the drivers, the
    /// console, the sample rules and actions), whole and cut at fixed points (unterminated
    /// comments, strings, templates, regular expressions): every reported line exists, in order,
    /// and starts at a character that is not blank.
    @Test func everyPrefixOfRealScriptsScansSanely() throws {
        let root = URL(fileURLWithPath: sampleTenantDirectory)
        var files: [URL] = []
        for folder in ["Sources", "rules", "actions"] {
            guard let walk = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walk where url.pathExtension == "js" { files.append(url) }
        }
        #expect(files.count >= 20, "found \(files.count) files")
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let units = Array(text.utf16)
            // About 60 cuts per file, at offsets that fall everywhere in its lines.
            let cuts = Array(stride(from: 0, through: units.count, by: max(1, units.count / 60 + 1))) + [units.count]
            for cut in cuts {
                let prefix = String(decoding: units[0..<cut], as: UTF16.self)
                let prefixUnits = Array(prefix.utf16)
                let lineCount = ScriptCoverage.lines(prefix).count
                let found = ScriptCoverage.codeLines(prefix)
                var previous = (line: 0, offset: -1)
                for entry in found {
                    #expect(entry.line > previous.line && entry.offset > previous.offset && entry.line <= lineCount, "\(file.lastPathComponent) cut at \(cut): \(entry)")
                    let unit = prefixUnits[entry.offset]
                    #expect(unit != 0x20 && unit != 0x09 && unit != 0x0A && unit != 0x0D, "\(file.lastPathComponent) cut at \(cut): line \(entry.line)")
                    previous = entry
                }
            }
            // The whole file: most non-blank lines that do not start a comment or close a block are code.
            let plain = ScriptCoverage.lines(text).filter {
                let t = $0.trimmingCharacters(in: .whitespaces)
                return !t.isEmpty && !t.hasPrefix("//") && !t.hasPrefix("/*") && !t.hasPrefix("*") && !t.hasPrefix("}") && !t.hasPrefix(")") && !t.hasPrefix("]")
            }.count
            let code = ScriptCoverage.codeLines(text).count
            #expect(code * 10 >= plain * 8 && code <= plain + 5, "\(file.lastPathComponent): \(code) code lines, \(plain) plain ones")
        }
    }

    /// Breakpoint lines as JavaScript counts them.
    @Test func breakpointLinesAreCountedAsJavaScriptDoes() {
        #expect(Breakpoint.lineCount("") == 0)
        #expect(Breakpoint.lineCount("x") == 1)
        #expect(Breakpoint.lineCount("a\nb\n") == 2)
        #expect(Breakpoint.lineCount("a\r\nb\r\n") == 2)
        #expect(Breakpoint.lineCount("a\rb") == 2)
        #expect(Breakpoint.lineCount("a\u{2028}b\n\n") == 3)
    }

    @Test func functionDeclaringLinesAreRecognised() {
        for line in [
            "function f(a) {", "async function f() {", "exports.onExecutePostLogin = async (event, api) => {",
            "const f = function (x) {", "module.exports = (a) => {", "let g = x => {", "onContinuePostLogin: async (event, api) => {",
            "  async onExecutePostLogin(event, api) {", "'handler': function () {", "render(user) {",
        ] {
            #expect(ScriptCoverage.declaresFunction(line), "\(line)")
        }
        for line in ["if (a) {", "for (const x of y) {", "while (go()) {", "return callback(null, user, context);", "g(function () {});", "x = y + 1;", "} else if (b) {"] {
            #expect(!ScriptCoverage.declaresFunction(line), "\(line)")
        }
    }
}
