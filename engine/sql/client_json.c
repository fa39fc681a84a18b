/*
 * client_json.c - query rows for a program (EngineOutput.row_json, used by
 * eddy server): a header naming the query, its columns and their types,
 * then each row as a JSON array, the encoding of ksqlDB's REST API
 * (/query-stream).  Values go through value_to_json, the encoding INSERT
 * VALUES and the test runner share, except the temporal types, which
 * ksqlDB's REST API writes as text (rest_json).
 */
#include "engine_int.h"
#include "eddy/engine/serde.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void emit(Engine *e, const char *query_id, json_t *j, bool header)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (text == NULL)
        abort();   /* out of memory: what json_dumps fails on for our values */
    e->out.row_json(e->out.ud, query_id, text, header);
    free(text);
}

void engine_json_header(Engine *e, const char *query_id, const Schema *schema)
{
    if (e->out.row_json == NULL)
        return;
    json_t *names = json_array(), *types = json_array();
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < schema->ncols; i++) {
        json_array_append_new(names, json_string(schema->cols[i].name));
        sb_reset(&sb);
        type_format(schema->cols[i].type, &sb);
        json_array_append_new(types, json_string(sb.data ? sb.data : ""));
    }
    sb_free(&sb);
    emit(e, query_id, json_pack("{s:s, s:o, s:o}", "queryId", query_id, "columnNames", names,
                      "columnTypes", types), true);
}

/* A value as ksqlDB's REST API writes it: value_to_json's encoding, but
 * TIMESTAMP, DATE and TIME as text (2021-01-01T10:00:00.000, 2021-01-01,
 * 10:00:00 with .SSS when the milliseconds are not 0), also inside
 * arrays, maps and structs. */
static json_t *rest_json(const Value *v, const SqlType *type)
{
    StrBuf sb;
    json_t *j;
    switch (v->kind) {
    case TYPE_TIMESTAMP:
    case TYPE_DATE:
    case TYPE_TIME: {
        int64_t ms = v->kind == TYPE_TIMESTAMP ? v->u.i64
                   : v->kind == TYPE_DATE ? (int64_t)v->u.i32 * 86400000 : v->u.i32;
        sb_init(&sb);
        eddy_format_time(ms, &sb);   /* yyyy-MM-ddTHH:mm:ss.SSS */
        const char *t = sb.data ? sb.data : "";
        size_t len = strlen(t);
        if (v->kind == TYPE_DATE)
            j = json_stringn(t, len < 10 ? len : 10);
        else if (v->kind == TYPE_TIME && len >= 23)
            j = json_stringn(t + 11, strcmp(t + 19, ".000") == 0 ? 8 : 12);
        else
            j = json_string(t);
        sb_free(&sb);
        return j;
    }
    case TYPE_ARRAY: {
        const SqlType *et = type && type->kind == TYPE_ARRAY ? type->elem : NULL;
        j = json_array();
        for (int32_t i = 0; i < v->u.arr.n; i++)
            json_array_append_new(j, rest_json(&v->u.arr.items[i], et));
        return j;
    }
    case TYPE_MAP: {
        const SqlType *vt = type && type->kind == TYPE_MAP ? type->elem : NULL;
        j = json_object();
        for (int32_t i = 0; i < v->u.map.n; i++) {
            sb_init(&sb);
            value_format(&v->u.map.keys[i], &sb);   /* the key's text, as value_to_json */
            json_object_setn_new(j, sb.data ? sb.data : "", sb.len, rest_json(&v->u.map.vals[i], vt));
            sb_free(&sb);
        }
        return j;
    }
    case TYPE_STRUCT: {
        bool named = type && type->kind == TYPE_STRUCT && type->nfields == v->u.st.n;
        if (!named)
            return value_to_json(v, type);
        j = json_object();
        for (int32_t i = 0; i < v->u.st.n; i++)
            json_object_set_new(j, type->fields[i].name,
                                rest_json(&v->u.st.fields[i], type->fields[i].type));
        return j;
    }
    default:
        return value_to_json(v, type);
    }
}

void engine_json_row(Engine *e, const char *query_id, const Schema *schema, const Value *vals,
                     int n)
{
    if (e->out.row_json == NULL)
        return;
    json_t *row = json_array();
    for (int i = 0; i < n && i < schema->ncols; i++)
        json_array_append_new(row, rest_json(&vals[i], schema->cols[i].type));
    emit(e, query_id, row, false);
}
