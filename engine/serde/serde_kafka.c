/*
 * serde_kafka.c - the KAFKA format (ksqlDB's KafkaSerdeFactory): Kafka's
 * own serializations of one column: INT and BIGINT as 4/8-byte big-endian
 * integers, DOUBLE as IEEE-754 big-endian, STRING as UTF-8, BYTES as they
 * are.  BOOLEAN is rejected, as ksqlDB does.
 */
#include "serde_int.h"

#include <string.h>

/* ---- KAFKA ---------------------------------------------------------------------- */

int serde_kafka_decode(const Column *cols, int ncols, const void *buf, size_t len, Value *out,
                       Arena *arena, EddyError *err)
{
    if (ncols == 0)
        return 0;
    if (ncols > 1)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                          "The 'KAFKA' format only supports a single field, got %d", ncols);
    const unsigned char *b = buf;
    TypeKind k = cols[0].type->kind;
    size_t want = k == TYPE_INT ? 4 : (k == TYPE_BIGINT || k == TYPE_DOUBLE) ? 8 : 0;
    if (want && len != want)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                          "field %s: the 'KAFKA' format needs %zu bytes for %s, got %zu",
                          cols[0].name, want, type_kind_name(k), len);
    switch (k) {
    case TYPE_INT:
        out[0] = v_int((int32_t)be32_get(b));
        return 0;
    case TYPE_BIGINT:
        out[0] = v_bigint((int64_t)be64_get(b));
        return 0;
    case TYPE_DOUBLE: {
        uint64_t bits = be64_get(b);
        double d;
        memcpy(&d, &bits, sizeof d);
        out[0] = v_double(d);
        return 0;
    }
    case TYPE_STRING:
        out[0] = v_string(arena, buf, (int32_t)len);
        return 0;
    case TYPE_BYTES:
        out[0] = v_bytes(arena, buf, (int32_t)len);
        return 0;
    default:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                          "field %s: the 'KAFKA' format does not support type %s", cols[0].name,
                          type_kind_name(k));
    }
}

int serde_kafka_encode(const Column *cols, int ncols, const Value *vals, StrBuf *out,
                       EddyError *err)
{
    if (ncols == 0)
        return 0;
    if (ncols > 1)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                          "The 'KAFKA' format only supports a single field, got %d", ncols);
    Value v = vals[0];
    TypeKind k = cols[0].type->kind;
    if (v.kind == TYPE_NULL)
        return 0;   /* the record carries a null key/value; nothing to write */
    if (v.kind != k) {
        Value c;
        bool numeric = k == TYPE_INT || k == TYPE_BIGINT || k == TYPE_DOUBLE;
        if (!numeric || value_cast(&v, cols[0].type, NULL, &c, NULL) != 0)
            return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                              "column %s: a %s value cannot be written as KAFKA %s", cols[0].name,
                              type_kind_name(v.kind), type_kind_name(k));
        v = c;
    }
    switch (k) {
    case TYPE_INT: {
        unsigned char b[4];
        be32_put(b, (uint32_t)v.u.i32);
        sb_append(out, (const char *)b, 4);
        return 0;
    }
    case TYPE_BIGINT:
        sb_put_be64(out, (uint64_t)v.u.i64);
        return 0;
    case TYPE_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v.u.d, sizeof bits);
        sb_put_be64(out, bits);
        return 0;
    }
    case TYPE_STRING:
    case TYPE_BYTES:
        sb_append(out, v.u.str.ptr, (size_t)v.u.str.len);
        return 0;
    default:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                          "column %s: the 'KAFKA' format does not support type %s", cols[0].name,
                          type_kind_name(k));
    }
}
