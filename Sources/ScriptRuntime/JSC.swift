import CJavaScriptCore

// Thin helpers over the JavaScriptCore C API. Every value here is only valid on the worker
// thread that owns the context group; nothing in this file escapes that thread.

typealias JSContext = OpaquePointer
typealias JSValue = OpaquePointer

enum JSC {
    static func string(_ s: String) -> OpaquePointer {
        JSStringCreateWithUTF8CString(s)
    }

    /// Converts through JavaScriptCore's own UTF-8 encoder: Swift's generic UTF-16 decoding
    /// path costs several times more for the large JSON strings crossing every job.
    static func swiftString(_ s: OpaquePointer) -> String {
        let max = JSStringGetMaximumUTF8CStringSize(s)
        if max <= 1 { return "" }
        if max <= 1024 {
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: max) { buf in
                let n = JSStringGetUTF8CString(s, buf.baseAddress, max)
                return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress, count: Swift.max(0, n - 1)), as: UTF8.self)
            }
        }
        let buf = UnsafeMutablePointer<CChar>.allocate(capacity: max)
        defer { buf.deallocate() }
        let n = JSStringGetUTF8CString(s, buf, max)
        return String(decoding: UnsafeRawBufferPointer(start: buf, count: Swift.max(0, n - 1)), as: UTF8.self)
    }

    /// `String(v)` in JavaScript terms; nil if conversion threw.
    static func toString(_ ctx: JSContext, _ v: JSValue?) -> String? {
        guard let v else { return nil }
        var exc: JSValue?
        guard let s = JSValueToStringCopy(ctx, v, &exc) else { return nil }
        defer { JSStringRelease(s) }
        return swiftString(s)
    }

    /// A JavaScript number as an integer, when it is one a host may use: a number value (not an
    /// object, so no `valueOf` or `Symbol.toPrimitive` of the script's runs), finite, whole and
    /// within ±2^53. NaN, ±Infinity, 1e300 and fractions give nil instead of trapping in `Int(_:)`.
    static func integer(_ ctx: JSContext, _ v: JSValue?) -> Int? {
        guard let v, JSValueIsNumber(ctx, v) else { return nil }
        return checkedInteger(JSValueToNumber(ctx, v, nil))
    }

    static func checkedInteger(_ d: Double) -> Int? {
        guard d.isFinite, d == d.rounded(), abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }

    /// A JavaScript number value that is finite (no conversion of objects).
    static func finiteNumber(_ ctx: JSContext, _ v: JSValue?) -> Double? {
        guard let v, JSValueIsNumber(ctx, v) else { return nil }
        let d = JSValueToNumber(ctx, v, nil)
        return d.isFinite ? d : nil
    }

    /// A JavaScript string value as a Swift string (nil for anything else: no `toString` runs).
    static func stringValue(_ ctx: JSContext, _ v: JSValue?) -> String? {
        guard let v, JSValueIsString(ctx, v) else { return nil }
        return toString(ctx, v)
    }

    /// The length in UTF-16 units of a JavaScript string value (nil for anything else), read
    /// without copying it out.
    static func stringLength(_ ctx: JSContext, _ v: JSValue?) -> Int? {
        guard let v, JSValueIsString(ctx, v) else { return nil }
        var exc: JSValue?
        guard let s = JSValueToStringCopy(ctx, v, &exc) else { return nil }
        defer { JSStringRelease(s) }
        return JSStringGetLength(s)
    }

    /// Evaluates `source` as a script named `file`, its first line numbered `line`.
    static func evaluate(_ ctx: JSContext, _ source: String, file: String, line: Int, exception: inout JSValue?) -> JSValue? {
        let src = string(source)
        let url = string(file)
        defer { JSStringRelease(src); JSStringRelease(url) }
        return JSEvaluateScript(ctx, src, nil, url, Int32(clamping: line), &exception)
    }

    static func makeString(_ ctx: JSContext, _ s: String) -> JSValue {
        let js = string(s)
        defer { JSStringRelease(js) }
        return JSValueMakeString(ctx, js)
    }

    static func property(_ ctx: JSContext, _ obj: JSValue, _ name: String) -> JSValue? {
        let js = string(name)
        defer { JSStringRelease(js) }
        var exc: JSValue?
        return JSObjectGetProperty(ctx, obj, js, &exc)
    }

    static func setProperty(_ ctx: JSContext, _ obj: JSValue, _ name: String, _ value: JSValue, readOnly: Bool = false) {
        let js = string(name)
        defer { JSStringRelease(js) }
        var exc: JSValue?
        let attrs = readOnly ? JSPropertyAttributes(kJSPropertyAttributeReadOnly | kJSPropertyAttributeDontEnum) : JSPropertyAttributes(kJSPropertyAttributeDontEnum)
        JSObjectSetProperty(ctx, obj, js, value, attrs, &exc)
    }

    static func makeError(_ ctx: JSContext, _ message: String) -> JSValue? {
        var arg: JSValue? = makeString(ctx, message)
        var exc: JSValue?
        return withUnsafePointer(to: &arg) { JSObjectMakeError(ctx, 1, $0, &exc) }
    }

    /// UTF-16 units of a thrown value's texts that are kept (a script can throw a 500 MB string).
    static let maximumMessage = 65_536

    /// `String(v)` in JavaScript terms, at most `limit` UTF-16 units of it (the rest is never
    /// copied out of JavaScriptCore); nil if conversion threw.
    static func toString(_ ctx: JSContext, _ v: JSValue?, limit: Int) -> String? {
        guard let v else { return nil }
        var exc: JSValue?
        guard let s = JSValueToStringCopy(ctx, v, &exc) else { return nil }
        defer { JSStringRelease(s) }
        let length = JSStringGetLength(s)
        guard length > limit, let chars = JSStringGetCharactersPtr(s) else { return swiftString(s) }
        return String(decoding: UnsafeBufferPointer(start: chars, count: limit), as: UTF16.self) + "… [\(length - limit) more characters cut]"
    }

    /// A description of a thrown value: message, location and stack when it is an Error.
    static func describeException(_ ctx: JSContext, _ exc: JSValue) -> ThrownValue {
        let message: String
        var line: Int?
        var column: Int?
        var source: String?
        var stack: String?
        var name: String?
        if JSValueIsObject(ctx, exc) {
            if let m = property(ctx, exc, "message"), !JSValueIsUndefined(ctx, m) {
                message = toString(ctx, m, limit: maximumMessage) ?? "Error"
            } else {
                message = toString(ctx, exc, limit: maximumMessage) ?? "Error"
            }
            if let n = property(ctx, exc, "name"), JSValueIsString(ctx, n) { name = toString(ctx, n, limit: 256) }
            // Any object can be thrown or rejected with: `{line: NaN}` must not reach `Int(_:)`.
            line = integer(ctx, property(ctx, exc, "line"))
            column = integer(ctx, property(ctx, exc, "column"))
            if let s = property(ctx, exc, "sourceURL"), JSValueIsString(ctx, s) { source = toString(ctx, s, limit: 1024) }
            if let s = property(ctx, exc, "stack"), JSValueIsString(ctx, s) { stack = toString(ctx, s, limit: maximumMessage) }
        } else {
            message = toString(ctx, exc, limit: maximumMessage) ?? "undefined"
        }
        return ThrownValue(name: name, message: message, sourceURL: source, line: line, column: column, stack: stack)
    }
}

/// What a script threw, as plain Swift values.
public struct ThrownValue: Sendable, Equatable {
    public var name: String?
    public var message: String
    public var sourceURL: String?
    public var line: Int?
    public var column: Int?
    public var stack: String?
}

/// A JavaScript function object backed by a Swift closure (kept alive by the object's private
/// data and released by its finalizer).
final class NativeFunction {
    typealias Body = (JSContext, UnsafeBufferPointer<JSValue?>) throws -> JSValue?
    let body: Body
    init(_ body: @escaping Body) { self.body = body }

    nonisolated(unsafe) static let jsClass: OpaquePointer = {
        var def = kJSClassDefinitionEmpty
        def.className = UnsafeRawPointer(("NativeFunction" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
        def.callAsFunction = { ctx, function, _, argc, argv, exception in
            guard let ctx, let function, let priv = JSObjectGetPrivate(function) else { return nil }
            let native = Unmanaged<NativeFunction>.fromOpaque(priv).takeUnretainedValue()
            let args = UnsafeBufferPointer<JSValue?>(start: argv, count: argc)
            do {
                return try native.body(ctx, args) ?? JSValueMakeUndefined(ctx)
            } catch {
                if let thrown = error as? NativeThrowValue {
                    exception?.pointee = thrown.value
                } else {
                    exception?.pointee = JSC.makeError(ctx, (error as? NativeThrow)?.message ?? String(describing: error))
                }
                return nil
            }
        }
        def.finalize = { obj in
            if let obj, let priv = JSObjectGetPrivate(obj) {
                Unmanaged<NativeFunction>.fromOpaque(priv).release()
            }
        }
        return JSClassCreate(&def)
    }()

    static func make(_ ctx: JSContext, _ body: @escaping Body) -> JSValue {
        let box = Unmanaged.passRetained(NativeFunction(body)).toOpaque()
        return JSObjectMake(ctx, jsClass, box)
    }
}

struct NativeThrow: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Rethrows a JavaScript value (e.g. the SyntaxError of a nested evaluation) unchanged.
struct NativeThrowValue: Error, @unchecked Sendable {
    let value: JSValue
}
