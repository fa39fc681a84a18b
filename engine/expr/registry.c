/*
 * registry.c - the text the scalar and aggregate registries share
 * (registry.h): parameter names of a signature, and the head of the
 * "does not accept" message.
 */
#include "registry.h"

#include <string.h>

const char *reg_param_name(const char *names, int i, size_t *len)
{
    for (int k = 0; k < i && names; k++) {
        names = strchr(names, ',');
        names = names ? names + 2 : NULL;   /* past ", " */
    }
    *len = names ? strcspn(names, ",") : 0;
    return names ? names : "";
}

void reg_put_rejected(StrBuf *sb, const char *fname, const SqlType *const *args, int nargs, bool star)
{
    sb_printf(sb, "function %s does not accept (", fname);
    if (star)
        sb_putc(sb, '*');
    for (int i = 0; i < nargs; i++) {
        if (i)
            sb_puts(sb, ", ");
        if (args[i] == NULL || args[i]->kind == TYPE_NULL)
            sb_puts(sb, "NULL");
        else
            type_format(args[i], sb);
    }
    sb_puts(sb, "); it takes ");
}
