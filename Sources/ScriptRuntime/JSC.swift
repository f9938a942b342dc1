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
                message = toString(ctx, m) ?? "Error"
            } else {
                message = toString(ctx, exc) ?? "Error"
            }
            if let n = property(ctx, exc, "name"), JSValueIsString(ctx, n) { name = toString(ctx, n) }
            if let l = property(ctx, exc, "line"), JSValueIsNumber(ctx, l) { line = Int(JSValueToNumber(ctx, l, nil)) }
            if let c = property(ctx, exc, "column"), JSValueIsNumber(ctx, c) { column = Int(JSValueToNumber(ctx, c, nil)) }
            if let s = property(ctx, exc, "sourceURL"), JSValueIsString(ctx, s) { source = toString(ctx, s) }
            if let s = property(ctx, exc, "stack"), JSValueIsString(ctx, s) { stack = toString(ctx, s) }
        } else {
            message = toString(ctx, exc) ?? "undefined"
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
