/*
 * fuzz_sql.c - libFuzzer target: the input is statement text, run by a
 * fresh engine on in-memory topics (the parser, the binder and planner
 * against a fixed catalog, DDL, SHOW/DESCRIBE/EXPLAIN, pull queries), then
 * polled a few times so the queries it started run over a few records.
 *
 * The catalog: stream FZS and table FZT with a column of every type
 * (JSON), stream FZD with every primitive type (DELIMITED, an INT key),
 * three records in each topic (one of them all nulls; a tombstone for
 * FZT).  Names the QTT cases (the seeds) do not use, so their own CREATEs
 * still run.  A fresh
 * engine per input keeps inputs independent (a crash replays from its
 * input alone).
 *
 * Invariants checked beyond "no crash, no leak, no UB": a failing
 * statement's error has a kind and a message, and formats.
 *
 * EDDY_FUZZ_DICT=FILE: write a libFuzzer dictionary (the keywords and the
 * function names, from the embedding API) to FILE and exit (run.sh).
 * EDDY_FUZZ_VERBOSE=1: print each input's error and output (to see what an
 * input does: fuzz_sql -runs=1 FILE).
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 4096, MAX_POLLS = 20 };

#define EVERY_TYPE \
    "B BOOLEAN, I INT, L BIGINT, D DOUBLE, DC DECIMAL(10, 2), S STRING, BS BYTES, " \
    "TS TIMESTAMP, DT DATE, TM TIME, A ARRAY<INT>, M MAP<STRING, DOUBLE>, " \
    "ST STRUCT<X INT, Y ARRAY<STRING>>"

static const char catalog[] =
    "CREATE STREAM FZS (K STRING KEY, " EVERY_TYPE ") "
    "WITH (kafka_topic='fzs', value_format='JSON', partitions=1);\n"
    "CREATE TABLE FZT (K STRING PRIMARY KEY, " EVERY_TYPE ") "
    "WITH (kafka_topic='fzt', value_format='JSON', partitions=1);\n"
    "CREATE STREAM FZD (K INT KEY, B BOOLEAN, I INT, L BIGINT, D DOUBLE, DC DECIMAL(4, 1), "
    "S STRING, TS TIMESTAMP) WITH (kafka_topic='fzd', value_format='DELIMITED', partitions=1);\n";

#define ROW_1 \
    "{\"B\":true,\"I\":1,\"L\":10000000000,\"D\":1.5,\"DC\":12.34,\"S\":\"a,b\",\"BS\":\"AQI=\"," \
    "\"TS\":1700000000000,\"DT\":19000,\"TM\":3600000,\"A\":[1,null,3]," \
    "\"M\":{\"x\":1.0,\"y\":null},\"ST\":{\"X\":7,\"Y\":[\"p\",\"q\"]}}"
#define ROW_2 \
    "{\"B\":false,\"I\":-2,\"L\":-1,\"D\":-0.0,\"DC\":-0.5,\"S\":\"\",\"BS\":\"\"," \
    "\"TS\":0,\"DT\":-1,\"TM\":0,\"A\":[],\"M\":{},\"ST\":{\"X\":null,\"Y\":[]}}"

static const struct {
    const char *topic, *key, *value;   /* value NULL: tombstone */
    int64_t ts;
} records[] = {
    {"fzs", "k1", ROW_1, 1000},
    {"fzs", "k2", ROW_2, 2000},
    {"fzs", "k1", "{}", 3000},
    {"fzt", "k1", ROW_1, 1000},
    {"fzt", "k2", ROW_2, 2000},
    {"fzt", "k1", NULL, 3000},
    {"fzd", "\0\0\0\1", "true,1,2,3.5,12.3,\"x,y\",1000", 1000},
    {"fzd", "\0\0\0\2", ",,,,,,", 2000},
    {"fzd", NULL, "false,-1,-2,-0.5,0.0,,0", 3000},
};

static bool verbose;

static void on_text(void *ud, const char *text)
{
    if (verbose)
        fputs(text, stderr);
}

static void on_log(void *ud, int level, const char *msg)
{
    if (verbose)
        fprintf(stderr, "log %d: %s\n", level, msg);
}

static void on_row(void *ud, const char *const *cols, int n, bool header)
{
    for (int i = 0; verbose && i < n; i++)
        fprintf(stderr, "%s%s", cols[i], i + 1 < n ? " | " : "\n");
}

static void write_dict(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    for (const char *const *k = eddy_keywords(); *k; k++)
        fprintf(f, "\"%s\"\n", *k);
    for (int i = 0; eddy_function_name(i); i++)
        fprintf(f, "\"%s(\"\n", eddy_function_name(i));
    const char *more[] = {"'", "`", "(", ")", ",", ";", "=>", "->", "[", "]", ":=", "<", ">",
                          "kafka_topic=", "value_format=", "key_format=", "'JSON'",
                          "'DELIMITED'", "'KAFKA'", "partitions=1", "WINDOW_TYPE=", "'SESSION'",
                          "EMIT CHANGES", "FZS", "FZT", "FZD", "K", "ST->X", "M['x']", "A[1]"};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
        fputc('"', f);
        for (const char *c = more[i]; *c; c++)
            fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
        fputs("\"\n", f);
    }
    fclose(f);
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dict = getenv("EDDY_FUZZ_DICT");
    if (dict)
        write_dict(dict);
    verbose = getenv("EDDY_FUZZ_VERBOSE") != NULL;
    return 0;
}

static Engine *start(Transport *t)
{
    const char *props[] = {"auto.offset.reset", "earliest", NULL};
    EngineConfig cfg = {
        .transport = t,
        .out = {.text = on_text, .log = on_log, .row = on_row},
        .props = props,
        .deterministic = true,
        .auto_create_topics = true,
    };
    EddyError err;
    Engine *e = engine_create(&cfg, &err);
    if (e == NULL || engine_execute(e, catalog, "catalog", &err) != 0) {
        fprintf(stderr, "fuzz_sql: the catalog fails: %s\n", err.msg);
        abort();
    }
    for (size_t i = 0; i < sizeof records / sizeof *records; i++) {
        size_t klen = records[i].key == NULL ? 0 : strcmp(records[i].topic, "fzd") == 0 ? 4
                                                                              : strlen(records[i].key);
        const char *v = records[i].value;
        if (t->ops->produce(t, records[i].topic, 0, records[i].key, klen, v, v ? strlen(v) : 0,
                            records[i].ts, &err) != 0)
            abort();
    }
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    char *text = fuzz_text(data, size);

    Transport *t = memory_transport_create(1);
    Engine *e = start(t);
    EddyError err;
    eddy_error_clear(&err);
    if (engine_execute(e, text, "fuzz", &err) != 0) {
        if (err.kind == ERR_NONE || err.msg[0] == '\0') {
            fprintf(stderr, "fuzz_sql: a failure without an error\n");
            abort();
        }
        char buf[4096];
        eddy_error_format(&err, text, buf, sizeof buf);
        if (verbose)
            fprintf(stderr, "error: %s\n", buf);
    }
    for (int i = 0; i < MAX_POLLS; i++)
        if (engine_poll(e, 0, &err) <= 0)
            break;
    if (engine_has_transient(e))
        engine_cancel_transient(e);
    engine_destroy(e);
    t->ops->destroy(t);
    free(text);
    return 0;
}
