#ifndef AUTHSIM_CJAVASCRIPTCORE_SHIM_H
#define AUTHSIM_CJAVASCRIPTCORE_SHIM_H

#include <JavaScriptCore/JavaScript.h>
#include <malloc.h>  // malloc_trim: the runtime returns free allocator pages when idle
#include <stdbool.h>
#include <glib.h>  // GVariant and a main context for the remote inspector (debug mode)

// Exported by libjavascriptcoregtk-4.1 but absent from its public headers
// (they live in JSContextRefPrivate.h / JSContextRefInternal.h upstream).

/// Called periodically once an execution time limit is set; return true to terminate.
typedef bool (*JSShouldTerminateCallback)(JSContextRef ctx, void *context);

/// Sets a CPU-time limit (seconds) for scripts of a context group. The limit restarts at each
/// entry into the VM; the callback must call this again to re-arm when it returns false.
JS_EXPORT void JSContextGroupSetExecutionTimeLimit(JSContextGroupRef group, double limit,
                                                   JSShouldTerminateCallback callback,
                                                   void *context);
JS_EXPORT void JSContextGroupClearExecutionTimeLimit(JSContextGroupRef group);

/// Sets a function called with (promise, reason) for each unhandled promise rejection.
JS_EXPORT void JSGlobalContextSetUnhandledRejectionCallback(JSGlobalContextRef ctx,
                                                            JSObjectRef function,
                                                            JSValueRef *exception);

/// Turns eval / new Function off (they throw EvalError with `message`).
JS_EXPORT void JSGlobalContextSetEvalEnabled(JSGlobalContextRef ctx, bool enabled,
                                             JSStringRef message);

/// Returns an object whose `heapSize` property is the heap size in bytes.
JS_EXPORT JSObjectRef JSGetMemoryUsageStatistics(JSContextRef ctx);

/// A full collection of the context's VM, now (JSGarbageCollect only hints that one is due: it
/// happens at the next allocation, which an idle worker never makes).
JS_EXPORT void JSSynchronousGarbageCollectForDebugging(JSContextRef ctx);

#endif
