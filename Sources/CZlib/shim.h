#ifndef AUTHSIM_CZLIB_SHIM_H
#define AUTHSIM_CZLIB_SHIM_H
#include <zlib.h>
// deflateInit2/inflateInit2 are macros over the *_ functions; Swift sees these instead.
static inline int authsim_deflateInit2(z_streamp s, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(s, level, Z_DEFLATED, windowBits, memLevel, strategy);
}
static inline int authsim_inflateInit2(z_streamp s, int windowBits) {
    return inflateInit2(s, windowBits);
}
#endif
