#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ISO-8601 UTC timestamps with milliseconds (`2024-01-31T12:00:00.000Z`), the format Auth0
/// uses for profile dates. Hand-rolled because Foundation's formatter is slow on Linux and
/// timestamps are on the login hot path.
public enum Timestamp {
    /// The seconds since 1970 that `format` writes as they are: years 0000 to 9999.
    public static let representable: ClosedRange<Double> = -62_167_219_200...253_402_300_799.999

    /// `format(seconds)` when the time is a date of years 0000–9999, else nil (NaN, `1e300`).
    public static func formatIfRepresentable(_ seconds: Double) -> String? {
        representable.contains(seconds) ? format(seconds) : nil
    }

    /// Seconds since 1970 → `YYYY-MM-DDTHH:MM:SS.mmmZ`. A time outside `representable` is
    /// written as the nearest end of it (NaN as 1970), never trapped on.
    public static func format(_ seconds: Double) -> String {
        let seconds = seconds.isNaN ? 0 : min(max(seconds, representable.lowerBound), representable.upperBound)
        var whole = Int(seconds.rounded(.down))
        var ms = Int(((seconds - Double(whole)) * 1000).rounded())
        if ms >= 1000 { whole += 1; ms -= 1000 }
        var t = time_t(whole)
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(unsafeUninitializedCapacity: 24) { buf in
            func put(_ v: Int, _ digits: Int, at i: Int) {
                var v = v
                for k in stride(from: i + digits - 1, through: i, by: -1) {
                    buf[k] = UInt8(48 + v % 10)
                    v /= 10
                }
            }
            put(Int(tm.tm_year) + 1900, 4, at: 0)
            buf[4] = 45
            put(Int(tm.tm_mon) + 1, 2, at: 5)
            buf[7] = 45
            put(Int(tm.tm_mday), 2, at: 8)
            buf[10] = 84
            put(Int(tm.tm_hour), 2, at: 11)
            buf[13] = 58
            put(Int(tm.tm_min), 2, at: 14)
            buf[16] = 58
            put(Int(tm.tm_sec), 2, at: 17)
            buf[19] = 46
            put(ms, 3, at: 20)
            buf[23] = 90
            return 24
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`; nil when it is not such a timestamp.
    public static func parse(_ s: String) -> Double? {
        let b = Array(s.utf8)
        guard b.count >= 19 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<from + len {
                guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), b[4] == 0x2D, let mo = num(5, 2), b[7] == 0x2D, let d = num(8, 2),
            b[10] == 0x54 || b[10] == 0x20, let h = num(11, 2), b[13] == 0x3A, let mi = num(14, 2), b[16] == 0x3A,
            let sec = num(17, 2)
        else { return nil }
        var i = 19
        var frac = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                frac += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < b.count {
            if b[i] == 0x5A { i += 1 } else if b[i] == 0x2B || b[i] == 0x2D {
                guard let oh = num(i + 1, 2), i + 3 < b.count else { return nil }
                let om = b[i + 3] == 0x3A ? (num(i + 4, 2) ?? 0) : (num(i + 3, 2) ?? 0)
                offset = (oh * 3600 + om * 60) * (b[i] == 0x2B ? 1 : -1)
                i = b.count
            } else { return nil }
        }
        var tm = tm()
        tm.tm_year = Int32(y - 1900)
        tm.tm_mon = Int32(mo - 1)
        tm.tm_mday = Int32(d)
        tm.tm_hour = Int32(h)
        tm.tm_min = Int32(mi)
        tm.tm_sec = Int32(sec)
        return Double(timegm(&tm) - offset) + frac
    }

    /// Current time in seconds since 1970.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
