/// A QR code encoder (ISO/IEC 18004: byte mode, error correction level M, versions 1–40), for
/// the `otpauth://` URI of the second-factor enrolment page, drawn as an inline SVG (no script,
/// no external resource). Written from the standard; `QRCodeTests` compares its modules with an
/// independent encoder's.
enum QRCode {
    /// Error-correction codewords per block and the number of blocks, level M, by version.
    static let eccPerBlock = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28]
    static let blocks = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49]

    /// The modules (true: dark), row by row, with the mask chosen (or the one given, 0–7).
    static func modules(_ text: String, mask forced: Int? = nil) -> [[Bool]]? {
        let bytes = Array(text.utf8)
        guard let version = (1...40).first(where: { v in 4 + (v < 10 ? 8 : 16) + bytes.count * 8 <= dataCodewords(v) * 8 }) else { return nil }
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) { for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) } }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for b in bytes { append(Int(b), 8) }
        let capacity = dataCodewords(version) * 8
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var pad = 0xEC
        while bits.count < capacity {
            append(pad, 8)
            pad ^= 0xEC ^ 0x11
        }
        var data: [UInt8] = []
        for i in stride(from: 0, to: bits.count, by: 8) { data.append(bits[i..<i + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) }) }
        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        grid.drawCodewords(interleaved(data, version: version))
        var best = forced ?? 0
        if forced == nil {
            var lowest = Int.max
            for m in 0..<8 {
                var trial = grid
                trial.apply(mask: m)
                trial.drawFormat(mask: m)
                let p = trial.penalty()
                if p < lowest { (lowest, best) = (p, m) }
            }
        }
        grid.apply(mask: best)
        grid.drawFormat(mask: best)
        return grid.modules
    }

    /// An SVG of the code with a four-module quiet zone, 4 pixels per module.
    static func svg(_ text: String) -> String? {
        guard let m = modules(text) else { return nil }
        let size = m.count + 8
        var path = ""
        for (y, row) in m.enumerated() {
            for (x, dark) in row.enumerated() where dark { path += "M\(x + 4) \(y + 4)h1v1h-1z" }
        }
        return ##"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="QR code of the authenticator link" width="\##(size * 4)" height="\##(size * 4)" viewBox="0 0 \##(size) \##(size)" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\##(path)"/></svg>"##
    }

    static func rawModules(_ v: Int) -> Int {
        var result = (16 * v + 128) * v + 64
        if v >= 2 {
            let align = v / 7 + 2
            result -= (25 * align - 10) * align - 55
            if v >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ v: Int) -> Int { rawModules(v) / 8 - eccPerBlock[v] * blocks[v] }

    /// Splits the data into blocks, adds each block's Reed–Solomon codewords, interleaves.
    static func interleaved(_ data: [UInt8], version v: Int) -> [UInt8] {
        let count = blocks[v], eccLength = eccPerBlock[v]
        let raw = rawModules(v) / 8
        let shortBlocks = count - raw % count
        let shortLength = raw / count
        let divisor = rsDivisor(eccLength)
        var all: [[UInt8]] = []
        var k = 0
        for i in 0..<count {
            var block = Array(data[k..<k + shortLength - eccLength + (i < shortBlocks ? 0 : 1)])
            k += block.count
            let ecc = rsRemainder(block, divisor)
            if i < shortBlocks { block.append(0) }
            all.append(block + ecc)
        }
        var out: [UInt8] = []
        for i in 0..<all[0].count {
            for (j, block) in all.enumerated() where i != shortLength - eccLength || j >= shortBlocks { out.append(block[i]) }
        }
        return out
    }

    static func gfMultiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for i in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> i) & 1) * Int(x)
        }
        return UInt8(z & 0xFF)
    }

    static func rsDivisor(_ degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = gfMultiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = gfMultiply(root, 2)
        }
        return result
    }

    static func rsRemainder(_ data: [UInt8], _ divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for b in data {
            let factor = b ^ result.removeFirst()
            result.append(0)
            for i in result.indices { result[i] ^= gfMultiply(divisor[i], factor) }
        }
        return result
    }

    struct Grid {
        let version: Int
        let size: Int
        var modules: [[Bool]]
        var isFunction: [[Bool]]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            modules = Array(repeating: Array(repeating: false, count: size), count: size)
            isFunction = modules
        }

        mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
            modules[y][x] = dark
            isFunction[y][x] = true
        }

        mutating func drawFunctionPatterns() {
            for i in 0..<size {
                set(6, i, i % 2 == 0)
                set(i, 6, i % 2 == 0)
            }
            for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 where (0..<size).contains(x + dx) && (0..<size).contains(y + dy) {
                        let d = max(abs(dx), abs(dy))
                        set(x + dx, y + dy, d != 2 && d != 4)
                    }
                }
            }
            let positions = alignmentPositions()
            let n = positions.count
            for i in 0..<n {
                for j in 0..<n where !((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)) {
                    for dy in -2...2 { for dx in -2...2 { set(positions[i] + dx, positions[j] + dy, max(abs(dx), abs(dy)) != 1) } }
                }
            }
            drawFormat(mask: 0)
            if version >= 7 {
                var rem = version
                for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
                let bits = version << 12 | rem
                for i in 0..<18 {
                    let dark = (bits >> i) & 1 == 1
                    let a = size - 11 + i % 3, b = i / 3
                    set(a, b, dark)
                    set(b, a, dark)
                }
            }
        }

        func alignmentPositions() -> [Int] {
            guard version > 1 else { return [] }
            let n = version / 7 + 2
            let step = version == 32 ? 26 : (version * 4 + n * 2 + 1) / (n * 2 - 2) * 2
            var result = [6]
            var pos = size - 7
            var tail: [Int] = []
            for _ in 0..<(n - 1) {
                tail.insert(pos, at: 0)
                pos -= step
            }
            result += tail
            return result
        }

        /// Level M (format bits 00) and the mask, BCH-protected, in both copies; the dark module.
        mutating func drawFormat(mask: Int) {
            let data = mask
            var rem = data
            for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
            let bits = (data << 10 | rem) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0...5 { set(8, i, bit(i)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for i in 9..<15 { set(14 - i, 8, bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
            set(8, size - 8, true)
        }

        mutating func drawCodewords(_ data: [UInt8]) {
            var i = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vert in 0..<size {
                    for j in 0..<2 {
                        let x = right - j
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vert : vert
                        if !isFunction[y][x] && i < data.count * 8 {
                            modules[y][x] = (data[i >> 3] >> (7 - (i & 7))) & 1 == 1
                            i += 1
                        }
                    }
                }
                right -= 2
            }
        }

        mutating func apply(mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !isFunction[y][x] {
                    let invert: Bool
                    switch mask {
                    case 0: invert = (x + y) % 2 == 0
                    case 1: invert = y % 2 == 0
                    case 2: invert = x % 3 == 0
                    case 3: invert = (x + y) % 3 == 0
                    case 4: invert = (x / 3 + y / 2) % 2 == 0
                    case 5: invert = x * y % 2 + x * y % 3 == 0
                    case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
                    default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if invert { modules[y][x].toggle() }
                }
            }
        }

        /// The standard's penalty rules 1 (runs), 2 (2×2 blocks) and 4 (balance); rule 3 (finder-like
        /// patterns) is left out, so the mask may differ from other encoders' — any mask is valid.
        func penalty() -> Int {
            var p = 0
            for line in 0..<size {
                var runRow = 1, runCol = 1
                for i in 1..<size {
                    if modules[line][i] == modules[line][i - 1] { runRow += 1 } else { runRow = 1 }
                    if runRow == 5 { p += 3 } else if runRow > 5 { p += 1 }
                    if modules[i][line] == modules[i - 1][line] { runCol += 1 } else { runCol = 1 }
                    if runCol == 5 { p += 3 } else if runCol > 5 { p += 1 }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) where modules[y][x] == modules[y][x + 1] && modules[y][x] == modules[y + 1][x] && modules[y][x] == modules[y + 1][x + 1] { p += 3 }
            }
            let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }
            let total = size * size
            p += max(0, (abs(dark * 20 - total * 10) + total - 1) / total - 1) * 10
            return p
        }
    }
}
