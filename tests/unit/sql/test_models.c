/*
 * test_models.c - models through the embedding API on in-memory topics:
 * CREATE OR REPLACE MODEL switches a running query at an exact point
 * (every record before the recorded offsets scored once by version 1,
 * every one from them once by version 2), a restart on RocksDB keeps
 * scoring with the stored copy of version 2 (the original file gone), a
 * changed stored copy stops the restart with a clear error; the
 * statements' checks and notes.
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "engine_testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Version 1 scores x as x, version 2 as 2x + 100. */
static const char *V1 = "{\"type\":\"linear\",\"features\":[\"X\"],\"coefficients\":[1.0],\"intercept\":0}";
static const char *V2 = "{\"type\":\"linear\",\"features\":[\"X\"],\"coefficients\":[2.0],\"intercept\":100}";

/* Readings n = from .. to-1 into partition n % 2, x = n. */
static void produce(Transport *t, int from, int to)
{
    EddyError err;
    for (int n = from; n < to; n++) {
        char k[32], v[64];
        int kl = snprintf(k, sizeof k, "k%d", n);
        int vl = snprintf(v, sizeof v, "{\"N\":%d,\"X\":%d}", n, n);
        t->ops->produce(t, "ins", n % 2, k, (size_t)kl, v, (size_t)vl, 1000 + n, &err);
    }
}

typedef struct Switch {
    int64_t offset[2];            /* first offset per partition scored by version 2 */
} Switch;

/* The recorded switch of query q to `version`, from switches.json. */
static bool read_switch_to(const char *dir, const char *q, int version, Switch *sw)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/switches.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    bool found = false;
    size_t i;
    json_t *r;
    sw->offset[0] = sw->offset[1] = -1;
    json_array_foreach(json_object_get(doc, "switches"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "query")), q) != 0 ||
            json_integer_value(json_object_get(r, "version")) != version)
            continue;
        size_t k;
        json_t *o;
        json_array_foreach(json_object_get(r, "offsets"), k, o) {
            int p = (int)json_integer_value(json_object_get(o, "partition"));
            if (p == 0 || p == 1)
                sw->offset[p] = json_integer_value(json_object_get(o, "offset"));
        }
        found = true;
    }
    json_decref(doc);
    return found;
}

static bool read_switch(const char *dir, const char *q, Switch *sw)
{
    return read_switch_to(dir, q, 2, sw);
}

/* Checks every output of readings [0, n): exactly one each, scored by
 * version 1 before the switch offsets of its partition and by version 2
 * from them.  Returns how many version 1 scored. */
static int check_outputs(Transport *t, int n, const Switch *sw)
{
    const TransportRecord *in, *out;
    int nin = memory_transport_records(t, "ins", &in);
    int nout = memory_transport_records(t, "SCORED", &out);
    CHECK_EQ_INT(nin, n);
    CHECK_EQ_INT(nout, n);
    int *seen = calloc((size_t)n, sizeof(int));
    int64_t *offset = calloc((size_t)n, sizeof(int64_t));
    int *part = calloc((size_t)n, sizeof(int));
    for (int i = 0; i < nin; i++) {
        int k = atoi((const char *)in[i].key + 1);
        if (k >= 0 && k < n) {
            offset[k] = in[i].offset;
            part[k] = in[i].partition;
        }
    }
    int v1 = 0, bad = 0;
    for (int i = 0; i < nout; i++) {
        json_t *v = json_loadb(out[i].value, out[i].value_len, 0, NULL);
        int k = (int)json_integer_value(json_object_get(v, "N"));
        int version = (int)json_integer_value(json_object_get(v, "V"));
        double p = json_real_value(json_object_get(v, "P"));
        json_decref(v);
        if (k < 0 || k >= n) {
            bad++;
            continue;
        }
        seen[k]++;
        int want = offset[k] < sw->offset[part[k]] ? 1 : 2;
        double want_p = want == 1 ? k : 2.0 * k + 100;
        if (version != want || p != want_p) {
            if (bad++ < 5)
                fprintf(stderr, "reading %d (partition %d offset %lld): version %d score %g, expected %d %g\n",
                        k, part[k], (long long)offset[k], version, p, want, want_p);
        }
        v1 += version == 1;
    }
    int missing = 0, twice = 0;
    for (int k = 0; k < n; k++) {
        missing += seen[k] == 0;
        twice += seen[k] > 1;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(twice, 0);
    free(seen);
    free(offset);
    free(part);
    return v1;
}

/* A folder with v1.json (V1) and v2.json (V2), in-memory topics with two
 * partitions, and an engine (state under <dir>/state, or in memory). */
typedef struct Fixture {
    char dir[64], v1[128], v2[128], state[128];
    Transport *t;
    Engine *e;
} Fixture;

static void fixture_open(Fixture *f, bool with_state)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/eddy-test-models-XXXXXX");
    CHECK(mkdtemp(f->dir) != NULL);
    snprintf(f->v1, sizeof f->v1, "%s/v1.json", f->dir);
    snprintf(f->v2, sizeof f->v2, "%s/v2.json", f->dir);
    snprintf(f->state, sizeof f->state, "%s/state", f->dir);
    write_file(f->v1, V1);
    write_file(f->v2, V2);
    f->t = memory_transport_create(2);
    f->e = make(f->t, with_state ? f->state : NULL);
}

static void fixture_close(Fixture *f)
{
    engine_destroy(f->e);
    f->t->ops->destroy(f->t);
    testutil_rmtree(f->dir);
}

/* Runs a statement made of fmt with one path. */
static int run_path(Engine *e, const char *fmt, const char *path, EddyError *err)
{
    char sql[1000];
    snprintf(sql, sizeof sql, fmt, path);
    return run(e, sql, err);
}

static bool said(const StrBuf *sb, const char *text)
{
    return sb->data && strstr(sb->data, text) != NULL;
}

/* Model RISK version 1 (v1.json) and query CSAS_SCORED_1 scoring readings
 * of stream INS (two partitions) into SCORED with it. */
static void start_scoring(Fixture *f)
{
    EddyError err;
    CHECK_EQ_INT(run_path(f->e, "CREATE MODEL risk FROM '%s';", f->v1, &err), 0);
    CHECK_EQ_INT(run(f->e,
                     "CREATE STREAM ins (k STRING KEY, n INT, x DOUBLE) WITH (kafka_topic='ins', value_format='JSON', partitions=2);\n"
                     "CREATE STREAM scored AS SELECT k, n, PREDICT(risk, x) AS p, MODEL_VERSION(risk) AS v FROM ins;",
                     &err), 0);
}

static void test_exact_switch_and_restart(void)
{
    Fixture f;
    fixture_open(&f, true);
    Transport *t = f.t;
    EddyError err;
    start_scoring(&f);
    /* Two batches, so the switch falls mid-stream in both partitions. */
    produce(t, 0, 400);
    CHECK(engine_poll(f.e, 0, &err) > 0);
    produce(t, 400, 1200);
    CHECK(engine_poll(f.e, 0, &err) > 0);

    sb_reset(&text_out);
    CHECK_EQ_INT(run_path(f.e, "CREATE OR REPLACE MODEL risk FROM '%s';", f.v2, &err), 0);
    CHECK(said(&text_out, "Model RISK version 2 created"));
    CHECK(said(&text_out, "Query CSAS_SCORED_1 scores with version 2 from offsets ins["));
    produce(t, 1200, 1500);
    drain(f.e);
    Switch sw;
    CHECK(read_switch(f.state, "CSAS_SCORED_1", &sw));
    CHECK(sw.offset[0] > 0 && sw.offset[1] > 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(f.e, "EXPLAIN CSAS_SCORED_1;", &err), 0);
    CHECK(said(&text_out, "  > Score PREDICT(RISK, X), MODEL_VERSION(RISK)\n"));
    CHECK(said(&text_out, "models: RISK version 2 (LINEAR linear, 1 feature)"));
    CHECK(said(&text_out, "schema: [K STRING KEY, N INTEGER, X DOUBLE, PREDICT(RISK, X) DOUBLE, MODEL_VERSION(RISK) INTEGER]"));
    int by_v1 = check_outputs(t, 1500, &sw);
    CHECK(by_v1 > 0 && by_v1 < 1500);
    printf("switch at ins[0]@%lld, ins[1]@%lld: %d readings scored by version 1, %d by version 2\n",
           (long long)sw.offset[0], (long long)sw.offset[1], by_v1, 1500 - by_v1);

    /* DESCRIBE MODEL names the switch point. */
    sb_reset(&text_out);
    CHECK_EQ_INT(run(f.e, "DESCRIBE MODEL risk;", &err), 0);
    char point[128];
    snprintf(point, sizeof point, "ins[0]@%lld, ins[1]@%lld", (long long)sw.offset[0],
             (long long)sw.offset[1]);
    CHECK(said(&text_out, point));
    CHECK(said(&text_out, "Current version      : 2"));

    /* Restart with the original files changed and gone: the stored copy
     * of version 2 scores, the query resumes at its offsets (nothing twice). */
    engine_destroy(f.e);
    write_file(f.v1, "{\"type\":\"linear\",\"features\":[\"X\"],\"coefficients\":[5.0],\"intercept\":5}");
    unlink(f.v2);
    produce(t, 1500, 1800);
    f.e = make(t, f.state);
    CHECK(f.e != NULL);
    if (f.e != NULL) {
        drain(f.e);
        check_outputs(t, 1800, &sw);
        sb_reset(&text_out);
        CHECK_EQ_INT(run(f.e, "DESCRIBE MODEL risk;", &err), 0);
        CHECK(said(&text_out, point));
        engine_destroy(f.e);
    }

    /* A changed stored copy stops the restart, naming the file. */
    char stored[200];
    snprintf(stored, sizeof stored, "%s/models/RISK/v2.json", f.state);
    FILE *fp = fopen(stored, "a");
    CHECK(fp != NULL);
    if (fp) {
        fputs(" ", fp);
        fclose(fp);
    }
    f.e = make_engine(t, f.state, &err);
    CHECK(f.e == NULL);
    CHECK(strstr(err.msg, "models/RISK/v2.json") != NULL);
    CHECK(strstr(err.msg, "was changed") != NULL);
    fixture_close(&f);
}

/* Keeps the records of switches.json that keep(record) says, then adds a
 * record of a version the catalog never had. */
static void edit_switches(const char *state, bool (*keep)(json_t *))
{
    char path[300];
    snprintf(path, sizeof path, "%s/models/switches.json", state);
    json_t *doc = json_load_file(path, 0, NULL);
    json_t *all = json_object_get(doc, "switches"), *kept = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
        if (keep(r))
            json_array_append(kept, r);
    json_array_append_new(kept, json_pack("{s:s, s:s, s:i, s:s, s:i, s:[]}", "query", "CSAS_SCORED_1",
                                          "model", "RISK", "version", 3, "sha256", "00", "at", 0,
                                          "offsets"));
    json_object_set_new(doc, "switches", kept);
    CHECK_EQ_INT(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
}

static bool not_version_2(json_t *r)
{
    return json_integer_value(json_object_get(r, "version")) != 2;
}

/* The process died after logging version 2 and before recording the
 * switch (no record), and a statement that failed left a record of a
 * version never logged: on restart the switch is recorded at the offsets
 * the query resumes from, which are the ones of the switch, and the stray
 * record is dropped. */
static void test_lost_switch_record(void)
{
    Fixture f;
    fixture_open(&f, true);
    EddyError err;
    start_scoring(&f);
    produce(f.t, 0, 300);
    drain(f.e);
    CHECK_EQ_INT(run_path(f.e, "CREATE OR REPLACE MODEL risk FROM '%s';", f.v2, &err), 0);
    Switch before, after;
    CHECK(read_switch(f.state, "CSAS_SCORED_1", &before));
    engine_destroy(f.e);
    edit_switches(f.state, not_version_2);
    CHECK(!read_switch(f.state, "CSAS_SCORED_1", &after));
    f.e = make(f.t, f.state);
    CHECK(f.e != NULL);
    CHECK(read_switch(f.state, "CSAS_SCORED_1", &after));
    CHECK_EQ_INT(after.offset[0], before.offset[0]);
    CHECK_EQ_INT(after.offset[1], before.offset[1]);
    CHECK_EQ_INT(before.offset[0] + before.offset[1], 300);
    char path[300];
    snprintf(path, sizeof path, "%s/models/switches.json", f.state);
    json_t *doc = json_load_file(path, 0, NULL);
    CHECK_EQ_INT(json_array_size(json_object_get(doc, "switches")), 2);   /* v1, then v2 */
    json_decref(doc);
    fixture_close(&f);
}

/* Re-running a file: the same CREATE MODEL is skipped (even when its file
 * is gone), a changed file needs OR REPLACE, the same bytes add no version. */
static void test_create_again(void)
{
    Fixture f;
    fixture_open(&f, false);
    EddyError err;
    const char *create = "CREATE MODEL m FROM '%s';", *replace = "CREATE OR REPLACE MODEL m FROM '%s';";
    CHECK_EQ_INT(run_path(f.e, create, f.v1, &err), 0);
    sb_reset(&log_out);
    CHECK_EQ_INT(run_path(f.e, create, f.v1, &err), 0);
    CHECK(said(&log_out, "skipped CREATE MODEL M: it exists with these bytes (version 1)"));
    write_file(f.v1, V2);
    CHECK_EQ_INT(run_path(f.e, create, f.v1, &err), -1);
    CHECK(strstr(err.msg, "model M exists (version 1); CREATE OR REPLACE MODEL loads a new version") != NULL);
    CHECK_EQ_INT(err.pos.col, 14);
    CHECK_EQ_INT(run_path(f.e, replace, f.v1, &err), 0);
    sb_reset(&log_out);
    CHECK_EQ_INT(run_path(f.e, replace, f.v1, &err), 0);
    CHECK(said(&log_out, "version 2 has these bytes already"));
    /* The statement that made version 1, run again after the upgrade. */
    write_file(f.v1, V1);
    sb_reset(&log_out);
    CHECK_EQ_INT(run_path(f.e, create, f.v1, &err), 0);
    CHECK(said(&log_out, "skipped CREATE MODEL M: version 1 has these bytes; the model is at version 2"));
    unlink(f.v1);
    sb_reset(&log_out);
    CHECK_EQ_INT(run_path(f.e, create, f.v1, &err), 0);
    CHECK(said(&log_out, "skipped CREATE MODEL M: it exists (version 2)"));
    CHECK_EQ_INT(run_path(f.e, replace, f.v1, &err), -1);
    CHECK(strstr(err.msg, f.v1) != NULL);
    /* OR REPLACE with an older version's bytes: a rollback, said so. */
    write_file(f.v1, V1);
    sb_reset(&log_out);
    CHECK_EQ_INT(run_path(f.e, replace, f.v1, &err), 0);
    CHECK(said(&log_out, "these bytes are version 1's; version 3 gets them (a rollback)"));
    CHECK_EQ_INT(run_path(f.e, replace, f.v2, &err), 0);
    CHECK(said(&log_out, "these bytes are version 2's; version 4 gets them (a rollback)"));
    sb_reset(&text_out);
    CHECK_EQ_INT(run(f.e, "SHOW MODELS;", &err), 0);
    CHECK(said(&text_out, " M "));
    CHECK(said(&text_out, "| 4 "));
    fixture_close(&f);
}

/* Positioned errors of the statements. */
static void test_errors(void)
{
    Fixture f;
    fixture_open(&f, false);
    Engine *e = f.e;
    EddyError err;
    CHECK_EQ_INT(run_path(e, "CREATE MODEL risk FROM '%s';", f.v1, &err), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM ins (k STRING KEY, x DOUBLE, c STRING) WITH (kafka_topic='ins', value_format='JSON');", &err), 0);

    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k,\n  PREDICT(risc, x) AS p FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "unknown model RISC; did you mean RISK?") != NULL);
    CHECK_EQ_INT(err.pos.line, 2);
    CHECK_EQ_INT(err.pos.col, 11);
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k, PREDICT(risk, x, x) AS p FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "has 2 features, but model RISK (version 1) takes 1: X") != NULL);
    CHECK_EQ_INT(err.pos.col, 47);   /* the extra feature */
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k, PREDICT(risk) AS p FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "has 0 features") != NULL);
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k, PREDICT(risk, c) AS p FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "feature 1 (X) of PREDICT(RISK, ...) must be numeric") != NULL);
    CHECK_EQ_INT(err.pos.col, 44);
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k, PREDICT('risk', x) AS p FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "the first argument of PREDICT names a model") != NULL);
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k, PREDICT(risk, PREDICT(risk, x)) AS p FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "cannot be a feature of PREDICT") != NULL);
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k, MODEL_VERSION(risk, x) AS v FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "MODEL_VERSION takes one argument") != NULL);
    CHECK_EQ_INT(run(e, "INSERT INTO ins (k, x) VALUES ('a', PREDICT(risk, 1.0));", &err), -1);
    CHECK(strstr(err.msg, "PREDICT is not allowed here") != NULL);
    CHECK_EQ_INT(run_path(e, "CREATE MODEL m2 FROM '%s' WITH (VERSION=3);", f.v1, &err), -1);
    CHECK(strstr(err.msg, "VERSION is the engine's record") != NULL);
    CHECK_EQ_INT(run_path(e, "CREATE MODEL m2 FROM '%s' WITH (FORMAT='ONNX');", f.v1, &err), -1);
    CHECK(strstr(err.msg, "FORMAT of a model must be 'XGBOOST' or 'LINEAR', not ONNX") != NULL);
    CHECK_EQ_INT(run_path(e, "CREATE MODEL m2 FROM '%s' WITH (FORMAT='XGBOOST');", f.v1, &err), -1);
    CHECK(strstr(err.msg, "cannot load model M2") != NULL);
    CHECK_EQ_INT(run(e, "CREATE MODEL m2 FROM 'no/such/file.json';", &err), -1);
    CHECK(strstr(err.msg, "no/such/file.json") != NULL);

    /* DROP while a query uses it, naming the query; then after TERMINATE. */
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT k, PREDICT(risk, x) AS p FROM ins;", &err), 0);
    CHECK_EQ_INT(run(e, "DROP MODEL risk;", &err), -1);
    CHECK(strstr(err.msg, "cannot drop model RISK: query CSAS_O_1 scores with it") != NULL);
    CHECK_EQ_INT(run(e, "DROP MODEL IF EXISTS nope;", &err), 0);
    CHECK_EQ_INT(run(e, "DROP MODEL nope;", &err), -1);
    CHECK(strstr(err.msg, "unknown model NOPE") != NULL);
    /* A new version must fit the running query. */
    char v3[200];
    snprintf(v3, sizeof v3, "%s/v3.json", f.dir);
    write_file(v3, "{\"type\":\"linear\",\"features\":[\"X\",\"Y\"],\"coefficients\":[1,2],\"intercept\":0}");
    CHECK_EQ_INT(run_path(e, "CREATE OR REPLACE MODEL risk FROM '%s';", v3, &err), -1);
    CHECK(strstr(err.msg, "version 2 takes 2 features, but query CSAS_O_1 calls PREDICT(RISK, X) with 1") != NULL);
    CHECK_EQ_INT(run(e, "TERMINATE CSAS_O_1; DROP MODEL risk;", &err), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM o2 AS SELECT k, PREDICT(risk, x) AS p FROM ins;", &err), -1);
    CHECK(strstr(err.msg, "unknown model RISK") != NULL);
    /* Created again after the DROP: its versions number on. */
    sb_reset(&text_out);
    CHECK_EQ_INT(run_path(e, "CREATE MODEL risk FROM '%s';", v3, &err), 0);
    CHECK(said(&text_out, "Model RISK version 2 created"));
    fixture_close(&f);
}

/* A client's push query scores too; a new version reaches it from its next
 * batch, and the model cannot be dropped under it. */
static void test_push_query(void)
{
    Fixture f;
    fixture_open(&f, false);
    EddyError err;
    CHECK_EQ_INT(run_path(f.e, "CREATE MODEL risk FROM '%s';", f.v1, &err), 0);
    CHECK_EQ_INT(run(f.e, "CREATE STREAM ins (k STRING KEY, n INT, x DOUBLE) WITH (kafka_topic='ins', value_format='JSON', partitions=2);", &err), 0);
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(f.e, "SELECT n, PREDICT(risk, x) AS p, MODEL_VERSION(risk) AS v FROM ins EMIT CHANGES;", &err), 0);
    produce(f.t, 0, 2);
    drain(f.e);
    CHECK_EQ_INT(run(f.e, "DROP MODEL risk;", &err), -1);
    CHECK(strstr(err.msg, "scores with it") != NULL);
    CHECK_EQ_INT(run_path(f.e, "CREATE OR REPLACE MODEL risk FROM '%s';", f.v2, &err), 0);
    produce(f.t, 2, 4);
    drain(f.e);
    CHECK_STR(rows_out.data, "N,P,V (header)\n0,0.0,1\n1,1.0,1\n2,104.0,2\n3,106.0,2\n");
    fixture_close(&f);
}

/* Paths are relative to the statement's file; the REPL's to the working
 * directory. */
static void test_relative_paths(void)
{
    Fixture f;
    fixture_open(&f, false);
    char origin[200];
    snprintf(origin, sizeof origin, "%s/file.ksql", f.dir);
    EddyError err;
    CHECK_EQ_INT(engine_execute(f.e, "CREATE MODEL m FROM 'v1.json';", origin, &err), 0);
    CHECK_EQ_INT(engine_execute(f.e, "CREATE MODEL m2 FROM 'v1.json';", "repl", &err), -1);
    fixture_close(&f);
}

/* An in-place upgrade of a query that adds a PREDICT: the model's first
 * switch is recorded at the checkpoint of the upgrade (the records before
 * it were not scored), and the rows after it carry version 1. */
static void test_upgrade_adds_predict(void)
{
    Fixture f;
    fixture_open(&f, true);
    EddyError err;
    CHECK_EQ_INT(run_path(f.e, "CREATE MODEL risk FROM '%s';", f.v1, &err), 0);
    CHECK_EQ_INT(run(f.e,
                     "CREATE STREAM ins (k STRING KEY, n INT, x DOUBLE) WITH (kafka_topic='ins', value_format='JSON', partitions=2);\n"
                     "CREATE STREAM scored AS SELECT k, n FROM ins;",
                     &err), 0);
    produce(f.t, 0, 300);
    drain(f.e);
    CHECK_EQ_INT(run(f.e,
                     "CREATE OR REPLACE STREAM scored AS SELECT k, n, PREDICT(risk, x) AS p, MODEL_VERSION(risk) AS v FROM ins;",
                     &err), 0);
    Switch sw;
    CHECK(read_switch_to(f.state, "CSAS_SCORED_1", 1, &sw));
    CHECK_EQ_INT(sw.offset[0] + sw.offset[1], 300);
    CHECK_EQ_INT(sw.offset[0], 150);
    fixture_close(&f);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    test_exact_switch_and_restart();
    test_lost_switch_record();
    test_create_again();
    test_errors();
    test_relative_paths();
    test_push_query();
    test_upgrade_adds_predict();
    sb_free(&text_out);
    sb_free(&log_out);
    return testutil_done();
}
