// MARK: - Reading and writing the binary format

struct WasmReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    var atEnd: Bool { position >= end }

    mutating func byte() throws(WasmMeter.Refusal) -> UInt8 {
        guard position < end else { throw refusal("unexpected end of the module") }
        defer { position += 1 }
        return bytes[position]
    }

    func peek() throws(WasmMeter.Refusal) -> UInt8 {
        guard position < end else { throw refusal("unexpected end of the module") }
        return bytes[position]
    }

    /// An unsigned LEB128 of at most `bits` bits, in at most ⌈bits/7⌉ bytes (as the format says).
    mutating func unsigned(bits: Int = 32) throws(WasmMeter.Refusal) -> UInt64 {
        var result: UInt64 = 0
        var shift = 0
        let maxBytes = (bits + 6) / 7
        for i in 0..<maxBytes {
            let b = try byte()
            result |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 {
                if i == maxBytes - 1, bits % 7 != 0, UInt64(b & 0x7F) >> UInt64(bits % 7) != 0 {
                    throw refusal("an integer is out of range")
                }
                return result
            }
            shift += 7
        }
        throw refusal("an integer is too long")
    }

    mutating func u32() throws(WasmMeter.Refusal) -> UInt32 { UInt32(truncatingIfNeeded: try unsigned(bits: 32)) }

    /// Skips a signed LEB128 of at most `bits` bits.
    mutating func skipSigned(bits: Int) throws(WasmMeter.Refusal) {
        let maxBytes = (bits + 6) / 7
        for _ in 0..<maxBytes where try byte() & 0x80 == 0 { return }
        throw refusal("an integer is too long")
    }

    mutating func skip(_ n: Int) throws(WasmMeter.Refusal) {
        guard n >= 0, n <= end - position else { throw refusal("unexpected end of the module") }
        position += n
    }

    mutating func name() throws(WasmMeter.Refusal) -> String {
        let n = Int(try u32())
        let start = position
        try skip(n)
        return String(decoding: bytes[start..<start + n], as: UTF8.self)
    }

    /// A value type: a number, vector or reference type (`ref null? ht` with its heap type).
    mutating func valueType() throws(WasmMeter.Refusal) {
        let b = try byte()
        switch b {
        case 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F, 0x69: return
        case 0x63, 0x64: try heapType()
        default: throw refusal("value type \(hex(b)) is not supported")
        }
    }

    /// A heap type: an abstract one (one negative byte) or a type index.
    mutating func heapType() throws(WasmMeter.Refusal) {
        let b = try peek()
        if b >= 0x40 && b < 0x80 {
            switch b {
            case 0x70, 0x6F, 0x69, 0x74, 0x73, 0x72: position += 1  // func, extern, exn, noexn, nofunc, noextern
            default: throw refusal("heap type \(hex(b)) is not supported")
            }
        } else {
            _ = try unsigned(bits: 32)
        }
    }

    /// A block type: empty, one value type, or a type index (s33).
    mutating func blockType() throws(WasmMeter.Refusal) {
        let b = try peek()
        if b == 0x40 { position += 1; return }
        if b == 0x63 || b == 0x64 || (b >= 0x40 && b < 0x80) { try valueType(); return }
        _ = try unsigned(bits: 32)
    }

    func refusal(_ message: String) -> WasmMeter.Refusal {
        WasmMeter.Refusal(message: "\(message) (at byte \(position))")
    }
}

func hex(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
}

extension Array where Element == UInt8 {
    mutating func leb(_ value: UInt64) {
        var v = value
        repeat {
            var b = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { b |= 0x80 }
            append(b)
        } while v != 0
    }

    mutating func signedLEB(_ value: Int64) {
        var v = value
        while true {
            let b = UInt8(truncatingIfNeeded: v & 0x7F)
            v >>= 7
            if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) { append(b); return }
            append(b | 0x80)
        }
    }

    mutating func section(_ id: UInt8, _ payload: [UInt8]) {
        append(id)
        leb(UInt64(payload.count))
        append(contentsOf: payload)
    }
}
