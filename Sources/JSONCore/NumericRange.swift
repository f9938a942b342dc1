extension Int {
    /// `value` rounded toward zero and clamped into `Int`'s range (NaN is 0): for numbers that
    /// arrive as input (claims, JSON, script values), where `Int(_:)` would trap on `NaN`,
    /// `Infinity` or `1e300`.
    public init(clamping value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223372036854775e18 {
            self = .max
        } else if value <= -9.223372036854775e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
