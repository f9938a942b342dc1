#ifndef AUTHSIM_CCRYPT_SHIM_H
#define AUTHSIM_CCRYPT_SHIM_H
#include <crypt.h>
#endif
