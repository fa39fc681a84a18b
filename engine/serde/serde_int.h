/*
 * serde_int.h - private to engine/serde: the per-format codecs that
 * serde.c's entry points dispatch to, and what they share.
 *
 * Every decoder fills out[0..ncols) with strings in `arena` and returns
 * -1 with an ERR_RUNTIME reason on a record that does not fit; every
 * encoder appends to out, and may leave part of the record there when it
 * fails (serde_encode says the same to its callers).
 */
#ifndef EDDY_SERDE_INT_H
#define EDDY_SERDE_INT_H

#include "eddy/engine/serde.h"

#define MS_PER_DAY 86400000LL

/* Where in the record a value sits, for error messages: COL, COL.FIELD,
 * COL[3], MAPCOL.key.  Built on the stack; formatted only on error. */
typedef struct JPath {
    const struct JPath *up;
    const char *name;          /* NULL: index */
    int32_t index;
} JPath;

/* "field PATH: cannot fit ... into DECIMAL(p, s)" and its kin for a
 * value_parse_decimal result rc; returns -1. */
int serde_decimal_fail(int rc, const char *text, size_t n, const SqlType *t, const JPath *path,
                       EddyError *err);

/* serde_json.c (serde_json_decode is also the reference of serde_json_scan.c) */
/* A real's text where Jackson would print the number as read ("1.5",
 * "0.00001", "10000000.0"; Java's E form beyond 1e20). */
void serde_real_text(double d, StrBuf *out);
int serde_json_decode(const SerdeOptions *opts, const Column *cols, int ncols, const void *buf,
                      size_t len, Value *out, Arena *arena, EddyError *err);
int serde_json_encode(const SerdeOptions *opts, const Column *cols, int ncols, const Value *vals,
                      StrBuf *out);

/* serde_delimited.c */
int serde_delim_decode(const SerdeOptions *opts, const Column *cols, int ncols, const void *buf,
                       size_t len, Value *out, Arena *arena, EddyError *err);
/* need[i] false: column i is checked as it would be decoded, not kept
 * (out[i] NULL); need NULL = every column. */
int serde_delim_decode_some(const SerdeOptions *opts, const Column *cols, int ncols,
                            const bool *need, const void *buf, size_t len, Value *out,
                            Arena *arena, EddyError *err);
int serde_delim_encode(const SerdeOptions *opts, const Column *cols, int ncols, const Value *vals,
                       StrBuf *out, EddyError *err);

/* serde_kafka.c */
int serde_kafka_decode(const Column *cols, int ncols, const void *buf, size_t len, Value *out,
                       Arena *arena, EddyError *err);
int serde_kafka_encode(const Column *cols, int ncols, const Value *vals, StrBuf *out,
                       EddyError *err);

#endif
