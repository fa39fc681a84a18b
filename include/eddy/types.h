/*
 * types.h - SQL types of the KSQL dialect.  Shared by the parser (type
 * names in DDL and CAST) and the engine.  Types are immutable once built:
 * primitive types are static singletons (type_prim), composite types are
 * allocated in an arena that outlives their users (statement or catalog).
 */
#ifndef EDDY_TYPES_H
#define EDDY_TYPES_H

#include "eddy/base.h"

/* X-macro: kind, SQL name. */
#define EDDY_TYPE_LIST(X) \
    X(TYPE_NULL,      "NULL")      /* type of the NULL literal only */ \
    X(TYPE_BOOLEAN,   "BOOLEAN")   \
    X(TYPE_INT,       "INTEGER")   \
    X(TYPE_BIGINT,    "BIGINT")    \
    X(TYPE_DOUBLE,    "DOUBLE")    \
    X(TYPE_DECIMAL,   "DECIMAL")   \
    X(TYPE_STRING,    "STRING")    \
    X(TYPE_BYTES,     "BYTES")     \
    X(TYPE_TIMESTAMP, "TIMESTAMP") \
    X(TYPE_DATE,      "DATE")      \
    X(TYPE_TIME,      "TIME")      \
    X(TYPE_ARRAY,     "ARRAY")     \
    X(TYPE_MAP,       "MAP")       \
    X(TYPE_STRUCT,    "STRUCT")

typedef enum TypeKind {
#define X(k, n) k,
    EDDY_TYPE_LIST(X)
#undef X
    TYPE__COUNT
} TypeKind;

typedef struct SqlType SqlType;

typedef struct SqlField {
    const char *name;          /* as declared (case kept if back-quoted, else upper) */
    const SqlType *type;
} SqlField;

struct SqlType {
    TypeKind kind;
    int precision, scale;      /* DECIMAL(precision, scale); precision <= 18 */
    const SqlType *elem;       /* ARRAY element type; MAP value type */
    const SqlType *key;        /* MAP key type (ksqlDB: always STRING) */
    int nfields;               /* STRUCT */
    const SqlField *fields;
};

const SqlType *type_prim(TypeKind k);                  /* non-composite kinds */
const SqlType *type_decimal(Arena *a, int precision, int scale);
const SqlType *type_array(Arena *a, const SqlType *elem);
const SqlType *type_map(Arena *a, const SqlType *key, const SqlType *val);
/* fields copied into the arena */
const SqlType *type_struct(Arena *a, const SqlField *fields, int n);
/* Deep copy into another arena (e.g. statement -> catalog). */
const SqlType *type_copy(Arena *a, const SqlType *t);

bool type_equal(const SqlType *a, const SqlType *b);
bool type_is_numeric(const SqlType *t);                /* INT, BIGINT, DOUBLE, DECIMAL */
/* Implicit widening, as ksqlDB resolves function calls: INT -> BIGINT ->
 * DECIMAL -> DOUBLE.  The number of steps from `from` to `to` (0 for the
 * same kind), or -1 if `from` does not widen to `to`. */
int type_widen_cost(TypeKind from, TypeKind to);
const char *type_kind_name(TypeKind k);
/* "ARRAY<STRING>", "STRUCT<`A` INTEGER, ...>", "DECIMAL(4, 2)" */
void type_format(const SqlType *t, StrBuf *out);
char *type_to_string(Arena *a, const SqlType *t);

#endif
