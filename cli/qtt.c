/*
 * qtt.c - `eddy test FILE.json...`: ksqlDB's query-validation-test format
 * on in-memory topics, through the same engine as `eddy run`.
 *
 * Per test: a fresh engine on a memory transport (1 partition per topic
 * unless a topic says otherwise), auto.offset.reset=earliest; statements
 * run one by one; each input is produced and the queries run until idle
 * before the next (deterministic); then the records of every expected
 * output topic, and of every query sink, are compared in order: key and
 * value always, timestamp and window when the expected record gives them.
 * Numbers compare by value (1 equals 1.0).  Object fields are matched as
 * ksqlDB's runner matches them: an expected name absent from the actual
 * object is looked up upper-cased, and an expected null matches an absent
 * field (the two objects must still have as many fields).
 */
#include "cli.h"
#include "qtt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: eddy test FILE.json... [--write-actual DIR] [--filter TEXT] [--verbose]\n"
    "\n"
    "Runs ksqlDB query-validation tests (the QTT JSON format) on in-memory topics.\n"
    "  --write-actual DIR  write each test's actual output records (or error) to DIR\n"
    "  --filter TEXT       run only tests whose name contains TEXT\n"
    "  --verbose           print the engine's log lines\n";

typedef struct Collected {
    StrBuf log;
    bool verbose;
} Collected;

static void collect_log(void *ud, int level, const char *msg)
{
    Collected *c = ud;
    if (c->verbose)
        fprintf(stderr, "    log: %s\n", msg);
    sb_printf(&c->log, "%s\n", msg);
}

static void ignore_text(void *ud, const char *text) {}

/* ---- JSON comparison ------------------------------------------------------ */

/* The upper-case form of an expected object's field name, as ksqlDB's
 * runner looks it up when the name as written is absent: a test may write
 * {"json_v": ...} for a column declared unquoted (so named JSON_V).  An
 * exact match is tried first, so a quoted lower-case column still has to
 * be written as it is. */
static json_t *field_or_upper(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    if (v != NULL)
        return v;
    char up[256];
    size_t n = strlen(name);
    if (n >= sizeof up)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    return json_object_get(obj, up);
}

/* a is the expected side, b the actual one (field names: see field_or_upper). */
static bool json_same(const json_t *a, const json_t *b)
{
    if (a == NULL)
        a = json_null();
    if (b == NULL)
        b = json_null();
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b) ||
               (json_is_integer(a) && json_is_integer(b) &&
                json_integer_value(a) == json_integer_value(b));
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            /* An expected null also matches an absent field (sizes are
             * equal, so the objects still have as many fields): ksqlDB's
             * runner reads expected fields from the actual record's map,
             * where an absent name reads as null. */
            json_t *w = field_or_upper(b, k);
            if (w == NULL ? !json_is_null(v) : !json_same(v, w))
                return false;
        }
        return true;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    default:
        return json_equal((json_t *)a, (json_t *)b);
    }
}

static char *show(const json_t *j)
{
    return json_dumps(j ? j : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
}

/* ---- reading a file ----------------------------------------------------------- */

/* The shape check of one test: the fields the runner reads have the types
 * it reads them as, so running never meets a surprise (other fields, as
 * ksqlDB's files have more, are ignored). */
static const char *test_shape(const json_t *test)
{
    if (!json_is_object(test))
        return "is not an object";
    json_t *name = json_object_get(test, "name");
    if (name && !json_is_string(name))
        return "name is not a string";
    json_t *stmts = json_object_get(test, "statements");
    if (!json_is_array(stmts))
        return "has no \"statements\" array";
    size_t i;
    json_t *x;
    json_array_foreach(stmts, i, x) {
        if (!json_is_string(x))
            return "a statement is not a string";
    }
    json_t *props = json_object_get(test, "properties");
    if (props && !json_is_object(props))
        return "properties is not an object";
    json_t *exc = json_object_get(test, "expectedException");
    if (exc && (!json_is_object(exc) ||
                (json_object_get(exc, "message") && !json_is_string(json_object_get(exc, "message")))))
        return "expectedException is not an object with a string message";
    const char *lists[] = {"inputs", "outputs"};
    for (int l = 0; l < 2; l++) {
        json_t *recs = json_object_get(test, lists[l]);
        if (recs == NULL)
            continue;
        if (!json_is_array(recs))
            return l == 0 ? "inputs is not an array" : "outputs is not an array";
        json_array_foreach(recs, i, x) {
            if (!json_is_object(x) || !json_is_string(json_object_get(x, "topic")))
                return l == 0 ? "an input is not an object with a string topic"
                              : "an output is not an object with a string topic";
            json_t *ts = json_object_get(x, "timestamp");
            if (ts && !json_is_integer(ts))
                return "a record's timestamp is not an integer";
            json_t *part = json_object_get(x, "partition");
            if (part && (!json_is_integer(part) || json_integer_value(part) < 0 ||
                         json_integer_value(part) > INT32_MAX))
                return "a record's partition is not an integer from 0 to 2147483647";
            json_t *w = json_object_get(x, "window");
            if (w && !json_is_object(w) && !json_is_null(w))
                return "a record's window is not an object";
        }
    }
    return NULL;
}

json_t *qtt_parse(const char *text, EddyError *err)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (root == NULL) {
        eddy_error(err, ERR_SYNTAX, (SrcPos){jerr.line > 0 ? jerr.line : 0, jerr.column > 0 ? jerr.column : 1},
                   "%s", jerr.text);
        return NULL;
    }
    json_t *tests = json_object_get(root, "tests");
    if (!json_is_array(tests)) {
        json_decref(root);
        eddy_error(err, ERR_ANALYSIS, (SrcPos){0}, "no \"tests\" array");
        return NULL;
    }
    size_t i;
    json_t *test;
    json_array_foreach(tests, i, test) {
        const char *why = test_shape(test);
        if (why) {
            const char *name = json_string_value(json_object_get(test, "name"));
            eddy_error(err, ERR_ANALYSIS, (SrcPos){0}, "test %zu%s%s%s %s", i + 1,
                       name ? " (" : "", name ? name : "", name ? ")" : "", why);
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

/* ---- one test ---------------------------------------------------------------- */

/* origin: the test file, so paths in statements (CREATE MODEL ... FROM
 * 'm.json') are relative to its folder. */
static int run_statements(Engine *e, json_t *stmts, const char *origin, EddyError *err,
                          const char **failed_stmt)
{
    size_t i;
    json_t *s;
    json_array_foreach(stmts, i, s) {
        *failed_stmt = json_string_value(s);
        if (engine_execute(e, json_string_value(s), origin, err) != 0)
            return -1;
    }
    *failed_stmt = NULL;
    return 0;
}

static void run_until_idle(Engine *e)
{
    EddyError err;
    for (int i = 0; i < 1000000; i++)
        if (engine_poll(e, 0, &err) <= 0)
            break;
}

static json_t *record_json(Engine *e, const TransportRecord *r)
{
    json_t *k = NULL, *v = NULL, *w = NULL;
    EddyError err;
    engine_decode_record(e, r->topic, r->key, r->key_len, r->value, r->value_len, &k, &v, &w, &err);
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(r->topic));
    json_object_set_new(o, "key", k ? k : json_null());
    json_object_set_new(o, "value", v ? v : json_null());
    json_object_set_new(o, "timestamp", json_integer(r->timestamp));
    if (w)
        json_object_set_new(o, "window", w);
    return o;
}

static bool record_matches(const json_t *exp, const json_t *act)
{
    if (!json_same(json_object_get(exp, "key"), json_object_get(act, "key")))
        return false;
    if (!json_same(json_object_get(exp, "value"), json_object_get(act, "value")))
        return false;
    json_t *ts = json_object_get(exp, "timestamp");
    if (ts && !json_same(ts, json_object_get(act, "timestamp")))
        return false;
    json_t *w = json_object_get(exp, "window");
    if (w && !json_same(w, json_object_get(act, "window")))
        return false;
    return true;
}

/* Topics to compare: every expected output topic, then every query sink
 * topic that produced records but has no expected outputs. */
static void compare_outputs(Engine *e, Transport *t, json_t *expected, QttResult *r)
{
    const char *const *names;
    int ntopics = memory_transport_topics(t, &names);
    json_t *actual = json_array();
    /* Which topics to check. */
    json_t *check = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(expected, i, o) {
        const char *topic = json_string_value(json_object_get(o, "topic"));
        bool seen = false;
        for (size_t k = 0; k < json_array_size(check); k++)
            seen |= topic && strcmp(json_string_value(json_array_get(check, k)), topic) == 0;
        if (topic && !seen)
            json_array_append_new(check, json_string(topic));
    }
    json_t *inputs_topics = json_object_get(r->actual, "_inputs");
    for (int k = 0; k < ntopics; k++) {
        bool seen = false, is_input = json_object_get(inputs_topics, names[k]) != NULL;
        for (size_t c = 0; c < json_array_size(check); c++)
            seen |= strcmp(json_string_value(json_array_get(check, c)), names[k]) == 0;
        if (!seen && !is_input)
            json_array_append_new(check, json_string(names[k]));
    }
    r->pass = true;
    for (size_t c = 0; c < json_array_size(check); c++) {
        const char *topic = json_string_value(json_array_get(check, c));
        const TransportRecord *recs;
        int n = memory_transport_records(t, topic, &recs);
        json_t *exp = json_array();
        json_array_foreach(expected, i, o) {
            const char *ot = json_string_value(json_object_get(o, "topic"));
            if (ot && strcmp(ot, topic) == 0)
                json_array_append(exp, o);
        }
        json_t *act = json_array();
        for (int k = 0; k < n; k++) {
            json_t *rj = record_json(e, &recs[k]);
            json_array_append(actual, rj);
            json_array_append_new(act, rj);
        }
        size_t ne = json_array_size(exp), na = json_array_size(act);
        bool ok = ne == na;
        for (size_t k = 0; ok && k < ne; k++)
            ok = record_matches(json_array_get(exp, k), json_array_get(act, k));
        if (!ok) {
            r->pass = false;
            sb_printf(&r->why, "  topic %s: expected %zu records, got %zu\n", topic, ne, na);
            size_t m = ne > na ? ne : na;
            for (size_t k = 0; k < m && k < 50; k++) {
                json_t *x = json_array_get(exp, k), *y = json_array_get(act, k);
                bool same = x && y && record_matches(x, y);
                char *xs = x ? show(x) : strdup("(none)");
                char *ys = y ? show(y) : strdup("(none)");
                sb_printf(&r->why, "  %s #%zu expected: %s\n  %s #%zu actual:   %s\n",
                          same ? " " : "!", k, xs, same ? " " : "!", k, ys);
                free(xs);
                free(ys);
            }
        }
        json_decref(exp);
        json_decref(act);
    }
    json_decref(check);
    json_object_set_new(r->actual, "outputs", actual);
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

void qtt_run(json_t *test, const char *file, bool verbose, QttResult *r)
{
    sb_init(&r->why);
    r->actual = json_object();
    json_object_set_new(r->actual, "_inputs", json_object());
    r->pass = false;
    Collected col = {.verbose = verbose};
    sb_init(&col.log);
    Transport *t = memory_transport_create(1);
    /* max.task.idle.ms 0 as ksqlDB's own test driver: each input is
     * processed when it is produced, as the expected outputs assume. */
    const char *props[] = {"auto.offset.reset", "earliest", "max.task.idle.ms", "0", NULL};
    EngineConfig cfg = {
        .transport = t,
        .out = {.text = ignore_text, .log = collect_log, .ud = &col},
        .props = props,
        .deterministic = true,
        .auto_create_topics = true,
    };
    EddyError err;
    eddy_error_clear(&err);
    Engine *e = engine_create(&cfg, &err);
    json_t *expected_exc = json_object_get(test, "expectedException");
    json_t *stmts = json_object_get(test, "statements");
    const char *failed = NULL;
    /* Per-test properties, as SET statements would give them. */
    json_t *tprops = json_object_get(test, "properties");
    if (json_is_object(tprops)) {
        const char *k;
        json_t *v;
        json_object_foreach(tprops, k, v) {
            if (!json_is_string(v))
                continue;
            char stmt[1024];
            snprintf(stmt, sizeof stmt, "SET '%s' = '%s';", k, json_string_value(v));
            EddyError ignore;
            engine_execute(e, stmt, "properties", &ignore);
        }
    }
    int rc = e == NULL ? -1 : run_statements(e, stmts, file, &err, &failed);
    if (rc != 0) {
        char msg[4096];
        eddy_error_format(&err, failed, msg, sizeof msg);
        json_object_set_new(r->actual, "error", json_string(msg));
        if (expected_exc) {
            const char *want = json_string_value(json_object_get(expected_exc, "message"));
            if (want == NULL || contains_ci(err.msg, want)) {
                r->pass = true;
            } else {
                sb_printf(&r->why, "  expected an error containing \"%s\"\n  got: %s\n", want, msg);
            }
        } else {
            sb_printf(&r->why, "  statement failed: %s\n", msg);
        }
        goto out;
    }
    if (expected_exc) {
        const char *want = json_string_value(json_object_get(expected_exc, "message"));
        sb_printf(&r->why, "  expected an error containing \"%s\", but every statement succeeded\n",
                  want ? want : "");
        goto out;
    }
    run_until_idle(e);
    size_t i;
    json_t *in;
    json_array_foreach(json_object_get(test, "inputs"), i, in) {
        const char *topic = json_string_value(json_object_get(in, "topic"));
        json_object_set_new(json_object_get(r->actual, "_inputs"), topic, json_true());
        StrBuf k, v;
        sb_init(&k);
        sb_init(&v);
        bool knull, vnull;
        if (engine_encode_record(e, topic, json_object_get(in, "key"), json_object_get(in, "value"),
                                 json_object_get(in, "window"), &k, &knull, &v, &vnull, &err) != 0) {
            sb_printf(&r->why, "  input %zu cannot be encoded: %s\n", i, err.msg);
            sb_free(&k);
            sb_free(&v);
            goto out;
        }
        json_t *ts = json_object_get(in, "timestamp");
        json_t *part = json_object_get(in, "partition");
        /* qtt_parse checked: an integer timestamp, a partition in int32_t. */
        int rc = t->ops->produce(t, topic, part ? (int32_t)json_integer_value(part) : -1,
                                 knull ? NULL : (k.data ? k.data : ""), k.len,
                                 vnull ? NULL : (v.data ? v.data : ""), v.len,
                                 ts ? (int64_t)json_integer_value(ts) : 0, &err);
        sb_free(&k);
        sb_free(&v);
        if (rc != 0) {
            sb_printf(&r->why, "  input %zu cannot be produced: %s\n", i, err.msg);
            goto out;
        }
        run_until_idle(e);
    }
    json_t *outputs = json_object_get(test, "outputs");
    json_t *none = json_array();
    compare_outputs(e, t, outputs ? outputs : none, r);
    json_decref(none);
out:
    json_object_del(r->actual, "_inputs");
    engine_destroy(e);
    t->ops->destroy(t);
    sb_free(&col.log);
}

void qtt_result_free(QttResult *r)
{
    json_decref(r->actual);
    r->actual = NULL;
    sb_free(&r->why);
}

/* ---- files -------------------------------------------------------------------- */

static void sanitize(char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            *s = '_';
}

static void write_actual(const char *dir, const char *file, const char *name, json_t *actual)
{
    mkdir(dir, 0755);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    char fb[256], nb[256], path[1024];
    snprintf(fb, sizeof fb, "%s", base);
    char *dot = strrchr(fb, '.');
    if (dot)
        *dot = '\0';
    snprintf(nb, sizeof nb, "%s", name);
    sanitize(fb);
    sanitize(nb);
    snprintf(path, sizeof path, "%s/%s", dir, fb);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s.json", dir, fb, nb);
    json_object_set_new(actual, "name", json_string(name));
    if (json_dump_file(actual, path, JSON_INDENT(2)) != 0)
        fprintf(stderr, "eddy test: cannot write %s\n", path);
}

int cmd_test(int argc, char **argv)
{
    const char *actual_dir = NULL, *filter = NULL;
    bool verbose = false;
    int nfiles = 0;
    char **files = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--write-actual") == 0 && i + 1 < argc)
            actual_dir = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
        else if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            free(files);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "eddy test: unknown option %s\n\n%s", argv[i], usage);
            free(files);
            return 2;
        } else
            files[nfiles++] = argv[i];
    }
    if (nfiles == 0) {
        fputs(usage, stderr);
        free(files);
        return 2;
    }
    int passed = 0, failed = 0;
    for (int f = 0; f < nfiles; f++) {
        EddyError err;
        char *text = eddy_read_file(files[f], &err);
        json_t *root = text ? qtt_parse(text, &err) : NULL;
        free(text);
        if (root == NULL) {
            char msg[1200];
            eddy_error_format(&err, NULL, msg, sizeof msg);
            printf("FAIL %s: %s\n", files[f], msg);
            failed++;
            continue;
        }
        json_t *tests = json_object_get(root, "tests");
        size_t i;
        json_t *test;
        json_array_foreach(tests, i, test) {
            const char *name = json_string_value(json_object_get(test, "name"));
            if (name == NULL)
                name = "(unnamed)";
            if (filter && strstr(name, filter) == NULL)
                continue;
            QttResult r;
            qtt_run(test, files[f], verbose, &r);
            if (r.pass) {
                printf("PASS %s: %s\n", files[f], name);
                passed++;
            } else {
                printf("FAIL %s: %s\n%s", files[f], name, r.why.data ? r.why.data : "");
                failed++;
            }
            if (actual_dir)
                write_actual(actual_dir, files[f], name, r.actual);
            qtt_result_free(&r);
        }
        json_decref(root);
    }
    free(files);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
