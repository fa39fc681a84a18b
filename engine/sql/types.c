/*
 * types.c - custom type names: CREATE TYPE [IF NOT EXISTS] n AS type,
 * DROP TYPE [IF EXISTS] n, SHOW TYPES (ksqlDB's custom types).
 *
 * A name stands for its type where the parser meets it (engine_execute
 * hands engine_type_lookup to parse_script_types), so sources, casts and
 * nested types hold the type itself, as in ksqlDB: dropping or redefining
 * a name later changes nothing already declared.  The statements go to
 * the command log, so a restart defines the names again before the
 * statements that use them.
 */
#include "engine_int.h"
#include "table_fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const SqlType *engine_type_lookup(void *ud, const char *name)
{
    Engine *e = ud;
    return e->types ? strmap_get(e->types, name) : NULL;
}

/* Built-in type names, which a custom type may not take. */
static bool builtin_type_name(const char *name)
{
    static const char *const names[] = {"ARRAY", "BIGINT", "BOOLEAN", "BYTES", "DATE", "DECIMAL", "DOUBLE",
                                        "INT", "INTEGER", "MAP", "STRING", "STRUCT", "TIME", "TIMESTAMP",
                                        "VARCHAR"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (str_ieq(name, names[i]))
            return true;
    return false;
}

int exec_create_type(Engine *e, const AstStmt *s, EddyError *err)
{
    const AstName *name = &s->u.create_type.name;
    if (builtin_type_name(name->name))
        return eddy_error(err, ERR_ANALYSIS, name->pos,
                          "Cannot register custom type '%s': it is the name of a built-in type", name->name);
    const SqlType *old = strmap_get(e->types, name->name);
    if (old) {
        if (s->u.create_type.if_not_exists)
            return 0;
        Arena *a = arena_create(0);
        eddy_error(err, ERR_ANALYSIS, name->pos,
                   "Cannot register custom type '%s' since it is already registered with type: %s",
                   name->name, type_to_string(a, old));
        arena_destroy(a);
        return -1;
    }
    if (engine_persist(e, s->text, err) != 0)
        return -1;
    strmap_put(e->types, arena_strdup(e->cat.arena, name->name), (void *)type_copy(e->cat.arena, s->u.create_type.type));
    char buf[300];
    snprintf(buf, sizeof buf, "Type %s created.\n", name->name);
    engine_text(e, buf);
    return 0;
}

int exec_drop_type(Engine *e, const AstStmt *s, EddyError *err)
{
    const AstName *name = &s->u.drop.name;
    if (strmap_get(e->types, name->name) == NULL) {
        if (s->u.drop.if_exists)
            return 0;
        return eddy_error(err, ERR_ANALYSIS, name->pos, "Type %s does not exist.", name->name);
    }
    if (engine_persist(e, s->text, err) != 0)
        return -1;
    strmap_del(e->types, name->name);
    char buf[300];
    snprintf(buf, sizeof buf, "Type %s dropped.\n", name->name);
    engine_text(e, buf);
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void show_types(Engine *e)
{
    int n = strmap_count(e->types);
    const char **names = malloc(sizeof(char *) * (size_t)(n > 0 ? n : 1));
    size_t it = 0;
    const char *k;
    void *v;
    int i = 0;
    while (strmap_next(e->types, &it, &k, &v) && i < n)
        names[i++] = k;
    qsort(names, (size_t)i, sizeof *names, cmp_name);
    TextTable t;
    tfmt_init(&t, 2);
    tfmt_cell(&t, "Type Name");
    tfmt_cell(&t, "Schema");
    StrBuf sb;
    sb_init(&sb);
    for (int j = 0; j < i; j++) {
        sb.len = 0;
        type_format(strmap_get(e->types, names[j]), &sb);
        tfmt_cell(&t, names[j]);
        tfmt_cell(&t, sb.data ? sb.data : "");
    }
    sb_free(&sb);
    free(names);
    sb_init(&sb);
    tfmt_render(&t, &sb);
    engine_text(e, sb.data ? sb.data : "");
    sb_free(&sb);
    tfmt_free(&t);
}
