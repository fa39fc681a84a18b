/*
 * server_api.c - the endpoints of `eddy server`, in ksqlDB's shapes
 * (docs.ksqldb.io, "ksqlDB REST API"): /ksql, /query-stream, /query,
 * /close-query, /inserts-stream, /info, /healthcheck, /clusterStatus, and
 * /metrics (Prometheus text).
 *
 * Every statement runs through engine_execute, one statement at a time so
 * each gets its entity (or its error) as ksqlDB answers; an error's
 * line:column is moved by where the statement starts, so it is the
 * request's.
 *
 * Errors use ksqlDB's body {"@type", "error_code", "message"} with its
 * codes: 40000 bad request (malformed JSON, missing field), 40001 a
 * statement that fails, 40002 a query sent to /ksql, 40400 no such
 * endpoint, 40500 another method, 41300 a body over the limit, 42900 too
 * many push queries.
 */
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#define CT_DELIMITED "application/vnd.ksqlapi.delimited.v1"
#define CT_KSQL "application/vnd.ksql.v1+json"

/* ---- statements ------------------------------------------------------------ */

/* s past blanks and comments. */
static const char *skip_blank(const char *s)
{
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n')
                s++;
        } else if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");
            s = end ? end + 2 : s + strlen(s);
        } else {
            return s;
        }
    }
}

/* The first word of a statement (comments and blanks skipped), upper-cased. */
static void first_word(const char *s, char *out, size_t n)
{
    s = skip_blank(s);
    size_t i = 0;
    while (i + 1 < n && isalpha((unsigned char)s[i])) {
        out[i] = (char)toupper((unsigned char)s[i]);
        i++;
    }
    out[i] = '\0';
}

/* The end (one past its ';', or the text's end) of the statement that
 * starts at text + start; start itself when only blanks and comments are
 * left.  One pass, with the lexical rules of eddy_statement_complete
 * (quotes ', ` and " with the quote doubled inside; -- and block comments),
 * so a request's cost grows with its length, however many ';' its strings
 * hold.  *empty (may be NULL): only blanks and comments before the ';'. */
static size_t statement_end(const char *text, size_t start, bool *empty)
{
    const char *p = text + start;
    bool significant = false;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '`' || c == '"') {
            significant = true;
            for (p++; *p; p++)
                if (*p == c) {
                    if (p[1] != c)
                        break;
                    p++;
                }
            if (*p)
                p++;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (c == ';') {
            if (empty)
                *empty = !significant;
            return (size_t)(p + 1 - text);
        } else {
            significant = significant || !isspace((unsigned char)c);
            p++;
        }
    }
    if (empty)
        *empty = !significant;
    return significant ? (size_t)(p - text) : start;
}

/* Runs text[start, end) as the request's statement.  Output goes where
 * srv's captures say.  0, or -1 with msg ("line L:C: ..." counted in the
 * whole text: *line and *col say where start is, 1-based). */
static int run_statement_at(Server *srv, const char *text, size_t start, size_t end, int line,
                            int col, char *msg, size_t msgsz)
{
    char *stmt = strndup(text + start, end - start);
    EddyError err;
    int rc = engine_execute(srv->e, stmt, "request", &err);
    if (rc != 0) {
        if (err.pos.line == 1)
            err.pos.col += col - 1;
        if (err.pos.line > 0)
            err.pos.line += line - 1;
        eddy_error_format(&err, NULL, msg, msgsz);
    }
    free(stmt);
    return rc;
}

static int run_statement(Server *srv, const char *text, size_t start, size_t end, char *msg,
                         size_t msgsz)
{
    return run_statement_at(srv, text, start, end, 1, 1, msg, msgsz);
}

/* Moves (*line, *col) from text + from to text + to. */
static void advance_pos(const char *text, size_t from, size_t to, int *line, int *col)
{
    for (size_t i = from; i < to; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* The statement's text without the blanks around it. */
static json_t *statement_text(const char *text, size_t start, size_t end)
{
    while (start < end && isspace((unsigned char)text[start]))
        start++;
    while (end > start && isspace((unsigned char)text[end - 1]))
        end--;
    return json_stringn(text + start, end - start);
}

static json_t *text_table(const char *text);

/* SET k = v (v NULL: UNSET k); 0, or -1 with msg. */
static int set_prop(Server *srv, const char *k, const char *v, char *msg, size_t msgsz)
{
    StrBuf stmt, out;
    sb_init(&stmt);
    sb_init(&out);
    sb_puts(&stmt, v ? "SET '" : "UNSET '");
    for (const char *p = k; *p; p++)
        if (*p != '\'')
            sb_putc(&stmt, *p);
    sb_puts(&stmt, v ? "' = '" : "'");
    for (const char *p = v; p && *p; p++) {
        if (*p == '\'')
            sb_putc(&stmt, '\'');
        sb_putc(&stmt, *p);
    }
    sb_puts(&stmt, v ? "';" : ";");
    srv->capture_text = &out;
    int rc = run_statement(srv, stmt.data, 0, stmt.len, msg, msgsz);
    srv->capture_text = NULL;
    sb_free(&stmt);
    sb_free(&out);
    return rc;
}

/* The properties SET before this request: SHOW PROPERTIES' SESSION rows
 * as {key: value}. */
static json_t *session_props(Server *srv)
{
    StrBuf out;
    sb_init(&out);
    char msg[256];
    static const char show[] = "SHOW PROPERTIES;";
    srv->capture_text = &out;
    run_statement(srv, show, 0, sizeof show - 1, msg, sizeof msg);
    srv->capture_text = NULL;
    json_t *rows = text_table(out.data ? out.data : ""), *session = json_object();
    for (size_t r = 1; r < json_array_size(rows); r++) {
        json_t *row = json_array_get(rows, r);
        if (json_array_size(row) == 3 &&
            strcmp(json_string_value(json_array_get(row, 1)), "SESSION") == 0)
            json_object_set(session, json_string_value(json_array_get(row, 0)), json_array_get(row, 2));
    }
    json_decref(rows);
    sb_free(&out);
    return session;
}

/* Applies a request's properties (SET for each), for its statements only:
 * *restore gets what restore_props puts back afterwards (a value SET
 * before, or null to UNSET), also when this fails (-1 with msg) half way. */
static int set_props(Server *srv, json_t *props, json_t **restore, char *msg, size_t msgsz)
{
    *restore = NULL;
    if (props == NULL || json_is_null(props))
        return 0;
    if (!json_is_object(props)) {
        snprintf(msg, msgsz, "properties must be a JSON object");
        return -1;
    }
    json_t *session = session_props(srv);
    *restore = json_object();
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(props, k, v) {
        json_t *prior = json_object_get(session, k);
        json_object_set(*restore, k, prior ? prior : json_null());
        char *vt = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
        rc = set_prop(srv, k, vt, msg, msgsz);
        free(vt);
        if (rc != 0)
            break;
    }
    json_decref(session);
    return rc;
}

static void restore_props(Server *srv, json_t *restore)
{
    const char *k;
    json_t *v;
    char msg[256];
    json_object_foreach(restore, k, v)
        set_prop(srv, k, json_string_value(v), msg, sizeof msg);
    json_decref(restore);
}

/* ---- request bodies ---------------------------------------------------------- */

/* The body as a JSON object; NULL after answering 400 when it is not one. */
static json_t *body_object(h2o_req_t *req)
{
    json_error_t jerr;
    json_t *j = req->entity.base ? json_loadb(req->entity.base, req->entity.len, 0, &jerr) : NULL;
    if (j == NULL || !json_is_object(j)) {
        char msg[400];
        if (req->entity.base == NULL)
            snprintf(msg, sizeof msg, "the request has no body (a JSON object is expected)");
        else if (j == NULL)
            snprintf(msg, sizeof msg, "malformed JSON in the request body: line %d:%d: %s",
                     jerr.line, jerr.column, jerr.text);
        else
            snprintf(msg, sizeof msg, "the request body must be a JSON object");
        json_decref(j);
        server_reply_error(req, 400, "generic_error", 40000, msg);
        return NULL;
    }
    return j;
}

static bool accepts(h2o_req_t *req, const char *type)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = strlen(type);
    for (size_t k = 0; k + n <= v.len; k++)
        if (strncasecmp(v.base + k, type, n) == 0)
            return true;
    return false;
}

/* ---- /ksql ------------------------------------------------------------------- */

/* "stream/`S`/create" as ksqlDB names a command, from its words. */
static json_t *command_id(const char *stmt)
{
    char w[3][128] = {{0}};
    const char *p = stmt;
    for (int i = 0; i < 3; i++) {
        p = skip_blank(p);
        int n = 0;
        while (*p && !isspace((unsigned char)*p) && *p != ';' && *p != '(' && n < 127)
            w[i][n++] = (char)toupper((unsigned char)*p++);
    }
    for (int i = 0; i < 3; i++)
        for (char *c = w[i]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    char out[512];
    if (strcmp(w[0], "create") == 0 || strcmp(w[0], "drop") == 0)
        snprintf(out, sizeof out, "%s/`%s`/%s", w[1], w[2], w[0]);
    else
        snprintf(out, sizeof out, "%s/`%s`/execute", w[0], w[1]);
    for (char *c = strchr(out, '`') + 1; *c && *c != '`'; c++)
        *c = (char)toupper((unsigned char)*c);
    return json_string(out);
}

/* The rows of a text table the engine printed (" A | B \n----\n x | y \n")
 * as arrays of trimmed cells, the header first; a row is cut into as many
 * cells as the header has, so a '|' in the last column (a query's text)
 * stays in it.  NULL if the text is not such a table. */
static json_t *text_table(const char *text)
{
    json_t *rows = json_array();
    size_t ncols = 0;
    int lineno = 0;
    for (const char *line = text; *line; lineno++) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        if (lineno == 1 || memchr(line, '|', (size_t)(end - line)) == NULL) {
            line = nl ? nl + 1 : end;   /* the rule under the header, a note */
            continue;
        }
        json_t *row = json_array();
        for (const char *c = line; c <= end;) {
            const char *bar = json_array_size(row) + 1 == ncols ? NULL : memchr(c, '|', (size_t)(end - c));
            const char *ce = bar ? bar : end, *cs = c;
            while (cs < ce && *cs == ' ')
                cs++;
            while (ce > cs && ce[-1] == ' ')
                ce--;
            json_array_append_new(row, json_stringn(cs, (size_t)(ce - cs)));
            c = bar ? bar + 1 : end + 1;
        }
        if (lineno == 0)
            ncols = json_array_size(row);
        json_array_append_new(rows, row);
        line = nl ? nl + 1 : end;
    }
    if (ncols < 2) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

static const char *cell(json_t *row, size_t i)
{
    const char *v = json_string_value(json_array_get(row, i));
    return v ? v : "";
}

/* SHOW STREAMS / TABLES / QUERIES / TOPICS in ksqlDB's entity shapes, from
 * the tables the engine prints; NULL for other statements. */
static json_t *listing(const char *stmt, const char *text)
{
    char w[3][16];
    const char *p = stmt;
    for (int i = 0; i < 3; i++) {
        p = skip_blank(p);
        first_word(p, w[i], sizeof w[i]);
        p += strlen(w[i]);
    }
    if (strcmp(w[0], "SHOW") != 0 && strcmp(w[0], "LIST") != 0)
        return NULL;
    bool streams = strcmp(w[1], "STREAMS") == 0, tables = strcmp(w[1], "TABLES") == 0;
    bool queries = strcmp(w[1], "QUERIES") == 0, topics = strcmp(w[1], "TOPICS") == 0;
    if (!streams && !tables && !queries && !topics)
        return NULL;
    json_t *rows = text_table(text);
    if (rows == NULL)
        return NULL;
    json_t *items = json_array();
    for (size_t r = 1; r < json_array_size(rows); r++) {
        json_t *row = json_array_get(rows, r);
        if (streams || tables)
            json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "type",
                                                   streams ? "STREAM" : "TABLE", "name", cell(row, 0),
                                                   "topic", cell(row, 1), "keyFormat", cell(row, 2),
                                                   "valueFormat", cell(row, 3), "isWindowed",
                                                   strcmp(cell(row, 4), "true") == 0));
        else if (queries)
            json_array_append_new(items, json_pack("{s:s, s:[s], s:s, s:s, s:s}", "queryString",
                                                   cell(row, 4), "sinks", cell(row, 3),
                                                   "id", cell(row, 0), "queryType", cell(row, 1),
                                                   "state", cell(row, 2)));
        else {
            json_t *replicas = json_array();
            for (long i = strtol(cell(row, 1), NULL, 10); i > 0; i--)
                json_array_append_new(replicas, json_integer(1));
            json_array_append_new(items, json_pack("{s:s, s:o}", "name", cell(row, 0),
                                                   "replicaInfo", replicas));
        }
    }
    json_decref(rows);
    return json_pack("{s:s, s:o}", "@type", streams ? "streams" : tables ? "tables"
                                            : queries ? "queries" : "kafka_topics",
                     streams ? "streams" : tables ? "tables" : queries ? "queries" : "topics", items);
}

/* The unquoted name at p (letters, digits, '_'), upper-cased into out (at
 * most n - 1 characters); returns the characters read. */
static size_t read_name(const char *p, char *out, size_t n)
{
    size_t len = 0;
    while ((isalnum((unsigned char)p[len]) || p[len] == '_') && len + 1 < n) {
        out[len] = (char)toupper((unsigned char)p[len]);
        len++;
    }
    out[len] = '\0';
    return len;
}

/* The source a "DESCRIBE [EXTENDED] name [EXTENDED]" statement names, as
 * the catalog spells it (back-quoted: as written; else upper case), into
 * name; false for other DESCRIBEs (STREAMS, TABLES, FUNCTION). */
static bool describe_target(const char *stmt, char *name, size_t n, bool *extended)
{
    const char *p = skip_blank(stmt) + strlen("DESCRIBE");
    *extended = false;
    for (int word = 0; word < 3; word++) {
        p = skip_blank(p);
        if (*p == '`') {
            const char *end = strchr(p + 1, '`');
            if (end == NULL || (size_t)(end - p - 1) >= n)
                return false;
            memcpy(name, p + 1, (size_t)(end - p - 1));
            name[end - p - 1] = '\0';
            return true;
        }
        size_t len = read_name(p, name, n);
        p += len;
        if (strcmp(name, "EXTENDED") == 0) {
            *extended = true;
            continue;
        }
        return len > 0 && strcmp(name, "STREAMS") != 0 && strcmp(name, "TABLES") != 0 &&
               strcmp(name, "FUNCTION") != 0;
    }
    return false;
}

/* The query id an "EXPLAIN id" statement names (upper case, as query ids
 * are), into id; false for EXPLAIN of a statement. */
static bool explain_target(const char *stmt, char *id, size_t n)
{
    const char *p = skip_blank(skip_blank(stmt) + strlen("EXPLAIN"));
    size_t len = read_name(p, id, n);
    p = skip_blank(p + len);
    return len > 0 && (*p == ';' || *p == '\0') && strcmp(id, "SELECT") != 0;
}

/* The entity for a statement that ran: SHOW STREAMS, TABLES, QUERIES and
 * TOPICS in ksqlDB's shapes (listing), DESCRIBE of a stream or table as
 * its sourceDescription (with the engine's text as "text"); other
 * listings and descriptions as the engine's text ("@type": "eddy_text", see README); everything else as
 * ksqlDB's currentStatus with the engine's message. */
static json_t *entity(Server *srv, const char *kw, json_t *stmt_text, const char *text,
                      json_t *warnings)
{
    json_t *ent;
    char name[256];
    bool extended;
    if ((ent = listing(json_string_value(stmt_text), text)) != NULL) {
        /* ksqlDB's shape, built above */
    } else if (strcmp(kw, "DESCRIBE") == 0 &&
               describe_target(json_string_value(stmt_text), name, sizeof name, &extended) &&
               (ent = engine_describe_json(srv->e, name, extended)) != NULL) {
        /* ksqlDB's sourceDescription, and eddy's text as a program may want it */
        ent = json_pack("{s:s, s:o, s:s}", "@type", "sourceDescription", "sourceDescription", ent,
                        "text", text);
    } else if (strcmp(kw, "EXPLAIN") == 0 &&
               explain_target(json_string_value(stmt_text), name, sizeof name) &&
               (ent = engine_query_json(srv->e, name)) != NULL) {
        /* ksqlDB's queryDescription; eddy's plan text is its executionPlan */
        json_object_set_new(ent, "executionPlan", json_string(text));
        json_object_set_new(ent, "topology", json_string(""));
        ent = json_pack("{s:s, s:o, s:s}", "@type", "queryDescription", "queryDescription", ent,
                        "text", text);
    } else if (strcmp(kw, "SHOW") == 0 || strcmp(kw, "LIST") == 0 || strcmp(kw, "DESCRIBE") == 0 ||
        strcmp(kw, "EXPLAIN") == 0 || strcmp(kw, "HELP") == 0) {
        ent = json_pack("{s:s, s:s}", "@type", "eddy_text", "text", text);
    } else {
        const char *qid = strstr(text, "query with ID ");
        json_t *q = json_null();
        if (qid) {
            qid += strlen("query with ID ");
            size_t n = strcspn(qid, " \n.,;");
            q = json_stringn(qid, n);
        }
        size_t len = strlen(text);
        while (len > 0 && text[len - 1] == '\n')
            len--;
        ent = json_pack("{s:s, s:o, s:{s:s, s:s%, s:o}, s:I}", "@type", "currentStatus", "commandId",
                        command_id(json_string_value(stmt_text)), "commandStatus", "status",
                        "SUCCESS", "message", text, len, "queryId", q, "commandSequenceNumber",
                        (json_int_t)++srv->seq);
    }
    json_object_set(ent, "statementText", stmt_text);
    json_object_set(ent, "warnings", warnings);
    return ent;
}

/* A request's sessionVariables ({name: value}, ksqlDB's field): its own
 * variables, which its DEFINEs join and which end with it.  *outer gets
 * what vars_end puts back.  0, or -1 with msg (nothing begun then). */
static int vars_begin(Server *srv, json_t *vars, EngineVars **outer, char *msg, size_t msgsz)
{
    if (vars != NULL && !json_is_null(vars) && !json_is_object(vars)) {
        snprintf(msg, msgsz, "sessionVariables must be a JSON object of {name: value}");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(vars, k, v) {
        bool ok = *k && (isalpha((unsigned char)*k) || *k == '_');
        for (const char *p = k; ok && *p; p++)
            ok = isalnum((unsigned char)*p) || *p == '_';
        if (!ok || json_is_object(v) || json_is_array(v) || json_is_null(v)) {
            snprintf(msg, msgsz, "sessionVariables: '%.100s' must be a variable name (a letter or '_', "
                     "then letters, digits or '_') with a string, number or boolean value", k);
            return -1;
        }
    }
    *outer = engine_vars_begin(srv->e);
    json_object_foreach(vars, k, v) {
        char *vt = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
        engine_define(srv->e, k, vt);
        free(vt);
    }
    return 0;
}

/* SHOW VARIABLES as ksqlDB's "variables" entity. */
static json_t *variables_entity(Server *srv)
{
    json_t *items = json_array();
    const char *n, *v;
    for (int i = 0; engine_var_at(srv->e, i, &n, &v) == 0; i++)
        json_array_append_new(items, json_pack("{s:s, s:s}", "name", n, "value", v));
    return json_pack("{s:s, s:o}", "@type", "variables", "variables", items);
}

static void api_ksql(Server *srv, h2o_req_t *req)
{
    json_t *body = body_object(req);
    if (body == NULL)
        return;
    const char *text = json_string_value(json_object_get(body, "ksql"));
    char msg[2048];
    if (text == NULL) {
        server_reply_error(req, 400, "generic_error", 40000,
                           "the request needs \"ksql\": the statements to run, as a string");
        json_decref(body);
        return;
    }
    EngineVars *outer_vars;
    if (vars_begin(srv, json_object_get(body, "sessionVariables"), &outer_vars, msg, sizeof msg) != 0) {
        server_reply_error(req, 400, "generic_error", 40000, msg);
        json_decref(body);
        return;
    }
    json_t *props = json_object_get(body, "streamsProperties"), *restore;
    if (set_props(srv, props, &restore, msg, sizeof msg) != 0) {
        restore_props(srv, restore);
        engine_vars_end(srv->e, outer_vars);
        server_reply_error(req, 400, "generic_error", 40000, msg);
        json_decref(body);
        return;
    }
    json_t *entities = json_array();
    size_t start = 0, end;
    int line = 1, col = 1;
    bool empty;
    for (; (end = statement_end(text, start, &empty)) > start; start = end) {
        if (empty) {   /* a stray ';' */
            advance_pos(text, start, end, &line, &col);
            continue;
        }
        char kw[16];
        first_word(text + start, kw, sizeof kw);
        json_t *st = statement_text(text, start, end);
        if (strcmp(kw, "SELECT") == 0 || strcmp(kw, "PRINT") == 0) {
            json_t *e = json_pack("{s:s, s:i, s:s, s:O, s:o}", "@type", "statement_error",
                                  "error_code", 40002, "message",
                                  "SELECT and PRINT run on the /query-stream (or /query) endpoint, not /ksql",
                                  "statementText", st, "entities", entities);
            json_decref(st);
            server_reply_json(req, 400, e);
            goto out;
        }
        StrBuf out;
        sb_init(&out);
        json_t *warnings = json_array();
        srv->capture_text = &out;
        srv->capture_warnings = warnings;
        int rc = run_statement_at(srv, text, start, end, line, col, msg, sizeof msg);
        srv->capture_text = NULL;
        srv->capture_warnings = NULL;
        if (rc != 0) {
            json_t *e = json_pack("{s:s, s:i, s:s, s:o, s:o}", "@type", "statement_error",
                                  "error_code", 40001, "message", msg, "statementText", st,
                                  "entities", entities);
            server_reply_json(req, 400, e);
            json_decref(warnings);
            sb_free(&out);
            goto out;
        }
        /* ksqlDB: DEFINE answers nothing, UNDEFINE of an unknown name a
         * warning; SHOW VARIABLES its "variables" entity. */
        bool show_vars = false;
        if (strcmp(kw, "SHOW") == 0 || strcmp(kw, "LIST") == 0) {
            char w[16];
            first_word(skip_blank(text + start) + 4, w, sizeof w);
            show_vars = strcmp(w, "VARIABLES") == 0;
        }
        if (show_vars) {
            json_t *ent = variables_entity(srv);
            json_object_set(ent, "statementText", st);
            json_object_set(ent, "warnings", warnings);
            json_array_append_new(entities, ent);
        } else if (strcmp(kw, "UNDEFINE") == 0 && out.len > 0) {
            size_t n = out.len;
            while (n > 0 && out.data[n - 1] == '\n')
                n--;
            json_array_append_new(entities, json_pack("{s:s, s:O, s:s%}", "@type", "warning_entity",
                                                      "statementText", st, "message", out.data, n));
        } else if (strcmp(kw, "DEFINE") != 0 && strcmp(kw, "UNDEFINE") != 0) {
            json_array_append_new(entities, entity(srv, kw, st, out.data ? out.data : "", warnings));
        }
        json_decref(st);
        json_decref(warnings);
        sb_free(&out);
        advance_pos(text, start, end, &line, &col);
    }
    server_reply_json(req, 200, entities);
out:
    /* A push query started where no client holds it (a RUN SCRIPT's
     * SELECT): nobody would read its rows. */
    server_cancel_unheld(srv);
    restore_props(srv, restore);
    engine_vars_end(srv->e, outer_vars);
    json_decref(body);
}

/* ---- queries: /query-stream and /query ----------------------------------------------- */

/* Whether a SELECT would start a transient query (counted against
 * ksql.max.push.queries): anything but a pull query (a table without EMIT).  The FROM name is
 * looked up in SHOW TABLES's answer. */
static bool starts_transient(Server *srv, const char *sql)
{
    char up[4096];
    size_t n = strlen(sql) < sizeof up - 1 ? strlen(sql) : sizeof up - 1;
    for (size_t i = 0; i < n; i++)
        up[i] = (char)toupper((unsigned char)sql[i]);
    up[n] = '\0';
    if (strstr(up, " EMIT ") || strstr(up, "\nEMIT "))
        return true;
    const char *from = strstr(up, " FROM ");
    if (from == NULL)
        return true;
    from += 6;
    while (isspace((unsigned char)*from))
        from++;
    char name[300];
    size_t k = 0;
    while (k + 1 < sizeof name && (isalnum((unsigned char)from[k]) || from[k] == '_'))
        name[k] = from[k], k++;
    name[k] = '\0';
    StrBuf out;
    sb_init(&out);
    char msg[256];
    srv->capture_text = &out;
    static const char show[] = "SHOW TABLES;";
    run_statement(srv, show, 0, sizeof show - 1, msg, sizeof msg);
    srv->capture_text = NULL;
    bool table = false;
    for (const char *p = out.data; p && k > 0 && (p = strstr(p, name)); p += k) {
        bool left = p == out.data || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool right = !(isalnum((unsigned char)p[k]) || p[k] == '_');
        table = table || (left && right);
    }
    sb_free(&out);
    return !table;
}

static void run_query(Server *srv, h2o_req_t *req, const char *sql, json_t *props, json_t *vars,
                      RowFormat fmt)
{
    char kw[16], msg[2048];
    first_word(sql, kw, sizeof kw);
    size_t end = statement_end(sql, 0, NULL);
    if (strcmp(kw, "SELECT") != 0 || statement_end(sql, end, NULL) != end) {
        server_reply_error(req, 400, "statement_error", 40001,
                           strcmp(kw, "SELECT") != 0
                               ? "a query endpoint runs one SELECT; other statements go to /ksql"
                               : "a query endpoint runs one SELECT, not several statements");
        return;
    }
    if (srv->npush >= srv->push_max && starts_transient(srv, sql)) {
        snprintf(msg, sizeof msg,
                 "too many push queries: %d are open, the limit (ksql.max.push.queries) is %d; "
                 "close one with /close-query, or retry later", srv->npush, srv->push_max);
        server_reply_error(req, 429, "generic_error", 42900, msg);
        return;
    }
    EngineVars *outer_vars;
    if (vars_begin(srv, vars, &outer_vars, msg, sizeof msg) != 0) {
        server_reply_error(req, 400, "generic_error", 40000, msg);
        return;
    }
    json_t *restore;
    if (set_props(srv, props, &restore, msg, sizeof msg) != 0) {
        restore_props(srv, restore);
        engine_vars_end(srv->e, outer_vars);
        server_reply_error(req, 400, "generic_error", 40000, msg);
        return;
    }
    PushClient *pc = server_push_new(srv, req, fmt);
    srv->capture_rows = &pc->sink;
    int rc = run_statement(srv, sql, 0, end, msg, sizeof msg);
    srv->capture_rows = NULL;
    restore_props(srv, restore);
    engine_vars_end(srv->e, outer_vars);
    if (rc != 0) {
        json_t *e = json_pack("{s:s, s:i, s:s, s:o}", "@type", "statement_error", "error_code",
                              40001, "message", msg, "statementText", statement_text(sql, 0, end));
        server_reply_json(req, 400, e);
        return;
    }
    const char *ct = fmt == FMT_DELIMITED ? CT_DELIMITED : "application/json";
    /* A push query still running after the statement is this request's
     * (a pull query, or a SELECT on a stream without EMIT, is done). */
    if (pc->sink.query_id[0] && engine_transient_running(srv->e, pc->sink.query_id)) {
        server_push_start(srv, pc, req, ct);
        return;
    }
    server_sink_close(&pc->sink, NULL);
    server_reply(req, 200, ct, pc->pending.data ? pc->pending.data : "", pc->pending.len);
}

/* /query-stream and /query: the same query, asked in other field names. */
static void query_endpoint(Server *srv, h2o_req_t *req, const char *sql_field,
                           const char *props_field, RowFormat fmt)
{
    json_t *body = body_object(req);
    if (body == NULL)
        return;
    const char *sql = json_string_value(json_object_get(body, sql_field));
    if (sql == NULL) {
        char msg[200];
        snprintf(msg, sizeof msg, "the request needs \"%s\": the SELECT to run, as a string", sql_field);
        server_reply_error(req, 400, "generic_error", 40000, msg);
    } else {
        run_query(srv, req, sql, json_object_get(body, props_field),
                  json_object_get(body, "sessionVariables"), fmt);
    }
    json_decref(body);
}

static void api_query_stream(Server *srv, h2o_req_t *req)
{
    bool json = accepts(req, "application/json") && !accepts(req, CT_DELIMITED);
    query_endpoint(srv, req, "sql", "properties", json ? FMT_JSON : FMT_DELIMITED);
}

static void api_query(Server *srv, h2o_req_t *req)
{
    query_endpoint(srv, req, "ksql", "streamsProperties", FMT_LEGACY);
}

static void api_close_query(Server *srv, h2o_req_t *req)
{
    json_t *body = body_object(req);
    if (body == NULL)
        return;
    const char *id = json_string_value(json_object_get(body, "queryId"));
    if (id == NULL)
        server_reply_error(req, 400, "generic_error", 40000,
                           "the request needs \"queryId\": the push query to close");
    else if (server_push_find(srv, id) == NULL) {
        char msg[512];
        snprintf(msg, sizeof msg, "no push query with id %s is running", id);
        server_reply_error(req, 400, "generic_error", 40000, msg);
    } else {
        server_push_finish(srv, server_push_find(srv, id), NULL);
        server_reply(req, 200, "application/json", "", 0);
    }
    json_decref(body);
}

/* ---- /inserts-stream ------------------------------------------------------------------- */

static void api_inserts_stream(Server *srv, h2o_req_t *req)
{
    const char *p = req->entity.base, *end = p ? p + req->entity.len : NULL;
    bool json_out = accepts(req, "application/json") && !accepts(req, CT_DELIMITED);
    StrBuf out;
    sb_init(&out);
    char target[300] = "";
    int64_t seq = 0;
    for (bool first = true; p && p < end; first = false) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        json_error_t jerr;
        json_t *j = json_loadb(p, (size_t)(le - p), 0, &jerr);
        bool blank = true;
        for (const char *c = p; c < le; c++)
            blank = blank && isspace((unsigned char)*c);
        p = nl ? nl + 1 : end;
        if (blank && !first) {
            json_decref(j);
            continue;
        }
        if (first) {
            const char *t = json_string_value(json_object_get(j, "target"));
            /* A stream's name, unquoted, is all the statement takes from it. */
            bool name = t != NULL && *t != '\0' && strlen(t) < sizeof target;
            for (const char *c = t; name && *c; c++)
                name = isalnum((unsigned char)*c) || *c == '_';
            if (!name) {
                json_decref(j);
                sb_free(&out);
                server_reply_error(req, 400, "generic_error", 40000,
                                   "the first line of /inserts-stream must be {\"target\": \"STREAM\"}, a stream's name");
                return;
            }
            /* Unquoted, as a name in a statement: upper case. */
            for (size_t i = 0; t[i]; i++)
                target[i] = (char)toupper((unsigned char)t[i]);
            target[strlen(t)] = '\0';
            json_decref(j);
            continue;
        }
        char msg[2048] = "";
        int rc = -1;
        if (!json_is_object(j)) {
            snprintf(msg, sizeof msg, "row %lld is not a JSON object%s%s", (long long)seq,
                     j == NULL ? ": " : "", j == NULL ? jerr.text : "");
        } else {
            EddyError err;
            rc = engine_insert_json(srv->e, target, j, &err);
            if (rc != 0)
                snprintf(msg, sizeof msg, "%s", err.msg);
        }
        json_decref(j);
        json_t *ack = rc == 0 ? json_pack("{s:s, s:I}", "status", "ok", "seq", (json_int_t)seq)
                              : json_pack("{s:s, s:I, s:i, s:s}", "status", "error", "seq",
                                          (json_int_t)seq, "error_code", 40000, "message", msg);
        char *a = json_dumps(ack, JSON_COMPACT);
        if (json_out)
            sb_printf(&out, "%s%s", seq == 0 ? "[" : ",\n", a);
        else
            sb_printf(&out, "%s\n", a);
        free(a);
        json_decref(ack);
        seq++;
    }
    if (target[0] == '\0') {
        sb_free(&out);
        server_reply_error(req, 400, "generic_error", 40000,
                           "the first line of /inserts-stream must be {\"target\": \"STREAM\"}");
        return;
    }
    if (json_out)
        sb_puts(&out, seq == 0 ? "[]\n" : "]\n");
    server_reply(req, 200, json_out ? "application/json" : CT_DELIMITED, out.data ? out.data : "",
                 out.len);
    sb_free(&out);
}

/* ---- status ------------------------------------------------------------------------------- */

static void api_info(Server *srv, h2o_req_t *req)
{
    (void)srv;
    server_reply_json(req, 200,
                      json_pack("{s:{s:s, s:s, s:s, s:s}}", "KsqlServerInfo", "version", "0.1.0",
                                "kafkaClusterId", "", "ksqlServiceId", "eddy", "serverStatus",
                                "RUNNING"));
}

/* How long a broker's answer (or silence) stands for /healthcheck, and how
 * long one check may hold the loop (the queries wait meanwhile). */
#define HEALTH_TTL_MS 5000
#define HEALTH_PING_MS 1000

/* 200 with every part healthy, else 503 (as ksqlDB answers); Kafka is
 * asked at most every HEALTH_TTL_MS, so a client polling it costs little. */
static void api_healthcheck(Server *srv, h2o_req_t *req)
{
    int64_t now = eddy_mono_ms();
    if (srv->kafka_checked_ms == 0 || now - srv->kafka_checked_ms >= HEALTH_TTL_MS) {
        EddyError err;
        eddy_error_clear(&err);
        srv->kafka_ok = kafka_transport_ping(srv->t, HEALTH_PING_MS, &err) == 0;
        snprintf(srv->kafka_error, sizeof srv->kafka_error, "%s", srv->kafka_ok ? "" : err.msg);
        srv->kafka_checked_ms = eddy_mono_ms();
    }
    json_t *kafka = json_pack("{s:b}", "isHealthy", srv->kafka_ok);
    if (!srv->kafka_ok)
        json_object_set_new(kafka, "error", json_string(srv->kafka_error));
    server_reply_json(req, srv->kafka_ok ? 200 : 503,
                      json_pack("{s:b, s:{s:{s:b}, s:o}}", "isHealthy", srv->kafka_ok, "details",
                                "metastore", "isHealthy", 1, "kafka", kafka));
}

static void api_cluster_status(Server *srv, h2o_req_t *req)
{
    json_int_t now = (json_int_t)eddy_now_ms();
    json_t *host = json_pack("{s:b, s:I, s:{}, s:{s:{}, s:I}}", "hostAlive", 1, "lastStatusUpdateMs",
                             now, "activeStandbyPerQuery", "hostStoreLags", "stateStoreLags",
                             "updateTimeMs", now);
    json_t *st = json_object();
    json_object_set_new(st, srv->listen, host);
    server_reply_json(req, 200, json_pack("{s:o}", "clusterStatus", st));
}

/* ---- /metrics ------------------------------------------------------------------------------ */

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

static void metric_head(StrBuf *o, const char *name, const char *type, const char *help)
{
    sb_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void api_metrics(Server *srv, h2o_req_t *req)
{
    StrBuf o;
    sb_init(&o);
    enum { QMAX = 256 };
    EngineQueryProgress *qs = calloc(QMAX, sizeof *qs);
    int n = engine_query_progress(srv->e, qs, QMAX);
    n = n < QMAX ? n : QMAX;
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } per[] = {
        {"eddy_query_records_in_total", "counter", "Input records a persistent query consumed.",
         offsetof(EngineQueryProgress, records_in)},
        {"eddy_query_records_out_total", "counter", "Records a persistent query produced.",
         offsetof(EngineQueryProgress, records_out)},
        {"eddy_query_records_skipped_total", "counter",
         "Input records a persistent query skipped as bad input.",
         offsetof(EngineQueryProgress, records_skipped)},
        {"eddy_query_expression_errors_total", "counter",
         "Expression errors while evaluating a persistent query.",
         offsetof(EngineQueryProgress, eval_errors)},
        {"eddy_query_late_records_total", "counter",
         "Records a windowed aggregate dropped for arriving past the window's grace period.",
         offsetof(EngineQueryProgress, records_late)},
        {"eddy_query_checkpoints_total", "counter",
         "Checkpoints that stored new state and offsets of the query.",
         offsetof(EngineQueryProgress, checkpoints)},
        {"eddy_query_state_bytes", "gauge",
         "Bytes the query's state stores take in RocksDB as of the last checkpoint "
         "(absent for a stateless query).",
         offsetof(EngineQueryProgress, state_bytes)},
        {"eddy_query_lag_records", "gauge",
         "Input records not consumed yet (absent while not known).",
         offsetof(EngineQueryProgress, lag)},
        {"eddy_query_replay_done_records", "gauge", "Records of a REPLAY's range processed.",
         offsetof(EngineQueryProgress, replay_done)},
        {"eddy_query_replay_total_records", "gauge", "Records of a REPLAY's range.",
         offsetof(EngineQueryProgress, replay_total)},
    };
    for (size_t m = 0; m < sizeof per / sizeof per[0]; m++) {
        metric_head(&o, per[m].name, per[m].type, per[m].help);
        for (int i = 0; i < n; i++) {
            int64_t v = *(const int64_t *)((const char *)&qs[i] + per[m].off);
            if (v >= 0)
                sb_printf(&o, "%s{query=\"%s\"} %lld\n", per[m].name, qs[i].id, (long long)v);
        }
    }
    metric_head(&o, "eddy_query_stalled", "gauge", "1 when a query has input left but makes no progress.");
    for (int i = 0; i < n; i++)
        sb_printf(&o, "eddy_query_stalled{query=\"%s\"} %d\n", qs[i].id, qs[i].stalled ? 1 : 0);
    /* A summary without quantiles: _sum and _count give the mean. */
    metric_head(&o, "eddy_query_checkpoint_duration_seconds", "summary",
                "Checkpoint durations: output delivery wait, synced state write, offset commit.");
    for (int i = 0; i < n; i++)
        sb_printf(&o,
                  "eddy_query_checkpoint_duration_seconds_sum{query=\"%s\"} %.6f\n"
                  "eddy_query_checkpoint_duration_seconds_count{query=\"%s\"} %lld\n",
                  qs[i].id, (double)qs[i].checkpoint_us_total / 1e6, qs[i].id,
                  (long long)qs[i].checkpoints);
    metric_head(&o, "eddy_query_last_checkpoint_duration_seconds", "gauge",
                "Duration of the query's last checkpoint.");
    for (int i = 0; i < n; i++)
        if (qs[i].checkpoints > 0)
            sb_printf(&o, "eddy_query_last_checkpoint_duration_seconds{query=\"%s\"} %.6f\n",
                      qs[i].id, (double)qs[i].checkpoint_us_last / 1e6);
    metric_head(&o, "eddy_query_partition_lag_records", "gauge",
                "Records of an input partition not consumed yet (absent while not known).");
    enum { PMAX = 4096 };
    EnginePartitionLag *parts = calloc(PMAX, sizeof *parts);
    for (int i = 0; i < n; i++) {
        int np = engine_query_partition_lags(srv->e, qs[i].id, parts, PMAX);
        for (int k = 0; k < np && k < PMAX; k++)
            if (parts[k].lag >= 0)
                sb_printf(&o,
                          "eddy_query_partition_lag_records{query=\"%s\",topic=\"%s\",partition=\"%d\"} %lld\n",
                          qs[i].id, parts[k].topic, (int)parts[k].partition,
                          (long long)parts[k].lag);
    }
    free(parts);
    free(qs);
    EngineStats st;
    engine_stats(srv->e, &st);
    metric_head(&o, "eddy_queries_running", "gauge", "Persistent queries running.");
    sb_printf(&o, "eddy_queries_running %d\n", engine_running_queries(srv->e));
    metric_head(&o, "eddy_queries_failed", "gauge", "Persistent queries stopped by an error.");
    sb_printf(&o, "eddy_queries_failed %d\n", st.queries_failed);
    metric_head(&o, "eddy_push_queries", "gauge", "Push queries a client holds open.");
    sb_printf(&o, "eddy_push_queries %d\n", srv->npush);
    metric_head(&o, "eddy_push_queries_started_total", "counter", "Push queries started.");
    sb_printf(&o, "eddy_push_queries_started_total %lld\n", (long long)srv->push_started);
    metric_head(&o, "eddy_push_queries_ended_total", "counter",
                "Push queries ended (LIMIT, close-query, client gone).");
    sb_printf(&o, "eddy_push_queries_ended_total %lld\n", (long long)srv->push_freed);
    metric_head(&o, "eddy_http_requests_total", "counter", "HTTP requests served.");
    sb_printf(&o, "eddy_http_requests_total %lld\n", (long long)srv->requests);
    metric_head(&o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sb_printf(&o, "process_resident_memory_bytes %ld\n", rss_bytes());
    metric_head(&o, "eddy_uptime_seconds", "gauge", "Seconds since the server started serving.");
    sb_printf(&o, "eddy_uptime_seconds %.3f\n", (double)(eddy_mono_ms() - srv->start_ms) / 1000.0);
    server_reply(req, 200, "text/plain; version=0.0.4", o.data, o.len);
    sb_free(&o);
}

/* ---- routing ---------------------------------------------------------------------------------- */

typedef struct Route {
    const char *method, *path;
    void (*fn)(Server *, h2o_req_t *);
} Route;

static const Route routes[] = {
    {"POST", "/ksql", api_ksql},
    {"POST", "/query-stream", api_query_stream},
    {"POST", "/query", api_query},
    {"POST", "/close-query", api_close_query},
    {"POST", "/inserts-stream", api_inserts_stream},
    {"GET", "/info", api_info},
    {"GET", "/healthcheck", api_healthcheck},
    {"GET", "/clusterStatus", api_cluster_status},
    {"GET", "/metrics", api_metrics},
};

int server_route(Server *srv, h2o_req_t *req)
{
    h2o_iovec_t path = req->path_normalized;
    if (req->entity.base && req->entity.len > SERVER_MAX_BODY) {
        char msg[200];
        snprintf(msg, sizeof msg, "the request body is larger than %d bytes, the limit",
                 SERVER_MAX_BODY);
        server_reply_error(req, 413, "generic_error", 41300, msg);
        return 0;
    }
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!h2o_memis(path.base, path.len, routes[i].path, strlen(routes[i].path)))
            continue;
        path_known = true;
        if (h2o_memis(req->method.base, req->method.len, routes[i].method, strlen(routes[i].method))) {
            routes[i].fn(srv, req);
            return 0;
        }
    }
    char msg[600];
    snprintf(msg, sizeof msg, path_known ? "%.*s takes another method than %.*s" : "no endpoint %.*s%.*s",
             (int)(path.len < 256 ? path.len : 256), path.base,
             path_known ? (int)req->method.len : 0, path_known ? req->method.base : "");
    server_reply_error(req, path_known ? 405 : 404, "generic_error", path_known ? 40500 : 40400, msg);
    return 0;
}
