/*
 * codec.h - the two byte encodings of state: order-preserving keys and
 * compact binary rows.
 *
 * Keys (keycodec_): a list of Values encoded so that memcmp order of two
 * encodings (shorter first on a common prefix, as RocksDB's bytewise
 * comparator does) equals SQL order column by column.  Every value starts
 * with a type tag; NULL has the smallest tag, so NULL sorts first.  Each
 * encoded value is self-delimiting, so a key followed by more bytes (a
 * window start) still sorts by the key first:
 *
 *   windowed key  = key | window start          (8 bytes, sign-flipped big-endian)
 *   session key   = key | window end | window start
 *
 * and a range scan over [key | lo, key | hi) finds a key's windows in order.
 * Per kind: INT, DATE, TIME 4 bytes and BIGINT, TIMESTAMP 8 bytes,
 * sign-flipped big-endian; DOUBLE as its IEEE bits, sign-folded (-0.0 is
 * written as 0.0 and every NaN as one NaN that sorts above +Infinity, as
 * value_compare orders them); DECIMAL by value (sign, decimal exponent,
 * digits), then precision and scale; STRING and BYTES byte-stuffed (0x00 ->
 * 0x00 0xFF, end 0x00 0x01) so a prefix sorts first; BOOLEAN one byte;
 * ARRAY and STRUCT element by element, then an end byte below every tag;
 * MAP entries sorted by their encoded key, so equal maps encode equally
 * (maps have no SQL order; the order is only canonical).
 *
 * Rows (rowcodec_): the values of a state row, self-describing: a varint
 * count, then per value a kind byte and its payload (zig-zag varints for
 * integers, 8 raw bytes for DOUBLE, varint length + bytes for STRING and
 * BYTES, a varint count for ARRAY/MAP/STRUCT).  Not ordered; compact and
 * fast.  Round trips are exact, -0.0 and NaN payloads included.
 *
 * All functions are total: any Value the engine can build encodes, any
 * byte string decodes or fails with -1; none reads outside its buffer.
 * Encoders append to out and allocate nothing but out's growth; decoders
 * allocate nothing but from the arena.  Decoded strings and bytes live in
 * the arena and are NUL-terminated.
 */
#ifndef EDDY_CODEC_H
#define EDDY_CODEC_H

#include "eddy/base.h"
#include "eddy/value.h"

/* Nesting deeper than this (ARRAY in ARRAY in ...) fails to encode and
 * to decode: it bounds the recursion on hostile input. */
#define CODEC_MAX_DEPTH 64

/* ---- order-preserving keys -------------------------------------------- */

/* Appends the key encoding of vals[0..n) to out.  Returns 0, or -1 (out
 * unchanged) for a value no engine code builds: unknown kind, negative
 * length, nesting deeper than CODEC_MAX_DEPTH. */
int keycodec_encode(const Value *vals, int n, StrBuf *out);

/* Decodes exactly n values from buf[0..len) into out[0..n); composite and
 * string values are allocated in a.  Returns 0, or -1 with err (ERR_RUNTIME)
 * when the bytes are not n encoded values or have bytes left over.
 * A DOUBLE decodes as written (0.0 for -0.0). */
int keycodec_decode(const void *buf, size_t len, Value *out, int n, Arena *a, EddyError *err);

/* Like keycodec_decode, but buf may go on after the n values (a window
 * suffix): *used is set to the bytes the n values took. */
int keycodec_decode_prefix(const void *buf, size_t len, Value *out, int n, size_t *used,
                           Arena *a, EddyError *err);

/* Appends the 8-byte window start of a windowed key. */
void keycodec_window(StrBuf *out, int64_t window_start);

/* Splits a windowed key: *key_len = len - 8, *window_start from the last 8
 * bytes.  Returns 0, or -1 if len < 8. */
int keycodec_split_window(const void *buf, size_t len, size_t *key_len, int64_t *window_start);

/* Appends a session window: end, then start (8 bytes each), so a key's
 * sessions sort by end time. */
void keycodec_session(StrBuf *out, int64_t window_end, int64_t window_start);

/* Splits a session key (last 16 bytes).  Returns 0, or -1 if len < 16. */
int keycodec_split_session(const void *buf, size_t len, size_t *key_len,
                           int64_t *window_end, int64_t *window_start);

/* The 8-byte order-preserving form of an int64 (sign-flipped big-endian),
 * for callers that build bounds by hand. */
void keycodec_put_i64(unsigned char dst[8], int64_t v);
int64_t keycodec_get_i64(const unsigned char src[8]);

/* ---- geohash cells (a table's geo index: op_sink.c, pull.c) ------------ */

/* A cell of a GEOCELL_BITS-bit geohash: longitude and latitude bits
 * interleaved, longitude first, as geohash does (its base-32 text is the
 * same bits), so nearby cells sort near each other.  Each axis gets
 * GEOCELL_AXIS_BITS bits: cells of 180/8192 degrees of latitude (2.4 km)
 * by 360/8192 of longitude (4.9 km at the equator). */
#define GEOCELL_AXIS_BITS 13
#define GEOCELL_BITS (2 * GEOCELL_AXIS_BITS)
#define GEOCELL_AXIS_CELLS (1 << GEOCELL_AXIS_BITS)
/* The axis indexes of a position (clamped into range; NaN counts as 0). */
void geocell_axes(double lat, double lng, int *lat_i, int *lng_i);
/* The cell's key prefix: 4 bytes, big-endian, the first below 0x04. */
void geocell_key(int lat_i, int lng_i, unsigned char out[4]);

/* ---- compact rows ------------------------------------------------------ */

/* Appends the row encoding of vals[0..n) to out.  Returns 0, or -1 (out
 * unchanged) for an unknown kind, a negative length or nesting deeper
 * than CODEC_MAX_DEPTH. */
int rowcodec_encode(const Value *vals, int n, StrBuf *out);

/* Decodes a row from buf[0..len) into out[0..*n); at most max values.
 * Returns 0, or -1 with err (ERR_RUNTIME) on malformed or truncated bytes,
 * trailing bytes, or more than max values. */
int rowcodec_decode(const void *buf, size_t len, Value *out, int max, int *n,
                    Arena *a, EddyError *err);

#endif
