/*
 * repl_client.c - the REPL as a client of a server (`eddy --server URL`,
 * as `ksql http://...`): a statement goes to POST /ksql, a SELECT to POST
 * /query-stream, and what comes back is printed as the local REPL prints
 * it: SHOW's tables in the same layout (eddy_format_table), query
 * rows in the same grid (cli_default_output's row), errors with their
 * line:column and a caret.
 *
 * SET and UNSET stay in the client, as in ksqlDB's CLI: the properties go
 * with every request (streamsProperties / properties), since the server
 * keeps a request's properties for that request only.  Variables too
 * (DEFINE, UNDEFINE): the session's go with every request as
 * sessionVariables; a DEFINE or UNDEFINE is sent with a SHOW VARIABLES
 * after it, whose answer is the session's new set (so the server's parser
 * judges names, values and errors).
 *
 * HTTP: libcurl, blocking calls (the REPL waits for each answer anyway).
 * A push query's rows are printed as they arrive; the caller's stop flag
 * (Ctrl-C) aborts the transfer from curl's progress callback, then the
 * query is closed with POST /close-query.
 */
#include "cli.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Remote {
    char *url;                    /* without a trailing '/' */
    char *userpwd;                /* USER:PASSWORD, or NULL */
    json_t *props;                /* SET in this session */
    json_t *vars;                 /* DEFINE'd in this session: {name: value} */
};

/* ---- HTTP ----------------------------------------------------------------- */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    sb_append(ud, p, size * n);
    return size * n;
}

static CURL *request(Remote *r, const char *path, const char *body, struct curl_slist **hdrs,
                     const char *accept)
{
    CURL *c = curl_easy_init();
    if (c == NULL)
        return NULL;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", r->url, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    if (r->userpwd) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->userpwd);
    }
    *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (accept) {
        char h[200];
        snprintf(h, sizeof h, "Accept: %s", accept);
        *hdrs = curl_slist_append(*hdrs, h);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    return c;
}

/* A whole request: the status into *status, the body into out; -1 with
 * err when no answer came. */
static int call(Remote *r, const char *path, const char *body, StrBuf *out, long *status,
                EddyError *err)
{
    struct curl_slist *hdrs = NULL;
    CURL *c = request(r, path, body, &hdrs, NULL);
    if (c == NULL)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot make an HTTP request");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "%s%s: %s", r->url, path,
                          curl_easy_strerror(rc));
    return 0;
}

/* ksqlDB's error body ({"message": "line L:C: ..."}, eddy's position) as
 * an EddyError positioned in the statement; a body that is not one is
 * quoted. */
static int server_error(long status, const char *body, EddyError *err)
{
    json_t *j = json_loads(body, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "message"));
    int line = 0, col = 0, used = 0;
    if (msg && sscanf(msg, "line %d:%d: %n", &line, &col, &used) == 2 && used > 0) {
        eddy_error(err, ERR_ANALYSIS, (SrcPos){.line = line, .col = col}, "%s", msg + used);
    } else if (msg) {
        eddy_error(err, ERR_ANALYSIS, (SrcPos){0}, "%s", msg);
    } else {
        eddy_error(err, ERR_IO, (SrcPos){0}, "the server answered %ld: %.300s", status,
                   body ? body : "");
    }
    json_decref(j);
    return -1;
}

/* ---- rendering ------------------------------------------------------------- */

/* A table's cells, row by row (the header first), each a copy. */
typedef struct Table {
    int ncols, n, cap;
    char **cells;
} Table;

static void table_init(Table *t, int ncols)
{
    *t = (Table){.ncols = ncols};
}

static void table_cell(Table *t, const char *text)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 32;
        t->cells = realloc(t->cells, sizeof(char *) * (size_t)t->cap);
        if (t->cells == NULL)
            abort();
    }
    t->cells[t->n++] = strdup(text ? text : "");
}

static void print_table(Table *t, int prefer)
{
    StrBuf sb;
    sb_init(&sb);
    int width = cli_term_width();
    /* One column spare, as the engine's SHOW leaves. */
    eddy_format_table((const char *const *)t->cells, t->n, t->ncols, width > 1 ? width - 1 : 0,
                      prefer, &sb);
    fputs(sb.data ? sb.data : "", stdout);
    sb_free(&sb);
    for (int i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
}

static const char *str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* SHOW STREAMS / TABLES / QUERIES / TOPICS entities as the engine's
 * tables; false for another entity. */
static bool print_listing(json_t *ent, const char *type)
{
    static const char *const stream_cols[] = {"Stream Name", "Kafka Topic", "Key Format",
                                              "Value Format", "Windowed"};
    static const char *const table_cols[] = {"Table Name", "Kafka Topic", "Key Format",
                                             "Value Format", "Windowed"};
    static const char *const query_cols[] = {"Query ID", "Query Type", "Status", "Sink Name",
                                             "Query String"};
    Table t;
    size_t i;
    json_t *it;
    if (strcmp(type, "streams") == 0 || strcmp(type, "tables") == 0) {
        bool streams = type[0] == 's';
        table_init(&t, 5);
        for (int c = 0; c < 5; c++)
            table_cell(&t, streams ? stream_cols[c] : table_cols[c]);
        json_array_foreach(json_object_get(ent, type), i, it) {
            table_cell(&t, str(it, "name"));
            table_cell(&t, str(it, "topic"));
            table_cell(&t, str(it, "keyFormat"));
            table_cell(&t, str(it, "valueFormat"));
            table_cell(&t, json_is_true(json_object_get(it, "isWindowed")) ? "true" : "false");
        }
        print_table(&t, -1);
        return true;
    }
    if (strcmp(type, "queries") == 0) {
        table_init(&t, 5);
        for (int c = 0; c < 5; c++)
            table_cell(&t, query_cols[c]);
        json_array_foreach(json_object_get(ent, "queries"), i, it) {
            StrBuf sinks;
            sb_init(&sinks);
            size_t k;
            json_t *s;
            json_array_foreach(json_object_get(it, "sinks"), k, s)
                sb_printf(&sinks, "%s%s", k ? ", " : "", json_string_value(s) ? json_string_value(s) : "");
            table_cell(&t, str(it, "id"));
            table_cell(&t, str(it, "queryType"));
            table_cell(&t, str(it, "state"));
            table_cell(&t, sinks.data ? sinks.data : "");
            table_cell(&t, str(it, "queryString"));
            sb_free(&sinks);
        }
        print_table(&t, 4);
        return true;
    }
    if (strcmp(type, "variables") == 0) {
        table_init(&t, 2);
        table_cell(&t, "Variable Name");
        table_cell(&t, "Value");
        json_array_foreach(json_object_get(ent, "variables"), i, it) {
            table_cell(&t, str(it, "name"));
            table_cell(&t, str(it, "value"));
        }
        print_table(&t, -1);
        return true;
    }
    if (strcmp(type, "warning_entity") == 0) {
        printf("%s\n", str(ent, "message"));
        return true;
    }
    if (strcmp(type, "kafka_topics") == 0) {
        table_init(&t, 2);
        table_cell(&t, "Kafka Topic");
        table_cell(&t, "Partitions");
        json_array_foreach(json_object_get(ent, "topics"), i, it) {
            char n[32];
            snprintf(n, sizeof n, "%zu", json_array_size(json_object_get(it, "replicaInfo")));
            table_cell(&t, str(it, "name"));
            table_cell(&t, n);
        }
        print_table(&t, -1);
        return true;
    }
    return false;
}

static void print_entity(json_t *ent)
{
    const char *type = str(ent, "@type");
    if (print_listing(ent, type))
        return;
    const char *text = NULL;
    /* eddy's own text: its eddy_text entity, and the "text" eddy server
     * adds to ksqlDB's sourceDescription and queryDescription */
    if (strcmp(type, "eddy_text") == 0 || json_is_string(json_object_get(ent, "text")))
        text = str(ent, "text");
    else if (strcmp(type, "currentStatus") == 0)
        text = str(json_object_get(ent, "commandStatus"), "message");
    if (text) {
        fputs(text, stdout);
        if (*text && text[strlen(text) - 1] != '\n')
            putchar('\n');
        return;
    }
    /* Another server's entity eddy has no layout for: as JSON. */
    char *j = json_dumps(ent, JSON_INDENT(2));
    if (j)
        printf("%s\n", j);
    free(j);
}

/* A value of a row as the local grid shows it. */
static void cell_text(json_t *v, StrBuf *out)
{
    switch (json_typeof(v)) {
    case JSON_STRING: sb_puts(out, json_string_value(v)); break;
    case JSON_INTEGER: sb_printf(out, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: eddy_format_double(json_real_value(v), out); break;
    case JSON_TRUE: sb_puts(out, "true"); break;
    case JSON_FALSE: sb_puts(out, "false"); break;
    case JSON_NULL: sb_puts(out, "null"); break;
    default: {
        char *j = json_dumps(v, JSON_COMPACT);
        sb_puts(out, j ? j : "");
        free(j);
    }
    }
}

static void print_row(json_t *arr, bool header)
{
    EngineOutput out = cli_default_output();
    size_t n = json_array_size(arr) < 256 ? json_array_size(arr) : 256;
    const char *cells[256];
    StrBuf bufs[256];
    for (size_t i = 0; i < n; i++) {
        sb_init(&bufs[i]);
        cell_text(json_array_get(arr, i), &bufs[i]);
        cells[i] = bufs[i].data ? bufs[i].data : "";
    }
    out.row(out.ud, cells, (int)n, header);
    for (size_t i = 0; i < n; i++)
        sb_free(&bufs[i]);
}

/* ---- queries ------------------------------------------------------------------ */

typedef struct QueryRun {
    CURL *c;
    StrBuf line, errbody;
    char query_id[256];
    bool push;                    /* EMIT CHANGES: the hint, Ctrl-C, "Limit Reached" */
    bool failed;                  /* an error status: the body is ksqlDB's error */
    int64_t rows;
    volatile sig_atomic_t *stop;
} QueryRun;

static void query_line(QueryRun *q, const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    if (json_is_object(j)) {   /* the metadata line */
        snprintf(q->query_id, sizeof q->query_id, "%s", str(j, "queryId"));
        print_row(json_object_get(j, "columnNames"), true);
        if (q->push) {
            printf("Press Ctrl-C to stop.\n");
            fflush(stdout);
        }
    } else if (json_is_array(j)) {
        print_row(j, false);
        q->rows++;
    }
    json_decref(j);
}

static size_t query_data(char *p, size_t size, size_t n, void *ud)
{
    QueryRun *q = ud;
    long status = 0;
    curl_easy_getinfo(q->c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        q->failed = true;
        sb_append(&q->errbody, p, size * n);
        return size * n;
    }
    for (size_t i = 0; i < size * n; i++) {
        if (p[i] != '\n') {
            sb_putc(&q->line, p[i]);
            continue;
        }
        if (q->line.len)
            query_line(q, q->line.data);
        sb_reset(&q->line);
    }
    return size * n;
}

static int query_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    QueryRun *q = ud;
    return q->stop && *q->stop ? 1 : 0;
}

/* The source a query id names: transient_<SOURCE>_<n>, pull_<TABLE>_<n>. */
static void id_source(const char *id, char *out, size_t n)
{
    const char *s = strchr(id, '_'), *e = strrchr(id, '_');
    if (s == NULL || e == NULL || e <= s) {
        snprintf(out, n, "?");
        return;
    }
    snprintf(out, n, "%.*s", (int)(e - s - 1), s + 1);
}

static bool has_emit(const char *sql)
{
    for (const char *p = sql; *p; p++)
        if (strncasecmp(p, "EMIT", 4) == 0 && (p == sql || !isalnum((unsigned char)p[-1])) &&
            !isalnum((unsigned char)p[4]))
            return true;
    return false;
}

static int run_query(Remote *r, const char *sql, volatile sig_atomic_t *stop, EddyError *err)
{
    json_t *req = json_pack("{s:s, s:O, s:O}", "sql", sql, "properties", r->props,
                            "sessionVariables", r->vars);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    QueryRun q = {.push = has_emit(sql), .stop = stop};
    sb_init(&q.line);
    sb_init(&q.errbody);
    struct curl_slist *hdrs = NULL;
    q.c = request(r, "/query-stream", body, &hdrs, "application/vnd.ksqlapi.delimited.v1");
    int rc = 0;
    if (q.c == NULL) {
        rc = eddy_error(err, ERR_IO, (SrcPos){0}, "cannot make an HTTP request");
        goto out;
    }
    curl_easy_setopt(q.c, CURLOPT_WRITEFUNCTION, query_data);
    curl_easy_setopt(q.c, CURLOPT_WRITEDATA, &q);
    curl_easy_setopt(q.c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(q.c, CURLOPT_XFERINFOFUNCTION, query_progress);
    curl_easy_setopt(q.c, CURLOPT_XFERINFODATA, &q);
    CURLcode cc = curl_easy_perform(q.c);
    long status = 0;
    curl_easy_getinfo(q.c, CURLINFO_RESPONSE_CODE, &status);
    if (q.line.len)
        query_line(&q, q.line.data);
    if (q.failed) {
        rc = server_error(status, q.errbody.data, err);
    } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
        /* Ctrl-C: the server frees the query when the connection goes;
         * close-query says so at once, as ksqlDB's CLI does. */
        if (q.query_id[0]) {
            json_t *cq = json_pack("{s:s}", "queryId", q.query_id);
            char *cb = json_dumps(cq, JSON_COMPACT);
            json_decref(cq);
            StrBuf ignored;
            sb_init(&ignored);
            long st;
            EddyError e2;
            call(r, "/close-query", cb, &ignored, &st, &e2);
            sb_free(&ignored);
            free(cb);
        }
        printf("\nQuery terminated\n");
    } else if (cc != CURLE_OK) {
        rc = eddy_error(err, ERR_IO, (SrcPos){0}, "%s/query-stream: %s", r->url,
                        curl_easy_strerror(cc));
    } else if (q.push) {
        printf("Limit Reached\nQuery terminated\n");
    } else {
        char src[300];
        id_source(q.query_id, src, sizeof src);
        printf("(%lld row%s from %s)\n", (long long)q.rows, q.rows == 1 ? "" : "s", src);
    }
    fflush(stdout);
out:
    if (q.c)
        curl_easy_cleanup(q.c);
    curl_slist_free_all(hdrs);
    sb_free(&q.line);
    sb_free(&q.errbody);
    free(body);
    return rc;
}

/* ---- statements ---------------------------------------------------------------- */

static const char *skip_space(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

static bool word_is(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(p, w, n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

/* A quoted 'text' at *p ('' inside for a quote) into out; false if none. */
static bool quoted(const char **p, StrBuf *out)
{
    const char *s = skip_space(*p);
    if (*s != '\'')
        return false;
    for (s++; *s; s++) {
        if (*s == '\'') {
            if (s[1] != '\'') {
                *p = s + 1;
                return true;
            }
            s++;
        }
        sb_putc(out, *s);
    }
    return false;
}

/* SET 'name' = 'value' / UNSET 'name': kept here (see the header). */
static int set_local(Remote *r, const char *stmt, const char *p, bool unset, EddyError *err)
{
    StrBuf name, value;
    sb_init(&name);
    sb_init(&value);
    int rc = 0;
    bool ok = quoted(&p, &name);
    if (ok && !unset) {
        p = skip_space(p);
        ok = *p == '=' && (p++, quoted(&p, &value));
    }
    p = skip_space(p);
    if (!ok || (*p && *p != ';')) {
        rc = eddy_error(err, ERR_SYNTAX, (SrcPos){.line = 1, .col = 1},
                        unset ? "UNSET needs a property: UNSET 'name';"
                              : "SET needs a property and a value: SET 'name' = 'value';");
    } else if (unset) {
        json_object_del(r->props, name.data);   /* silent, as the local UNSET */
    } else {
        json_object_set_new(r->props, name.data, json_string(value.data ? value.data : ""));
        printf("Successfully changed local property '%s' to '%s'.\n", name.data,
               value.data ? value.data : "");
    }
    (void)stmt;
    sb_free(&name);
    sb_free(&value);
    return rc;
}

int remote_execute(Remote *r, const char *stmt, volatile sig_atomic_t *stop, EddyError *err)
{
    eddy_error_clear(err);
    const char *p = skip_space(stmt);
    if (*p == '\0' || *p == ';')
        return 0;
    if (word_is(p, "SELECT"))
        return run_query(r, stmt, stop, err);
    if (word_is(p, "PRINT")) {
        SrcPos pos = {.line = 1, .col = 1};
        for (const char *c = stmt; c < p; c++) {
            pos.col = *c == '\n' ? 1 : pos.col + 1;
            pos.line += *c == '\n';
        }
        return eddy_error(err, ERR_UNSUPPORTED, pos,
                          "PRINT is not served over --server (ksqlDB's REST API has no "
                          "endpoint eddy serves for it): run it in a local eddy REPL");
    }
    if (word_is(p, "SET") || word_is(p, "UNSET"))
        return set_local(r, stmt, p + (word_is(p, "SET") ? 3 : 5), word_is(p, "UNSET"), err);
    bool var_stmt = word_is(p, "DEFINE") || word_is(p, "UNDEFINE");
    StrBuf sent;
    sb_init(&sent);
    sb_puts(&sent, stmt);
    if (var_stmt)   /* a line break first: the statement may end in a -- comment */
        sb_puts(&sent, "\n;\nSHOW VARIABLES;");
    json_t *req = json_pack("{s:s, s:O, s:O}", "ksql", sent.data, "streamsProperties", r->props,
                            "sessionVariables", r->vars);
    sb_free(&sent);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    StrBuf out;
    sb_init(&out);
    long status = 0;
    int rc = call(r, "/ksql", body, &out, &status, err);
    free(body);
    if (rc == 0 && status != 200)
        rc = server_error(status, out.data, err);
    if (rc == 0) {
        json_t *ents = json_loads(out.data ? out.data : "", 0, NULL);
        size_t i;
        json_t *ent;
        json_array_foreach(ents, i, ent) {
            if (var_stmt && i + 1 == json_array_size(ents) &&
                strcmp(str(ent, "@type"), "variables") == 0) {
                json_t *vars = json_object(), *v;
                size_t k;
                json_array_foreach(json_object_get(ent, "variables"), k, v)
                    json_object_set_new(vars, str(v, "name"), json_string(str(v, "value")));
                json_decref(r->vars);
                r->vars = vars;
                continue;
            }
            print_entity(ent);
            json_t *w;
            size_t k;
            json_array_foreach(json_object_get(ent, "warnings"), k, w)
                fprintf(stderr, "WARNING: %s\n", str(w, "message"));
        }
        json_decref(ents);
        fflush(stdout);
    }
    sb_free(&out);
    return rc;
}

/* ---- the connection --------------------------------------------------------------- */

Remote *remote_open(const char *url, const char *user, const char *password)
{
    static bool inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "eddy: --server needs a URL, http://HOST:PORT or https://HOST:PORT, not '%s'\n", url);
        return NULL;
    }
    Remote *r = calloc(1, sizeof *r);
    r->url = strdup(url);
    size_t n = strlen(r->url);
    while (n > 0 && r->url[n - 1] == '/')
        r->url[--n] = '\0';
    if (user) {
        size_t len = strlen(user) + strlen(password ? password : "") + 2;
        r->userpwd = malloc(len);
        snprintf(r->userpwd, len, "%s:%s", user, password ? password : "");
    }
    r->props = json_object();
    r->vars = json_object();
    StrBuf out;
    sb_init(&out);
    long status = 0;
    EddyError err;
    if (call(r, "/info", NULL, &out, &status, &err) != 0 || status != 200) {
        if (status == 401)
            fprintf(stderr, "eddy: %s refused the credentials: give --user and --password "
                    "(-u, -p) of a user it knows\n", r->url);
        else if (status)
            fprintf(stderr, "eddy: %s/info answered %ld: %.300s\n", r->url, status,
                    out.data ? out.data : "");
        else
            fprintf(stderr, "eddy: cannot reach the server: %s\n", err.msg);
        sb_free(&out);
        remote_close(r);
        return NULL;
    }
    json_t *info = json_loads(out.data, 0, NULL);
    json_t *si = json_object_get(info, "KsqlServerInfo");
    printf("Connected to %s (server version %s).\n", r->url,
           json_string_value(json_object_get(si, "version")) ? json_string_value(json_object_get(si, "version")) : "?");
    json_decref(info);
    sb_free(&out);
    return r;
}

void remote_close(Remote *r)
{
    if (r == NULL)
        return;
    free(r->url);
    free(r->userpwd);
    json_decref(r->props);
    json_decref(r->vars);
    free(r);
}

int remote_names(Remote *r, const char ***names)
{
    static const char **buf;
    static int cap;
    static json_t *held;
    json_decref(held);
    held = NULL;
    int n = 0;
    StrBuf out;
    sb_init(&out);
    long status = 0;
    EddyError err;
    if (call(r, "/ksql", "{\"ksql\": \"SHOW STREAMS; SHOW TABLES;\"}", &out, &status, &err) == 0 &&
        status == 200)
        held = json_loads(out.data, 0, NULL);
    sb_free(&out);
    size_t i, k;
    json_t *ent, *it;
    json_array_foreach(held, i, ent) {
        json_t *items = json_object_get(ent, i == 0 ? "streams" : "tables");
        json_array_foreach(items, k, it) {
            if (n + 1 > cap) {
                cap = 2 * (n + 1);
                buf = realloc(buf, sizeof(char *) * (size_t)cap);
            }
            buf[n++] = str(it, "name");
        }
    }
    *names = buf;
    return n;
}
