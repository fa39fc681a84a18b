/*
 * value.h - runtime values, rows and schemas.
 *
 * A Value is a tagged union; kind TYPE_NULL is SQL NULL whatever the
 * column's type.  Strings and bytes point into an arena (the batch arena
 * on the hot path) and are NUL-terminated (len excludes the NUL).
 * Encodings: TIMESTAMP = ms since epoch UTC, DATE = days since epoch,
 * TIME = ms since midnight, DECIMAL = unscaled int64 + scale
 * (precision <= 18), as ksqlDB's JSON serde writes them.
 *
 * Ownership: a Value is a plain struct copied by assignment; its strings
 * and items are not owned by it but by the arena they were built in (or
 * by whatever a borrowing value points at).  A copy made with `=` borrows
 * the same memory; value_copy makes one that owns nothing of the
 * original's.  Functions that build values take the arena to build in.
 * engine/values/ implements this header: value.c, value_cast.c,
 * value_text.c.
 */
#ifndef EDDY_VALUE_H
#define EDDY_VALUE_H

#include "eddy/base.h"
#include "eddy/types.h"

typedef struct Value Value;

struct Value {
    TypeKind kind;                  /* TYPE_NULL = SQL NULL */
    union {
        bool b;
        int32_t i32;                /* INT, DATE, TIME */
        int64_t i64;                /* BIGINT, TIMESTAMP */
        double d;                   /* DOUBLE */
        struct { int64_t unscaled; int32_t precision, scale; } dec;
        struct { const char *ptr; int32_t len; } str;   /* STRING, BYTES */
        struct { Value *items; int32_t n; } arr;        /* ARRAY */
        struct { Value *keys, *vals; int32_t n; } map;  /* MAP */
        struct { Value *fields; int32_t n; } st;        /* STRUCT: in type field order */
    } u;
};

/* Constructors (no allocation unless noted). */
static inline Value v_null(void) { Value v; v.kind = TYPE_NULL; v.u.i64 = 0; return v; }
static inline Value v_bool(bool b) { Value v; v.kind = TYPE_BOOLEAN; v.u.i64 = 0; v.u.b = b; return v; }
static inline Value v_int(int32_t i) { Value v; v.kind = TYPE_INT; v.u.i64 = 0; v.u.i32 = i; return v; }
static inline Value v_bigint(int64_t i) { Value v; v.kind = TYPE_BIGINT; v.u.i64 = i; return v; }
static inline Value v_double(double d) { Value v; v.kind = TYPE_DOUBLE; v.u.d = d; return v; }
static inline Value v_timestamp(int64_t ms) { Value v; v.kind = TYPE_TIMESTAMP; v.u.i64 = ms; return v; }
static inline Value v_date(int32_t days) { Value v; v.kind = TYPE_DATE; v.u.i64 = 0; v.u.i32 = days; return v; }
static inline Value v_time(int32_t ms) { Value v; v.kind = TYPE_TIME; v.u.i64 = 0; v.u.i32 = ms; return v; }
static inline bool v_is_null(const Value *v) { return v->kind == TYPE_NULL; }
/* String value borrowing s (must be NUL-terminated and outlive the value). */
Value v_string_borrow(const char *s, int32_t len);
/* String value copied into the arena. */
Value v_string(Arena *a, const char *s, int32_t len);
Value v_string_cstr(Arena *a, const char *s);
Value v_bytes(Arena *a, const void *p, int32_t len);
Value v_decimal(int64_t unscaled, int precision, int scale);

/* Deep copy (strings, arrays, maps, structs) into arena a: the result
 * borrows nothing from v, and lives as long as a. */
Value value_copy(Arena *a, const Value *v);

/* SQL comparison of two non-null values of comparable types (numeric kinds
 * compare across INT/BIGINT/DOUBLE/DECIMAL; strings bytewise).  Returns
 * <0, 0, >0; sets *ok=false if the kinds are not comparable. */
int value_compare(const Value *a, const Value *b, bool *ok);
/* Equality for grouping/DISTINCT/IS DISTINCT FROM: NULL equals NULL here. */
bool value_equal(const Value *a, const Value *b);
uint64_t value_hash(const Value *v);

/* CAST v to type `to`, following ksqlDB's rules (string<->number parse,
 * number truncation, timestamp<->string ISO,...).  NULL stays NULL.  New
 * strings and composites are allocated in arena a; *out may also borrow
 * from v (a STRING cast to STRING is v itself).  Returns -1 with err on a
 * failed conversion (e.g. CAST('abc' AS INT)); callers in the evaluator
 * turn that into NULL + a logged warning, as ksqlDB does. */
int value_cast(const Value *v, const SqlType *to, Arena *a, Value *out, EddyError *err);

/* Appends the text form to out, as ksqlDB prints values in the CLI and
 * CAST(x AS STRING): strings raw, DOUBLE like Java's Double.toString (1.0,
 * 1.0E10), DECIMAL with its scale, TIMESTAMP as 'yyyy-MM-ddTHH:mm:ss.SSS',
 * DATE 'yyyy-MM-dd', TIME 'HH:mm:ss', ARRAY [a, b], MAP {k=v}, STRUCT
 * {F=v}, BYTES base64, NULL as "null". */
void value_format(const Value *v, StrBuf *out);

/* The natural type of a literal-like value (for values built without a
 * schema); composite kinds return NULL. */
const SqlType *value_prim_type(const Value *v);

/* ---- casts and text forms used by the serdes and the functions ---------- */

/* value_cast when the source type is known: STRUCT -> STRUCT then matches
 * fields by name (case-sensitive, as ksqlDB's CAST does; target fields
 * missing from the source become NULL) and STRUCT -> STRING prints the
 * field names.  from may be NULL (then value_cast's behaviour: struct
 * fields are matched by position). */
int value_cast_from(const Value *v, const SqlType *from, const SqlType *to, Arena *a,
                    Value *out, EddyError *err);
/* value_format with the value's type, so STRUCT prints {NAME=v, ...};
 * type may be NULL (struct fields then print without names). */
void value_format_typed(const Value *v, const SqlType *type, StrBuf *out);
/* Java's Double.toString: shortest round-trip digits, "1.0", "0.001",
 * "1.0E7", "1.234E-5", "-0.0", "NaN", "Infinity". */
void value_format_double(double d, StrBuf *out);
/* BigDecimal.toPlainString of unscaled * 10^-scale: "12.30", "-0.05". */
void value_format_decimal(int64_t unscaled, int scale, StrBuf *out);

/* Parses BigDecimal syntax (s[0..n), no surrounding blanks: "-1.50",
 * ".5", "1E+3") into DECIMAL(precision, scale).  half_up=false is the
 * serde rule (ksqlDB's DecimalUtil.ensureFit: fail rather than round);
 * true is CAST's (round half up).  Either way |value| must be below
 * 10^(precision - scale). */
typedef enum DecParseResult {
    DEC_OK = 0,
    DEC_ERR_SYNTAX = -1,      /* not a number */
    DEC_ERR_OVERFLOW = -2,    /* too many integer digits for the type */
    DEC_ERR_ROUNDING = -3     /* more fraction digits than the scale (half_up=false) */
} DecParseResult;
int value_parse_decimal(const char *s, size_t n, int precision, int scale, bool half_up,
                        int64_t *unscaled);

/* Long.parseLong on s[0..n) (no blanks): optional sign, then digits.  True
 * with *out if it parses and lies in [lo, hi] (Integer.parseInt with the
 * INT range). */
bool value_parse_long(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out);
/* Appends v in decimal ("-42"), without printf: the encoders' hot path. */
void value_format_long(int64_t v, StrBuf *out);

/* Standard base64 with padding (java.util.Base64), as ksqlDB writes BYTES. */
void value_base64_encode(const void *p, size_t n, StrBuf *out);
/* Decodes s[0..n) (padding optional) into a BYTES value in arena a;
 * -1 if s is not base64. */
int value_base64_decode(const char *s, size_t n, Arena *a, Value *out);

/* ---- schemas and rows -------------------------------------------------- */

typedef enum ColumnRole { COL_KEY, COL_VALUE } ColumnRole;

typedef struct Column {
    const char *name;
    const SqlType *type;
    ColumnRole role;
} Column;

/* Key columns first, then value columns, in declaration order. */
typedef struct Schema {
    int ncols;
    Column *cols;
    int nkeys;                 /* cols[0..nkeys) are key columns */
} Schema;

Schema *schema_create(Arena *a, int ncols);
int schema_find(const Schema *s, const char *name);   /* exact match; -1 if none */
int schema_find_ci(const Schema *s, const char *name); /* case-insensitive */
Schema *schema_copy(Arena *a, const Schema *s);

/* One record inside a query.  cols[] follows the schema of the operator
 * that produced it.  Pseudo-columns travel beside the columns. */
typedef struct Row {
    Value *cols;
    int ncols;
    int64_t rowtime;           /* event time, ms */
    int32_t partition;         /* ROWPARTITION of the source record */
    int64_t offset;            /* ROWOFFSET */
    int64_t window_start;      /* windowed rows; -1 otherwise */
    int64_t window_end;
    bool tombstone;            /* table changelog: the row was deleted */
    /* Table changelog: the previous version of this key's row as it reached
     * this operator (NULL: none, or it did not pass upstream filters).  A
     * filter or HAVING turns "matched before, not now" into a tombstone and
     * an aggregation over a table retracts it. */
    const struct Row *prior;
} Row;

#endif
