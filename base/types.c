/*
 * types.c - SQL types: static singletons for the primitives (and every
 * valid DECIMAL(p, s)), arena-built composites, equality and the textual
 * form ksqlDB's SqlType.toString() gives.
 *
 * Invariant: a type is never modified after it is built, so singletons are
 * shared freely across threads and arenas.
 */
#include "eddy/types.h"

#include <string.h>

static const char *const kind_names[] = {
#define X(k, n) [k] = n,
    EDDY_TYPE_LIST(X)
#undef X
};

static const SqlType prim_types[] = {
#define X(k, n) [k] = {.kind = k},
    EDDY_TYPE_LIST(X)
#undef X
};

/* DECIMAL(p, s) for 0 <= p, s <= 18: indexable without an arena, so a
 * decimal Value can always name its type (value_prim_type).  Entries with
 * s > p or p == 0 are never handed out. */
#define D(p, s) {.kind = TYPE_DECIMAL, .precision = p, .scale = s}
#define DROW(p) {D(p, 0), D(p, 1), D(p, 2), D(p, 3), D(p, 4), D(p, 5), D(p, 6), D(p, 7), \
                 D(p, 8), D(p, 9), D(p, 10), D(p, 11), D(p, 12), D(p, 13), D(p, 14),   \
                 D(p, 15), D(p, 16), D(p, 17), D(p, 18)}
static const SqlType decimal_types[19][19] = {
    DROW(0), DROW(1), DROW(2), DROW(3), DROW(4), DROW(5), DROW(6), DROW(7), DROW(8), DROW(9),
    DROW(10), DROW(11), DROW(12), DROW(13), DROW(14), DROW(15), DROW(16), DROW(17), DROW(18),
};
#undef DROW
#undef D

const SqlType *type_prim(TypeKind k)
{
    switch (k) {
    case TYPE_NULL: case TYPE_BOOLEAN: case TYPE_INT: case TYPE_BIGINT: case TYPE_DOUBLE:
    case TYPE_STRING: case TYPE_BYTES: case TYPE_TIMESTAMP: case TYPE_DATE: case TYPE_TIME:
        return &prim_types[k];
    case TYPE_DECIMAL: case TYPE_ARRAY: case TYPE_MAP: case TYPE_STRUCT: case TYPE__COUNT:
        break;
    }
    EDDY_PANIC("type_prim(%s): not a primitive kind", type_kind_name(k));
}

const SqlType *type_decimal(Arena *a, int precision, int scale)
{
    if (precision >= 1 && precision <= 18 && scale >= 0 && scale <= precision)
        return &decimal_types[precision][scale];
    /* Out of range: still representable so the analyzer can report it. */
    SqlType *t = arena_alloc(a, sizeof *t);
    t->kind = TYPE_DECIMAL;
    t->precision = precision;
    t->scale = scale;
    return t;
}

const SqlType *type_array(Arena *a, const SqlType *elem)
{
    SqlType *t = arena_alloc(a, sizeof *t);
    t->kind = TYPE_ARRAY;
    t->elem = elem;
    return t;
}

const SqlType *type_map(Arena *a, const SqlType *key, const SqlType *val)
{
    SqlType *t = arena_alloc(a, sizeof *t);
    t->kind = TYPE_MAP;
    t->key = key;
    t->elem = val;
    return t;
}

const SqlType *type_struct(Arena *a, const SqlField *fields, int n)
{
    SqlType *t = arena_alloc(a, sizeof *t);
    t->kind = TYPE_STRUCT;
    t->nfields = n;
    if (n > 0) {
        SqlField *f = arena_alloc(a, sizeof *f * (size_t)n);
        memcpy(f, fields, sizeof *f * (size_t)n);
        t->fields = f;
    }
    return t;
}

/* True for the static singletons, which need no copying. */
static bool is_static(const SqlType *t)
{
    uintptr_t p = (uintptr_t)t, pb = (uintptr_t)prim_types, db = (uintptr_t)decimal_types;
    return (p >= pb && p < pb + sizeof prim_types) || (p >= db && p < db + sizeof decimal_types);
}

const SqlType *type_copy(Arena *a, const SqlType *t)
{
    if (t == NULL || is_static(t))
        return t;
    switch (t->kind) {
    case TYPE_DECIMAL:
        return type_decimal(a, t->precision, t->scale);
    case TYPE_ARRAY:
        return type_array(a, type_copy(a, t->elem));
    case TYPE_MAP:
        return type_map(a, type_copy(a, t->key), type_copy(a, t->elem));
    case TYPE_STRUCT: {
        SqlField *f = arena_alloc(a, sizeof *f * (size_t)(t->nfields > 0 ? t->nfields : 1));
        for (int i = 0; i < t->nfields; i++) {
            f[i].name = arena_strdup(a, t->fields[i].name);
            f[i].type = type_copy(a, t->fields[i].type);
        }
        SqlType *s = arena_alloc(a, sizeof *s);
        s->kind = TYPE_STRUCT;
        s->nfields = t->nfields;
        s->fields = f;
        return s;
    }
    default:
        return type_prim(t->kind);
    }
}

bool type_equal(const SqlType *a, const SqlType *b)
{
    if (a == b)
        return true;
    if (a == NULL || b == NULL || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case TYPE_DECIMAL:
        return a->precision == b->precision && a->scale == b->scale;
    case TYPE_ARRAY:
        return type_equal(a->elem, b->elem);
    case TYPE_MAP:
        return type_equal(a->key, b->key) && type_equal(a->elem, b->elem);
    case TYPE_STRUCT:
        if (a->nfields != b->nfields)
            return false;
        for (int i = 0; i < a->nfields; i++)
            if (strcmp(a->fields[i].name, b->fields[i].name) != 0
                || !type_equal(a->fields[i].type, b->fields[i].type))
                return false;
        return true;
    default:
        return true;
    }
}

bool type_is_numeric(const SqlType *t)
{
    return t && (t->kind == TYPE_INT || t->kind == TYPE_BIGINT || t->kind == TYPE_DOUBLE
                 || t->kind == TYPE_DECIMAL);
}

/* Position on the widening chain INT -> BIGINT -> DECIMAL -> DOUBLE. */
static int widen_rank(TypeKind k)
{
    switch (k) {
    case TYPE_INT: return 0;
    case TYPE_BIGINT: return 1;
    case TYPE_DECIMAL: return 2;
    case TYPE_DOUBLE: return 3;
    default: return -1;
    }
}

int type_widen_cost(TypeKind from, TypeKind to)
{
    if (from == to)
        return 0;
    int a = widen_rank(from), b = widen_rank(to);
    if (a < 0 || b < 0 || b < a)
        return -1;
    return b - a;
}

const char *type_kind_name(TypeKind k)
{
    if ((int)k < 0 || k >= TYPE__COUNT)
        return "?";
    return kind_names[k];
}

/* ksqlDB's SqlType.toString(): field names always back-quoted (its
 * FormatOptions.none()), "DECIMAL(4, 2)", "MAP<STRING, INTEGER>", and
 * "STRUCT< >" for a struct without fields. */
void type_format(const SqlType *t, StrBuf *out)
{
    if (t == NULL) {
        sb_puts(out, "NULL");
        return;
    }
    switch (t->kind) {
    case TYPE_DECIMAL:
        sb_printf(out, "DECIMAL(%d, %d)", t->precision, t->scale);
        return;
    case TYPE_ARRAY:
        sb_puts(out, "ARRAY<");
        type_format(t->elem, out);
        sb_putc(out, '>');
        return;
    case TYPE_MAP:
        sb_puts(out, "MAP<");
        type_format(t->key ? t->key : type_prim(TYPE_STRING), out);
        sb_puts(out, ", ");
        type_format(t->elem, out);
        sb_putc(out, '>');
        return;
    case TYPE_STRUCT:
        if (t->nfields == 0) {
            sb_puts(out, "STRUCT< >");
            return;
        }
        sb_puts(out, "STRUCT<");
        for (int i = 0; i < t->nfields; i++) {
            if (i)
                sb_puts(out, ", ");
            sb_putc(out, '`');
            sb_puts(out, t->fields[i].name);
            sb_puts(out, "` ");
            type_format(t->fields[i].type, out);
        }
        sb_putc(out, '>');
        return;
    default:
        sb_puts(out, type_kind_name(t->kind));
        return;
    }
}

char *type_to_string(Arena *a, const SqlType *t)
{
    StrBuf sb;
    sb_init(&sb);
    type_format(t, &sb);
    char *s = arena_strndup(a, sb.data ? sb.data : "", sb.len);
    sb_free(&sb);
    return s;
}
