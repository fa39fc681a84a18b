/*
 * registry.h - private to the two function registries of engine/expr
 * (functions/functions.c: scalar; aggregates/aggregates.c: aggregate): the
 * text both write for signatures and rejected calls, so SHOW FUNCTIONS,
 * DESCRIBE FUNCTION and the analyzer's messages read alike for both.
 * Lookups by name are base's NameTable (nametab_find, nametab_closest).
 */
#ifndef EDDY_REGISTRY_H
#define EDDY_REGISTRY_H

#include "eddy/base.h"
#include "eddy/types.h"

/* Parameter i's name in a signature's ", "-separated name list ("str, pos,
 * len"): a pointer into names and its length, 0 when there is none. */
const char *reg_param_name(const char *names, int i, size_t *len);

/* Appends "function NAME does not accept (" the argument types ("*" for
 * COUNT(*); NULL for a NULL literal's NULL or TYPE_NULL type) "); it takes ";
 * the caller appends what the function does take. */
void reg_put_rejected(StrBuf *sb, const char *fname, const SqlType *const *args, int nargs, bool star);

#endif
