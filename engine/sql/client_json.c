/*
 * client_json.c - query rows for a program (EngineOutput.row_json, used by
 * eddy server): a header naming the query, its columns and their types,
 * then each row as a JSON array, the encoding of ksqlDB's REST API
 * (/query-stream).  Rows are written by value_write_rest_json, the JSON
 * format's own writer with the temporal types as text: jansson's reals
 * would lose a DECIMAL's scale (12.30) and print DOUBLEs to 17 digits.
 */
#include "engine_int.h"
#include "eddy/engine/serde.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void emit(Engine *e, json_t *j, bool header)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (text == NULL)
        abort();   /* out of memory: what json_dumps fails on for our values */
    e->out.row_json(e->out.ud, text, header);
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
    emit(e, json_pack("{s:s, s:o, s:o}", "queryId", query_id, "columnNames", names,
                      "columnTypes", types), true);
}

void engine_json_row(Engine *e, const Schema *schema, const Value *vals, int n)
{
    if (e->out.row_json == NULL)
        return;
    StrBuf sb;
    sb_init(&sb);
    sb_putc(&sb, '[');
    for (int i = 0; i < n && i < schema->ncols; i++) {
        if (i)
            sb_putc(&sb, ',');
        value_write_rest_json(&vals[i], schema->cols[i].type, &sb);
    }
    sb_putc(&sb, ']');
    e->out.row_json(e->out.ud, sb.data, false);
    sb_free(&sb);
}
