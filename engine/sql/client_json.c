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

void engine_json_row(Engine *e, const char *query_id, const Schema *schema, const Value *vals,
                     int n)
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
    e->out.row_json(e->out.ud, query_id, sb.data, false);
    sb_free(&sb);
}

/* ---- DESCRIBE as ksqlDB's sourceDescription entity ------------------------------ */

/* ksqlDB's SchemaInfo: {"type", "fields" (a STRUCT's), "memberSchema" (an
 * ARRAY's element, a MAP's value)}, and a DECIMAL's parameters. */
static json_t *schema_info(const SqlType *t)
{
    json_t *fields = json_null(), *member = json_null();
    if (t->kind == TYPE_STRUCT) {
        fields = json_array();
        for (int i = 0; i < t->nfields; i++)
            json_array_append_new(fields, json_pack("{s:s, s:o}", "name", t->fields[i].name,
                                                    "schema", schema_info(t->fields[i].type)));
    } else if ((t->kind == TYPE_ARRAY || t->kind == TYPE_MAP) && t->elem) {
        member = schema_info(t->elem);
    }
    json_t *j = json_pack("{s:s, s:o, s:o}", "type", type_kind_name(t->kind), "fields", fields,
                          "memberSchema", member);
    if (t->kind == TYPE_DECIMAL)
        json_object_set_new(j, "parameters", json_pack("{s:i, s:i}", "precision", t->precision,
                                                       "scale", t->scale));
    return j;
}

/* ksqlDB's windowType of a source: null, or TUMBLING, HOPPING, SESSION. */
static json_t *window_type(const CatSource *src)
{
    return src == NULL || src->window_kind == WKIND_NONE ? json_null()
                                                         : json_string(window_kind_name(src->window_kind));
}

/* A query's sink names and topics, as ksqlDB lists them (empty arrays
 * for a query without a sink). */
static void sink_lists(const Query *q, json_t **sinks, json_t **topics)
{
    *sinks = json_array();
    *topics = json_array();
    if (q->sink) {
        json_array_append_new(*sinks, json_string(q->sink->name));
        json_array_append_new(*topics, json_string(q->sink->topic));
    }
}

/* ksqlDB's FieldInfo list of a schema: name, schema, "type": "KEY" for a
 * key column. */
static json_t *schema_fields(const Schema *sc)
{
    json_t *fields = json_array();
    for (int i = 0; sc && i < sc->ncols; i++) {
        const Column *c = &sc->cols[i];
        json_t *f = json_pack("{s:s, s:o}", "name", c->name, "schema", schema_info(c->type));
        if (c->role == COL_KEY)
            json_object_set_new(f, "type", json_string("KEY"));
        json_array_append_new(fields, f);
    }
    return fields;
}

/* ksqlDB's RunningQuery: the query's text, sinks and state. */
static json_t *running_query(const Query *q)
{
    const char *state = query_state_name(q->state);
    json_t *sinks, *topics;
    sink_lists(q, &sinks, &topics);
    return json_pack("{s:s, s:o, s:o, s:s, s:{s:i}, s:s, s:s}", "queryString", q->sql, "sinks", sinks,
                     "sinkKafkaTopics", topics, "id", q->id, "statusCount", state, 1, "queryType",
                     "PERSISTENT", "state", state);
}

json_t *engine_describe_json(Engine *e, const char *name, bool extended)
{
    CatSource *src = catalog_find(&e->cat, name);
    if (src == NULL)
        return NULL;
    json_t *fields = schema_fields(src->schema), *reads = json_array(), *writes = json_array();
    for (int i = 0; i < e->cat.queries.n; i++) {
        const Query *q = e->cat.queries.items[i];
        if (q->state == QSTATE_TERMINATED)
            continue;
        bool reader = false;
        for (int k = 0; k < q->ninputs; k++)
            reader |= q->inputs[k] == src;
        if (q->sink == src)
            json_array_append_new(writes, running_query(q));
        else if (reader)
            json_array_append_new(reads, running_query(q));
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:i, s:i, "
                     "s:s, s:[], s:[]}",
                     "name", src->name, "windowType", window_type(src), "readQueries", reads, "writeQueries",
                     writes, "fields", fields, "type", src->is_table ? "TABLE" : "STREAM",
                     "timestamp", src->timestamp_col >= 0 ? src->schema->cols[src->timestamp_col].name : "",
                     "statistics", "", "errorStats", "", "extended", extended, "keyFormat",
                     format_name(src->key_format), "valueFormat", format_name(src->value_format),
                     "topic", src->topic, "partitions", src->partitions, "replication",
                     src->replicas, "statement", src->sql, "queryOffsetSummaries",
                     "sourceConstraints");
}

/* ---- EXPLAIN of a query as ksqlDB's queryDescription entity --------------------- */

json_t *engine_query_json(Engine *e, const char *id)
{
    const Query *q = engine_find_query(e, id);
    if (q == NULL)
        return NULL;
    json_t *fields = schema_fields(q->sink ? q->sink->schema : NULL), *sources = json_array();
    for (int k = 0; k < q->ninputs; k++)
        json_array_append_new(sources, json_string(q->inputs[k]->name));
    json_t *sinks, *topics;
    sink_lists(q, &sinks, &topics);
    json_t *props = json_object();
    for (int k = 0; k < q->nprops; k++)
        json_object_set_new(props, q->prop_names[k], json_string(q->prop_values[k]));
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:[], s:s}", "id", q->id,
                     "statementText", q->sql, "windowType", window_type(q->sink), "fields", fields, "sources",
                     sources, "sinks", sinks, "sinkKafkaTopics", topics, "overriddenProperties",
                     props, "queryType", "PERSISTENT", "queryErrors", "state",
                     query_state_name(q->state));
}
