/*
 * functions.c - the builtin scalar function registry: one table of
 * functions and their overloads, overload resolution for the analyzer,
 * and the introspection SHOW FUNCTIONS / DESCRIBE FUNCTION read.
 *
 * In:  a function name and its argument types (func_resolve); a name
 *      (func_exists, func_is_aggregate, func_info).
 * Out: a ResolvedCall (the C function, the type each argument is cast to,
 *      the result type) or a positioned-later ERR_ANALYSIS message.
 *
 * The table (EDDY_FUNCTION_LIST below, alphabetical) lists each function
 * with its category, a description and its overloads.  An overload gives
 * parameter types, a return type or a rule for it, flags (NULL in -> NULL
 * out; variadic last parameter; generic T must be a primitive type), and
 * the C implementation (FUNC_IMPLS in func_int.h), which lives in
 * func_string.c, func_regex.c, func_math.c, func_datetime.c, func_json.c
 * or func_collection.c.
 *
 * Resolution: an argument matches a parameter of the same type, or one it
 * widens to implicitly (INT -> BIGINT -> DECIMAL -> DOUBLE, one point of
 * cost per step); a NULL literal matches anything.  Generic parameters
 * (T, ARRAY<T>, MAP<STRING, T>) bind T: element types of array/map
 * arguments bind it exactly; plain T arguments share their common type
 * (numbers widen to the widest).  A T bound by nothing but NULLs is
 * STRING.  The overload with the least total cost wins; ties go to the
 * one listed first.
 *
 * TIMESTAMPADD(SECONDS, 5, ts) and its kin take a bare time-unit keyword,
 * which the analyzer hands over as a STRING argument ('SECONDS').
 *
 * Listed but not resolved here: the table functions (EXPLODE,
 * CUBE_EXPLODE: a FLATMAP plan node) and the lambda functions (TRANSFORM,
 * FILTER, REDUCE: typed by plan/bind_lambda.c, run by expr_lambda.c).
 * TO_JSON_STRING reads its argument's type (for
 * struct field names) from FuncCtx.types.
 */
#include "eddy/engine/aggregates.h"
#include "../registry.h"
#include "func_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- overload descriptions --------------------------------------------- */

/* Parameter kinds: a TypeKind, or a generic. */
enum {
    K_BOOL = TYPE_BOOLEAN, K_INT = TYPE_INT, K_BIGINT = TYPE_BIGINT, K_DOUBLE = TYPE_DOUBLE,
    K_DECIMAL = TYPE_DECIMAL, K_STRING = TYPE_STRING, K_BYTES = TYPE_BYTES,
    K_TS = TYPE_TIMESTAMP, K_DATE = TYPE_DATE, K_TIME = TYPE_TIME,
    K_T = 100,          /* generic T */
    K_ARRAY_T,          /* ARRAY<T> */
    K_MAP_T,            /* MAP<STRING, T> */
    K_ARRAY_STRING,     /* ARRAY<STRING> */
    /* Only in the signatures of the lambda functions (TRANSFORM, FILTER,
     * REDUCE), which binding types itself (bind_lambda.c): never resolved. */
    K_S,                /* S, a REDUCE state */
    K_MAP_KV,           /* MAP<K, V> */
    K_ARRAY_R,          /* ARRAY<R> */
    K_MAP_RW,           /* MAP<R, W> */
    K_FN_T_R,           /* (T) => R */
    K_FN_T_BOOL,        /* (T) => BOOLEAN */
    K_FN_KV_R,          /* (K, V) => R */
    K_FN_KV_W,          /* (K, V) => W */
    K_FN_KV_BOOL,       /* (K, V) => BOOLEAN */
    K_FN_ST_S,          /* (S, T) => S */
    K_FN_SKV_S,         /* (S, K, V) => S */
};

typedef enum RetRule {
    RET_FIXED,          /* ret_kind */
    RET_T,              /* T */
    RET_ARRAY_OF,       /* ARRAY<ret_kind> */
    RET_ARRAY_T,        /* ARRAY<T> */
    RET_MAP_OF,         /* MAP<STRING, ret_kind> */
    RET_MAP_T,          /* MAP<STRING, T> */
    RET_ARG0,           /* the first parameter's type (DECIMAL keeps precision/scale) */
    RET_DECIMAL_WHOLE,  /* DECIMAL(p - s, 0) of the first parameter */
    RET_ENTRIES,        /* ARRAY<STRUCT<K STRING, V T>> */
    RET_SPEC,           /* the parameter kind ret_kind, as displayed (lambda functions) */
} RetRule;

#define R(k) RET_FIXED, k
#define R_T RET_T, 0
#define R_ARRAY(k) RET_ARRAY_OF, k
#define R_ARRAY_T RET_ARRAY_T, 0
#define R_MAP(k) RET_MAP_OF, k
#define R_MAP_T RET_MAP_T, 0
#define R_ARG0 RET_ARG0, 0
#define R_DEC_WHOLE RET_DECIMAL_WHOLE, 0
#define R_ENTRIES RET_ENTRIES, 0
#define R_SPEC(k) RET_SPEC, k

enum {
    F_NULL = 1,         /* any NULL argument -> NULL result (the evaluator may skip the call) */
    F_VAR = 2,          /* the last parameter repeats (zero or more times) */
    F_PRIM = 4,         /* T must be a primitive (non-composite) type */
    F_NONDET = 8,       /* not deterministic (RANDOM, UUID, now) */
    F_BOUND_T = 16,     /* T must be bound by a non-NULL argument (ksqlDB rejects GREATEST(NULL, NULL)) */
};

#define FUNC_MAX_PARAMS 6

typedef struct Overload {
    ScalarFn fn;
    uint8_t flags;
    uint8_t ret_rule, ret_kind;
    uint8_t nparams;
    uint8_t params[FUNC_MAX_PARAMS];
    const char *names;          /* parameter names, ", "-separated */
} Overload;

#define OV(fn_, flags_, ret_, names_, ...) \
    {fn_, flags_, ret_, (uint8_t)sizeof((uint8_t[]){__VA_ARGS__}), {__VA_ARGS__}, names_}
#define OV0(fn_, flags_, ret_) {fn_, flags_, ret_, 0, {0}, ""}

#define CAT_STRING "STRING"
#define CAT_MATH "MATHEMATICAL"
#define CAT_DATETIME "DATE / TIME"
#define CAT_REGEX "REGULAR EXPRESSION"
#define CAT_JSON "JSON"
#define CAT_ARRAY "ARRAY"
#define CAT_MAP "MAP"
#define CAT_NULL "CONDITIONAL"
#define CAT_CONV "CONVERSIONS"
#define CAT_GEO "OTHER"
#define CAT_URL "URL"
#define CAT_TABLE "TABLE"
#define CAT_LAMBDA "LAMBDA"

/* ---- overloads, by function ----------------------------------------------- */

static const Overload ov_ABS[] = {
    OV(fn_abs, F_NULL, R(K_INT), "x", K_INT),
    OV(fn_abs, F_NULL, R(K_BIGINT), "x", K_BIGINT),
    OV(fn_abs, F_NULL, R(K_DOUBLE), "x", K_DOUBLE),
    OV(fn_abs, F_NULL, R_ARG0, "x", K_DECIMAL),
};
static const Overload ov_ACOS[] = {OV(fn_acos, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_ARRAY_CONCAT[] = {
    OV(fn_array_concat, 0, R_ARRAY_T, "array1, array2", K_ARRAY_T, K_ARRAY_T),
};
static const Overload ov_AS_VALUE[] = {OV(fn_as_value, 0, R_T, "key_column", K_T)};
static const Overload ov_ARRAY_CONTAINS[] = {
    OV(fn_array_contains, 0, R(K_BOOL), "array, value", K_ARRAY_T, K_T),
};
static const Overload ov_ARRAY_DISTINCT[] = {OV(fn_array_distinct, F_NULL, R_ARRAY_T, "array", K_ARRAY_T)};
static const Overload ov_ARRAY_EXCEPT[] = {
    OV(fn_array_except, F_NULL, R_ARRAY_T, "array1, array2", K_ARRAY_T, K_ARRAY_T),
};
static const Overload ov_ARRAY_INTERSECT[] = {
    OV(fn_array_intersect, F_NULL, R_ARRAY_T, "array1, array2", K_ARRAY_T, K_ARRAY_T),
};
static const Overload ov_ARRAY_JOIN[] = {
    OV(fn_array_join, F_PRIM, R(K_STRING), "array", K_ARRAY_T),
    OV(fn_array_join, F_PRIM, R(K_STRING), "array, delimiter", K_ARRAY_T, K_STRING),
};
static const Overload ov_ARRAY_LENGTH[] = {OV(fn_array_length, F_NULL, R(K_INT), "array", K_ARRAY_T)};
static const Overload ov_ARRAY_MAX[] = {OV(fn_array_max, F_NULL | F_PRIM, R_T, "array", K_ARRAY_T)};
static const Overload ov_ARRAY_MIN[] = {OV(fn_array_min, F_NULL | F_PRIM, R_T, "array", K_ARRAY_T)};
static const Overload ov_ARRAY_REMOVE[] = {
    OV(fn_array_remove, 0, R_ARRAY_T, "array, element", K_ARRAY_T, K_T),
};
static const Overload ov_ARRAY_SORT[] = {
    OV(fn_array_sort, F_NULL | F_PRIM, R_ARRAY_T, "array", K_ARRAY_T),
    OV(fn_array_sort, F_NULL | F_PRIM, R_ARRAY_T, "array, direction", K_ARRAY_T, K_STRING),
};
static const Overload ov_ARRAY_UNION[] = {
    OV(fn_array_union, F_NULL, R_ARRAY_T, "array1, array2", K_ARRAY_T, K_ARRAY_T),
};
static const Overload ov_AS_MAP[] = {
    OV(fn_as_map, F_NULL, R_MAP_T, "keys, values", K_ARRAY_STRING, K_ARRAY_T),
};
static const Overload ov_ASIN[] = {OV(fn_asin, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_ATAN[] = {OV(fn_atan, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_ATAN2[] = {OV(fn_atan2, F_NULL, R(K_DOUBLE), "y, x", K_DOUBLE, K_DOUBLE)};
static const Overload ov_BIGINT_FROM_BYTES[] = {
    OV(fn_bigint_from_bytes, F_NULL, R(K_BIGINT), "bytes", K_BYTES),
    OV(fn_bigint_from_bytes, F_NULL, R(K_BIGINT), "bytes, byte_order", K_BYTES, K_STRING),
};
static const Overload ov_CBRT[] = {OV(fn_cbrt, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_CEIL[] = {
    OV(fn_ceil, F_NULL, R(K_INT), "x", K_INT),
    OV(fn_ceil, F_NULL, R(K_BIGINT), "x", K_BIGINT),
    OV(fn_ceil, F_NULL, R(K_DOUBLE), "x", K_DOUBLE),
    OV(fn_ceil, F_NULL, R_ARG0, "x", K_DECIMAL),
};
static const Overload ov_CHR[] = {
    OV(fn_chr_int, F_NULL, R(K_STRING), "code_point", K_INT),
    OV(fn_chr_string, F_NULL, R(K_STRING), "utf16_escape", K_STRING),
};
static const Overload ov_COALESCE[] = {OV(fn_coalesce, F_VAR, R_T, "first, others", K_T, K_T)};
static const Overload ov_CONCAT[] = {
    OV(fn_concat, F_VAR, R(K_STRING), "strings", K_STRING),
    OV(fn_concat_bytes, F_VAR, R(K_BYTES), "bytes", K_BYTES),
};
static const Overload ov_CONCAT_WS[] = {
    OV(fn_concat_ws, F_VAR, R(K_STRING), "separator, strings", K_STRING, K_STRING),
    OV(fn_concat_ws, F_VAR, R(K_BYTES), "separator, bytes", K_BYTES, K_BYTES),
};
/* Table functions: typed and listed here, but never called per value: the
 * planner turns each call into a column of a FLATMAP node (op_flatmap.c)
 * that emits one row per element. */
/* Lambda functions: listed here for SHOW FUNCTIONS / DESCRIBE FUNCTION;
 * binding types and builds their calls itself (plan/bind_lambda.c) and the
 * evaluator runs them (expr_lambda.c). */
static const Overload ov_FILTER[] = {
    OV(fn_not_scalar, 0, R_ARRAY_T, "array, function", K_ARRAY_T, K_FN_T_BOOL),
    OV(fn_not_scalar, 0, R_SPEC(K_MAP_KV), "map, function", K_MAP_KV, K_FN_KV_BOOL),
};
static const Overload ov_REDUCE[] = {
    OV(fn_not_scalar, 0, R_SPEC(K_S), "array, initial_state, function", K_ARRAY_T, K_S, K_FN_ST_S),
    OV(fn_not_scalar, 0, R_SPEC(K_S), "map, initial_state, function", K_MAP_KV, K_S, K_FN_SKV_S),
};
static const Overload ov_TRANSFORM[] = {
    OV(fn_not_scalar, 0, R_SPEC(K_ARRAY_R), "array, function", K_ARRAY_T, K_FN_T_R),
    OV(fn_not_scalar, 0, R_SPEC(K_MAP_RW), "map, key_function, value_function", K_MAP_KV, K_FN_KV_R,
       K_FN_KV_W),
};
static const Overload ov_CUBE_EXPLODE[] = {OV(fn_not_scalar, 0, R_ARRAY_T, "array", K_ARRAY_T)};
static const Overload ov_EXPLODE[] = {OV(fn_not_scalar, 0, R_T, "array", K_ARRAY_T)};
static const Overload ov_CONVERT_TZ[] = {
    OV(fn_convert_tz, F_NULL, R(K_TS), "ts, from_tz, to_tz", K_TS, K_STRING, K_STRING),
    OV(fn_convert_tz, F_NULL, R(K_TIME), "time, from_tz, to_tz", K_TIME, K_STRING, K_STRING),
};
static const Overload ov_COS[] = {OV(fn_cos, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_COSH[] = {OV(fn_cosh, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_COT[] = {OV(fn_cot, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
/* DATEADD(DAYS, n, date) and friends: the unit is a bare keyword, which
 * the analyzer hands over as a STRING ('DAYS'); SUB negates n. */
static const Overload ov_DATEADD[] = {OV(fn_dateadd, F_NULL, R(K_DATE), "unit, interval, date", K_STRING, K_INT, K_DATE)};
static const Overload ov_DATESUB[] = {OV(fn_datesub, F_NULL, R(K_DATE), "unit, interval, date", K_STRING, K_INT, K_DATE)};
static const Overload ov_TIMEADD[] = {OV(fn_timeadd, F_NULL, R(K_TIME), "unit, interval, time", K_STRING, K_INT, K_TIME)};
static const Overload ov_TIMESUB[] = {OV(fn_timesub, F_NULL, R(K_TIME), "unit, interval, time", K_STRING, K_INT, K_TIME)};
static const Overload ov_TIMESTAMPADD[] = {OV(fn_timestampadd, F_NULL, R(K_TS), "unit, interval, timestamp", K_STRING, K_BIGINT, K_TS)};
static const Overload ov_TIMESTAMPSUB[] = {OV(fn_timestampsub, F_NULL, R(K_TS), "unit, interval, timestamp", K_STRING, K_BIGINT, K_TS)};
static const Overload ov_DATETOSTRING[] = {
    OV(fn_datetostring, F_NULL, R(K_STRING), "days, pattern", K_INT, K_STRING),
};
static const Overload ov_DEGREES[] = {OV(fn_degrees, F_NULL, R(K_DOUBLE), "radians", K_DOUBLE)};
static const Overload ov_DOUBLE_FROM_BYTES[] = {
    OV(fn_double_from_bytes, F_NULL, R(K_DOUBLE), "bytes", K_BYTES),
    OV(fn_double_from_bytes, F_NULL, R(K_DOUBLE), "bytes, byte_order", K_BYTES, K_STRING),
};
static const Overload ov_ELT[] = {OV(fn_elt, F_VAR, R(K_STRING), "n, strings", K_INT, K_STRING)};
static const Overload ov_ENCODE[] = {
    OV(fn_encode, F_NULL, R(K_STRING), "str, input_encoding, output_encoding", K_STRING, K_STRING, K_STRING),
};
static const Overload ov_ENTRIES[] = {OV(fn_entries, F_NULL, R_ENTRIES, "map, sorted", K_MAP_T, K_BOOL)};
static const Overload ov_EXP[] = {OV(fn_exp, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_EXTRACTJSONFIELD[] = {
    OV(fn_extractjsonfield, F_NULL, R(K_STRING), "json, path", K_STRING, K_STRING),
};
static const Overload ov_FIELD[] = {OV(fn_field, F_VAR, R(K_INT), "str, strings", K_STRING, K_STRING)};
static const Overload ov_FLOOR[] = {
    OV(fn_floor, F_NULL, R(K_INT), "x", K_INT),
    OV(fn_floor, F_NULL, R(K_BIGINT), "x", K_BIGINT),
    OV(fn_floor, F_NULL, R(K_DOUBLE), "x", K_DOUBLE),
    OV(fn_floor, F_NULL, R_ARG0, "x", K_DECIMAL),
};
static const Overload ov_FORMAT_DATE[] = {
    OV(fn_format_date, F_NULL, R(K_STRING), "date, pattern", K_DATE, K_STRING),
};
static const Overload ov_FORMAT_TIME[] = {
    OV(fn_format_time, F_NULL, R(K_STRING), "time, pattern", K_TIME, K_STRING),
};
static const Overload ov_FORMAT_TIMESTAMP[] = {
    OV(fn_format_timestamp, F_NULL, R(K_STRING), "ts, pattern", K_TS, K_STRING),
    OV(fn_format_timestamp, F_NULL, R(K_STRING), "ts, pattern, tz", K_TS, K_STRING, K_STRING),
};
static const Overload ov_FROM_BYTES[] = {
    OV(fn_from_bytes, F_NULL, R(K_STRING), "bytes, encoding", K_BYTES, K_STRING),
};
static const Overload ov_FROM_DAYS[] = {OV(fn_from_days, F_NULL, R(K_DATE), "days", K_INT)};
static const Overload ov_FROM_UNIXTIME[] = {OV(fn_from_unixtime, F_NULL, R(K_TS), "ms", K_BIGINT)};
static const Overload ov_GENERATE_SERIES[] = {
    OV(fn_generate_series, F_NULL, R_ARRAY(K_INT), "start, end", K_INT, K_INT),
    OV(fn_generate_series, F_NULL, R_ARRAY(K_INT), "start, end, step", K_INT, K_INT, K_INT),
    OV(fn_generate_series, F_NULL, R_ARRAY(K_BIGINT), "start, end", K_BIGINT, K_BIGINT),
    OV(fn_generate_series, F_NULL, R_ARRAY(K_BIGINT), "start, end, step", K_BIGINT, K_BIGINT, K_INT),
};
static const Overload ov_GEO_DISTANCE[] = {
    OV(fn_geo_distance, F_NULL, R(K_DOUBLE), "lat1, lon1, lat2, lon2", K_DOUBLE, K_DOUBLE, K_DOUBLE, K_DOUBLE),
    OV(fn_geo_distance, 0, R(K_DOUBLE), "lat1, lon1, lat2, lon2, unit", K_DOUBLE, K_DOUBLE, K_DOUBLE,
       K_DOUBLE, K_STRING),
};
static const Overload ov_GREATEST[] = {OV(fn_greatest, F_VAR | F_PRIM | F_BOUND_T, R_T, "first, others", K_T, K_T)};
static const Overload ov_IFNULL[] = {OV(fn_ifnull, 0, R_T, "expression, alt_value", K_T, K_T)};
static const Overload ov_INITCAP[] = {OV(fn_initcap, F_NULL, R(K_STRING), "str", K_STRING)};
static const Overload ov_INSTR[] = {
    OV(fn_instr, 0, R(K_INT), "str, substring", K_STRING, K_STRING),
    OV(fn_instr, 0, R(K_INT), "str, substring, position", K_STRING, K_STRING, K_INT),
    OV(fn_instr, 0, R(K_INT), "str, substring, position, occurrence", K_STRING, K_STRING, K_INT, K_INT),
};
static const Overload ov_INT_FROM_BYTES[] = {
    OV(fn_int_from_bytes, F_NULL, R(K_INT), "bytes", K_BYTES),
    OV(fn_int_from_bytes, F_NULL, R(K_INT), "bytes, byte_order", K_BYTES, K_STRING),
};
static const Overload ov_IS_JSON_STRING[] = {OV(fn_is_json_string, 0, R(K_BOOL), "json", K_STRING)};
static const Overload ov_JSON_ARRAY_CONTAINS[] = {
    OV(fn_json_array_contains, F_PRIM, R(K_BOOL), "json, value", K_STRING, K_T),
};
static const Overload ov_JSON_ARRAY_LENGTH[] = {
    OV(fn_json_array_length, F_NULL, R(K_INT), "json", K_STRING),
};
static const Overload ov_JSON_CONCAT[] = {
    OV(fn_json_concat, F_NULL | F_VAR, R(K_STRING), "json1, json2", K_STRING, K_STRING),
};
static const Overload ov_JSON_ITEMS[] = {OV(fn_json_items, F_NULL, R_ARRAY(K_STRING), "json", K_STRING)};
static const Overload ov_JSON_KEYS[] = {OV(fn_json_keys, F_NULL, R_ARRAY(K_STRING), "json", K_STRING)};
static const Overload ov_JSON_RECORDS[] = {OV(fn_json_records, F_NULL, R_MAP(K_STRING), "json", K_STRING)};
static const Overload ov_LCASE[] = {OV(fn_lcase, F_NULL, R(K_STRING), "str", K_STRING)};
static const Overload ov_LEAST[] = {OV(fn_least, F_VAR | F_PRIM | F_BOUND_T, R_T, "first, others", K_T, K_T)};
static const Overload ov_LEN[] = {
    OV(fn_len_string, F_NULL, R(K_INT), "str", K_STRING),
    OV(fn_len_bytes, F_NULL, R(K_INT), "bytes", K_BYTES),
};
static const Overload ov_LN[] = {OV(fn_ln, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_LOG[] = {
    OV(fn_log, F_NULL, R(K_DOUBLE), "x", K_DOUBLE),
    OV(fn_log, F_NULL, R(K_DOUBLE), "base, x", K_DOUBLE, K_DOUBLE),
};
static const Overload ov_LPAD[] = {
    OV(fn_lpad, F_NULL, R(K_STRING), "input, length, padding", K_STRING, K_INT, K_STRING),
    OV(fn_lpad, F_NULL, R(K_BYTES), "input, length, padding", K_BYTES, K_INT, K_BYTES),
};
static const Overload ov_LTRIM[] = {OV(fn_ltrim, F_NULL, R(K_STRING), "str", K_STRING)};
static const Overload ov_MAP_KEYS[] = {OV(fn_map_keys, F_NULL, R_ARRAY(K_STRING), "map", K_MAP_T)};
static const Overload ov_MAP_UNION[] = {OV(fn_map_union, 0, R_MAP_T, "map1, map2", K_MAP_T, K_MAP_T)};
static const Overload ov_MAP_VALUES[] = {OV(fn_map_values, F_NULL, R_ARRAY_T, "map", K_MAP_T)};
static const Overload ov_MASK[] = {
    OV(fn_mask, F_NULL, R(K_STRING), "str", K_STRING),
    OV(fn_mask, 0, R(K_STRING), "str, upper, lower, digit, other", K_STRING, K_STRING, K_STRING, K_STRING,
       K_STRING),
};
#define MASK_OVERLOADS(fn)                                                                          \
    OV(fn, F_NULL, R(K_STRING), "str, num_chars", K_STRING, K_INT),                                  \
    OV(fn, 0, R(K_STRING), "str, num_chars, upper, lower, digit, other", K_STRING, K_INT, K_STRING, \
       K_STRING, K_STRING, K_STRING)
static const Overload ov_MASK_KEEP_LEFT[] = {MASK_OVERLOADS(fn_mask_keep_left)};
static const Overload ov_MASK_KEEP_RIGHT[] = {MASK_OVERLOADS(fn_mask_keep_right)};
static const Overload ov_MASK_LEFT[] = {MASK_OVERLOADS(fn_mask_left)};
static const Overload ov_MASK_RIGHT[] = {MASK_OVERLOADS(fn_mask_right)};
static const Overload ov_NULLIF[] = {OV(fn_nullif, 0, R_T, "expression1, expression2", K_T, K_T)};
static const Overload ov_PARSE_DATE[] = {
    OV(fn_parse_date, F_NULL, R(K_DATE), "str, pattern", K_STRING, K_STRING),
};
static const Overload ov_PARSE_TIME[] = {
    OV(fn_parse_time, F_NULL, R(K_TIME), "str, pattern", K_STRING, K_STRING),
};
static const Overload ov_PARSE_TIMESTAMP[] = {
    OV(fn_parse_timestamp, F_NULL, R(K_TS), "str, pattern", K_STRING, K_STRING),
    OV(fn_parse_timestamp, F_NULL, R(K_TS), "str, pattern, tz", K_STRING, K_STRING, K_STRING),
};
static const Overload ov_PI[] = {OV0(fn_pi, 0, R(K_DOUBLE))};
static const Overload ov_POWER[] = {OV(fn_power, F_NULL, R(K_DOUBLE), "base, exponent", K_DOUBLE, K_DOUBLE)};
static const Overload ov_RADIANS[] = {OV(fn_radians, F_NULL, R(K_DOUBLE), "degrees", K_DOUBLE)};
static const Overload ov_RANDOM[] = {OV0(fn_random, F_NONDET, R(K_DOUBLE))};
static const Overload ov_REGEXP_EXTRACT[] = {
    OV(fn_regexp_extract, F_NULL, R(K_STRING), "pattern, str", K_STRING, K_STRING),
    OV(fn_regexp_extract, F_NULL, R(K_STRING), "pattern, str, group", K_STRING, K_STRING, K_INT),
};
static const Overload ov_REGEXP_EXTRACT_ALL[] = {
    OV(fn_regexp_extract_all, F_NULL, R_ARRAY(K_STRING), "pattern, str", K_STRING, K_STRING),
    OV(fn_regexp_extract_all, F_NULL, R_ARRAY(K_STRING), "pattern, str, group", K_STRING, K_STRING, K_INT),
};
static const Overload ov_REGEXP_REPLACE[] = {
    OV(fn_regexp_replace, F_NULL, R(K_STRING), "str, regex, replacement", K_STRING, K_STRING, K_STRING),
};
static const Overload ov_REGEXP_SPLIT_TO_ARRAY[] = {
    OV(fn_regexp_split, F_NULL, R_ARRAY(K_STRING), "str, regex", K_STRING, K_STRING),
};
static const Overload ov_REPLACE[] = {
    OV(fn_replace, F_NULL, R(K_STRING), "str, target, replacement", K_STRING, K_STRING, K_STRING),
};
static const Overload ov_ROUND[] = {
    OV(fn_round, F_NULL, R(K_BIGINT), "x", K_INT),
    OV(fn_round, F_NULL, R(K_BIGINT), "x", K_BIGINT),
    OV(fn_round, F_NULL, R(K_BIGINT), "x", K_DOUBLE),
    OV(fn_round, F_NULL, R(K_DOUBLE), "x, places", K_DOUBLE, K_INT),
    OV(fn_round, F_NULL, R_DEC_WHOLE, "x", K_DECIMAL),
    OV(fn_round, F_NULL, R_ARG0, "x, places", K_DECIMAL, K_INT),
};
static const Overload ov_RPAD[] = {
    OV(fn_rpad, F_NULL, R(K_STRING), "input, length, padding", K_STRING, K_INT, K_STRING),
    OV(fn_rpad, F_NULL, R(K_BYTES), "input, length, padding", K_BYTES, K_INT, K_BYTES),
};
static const Overload ov_RTRIM[] = {OV(fn_rtrim, F_NULL, R(K_STRING), "str", K_STRING)};
static const Overload ov_SIGN[] = {
    OV(fn_sign, F_NULL, R(K_INT), "x", K_INT),
    OV(fn_sign, F_NULL, R(K_INT), "x", K_BIGINT),
    OV(fn_sign, F_NULL, R(K_INT), "x", K_DOUBLE),
};
static const Overload ov_SIN[] = {OV(fn_sin, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_SINH[] = {OV(fn_sinh, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_SLICE[] = {OV(fn_slice, 0, R_ARRAY_T, "array, from, to", K_ARRAY_T, K_INT, K_INT)};
static const Overload ov_SPLIT[] = {
    OV(fn_split, F_NULL, R_ARRAY(K_STRING), "str, delimiter", K_STRING, K_STRING),
    OV(fn_split, F_NULL, R_ARRAY(K_BYTES), "bytes, delimiter", K_BYTES, K_BYTES),
};
static const Overload ov_SPLIT_TO_MAP[] = {
    OV(fn_split_to_map, F_NULL, R_MAP(K_STRING), "str, entry_delimiter, kv_delimiter", K_STRING, K_STRING,
       K_STRING),
};
static const Overload ov_SQRT[] = {OV(fn_sqrt, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_STRINGTODATE[] = {
    OV(fn_stringtodate, F_NULL, R(K_INT), "str, pattern", K_STRING, K_STRING),
};
static const Overload ov_STRINGTOTIMESTAMP[] = {
    OV(fn_stringtotimestamp, F_NULL, R(K_BIGINT), "str, pattern", K_STRING, K_STRING),
    OV(fn_stringtotimestamp, F_NULL, R(K_BIGINT), "str, pattern, tz", K_STRING, K_STRING, K_STRING),
};
static const Overload ov_SUBSTRING[] = {
    OV(fn_substring, F_NULL, R(K_STRING), "str, pos", K_STRING, K_INT),
    OV(fn_substring, F_NULL, R(K_STRING), "str, pos, len", K_STRING, K_INT, K_INT),
    OV(fn_substring, F_NULL, R(K_BYTES), "bytes, pos", K_BYTES, K_INT),
    OV(fn_substring, F_NULL, R(K_BYTES), "bytes, pos, len", K_BYTES, K_INT, K_INT),
};
static const Overload ov_TAN[] = {OV(fn_tan, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_TANH[] = {OV(fn_tanh, F_NULL, R(K_DOUBLE), "x", K_DOUBLE)};
static const Overload ov_TIMESTAMPTOSTRING[] = {
    OV(fn_timestamptostring, F_NULL, R(K_STRING), "ms, pattern", K_BIGINT, K_STRING),
    OV(fn_timestamptostring, F_NULL, R(K_STRING), "ms, pattern, tz", K_BIGINT, K_STRING, K_STRING),
};
static const Overload ov_TO_BYTES[] = {OV(fn_to_bytes, F_NULL, R(K_BYTES), "str, encoding", K_STRING, K_STRING)};
static const Overload ov_TRIM[] = {OV(fn_trim, F_NULL, R(K_STRING), "str", K_STRING)};
static const Overload ov_TRUNC[] = {
    OV(fn_trunc, F_NULL, R(K_BIGINT), "x", K_INT),
    OV(fn_trunc, F_NULL, R(K_BIGINT), "x", K_BIGINT),
    OV(fn_trunc, F_NULL, R(K_BIGINT), "x", K_DOUBLE),
    OV(fn_trunc, F_NULL, R(K_DOUBLE), "x, places", K_DOUBLE, K_INT),
    OV(fn_trunc, F_NULL, R_DEC_WHOLE, "x", K_DECIMAL),
    OV(fn_trunc, F_NULL, R_ARG0, "x, places", K_DECIMAL, K_INT),
};
static const Overload ov_TO_JSON_STRING[] = {OV(fn_to_json_string, 0, R(K_STRING), "value", K_T)};
static const Overload ov_UCASE[] = {OV(fn_ucase, F_NULL, R(K_STRING), "str", K_STRING)};
static const Overload ov_UNIX_DATE[] = {
    OV0(fn_unix_date, F_NONDET, R(K_INT)),
    OV(fn_unix_date, F_NULL, R(K_INT), "date", K_DATE),
};
static const Overload ov_UNIX_TIMESTAMP[] = {
    OV0(fn_unix_timestamp, F_NONDET, R(K_BIGINT)),
    OV(fn_unix_timestamp, F_NULL, R(K_BIGINT), "ts", K_TS),
};
#define URL_FN(name, fn, ret) static const Overload ov_##name[] = {OV(fn, F_NULL, R(ret), "url", K_STRING)};
URL_FN(URL_DECODE_PARAM, fn_url_decode_param, K_STRING)
URL_FN(URL_ENCODE_PARAM, fn_url_encode_param, K_STRING)
URL_FN(URL_EXTRACT_FRAGMENT, fn_url_extract_fragment, K_STRING)
URL_FN(URL_EXTRACT_HOST, fn_url_extract_host, K_STRING)
URL_FN(URL_EXTRACT_PATH, fn_url_extract_path, K_STRING)
URL_FN(URL_EXTRACT_PORT, fn_url_extract_port, K_INT)
URL_FN(URL_EXTRACT_PROTOCOL, fn_url_extract_protocol, K_STRING)
URL_FN(URL_EXTRACT_QUERY, fn_url_extract_query, K_STRING)
#undef URL_FN
static const Overload ov_URL_EXTRACT_PARAMETER[] = {
    OV(fn_url_extract_parameter, F_NULL, R(K_STRING), "url, parameter_name", K_STRING, K_STRING),
};
static const Overload ov_UUID[] = {OV0(fn_uuid, F_NONDET, R(K_STRING))};

/* ---- the table ------------------------------------------------------------ */

/* X(name, category, description); alphabetical. */
#define EDDY_FUNCTION_LIST(X)                                                                       \
    X(ABS, CAT_MATH, "The absolute value of a number.")                                              \
    X(ACOS, CAT_MATH, "The arc cosine of x, in radians; NaN outside [-1, 1].")                       \
    X(ARRAY_CONCAT, CAT_ARRAY, "Both arrays one after the other; a NULL array counts as empty unless both are NULL.") \
    X(ARRAY_CONTAINS, CAT_ARRAY, "Whether the array holds an element equal to the value.")           \
    X(ARRAY_DISTINCT, CAT_ARRAY, "The array's distinct elements, in order of first appearance.")     \
    X(ARRAY_EXCEPT, CAT_ARRAY, "Distinct elements of the first array that the second lacks.")        \
    X(ARRAY_INTERSECT, CAT_ARRAY, "Distinct elements present in both arrays, in the first's order.") \
    X(ARRAY_JOIN, CAT_ARRAY, "The elements as text joined by a delimiter (default ',').")            \
    X(ARRAY_LENGTH, CAT_ARRAY, "The number of elements in an array.")                                \
    X(ARRAY_MAX, CAT_ARRAY, "The largest non-NULL element of an array of primitives.")               \
    X(ARRAY_MIN, CAT_ARRAY, "The smallest non-NULL element of an array of primitives.")              \
    X(ARRAY_REMOVE, CAT_ARRAY, "The array without the elements equal to the given one.")             \
    X(ARRAY_SORT, CAT_ARRAY, "The elements sorted 'ASC' (default) or 'DESC', NULLs last.")           \
    X(ARRAY_UNION, CAT_ARRAY, "Distinct elements of both arrays, in order of first appearance.")     \
    X(AS_MAP, CAT_MAP, "A map built by pairing an array of keys with an array of values.")           \
    X(AS_VALUE, CAT_NULL, "A copy of a key column as a value column (the argument unchanged).")   \
    X(ASIN, CAT_MATH, "The arc sine of x, in radians; NaN outside [-1, 1].")                         \
    X(ATAN, CAT_MATH, "The arc tangent of x, in radians.")                                           \
    X(ATAN2, CAT_MATH, "The angle, in radians, of the point (x, y) in polar coordinates.")           \
    X(BIGINT_FROM_BYTES, CAT_CONV, "An 8-byte value read as a BIGINT (BIG_ENDIAN or LITTLE_ENDIAN).") \
    X(CBRT, CAT_MATH, "The cube root of x.")                                                         \
    X(CEIL, CAT_MATH, "The smallest integral value not below x.")                                    \
    X(CHR, CAT_STRING, "The one-character string for a code point or a '\\uXXXX' escape.")           \
    X(COALESCE, CAT_NULL, "The first argument that is not NULL.")                                    \
    X(CONCAT, CAT_STRING, "The arguments joined together; NULLs count as empty.")                    \
    X(CONCAT_WS, CAT_STRING, "The non-NULL arguments joined with a separator; NULL separator gives NULL.") \
    X(CONVERT_TZ, CAT_DATETIME, "A timestamp moved from one time zone's wall clock to another's.")   \
    X(COS, CAT_MATH, "The cosine of x (radians).")                                                   \
    X(COSH, CAT_MATH, "The hyperbolic cosine of x.")                                                 \
    X(COT, CAT_MATH, "The cotangent of x (radians).")                                                \
    X(CUBE_EXPLODE, CAT_TABLE, "Table function: one row per combination of the array's elements, each either kept or NULL (2^n rows; a NULL element gives only NULL).") \
    X(DATEADD, CAT_DATETIME, "A DATE plus n units (DAYS, WEEKS, ...): DATEADD(DAYS, 2, d).") \
    X(DATESUB, CAT_DATETIME, "A DATE minus n units: DATESUB(DAYS, 2, d).") \
    X(DATETOSTRING, CAT_DATETIME, "Deprecated: days since the epoch formatted with a pattern; use FORMAT_DATE.") \
    X(DEGREES, CAT_MATH, "Radians converted to degrees.")                                            \
    X(DOUBLE_FROM_BYTES, CAT_CONV, "An 8-byte value read as an IEEE DOUBLE (BIG_ENDIAN or LITTLE_ENDIAN).") \
    X(ELT, CAT_STRING, "The n-th (1-based) of the following strings, or NULL if out of range.")      \
    X(ENCODE, CAT_STRING, "Text re-encoded between hex, utf8, ascii and base64.")                    \
    X(ENTRIES, CAT_MAP, "A map's entries as an array of STRUCT<K, V>, optionally sorted by key.")     \
    X(EXP, CAT_MATH, "e raised to the power x.")                                                     \
    X(EXPLODE, CAT_TABLE, "Table function: one row per element of the array; none for an empty or NULL array.") \
    X(EXTRACTJSONFIELD, CAT_JSON, "The value at a JSONPath ($.a.b, $.a[0], $['a']) in a JSON string, as text.") \
    X(FIELD, CAT_STRING, "The 1-based position of a string among the following ones, 0 if absent.")  \
    X(FILTER, CAT_LAMBDA, "Lambda function: the array's elements, or the map's entries, for which the lambda is TRUE.") \
    X(FLOOR, CAT_MATH, "The largest integral value not above x.")                                    \
    X(FORMAT_DATE, CAT_DATETIME, "A DATE formatted with a date pattern such as 'yyyy-MM-dd'.")       \
    X(FORMAT_TIME, CAT_DATETIME, "A TIME formatted with a time pattern such as 'HH:mm:ss'.")         \
    X(FORMAT_TIMESTAMP, CAT_DATETIME, "A TIMESTAMP formatted with a pattern, in UTC or the given zone.") \
    X(FROM_BYTES, CAT_STRING, "BYTES rendered as text in hex, utf8, ascii or base64.")               \
    X(FROM_DAYS, CAT_DATETIME, "The DATE a number of days after 1970-01-01.")                        \
    X(FROM_UNIXTIME, CAT_DATETIME, "The TIMESTAMP for milliseconds since the epoch.")                \
    X(GENERATE_SERIES, CAT_ARRAY, "The integers from start to end inclusive, by step (default +/-1).") \
    X(GEO_DISTANCE, CAT_GEO, "Great-circle (haversine) distance between two lat/lon points, in km or miles.") \
    X(GREATEST, CAT_MATH, "The largest non-NULL argument.")                                          \
    X(IFNULL, CAT_NULL, "The first argument, or the second when the first is NULL.")                 \
    X(INITCAP, CAT_STRING, "Each whitespace-separated word with its first letter upper case, the rest lower case.") \
    X(INSTR, CAT_STRING, "The 1-based position of a substring (from a position, n-th occurrence), 0 if absent.") \
    X(INT_FROM_BYTES, CAT_CONV, "A 4-byte value read as an INTEGER (BIG_ENDIAN or LITTLE_ENDIAN).")  \
    X(IS_JSON_STRING, CAT_JSON, "Whether a string parses as one JSON value.")                        \
    X(JSON_ARRAY_CONTAINS, CAT_JSON, "Whether a JSON array string holds the given primitive value.") \
    X(JSON_ARRAY_LENGTH, CAT_JSON, "The number of elements of a top-level JSON array.")              \
    X(JSON_CONCAT, CAT_JSON, "JSON values merged: objects by key, anything else into one array.")    \
    X(JSON_ITEMS, CAT_JSON, "A JSON array's items as JSON text; NULL unless every item is an object.") \
    X(JSON_KEYS, CAT_JSON, "The top-level keys of a JSON object.")                                   \
    X(JSON_RECORDS, CAT_JSON, "A JSON object's top-level keys mapped to their values' JSON text.")   \
    X(LCASE, CAT_STRING, "The string in lower case.")                                                \
    X(LEAST, CAT_MATH, "The smallest non-NULL argument.")                                            \
    X(LEN, CAT_STRING, "The number of characters of a string, or bytes of a BYTES value.")          \
    X(LN, CAT_MATH, "The natural logarithm of x.")                                                   \
    X(LOG, CAT_MATH, "The natural logarithm of x, or its logarithm in the given base.")              \
    X(LPAD, CAT_STRING, "The input padded on the left (or cut) to a length.")                        \
    X(LTRIM, CAT_STRING, "The string without leading whitespace.")                                   \
    X(MAP_KEYS, CAT_MAP, "A map's keys as an array.")                                                \
    X(MAP_UNION, CAT_MAP, "Both maps' entries; the second map wins on a shared key.")                \
    X(MAP_VALUES, CAT_MAP, "A map's values as an array.")                                            \
    X(MASK, CAT_STRING, "The string with letters, digits and other characters replaced by mask characters.") \
    X(MASK_KEEP_LEFT, CAT_STRING, "Like MASK, leaving the first n characters as they are.")          \
    X(MASK_KEEP_RIGHT, CAT_STRING, "Like MASK, leaving the last n characters as they are.")          \
    X(MASK_LEFT, CAT_STRING, "Like MASK, masking only the first n characters.")                      \
    X(MASK_RIGHT, CAT_STRING, "Like MASK, masking only the last n characters.")                      \
    X(NULLIF, CAT_NULL, "NULL when both arguments are equal, else the first.")                       \
    X(PARSE_DATE, CAT_DATETIME, "A DATE read from text with a date pattern.")                        \
    X(PARSE_TIME, CAT_DATETIME, "A TIME read from text with a time pattern.")                        \
    X(PARSE_TIMESTAMP, CAT_DATETIME, "A TIMESTAMP read from text with a pattern, in UTC or the given zone.") \
    X(PI, CAT_MATH, "The constant pi.")                                                              \
    X(POWER, CAT_MATH, "base raised to the power exponent.")                                         \
    X(RADIANS, CAT_MATH, "Degrees converted to radians.")                                            \
    X(RANDOM, CAT_MATH, "A random DOUBLE in [0.0, 1.0).")                                            \
    X(REDUCE, CAT_LAMBDA, "Lambda function: folds an array or map into one value from an initial state: (s, x) => ... or (s, k, v) => ...") \
    X(REGEXP_EXTRACT, CAT_REGEX, "The first match of a regex in a string (or of one of its groups).") \
    X(REGEXP_EXTRACT_ALL, CAT_REGEX, "Every match of a regex in a string (or of one of its groups).") \
    X(REGEXP_REPLACE, CAT_REGEX, "The string with every regex match replaced ($n refers to groups).") \
    X(REGEXP_SPLIT_TO_ARRAY, CAT_REGEX, "The pieces of a string between matches of a regex.")        \
    X(REPLACE, CAT_STRING, "The string with every occurrence of a substring replaced.")              \
    X(ROUND, CAT_MATH, "x rounded half up (toward positive infinity) to 0 or the given decimal places.") \
    X(RPAD, CAT_STRING, "The input padded on the right (or cut) to a length.")                       \
    X(RTRIM, CAT_STRING, "The string without trailing whitespace.")                                  \
    X(SIGN, CAT_MATH, "-1, 0 or 1 for a negative, zero or positive x.")                              \
    X(SIN, CAT_MATH, "The sine of x (radians).")                                                     \
    X(SINH, CAT_MATH, "The hyperbolic sine of x.")                                                   \
    X(SLICE, CAT_ARRAY, "The elements from position from to position to (1-based, inclusive).")      \
    X(SPLIT, CAT_STRING, "The pieces of a string (or bytes) between occurrences of a delimiter.")    \
    X(SPLIT_TO_MAP, CAT_STRING, "A map from 'k=v' style text split by an entry and a key-value delimiter.") \
    X(SQRT, CAT_MATH, "The square root of x.")                                                       \
    X(STRINGTODATE, CAT_DATETIME, "Deprecated: days since the epoch read from text; use PARSE_DATE.") \
    X(STRINGTOTIMESTAMP, CAT_DATETIME, "Deprecated: epoch milliseconds read from text; use PARSE_TIMESTAMP.") \
    X(SUBSTRING, CAT_STRING, "The part of a string (or bytes) from a 1-based position, optionally of a length.") \
    X(TAN, CAT_MATH, "The tangent of x (radians).")                                                  \
    X(TANH, CAT_MATH, "The hyperbolic tangent of x.")                                                \
    X(TIMEADD, CAT_DATETIME, "A TIME plus n units, wrapping around midnight.") \
    X(TIMESTAMPADD, CAT_DATETIME, "A TIMESTAMP plus n units (MILLISECONDS .. DAYS).") \
    X(TIMESTAMPSUB, CAT_DATETIME, "A TIMESTAMP minus n units.") \
    X(TIMESTAMPTOSTRING, CAT_DATETIME, "Deprecated: epoch milliseconds formatted with a pattern; use FORMAT_TIMESTAMP.") \
    X(TIMESUB, CAT_DATETIME, "A TIME minus n units, wrapping around midnight.") \
    X(TO_BYTES, CAT_STRING, "Text in hex, utf8, ascii or base64 decoded to BYTES.")                  \
    X(TO_JSON_STRING, CAT_JSON, "Any value as JSON text (struct fields and map keys sorted; NULL -> 'null').") \
    X(TRANSFORM, CAT_LAMBDA, "Lambda function: each array element through x => ..., or each map entry's key and value through (k, v) => ... lambdas.") \
    X(TRIM, CAT_STRING, "The string without leading and trailing whitespace.")                       \
    X(TRUNC, CAT_MATH, "x truncated toward zero to 0 or the given decimal places.")                  \
    X(UCASE, CAT_STRING, "The string in upper case.")                                                \
    X(UNIX_DATE, CAT_DATETIME, "Days since 1970-01-01 of a DATE, or of today (UTC).")                \
    X(UNIX_TIMESTAMP, CAT_DATETIME, "Milliseconds since the epoch of a TIMESTAMP, or of now.")       \
    X(URL_DECODE_PARAM, CAT_URL, "Decodes application/x-www-form-urlencoded text ('+' -> space, %XX -> UTF-8).") \
    X(URL_ENCODE_PARAM, CAT_URL, "Encodes text as application/x-www-form-urlencoded (space -> '+').") \
    X(URL_EXTRACT_FRAGMENT, CAT_URL, "The decoded fragment of a URL, NULL if none.") \
    X(URL_EXTRACT_HOST, CAT_URL, "The host of a URL, NULL if none.") \
    X(URL_EXTRACT_PARAMETER, CAT_URL, "The value of the named query parameter of a URL ('' if bare), NULL if absent.") \
    X(URL_EXTRACT_PATH, CAT_URL, "The decoded path of a URL ('' if empty).") \
    X(URL_EXTRACT_PORT, CAT_URL, "The port of a URL, NULL if none.") \
    X(URL_EXTRACT_PROTOCOL, CAT_URL, "The scheme of a URL, NULL if none.") \
    X(URL_EXTRACT_QUERY, CAT_URL, "The decoded query of a URL, NULL if none.") \
    X(UUID, CAT_STRING, "A random (version 4) UUID.")

typedef struct FuncDef {
    const char *name, *category, *description;
    const Overload *ov;
    int nov;
} FuncDef;

#define FUNC_ENTRY(name_, cat_, desc_) \
    {#name_, cat_, desc_, ov_##name_, (int)(sizeof ov_##name_ / sizeof ov_##name_[0])},
static const FuncDef funcs[] = {EDDY_FUNCTION_LIST(FUNC_ENTRY)};
#undef FUNC_ENTRY

#define NFUNCS ((int)(sizeof funcs / sizeof funcs[0]))

/* ---- lookup ------------------------------------------------------------- */

static const NameTable func_table = NAMETAB_INIT(funcs, FuncDef, name);

static const FuncDef *find_def(const char *name)
{
    int i = nametab_find(&func_table, name);
    return i < 0 ? NULL : &funcs[i];
}

bool func_exists(const char *name)
{
    return find_def(name) != NULL;
}

bool func_is_lambda(const char *name)
{
    const FuncDef *d = find_def(name);
    return d != NULL && strcmp(d->category, CAT_LAMBDA) == 0;
}

bool func_is_table(const char *name)
{
    const FuncDef *d = find_def(name);
    return d != NULL && strcmp(d->category, CAT_TABLE) == 0;
}

/* Aggregates live in one list, the aggregate registry's. */
bool func_is_aggregate(const char *name)
{
    return agg_exists(name);
}

/* ---- types ------------------------------------------------------------- */

static TypeKind kind_of(const SqlType *t)
{
    return t ? t->kind : TYPE_NULL;
}

static bool is_composite(const SqlType *t)
{
    return t && (t->kind == TYPE_ARRAY || t->kind == TYPE_MAP || t->kind == TYPE_STRUCT);
}

/* The DECIMAL an integer or decimal type widens to (precision capped at 18). */
static const SqlType *as_decimal(Arena *a, const SqlType *t)
{
    if (t->kind == TYPE_DECIMAL)
        return t;
    return type_decimal(a, t->kind == TYPE_INT ? 10 : 18, 0);
}

/* The type both numeric types widen to. */
static const SqlType *common_numeric(Arena *a, const SqlType *x, const SqlType *y)
{
    if (x->kind == TYPE_DOUBLE || y->kind == TYPE_DOUBLE)
        return type_prim(TYPE_DOUBLE);
    if (x->kind == TYPE_DECIMAL || y->kind == TYPE_DECIMAL) {
        const SqlType *dx = as_decimal(a, x), *dy = as_decimal(a, y);
        int whole = dx->precision - dx->scale > dy->precision - dy->scale ? dx->precision - dx->scale
                                                                         : dy->precision - dy->scale;
        int scale = dx->scale > dy->scale ? dx->scale : dy->scale;
        int prec = whole + scale > 18 ? 18 : whole + scale;
        if (prec < 1)
            prec = 1;
        return type_equal(dx, dy) ? dx : type_decimal(a, prec, scale > prec ? prec : scale);
    }
    return type_widen_cost(y->kind, x->kind) >= 0 ? x : y;
}

static uint8_t spec_at(const Overload *ov, int i)
{
    return ov->params[i < ov->nparams ? i : ov->nparams - 1];
}

/* Element type bound by an ARRAY<T>/MAP<STRING, T> argument, or NULL. */
static const SqlType *container_elem(uint8_t spec, const SqlType *arg)
{
    if (arg == NULL || arg->elem == NULL || arg->elem->kind == TYPE_NULL)
        return NULL;
    if (spec == K_ARRAY_T && arg->kind == TYPE_ARRAY)
        return arg->elem;
    if (spec == K_MAP_T && arg->kind == TYPE_MAP)
        return arg->elem;
    return NULL;
}

/* Tries one overload: -1 if it does not fit, else its widening cost with
 * params[] and *result filled. */
static int try_overload(const Overload *ov, const SqlType *const *args, int n, Arena *a,
                        const SqlType **params, const SqlType **result)
{
    if (ov->flags & F_VAR ? n < ov->nparams - 1 : n != ov->nparams)
        return -1;
    if (ov->ret_rule == RET_SPEC)
        return -1;   /* a lambda function: bound by plan/bind_lambda.c, never here */
    const SqlType *T = NULL;
    bool strong = false;

    /* Containers bind T exactly. */
    for (int i = 0; i < n; i++) {
        uint8_t spec = spec_at(ov, i);
        TypeKind k = kind_of(args[i]);
        if (spec != K_ARRAY_T && spec != K_MAP_T && spec != K_ARRAY_STRING)
            continue;
        if (k == TYPE_NULL)
            continue;
        if (spec == K_MAP_T ? k != TYPE_MAP : k != TYPE_ARRAY)
            return -1;
        if (spec == K_MAP_T && args[i]->key && args[i]->key->kind != TYPE_STRING)
            return -1;
        if (spec == K_ARRAY_STRING) {
            if (args[i]->elem && args[i]->elem->kind != TYPE_STRING && args[i]->elem->kind != TYPE_NULL)
                return -1;
            continue;
        }
        const SqlType *e = container_elem(spec, args[i]);
        if (e == NULL)
            continue;
        if (T == NULL) {
            T = e;
            strong = true;
        } else if (!type_equal(T, e)) {
            return -1;
        }
    }
    /* Plain T arguments share a common type. */
    for (int i = 0; i < n; i++) {
        if (spec_at(ov, i) != K_T || kind_of(args[i]) == TYPE_NULL)
            continue;
        const SqlType *t = args[i];
        if (T == NULL)
            T = t;
        else if (type_equal(T, t))
            continue;
        else if (type_is_numeric(T) && type_is_numeric(t)) {
            if (strong) {
                if (type_widen_cost(t->kind, T->kind) < 0)
                    return -1;
            } else {
                T = common_numeric(a, T, t);
            }
        } else {
            return -1;
        }
    }
    if (T && (ov->flags & F_PRIM) && is_composite(T))
        return -1;
    if (T == NULL && (ov->flags & F_BOUND_T))
        return -1;
    if (T == NULL)
        T = type_prim(TYPE_STRING);

    int cost = 0;
    for (int i = 0; i < n; i++) {
        uint8_t spec = spec_at(ov, i);
        const SqlType *arg = args[i];
        TypeKind k = kind_of(arg);
        switch (spec) {
        case K_T:
            params[i] = T;
            if (k != TYPE_NULL && !type_equal(arg, T))
                cost += type_widen_cost(k, T->kind) > 0 ? type_widen_cost(k, T->kind) : 0;
            break;
        case K_ARRAY_T:
            params[i] = k == TYPE_ARRAY && container_elem(spec, arg) ? arg : type_array(a, T);
            break;
        case K_MAP_T:
            params[i] = k == TYPE_MAP && container_elem(spec, arg) ? arg
                                                                   : type_map(a, type_prim(TYPE_STRING), T);
            break;
        case K_ARRAY_STRING:
            params[i] = k == TYPE_ARRAY && arg->elem && arg->elem->kind == TYPE_STRING
                            ? arg
                            : type_array(a, type_prim(TYPE_STRING));
            break;
        default: {
            TypeKind want = (TypeKind)spec;
            if (k == TYPE_NULL) {
                params[i] = want == TYPE_DECIMAL ? type_decimal(a, 18, 0) : type_prim(want);
                break;
            }
            int c = type_widen_cost(k, want);
            if (c < 0)
                return -1;
            cost += c;
            if (want == TYPE_DECIMAL)
                params[i] = as_decimal(a, arg);
            else
                params[i] = k == want ? arg : type_prim(want);
            break;
        }
        }
    }

    switch ((RetRule)ov->ret_rule) {
    case RET_SPEC:
        return -1;   /* (refused above) */
    case RET_FIXED:
        *result = type_prim((TypeKind)ov->ret_kind);
        break;
    case RET_T:
        *result = T;
        break;
    case RET_ARRAY_OF:
        *result = type_array(a, type_prim((TypeKind)ov->ret_kind));
        break;
    case RET_ARRAY_T:
        *result = type_array(a, T);
        break;
    case RET_MAP_OF:
        *result = type_map(a, type_prim(TYPE_STRING), type_prim((TypeKind)ov->ret_kind));
        break;
    case RET_MAP_T:
        *result = type_map(a, type_prim(TYPE_STRING), T);
        break;
    case RET_ARG0:
        *result = n > 0 ? params[0] : type_prim(TYPE_NULL);
        break;
    case RET_DECIMAL_WHOLE: {
        const SqlType *d = params[0];
        int p = d->precision - d->scale;
        *result = type_decimal(a, p < 1 ? 1 : p, 0);
        break;
    }
    case RET_ENTRIES: {
        SqlField f[2] = {{"K", type_prim(TYPE_STRING)}, {"V", T}};
        *result = type_array(a, type_struct(a, f, 2));
        break;
    }
    }
    return cost;
}

/* ---- display ------------------------------------------------------------- */

static void put_spec(StrBuf *sb, uint8_t spec)
{
    switch (spec) {
    case K_T: sb_puts(sb, "T"); break;
    case K_ARRAY_T: sb_puts(sb, "ARRAY<T>"); break;
    case K_MAP_T: sb_puts(sb, "MAP<STRING, T>"); break;
    case K_ARRAY_STRING: sb_puts(sb, "ARRAY<STRING>"); break;
    case K_S: sb_puts(sb, "S"); break;
    case K_MAP_KV: sb_puts(sb, "MAP<K, V>"); break;
    case K_ARRAY_R: sb_puts(sb, "ARRAY<R>"); break;
    case K_MAP_RW: sb_puts(sb, "MAP<R, W>"); break;
    case K_FN_T_R: sb_puts(sb, "(T) => R"); break;
    case K_FN_T_BOOL: sb_puts(sb, "(T) => BOOLEAN"); break;
    case K_FN_KV_R: sb_puts(sb, "(K, V) => R"); break;
    case K_FN_KV_W: sb_puts(sb, "(K, V) => W"); break;
    case K_FN_KV_BOOL: sb_puts(sb, "(K, V) => BOOLEAN"); break;
    case K_FN_ST_S: sb_puts(sb, "(S, T) => S"); break;
    case K_FN_SKV_S: sb_puts(sb, "(S, K, V) => S"); break;
    default: sb_puts(sb, type_kind_name((TypeKind)spec)); break;
    }
}

static void put_ret(StrBuf *sb, const Overload *ov)
{
    switch ((RetRule)ov->ret_rule) {
    case RET_FIXED: sb_puts(sb, type_kind_name((TypeKind)ov->ret_kind)); break;
    case RET_T: sb_puts(sb, "T"); break;
    case RET_ARRAY_OF: sb_printf(sb, "ARRAY<%s>", type_kind_name((TypeKind)ov->ret_kind)); break;
    case RET_ARRAY_T: sb_puts(sb, "ARRAY<T>"); break;
    case RET_MAP_OF: sb_printf(sb, "MAP<STRING, %s>", type_kind_name((TypeKind)ov->ret_kind)); break;
    case RET_MAP_T: sb_puts(sb, "MAP<STRING, T>"); break;
    case RET_ARG0: put_spec(sb, ov->params[0]); break;
    case RET_DECIMAL_WHOLE: sb_puts(sb, "DECIMAL"); break;
    case RET_ENTRIES: sb_puts(sb, "ARRAY<STRUCT<K STRING, V T>>"); break;
    case RET_SPEC: put_spec(sb, ov->ret_kind); break;
    }
}

/* "(STRING, INTEGER[, INTEGER]) or (BYTES, INTEGER[, INTEGER])": overloads
 * that extend the previous one's parameters fold into optional brackets. */
static void put_accepted(StrBuf *sb, const FuncDef *f)
{
    int i = 0;
    bool first_group = true;
    while (i < f->nov) {
        const Overload *base = &f->ov[i];
        if (!first_group)
            sb_puts(sb, " or ");
        first_group = false;
        sb_putc(sb, '(');
        for (int p = 0; p < base->nparams; p++) {
            if (p)
                sb_puts(sb, ", ");
            put_spec(sb, base->params[p]);
            if ((base->flags & F_VAR) && p == base->nparams - 1)
                sb_puts(sb, "...");
        }
        int brackets = 0;
        const Overload *prev = base;
        while (i + 1 < f->nov) {
            const Overload *nx = &f->ov[i + 1];
            if (nx->nparams <= prev->nparams || (nx->flags & F_VAR) || (prev->flags & F_VAR) ||
                memcmp(nx->params, prev->params, prev->nparams) != 0)
                break;
            for (int p = prev->nparams; p < nx->nparams; p++) {
                sb_puts(sb, p == prev->nparams ? "[" : "");
                if (p > 0)
                    sb_puts(sb, ", ");
                put_spec(sb, nx->params[p]);
            }
            brackets++;
            prev = nx;
            i++;
        }
        while (brackets-- > 0)
            sb_putc(sb, ']');
        sb_putc(sb, ')');
        i++;
    }
}

/* ---- resolution ------------------------------------------------------- */

int func_resolve(const char *name, const SqlType *const *arg_types, int nargs, Arena *arena, ResolvedCall *out,
                 EddyError *err)
{
    SrcPos nopos = {0, 0};
    const FuncDef *f = find_def(name);
    if (f == NULL) {
        /* Suggest within 2 edits, for names of 3 characters or more. */
        const char *best = name && strlen(name) >= 3 ? nametab_closest(&func_table, name, 2) : NULL;
        if (best)
            return eddy_error(err, ERR_ANALYSIS, nopos, "unknown function %s; did you mean %s?", name ? name : "",
                              best);
        return eddy_error(err, ERR_ANALYSIS, nopos, "unknown function %s", name ? name : "");
    }
    const SqlType **params = arena_alloc(arena, sizeof(SqlType *) * (size_t)(nargs + 1));
    const SqlType **best_params = arena_alloc(arena, sizeof(SqlType *) * (size_t)(nargs + 1));
    const SqlType *result = NULL, *best_result = NULL;
    const Overload *best = NULL;
    int best_cost = 0;
    for (int i = 0; i < f->nov; i++) {
        int cost = try_overload(&f->ov[i], arg_types, nargs, arena, params, &result);
        if (cost >= 0 && (best == NULL || cost < best_cost)) {
            best = &f->ov[i];
            best_cost = cost;
            best_result = result;
            memcpy(best_params, params, sizeof(SqlType *) * (size_t)nargs);
        }
    }
    if (best == NULL) {
        StrBuf sb;
        sb_init(&sb);
        reg_put_rejected(&sb, f->name, arg_types, nargs, false);
        put_accepted(&sb, f);
        eddy_error(err, ERR_ANALYSIS, nopos, "%s", sb.data);
        sb_free(&sb);
        return -1;
    }
    out->name = f->name;
    out->fn = best->fn;
    out->null_in_null_out = (best->flags & F_NULL) != 0;
    out->result = best_result;
    out->params = best_params;
    out->nargs = nargs;
    return 0;
}

/* ---- introspection -------------------------------------------------------- */

static FuncInfo infos[NFUNCS];
static pthread_once_t infos_once = PTHREAD_ONCE_INIT;

static char *signature(const FuncDef *f, const Overload *ov)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s(", f->name);
    for (int p = 0; p < ov->nparams; p++) {
        if (p)
            sb_puts(&sb, ", ");
        size_t len;
        const char *name = reg_param_name(ov->names, p, &len);
        if (len) {
            sb_append(&sb, name, len);
            sb_putc(&sb, ' ');
        }
        put_spec(&sb, ov->params[p]);
        if ((ov->flags & F_VAR) && p == ov->nparams - 1)
            sb_puts(&sb, "...");
    }
    sb_puts(&sb, ") -> ");
    put_ret(&sb, ov);
    return sb.data;   /* kept for the life of the process */
}

static void infos_init(void)
{
    for (int i = 0; i < NFUNCS; i++) {
        const FuncDef *f = &funcs[i];
        const char **sigs = calloc((size_t)f->nov, sizeof(char *));
        if (sigs == NULL)
            EDDY_PANIC("out of memory");
        for (int k = 0; k < f->nov; k++)
            sigs[k] = signature(f, &f->ov[k]);
        infos[i] = (FuncInfo){f->name, f->category, f->description, f->nov, sigs};
    }
}

int func_count(void)
{
    return NFUNCS;
}

const FuncInfo *func_info_at(int i)
{
    if (i < 0 || i >= NFUNCS)
        return NULL;
    pthread_once(&infos_once, infos_init);
    return &infos[i];
}

const FuncInfo *func_info(const char *name)
{
    const FuncDef *f = find_def(name);
    return f ? func_info_at((int)(f - funcs)) : NULL;
}
