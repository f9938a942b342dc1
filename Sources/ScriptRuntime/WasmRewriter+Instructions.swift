/// The instruction level of `WasmRewriter` (WasmMeter.swift): decoding each instruction with
/// its immediates, the cost of the regions between metering points, and the rewritten bytes.
extension WasmRewriter {
    /// One decoded instruction: where its bytes are, its opcode, the sub-opcode of a prefixed
    /// one, and the function index of `call`, `return_call` and `ref.func` or the global index
    /// of `global.get` and `global.set` (both renumbered).
    struct Instruction {
        var start: Int
        var end: Int
        var op: UInt8
        var sub: UInt32 = 0
        var index: UInt32 = 0
    }

    /// What the instructions between two metering points can cost (`cost`). A metering
    /// point (the function's entry, a loop's head) is charged for its region: the instructions
    /// up to the end of its body that are not inside a nested loop (which is its own region).
    /// Execution only comes back to an instruction through a loop head or a call, so between
    /// two passes through metering points it runs each instruction of one region at most once.
    /// A region's charge is at most the fuel: a region bigger than that (a function near
    /// JavaScriptCore's size limit) calls `check` on every pass, and one pass through plain
    /// instructions is short. Bulk memory and table operations (and grows), whose one
    /// instruction can be long, are metering points of their own: each is charged `bulkCost`
    /// right before it. Also checks the block structure: it must close exactly at the body's
    /// last byte, as JavaScriptCore reads it.
    func regionCosts(_ r: inout WasmReader) throws(WasmMeter.Refusal) -> (regions: [Int32], loopRegion: [Int]) {
        var regions: [Int] = [0]
        var loopRegion: [Int] = []
        var frames: [Bool] = [false]  // open blocks, the function's own first: is it a loop
        var open: [Int] = [0]  // the regions of the open loops, innermost last
        while !r.atEnd {
            guard !frames.isEmpty else { throw r.refusal("a function body goes on after its end") }
            let ins = try next(&r)
            regions[open[open.count - 1]] += Self.cost(ins)
            switch ins.op {
            case 0x02, 0x04, 0x06, 0x1F: frames.append(false)
            case 0x03:
                regions.append(0)
                loopRegion.append(regions.count - 1)
                open.append(regions.count - 1)
                frames.append(true)
            case 0x0B, 0x18:  // end, delegate
                if frames.removeLast(), open.count > 1 { open.removeLast() }
            default: break
            }
        }
        guard frames.isEmpty else { throw r.refusal("a function body ends inside a block") }
        return (regions.map { Int32(Swift.max(1, Swift.min($0, Int(WasmMeter.fuel)))) }, loopRegion)
    }

    static let bulkCost = 65_536

    /// Units of fuel for one instruction in a region: throwing (which unwinds through the
    /// engine) counts as 4,096, everything else as one.
    static func cost(_ ins: Instruction) -> Int {
        switch ins.op {
        case 0x08, 0x09, 0x0A: return 4_096
        default: return 1
        }
    }

    /// Instructions whose one execution can take long: bulk memory and table operations, grows.
    static func isBulk(_ ins: Instruction) -> Bool {
        switch (ins.op, ins.sub) {
        case (0x40, _), (0xFC, 8), (0xFC, 10), (0xFC, 11), (0xFC, 12), (0xFC, 14), (0xFC, 15), (0xFC, 17): return true
        default: return false
        }
    }

    /// `fuel -= cost; if fuel <= 0 { fuel = N; check() }`
    func checkSequence(cost: Int32) -> [UInt8] {
        var s: [UInt8] = [0x23]; s.leb(UInt64(fuelGlobal))
        s.append(0x41); s.signedLEB(Int64(cost))
        s += [0x6B, 0x24]; s.leb(UInt64(fuelGlobal))
        s.append(0x23); s.leb(UInt64(fuelGlobal))
        s += [0x41, 0x00, 0x4C, 0x04, 0x40, 0x41]; s.signedLEB(Int64(WasmMeter.fuel))
        s.append(0x24); s.leb(UInt64(fuelGlobal))
        s.append(0x10); s.leb(UInt64(checkFunction))
        s.append(0x0B)
        return s
    }

    /// A constant expression up to and including its `end`.
    func constantExpression(_ r: inout WasmReader) throws(WasmMeter.Refusal) -> [UInt8] {
        var out: [UInt8] = []
        while !r.atEnd {
            let ins = try next(&r)
            try emit(ins, r.bytes, into: &out)
            if ins.op == 0x0B { return out }
        }
        throw r.refusal("a constant expression has no end")
    }

    /// Copies one instruction, renumbering function indices and routing `table.grow` and
    /// `memory.grow` through the runtime.
    func emit(_ ins: Instruction, _ bytes: [UInt8], into out: inout [UInt8]) throws(WasmMeter.Refusal) {
        switch ins.op {
        case 0x10, 0x12, 0xD2:
            out.append(ins.op)
            out.leb(try renumber(ins.index))
        case 0x23, 0x24:
            out.append(ins.op)
            out.leb(try renumberGlobal(ins.index))
        case 0xFC where ins.sub == 15:
            out.append(0x10); out.leb(UInt64(tableGrowFunction))
            out += bytes[ins.start..<ins.end]
        case 0x40:
            out.append(0x10); out.leb(UInt64(memoryGrowFunction))
            out += bytes[ins.start..<ins.end]
        default:
            out += bytes[ins.start..<ins.end]
        }
    }

    /// Decodes the next instruction.
    func next(_ r: inout WasmReader) throws(WasmMeter.Refusal) -> Instruction {
        var ins = Instruction(start: r.position, end: 0, op: try r.byte())
        switch ins.op {
        case 0x10, 0x12, 0xD2, 0x23, 0x24: ins.index = try r.u32()
        case 0x03: try r.blockType()
        case 0xFC:
            ins.sub = try r.u32()
            try Self.miscImmediates(ins.sub, &r)
        default:
            try Self.immediates(ins.op, &r)
        }
        ins.end = r.position
        return ins
    }

    /// Skips the immediates of a one-byte opcode; refuses opcodes it does not know.
    static func immediates(_ op: UInt8, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch op {
        case 0x00, 0x01, 0x05, 0x0A, 0x0B, 0x0F, 0x19, 0x1A, 0x1B, 0xD1, 0xD3, 0xD4: return
        case 0x45...0xC4: return  // numeric, sign extension
        case 0x02, 0x04, 0x06: try r.blockType()  // block, if, try
        case 0x07, 0x08, 0x09, 0x18, 0x0C, 0x0D, 0xD5, 0xD6: _ = try r.u32()  // catch, throw, rethrow, delegate, br, br_if, br_on_(non_)null
        case 0x0E:  // br_table
            let n = try r.u32()
            guard n <= WasmMeter.maximumBranchTargets else { throw r.refusal("a br_table of \(n) targets (at most \(WasmMeter.maximumBranchTargets))") }
            for _ in 0...n { _ = try r.u32() }
        case 0x11, 0x13: _ = try r.u32(); _ = try r.u32()  // call_indirect, return_call_indirect
        case 0x14, 0x15: _ = try r.u32()  // call_ref, return_call_ref
        case 0x1C:  // select t*
            let n = try r.u32()
            for _ in 0..<n { try r.valueType() }
        case 0x1F:  // try_table
            try r.blockType()
            let n = try r.u32()
            for _ in 0..<n {
                let kind = try r.byte()
                switch kind {
                case 0x00, 0x01: _ = try r.u32(); _ = try r.u32()
                case 0x02, 0x03: _ = try r.u32()
                default: throw r.refusal("unknown catch clause \(kind)")
                }
            }
        case 0x20...0x26: _ = try r.u32()  // locals, globals, table.get/set
        case 0x28...0x3E: try memarg(&r)
        case 0x3F, 0x40: _ = try r.u32()  // memory.size, memory.grow
        case 0x41: try r.skipSigned(bits: 32)
        case 0x42: try r.skipSigned(bits: 64)
        case 0x43: try r.skip(4)
        case 0x44: try r.skip(8)
        case 0xD0: try r.heapType()
        case 0xFD: try simdImmediates(try r.u32(), &r)
        case 0xFE: try atomicImmediates(try r.u32(), &r)
        default: throw WasmMeter.Refusal(message: "WebAssembly instruction \(hex(op)) is not supported here (at byte \(r.position - 1))")
        }
    }

    /// `align` and `offset`, as JavaScriptCore reads them (it has no multiple memories, which
    /// would put a memory index after an `align` with bit 6 set: such an `align` is refused, so
    /// that the two never split the bytes differently, in reachable code or not).
    static func memarg(_ r: inout WasmReader) throws(WasmMeter.Refusal) {
        guard try r.u32() < 0x40 else { throw r.refusal("a memory access names a memory index (multiple memories are not supported)") }
        _ = try r.u32()
    }

    static func miscImmediates(_ sub: UInt32, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch sub {
        case 0...7: return  // saturating truncations
        case 8, 10, 12, 14: _ = try r.u32(); _ = try r.u32()  // memory.init, memory.copy, table.init, table.copy
        case 9, 11, 13, 15, 16, 17: _ = try r.u32()  // data.drop, memory.fill, elem.drop, table.grow/size/fill
        default: throw r.refusal("WebAssembly instruction 0xfc \(sub) is not supported here")
        }
    }

    static func simdImmediates(_ sub: UInt32, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch sub {
        case 0...11, 92, 93: try memarg(&r)
        case 12, 13: try r.skip(16)  // v128.const, i8x16.shuffle
        case 21...34: try r.skip(1)  // lane accesses
        case 84...91: try memarg(&r); try r.skip(1)  // lane loads and stores
        case 14...20, 35...83, 94...275: return
        default: throw r.refusal("SIMD instruction \(sub) is not supported here")
        }
    }

    static func atomicImmediates(_ sub: UInt32, _ r: inout WasmReader) throws(WasmMeter.Refusal) {
        switch sub {
        case 0x03: guard try r.byte() == 0 else { throw r.refusal("bad atomic.fence") }
        case 0x00...0x02, 0x10...0x4E: try memarg(&r)
        default: throw r.refusal("atomic instruction \(sub) is not supported here")
        }
    }
}
