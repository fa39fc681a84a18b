/*
 * nametab.c - lookups in static tables sorted by name (NameTable, base.h):
 * a binary search, and the nearest name for "did you mean" hints.
 *
 * In:  a NameTable over an array the caller keeps sorted in ASCII
 *      case-insensitive order (the function and aggregate registries'
 *      X-macro lists are alphabetical; their unit tests check the order).
 * Out: an index, or a name borrowed from the table.
 */
#include "eddy/base.h"

#include <string.h>

/* ASCII case-insensitive order, as strcasecmp in the C locale: letters
 * compare as lower case, so '_' (0x5F) sorts before them. */
static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y || x == 0)
            return x - y;
    }
}

const char *nametab_name(const NameTable *t, size_t i)
{
    const char *entry = (const char *)t->entries + i * t->stride;
    const char *name;
    memcpy(&name, entry + t->name_off, sizeof name);
    return name;
}

int nametab_find(const NameTable *t, const char *name)
{
    if (name == NULL)
        return -1;
    size_t lo = 0, hi = t->n;   /* the answer, if any, is in [lo, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ascii_casecmp(name, nametab_name(t, mid));
        if (c == 0)
            return (int)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

const char *nametab_closest(const NameTable *t, const char *name, int max_edits)
{
    const char *best = NULL;
    int bestd = max_edits + 1;
    for (size_t i = 0; i < t->n && bestd > 0; i++) {
        const char *cand = nametab_name(t, i);
        int d = str_edit_distance(name ? name : "", cand);
        if (d < bestd) {
            bestd = d;
            best = cand;
        }
    }
    return best;
}
