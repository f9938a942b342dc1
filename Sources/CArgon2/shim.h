#ifndef AUTHSIM_CARGON2_SHIM_H
#define AUTHSIM_CARGON2_SHIM_H
#include <argon2.h>
#endif
