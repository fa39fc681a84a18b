/*
 * load.c - `eddy load FILE`: a data set into a Kafka topic, one JSON record
 * per row, paced by the data's own clock.
 *
 * In: CSV with a header row (csv.c) or JSON lines (one object per line).
 * Out: per row, a record whose value is a JSON object (CSV: the header's
 * names, values typed as README "Loading a data set" says; JSON lines: the
 * line as it is), whose key is the --key column's text (KAFKA STRING) or
 * null, and whose timestamp is the --time-column's time (else the produce
 * time).
 *
 * Pacing: the first record goes at once; a record of time T is sent once
 * (T - T0) / speed has passed since then (T0 = the first record's time).
 * Records earlier than one already sent are therefore sent at once, and
 * counted.  A bad row is skipped, counted and reported with its line
 * number; nothing is left out silently.  SIGINT/SIGTERM stop after the
 * current row: what was sent is delivered and summed up.
 */
#include "cli.h"
#include "csv.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char usage[] =
    "usage: eddy load FILE --topic T --bootstrap-servers B [options]\n"
    "  FILE: CSV with a header row (RFC 4180) or JSON lines; - reads stdin.\n"
    "  Every row becomes one JSON record.  With --time-column the record's timestamp\n"
    "  is the row's time, and the record is sent when that time comes (see --speed).\n"
    "  --topic T               the topic (created if missing)\n"
    "  --bootstrap-servers B   the Kafka cluster, e.g. the address `eddy broker` prints (-b)\n"
    "  --format csv|json       default: from the extension (.csv; .json .jsonl .ndjson)\n"
    "  --key COL               the record key: COL's text (KAFKA format); default none\n"
    "  --time-column COL       record timestamps from COL: ISO-8601 (2016-02-08 05:46:00,\n"
    "                          2016-02-08T05:46:00.000Z, ...) or epoch milliseconds\n"
    "  --time-format F         parse COL with a Java DateTimeFormatter pattern, as\n"
    "                          ksqlDB's TIMESTAMP_FORMAT does (e.g. 'MM/dd/yyyy HH:mm')\n"
    "  --time-zone TZ          zone of times written without an offset (default UTC)\n"
    "  --speed X               X seconds of data time per second (default 1, real time;\n"
    "                          3600 = an hour per second)\n"
    "  --as-fast-as-possible   no pacing: everything at once, in batches\n"
    "  --strings               CSV: every value a JSON string (default: numbers and\n"
    "                          true/false typed, an unquoted empty field null)\n"
    "  --limit N               send at most N records\n"
    "  --partitions N          partitions of a topic this creates (default: the broker's)\n"
    "  -p key=value            librdkafka producer property (repeatable; -X too)\n";

#define WHO "eddy load"
#define MAX_LISTED_BAD 20       /* bad rows described one by one; the rest counted */
#define SUMMARY_LINES 10        /* line numbers of bad rows in the summary */
#define PROGRESS_TTY_MS 500
#define PROGRESS_LOG_MS 10000
#define DEFAULT_MESSAGE_MAX 1000000   /* librdkafka's message.max.bytes */

typedef enum LoadFormat { LOAD_CSV, LOAD_JSON } LoadFormat;

typedef struct LoadOptions {
    const char *file, *topic, *bootstrap, *key, *time_col, *time_format, *time_zone;
    LoadFormat format;
    bool format_given, fast, speed_given, strings;
    double speed;
    long long limit;           /* -1 = every row */
    int partitions;            /* for a topic this creates; -1 = the broker's default */
    long long max_message;     /* bytes of key + value Kafka takes */
    char **user;               /* -p key, value pairs (malloc'd) */
    int nuser;
} LoadOptions;

/* One run of the command. */
typedef struct Load {
    const LoadOptions *o;
    Transport *t;
    FILE *in;
    const char *name;          /* the file, for messages */
    RetentionMark mark;        /* the topic's end before sending */

    /* CSV */
    CsvReader *csv;
    StrBuf *names;             /* per column, `"NAME":` as JSON */
    int ncols, key_col, time_col;
    /* JSON lines */
    char *line;
    size_t line_cap;
    int lineno;
    long blank;

    /* the row being sent */
    StrBuf val, key;
    bool has_key;
    int64_t ts;                /* -1 = none */
    int row_line;
    int sent_line;             /* line of the last record sent */

    /* counts */
    long long sent, bad, out_of_order;
    int bad_lines[SUMMARY_LINES];
    int64_t first_ts, min_ts, max_ts;
    int64_t t0, last_progress;
    bool tty, progress_shown;
} Load;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* ---- options -------------------------------------------------------- */

static int bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, WHO ": %s%s%s\n(eddy load --help lists the options)\n", what,
            arg ? " " : "", arg ? arg : "");
    return 2;
}

static bool parse_count(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Checks what can be checked before the file is opened. */
static int check_options(LoadOptions *o)
{
    if (o->file == NULL)
        return bad_usage("which file? (a CSV or JSON-lines file, or - for stdin)", NULL);
    if (o->topic == NULL)
        return bad_usage("--topic is required", NULL);
    if (!o->format_given) {
        if (has_suffix(o->file, ".csv"))
            o->format = LOAD_CSV;
        else if (has_suffix(o->file, ".json") || has_suffix(o->file, ".jsonl") ||
                 has_suffix(o->file, ".ndjson"))
            o->format = LOAD_JSON;
        else
            return bad_usage("say --format csv or --format json for", o->file);
    }
    if (o->fast && o->speed_given)
        return bad_usage("--speed and --as-fast-as-possible exclude each other", NULL);
    if (o->time_col == NULL && (o->speed_given || o->time_format || o->time_zone))
        return bad_usage("--speed, --time-format and --time-zone need --time-column", NULL);
    if (o->strings && o->format != LOAD_CSV)
        return bad_usage("--strings is for CSV files (JSON values keep their types)", NULL);
    EddyError err;
    if (o->time_format && eddy_check_time_format(o->time_format, &err) < 0)
        return bad_usage("--time-format:", err.msg);
    if (o->time_zone && eddy_check_time_zone(o->time_zone, &err) < 0)
        return bad_usage("--time-zone:", err.msg);
    if (o->bootstrap == NULL) {
        cli_no_bootstrap(WHO);
        return 2;
    }
    return 0;
}

/* Fills *o from argv.  Returns 0 to go on, -1 after printing help, or 2
 * after a usage error. */
static int parse_load_args(int argc, char **argv, LoadOptions *o)
{
    o->speed = 1;
    o->limit = -1;
    o->partitions = -1;
    o->max_message = DEFAULT_MESSAGE_MAX;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->file)
                return bad_usage("one file at a time; unexpected", a);
            o->file = a;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return fputs(usage, stdout), -1;
        if (strcmp(a, "--as-fast-as-possible") == 0) {
            o->fast = true;
            continue;
        }
        if (strcmp(a, "--strings") == 0) {
            o->strings = true;
            continue;
        }
        if (i + 1 >= argc)
            return bad_usage("missing value after", a);
        const char *v = argv[++i];
        long long n;
        if (strcmp(a, "--topic") == 0 && v[0]) {
            o->topic = v;
        } else if ((strcmp(a, "--bootstrap-servers") == 0 || strcmp(a, "-b") == 0) && v[0]) {
            o->bootstrap = v;
        } else if (strcmp(a, "--format") == 0) {
            if (strcasecmp(v, "csv") && strcasecmp(v, "json"))
                return bad_usage("--format wants csv or json, not", v);
            o->format = strcasecmp(v, "csv") == 0 ? LOAD_CSV : LOAD_JSON;
            o->format_given = true;
        } else if (strcmp(a, "--key") == 0 && v[0]) {
            o->key = v;
        } else if (strcmp(a, "--time-column") == 0 && v[0]) {
            o->time_col = v;
        } else if (strcmp(a, "--time-format") == 0 && v[0]) {
            o->time_format = v;
        } else if (strcmp(a, "--time-zone") == 0 && v[0]) {
            o->time_zone = v;
        } else if (strcmp(a, "--speed") == 0) {
            char *end;
            o->speed = strtod(v, &end);
            if (end == v || *end || !(o->speed > 0 && o->speed < 1e15))
                return bad_usage("--speed wants a number > 0 (3600 = an hour per second), not",
                                 v);
            o->speed_given = true;
        } else if (strcmp(a, "--limit") == 0) {
            if (!parse_count(v, &o->limit))
                return bad_usage("--limit wants a number of records, not", v);
        } else if (strcmp(a, "--partitions") == 0) {
            if (!parse_count(v, &n) || n < 1 || n > 100000)
                return bad_usage("--partitions wants a number >= 1, not", v);
            o->partitions = (int)n;
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "-X") == 0) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v)
                return bad_usage("-p wants key=value, not", v);
            char *k = strndup(v, (size_t)(eq - v));
            if (strcmp(k, "bootstrap.servers") == 0 && o->bootstrap == NULL)
                o->bootstrap = eq + 1;
            if (strcmp(k, "message.max.bytes") == 0 && !parse_count(eq + 1, &o->max_message)) {
                free(k);
                return bad_usage("message.max.bytes wants a number, not", eq + 1);
            }
            o->user[o->nuser++] = k;
            o->user[o->nuser++] = strdup(eq + 1);
        } else {
            return bad_usage(v[0] ? "unknown option" : "an empty value for", a);
        }
    }
    return check_options(o);
}

/* ---- messages ------------------------------------------------------- */

static void progress_clear(Load *L)
{
    if (L->tty && L->progress_shown)
        fputs("\r\033[K", stderr);
    L->progress_shown = false;
}

/* A bad row: described (up to MAX_LISTED_BAD of them), counted, skipped. */
static void report_bad(Load *L, int line, SrcPos at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report_bad(Load *L, int line, SrcPos at, const char *fmt, ...)
{
    if (L->bad < SUMMARY_LINES)
        L->bad_lines[L->bad] = line;
    if (L->bad++ >= MAX_LISTED_BAD)
        return;
    progress_clear(L);
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at.line > 0)
        fprintf(stderr, WHO ": %s: line %d:%d: %s; row skipped\n", L->name, at.line, at.col, msg);
    else
        fprintf(stderr, WHO ": %s: line %d: %s; row skipped\n", L->name, line, msg);
    if (L->bad == MAX_LISTED_BAD)
        fprintf(stderr, WHO ": further bad rows are counted, not listed\n");
}

static void fmt_time(int64_t ms, char *buf, size_t size)
{
    StrBuf sb;
    sb_init(&sb);
    eddy_format_time(ms, &sb);
    snprintf(buf, size, "%s", sb.data ? sb.data : "?");
    sb_free(&sb);
}

/* The progress line: in place on a terminal, a line now and then otherwise. */
static void progress(Load *L, int64_t waiting_ms)
{
    int64_t now = eddy_mono_ms();
    if (now - L->last_progress < (L->tty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS))
        return;
    L->last_progress = now;
    char line[256], when[48] = "";
    int n = snprintf(line, sizeof line, WHO ": line %d: %lld sent, %lld skipped", L->row_line,
                     L->sent, L->bad);
    if (L->o->time_col && L->sent > 0) {
        fmt_time(L->max_ts, when, sizeof when);
        n += snprintf(line + n, sizeof line - (size_t)n, ", data time %s", when);
    }
    if (waiting_ms > 1000 && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, ", next record in %.0f s",
                 (double)waiting_ms / 1000.0);
    if (L->tty) {
        fprintf(stderr, "\r%s\033[K", line);
        L->progress_shown = true;
    } else {
        fprintf(stderr, "%s\n", line);
    }
}

/* ---- values ------------------------------------------------------------ */

/* The kind of JSON number text s is (RFC 8259 grammar): 0 none, 1 an
 * integer, 2 with a fraction or exponent. */
static int json_number_kind(const char *s, size_t n)
{
    size_t i = 0;
    int kind = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        kind = 2;
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        kind = 2;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    return i == n ? kind : 0;
}

/* True if text (NUL-terminated) can go out as a JSON number that every
 * reader takes: an integer within 64 bits, or a finite double (jansson,
 * which eddy reads JSON with, refuses a whole record otherwise). */
static bool is_json_number(const char *text, size_t len)
{
    int kind = json_number_kind(text, len);
    errno = 0;
    if (kind == 1)
        (void)strtoll(text, NULL, 10);
    else if (kind == 2)
        return isfinite(strtod(text, NULL));
    return kind != 0 && errno == 0;
}

/* One CSV field as a JSON value (README: typed unless --strings). */
static void put_csv_value(StrBuf *out, const CsvField *f, bool strings)
{
    if (f->len == 0 && !f->quoted) {
        sb_puts(out, "null");
    } else if (strings) {
        sb_put_json_string(out, f->text, f->len);
    } else if (is_json_number(f->text, f->len)) {
        sb_append(out, f->text, f->len);
    } else if (strcasecmp(f->text, "true") == 0 || strcasecmp(f->text, "false") == 0) {
        sb_puts(out, f->text[0] == 't' || f->text[0] == 'T' ? "true" : "false");
    } else {
        sb_put_json_string(out, f->text, f->len);
    }
}

/* ms since the epoch of a time text (README: ISO-8601 or epoch ms unless
 * --time-format).  -1 with the reason in err. */
static int parse_time(const LoadOptions *o, const char *text, int64_t *ms, EddyError *err)
{
    if (o->time_format) {
        if (eddy_parse_time(text, o->time_format, o->time_zone, ms, err) < 0)
            return -1;
    } else if (json_number_kind(text, strlen(text)) == 1) {
        errno = 0;
        *ms = strtoll(text, NULL, 10);
        if (errno)
            return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "'%s' is out of range", text);
    } else if (eddy_parse_time(text, NULL, o->time_zone, ms, err) < 0) {
        if (err->kind != ERR_SYNTAX)
            return -1;   /* the zone's error */
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "'%s' is neither an ISO-8601 time nor epoch milliseconds "
                          "(say how it is written with --time-format)",
                          text);
    }
    if (*ms < 0)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "'%s' is before 1970: Kafka timestamps cannot be negative", text);
    return 0;
}

/* ---- CSV ------------------------------------------------------------ */

/* The index of column `want` among names: exact, else the only one equal
 * ignoring case.  -1 (reason printed) if there is none. */
static int find_column(Load *L, const CsvRow *hdr, const char *want, const char *flag)
{
    int found = -1, nfound = 0, best = -1, best_d = 1 << 30;
    for (int i = 0; i < hdr->nfields; i++) {
        if (strcmp(hdr->fields[i].text, want) == 0)
            return i;
        if (str_ieq(hdr->fields[i].text, want))
            found = i, nfound++;
        int d = str_edit_distance(hdr->fields[i].text, want);
        if (d < best_d)
            best = i, best_d = d;
    }
    if (nfound == 1)
        return found;
    fprintf(stderr, WHO ": %s %s: the header of %s has no column %s", flag, want, L->name, want);
    if (nfound > 1)
        fprintf(stderr, " (several differ from it only in case)");
    else if (best >= 0 && best_d <= 3)
        fprintf(stderr, "; did you mean %s?", hdr->fields[best].text);
    fputc('\n', stderr);
    return -1;
}

/* Reads the header: column names (as JSON keys), --key and --time-column.
 * Returns 0, or an exit status after printing why. */
static int csv_header(Load *L)
{
    CsvRow hdr;
    EddyError err;
    CsvStatus st = csv_next(L->csv, &hdr, &err);
    if (st == CSV_EOF) {
        fprintf(stderr, WHO ": %s is empty: a CSV file starts with a header row\n", L->name);
        return 1;
    }
    if (st != CSV_ROW) {
        fprintf(stderr, WHO ": %s: line %d:%d: %s (in the header)\n", L->name, err.pos.line,
                err.pos.col, err.msg);
        return 1;
    }
    L->names = calloc((size_t)hdr.nfields, sizeof *L->names);
    if (L->names == NULL)
        return 1;
    L->ncols = hdr.nfields;
    for (int i = 0; i < hdr.nfields; i++) {
        const CsvField *f = &hdr.fields[i];
        if (utf8_valid_prefix(f->text, f->len) < f->len) {
            fprintf(stderr, WHO ": %s: line %d:%d: the header is not UTF-8 (convert the file, "
                    "e.g. with iconv)\n", L->name, f->pos.line, f->pos.col);
            return 1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(hdr.fields[j].text, f->text) == 0) {
                fprintf(stderr, WHO ": %s: line %d:%d: column %s appears twice in the header\n",
                        L->name, f->pos.line, f->pos.col, f->text);
                return 1;
            }
        if (f->len == 0)
            fprintf(stderr, WHO ": warning: column %d has no name in the header; its values "
                    "go under the JSON key \"\"\n", i + 1);
        sb_init(&L->names[i]);
        sb_put_json_string(&L->names[i], f->text, f->len);
        sb_putc(&L->names[i], ':');
    }
    L->key_col = L->time_col = -1;
    if (L->o->key && (L->key_col = find_column(L, &hdr, L->o->key, "--key")) < 0)
        return 2;
    if (L->o->time_col &&
        (L->time_col = find_column(L, &hdr, L->o->time_col, "--time-column")) < 0)
        return 2;
    return 0;
}

/* The next CSV row into L->val/key/ts.  Returns 1 for a row to send, 0 at
 * the end, 2 for a bad row (reported), -1 on a read error (printed). */
static int csv_row(Load *L)
{
    CsvRow row;
    EddyError err;
    CsvStatus st = csv_next(L->csv, &row, &err);
    if (st == CSV_EOF)
        return 0;
    L->row_line = row.line;
    if (st == CSV_IO) {
        fprintf(stderr, WHO ": %s: %s: %s\n", L->name, err.msg, strerror(errno));
        return -1;
    }
    if (st == CSV_BAD) {
        report_bad(L, row.line, err.pos, "%s", err.msg);
        return 2;
    }
    sb_reset(&L->val);
    sb_putc(&L->val, '{');
    for (int i = 0; i < row.nfields; i++) {
        const CsvField *f = &row.fields[i];
        size_t ok = utf8_valid_prefix(f->text, f->len);
        if (ok < f->len) {
            report_bad(L, row.line, f->pos,
                       "column %s is not UTF-8 (byte %zu of the field; convert the file, e.g. "
                       "with iconv)", L->names[i].data, ok + 1);
            return 2;
        }
        if (i)
            sb_putc(&L->val, ',');
        sb_append(&L->val, L->names[i].data, L->names[i].len);
        put_csv_value(&L->val, f, L->o->strings);
    }
    sb_putc(&L->val, '}');

    L->has_key = false;
    if (L->key_col >= 0) {
        const CsvField *f = &row.fields[L->key_col];
        L->has_key = f->len > 0 || f->quoted;
        sb_reset(&L->key);
        sb_append(&L->key, f->text, f->len);
    }
    L->ts = -1;
    if (L->time_col >= 0) {
        const CsvField *f = &row.fields[L->time_col];
        if (f->len == 0) {
            report_bad(L, row.line, f->pos, "no time in column %s", L->o->time_col);
            return 2;
        }
        if (parse_time(L->o, f->text, &L->ts, &err) < 0) {
            report_bad(L, row.line, f->pos, "column %s: %s", L->o->time_col, err.msg);
            return 2;
        }
    }
    return 1;
}

/* ---- JSON lines ----------------------------------------------------- */

/* Member `want` of obj: exact, else the first equal ignoring case. */
static json_t *member(json_t *obj, const char *want)
{
    json_t *v = json_object_get(obj, want);
    if (v)
        return v;
    const char *k;
    json_object_foreach(obj, k, v)
        if (str_ieq(k, want))
            return v;
    return NULL;
}

/* A JSON value's text for a key: strings as they are, other scalars as
 * ksqlDB prints them, objects and arrays as compact JSON. */
static void json_text(const json_t *v, StrBuf *out)
{
    if (json_is_string(v)) {
        sb_append(out, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        sb_printf(out, "%" PRId64, (int64_t)json_integer_value(v));
    } else if (json_is_real(v)) {
        eddy_format_double(json_real_value(v), out);
    } else if (json_is_boolean(v)) {
        sb_puts(out, json_is_true(v) ? "true" : "false");
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        sb_puts(out, s ? s : "");
        free(s);
    }
}

/* The time of a JSON row: a number of ms or a string parse_time takes. */
static int json_time(Load *L, json_t *obj, int64_t *ms, EddyError *err)
{
    json_t *v = member(obj, L->o->time_col);
    if (v == NULL || json_is_null(v))
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "no time in field %s", L->o->time_col);
    if (json_is_integer(v)) {
        *ms = json_integer_value(v);
        if (*ms < 0)
            return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                              "field %s: %" PRId64 " is before 1970: Kafka timestamps cannot be "
                              "negative", L->o->time_col, *ms);
        return 0;
    }
    if (!json_is_string(v))
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "field %s is neither a string nor a number of milliseconds",
                          L->o->time_col);
    if (parse_time(L->o, json_string_value(v), ms, err) < 0) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "field %s: %s", L->o->time_col, why);
    }
    return 0;
}

/* The next JSON line, as csv_row does for CSV. */
static int json_row(Load *L)
{
    for (;;) {
        errno = 0;
        ssize_t n = getline(&L->line, &L->line_cap, L->in);
        if (n < 0) {
            if (ferror(L->in)) {
                fprintf(stderr, WHO ": %s: read error: %s\n", L->name, strerror(errno));
                return -1;
            }
            return 0;
        }
        L->row_line = ++L->lineno;
        char *s = L->line;
        if (L->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, n -= 3;
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
                         s[n - 1] == '\t'))
            n--;
        size_t lead = strspn(s, " \t");
        if ((ssize_t)lead >= n) {
            L->blank++;
            continue;
        }
        json_error_t jerr;
        json_t *obj = json_loadb(s, (size_t)n, 0, &jerr);
        if (obj == NULL) {
            report_bad(L, L->lineno, (SrcPos){L->lineno, jerr.column > 0 ? jerr.column : 1},
                       "not JSON: %s", jerr.text);
            return 2;
        }
        if (!json_is_object(obj)) {
            json_decref(obj);
            report_bad(L, L->lineno, (SrcPos){L->lineno, (int)lead + 1},
                       "not a JSON object (one object per line)");
            return 2;
        }
        L->has_key = false;
        if (L->o->key) {
            json_t *k = member(obj, L->o->key);
            L->has_key = k && !json_is_null(k);
            sb_reset(&L->key);
            if (L->has_key)
                json_text(k, &L->key);
        }
        L->ts = -1;
        EddyError err;
        if (L->o->time_col && json_time(L, obj, &L->ts, &err) < 0) {
            json_decref(obj);
            report_bad(L, L->lineno, (SrcPos){0}, "%s", err.msg);
            return 2;
        }
        json_decref(obj);
        sb_reset(&L->val);
        sb_append(&L->val, s, (size_t)n);
        return 1;
    }
}

/* ---- sending -------------------------------------------------------- */

/* Waits for the row's time to come (scaled by --speed). */
static void wait_for_time(Load *L)
{
    if (L->sent == 0) {
        L->first_ts = L->ts;
        L->t0 = eddy_mono_ms();
        return;
    }
    int64_t target = L->t0 + (int64_t)((double)(L->ts - L->first_ts) / L->o->speed);
    for (int64_t now = eddy_mono_ms(); now < target && !stop_signal; now = eddy_mono_ms()) {
        int64_t step = target - now < PROGRESS_TTY_MS ? target - now : PROGRESS_TTY_MS;
        cli_producer_pace(L->t, now + step, &stop_signal);
        progress(L, target - eddy_mono_ms());
    }
}

/* Sends the row in L.  Returns 0, 2 when it was a bad row after all (too
 * big), or -1 on a produce error (printed). */
static int send_row(Load *L)
{
    if (L->o->time_col && !L->o->fast)
        wait_for_time(L);
    if (stop_signal)
        return 0;
    size_t size = L->val.len + (L->has_key ? L->key.len : 0);
    if ((long long)size > L->o->max_message) {
        report_bad(L, L->row_line, (SrcPos){0},
                   "the record has %zu bytes, more than the producer takes (message.max.bytes "
                   "%lld)", size, L->o->max_message);
        return 2;
    }
    EddyError err;
    if (L->t->ops->produce(L->t, L->o->topic, -1, L->has_key ? L->key.data : NULL,
                           L->has_key ? L->key.len : 0, L->val.data, L->val.len, L->ts,
                           &err) < 0) {
        progress_clear(L);
        fprintf(stderr, WHO ": %s: line %d: %s\n", L->name, L->row_line, err.msg);
        return -1;
    }
    if (L->ts >= 0) {
        if (L->sent == 0 || L->ts < L->min_ts)
            L->min_ts = L->ts;
        if (L->sent > 0 && L->ts < L->max_ts)
            L->out_of_order++;
        if (L->sent == 0 || L->ts > L->max_ts)
            L->max_ts = L->ts;
    }
    L->sent_line = L->row_line;
    if (++L->sent % 1024 == 0)
        L->t->ops->poll(L->t);
    return 0;
}

/* Reads and sends every row.  Returns 0, or 1 after a read or produce
 * error (printed). */
static int load_rows(Load *L)
{
    int (*next)(Load *) = L->o->format == LOAD_CSV ? csv_row : json_row;
    while (!stop_signal && (L->o->limit < 0 || L->sent < L->o->limit)) {
        int st = next(L);
        if (st == 0)
            return 0;
        if (st < 0)
            return 1;
        if (st == 1 && send_row(L) < 0)
            return 1;
        progress(L, 0);
    }
    return 0;
}

/* ---- after sending -------------------------------------------------- */

static void summary(Load *L, int64_t elapsed_ms)
{
    progress_clear(L);
    double secs = (double)elapsed_ms / 1000.0;
    if (stop_signal)
        fprintf(stderr, WHO ": interrupted; the last record sent is line %d's\n", L->sent_line);
    fprintf(stderr, WHO ": sent %lld record%s to %s in %.2f s (%.0f/s)\n", L->sent,
            L->sent == 1 ? "" : "s", L->o->topic, secs, secs > 0 ? (double)L->sent / secs : 0.0);
    if (L->o->time_col && L->sent > 0) {
        char a[48], b[48];
        fmt_time(L->min_ts, a, sizeof a);
        fmt_time(L->max_ts, b, sizeof b);
        fprintf(stderr, WHO ": record times %s .. %s (UTC)\n", a, b);
    }
    fprintf(stderr, WHO ": skipped %lld bad row%s", L->bad, L->bad == 1 ? "" : "s");
    for (long long i = 0; i < L->bad && i < SUMMARY_LINES; i++)
        fprintf(stderr, "%s%d", i ? ", " : L->bad == 1 ? " (line " : " (lines ", L->bad_lines[i]);
    fprintf(stderr, "%s\n", L->bad > SUMMARY_LINES ? ", ...)" : L->bad ? ")" : "");
    if (L->out_of_order)
        fprintf(stderr, WHO ": %lld record%s earlier than one sent before (sent at once)\n",
                L->out_of_order, L->out_of_order == 1 ? " was" : "s were");
    long blank = L->csv ? csv_blank_lines(L->csv) : L->blank;
    if (blank)
        fprintf(stderr, WHO ": ignored %ld blank line%s\n", blank, blank == 1 ? "" : "s");
}

/* ---- the command ---------------------------------------------------- */

/* Connects, makes sure the topic exists, and marks its end (L->mark), so
 * that the records the broker drops of those sent can be counted. */
static int open_topic(Load *L)
{
    const LoadOptions *o = L->o;
    /* bootstrap.servers, bigger batches when nothing waits (before the
     * user's pairs, which win), the user's pairs, NULL. */
    const char **props = calloc((size_t)o->nuser + 7, sizeof *props);
    if (props == NULL)
        return 1;
    int n = 0;
    props[n++] = "bootstrap.servers";
    props[n++] = o->bootstrap;
    if (o->fast || o->time_col == NULL) {
        props[n++] = "linger.ms";
        props[n++] = "50";
    }
    memcpy(props + n, o->user, (size_t)o->nuser * sizeof *props);
    L->t = cli_producer_open(WHO, props);
    free(props);
    if (L->t == NULL)
        return 1;
    EddyError err;
    char **names;
    n = L->t->ops->list_topics(L->t, &names, &err);
    if (n < 0) {
        fprintf(stderr, WHO ": cannot reach Kafka at %s: %s\n", o->bootstrap, err.msg);
        return 1;
    }
    bool exists = false;
    for (int i = 0; i < n; i++)
        exists = exists || strcmp(names[i], o->topic) == 0;
    transport_free_names(names, n);
    if (exists) {
        if (o->partitions > 0 && L->t->ops->topic_partitions(L->t, o->topic) != o->partitions)
            fprintf(stderr, WHO ": warning: topic %s exists with %d partitions; --partitions %d "
                    "applies only to a topic this creates\n", o->topic,
                    L->t->ops->topic_partitions(L->t, o->topic), o->partitions);
    } else if (L->t->ops->topic_ensure(L->t, o->topic, o->partitions, -1, &err) < 0) {
        fprintf(stderr, WHO ": cannot create topic %s: %s\n", o->topic, err.msg);
        return 1;
    }
    if (transport_retention_mark(L->t, o->topic, &L->mark, &err) < 0) {
        fprintf(stderr, WHO ": %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int run_load(Load *L)
{
    const LoadOptions *o = L->o;
    int rc = 0;
    if (strcmp(o->file, "-") == 0) {
        L->in = stdin;
        L->name = "stdin";
    } else if ((L->in = fopen(o->file, "rb")) == NULL) {
        fprintf(stderr, WHO ": cannot open %s: %s\n", o->file, strerror(errno));
        return 1;
    } else {
        L->name = o->file;
    }
    if (o->format == LOAD_CSV) {
        L->csv = csv_reader_create(L->in, 0);
        if (L->csv == NULL || (rc = csv_header(L)) != 0)
            return L->csv ? rc : 1;
    }
    if ((rc = open_topic(L)) != 0)
        return rc;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    L->tty = isatty(STDERR_FILENO);
    L->last_progress = eddy_mono_ms();
    int64_t start = eddy_mono_ms();
    rc = load_rows(L);
    if (cli_producer_flush(WHO, L->t) < 0)
        rc = 1;
    int64_t elapsed = eddy_mono_ms() - start;
    summary(L, elapsed);
    if (rc == 0 && L->sent > 0)
        cli_producer_warn_dropped(WHO, L->t, o->topic, &L->mark);
    if (rc == 0 && stop_signal)
        rc = 128 + (int)stop_signal;
    else if (rc == 0 && L->sent == 0 && L->bad > 0)
        rc = 1;   /* nothing but bad rows: surely not what was meant */
    return rc;
}

int cmd_load(int argc, char **argv)
{
    LoadOptions o = {0};
    o.user = calloc((size_t)argc + 1, sizeof *o.user);
    if (o.user == NULL)
        return 1;
    int rc = parse_load_args(argc, argv, &o);
    if (rc == 0) {
        Load L = {.o = &o};
        sb_init(&L.val);
        sb_init(&L.key);
        rc = run_load(&L);
        transport_retention_mark_free(&L.mark);
        if (L.t)
            L.t->ops->destroy(L.t);
        if (L.in && L.in != stdin)
            fclose(L.in);
        csv_reader_destroy(L.csv);
        for (int i = 0; L.names && i < L.ncols; i++)
            sb_free(&L.names[i]);
        free(L.names);
        free(L.line);
        sb_free(&L.val);
        sb_free(&L.key);
    }
    for (int i = 0; i < o.nuser; i++)
        free(o.user[i]);
    free(o.user);
    return rc < 0 ? 0 : rc;
}
