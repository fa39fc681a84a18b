/*
 * model.c - models for PREDICT: XGBoost (JSON/UBJSON, scored by
 * libxgboost) and LINEAR (eddy's JSON); see include/eddy/model.h for the
 * formats and the contract.
 *
 * Loading an XGBoost model is three steps: decode (jansson for JSON, the
 * bounded UBJSON decoder below for UBJSON) into one json_t document, check
 * the structure libxgboost's predictor trusts (xgb_check_*), then hand the
 * original bytes to libxgboost.  libxgboost only ever sees bytes that
 * decoded without error, with no duplicate keys (so its reading of each
 * field is the one that was checked), and whose trees, tree_info and
 * weights cannot send its predictor outside its arrays or round a cycle.
 *
 * Scoring calls libxgboost once per batch: gbtree through
 * XGBoosterPredictFromDense on the caller's doubles (no copy); gblinear
 * (which has no in-place prediction in 1.7) and dart (whose in-place
 * prediction can differ from Booster.predict by a float32 ulp) through a
 * DMatrix made from the batch, as python's Booster.predict(DMatrix) does.
 */
#include "eddy/engine/model.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#define NOPOS ((SrcPos){0, 0})

/* Bounds that keep a hostile file from asking for absurd allocations: a
 * PREDICT call lists its features one by one, and no real classifier has
 * a million classes. */
#define MODEL_MAX_FEATURES (1 << 20)
#define MODEL_MAX_OUTPUTS (1 << 20)
/* xgboost models nest about 6 deep; deeper input is refused, not recursed. */
#define UBJ_MAX_DEPTH 64

struct Model {
    ModelInfo info;
    Arena *arena;              /* the info's strings and arrays */
    /* XGBOOST */
    BoosterHandle booster;
    bool via_dmatrix;          /* gblinear, dart: predict through a DMatrix */
    pthread_mutex_t lock;      /* one libxgboost call on this booster at a time */
    /* LINEAR */
    bool logistic;
    double intercept;
    double *coef;              /* num_features, in the arena */
};

/* ---- format names ------------------------------------------------------ */

const char *model_format_name(ModelFormat fmt)
{
    switch (fmt) {
    case MODEL_FORMAT_AUTO: return "AUTO";
    case MODEL_FORMAT_XGBOOST: return "XGBOOST";
    case MODEL_FORMAT_LINEAR: return "LINEAR";
    }
    EDDY_PANIC("unknown model format %d", (int)fmt);
}

int model_format_from_name(const char *name, ModelFormat *out)
{
    if (str_ieq(name, "XGBOOST"))
        *out = MODEL_FORMAT_XGBOOST;
    else if (str_ieq(name, "LINEAR"))
        *out = MODEL_FORMAT_LINEAR;
    else
        return -1;
    return 0;
}

/* ---- errors ------------------------------------------------------------ */

static int bad_model(EddyError *err, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "invalid <what> model: <message>", ERR_ANALYSIS. */
static int bad_model(EddyError *err, const char *what, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return eddy_error(err, ERR_ANALYSIS, NOPOS, "invalid %s model: %s", what, msg);
}

/* libxgboost's last error, cut to its first line and without the
 * "[hh:mm:ss] ./src/file.cc:123: " prefix and the stack trace it appends;
 * bytes outside printable ASCII (it may echo the input) become '?'. */
static void xgb_last_error(char *buf, size_t size)
{
    const char *s = XGBGetLastError();
    if (s == NULL)
        s = "";
    if (s[0] == '[' && strchr(s, ']'))
        s = strchr(s, ']') + 1;
    while (*s == ' ')
        s++;
    const char *colon = strstr(s, ": ");
    if ((s[0] == '.' || s[0] == '/') && colon && memchr(s, '\n', (size_t)(colon - s)) == NULL)
        s = colon + 2;
    size_t i = 0;
    for (; s[i] && s[i] != '\n' && i + 1 < size; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    while (i > 0 && buf[i - 1] == ' ')
        i--;
    buf[i] = '\0';
}

/* Once per thread that calls libxgboost: its messages off (its global
 * configuration is per thread) and one OpenMP thread.  nthread=1 on the
 * booster is not enough: loading a model runs a parallel loop over the
 * trees before the booster applies its parameters, with as many threads
 * as omp_get_max_threads() says, a per-thread setting that this lowers. */
static void xgb_thread_setup(void)
{
    static _Thread_local bool done;
    if (!done) {
        XGBSetGlobalConfig("{\"verbosity\":0}");
        omp_set_num_threads(1);
        done = true;
    }
}

/* ---- UBJSON ------------------------------------------------------------ */
/*
 * Universal Binary JSON as xgboost writes it (and the rest of the spec
 * but 'H' high-precision numbers): big-endian numbers i U I l L d D,
 * strings S (and chars C), T F Z, no-op N, arrays and objects with the
 * optional "$type#count" header (typed containers of numbers only).
 * Every length and count is checked against the bytes left before
 * anything is allocated for it.  Floats that jansson cannot hold (NaN,
 * infinities) decode as null; the checks never read float values.
 */

typedef struct Ubj {
    const unsigned char *start, *p, *end;
    EddyError *err;
} Ubj;

static json_t *ubj_fail(Ubj *u, const char *what)
{
    bad_model(u->err, "XGBoost", "UBJSON: %s at byte %zu", what, (size_t)(u->p - u->start));
    return NULL;
}

static size_t ubj_left(const Ubj *u)
{
    return (size_t)(u->end - u->p);
}

/* Payload size of a number marker; 0 for any other marker. */
static size_t ubj_num_size(int m)
{
    switch (m) {
    case 'i': case 'U': return 1;
    case 'I': return 2;
    case 'l': case 'd': return 4;
    case 'L': case 'D': return 8;
    default: return 0;
    }
}

static uint64_t ubj_be(const unsigned char *p, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++)
        v = v << 8 | p[i];
    return v;
}

/* An integer marker's value; the payload is there (checked by the caller). */
static int64_t ubj_int(Ubj *u, int m)
{
    size_t k = ubj_num_size(m);
    uint64_t b = ubj_be(u->p, k);
    u->p += k;
    switch (m) {
    case 'i': return (int8_t)(uint8_t)b;
    case 'U': return (uint8_t)b;
    case 'I': return (int16_t)(uint16_t)b;
    case 'l': return (int32_t)(uint32_t)b;
    default: return (int64_t)b;
    }
}

/* A number of marker m; the payload is there (checked by the caller). */
static json_t *ubj_number(Ubj *u, int m)
{
    if (m == 'd') {
        uint32_t w = (uint32_t)ubj_be(u->p, 4);
        float f;
        memcpy(&f, &w, sizeof f);
        u->p += 4;
        return isfinite(f) ? json_real(f) : json_null();
    }
    if (m == 'D') {
        uint64_t w = ubj_be(u->p, 8);
        double d;
        memcpy(&d, &w, sizeof d);
        u->p += 8;
        return isfinite(d) ? json_real(d) : json_null();
    }
    return json_integer(ubj_int(u, m));
}

/* A length or count: an integer marker and its non-negative value. */
static int ubj_length(Ubj *u, size_t *out)
{
    if (ubj_left(u) < 1)
        return ubj_fail(u, "unexpected end of data"), -1;
    int m = *u->p++;
    size_t k = ubj_num_size(m);
    if (k == 0 || m == 'd' || m == 'D')
        return ubj_fail(u, "a length that is not an integer"), -1;
    if (ubj_left(u) < k)
        return ubj_fail(u, "unexpected end of data"), -1;
    int64_t v = ubj_int(u, m);
    if (v < 0)
        return ubj_fail(u, "a negative length"), -1;
    if ((uint64_t)v > SIZE_MAX)
        return ubj_fail(u, "a length beyond the end of the data"), -1;
    *out = (size_t)v;
    return 0;
}

/* The next marker, skipping no-ops; -1 at the end of the data. */
static int ubj_marker(Ubj *u)
{
    while (ubj_left(u) > 0) {
        int m = *u->p++;
        if (m != 'N')
            return m;
    }
    ubj_fail(u, "unexpected end of data");
    return -1;
}

/* The optional "$type#count" after '[' or '{'.  *type is 0 and *count
 * SIZE_MAX when absent (then the container ends with ']' or '}'). */
static int ubj_header(Ubj *u, int *type, size_t *count)
{
    *type = 0;
    *count = SIZE_MAX;
    if (ubj_left(u) > 0 && *u->p == '$') {
        u->p++;
        if (ubj_left(u) < 1)
            return ubj_fail(u, "unexpected end of data"), -1;
        *type = *u->p++;
        if (ubj_num_size(*type) == 0)
            return ubj_fail(u, "a typed container that does not hold numbers"), -1;
        if (ubj_left(u) < 1 || *u->p != '#')
            return ubj_fail(u, "a typed container without a count"), -1;
    }
    if (ubj_left(u) > 0 && *u->p == '#') {
        u->p++;
        if (ubj_length(u, count) < 0)
            return -1;
        /* Each element takes at least its payload or a marker byte. */
        size_t min = *type ? ubj_num_size(*type) : 1;
        if (*count > ubj_left(u) / min)
            return ubj_fail(u, "a count beyond the end of the data"), -1;
    }
    return 0;
}

static json_t *ubj_value(Ubj *u, int m, int depth);

/* An array or object whose opening marker was read: elements up to the
 * closing marker, or `count` of them after a "#count" header.  Object keys
 * are a length and bytes, with no 'S' marker. */
static json_t *ubj_container(Ubj *u, int open, int depth)
{
    int type;
    size_t count;
    if (ubj_header(u, &type, &count) < 0)
        return NULL;
    bool object = open == '{';
    json_t *c = object ? json_object() : json_array();
    if (c == NULL)
        return ubj_fail(u, "out of memory");
    for (size_t i = 0; count == SIZE_MAX || i < count; i++) {
        if (count == SIZE_MAX) {
            while (ubj_left(u) > 0 && *u->p == 'N')
                u->p++;
            if (ubj_left(u) > 0 && *u->p == (object ? '}' : ']')) {
                u->p++;
                break;
            }
        }
        const char *key = NULL;
        size_t len = 0;
        if (object) {
            if (ubj_length(u, &len) < 0)
                goto fail;
            if (len > ubj_left(u)) {
                ubj_fail(u, "a key beyond the end of the data");
                goto fail;
            }
            key = (const char *)u->p;
            u->p += len;
            if (json_object_getn(c, key, len) != NULL) {
                ubj_fail(u, "a duplicate key");
                goto fail;
            }
        }
        json_t *v;
        if (type) {
            v = ubj_number(u, type);
        } else {
            int m = ubj_marker(u);
            v = m < 0 ? NULL : ubj_value(u, m, depth);
        }
        if (v == NULL) {
            if (u->err->kind == ERR_NONE)
                ubj_fail(u, "out of memory");
            goto fail;
        }
        /* Both steal v, also on failure. */
        if (object ? json_object_setn_new(c, key, len, v) < 0 : json_array_append_new(c, v) < 0) {
            ubj_fail(u, object ? "a key that is not UTF-8" : "out of memory");
            goto fail;
        }
    }
    return c;
fail:
    json_decref(c);
    return NULL;
}

/* The value of marker m (already read). */
static json_t *ubj_value(Ubj *u, int m, int depth)
{
    size_t k = ubj_num_size(m);
    if (k > 0) {
        if (ubj_left(u) < k)
            return ubj_fail(u, "unexpected end of data");
        json_t *v = ubj_number(u, m);
        return v ? v : ubj_fail(u, "out of memory");
    }
    switch (m) {
    case 'Z': return json_null();
    case 'T': return json_true();
    case 'F': return json_false();
    case 'C':
    case 'S': {
        size_t len = 1;
        if (m == 'S' && ubj_length(u, &len) < 0)
            return NULL;
        if (len > ubj_left(u))
            return ubj_fail(u, "a string beyond the end of the data");
        json_t *s = json_stringn((const char *)u->p, len);
        if (s == NULL)
            return ubj_fail(u, "a string that is not UTF-8");
        u->p += len;
        return s;
    }
    case '[':
    case '{':
        if (depth >= UBJ_MAX_DEPTH)
            return ubj_fail(u, "containers nested too deeply");
        return ubj_container(u, m, depth + 1);
    case 'H':
        return ubj_fail(u, "a high-precision number (not supported)");
    default: {
        char what[48];
        snprintf(what, sizeof what, "an unknown marker 0x%02x", (unsigned)m);
        u->p--;
        return ubj_fail(u, what);
    }
    }
}

static json_t *ubj_decode(const void *bytes, size_t n, EddyError *err)
{
    Ubj u = {bytes, bytes, (const unsigned char *)bytes + n, err};
    int m = ubj_marker(&u);
    json_t *doc = m < 0 ? NULL : ubj_value(&u, m, 0);
    if (doc && u.p != u.end) {
        json_decref(doc);
        return ubj_fail(&u, "bytes after the end of the document");
    }
    return doc;
}

/* ---- XGBoost: structure checks -------------------------------------- */

#define XGB "XGBoost"

/* obj[key] of the given JSON type, or NULL with err naming path.key. */
static json_t *member(json_t *obj, const char *path, const char *key, json_type type,
                      EddyError *err)
{
    static const char *const type_names[] = {"an object", "an array", "a string", "an integer",
                                             "a number", "true", "false", "null"};
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        bad_model(err, XGB, "%s%s is missing", path, key);
        return NULL;
    }
    if (json_typeof(v) != type) {
        bad_model(err, XGB, "%s%s is not %s", path, key, type_names[type]);
        return NULL;
    }
    return v;
}

/* An integer parameter: xgboost writes them as decimal strings ("5"); a
 * JSON integer is taken too.  Absent: dflt, or an error if dflt < lo. */
static int param_int(json_t *obj, const char *path, const char *key, long long dflt,
                     long long lo, long long hi, long long *out, EddyError *err)
{
    json_t *v = json_object_get(obj, key);
    long long x = 0;
    if (v == NULL) {
        if (dflt < lo)
            return bad_model(err, XGB, "%s%s is missing", path, key);
        *out = dflt;
        return 0;
    }
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v)) {
        /* Digits only: what xgboost's own parameter parser reads the same way. */
        const char *s = json_string_value(v);
        size_t i = s[0] == '-', len = json_string_length(v);
        if (len == i || len > i + 18 || strspn(s + i, "0123456789") != len - i)
            return bad_model(err, XGB, "%s%s is \"%.40s\", not an integer", path, key, s);
        x = strtoll(s, NULL, 10);
    } else {
        return bad_model(err, XGB, "%s%s is not an integer", path, key);
    }
    if (x < lo || x > hi)
        return bad_model(err, XGB, "%s%s is %lld, not between %lld and %lld", path, key, x, lo,
                         hi);
    *out = x;
    return 0;
}

/* arr[i] as an integer (arr has more than i elements). */
static int int_at(json_t *arr, size_t i, const char *name, size_t tree, long long *out,
                  EddyError *err)
{
    json_t *v = json_array_get(arr, i);
    if (!json_is_integer(v))
        return bad_model(err, XGB, "tree %zu: %s[%zu] is not an integer", tree, name, i);
    *out = json_integer_value(v);
    return 0;
}

/* What the checks learn about the model. */
typedef struct XgbShape {
    long long num_feature, groups, num_class, num_target;
    const char *booster, *objective;
    json_t *feature_names;     /* array, possibly empty */
} XgbShape;

/* Per-node arrays that libxgboost reads for every node. */
static const char *const node_arrays[] = {"left_children", "right_children", "parents",
                                          "split_indices", "split_conditions", "default_left"};
/* Per-node arrays that may be absent (older models, statistics), but not short. */
static const char *const optional_node_arrays[] = {"split_type", "base_weights",
                                                   "loss_changes", "sum_hessian"};
static const char *const category_arrays[] = {"categories", "categories_nodes",
                                              "categories_segments", "categories_sizes"};

/* One tree: arrays of num_nodes entries, and from the root a tree in which
 * every split names a feature below num_feature and has its right child
 * right after its left one (libxgboost's predictor steps to left + 1 for
 * "not less than", whatever right_children says). */
static int xgb_check_tree(json_t *tree, size_t t, const XgbShape *sh, EddyError *err)
{
    char path[64];
    snprintf(path, sizeof path, "tree %zu: ", t);
    if (!json_is_object(tree))
        return bad_model(err, XGB, "tree %zu is not an object", t);
    json_t *tp = member(tree, path, "tree_param", JSON_OBJECT, err);
    long long n, leaf_vec;
    if (tp == NULL || param_int(tp, path, "num_nodes", -1, 1, INT_MAX, &n, err) < 0 ||
        param_int(tp, path, "size_leaf_vector", 0, 0, LLONG_MAX, &leaf_vec, err) < 0)
        return -1;
    if (leaf_vec != 0)
        return bad_model(err, XGB, "tree %zu has vector leaves (not supported)", t);
    json_t *arrays[6];
    for (int i = 0; i < 6; i++) {
        arrays[i] = member(tree, path, node_arrays[i], JSON_ARRAY, err);
        if (arrays[i] == NULL)
            return -1;
        if (json_array_size(arrays[i]) != (size_t)n)
            return bad_model(err, XGB, "tree %zu: %s has %zu entries for %lld nodes", t,
                             node_arrays[i], json_array_size(arrays[i]), n);
    }
    for (int i = 0; i < 4; i++) {
        json_t *a = json_object_get(tree, optional_node_arrays[i]);
        if (a && (!json_is_array(a) || json_array_size(a) != (size_t)n))
            return bad_model(err, XGB, "tree %zu: %s does not have %lld entries", t,
                             optional_node_arrays[i], n);
    }
    /* Categorical splits index a second set of arrays; eddy passes
     * numbers only, so they are refused rather than checked. */
    json_t *split_type = json_object_get(tree, "split_type");
    for (size_t i = 0; split_type && i < (size_t)n; i++) {
        json_t *v = json_array_get(split_type, i);
        if (!json_is_integer(v) || json_integer_value(v) != 0)
            return bad_model(err, XGB, "tree %zu has categorical splits (not supported)", t);
    }
    for (int i = 0; i < 4; i++) {
        json_t *a = json_object_get(tree, category_arrays[i]);
        if (a && (!json_is_array(a) || json_array_size(a) != 0))
            return bad_model(err, XGB, "tree %zu has categorical splits (not supported)", t);
    }

    /* libxgboost's loader looks up every node's parent but the root's
     * (reachable or not), and files each tree under its "id". */
    json_t *left = arrays[0], *right = arrays[1], *parents = arrays[2], *feature = arrays[3];
    for (size_t i = 1; i < (size_t)n; i++) {
        long long p = 0;
        if (int_at(parents, i, "parents", t, &p, err) < 0)
            return -1;
        if (p < 0 || p >= n)
            return bad_model(err, XGB, "tree %zu: node %zu has parent %lld, outside 0..%lld", t,
                             i, p, n - 1);
    }
    json_t *id = json_object_get(tree, "id");
    if (!json_is_integer(id) || json_integer_value(id) != (json_int_t)t)
        return bad_model(err, XGB, "tree %zu: its id is not %zu", t, t);
    /* Depth-first from the root; a node is pushed once, so the stack
     * never holds more than n entries. */
    unsigned char *seen = calloc((size_t)n, 1);
    int *stack = malloc((size_t)n * sizeof *stack);
    int rc = 0, sp = 0;
    if (seen == NULL || stack == NULL) {
        rc = eddy_error(err, ERR_ANALYSIS, NOPOS, "out of memory checking tree %zu", t);
        goto done;
    }
    seen[0] = 1;
    stack[sp++] = 0;
    while (sp > 0 && rc == 0) {
        size_t v = (size_t)stack[--sp];
        long long l = 0, r = 0, f = 0;
        if ((rc = int_at(left, v, "left_children", t, &l, err)) < 0)
            break;
        if (l == -1)
            continue;   /* a leaf: its value is split_conditions[v] */
        if ((rc = int_at(right, v, "right_children", t, &r, err)) < 0 ||
            (rc = int_at(feature, v, "split_indices", t, &f, err)) < 0)
            break;
        if (l < 1 || l >= n)
            rc = bad_model(err, XGB, "tree %zu: node %zu has left child %lld, outside 1..%lld",
                           t, v, l, n - 1);
        else if (r != l + 1)
            rc = bad_model(err, XGB,
                           "tree %zu: node %zu has right child %lld, not %lld (right after its "
                           "left child, as xgboost lays trees out)", t, v, r, l + 1);
        else if (seen[l] || seen[r])
            rc = bad_model(err, XGB, "tree %zu: node %lld is reached twice (not a tree)", t,
                           seen[l] ? l : r);
        else if (json_integer_value(json_array_get(parents, (size_t)l)) != (json_int_t)v ||
                 json_integer_value(json_array_get(parents, (size_t)r)) != (json_int_t)v)
            rc = bad_model(err, XGB, "tree %zu: node %zu's children do not name it as parent",
                           t, v);
        else if (f < 0 || f >= sh->num_feature)
            rc = bad_model(err, XGB, "tree %zu: node %zu splits on feature %lld, but the model "
                           "has %lld features", t, v, f, sh->num_feature);
        else {
            seen[l] = seen[r] = 1;
            stack[sp++] = (int)l;
            stack[sp++] = (int)r;
        }
    }
done:
    free(seen);
    free(stack);
    return rc;
}

/* A gbtree model object ({"gbtree_model_param", "tree_info", "trees"}). */
static int xgb_check_trees(json_t *model, const char *path, const XgbShape *sh,
                           long long *num_trees, EddyError *err)
{
    char sub[96];
    snprintf(sub, sizeof sub, "%sgbtree_model_param.", path);
    json_t *param = member(model, path, "gbtree_model_param", JSON_OBJECT, err);
    json_t *trees = param ? member(model, path, "trees", JSON_ARRAY, err) : NULL;
    json_t *info = trees ? member(model, path, "tree_info", JSON_ARRAY, err) : NULL;
    long long parallel, leaf_vec;
    /* num_parallel_tree divides in XGBoosterBoostedRounds: 0 would trap. */
    if (info == NULL ||
        param_int(param, sub, "num_trees", -1, 0, INT_MAX, num_trees, err) < 0 ||
        param_int(param, sub, "num_parallel_tree", 1, 1, INT_MAX, &parallel, err) < 0 ||
        param_int(param, sub, "size_leaf_vector", 0, 0, LLONG_MAX, &leaf_vec, err) < 0)
        return -1;
    if (leaf_vec != 0)
        return bad_model(err, XGB, "the trees have vector leaves (not supported)");
    size_t nt = json_array_size(trees);
    if ((size_t)*num_trees != nt)
        return bad_model(err, XGB, "%snum_trees is %lld but there are %zu trees", sub,
                         *num_trees, nt);
    if (json_array_size(info) != nt)
        return bad_model(err, XGB, "%stree_info has %zu entries for %zu trees", path,
                         json_array_size(info), nt);
    for (size_t i = 0; i < nt; i++) {
        json_t *g = json_array_get(info, i);
        /* The output group a tree adds to: libxgboost indexes its output with it. */
        if (!json_is_integer(g) || json_integer_value(g) < 0 ||
            json_integer_value(g) >= sh->groups)
            return bad_model(err, XGB, "%stree_info[%zu] is not an output group below %lld",
                             path, i, sh->groups);
        if (xgb_check_tree(json_array_get(trees, i), i, sh, err) < 0)
            return -1;
    }
    return 0;
}

/* The whole document: learner parameters, objective, feature names, booster. */
static int xgb_check(json_t *doc, XgbShape *sh, EddyError *err)
{
    if (!json_is_object(doc))
        return bad_model(err, XGB, "the document is not an object");
    json_t *learner = member(doc, "", "learner", JSON_OBJECT, err);
    json_t *lmp = learner ? member(learner, "learner.", "learner_model_param", JSON_OBJECT, err)
                          : NULL;
    json_t *obj = lmp ? member(learner, "learner.", "objective", JSON_OBJECT, err) : NULL;
    json_t *oname = obj ? member(obj, "learner.objective.", "name", JSON_STRING, err) : NULL;
    json_t *gb = oname ? member(learner, "learner.", "gradient_booster", JSON_OBJECT, err)
                       : NULL;
    json_t *gbname = gb ? member(gb, "learner.gradient_booster.", "name", JSON_STRING, err)
                        : NULL;
    const char *p = "learner.learner_model_param.";
    if (gbname == NULL ||
        param_int(lmp, p, "num_feature", -1, 1, MODEL_MAX_FEATURES, &sh->num_feature, err) < 0 ||
        param_int(lmp, p, "num_class", 0, 0, MODEL_MAX_OUTPUTS, &sh->num_class, err) < 0 ||
        param_int(lmp, p, "num_target", 1, 1, MODEL_MAX_OUTPUTS, &sh->num_target, err) < 0)
        return -1;
    /* libxgboost reads a base_score that is not a number as 0, silently. */
    json_t *bs = json_object_get(lmp, "base_score");
    if (bs) {
        const char *s = json_string_value(bs);
        char *end = NULL;
        double v = s ? strtod(s, &end) : 0;
        if (s == NULL || end == s || *end != '\0' || !isfinite(v))
            return bad_model(err, XGB, "%sbase_score is not a number", p);
    }
    if (sh->num_class > 1 && sh->num_target > 1)
        return bad_model(err, XGB, "both num_class and num_target are above 1");
    /* libxgboost's number of output groups: trees add to one of them. */
    sh->groups = sh->num_class > sh->num_target ? sh->num_class : sh->num_target;
    sh->objective = json_string_value(oname);
    sh->booster = json_string_value(gbname);

    sh->feature_names = json_object_get(learner, "feature_names");
    if (sh->feature_names) {
        size_t nn = json_array_size(sh->feature_names);
        if (!json_is_array(sh->feature_names) || (nn != 0 && nn != (size_t)sh->num_feature))
            return bad_model(err, XGB, "learner.feature_names is not a list of %lld names",
                             sh->num_feature);
        for (size_t i = 0; i < nn; i++)
            if (!json_is_string(json_array_get(sh->feature_names, i)))
                return bad_model(err, XGB, "learner.feature_names[%zu] is not a string", i);
    }

    long long num_trees;
    const char *gp = "learner.gradient_booster.";
    if (strcmp(sh->booster, "gbtree") == 0) {
        json_t *model = member(gb, gp, "model", JSON_OBJECT, err);
        return model ? xgb_check_trees(model, "learner.gradient_booster.model.", sh, &num_trees,
                                       err)
                     : -1;
    }
    if (strcmp(sh->booster, "dart") == 0) {
        json_t *inner = member(gb, gp, "gbtree", JSON_OBJECT, err);
        json_t *model = inner ? member(inner, "learner.gradient_booster.gbtree.", "model",
                                       JSON_OBJECT, err)
                              : NULL;
        json_t *drop = model ? member(gb, gp, "weight_drop", JSON_ARRAY, err) : NULL;
        if (drop == NULL ||
            xgb_check_trees(model, "learner.gradient_booster.gbtree.model.", sh, &num_trees,
                            err) < 0)
            return -1;
        if (json_array_size(drop) != (size_t)num_trees)
            return bad_model(err, XGB, "%sweight_drop has %zu entries for %lld trees", gp,
                             json_array_size(drop), num_trees);
        return 0;
    }
    if (strcmp(sh->booster, "gblinear") == 0) {
        json_t *model = member(gb, gp, "model", JSON_OBJECT, err);
        json_t *w = model ? member(model, "learner.gradient_booster.model.", "weights",
                                   JSON_ARRAY, err)
                          : NULL;
        if (w == NULL)
            return -1;
        /* A weight per feature and group, then a bias per group. */
        size_t want = (size_t)(sh->num_feature + 1) * (size_t)sh->groups;
        if (json_array_size(w) != want)
            return bad_model(err, XGB, "gblinear has %zu weights; %lld features and %lld "
                             "groups need %zu", json_array_size(w), sh->num_feature, sh->groups,
                             want);
        return 0;
    }
    return bad_model(err, XGB, "unknown booster \"%.40s\" (gbtree, dart or gblinear)",
                     sh->booster);
}

/* ---- XGBoost: load and predict ---------------------------------------- */

static const char predict_config[] =
    "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
    "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";

static bool little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* One libxgboost call on an nrows x ncols row-major matrix of doubles
 * (bytes 8) or floats (bytes 4): in place for gbtree, through a DMatrix
 * for the others.  On success *res is libxgboost's output, valid until
 * this thread's next call; on failure msg holds its error. */
static int xgb_run(Model *m, const void *data, int bytes, size_t nrows, size_t ncols,
                   const bst_ulong **shape, bst_ulong *dim, const float **res, char *msg,
                   size_t msgsize)
{
    char ai[192];
    snprintf(ai, sizeof ai,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%zu],\"typestr\":\"%cf%d\","
             "\"version\":3}", (uintptr_t)data, nrows, ncols, little_endian() ? '<' : '>',
             bytes);
    int rc;
    xgb_thread_setup();
    if (m->via_dmatrix) {
        DMatrixHandle dm = NULL;
        rc = XGDMatrixCreateFromDense(ai, "{\"missing\":NaN,\"nthread\":1}", &dm);
        if (rc == 0)
            rc = XGBoosterPredictFromDMatrix(m->booster, dm, predict_config, shape, dim, res);
        if (rc != 0)
            xgb_last_error(msg, msgsize);
        if (dm)
            XGDMatrixFree(dm);
        return rc;
    }
    rc = XGBoosterPredictFromDense(m->booster, ai, predict_config, NULL, shape, dim, res);
    if (rc != 0)
        xgb_last_error(msg, msgsize);
    return rc;
}

/* Scores a batch; copies libxgboost's float32 output, which must be
 * nrows * num_outputs values, into out.  Caller holds m->lock. */
static int xgb_predict_locked(Model *m, const double *x, size_t nrows, size_t ncols,
                              double *out, EddyError *err)
{
    char msg[512];
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    int rc;
    if (!m->via_dmatrix) {
        rc = xgb_run(m, x, 8, nrows, ncols, &shape, &dim, &res, msg, sizeof msg);
    } else {
        /* A DMatrix refuses values that are infinite as float32, so they
         * are clamped here, in the float32 conversion xgboost would make
         * anyway. */
        size_t nv = nrows * ncols;
        float *xf = malloc(nv * sizeof *xf);
        if (xf == NULL)
            return eddy_error(err, ERR_RUNTIME, NOPOS, "out of memory scoring %zu rows", nrows);
        for (size_t i = 0; i < nv; i++)
            xf[i] = x[i] > FLT_MAX ? FLT_MAX : x[i] < -FLT_MAX ? -FLT_MAX : (float)x[i];
        rc = xgb_run(m, xf, 4, nrows, ncols, &shape, &dim, &res, msg, sizeof msg);
        free(xf);
    }
    if (rc != 0)
        return eddy_error(err, ERR_RUNTIME, NOPOS, "xgboost: %s", msg);
    size_t total = 1, want = nrows * (size_t)m->info.num_outputs;
    for (bst_ulong i = 0; i < dim; i++)
        total *= (size_t)shape[i];
    if (dim < 1 || dim > 2 || shape[0] != nrows || total != want)
        return eddy_error(err, ERR_INTERNAL, NOPOS,
                          "xgboost returned %zu values for %zu rows of %d outputs", total, nrows,
                          m->info.num_outputs);
    for (size_t i = 0; i < want; i++)
        out[i] = res[i];
    return 0;
}

/* The output width libxgboost gives for one row of missing values. */
static int xgb_probe_outputs(Model *m, EddyError *err)
{
    size_t nf = (size_t)m->info.num_features;
    double *row = malloc(nf * sizeof *row);
    if (row == NULL)
        return eddy_error(err, ERR_ANALYSIS, NOPOS, "out of memory");
    for (size_t i = 0; i < nf; i++)
        row[i] = NAN;
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    char msg[512];
    int rc = xgb_run(m, row, 8, 1, nf, &shape, &dim, &res, msg, sizeof msg);
    free(row);
    if (rc != 0)
        return bad_model(err, XGB, "xgboost cannot score it: %s", msg);
    if (dim < 1 || dim > 2 || shape[0] != 1 ||
        (dim == 2 && (shape[1] < 1 || shape[1] > MODEL_MAX_OUTPUTS)))
        return bad_model(err, XGB, "xgboost gives an output of unexpected shape");
    m->info.num_outputs = dim == 2 ? (int)shape[1] : 1;
    return 0;
}

static int xgb_load(Model *m, const void *bytes, size_t n, json_t *doc, EddyError *err)
{
    XgbShape sh = {0};
    if (xgb_check(doc, &sh, err) < 0)
        return -1;
    ModelInfo *info = &m->info;
    info->booster = arena_strdup(m->arena, sh.booster);
    info->objective = arena_strdup(m->arena, sh.objective);
    info->num_features = (int)sh.num_feature;
    size_t nnames = json_array_size(sh.feature_names);
    if (nnames > 0) {
        const char **names = arena_alloc(m->arena, nnames * sizeof *names);
        for (size_t i = 0; i < nnames; i++)
            names[i] = arena_strdup(m->arena, json_string_value(json_array_get(sh.feature_names, i)));
        info->feature_names = names;
    }
    m->via_dmatrix = strcmp(sh.booster, "gbtree") != 0;

    char msg[512];
    xgb_thread_setup();
    if (XGBoosterCreate(NULL, 0, &m->booster) != 0) {
        xgb_last_error(msg, sizeof msg);
        return eddy_error(err, ERR_ANALYSIS, NOPOS, "xgboost: %s", msg);
    }
    /* Loading keeps the booster's parameters, so nthread can go first. */
    if (XGBoosterSetParam(m->booster, "nthread", "1") != 0 ||
        XGBoosterLoadModelFromBuffer(m->booster, bytes, (bst_ulong)n) != 0) {
        xgb_last_error(msg, sizeof msg);
        return bad_model(err, XGB, "xgboost: %s", msg);
    }
    bst_ulong nf = 0;
    int rounds = 0;
    if (XGBoosterGetNumFeature(m->booster, &nf) != 0 || nf != (bst_ulong)sh.num_feature ||
        XGBoosterBoostedRounds(m->booster, &rounds) != 0)
        return bad_model(err, XGB, "xgboost reads it differently (%llu features, not %lld)",
                         (unsigned long long)nf, sh.num_feature);
    info->num_rounds = rounds;
    if (xgb_probe_outputs(m, err) < 0)
        return -1;
    /* The width must be what the objective promises: softmax gives one
     * class index, every other objective a value per output group. */
    long long want = strcmp(sh.objective, "multi:softmax") == 0 ? 1 : sh.groups;
    if (info->num_outputs != want)
        return bad_model(err, XGB, "xgboost gives %d outputs per row where %lld were expected",
                         info->num_outputs, want);
    return 0;
}

/* ---- LINEAR ------------------------------------------------------------ */

#define LIN "LINEAR"

static int linear_load(Model *m, json_t *doc, EddyError *err)
{
    if (!json_is_object(doc))
        return bad_model(err, LIN, "the document is not an object");
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        if (strcmp(key, "type") && strcmp(key, "features") && strcmp(key, "coefficients") &&
            strcmp(key, "intercept"))
            return bad_model(err, LIN, "unknown key \"%.40s\" (the keys are type, features, "
                             "coefficients, intercept)", key);
    }
    json_t *type = json_object_get(doc, "type");
    json_t *features = json_object_get(doc, "features");
    json_t *coef = json_object_get(doc, "coefficients");
    json_t *icpt = json_object_get(doc, "intercept");
    if (type == NULL || features == NULL || coef == NULL || icpt == NULL)
        return bad_model(err, LIN, "\"%s\" is missing",
                         !type ? "type" : !features ? "features" : !coef ? "coefficients"
                                                                          : "intercept");
    const char *t = json_string_value(type);
    if (t == NULL || (strcmp(t, "linear") && strcmp(t, "logistic")))
        return bad_model(err, LIN, "\"type\" is not \"linear\" or \"logistic\"");
    if (!json_is_array(features) || json_array_size(features) == 0)
        return bad_model(err, LIN, "\"features\" is not a non-empty list of names");
    if (!json_is_array(coef))
        return bad_model(err, LIN, "\"coefficients\" is not a list of numbers");
    size_t nf = json_array_size(features);
    if (nf > MODEL_MAX_FEATURES)
        return bad_model(err, LIN, "%zu features (at most %d)", nf, MODEL_MAX_FEATURES);
    if (json_array_size(coef) != nf)
        return bad_model(err, LIN, "%zu features but %zu coefficients", nf,
                         json_array_size(coef));
    if (!json_is_number(icpt) || !isfinite(json_number_value(icpt)))
        return bad_model(err, LIN, "\"intercept\" is not a finite number");

    ModelInfo *info = &m->info;
    const char **names = arena_alloc(m->arena, nf * sizeof *names);
    m->coef = arena_alloc(m->arena, nf * sizeof *m->coef);
    StrMap *seen = strmap_create();
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        const char *name = json_string_value(json_array_get(features, i));
        json_t *c = json_array_get(coef, i);
        if (name == NULL || name[0] == '\0') {
            rc = bad_model(err, LIN, "feature %zu is not a non-empty name", i + 1);
        } else if (!json_is_number(c) || !isfinite(json_number_value(c))) {
            rc = bad_model(err, LIN, "coefficient %zu is not a finite number", i + 1);
        } else {
            char *upper = str_upper(m->arena, name);
            if (strmap_get(seen, upper))
                rc = bad_model(err, LIN, "feature \"%.40s\" is listed twice", name);
            strmap_put(seen, upper, (void *)name);
            names[i] = arena_strdup(m->arena, name);
            m->coef[i] = json_number_value(c);
        }
    }
    strmap_destroy(seen);
    if (rc < 0)
        return -1;
    m->logistic = strcmp(t, "logistic") == 0;
    m->intercept = json_number_value(icpt);
    info->objective = m->logistic ? "logistic" : "linear";
    info->num_features = (int)nf;
    info->feature_names = names;
    info->num_outputs = 1;
    return 0;
}

static void linear_predict(const Model *m, const double *x, size_t nrows, double *out)
{
    size_t nf = (size_t)m->info.num_features;
    for (size_t r = 0; r < nrows; r++) {
        const double *row = x + r * nf;
        double z = m->intercept;
        for (size_t i = 0; i < nf; i++)
            z += m->coef[i] * row[i];   /* a NaN feature makes z NaN */
        out[r] = m->logistic ? 1.0 / (1.0 + exp(-z)) : z;
    }
}

/* ---- the API ------------------------------------------------------------ */

/* UBJSON objects start with '{' and then a key's length marker; JSON
 * objects with '{' and then whitespace, '"' or '}'. */
static bool looks_ubjson(const unsigned char *b, size_t n)
{
    return n >= 2 && b[0] == '{' && strchr("iUIlL$#N", b[1]) != NULL && b[1] != '\0';
}

/* Decodes bytes into *doc and settles the format.  *ubjson says which
 * encoding it was. */
static int decode(const void *bytes, size_t n, ModelFormat *fmt, bool *ubjson, json_t **doc,
                  EddyError *err)
{
    const unsigned char *b = bytes;
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    if (i == n)
        return eddy_error(err, ERR_ANALYSIS, NOPOS, "invalid model: the file is empty");
    *ubjson = looks_ubjson(b, n);
    if (*ubjson) {
        if (*fmt == MODEL_FORMAT_LINEAR)
            return bad_model(err, LIN, "it is UBJSON; a LINEAR model is JSON");
        *fmt = MODEL_FORMAT_XGBOOST;
        *doc = ubj_decode(bytes, n, err);
        return *doc ? 0 : -1;
    }
    if (b[i] != '{')
        return eddy_error(err, ERR_ANALYSIS, NOPOS,
                          "invalid model: not JSON or UBJSON (xgboost's old binary format is "
                          "not supported: save the model with save_model to a .json or .ubj "
                          "file)");
    json_error_t je;
    *doc = json_loadb(bytes, n, JSON_REJECT_DUPLICATES, &je);
    if (*doc == NULL)
        return eddy_error(err, ERR_ANALYSIS, NOPOS,
                          "invalid %smodel: JSON error at line %d, column %d: %s",
                          *fmt == MODEL_FORMAT_XGBOOST ? "XGBoost "
                          : *fmt == MODEL_FORMAT_LINEAR ? "LINEAR " : "",
                          je.line, je.column, je.text);
    bool xgb = json_object_get(*doc, "learner") != NULL;
    bool lin = json_object_get(*doc, "type") != NULL;
    if (*fmt == MODEL_FORMAT_AUTO) {
        if (!xgb && !lin)
            return eddy_error(err, ERR_ANALYSIS, NOPOS,
                              "invalid model: JSON with neither \"learner\" (an XGBoost model) "
                              "nor \"type\" (a LINEAR model)");
        *fmt = xgb ? MODEL_FORMAT_XGBOOST : MODEL_FORMAT_LINEAR;
    } else if (*fmt == MODEL_FORMAT_LINEAR && xgb) {
        return bad_model(err, LIN, "it is an XGBoost model (FORMAT='XGBOOST')");
    }
    return 0;
}

Model *model_load(const void *bytes, size_t n, ModelFormat fmt, EddyError *err)
{
    EddyError e;
    eddy_error_clear(&e);
    json_t *doc = NULL;
    bool ubjson = false;
    Model *m = NULL;
    if (bytes == NULL && n > 0)
        EDDY_PANIC("model_load: NULL bytes");
    if (decode(bytes, n, &fmt, &ubjson, &doc, &e) == 0) {
        m = calloc(1, sizeof *m);
        if (m == NULL) {
            eddy_error(&e, ERR_ANALYSIS, NOPOS, "out of memory");
        } else {
            m->arena = arena_create(0);
            pthread_mutex_init(&m->lock, NULL);
            m->info.format = fmt;
            m->info.encoding = ubjson ? "UBJSON" : "JSON";
            /* xgboost reads JSON only when '"' follows the opening brace;
             * a reformatted file goes to it compact. */
            const unsigned char *b = bytes;
            char *compact = NULL;
            if (fmt == MODEL_FORMAT_XGBOOST && !ubjson && !(n >= 2 && b[0] == '{' && b[1] == '"'))
                compact = json_dumps(doc, JSON_COMPACT);
            int rc = fmt == MODEL_FORMAT_LINEAR ? linear_load(m, doc, &e)
                     : compact ? xgb_load(m, compact, strlen(compact), doc, &e)
                               : xgb_load(m, bytes, n, doc, &e);
            free(compact);
            if (rc < 0) {
                model_destroy(m);
                m = NULL;
            }
        }
    }
    json_decref(doc);
    if (m == NULL && err)
        *err = e;
    return m;
}

void model_destroy(Model *m)
{
    if (m == NULL)
        return;
    if (m->booster)
        XGBoosterFree(m->booster);
    pthread_mutex_destroy(&m->lock);
    arena_destroy(m->arena);
    free(m);
}

const ModelInfo *model_info(const Model *m)
{
    return &m->info;
}

int model_predict(Model *m, const double *x, size_t nrows, size_t ncols, double *out,
                  EddyError *err)
{
    if (ncols != (size_t)m->info.num_features)
        return eddy_error(err, ERR_RUNTIME, NOPOS, "the model takes %d features, not %zu",
                          m->info.num_features, ncols);
    if (nrows == 0)
        return 0;
    if (nrows > SIZE_MAX / sizeof(double) / ncols ||
        nrows > SIZE_MAX / sizeof(double) / (size_t)m->info.num_outputs)
        return eddy_error(err, ERR_RUNTIME, NOPOS, "a batch of %zu rows is too large", nrows);
    if (m->info.format == MODEL_FORMAT_LINEAR) {
        linear_predict(m, x, nrows, out);
        return 0;
    }
    pthread_mutex_lock(&m->lock);
    int rc = xgb_predict_locked(m, x, nrows, ncols, out, err);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int model_sha256_hex(const void *bytes, size_t n, char out[65], EddyError *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    out[0] = '\0';
    if (EVP_Digest(bytes, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        return eddy_error(err, ERR_INTERNAL, NOPOS, "libcrypto cannot compute SHA-256");
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

void *model_file_read(const char *path, size_t *n, EddyError *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return eddy_error(err, ERR_IO, NOPOS, "cannot read %s: %s", path, strerror(errno)), NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return eddy_error(err, ERR_IO, NOPOS, "cannot read %s: not a regular file", path), NULL;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    int e = buf ? 0 : ENOMEM;
    while (e == 0) {
        if (len + 1 >= cap) {   /* the file grew since fstat */
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                e = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r > 0)
            len += (size_t)r;
        else if (r == 0)
            break;
        else if (errno != EINTR)
            e = errno;
    }
    close(fd);
    if (e != 0) {
        free(buf);
        return eddy_error(err, ERR_IO, NOPOS, "cannot read %s: %s", path, strerror(e)), NULL;
    }
    buf[len] = '\0';
    *n = len;
    return buf;
}
