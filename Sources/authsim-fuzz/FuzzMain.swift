import Foundation
import Fuzzing

/// `authsim-fuzz`: the fuzz targets outside the test suite.
///
///     authsim-fuzz <query|merge|jwt|tenant|address|protection|request|all> [--seconds S] [--runs N] [--seed X]
///         the built-in mutation driver (what `make test` runs briefly)
///     authsim-fuzz host [--runs N] [--seed X]
///         the host-boundary target: host functions called with hostile values in real logins
///     authsim-fuzz --write-corpus DIR
///         each target's seeds as DIR/<target>/seed-N and its dictionary as DIR/<target>.dict
///
/// Built by `make fuzz` with coverage instrumentation and libFuzzer (-DLIBFUZZER), the same
/// binary hands `<target>` to libFuzzer instead: `authsim-fuzz <target> [libFuzzer flags] [corpus dirs]`.
@main struct FuzzMain {
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        guard let first = args.first else { usage() }
        if first == "--write-corpus", args.count == 2 { writeCorpus(args[1]) }
        args.removeFirst()
        if first == "host" { host(args) }
        let targets = first == "all" ? FuzzTarget.allCases : [required(FuzzTarget(rawValue: first))]
        #if LIBFUZZER
        guard targets.count == 1 else { usage() }
        LibFuzzer.run(targets[0], arguments: [CommandLine.arguments[0]] + args)
        #else
        var seconds = 10.0
        var runs = Int.max
        var seed: UInt64 = 1
        while let a = args.first {
            args.removeFirst()
            guard let v = args.first else { usage() }
            args.removeFirst()
            switch a {
            case "--seconds": seconds = required(Double(v))
            case "--runs": runs = required(Int(v))
            case "--seed": seed = required(UInt64(v))
            default: usage()
            }
        }
        var failed = false
        for t in targets {
            var fuzzer = MutationFuzzer(target: t, seed: seed)
            let r = fuzzer.run(runs: runs, deadline: Date().addingTimeInterval(seconds / Double(targets.count)))
            print("\(t.rawValue): \(r.runs) inputs, \(r.accepted) accepted, \(r.refused) refused, corpus \(r.corpus), failures \(r.failures.count)")
            for f in r.failures { print("FAILED \(f)") }
            failed = failed || !r.failures.isEmpty
        }
        exit(failed ? 1 : 0)
        #endif
    }

    /// The host target runs logins (async); the main thread waits for it.
    static func host(_ args: [String]) -> Never {
        var runs = 200
        var seed: UInt64 = 1
        var rest = args
        while rest.count >= 2 {
            switch rest[0] {
            case "--runs": runs = required(Int(rest[1]))
            case "--seed": seed = required(UInt64(rest[1]))
            default: usage()
            }
            rest.removeFirst(2)
        }
        if !rest.isEmpty { usage() }
        let done = DispatchSemaphore(value: 0)
        let box = ReportBox()
        Task.detached {
            do { box.report = try await HostFuzz.run(runs: runs, seed: seed) } catch { box.error = "\(error)" }
            done.signal()
        }
        done.wait()
        guard let r = box.report else {
            print("host: could not start: \(box.error ?? "")")
            exit(1)
        }
        print("host: \(r.runs) logins, \(r.calls) host calls, \(r.completed) completed, \(r.limited) stopped by a script limit, failures \(r.failures.count)")
        for f in r.failures { print("FAILED \(f)") }
        exit(r.failures.isEmpty ? 0 : 1)
    }

    final class ReportBox: @unchecked Sendable {
        var report: HostFuzz.Report?
        var error: String?
    }

    static func writeCorpus(_ dir: String) -> Never {
        for t in FuzzTarget.allCases {
            let folder = dir + "/" + t.rawValue
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (i, s) in FuzzSeeds.seeds(t).enumerated() {
                _ = FileManager.default.createFile(atPath: folder + "/seed-\(i)", contents: Data(s))
            }
            // libFuzzer dictionary lines: name="escaped bytes".
            let lines = FuzzSeeds.dictionary(t).enumerated().map { i, token in
                "t\(i)=\"" + token.utf8.map { b in (0x20...0x7E).contains(b) && b != 0x22 && b != 0x5C ? String(UnicodeScalar(b)) : String(format: "\\x%02X", b) }.joined() + "\""
            }
            _ = FileManager.default.createFile(atPath: dir + "/\(t.rawValue).dict", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        exit(0)
    }

    static func required<T>(_ value: T?) -> T {
        guard let value else { usage() }
        return value
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: authsim-fuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))|all> [--seconds S] [--runs N] [--seed X]\n       authsim-fuzz --write-corpus DIR\n".utf8))
        exit(2)
    }
}

#if LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

enum LibFuzzer {
    nonisolated(unsafe) static var target: FuzzTarget = .query

    static func run(_ t: FuzzTarget, arguments: [String]) -> Never {
        target = t
        var argc = CInt(arguments.count)
        var cStrings: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let rc = cStrings.withUnsafeMutableBufferPointer { buffer -> CInt in
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv) { data, count in
                let input = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
                do { _ = try LibFuzzer.target.run(input) } catch { fatalError("\(error)") }
                return 0
            }
        }
        exit(rc)
    }
}
#endif
