/*
 * test_function_list.c - the function list README.md gives (between its
 * "functions: begin/end" markers, "- CATEGORY: NAME, NAME, ..." lines)
 * equals what SHOW FUNCTIONS prints, name by name and category by
 * category; and the statements that show table and lambda functions:
 * DESCRIBE FUNCTION, EXPLAIN's FlatMap node, a client's push query, and
 * where their errors point.
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "engine_testutil.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FUNCS 400

typedef struct Entry {
    char name[64], category[64];
} Entry;

static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->category, y->category);
}

static void trim_copy(char *dst, size_t cap, const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\n'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\n'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* SHOW FUNCTIONS' rows: " NAME | CATEGORY " after two header lines. */
static int parse_show(const char *text, Entry *out)
{
    int n = 0, line = 0;
    for (const char *p = text; *p && n < MAX_FUNCS; line++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *bar = memchr(p, '|', len);
        if (line >= 2 && bar) {
            trim_copy(out[n].name, sizeof out[n].name, p, (size_t)(bar - p));
            trim_copy(out[n].category, sizeof out[n].category, bar + 1, len - (size_t)(bar + 1 - p));
            n++;
        }
        p = end ? end + 1 : p + len;
    }
    return n;
}

/* README's list: "- CATEGORY: A, B," lines, continued on lines indented
 * by two spaces. */
static int parse_readme(const char *text, Entry *out)
{
    const char *begin = strstr(text, "<!-- functions: begin -->");
    const char *stop = begin ? strstr(begin, "<!-- functions: end -->") : NULL;
    if (begin == NULL || stop == NULL)
        return -1;
    int n = 0;
    char category[64] = "";
    for (const char *p = strchr(begin, '\n') + 1; p < stop && n < MAX_FUNCS;) {
        const char *end = strchr(p, '\n');
        if (end == NULL || end > stop)
            end = stop;
        const char *names = p;
        if (p[0] == '-' && p[1] == ' ') {
            const char *colon = memchr(p, ':', (size_t)(end - p));
            if (colon == NULL)
                return -1;
            trim_copy(category, sizeof category, p + 2, (size_t)(colon - p - 2));
            names = colon + 1;
        }
        while (names < end) {
            const char *comma = memchr(names, ',', (size_t)(end - names));
            const char *item_end = comma ? comma : end;
            trim_copy(out[n].name, sizeof out[n].name, names, (size_t)(item_end - names));
            if (out[n].name[0]) {
                strcpy(out[n].category, category);
                n++;
            }
            names = comma ? comma + 1 : end;
        }
        p = end + 1;
    }
    return n;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t got = buf ? fread(buf, 1, (size_t)len, f) : 0;
    fclose(f);
    if (buf)
        buf[got] = '\0';
    return buf;
}

static void test_readme_list_equals_show_functions(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW FUNCTIONS;", &err), 0);
    static Entry shown[MAX_FUNCS], listed[MAX_FUNCS];
    int ns = parse_show(text_out.data ? text_out.data : "", shown);
    char *readme = read_file(EDDY_SOURCE_DIR "/README.md");
    CHECK(readme != NULL);
    int nl = readme ? parse_readme(readme, listed) : -1;
    free(readme);
    CHECK(ns > 100);
    CHECK_EQ_INT(nl, ns);
    qsort(shown, (size_t)ns, sizeof shown[0], cmp_entry);
    qsort(listed, (size_t)(nl > 0 ? nl : 0), sizeof listed[0], cmp_entry);
    /* Name every difference, both ways. */
    int i = 0, j = 0;
    while (i < ns || j < nl) {
        int c = i >= ns ? 1 : j >= nl ? -1 : cmp_entry(&shown[i], &listed[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        if (c < 0) {
            fprintf(stderr, "SHOW FUNCTIONS has %s (%s), README.md does not\n", shown[i].name,
                    shown[i].category);
            i++;
        } else {
            fprintf(stderr, "README.md lists %s (%s), SHOW FUNCTIONS does not\n", listed[j].name,
                    listed[j].category);
            j++;
        }
        CHECK(c == 0);
    }
    /* The three kinds ksqlDB lists besides scalars. */
    bool agg = false, table = false, lambda = false;
    for (int k = 0; k < ns; k++) {
        agg |= strcmp(shown[k].name, "TOPK") == 0 && strcmp(shown[k].category, "AGGREGATE") == 0;
        table |= strcmp(shown[k].name, "EXPLODE") == 0 && strcmp(shown[k].category, "TABLE") == 0;
        lambda |= strcmp(shown[k].name, "REDUCE") == 0 && strcmp(shown[k].category, "LAMBDA") == 0;
    }
    CHECK(agg && table && lambda);
    engine_destroy(e);
    t->ops->destroy(t);
}

static const char *DDL =
    "CREATE STREAM s (id STRING KEY, n INT, arr ARRAY<INT>, m MAP<STRING, INT>)\n"
    "  WITH (kafka_topic='s', value_format='JSON');\n";

static void test_describe_explain_push(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE FUNCTION explode;", &err), 0);
    CHECK(strstr(text_out.data, "Category    : TABLE") != NULL);
    CHECK(strstr(text_out.data, "EXPLODE(array ARRAY<T>) -> T") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE FUNCTION Transform;", &err), 0);
    CHECK(strstr(text_out.data, "TRANSFORM(map MAP<K, V>, key_function (K, V) => R, value_function (K, V) => W) -> MAP<R, W>") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE FUNCTION count;", &err), 0);
    CHECK(strstr(text_out.data, "Category    : AGGREGATE") != NULL);

    /* EXPLAIN: the FlatMap sits between the WHERE and the select list. */
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "EXPLAIN SELECT id, EXPLODE(arr) AS x FROM s WHERE n > 0 EMIT CHANGES;", &err), 0);
    const char *p = text_out.data;
    const char *proj = strstr(p, "> Project"), *fm = strstr(p, "> FlatMap EXPLODE(ARR)"),
               *filt = strstr(p, "> Filter WHERE"), *src = strstr(p, "> Source S");
    CHECK(proj && fm && filt && src && proj < fm && fm < filt && filt < src);
    CHECK(strstr(p, "KSQL_SYNTH_0 INTEGER]") != NULL);

    /* A client's push query: one row per element, lambdas over each row. */
    t->ops->produce(t, "s", -1, "a", 1, "{\"n\":1,\"arr\":[1,2],\"m\":{\"x\":3}}", 31, 1, &err);
    t->ops->produce(t, "s", -1, "b", 1, "{\"n\":2,\"arr\":[],\"m\":null}", 25, 2, &err);
    t->ops->produce(t, "s", -1, "c", 1, "{\"n\":3,\"arr\":[5],\"m\":{}}", 24, 3, &err);
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT id, EXPLODE(TRANSFORM(arr, x => x * n)) AS v, "
                        "REDUCE(m, 0, (s, k, v) => s + v) AS total FROM s LIMIT 3;", &err), 0);
    CHECK_STR(rows_out.data, "ID,V,TOTAL (header)\na,1,3\na,2,3\nc,15,0\n");
    engine_destroy(e);
    t->ops->destroy(t);
}

/* Where the errors point: line and column of the offending node. */
static void test_error_positions(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    static const struct { const char *sql; int line, col; const char *msg; } cases[] = {
        {"SELECT id FROM s\n  WHERE EXPLODE(arr) > 1 EMIT CHANGES;", 2, 9, "table function EXPLODE is not allowed here"},
        {"SELECT id,\n  EXPLODE(EXPLODE(ARRAY[arr])) FROM s EMIT CHANGES;", 2, 11, "cannot be nested"},
        {"SELECT id, n,\n  EXPLODE(arr), COUNT(*) FROM s GROUP BY id, n EMIT CHANGES;", 2, 3, "Table functions cannot be used with aggregations."},
        {"SELECT id, TRANSFORM(arr,\n  n => n + 1) FROM s EMIT CHANGES;", 2, 3, "Lambda function argument can't be a column name: N"},
        {"SELECT id, TRANSFORM(m, (a, b) => a,\n   c => c) FROM s EMIT CHANGES;", 2, 4, "function TRANSFORM does not accept"},
        {"SELECT id, FILTER(arr, x =>\n  x + 1) FROM s EMIT CHANGES;", 2, 5, "FILTER's lambda must return BOOLEAN"},
        {"SELECT id, ABS(\n  x => x) FROM s EMIT CHANGES;", 2, 3, "function ABS does not take a lambda"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_INT(run(e, cases[i].sql, &err), -1);
        CHECK_EQ_INT(err.pos.line, cases[i].line);
        CHECK_EQ_INT(err.pos.col, cases[i].col);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fprintf(stderr, "case %zu: got \"%s\"\n", i, err.msg);
        CHECK(strstr(err.msg, cases[i].msg) != NULL);
    }
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    sb_init(&rows_out);
    sb_puts(&log_out, "");
    test_readme_list_equals_show_functions();
    test_describe_explain_push();
    test_error_positions();
    sb_free(&text_out);
    sb_free(&log_out);
    sb_free(&rows_out);
    return testutil_done();
}
