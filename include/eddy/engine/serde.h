/*
 * serde.h - record formats: bytes <-> Values for a list of columns.
 *
 * Value formats JSON (jansson; a field matches its column by exact name,
 * else by its upper-cased name; missing fields are NULL) and DELIMITED;
 * key formats KAFKA (one primitive column in Kafka's own serializations:
 * INT = 4-byte big-endian, BIGINT = 8-byte big-endian, DOUBLE = IEEE-754
 * big-endian, STRING = UTF-8, BYTES as they are; no BOOLEAN, as in
 * ksqlDB), JSON and DELIMITED.  NONE means no columns (a stream without
 * key columns).  engine/serde/ implements it: serde.c dispatches to
 * serde_json.c, serde_delimited.c, serde_kafka.c; serde_window.c is the
 * windowed-key codec.
 *
 * Wrapping follows ksqlDB: a JSON value with several columns is an
 * object; a single column is an object too unless WRAP_SINGLE_VALUE is
 * false; keys are never wrapped (a single key column is the bare value).
 */
#ifndef EDDY_SERDE_H
#define EDDY_SERDE_H

#include "eddy/base.h"
#include "eddy/value.h"

typedef enum Format { FMT_NONE, FMT_JSON, FMT_DELIMITED, FMT_KAFKA } Format;

/* Parses a format name (case-insensitive): "JSON", "DELIMITED", "KAFKA",
 * "NONE".  Returns -1 for anything else (e.g. "AVRO" -> caller reports
 * "format AVRO is not supported yet"). */
int format_parse(const char *name, Format *out);
const char *format_name(Format f);

typedef struct SerdeOptions {
    bool wrap_single;          /* JSON value: wrap a single column in an object (default true for values, false for keys) */
    char delimiter;            /* DELIMITED: ',' default */
} SerdeOptions;

/* Checks the columns can be carried by the format (KAFKA: at most one
 * column of INT/BIGINT/DOUBLE/STRING/BYTES; DELIMITED: primitive types
 * only; JSON: maps with STRING keys).  -1 with ERR_ANALYSIS naming the
 * column and the type. */
int serde_check(Format fmt, const Column *cols, int ncols, bool is_key, EddyError *err);

/* Decodes buf (len bytes; buf non-NULL, borrowed for the call) into
 * out[0..ncols).  Strings and composites are allocated in `arena`: the
 * values borrow nothing of buf.  Returns -1 with ERR_RUNTIME and a short
 * reason ("invalid JSON at byte 17", "field SEVERITY: cannot convert 'x'
 * to INTEGER") when the record does not fit; never crashes on any bytes. */
int serde_decode(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                 const void *buf, size_t len, Value *out, Arena *arena, EddyError *err);

/* Encodes vals[0..ncols) (appended to out).  Returns -1 with err if a value
 * cannot be represented; out may then hold part of the record. */
int serde_encode(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                 const Value *vals, StrBuf *out, EddyError *err);

/* ---- a source's reader: only the columns a query reads -----------------
 *
 * The same rows as serde_decode, for every record, except that a column
 * whose need[i] is false comes out NULL: it is still checked (a record
 * serde_decode rejects is rejected with the same reason), but not
 * materialised.  JSON objects are scanned once without building a tree
 * (serde_json_scan.c); DELIMITED converts only the needed fields.  cols
 * and need (NULL = all) are borrowed until serde_reader_destroy (need is
 * copied).  A reader is one query's: not for two threads at once. */
typedef struct SerdeReader SerdeReader;
SerdeReader *serde_reader_create(Format fmt, const SerdeOptions *opts, const Column *cols,
                                 int ncols, const bool *need);
int serde_reader_decode(SerdeReader *r, const void *buf, size_t len, Value *out, Arena *arena,
                        EddyError *err);
void serde_reader_destroy(SerdeReader *r);
/* Records the reader handed to the reference decoder (invalid ones, and
 * the few it is not sure of), for tests and benchmarks. */
long serde_reader_fallbacks(const SerdeReader *r);

/* ---- windowed keys ------------------------------------------------------
 *
 * The key of a windowed source's record is its key columns in the key
 * format, then the window in Kafka Streams' layouts (TimeWindowedSerde,
 * SessionWindowedSerde), which ksqlDB writes for windowed aggregations and
 * reads for sources declared WITH (WINDOW_TYPE=...):
 *
 *   TUMBLING, HOPPING:  inner key | start          (8 bytes, big-endian)
 *   SESSION:            inner key | end | start    (8 + 8 bytes)
 *
 * A time window's end is not in the bytes: it is start + the window size.
 * Bounds are valid as Kafka Streams' Window requires: start >= 0 and
 * end >= start.  This is the one codec of these bytes: the source, the
 * sink, INSERT VALUES, PRINT and the test runner all go through it.  (State
 * stores use their own order-preserving suffix, codec.h.) */

typedef enum WindowKind { WKIND_NONE, WKIND_TUMBLING, WKIND_HOPPING, WKIND_SESSION } WindowKind;

/* "TUMBLING", "HOPPING", "SESSION" (NULL for WKIND_NONE). */
const char *window_kind_name(WindowKind k);
/* Parses a WINDOW_TYPE value, case-insensitively; -1 for anything else. */
int window_kind_parse(const char *name, WindowKind *out);

/* Bytes the window takes at the end of a key: 8, 16 for SESSION, 0 for NONE. */
size_t serde_window_len(WindowKind kind);

/* Appends the window of kind (start, and end for SESSION) to out. */
void serde_window_encode(WindowKind kind, int64_t start, int64_t end, StrBuf *out);

/* Splits key[0..len) of a windowed source into the inner key (its first
 * *inner_len bytes) and the window bounds; a time window's end is start +
 * size_ms (saturating).  Returns -1 with ERR_RUNTIME when the key is too
 * short for the window or the bounds are invalid; never reads outside key. */
int serde_window_decode(WindowKind kind, int64_t size_ms, const void *key, size_t len,
                        size_t *inner_len, int64_t *start, int64_t *end, EddyError *err);

/* A record key: the key columns vals[0..ncols) in fmt, then the window
 * (none for WKIND_NONE).  -1 with err if a value cannot be represented or
 * the window bounds are invalid. */
int serde_encode_key(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                     const Value *vals, WindowKind kind, int64_t start, int64_t end, StrBuf *out,
                     EddyError *err);

/* Is a record's key absent (written as a null key)?  No key columns and no
 * window, or every key column NULL: a stream record read with a null key
 * passes on as one, however many key columns and whatever the format, as
 * in ksqlDB. */
bool serde_key_absent(const Value *vals, int ncols, WindowKind kind);

/* Decodes a record key into out[0..ncols) and, for a windowed kind, its
 * window (*start, *end; both -1 for WKIND_NONE).  Errors as serde_decode,
 * with the reason of a bad window. */
int serde_decode_key(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                     WindowKind kind, int64_t size_ms, const void *buf, size_t len, Value *out,
                     int64_t *start, int64_t *end, Arena *arena, EddyError *err);

/* ---- JSON <-> Value (used by serde, INSERT VALUES and the test runner) -- */

/* jansson's json_t, without including jansson.h here. */
struct json_t;
/* Converts a JSON value (borrowed) to a Value of `type`, with ksqlDB's
 * JSON coercions (numbers from numeric strings, STRING from any scalar's
 * text, TIMESTAMP from a number of ms or an ISO string, ...).  *out lives
 * in arena and borrows nothing of j. */
int json_to_value(const struct json_t *j, const SqlType *type, Arena *arena, Value *out,
                  EddyError *err);
/* Returns a new json_t owned by the caller; free with json_decref. */
struct json_t *value_to_json(const Value *v, const SqlType *type);
/* Appends v as ksqlDB's REST API writes a row's value: the JSON format's
 * encoding (DECIMAL with its scale, 12.30; DOUBLE as Java prints it), but
 * TIMESTAMP, DATE and TIME as ISO text, also inside arrays, maps and
 * structs. */
void value_write_rest_json(const Value *v, const SqlType *type, StrBuf *out);

#endif
