/// The section level of `WasmRewriter` (WasmMeter.swift): each section's entries checked and
/// renumbered, the added imports, types and globals, memories and tables within the limits.
extension WasmRewriter {
    /// Function types only (GC's recursive groups, structs and arrays are refused), with at
    /// most `maximumArity` parameters and results: what calls, branches and exceptions cost
    /// grows with them, to compile and to run, beyond what one unit of fuel stands for. Two
    /// types are added: `[] -> []` for `check` and `[i32] -> [i32]` for the grows.
    mutating func types(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        var r = WasmReader(payload)
        let n = try r.u32()
        for _ in 0..<n {
            let form = try r.byte()
            guard form == 0x60 else { throw r.refusal("type form \(hex(form)) (WebAssembly GC) is not supported") }
            for _ in 0..<2 {
                let k = try r.u32()
                guard k <= WasmMeter.maximumArity else { throw r.refusal("a function type with \(k) parameters or results (at most \(WasmMeter.maximumArity) are metered)") }
                for _ in 0..<k { try r.valueType() }
            }
        }
        guard r.atEnd else { throw r.refusal("the type section has trailing bytes") }
        typeCount = n
        return rebuild(count: UInt64(n) + 2, payload: payload, added: [0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7F])
    }

    /// The imports, with `check`, `tableGrow`, `memoryGrow` and the fuel counter (a mutable i32
    /// global, one per context, so that every instance draws on the same fuel) added last: the
    /// module's own functions move up by three, its own globals by one. Imports from the
    /// runtime's module name are refused (the fuel counter and the checks are not the script's),
    /// so are shared and 64-bit memories.
    mutating func imports(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        var r = WasmReader(payload)
        let n = try r.u32()
        for _ in 0..<n {
            guard try r.name() != WasmMeter.importModule || ownOutput else { throw r.refusal("the module imports from \(WasmMeter.importModule), which is the runtime's") }
            _ = try r.name()
            let kind = try r.byte()
            switch kind {
            case 0x00: _ = try r.u32(); importedFunctions += 1
            case 0x01: try r.valueType(); _ = try limits(&r, what: "table", cap: nil)
            case 0x02: _ = try limits(&r, what: "memory", cap: nil)
            case 0x03: try r.valueType(); _ = try r.byte(); importedGlobals += 1
            case 0x04: _ = try r.byte(); _ = try r.u32()
            default: throw r.refusal("unknown import kind \(kind)")
            }
        }
        guard r.atEnd else { throw r.refusal("the import section has trailing bytes") }
        guard importedFunctions < 1_000_000, importedGlobals < 1_000_000 else { throw r.refusal("too many imports") }
        var added: [UInt8] = []
        for (name, type) in [(WasmMeter.checkImport, typeCount), (WasmMeter.tableGrowImport, typeCount + 1), (WasmMeter.memoryGrowImport, typeCount + 1)] {
            added.leb(UInt64(WasmMeter.importModule.utf8.count)); added += Array(WasmMeter.importModule.utf8)
            added.leb(UInt64(name.utf8.count)); added += Array(name.utf8)
            added.append(0x00); added.leb(UInt64(type))
        }
        added.leb(UInt64(WasmMeter.importModule.utf8.count)); added += Array(WasmMeter.importModule.utf8)
        added.leb(UInt64(WasmMeter.fuelImport.utf8.count)); added += Array(WasmMeter.fuelImport.utf8)
        added += [0x03, 0x7F, 0x01]
        return rebuild(count: UInt64(n) + 4, payload: payload, added: added)
    }

    /// Reads limits; with `cap`, answers them re-encoded with a maximum of at most `cap`.
    /// Memories: shared (threads) and 64-bit ones are refused; tables: 64-bit ones.
    func limits(_ r: inout WasmReader, what: String, cap: UInt32?) throws(WasmMeter.Refusal) -> (bytes: [UInt8], min: UInt32) {
        let flags = try r.byte()
        switch flags {
        case 0x00, 0x01: break
        case 0x02, 0x03:
            // The shared flag: memories only (a shared table is not WebAssembly).
            if what == "memory" { throw r.refusal("shared WebAssembly memories are not available here (Atomics.wait on one would block the worker)") }
            throw r.refusal("\(what) limits \(hex(flags)) mark it shared, which only a memory can be")
        default: throw r.refusal("\(what) limits \(hex(flags)) (64-bit or custom pages) are not supported")
        }
        let min = try r.u32()
        let max: UInt32? = flags == 0x01 ? try r.u32() : nil
        guard let cap else { return ([], min) }
        guard min <= cap else {
            throw WasmMeter.Refusal(message: what == "memory"
                ? "a memory of \(min) pages (\(UInt64(min) * 65536) bytes) is over the limit of \(cap) pages (a quarter of the script heap budget)"
                : "a table of \(min) elements is over the limit of \(cap) elements per table")
        }
        var out: [UInt8] = [0x01]
        out.leb(UInt64(min))
        out.leb(UInt64(Swift.min(max ?? cap, cap)))
        return (out, min)
    }

    /// A vector section rewritten entry by entry: its count, then what `entry` writes for each,
    /// and nothing after the last.
    static func entries(
        _ payload: [UInt8], _ section: String, _ entry: (inout WasmReader, inout [UInt8]) throws(WasmMeter.Refusal) -> Void
    ) throws(WasmMeter.Refusal) -> [UInt8] {
        var r = WasmReader(payload)
        let n = try r.u32()
        var out: [UInt8] = []
        out.leb(UInt64(n))
        for _ in 0..<n { try entry(&r, &out) }
        guard r.atEnd else { throw r.refusal("the \(section) section has trailing bytes") }
        return out
    }

    mutating func tables(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        let cap = limits.tableElements
        var total = 0
        let out = try Self.entries(payload, "table") { (r, out) throws(WasmMeter.Refusal) in
            var initializer = false
            if try r.peek() == 0x40 {
                try r.skip(1)
                guard try r.byte() == 0x00 else { throw r.refusal("bad table type") }
                out += [0x40, 0x00]
                initializer = true
            }
            let typeStart = r.position
            try r.valueType()
            out += payload[typeStart..<r.position]
            let (bytes, min) = try limits(&r, what: "table", cap: cap)
            out += bytes
            total += Int(min)
            if initializer { out += try constantExpression(&r) }
        }
        tableElements += total
        return out
    }

    mutating func memories(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        let cap = limits.memoryPages
        var total = 0
        let out = try Self.entries(payload, "memory") { (r, out) throws(WasmMeter.Refusal) in
            let (bytes, min) = try limits(&r, what: "memory", cap: cap)
            out += bytes
            total += Int(min) * 65536
        }
        memoryBytes += total
        return out
    }

    /// The module's globals (their initializers may name functions and globals).
    func globals(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "global") { (r, out) throws(WasmMeter.Refusal) in
            let start = r.position
            try r.valueType()
            _ = try r.byte()
            out += payload[start..<r.position]
            out += try constantExpression(&r)
        }
    }

    /// Data segments: an active one's offset may name a global (which moved up by one).
    func data(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "data") { (r, out) throws(WasmMeter.Refusal) in
            let flags = try r.u32()
            guard flags <= 2 else { throw r.refusal("unknown data segment kind \(flags)") }
            out.leb(UInt64(flags))
            if flags == 2 { out.leb(UInt64(try r.u32())) }
            if flags != 1 { out += try constantExpression(&r) }
            let length = Int(try r.u32())
            let start = r.position
            try r.skip(length)
            out.leb(UInt64(length))
            out += payload[start..<r.position]
        }
    }

    func exports(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "export") { (r, out) throws(WasmMeter.Refusal) in
            let start = r.position
            _ = try r.name()
            let kind = try r.byte()
            out += payload[start..<r.position]
            let index = try r.u32()
            out.leb(kind == 0x00 ? try renumber(index) : kind == 0x03 ? try renumberGlobal(index) : UInt64(index))
        }
    }

    func elements(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8] {
        try Self.entries(payload, "element") { (r, out) throws(WasmMeter.Refusal) in
            let flags = try r.u32()
            guard flags <= 7 else { throw r.refusal("unknown element segment kind \(flags)") }
            out.leb(UInt64(flags))
            if flags == 2 || flags == 6 { out.leb(UInt64(try r.u32())) }  // table index
            if flags & 1 == 0 { out += try constantExpression(&r) }  // active: offset
            if flags & 3 != 0 {  // element kind (0x00) or reference type
                let start = r.position
                if flags & 4 == 0 { guard try r.byte() == 0x00 else { throw r.refusal("bad element kind") } } else { try r.valueType() }
                out += payload[start..<r.position]
            }
            let k = try r.u32()
            out.leb(UInt64(k))
            for _ in 0..<k {
                if flags & 4 == 0 { out.leb(try renumber(try r.u32())) } else { out += try constantExpression(&r) }
            }
        }
    }

    /// Custom sections: `name` and code metadata name functions by index, so they go.
    func custom(_ payload: [UInt8]) throws(WasmMeter.Refusal) -> [UInt8]? {
        var r = WasmReader(payload)
        let name = try r.name()
        if name == "name" || name.hasPrefix("metadata.code.") { return nil }
        return payload
    }

    /// A vector section with `count` entries: its entries after the old count, then `added`.
    func rebuild(count: UInt64, payload: [UInt8], added: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.leb(count)
        out += payload[lebLength(payload)...]
        out += added
        return out
    }

    func lebLength(_ payload: [UInt8]) -> Int {
        var i = 0
        while i < payload.count, payload[i] & 0x80 != 0 { i += 1 }
        return Swift.min(i + 1, payload.count)
    }
}
