/*
 * eddy.h - the embedding API: what cli/ (REPL, eddy run, eddy test) and the
 * benchmarks use.  One engine: every entry point drives the same parser,
 * analyzer, planner, operators and transports.
 */
#ifndef EDDY_EDDY_H
#define EDDY_EDDY_H

#include "eddy/base.h"
#include "eddy/transport.h"

struct json_t;

typedef struct Engine Engine;

/* Where the engine writes what a person reads: statement results (SHOW,
 * DESCRIBE, EXPLAIN, query rows) and log lines. */
typedef struct EngineOutput {
    /* A block of text (tables, messages). */
    void (*text)(void *ud, const char *text);
    /* A row of a transient query, already formatted as "|v1 |v2 |" cells
     * (cols[i] are the formatted values).  header=true for the column names.
     * For a person, who follows one query at a time: with many_transients
     * the rows of all running ones come here untagged (use row_json). */
    void (*row)(void *ud, const char *const *cols, int ncols, bool header);
    /* Optional (NULL: not wanted), for a program rather than a person
     * (eddy server): the same rows as JSON text, each tagged with the id
     * of its query (a transient query's transient_<SOURCE>_<n>, a pull
     * query's pull_<TABLE>_<n>).  header=true once per query, before its
     * rows: {"queryId":"...","columnNames":[...],
     * "columnTypes":["STRING","INTEGER",...]}; then each row as a JSON
     * array of its values in ksqlDB's REST encoding. */
    void (*row_json)(void *ud, const char *query_id, const char *json, bool header);
    /* Log: level 0 info, 1 warning, 2 error. */
    void (*log)(void *ud, int level, const char *msg);
    /* Columns text tables should fit in (SHOW QUERIES cuts its longest
     * column to fit, marking the cut with an ellipsis); NULL or 0 = no limit. */
    int (*width)(void *ud);
    void *ud;
} EngineOutput;

typedef struct EngineConfig {
    Transport *transport;         /* borrowed until engine_destroy */
    const char *state_dir;        /* NULL = no persistence (eddy test) */
    EngineOutput out;
    /* Initial properties (SET-able): NULL-terminated key, value pairs. */
    const char *const *props;
    bool deterministic;           /* test runner: no wall clock in output */
    /* Create a missing topic a CREATE STREAM names, as a broker with
     * auto.create.topics.enable would (the test runner's topics). */
    bool auto_create_topics;
    /* A push query (SELECT ... EMIT CHANGES) starts beside the running ones
     * (eddy server: one per client) instead of replacing them (the REPL,
     * eddy run: one at a time). */
    bool many_transients;
} EngineConfig;

/* Returns an engine owned by the caller; free with engine_destroy.  With a
 * state_dir, replays the persisted catalog (queries start running). */
Engine *engine_create(const EngineConfig *cfg, EddyError *err);
void engine_destroy(Engine *e);

/* Parses and runs every statement of text in order.  origin names the
 * text in messages (file name or "repl").  Stops at the first failing
 * statement: returns -1 with err (positioned in text); statements before
 * it stay done, the failing one changes nothing.  A statement that
 * repeats an existing definition exactly (restart of `eddy run`) is
 * skipped with a note. */
int engine_execute(Engine *e, const char *text, const char *origin, EddyError *err);

/* Variables (DEFINE; ${name} in statements) belong to the engine's
 * session.  A server request gets a set of its own: engine_vars_begin
 * sets the current set aside (returned) and starts an empty one;
 * engine_vars_end frees the request's set and puts the outer one back.
 * engine_define defines one (sessionVariables). */
typedef struct EngineVars EngineVars;
EngineVars *engine_vars_begin(Engine *e);
void engine_vars_end(Engine *e, EngineVars *outer);
void engine_define(Engine *e, const char *name, const char *value);
/* The i-th variable (0-based, in defined order): 0, or -1 past the last. */
int engine_var_at(Engine *e, int i, const char **name, const char **value);

/* Writes one row to stream or table `target`, as INSERT VALUES does, from
 * a JSON object (eddy server's /inserts-stream): its names are columns,
 * matched without regard to case when not exactly (ROWTIME, WINDOWSTART
 * and WINDOWEND too); its values are read as the JSON format reads them,
 * so an object becomes a MAP or a STRUCT by the column's type and a
 * DECIMAL keeps its digits.  0, or -1 with err; nothing is written then. */
int engine_insert_json(Engine *e, const char *target, const struct json_t *row, EddyError *err);

/* DESCRIBE of stream or table `name` (as the catalog spells it) as
 * ksqlDB's REST API's "sourceDescription" object: name, type, fields with
 * their schemas, key and value formats, topic, partitions, the statement,
 * the queries reading and writing it.  A new json_t owned by the caller,
 * or NULL when there is no such source. */
struct json_t *engine_describe_json(Engine *e, const char *name, bool extended);

/* EXPLAIN of persistent query `id` as ksqlDB's REST API's
 * "queryDescription" object without its plan texts (id, statementText,
 * the sink's fields, sources, sinks, state).  A new json_t owned by the
 * caller, or NULL when there is no such query. */
struct json_t *engine_query_json(Engine *e, const char *id);

/* Runs the queries: consumes up to a batch per query, waiting at most
 * timeout_ms for input.  Returns records processed, -1 on a fatal error. */
int engine_poll(Engine *e, int timeout_ms, EddyError *err);
/* True when every running query has consumed its inputs to their ends
 * (as of its last poll). */
bool engine_caught_up(Engine *e);
/* Flushes output and commits every query's offsets (a checkpoint). */
int engine_checkpoint(Engine *e, EddyError *err);
/* Number of running persistent queries / transient queries. */
int engine_running_queries(Engine *e);
bool engine_has_transient(Engine *e);
/* Stops every transient query and the running PRINT (Ctrl-C in the REPL). */
void engine_cancel_transient(Engine *e);
/* The running transient queries: their number and the id of the i-th (in
 * start order; borrowed until the next engine call); a query that reached
 * its LIMIT, failed or was cancelled is gone from the list at once. */
int engine_transient_count(Engine *e);
const char *engine_transient_id(Engine *e, int i);
bool engine_transient_running(Engine *e, const char *id);
/* Stops the transient query with that id (a client closed it or went
 * away) and frees it; -1 if none such runs. */
int engine_cancel_query(Engine *e, const char *id);

/* Counters over all queries. */
typedef struct EngineStats {
    int64_t records_in, records_out, records_skipped, eval_errors;
    int64_t records_late;         /* dropped past a window's grace period */
    int queries_failed;           /* persistent queries stopped by an error */
} EngineStats;
void engine_stats(Engine *e, EngineStats *out);

/* One running persistent query, for progress lines (engine_query_progress). */
typedef struct EngineQueryProgress {
    const char *id;               /* borrowed: valid until the next statement */
    int64_t records_in, records_out, records_skipped, eval_errors;
    /* Records a windowed aggregate dropped for arriving past their
     * window's end plus its grace period. */
    int64_t records_late;
    /* Checkpoints that moved the query's stored offsets on (it processed
     * records since the one before) since it started in this process, and
     * their total and last duration in microseconds (waiting for output
     * delivery, the synced state write, the offset commit). */
    int64_t checkpoints, checkpoint_us_total, checkpoint_us_last;
    /* Bytes its state stores take in the state database as of the last
     * checkpoint (statedb_store_bytes); -1 for a stateless query. */
    int64_t state_bytes;
    /* Input records not consumed yet: the ends of the query's input
     * partitions (as the consumer last saw them) minus its positions;
     * -1 while not known (before its partitions are assigned). */
    int64_t lag;
    /* A query REPLAY moved back, until it reaches the ends its inputs had
     * at the REPLAY: records of the replayed range processed, and their
     * total; both 0 when it is not replaying. */
    int64_t replay_done, replay_total;
    bool stalled;                 /* input left but no progress (engine_poll's stall watch) */
} EngineQueryProgress;
/* Fills out[0 .. min(n, max)) with the running persistent queries in
 * creation order and returns n, their number.  Changes nothing. */
int engine_query_progress(Engine *e, EngineQueryProgress *out, int max);

/* One input partition of a running persistent query. */
typedef struct EnginePartitionLag {
    const char *topic;            /* borrowed: valid until the next statement */
    int32_t partition;
    /* Records on the broker past the query's position in the partition
     * (its end as the consumer last saw it) plus records polled and not
     * processed yet; -1 while not known. */
    int64_t lag;
} EnginePartitionLag;
/* Fills out[0 .. min(n, max)) with the input partitions of running query
 * `query_id` (each task's, in task order) and returns n, their number; -1
 * when no such query runs.  Changes nothing. */
int engine_query_partition_lags(Engine *e, const char *query_id, EnginePartitionLag *out,
                                int max);

/* Names for REPL completion: streams, tables, columns, functions (borrowed
 * strings, valid until the next statement). Returns count. */
int engine_names(Engine *e, const char ***names);

/* ---- the language's words, for a shell (engine/sql/embed.c) ----------- */

/* Keywords and type names, NULL-terminated; static, never freed. */
const char *const *eddy_keywords(void);
/* The name of built-in function i (0, 1, ... in name order; PREDICT and
 * MODEL_VERSION among them), NULL past the last one; static. */
const char *eddy_function_name(int i);
/* True if text ends a statement: a ';' outside strings and comments,
 * followed only by whitespace and comments. */
bool eddy_statement_complete(const char *text);

/* Appends a text table in the layout SHOW prints (ksqlDB's CLI's): cells
 * row by row, the first ncols of them the header; a table wider than
 * max_width columns (> 0) is made narrower, column `prefer` first (-1 =
 * none), cut text ending in "…" (engine/sql/table_fmt.c). */
void eddy_format_table(const char *const *cells, int ncells, int ncols, int max_width, int prefer,
                       StrBuf *out);

/* ---- values as the engine reads and writes them (engine/sql/embed.c) -- */

/* Appends a DOUBLE as query results show it (Java's Double.toString:
 * 1.0, 1.5E10). */
void eddy_format_double(double d, StrBuf *out);
/* Appends ms since the epoch as ISO-8601 UTC: 2016-02-08T05:46:00.000. */
void eddy_format_time(int64_t ms, StrBuf *out);
/* 0 if format is a Java DateTimeFormatter pattern TIMESTAMP_FORMAT takes,
 * else -1 with err saying why. */
int eddy_check_time_format(const char *format, EddyError *err);
/* 0 if zone names a time zone eddy knows (IANA name, UTC, +01:00, ...),
 * else -1 with err. */
int eddy_check_time_zone(const char *zone, EddyError *err);
/* ms since the epoch of a time text: with `format` (may be NULL) as
 * TIMESTAMP_FORMAT reads it, else ISO-8601 (2016-02-08 05:46:00,
 * 2016-02-08T05:46:00.000Z, a date alone).  A time without an offset of
 * its own is local to `zone` (NULL = UTC).  0, or -1 with err: ERR_SYNTAX
 * when the text is not ISO-8601 (no format given). */
int eddy_parse_time(const char *text, const char *format, const char *zone, int64_t *ms,
                    EddyError *err);

/* ---- test-runner helpers (QTT) ----------------------------------------- */

/* Serialises a QTT input record for `topic` using the formats of the
 * stream/table declared on it (JSON key/value given as jansson values;
 * NULL or json null = null).  Topics no source declares: JSON text.  A
 * windowed source's key gets `window` ({"start", "end", "type"}), which
 * it then requires. */
int engine_encode_record(Engine *e, const char *topic, const struct json_t *key,
                         const struct json_t *value, const struct json_t *window, StrBuf *key_out,
                         bool *key_null, StrBuf *value_out, bool *value_null, EddyError *err);
/* Turns a produced record back into QTT JSON (new references).  For a
 * windowed table's topic the key's window bounds go to *window_out as
 * {"start","end","type"} (NULL otherwise). */
int engine_decode_record(Engine *e, const char *topic, const void *key, size_t key_len,
                         const void *value, size_t value_len, struct json_t **key_out,
                         struct json_t **value_out, struct json_t **window_out, EddyError *err);

#endif
