/*
 * catalog.c - lookups in the catalog container (include/eddy/analyze.h):
 * sources by name, "did you mean" over them, properties with defaults.
 * The engine (engine/sql/) fills the catalog; the analyzer reads it.
 */
#include "eddy/engine/analyze.h"

CatSource *catalog_find(const Catalog *c, const char *name)
{
    return strmap_get(c->sources, name);
}

const char *catalog_suggest(const Catalog *c, const char *name)
{
    size_t it = 0;
    const char *k, *best = NULL;
    int bestd = 3;
    while (strmap_next(c->sources, &it, &k, NULL)) {
        int d = str_edit_distance(name, k);
        if (d < bestd) {
            bestd = d;
            best = k;
        }
    }
    return best;
}

const char *catalog_prop(const Catalog *c, const char *name, const char *dflt)
{
    const char *v = strmap_get(c->props, name);
    return v ? v : dflt;
}
