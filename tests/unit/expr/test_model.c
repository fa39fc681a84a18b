/* test_model.c - models: XGBoost fixtures (tests/models, made by
 * make_models.py with python's xgboost) scored through libxgboost must
 * equal python's Booster.predict for JSON and UBJSON files; LINEAR against
 * hand-computed values; batch = row by row; no OpenMP threads; every kind
 * of bad bytes (empty, garbage, truncated, corrupted, structurally wrong
 * models, bad LINEAR documents) fails cleanly with a clear message, never
 * a crash or a hang (run under -DEDDY_SANITIZE=ON too). */
#include "eddy/engine/model.h"
#include "testutil.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#define MODELS EDDY_SOURCE_DIR "/tests/models/"
#define TOL 1e-6

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double rnd_unit(void)
{
    return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static char *read_fixture(const char *name, size_t *n)
{
    char path[512];
    snprintf(path, sizeof path, MODELS "%s", name);
    EddyError err;
    char *b = model_file_read(path, n, &err);
    if (b == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    return b;
}

static bool same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* Fails the load of bytes[0..n) and checks that the message names want. */
static void expect_fail_n(const void *bytes, size_t n, ModelFormat fmt, const char *want,
                          int line)
{
    EddyError err;
    eddy_error_clear(&err);
    Model *m = model_load(bytes, n, fmt, &err);
    if (m != NULL) {
        tu_failed++;
        fprintf(stderr, "%s:%d: model_load succeeded, expected an error with \"%s\"\n",
                __FILE__, line, want);
        model_destroy(m);
        return;
    }
    if (getenv("EDDY_TEST_VERBOSE"))
        printf("  %s\n", err.msg);
    if (err.kind == ERR_ANALYSIS && strstr(err.msg, want) != NULL) {
        tu_passed++;
    } else {
        tu_failed++;
        fprintf(stderr, "%s:%d: expected an analysis error with \"%s\", got kind %d: %s\n",
                __FILE__, line, want, err.kind, err.msg);
    }
}
#define EXPECT_FAIL(s, fmt, want) expect_fail_n((s), strlen(s), (fmt), (want), __LINE__)
#define EXPECT_FAIL_N(b, n, fmt, want) expect_fail_n((b), (n), (fmt), (want), __LINE__)

/* ---- XGBoost fixtures against python's predictions ---------------------- */

typedef struct Fixture {
    double *rows;              /* nrows x 5, NaN where expected.json has null */
    size_t nrows;
    json_t *doc;
} Fixture;

static Fixture fx;

static void load_expected(void)
{
    json_error_t je;
    fx.doc = json_load_file(MODELS "expected.json", 0, &je);
    if (fx.doc == NULL) {
        fprintf(stderr, "expected.json: %s\n", je.text);
        exit(1);
    }
    json_t *rows = json_object_get(fx.doc, "rows");
    fx.nrows = json_array_size(rows);
    fx.rows = malloc(fx.nrows * 5 * sizeof(double));
    for (size_t r = 0; r < fx.nrows; r++)
        for (size_t c = 0; c < 5; c++) {
            json_t *v = json_array_get(json_array_get(rows, r), c);
            fx.rows[r * 5 + c] = json_is_null(v) ? NAN : json_number_value(v);
        }
}

static void check_fixture(const char *name, const char *ext, json_t *want)
{
    char file[128];
    snprintf(file, sizeof file, "%s.%s", name, ext);
    size_t n;
    char *bytes = read_fixture(file, &n);
    EddyError err;
    for (int f = 0; f < 2; f++) {   /* AUTO, then XGBOOST named */
        Model *m = model_load(bytes, n, f ? MODEL_FORMAT_XGBOOST : MODEL_FORMAT_AUTO, &err);
        if (m == NULL) {
            tu_failed++;
            fprintf(stderr, "%s: %s\n", file, err.msg);
            continue;
        }
        const ModelInfo *info = model_info(m);
        CHECK_EQ_INT(info->format, MODEL_FORMAT_XGBOOST);
        CHECK_STR(info->encoding, strcmp(ext, "ubj") == 0 ? "UBJSON" : "JSON");
        CHECK_STR(info->objective, json_string_value(json_object_get(want, "objective")));
        CHECK_EQ_INT(info->num_features, json_integer_value(json_object_get(want, "num_features")));
        int nout = (int)json_integer_value(json_object_get(want, "num_outputs"));
        CHECK_EQ_INT(info->num_outputs, nout);
        CHECK(info->num_rounds > 0);
        json_t *names = json_object_get(want, "feature_names");
        if (json_is_null(names)) {
            CHECK(info->feature_names == NULL);
        } else {
            CHECK(info->feature_names != NULL);
            for (int i = 0; info->feature_names && i < info->num_features; i++)
                CHECK_STR(info->feature_names[i], json_string_value(json_array_get(names, i)));
        }
        json_t *pred = json_object_get(want, "predictions");
        CHECK_EQ_INT(json_array_size(pred), fx.nrows * (size_t)nout);
        double *out = calloc(fx.nrows * (size_t)nout, sizeof *out);
        int rc = model_predict(m, fx.rows, fx.nrows, 5, out, &err);
        CHECK_EQ_INT(rc, 0);
        int bad = 0, exact = 0;
        for (size_t i = 0; rc == 0 && i < json_array_size(pred); i++) {
            double e = json_number_value(json_array_get(pred, i));
            if (!(fabs(out[i] - e) <= TOL)) {
                if (bad++ < 3)
                    fprintf(stderr, "%s output %zu: got %.9g, python says %.9g\n", file, i,
                            out[i], e);
            }
            exact += out[i] == e;
        }
        CHECK_EQ_INT(bad, 0);
        if (f == 0)
            printf("%-24s %zu outputs, %d equal to python's bit for bit\n", file,
                   json_array_size(pred), exact);
        free(out);
        model_destroy(m);
    }
    free(bytes);
}

static void test_fixtures(void)
{
    json_t *models = json_object_get(fx.doc, "models");
    const char *name;
    json_t *want;
    int count = 0;
    json_object_foreach(models, name, want) {
        check_fixture(name, "json", want);
        check_fixture(name, "ubj", want);
        count++;
    }
    CHECK(count >= 6);
}

/* A reformatted (pretty-printed) JSON model is the same model. */
static void test_reformatted(void)
{
    size_t n;
    char *bytes = read_fixture("binary_logistic.json", &n);
    json_t *doc = json_loadb(bytes, n, 0, NULL);
    char *pretty = json_dumps(doc, JSON_INDENT(2));
    EddyError err;
    Model *a = model_load(bytes, n, MODEL_FORMAT_AUTO, &err);
    Model *b = model_load(pretty, strlen(pretty), MODEL_FORMAT_AUTO, &err);
    CHECK(a && b);
    if (a && b) {
        double oa[64], ob[64];
        CHECK_EQ_INT(model_predict(a, fx.rows, fx.nrows, 5, oa, &err), 0);
        CHECK_EQ_INT(model_predict(b, fx.rows, fx.nrows, 5, ob, &err), 0);
        int diff = 0;
        for (size_t i = 0; i < fx.nrows; i++)
            diff += !same(oa[i], ob[i]);
        CHECK_EQ_INT(diff, 0);
    }
    model_destroy(a);
    model_destroy(b);
    free(pretty);
    json_decref(doc);
    free(bytes);
}

/* ---- batches ------------------------------------------------------------ */

static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (d == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* 10,000 rows in one call give what 10,000 one-row calls give, for the
 * in-place path (gbtree) and the DMatrix path (gblinear, dart). */
static void test_batch(int threads_before)
{
    static const char *const files[] = {"binary_logistic.ubj", "multi_softprob.json",
                                        "gblinear_logistic.json", "dart_regression.ubj"};
    const size_t nrows = 10000;
    double *x = malloc(nrows * 5 * sizeof *x);
    for (size_t i = 0; i < nrows * 5; i++) {
        double u = rnd_unit();
        x[i] = u < 0.05 ? NAN : u < 0.06 ? (u < 0.055 ? INFINITY : -1e300) : 120.0 * rnd_unit() - 20;
    }
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        char *bytes = read_fixture(files[f], &n);
        EddyError err;
        Model *m = model_load(bytes, n, MODEL_FORMAT_AUTO, &err);
        free(bytes);
        CHECK(m != NULL);
        if (m == NULL)
            continue;
        size_t nout = (size_t)model_info(m)->num_outputs;
        double *batch = malloc(nrows * nout * sizeof *batch);
        double *one = malloc(nrows * nout * sizeof *one);
        int64_t t0 = eddy_mono_ms();
        CHECK_EQ_INT(model_predict(m, x, nrows, 5, batch, &err), 0);
        int64_t t1 = eddy_mono_ms();
        int rc = 0;
        for (size_t r = 0; r < nrows && rc == 0; r++)
            rc = model_predict(m, x + r * 5, 1, 5, one + r * nout, &err);
        int64_t t2 = eddy_mono_ms();
        CHECK_EQ_INT(rc, 0);
        size_t diff = 0, nonfinite = 0;
        for (size_t i = 0; i < nrows * nout; i++) {
            diff += !same(batch[i], one[i]);
            nonfinite += !isfinite(batch[i]);
        }
        CHECK_EQ_INT(diff, 0);
        CHECK_EQ_INT(nonfinite, 0);
        printf("%-24s %zu rows: one batch %lld ms, row by row %lld ms\n", files[f], nrows,
               (long long)(t1 - t0), (long long)(t2 - t1));
        free(batch);
        free(one);
        model_destroy(m);
    }
    free(x);
    /* nthread=1: libxgboost started no OpenMP threads of its own. */
    CHECK_EQ_INT(thread_count(), threads_before);
}

static void test_predict_errors(void)
{
    size_t n;
    char *bytes = read_fixture("multi_softprob.ubj", &n);
    EddyError err;
    Model *m = model_load(bytes, n, MODEL_FORMAT_AUTO, &err);
    free(bytes);
    CHECK(m != NULL);
    double x[12] = {0}, out[12];
    eddy_error_clear(&err);
    CHECK_EQ_INT(model_predict(m, x, 2, 4, out, &err), -1);
    CHECK_EQ_INT(err.kind, ERR_RUNTIME);
    CHECK(strstr(err.msg, "takes 5 features, not 4") != NULL);
    CHECK_EQ_INT(model_predict(m, x, 1, 6, out, &err), -1);
    CHECK_EQ_INT(model_predict(m, x, 0, 5, out, &err), 0);   /* an empty batch */
    CHECK_EQ_INT(model_predict(m, x, 2, 5, out, &err), 0);   /* still usable */
    CHECK(fabs(out[0] + out[1] + out[2] - 1.0) < 1e-6);      /* softprob sums to 1 */
    model_destroy(m);
}

/* ---- LINEAR ------------------------------------------------------------ */

static void test_linear(void)
{
    const char *lin = "{\"type\":\"linear\",\"features\":[\"SPEED\",\"WIND\",\"visibility\"],"
                      "\"coefficients\":[2,-0.5,0.25],\"intercept\":1}";
    EddyError err;
    Model *m = model_load(lin, strlen(lin), MODEL_FORMAT_AUTO, &err);
    CHECK(m != NULL);
    if (m) {
        const ModelInfo *info = model_info(m);
        CHECK_EQ_INT(info->format, MODEL_FORMAT_LINEAR);
        CHECK_STR(info->encoding, "JSON");
        CHECK_STR(info->objective, "linear");
        CHECK(info->booster == NULL);
        CHECK_EQ_INT(info->num_features, 3);
        CHECK_EQ_INT(info->num_outputs, 1);
        CHECK_EQ_INT(info->num_rounds, 0);
        CHECK_STR(info->feature_names[2], "visibility");
        double x[] = {1, 2, 4, 0, 0, 0, -3, 10, 8, NAN, 1, 1}, out[4];
        CHECK_EQ_INT(model_predict(m, x, 4, 3, out, &err), 0);
        CHECK(out[0] == 3.0);          /* 1 + 2 - 1 + 1 */
        CHECK(out[1] == 1.0);          /* the intercept */
        CHECK(out[2] == -8.0);         /* 1 - 6 - 5 + 2 */
        CHECK(isnan(out[3]));          /* a missing feature: no value */
        CHECK_EQ_INT(model_predict(m, x, 1, 2, out, &err), -1);
        CHECK_EQ_INT(err.kind, ERR_RUNTIME);
        model_destroy(m);
    }
    const char *logit = "{\"intercept\":-1.0986122886681098,\"coefficients\":[1,0.5],"
                        "\"features\":[\"A\",\"B\"],\"type\":\"logistic\"}";
    m = model_load(logit, strlen(logit), MODEL_FORMAT_LINEAR, &err);
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(model_info(m)->objective, "logistic");
        /* z = -ln 3 -> 1/4;  z = 0 -> 1/2;  z = ln 3 -> 3/4;  huge |z| -> 0 and 1 */
        double x[] = {0, 0, 1.0986122886681098, 0, 0, 4.394449154672439,
                      -1e308, 0, 1e308, 0}, out[5];
        CHECK_EQ_INT(model_predict(m, x, 5, 2, out, &err), 0);
        CHECK(fabs(out[0] - 0.25) < 1e-12);
        CHECK(fabs(out[1] - 0.5) < 1e-12);
        CHECK(fabs(out[2] - 0.75) < 1e-12);
        CHECK(out[3] == 0.0);
        CHECK(out[4] == 1.0);
        model_destroy(m);
    }
}

static void test_linear_errors(void)
{
    ModelFormat L = MODEL_FORMAT_LINEAR, A = MODEL_FORMAT_AUTO;
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\",\"B\"],\"coefficients\":[1],"
                "\"intercept\":0}", A, "2 features but 1 coefficients");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[1,2],"
                "\"intercept\":0}", L, "1 features but 2 coefficients");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[1]}", L,
                "\"intercept\" is missing");
    EXPECT_FAIL("{\"type\":\"linear\",\"coefficients\":[1],\"intercept\":0}", L,
                "\"features\" is missing");
    EXPECT_FAIL("{\"features\":[\"A\"],\"coefficients\":[1],\"intercept\":0}", L,
                "\"type\" is missing");
    EXPECT_FAIL("{\"type\":\"tree\",\"features\":[\"A\"],\"coefficients\":[1],\"intercept\":0}",
                L, "not \"linear\" or \"logistic\"");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[],\"coefficients\":[],\"intercept\":0}", L,
                "non-empty list");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\",\"a\"],\"coefficients\":[1,2],"
                "\"intercept\":0}", L, "listed twice");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\",\"\"],\"coefficients\":[1,2],"
                "\"intercept\":0}", L, "feature 2 is not a non-empty name");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\",3],\"coefficients\":[1,2],"
                "\"intercept\":0}", L, "feature 2 is not");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[\"1\"],"
                "\"intercept\":0}", L, "coefficient 1 is not a finite number");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[1],"
                "\"intercept\":null}", L, "\"intercept\" is not a finite number");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[1],"
                "\"intercept\":0,\"bias\":1}", L, "unknown key \"bias\"");
    /* Non-finite numbers: JSON has no literal for them, and an overflowing
     * one is refused by the JSON reader. */
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[1e999],"
                "\"intercept\":0}", L, "JSON error");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[NaN],"
                "\"intercept\":0}", L, "JSON error");
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[1],"
                "\"intercept\":-Infinity}", L, "JSON error");
    EXPECT_FAIL("{\"type\":\"linear\",\"type\":\"logistic\",\"features\":[\"A\"],"
                "\"coefficients\":[1],\"intercept\":0}", L, "duplicate");
    EXPECT_FAIL("[1,2,3]", L, "not JSON or UBJSON");
    /* Formats that do not match the bytes. */
    size_t n;
    char *bytes = read_fixture("binary_logistic.json", &n);
    EXPECT_FAIL_N(bytes, n, L, "it is an XGBoost model");
    free(bytes);
    bytes = read_fixture("binary_logistic.ubj", &n);
    EXPECT_FAIL_N(bytes, n, L, "UBJSON");
    free(bytes);
    EXPECT_FAIL("{\"type\":\"linear\",\"features\":[\"A\"],\"coefficients\":[1],"
                "\"intercept\":0}", MODEL_FORMAT_XGBOOST, "learner is missing");
    /* Truncated at every byte: always an error. */
    const char *good = "{\"type\":\"logistic\",\"features\":[\"A\"],\"coefficients\":[1.5],"
                       "\"intercept\":-2}";
    int ok = 0;
    for (size_t i = 0; i < strlen(good); i++) {
        EddyError err;
        Model *m = model_load(good, i, A, &err);
        ok += m == NULL && err.kind == ERR_ANALYSIS;
        model_destroy(m);
    }
    CHECK_EQ_INT(ok, (int)strlen(good));
}

/* ---- bad bytes -------------------------------------------------------- */

static void test_garbage(void)
{
    ModelFormat A = MODEL_FORMAT_AUTO, X = MODEL_FORMAT_XGBOOST;
    EXPECT_FAIL_N("", 0, A, "the file is empty");
    EXPECT_FAIL_N("", 0, X, "the file is empty");
    EXPECT_FAIL(" \n\t", A, "the file is empty");
    EXPECT_FAIL("hello, world", A, "not JSON or UBJSON");
    EXPECT_FAIL_N("binf\0\0\0?\x05\0\0\0", 12, X, "old binary format is not supported");
    EXPECT_FAIL("{\"learner\":", X, "JSON error at line 1");
    EXPECT_FAIL("{\"something\":1}", A, "neither \"learner\"");
    EXPECT_FAIL("{\"learner\":1}", X, "learner is not an object");
    EXPECT_FAIL("{\"learner\":{}}", X, "learner.learner_model_param is missing");
    EXPECT_FAIL("{\"learner\":{},\"learner\":{}}", X, "duplicate");
    /* UBJSON: lengths and counts beyond the data, nesting, markers. */
    EXPECT_FAIL_N("{L\x7f\xff\xff\xff\xff\xff\xff\xff", 10, A, "key beyond the end");
    EXPECT_FAIL_N("{i\x01" "a[$d#L\x10\0\0\0\0\0\0\0}", 17, A, "count beyond the end");
    EXPECT_FAIL_N("{i\x01" "aS" "i\xfe", 7, A, "negative length");
    EXPECT_FAIL_N("{i\x01" "aSd\0\0\0\0", 10, A, "not an integer");
    EXPECT_FAIL_N("{i\x01" "a[$T#i\x05}", 10, A, "does not hold numbers");
    EXPECT_FAIL_N("{i\x01" "a[$i\x05}", 8, A, "without a count");
    EXPECT_FAIL_N("{i\x01" "aq}", 5, A, "unknown marker 0x71");
    EXPECT_FAIL_N("{i\x01" "aH}", 5, A, "high-precision");
    EXPECT_FAIL_N("{i\x01" "aS" "i\x02\xc3\x28}", 9, A, "not UTF-8");
    EXPECT_FAIL_N("{i\x01" "aZi\x01" "aZ}", 9, A, "duplicate key");
    EXPECT_FAIL_N("{i\x01" "aZ}Z", 7, A, "bytes after the end");
    char deep[300];
    size_t nd = 0;
    deep[nd++] = '{', deep[nd++] = 'i', deep[nd++] = 1, deep[nd++] = 'a';
    while (nd < sizeof deep - 1)
        deep[nd++] = '[';
    EXPECT_FAIL_N(deep, nd, A, "nested too deeply");
    /* Random bytes, with and without a '{' in front. */
    unsigned char junk[512];
    int clean = 0;
    for (int t = 0; t < 400; t++) {
        size_t n = 1 + rnd() % sizeof junk;
        for (size_t i = 0; i < n; i++)
            junk[i] = (unsigned char)rnd();
        if (t % 2)
            junk[0] = '{';
        EddyError err;
        Model *m = model_load(junk, n, A, &err);
        clean += m == NULL && err.kind == ERR_ANALYSIS && err.msg[0];
        model_destroy(m);
    }
    CHECK_EQ_INT(clean, 400);
}

/* Every prefix of a model file fails (they are never complete documents);
 * every byte position up to 600, then every 53rd. */
static void test_truncated(const char *file)
{
    size_t n;
    char *bytes = read_fixture(file, &n);
    int tried = 0, clean = 0;
    for (size_t len = 0; len < n; len += len < 600 ? 1 : 53) {
        EddyError err;
        eddy_error_clear(&err);
        Model *m = model_load(bytes, len, MODEL_FORMAT_AUTO, &err);
        tried++;
        clean += m == NULL && err.kind == ERR_ANALYSIS && strstr(err.msg, "invalid") != NULL;
        model_destroy(m);
    }
    printf("%-24s %d truncations refused cleanly of %d\n", file, clean, tried);
    CHECK_EQ_INT(clean, tried);
    free(bytes);
}

/* Single-byte corruptions of a UBJSON model: each either fails cleanly or
 * loads a model that scores without crashing. */
static void test_corrupted(const char *file, int count)
{
    size_t n;
    char *bytes = read_fixture(file, &n);
    char *copy = malloc(n);
    int refused = 0, loaded = 0, scored = 0;
    for (int t = 0; t < count; t++) {
        memcpy(copy, bytes, n);
        int flips = 1 + (int)(rnd() % 3);
        for (int k = 0; k < flips; k++) {
            size_t at = rnd() % n;
            copy[at] = (char)rnd();
        }
        EddyError err;
        if (getenv("EDDY_TEST_DUMP")) {
            FILE *f = fopen(getenv("EDDY_TEST_DUMP"), "wb");
            fwrite(copy, 1, n, f);
            fclose(f);
        }
        Model *m = model_load(copy, n, MODEL_FORMAT_AUTO, &err);
        if (m == NULL) {
            refused += err.kind == ERR_ANALYSIS && err.msg[0];
            continue;
        }
        loaded++;
        const ModelInfo *info = model_info(m);
        size_t nout = (size_t)info->num_outputs;
        double *out = malloc(fx.nrows * nout * sizeof *out);
        if (info->num_features == 5)
            scored += model_predict(m, fx.rows, fx.nrows, 5, out, &err) == 0;
        free(out);
        model_destroy(m);
    }
    printf("%-24s %d corruptions: %d refused, %d loaded (%d scored)\n", file, count, refused,
           loaded, scored);
    CHECK_EQ_INT(refused + loaded, count);
    free(copy);
    free(bytes);
}

/* Mutations of the document's values (any value anywhere: a number, a
 * string, a list, an object), as JSON and re-encoded: each model either
 * fails cleanly or loads and scores without crashing. */
typedef struct Slot {
    json_t *parent;
    const char *key;           /* in an object, or NULL: index in an array */
    size_t index;
} Slot;

static void collect(json_t *v, Slot **slots, size_t *n, size_t *cap)
{
    const char *key;
    json_t *child;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, child) {
            if (*n == *cap)
                *slots = realloc(*slots, (*cap = *cap * 2 + 64) * sizeof **slots);
            (*slots)[(*n)++] = (Slot){v, key, 0};
            collect(child, slots, n, cap);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child) {
            if (*n == *cap)
                *slots = realloc(*slots, (*cap = *cap * 2 + 64) * sizeof **slots);
            (*slots)[(*n)++] = (Slot){v, NULL, i};
            collect(child, slots, n, cap);
        }
    }
}

static json_t *random_value(void)
{
    static const long long ints[] = {-1, 0, 1, 2, 3, 4, 5, 6, 12, 13, 14, 2147483647,
                                     -2147483648LL, 4294967295LL, 1000000};
    switch (rnd() % 6) {
    case 0: case 1: case 2: return json_integer(ints[rnd() % 15]);
    case 3: return json_real(rnd() % 2 ? 1e30 : -0.5);
    case 4: {
        static const char *const strs[] = {"0", "1", "3", "-1", "x", "2147483648", "", "5E-1"};
        return json_string(strs[rnd() % 8]);
    }
    default: return rnd() % 2 ? json_array() : json_null();
    }
}

static void test_value_fuzz(const char *file, int count)
{
    size_t n;
    char *bytes = read_fixture(file, &n);
    int refused = 0, loaded = 0;
    for (int t = 0; t < count; t++) {
        json_t *doc = json_loadb(bytes, n, 0, NULL);
        Slot *slots = NULL;
        size_t nslots = 0, cap = 0;
        collect(doc, &slots, &nslots, &cap);
        int k = 1 + (int)(rnd() % 3);
        for (int j = 0; j < k; j++) {
            /* Trees hold most slots; bias a third of the picks to the rest. */
            size_t range = rnd() % 3 ? nslots : (nslots < 40 ? nslots : 40);
            Slot s = slots[rnd() % range];
            if (s.key)
                json_object_set_new(s.parent, s.key, random_value());
            else
                json_array_set_new(s.parent, s.index, random_value());
            if (j + 1 < k) {   /* the tree changed: collect again */
                nslots = 0;
                collect(doc, &slots, &nslots, &cap);
            }
        }
        char *text = json_dumps(doc, JSON_COMPACT);
        EddyError err;
        Model *m = model_load(text, strlen(text), MODEL_FORMAT_AUTO, &err);
        if (m == NULL) {
            refused += err.kind == ERR_ANALYSIS && err.msg[0];
        } else {
            loaded++;
            const ModelInfo *info = model_info(m);
            double *out = malloc(fx.nrows * (size_t)info->num_outputs * sizeof *out);
            if (info->num_features == 5)
                model_predict(m, fx.rows, fx.nrows, 5, out, &err);
            free(out);
            model_destroy(m);
        }
        free(text);
        free(slots);
        json_decref(doc);
    }
    printf("%-24s %d value mutations: %d refused, %d loaded and scored\n", file, count,
           refused, loaded);
    CHECK_EQ_INT(refused + loaded, count);
    free(bytes);
}

/* ---- structurally wrong XGBoost models ------------------------------- */

typedef void (*Mutation)(json_t *doc);

static json_t *tree0(json_t *doc)
{
    return json_array_get(json_object_get(json_object_get(json_object_get(json_object_get(
        doc, "learner"), "gradient_booster"), "model"), "trees"), 0);
}

static void set_int(json_t *tree, const char *arr, size_t i, long long v)
{
    json_array_set_new(json_object_get(tree, arr), i, json_integer(v));
}

static json_t *lmp(json_t *doc)
{
    return json_object_get(json_object_get(doc, "learner"), "learner_model_param");
}

static json_t *gbmodel(json_t *doc)
{
    return json_object_get(json_object_get(json_object_get(doc, "learner"), "gradient_booster"),
                           "model");
}

/* The fixture's first tree has 13 nodes; internal nodes 0 (children 1,
 * 2) and 1 (children 3, 4). */
static void m_cycle(json_t *d) { set_int(tree0(d), "left_children", 1, 1); set_int(tree0(d), "right_children", 1, 2); }
static void m_back(json_t *d) { set_int(tree0(d), "left_children", 1, 0); set_int(tree0(d), "right_children", 1, 1); }
static void m_oob(json_t *d) { set_int(tree0(d), "left_children", 0, 1000); set_int(tree0(d), "right_children", 0, 1001); }
static void m_neg(json_t *d) { set_int(tree0(d), "left_children", 0, -5); }
static void m_right(json_t *d) { set_int(tree0(d), "right_children", 0, 3); }
static void m_feature(json_t *d) { set_int(tree0(d), "split_indices", 0, 5); }
static void m_feature_neg(json_t *d) { set_int(tree0(d), "split_indices", 1, -1); }
static void m_short(json_t *d) { json_array_remove(json_object_get(tree0(d), "left_children"), 0); }
static void m_short_stat(json_t *d) { json_array_remove(json_object_get(tree0(d), "sum_hessian"), 0); }
static void m_child_real(json_t *d) { json_array_set_new(json_object_get(tree0(d), "left_children"), 0, json_real(1.0)); }
static void m_tree_info(json_t *d) { json_array_set_new(json_object_get(gbmodel(d), "tree_info"), 3, json_integer(1)); }
static void m_tree_info3(json_t *d) { json_array_set_new(json_object_get(gbmodel(d), "tree_info"), 3, json_integer(3)); }
static void m_tree_info_neg(json_t *d) { json_array_set_new(json_object_get(gbmodel(d), "tree_info"), 0, json_integer(-1)); }
static void m_parent(json_t *d) { set_int(tree0(d), "parents", 12, 13); }
static void m_parent_root(json_t *d) { set_int(tree0(d), "parents", 11, 2147483647); }
static void m_parent_wrong(json_t *d) { set_int(tree0(d), "parents", 3, 2); }
static void m_parent_neg(json_t *d) { set_int(tree0(d), "parents", 6, -7); }
static void m_id(json_t *d) { json_object_set_new(tree0(d), "id", json_integer(1)); }
static void m_no_id(json_t *d) { json_object_del(tree0(d), "id"); }
static void m_num_trees(json_t *d) { json_object_set_new(json_object_get(gbmodel(d), "gbtree_model_param"), "num_trees", json_string("25")); }
static void m_parallel(json_t *d) { json_object_set_new(json_object_get(gbmodel(d), "gbtree_model_param"), "num_parallel_tree", json_string("0")); }
static void m_nodes(json_t *d) { json_object_set_new(json_object_get(tree0(d), "tree_param"), "num_nodes", json_string("0")); }
static void m_nfeat0(json_t *d) { json_object_set_new(lmp(d), "num_feature", json_string("0")); }
static void m_nfeat2(json_t *d)
{
    json_object_set_new(lmp(d), "num_feature", json_string("2"));
    json_array_clear(json_object_get(json_object_get(d, "learner"), "feature_names"));
}
static void m_nfeat_text(json_t *d) { json_object_set_new(lmp(d), "num_feature", json_string("5x")); }
static void m_nfeat_huge(json_t *d) { json_object_set_new(lmp(d), "num_feature", json_string("99999999999")); }
static void m_names(json_t *d) { json_array_remove(json_object_get(json_object_get(d, "learner"), "feature_names"), 0); }
static void m_categorical(json_t *d) { set_int(tree0(d), "split_type", 0, 1); }
static void m_categories(json_t *d) { json_array_append_new(json_object_get(tree0(d), "categories"), json_integer(3)); }
static void m_booster(json_t *d) { json_object_set_new(json_object_get(json_object_get(d, "learner"), "gradient_booster"), "name", json_string("gbforest")); }
static void m_objective(json_t *d) { json_object_set_new(json_object_get(json_object_get(d, "learner"), "objective"), "name", json_string("binary:guess")); }
static void m_no_trees(json_t *d) { json_object_del(gbmodel(d), "trees"); }
static void m_leaf_vector(json_t *d) { json_object_set_new(json_object_get(tree0(d), "tree_param"), "size_leaf_vector", json_string("2")); }
static void m_num_class(json_t *d) { json_object_set_new(lmp(d), "num_class", json_string("-3")); }
static void m_base_score(json_t *d) { json_object_set_new(lmp(d), "base_score", json_string("high")); }
static void m_lin_short(json_t *d) { json_array_remove(json_object_get(gbmodel(d), "weights"), 0); }
static void m_lin_long(json_t *d) { json_array_append_new(json_object_get(gbmodel(d), "weights"), json_real(1)); }
static json_t *dart(json_t *d) { return json_object_get(json_object_get(d, "learner"), "gradient_booster"); }
static void m_dart_drop(json_t *d) { json_array_remove(json_object_get(dart(d), "weight_drop"), 0); }
static void m_dart_tree(json_t *d)
{
    json_t *t = json_array_get(json_object_get(json_object_get(json_object_get(dart(d), "gbtree"), "model"), "trees"), 2);
    set_int(t, "left_children", 0, 0);
}

static void check_mutation(const char *file, Mutation mut, const char *want, int line)
{
    size_t n;
    char *bytes = read_fixture(file, &n);
    json_t *doc = json_loadb(bytes, n, 0, NULL);
    free(bytes);
    mut(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    expect_fail_n(text, strlen(text), MODEL_FORMAT_AUTO, want, line);
    free(text);
    json_decref(doc);
}
#define MUTATION(file, mut, want) check_mutation(file, mut, want, __LINE__)

static void test_structure(void)
{
    const char *bl = "binary_logistic.json";
    MUTATION(bl, m_cycle, "node 1 is reached twice");
    MUTATION(bl, m_back, "left child 0, outside 1..");
    MUTATION(bl, m_oob, "left child 1000, outside");
    MUTATION(bl, m_neg, "left child -5");
    MUTATION(bl, m_right, "right child 3, not 2");
    MUTATION(bl, m_feature, "splits on feature 5, but the model has 5 features");
    MUTATION(bl, m_feature_neg, "splits on feature -1");
    MUTATION(bl, m_short, "left_children has 12 entries for 13 nodes");
    MUTATION(bl, m_short_stat, "sum_hessian does not have 13 entries");
    MUTATION(bl, m_parent, "node 12 has parent 13, outside 0..12");
    MUTATION(bl, m_parent_root, "node 11 has parent 2147483647");
    MUTATION(bl, m_parent_wrong, "node 1's children do not name it as parent");
    MUTATION(bl, m_parent_neg, "node 6 has parent -7");
    MUTATION(bl, m_id, "tree 0: its id is not 0");
    MUTATION(bl, m_no_id, "tree 0: its id is not 0");
    MUTATION(bl, m_tree_info_neg, "tree_info[0] is not an output group below 1");
    MUTATION(bl, m_child_real, "left_children[0] is not an integer");
    MUTATION(bl, m_tree_info, "tree_info[3] is not an output group below 1");
    MUTATION(bl, m_num_trees, "num_trees is 25 but there are 20 trees");
    MUTATION(bl, m_parallel, "num_parallel_tree is 0");
    MUTATION(bl, m_nodes, "num_nodes is 0");
    MUTATION(bl, m_nfeat0, "num_feature is 0");
    MUTATION(bl, m_nfeat2, "the model has 2 features");
    MUTATION(bl, m_nfeat_text, "num_feature is \"5x\", not an integer");
    MUTATION(bl, m_nfeat_huge, "not between 1 and");
    MUTATION(bl, m_names, "feature_names is not a list of 5 names");
    MUTATION(bl, m_categorical, "categorical splits (not supported)");
    MUTATION(bl, m_categories, "categorical splits (not supported)");
    MUTATION(bl, m_booster, "unknown booster \"gbforest\"");
    MUTATION(bl, m_objective, "xgboost: ");
    MUTATION(bl, m_no_trees, "trees is missing");
    MUTATION(bl, m_leaf_vector, "vector leaves");
    MUTATION(bl, m_num_class, "num_class is -3");
    MUTATION(bl, m_base_score, "base_score is not a number");
    MUTATION("multi_softprob.json", m_tree_info3, "tree_info[3] is not an output group below 3");
    MUTATION("gblinear_logistic.json", m_lin_short, "gblinear has 5 weights; 5 features and 1 groups need 6");
    MUTATION("gblinear_logistic.json", m_lin_long, "gblinear has 7 weights");
    MUTATION("dart_regression.json", m_dart_drop, "weight_drop has 7 entries for 8 trees");
    MUTATION("dart_regression.json", m_dart_tree, "tree 2: node 0 has left child 0");
}

/* ---- small things ----------------------------------------------------- */

static void test_misc(void)
{
    char hex[65];
    EddyError err;
    CHECK_EQ_INT(model_sha256_hex("", 0, hex, &err), 0);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_EQ_INT(model_sha256_hex("abc", 3, hex, &err), 0);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_EQ_INT(model_sha256_hex(m56, strlen(m56), hex, &err), 0);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    ModelFormat f = MODEL_FORMAT_AUTO;
    CHECK_EQ_INT(model_format_from_name("xgboost", &f), 0);
    CHECK_EQ_INT(f, MODEL_FORMAT_XGBOOST);
    CHECK_EQ_INT(model_format_from_name("Linear", &f), 0);
    CHECK_EQ_INT(f, MODEL_FORMAT_LINEAR);
    CHECK_EQ_INT(model_format_from_name("ONNX", &f), -1);
    CHECK_EQ_INT(model_format_from_name("AUTO", &f), -1);
    CHECK_STR(model_format_name(MODEL_FORMAT_XGBOOST), "XGBOOST");
    CHECK_STR(model_format_name(MODEL_FORMAT_LINEAR), "LINEAR");

    size_t n = 99;
    eddy_error_clear(&err);
    CHECK(model_file_read(MODELS "no-such-model.json", &n, &err) == NULL);
    CHECK_EQ_INT(err.kind, ERR_IO);
    CHECK(strstr(err.msg, "no-such-model.json") != NULL);
    CHECK(model_file_read(MODELS, &n, &err) == NULL);
    CHECK(strstr(err.msg, "not a regular file") != NULL);
    char *b = model_file_read(MODELS "gblinear_logistic.ubj", &n, &err);
    CHECK(b != NULL);
    CHECK_EQ_INT(n, 763);
    CHECK(b && b[0] == '{' && b[n] == '\0');
    free(b);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *seed = getenv("EDDY_TEST_SEED");
    if (seed)
        rng_state = strtoull(seed, NULL, 0) | 1;
    printf("seed 0x%llx\n", (unsigned long long)rng_state);
    int threads = thread_count();
    load_expected();
    test_fixtures();
    test_reformatted();
    test_batch(threads);
    test_predict_errors();
    test_linear();
    test_linear_errors();
    test_garbage();
    test_truncated("binary_logistic.json");
    test_truncated("binary_logistic.ubj");
    test_truncated("multi_softprob.ubj");
    test_truncated("gblinear_logistic.ubj");
    /* EDDY_TEST_FUZZ=N runs N times as many corruptions and mutations. */
    int scale = getenv("EDDY_TEST_FUZZ") ? atoi(getenv("EDDY_TEST_FUZZ")) : 1;
    test_corrupted("binary_logistic.ubj", 300 * scale);
    test_corrupted("multi_softprob.json", 300 * scale);
    test_corrupted("gblinear_logistic.ubj", 100 * scale);
    test_value_fuzz("binary_logistic.json", 300 * scale);
    test_value_fuzz("multi_softprob.json", 100 * scale);
    test_value_fuzz("gblinear_logistic.json", 200 * scale);
    test_value_fuzz("dart_regression.json", 200 * scale);
    test_structure();
    test_misc();
    free(fx.rows);
    json_decref(fx.doc);
    return testutil_done();
}
