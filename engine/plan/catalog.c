/*
 * catalog.c - lookups in the catalog container (include/eddy/analyze.h):
 * sources and models by name, "did you mean" over them, properties with
 * defaults, a query's use of a model.
 * The engine (engine/sql/) fills the catalog; the analyzer reads it.
 */
#include "eddy/engine/analyze.h"

#include <string.h>

CatSource *catalog_find(const Catalog *c, const char *name)
{
    return strmap_get(c->sources, name);
}

/* The closest name of map m (live models only for the models map). */
static const char *suggest(const StrMap *m, bool models, const char *name)
{
    size_t it = 0;
    const char *k, *best = NULL;
    void *v;
    int bestd = 3;
    while (strmap_next(m, &it, &k, &v)) {
        if (models && ((const CatModel *)v)->dropped)
            continue;
        int d = str_edit_distance(name, k);
        if (d < bestd) {
            bestd = d;
            best = k;
        }
    }
    return best;
}

const char *catalog_suggest(const Catalog *c, const char *name)
{
    return suggest(c->sources, false, name);
}

CatModel *catalog_find_model(const Catalog *c, const char *name)
{
    CatModel *m = c->models ? strmap_get(c->models, name) : NULL;
    return m && !m->dropped ? m : NULL;
}

const char *catalog_suggest_model(const Catalog *c, const char *name)
{
    return c->models ? suggest(c->models, true, name) : NULL;
}

QueryModelUse *query_model_use(const Query *q, const CatModel *m)
{
    for (int i = 0; i < q->models.n; i++) {
        QueryModelUse *u = q->models.items[i];
        if (u->model == m)
            return u;
    }
    return NULL;
}

const char *catalog_prop(const Catalog *c, const char *name, const char *dflt)
{
    const char *v = strmap_get(c->props, name);
    return v ? v : dflt;
}

void query_capture_props(Catalog *c, Query *q)
{
    int n = strmap_count(c->props);
    q->prop_names = arena_alloc(c->arena, sizeof *q->prop_names * (size_t)(n + 1));
    q->prop_values = arena_alloc(c->arena, sizeof *q->prop_values * (size_t)(n + 1));
    size_t it = 0;
    const char *name;
    void *value;
    q->nprops = 0;
    while (q->nprops < n && strmap_next(c->props, &it, &name, &value)) {
        q->prop_names[q->nprops] = arena_strdup(c->arena, name);
        q->prop_values[q->nprops++] = value;   /* SET's values are arena strings */
    }
    q->props_captured = true;
}

const char *query_prop(const Catalog *c, const Query *q, const char *name, const char *dflt)
{
    if (q == NULL || !q->props_captured)
        return catalog_prop(c, name, dflt);
    for (int i = 0; i < q->nprops; i++)
        if (strcmp(q->prop_names[i], name) == 0)
            return q->prop_values[i];
    return dflt;
}
