/*
 * engine_int.h - private to engine/sql/: the engine object and the
 * statement executors (engine.c dispatches, ddl.c, show.c, pull.c run).
 */
#ifndef EDDY_ENGINE_INT_H
#define EDDY_ENGINE_INT_H

#include "eddy/engine/analyze.h"
#include "eddy/eddy.h"

/* ---- the engine --------------------------------------------------------- */

struct StateDb;

/* A SET or UNSET (value NULL) not yet in the command log. */
typedef struct PendingSet {
    char *name, *value, *text;
} PendingSet;

struct Engine {
    Transport *t;
    struct StateDb *state;        /* RocksDB under <state.dir>/rocksdb, or the memory twin */
    struct StateDb *scratch;      /* memory state for transient (client) queries */
    EngineOutput out;
    Catalog cat;
    char *state_dir;
    bool replaying;               /* executing the persisted command log */
    bool deterministic;
    bool auto_create_topics;
    int script_depth;             /* RUN SCRIPT nesting */
    /* The running push (transient) queries, in start order; each in an
     * arena of its own, freed as soon as it stops (LIMIT, cancel). */
    struct Transient *transients;
    int ntransients, transients_cap;
    bool many_transients;         /* EngineConfig.many_transients */
    int64_t transient_num;        /* the last id's number: ids stay unique */
    struct PrintTask *print;      /* the running PRINT, if any (show.c) */
    int64_t last_checkpoint_ms;
    int64_t last_standby_ms;      /* the last standby catch-up (keep_standbys) */
    bool revoking;                /* in a rebalance's revoke callback: no catch-up */
    /* A periodic checkpoint waiting for its output to be delivered (the
     * broker away): queries are not polled meanwhile (engine_poll). */
    bool delivering, delivering_logged;
    bool flush_timed_out;         /* engine_checkpoint's last flush timed out */
    int64_t delivering_since_ms;
    /* SET/UNSET go to the command log only just before the next statement
     * that is logged, and only if they change what the log says, so a
     * restarted `eddy run` of the same file adds nothing (engine.c). */
    PendingSet *pending_sets;
    int npending_sets;
    StrMap *logged_props;         /* property values as the command log leaves them */
    StrMap *types;                /* CREATE TYPE names -> SqlType* (types.c) */
    EngineVars *vars;             /* DEFINE'd variables, NULL = none (vars.c) */
    char *origin_dir;             /* folder relative paths of the running text start from
                                   * (its file's; "." for the REPL and stdin) */
    bool starting_logged;         /* replay_start_queries: the log's queries start */
    struct ReplayState *replay;   /* snapshots, replays, query starts (replay.h) */
    struct WorkerPool *pool;      /* worker threads for tasks (engine_poll), once needed */
    struct CommandTopic *commands;   /* the application's command topic (commands.c), once open */
    bool remote_command;          /* running a statement from the command topic */
    bool text_off;                /* another member's statement: its output is not shown here */
    /* Checking a statement before it goes to the command topic: it runs up
     * to engine_persist, which keeps what it would log (validated_text)
     * and fails, so the statement changes nothing (commands.c). */
    bool validating;
    char *validated_text;
};

/* The command topic (commands.c): opened once service.id is set, with a
 * state directory.  publish: a statement just logged goes to the other
 * members (not one that came from them).  poll: runs the other members'
 * new statements; returns how many records it read, or -1 with err. */
typedef struct CommandTopic CommandTopic;
int commands_publish(Engine *e, const char *text, EddyError *err);
int commands_poll(Engine *e, EddyError *err);
/* True for a statement that runs from the command topic, in its order
 * (service.id and a state directory set; a statement that changes the
 * catalog; not one already running from the topic or the log). */
bool commands_routed(Engine *e, const AstStmt *s);
/* Runs s in the topic's order: catches up, checks s with run (validating),
 * sends it, runs the topic up to it and then s itself with run; s's result.
 * An application without a topic yet open still runs s here. */
int commands_run(Engine *e, const AstStmt *s, int (*run)(Engine *, const AstStmt *, EddyError *),
                 EddyError *err);
void commands_close(Engine *e);
/* The member's id in its application (NULL before the topic is open). */
const char *commands_member_id(Engine *e);

/* A client's push query and the arena it lives in. */
typedef struct Transient {
    Query *q;
    Arena *arena;
} Transient;

/* The running transient query with that id (case-insensitive), or -1. */
int transient_find(Engine *e, const char *id);
/* Stops transient i (deleting its scratch state) and frees it. */
void transient_free(Engine *e, int i);

/* num.stream.threads: the workers a query started now is split for (1 in
 * deterministic runs and on a transport that cannot split a consumer). */
int engine_workers(Engine *e, const Query *q);

/* num.standby.replicas > 0: members keep standby copies (keep_standbys). */
bool engine_standbys(Engine *e);

void engine_text(Engine *e, const char *text);
void engine_log(Engine *e, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends a statement to the persisted command log (no-op without a state dir). */
int engine_persist(Engine *e, const char *sql, EddyError *err);

/* Statement executors (ddl.c, show.c). */
int exec_create_source(Engine *e, const AstStmt *s, EddyError *err);
int exec_create_as(Engine *e, const AstStmt *s, EddyError *err);
int exec_insert_select(Engine *e, const AstStmt *s, EddyError *err);
int exec_insert_values(Engine *e, const AstStmt *s, EddyError *err);
int exec_drop(Engine *e, const AstStmt *s, EddyError *err);
int exec_alter(Engine *e, const AstStmt *s, EddyError *err);   /* alter.c */
/* types.c: custom type names */
const SqlType *engine_type_lookup(void *ud, const char *name);

/* vars.c: variables (DEFINE, UNDEFINE, SHOW VARIABLES) */
const char *engine_var_lookup(void *ud, const char *name);
bool engine_vars_enabled(Engine *e);      /* ksql.variable.substitution.enable, not replaying */
void engine_vars_free(EngineVars *v);
int exec_define(Engine *e, const AstStmt *s, EddyError *err);   /* DEFINE, UNDEFINE */
void show_variables(Engine *e);
int exec_create_type(Engine *e, const AstStmt *s, EddyError *err);
int exec_drop_type(Engine *e, const AstStmt *s, EddyError *err);
void show_types(Engine *e);
int exec_terminate(Engine *e, const AstStmt *s, EddyError *err);
int exec_select(Engine *e, const AstStmt *s, EddyError *err);
int exec_show(Engine *e, const AstStmt *s, EddyError *err);
int exec_describe(Engine *e, const AstStmt *s, EddyError *err);
int exec_explain(Engine *e, const AstStmt *s, EddyError *err);
int exec_print(Engine *e, const AstStmt *s, EddyError *err);
/* The running PRINT (a push statement beside the push query): polled by
 * engine_poll; stops itself at its LIMIT. */
int print_poll(Engine *e, int timeout_ms, EddyError *err);
bool print_at_end(Engine *e);
void print_stop(Engine *e);
int exec_pull(Engine *e, const AstStmt *s, CatSource *table, EddyError *err);
/* Before a pull query on the table q writes, when q's tasks are shared by
 * an application's members (engine/README.md, "Scale-out"): the tasks this
 * member does not own are brought up to their owners' last checkpoint
 * from the changelog (changelog_catch_up, as a standby copy is kept), at
 * most once per PULL_CATCH_UP_MS, so the answer covers every key.  0, or
 * -1 with err. */
#define PULL_CATCH_UP_MS 1000
int engine_pull_catch_up(Engine *e, Query *q, EddyError *err);

/* mkdir -p; 0, or -1 with errno. */
int engine_mkdir_p(const char *dir);

/* Models (models.c: the statements and the switch; model_store.c: files). */
struct TextTable;
int exec_create_model(Engine *e, const AstStmt *s, EddyError *err);
int exec_drop_model(Engine *e, const AstStmt *s, EddyError *err);
int describe_model(Engine *e, const AstStmt *s, EddyError *err);
/* SHOW MODELS's table (header first), for show.c to render. */
void show_models(Engine *e, struct TextTable *out);
/* Gives q a QueryModelUse (in arena a: q's) for each model its plan scores
 * with that it has none for yet, at the model's current version; records it
 * for a persistent query.  Call it again after giving q a new plan. */
void models_attach(Engine *e, Query *q, Arena *a);
/* After the command log's replay: reads switches.json and records the
 * switches the log has and it lacks (see models.c). */
void models_restore(Engine *e);
/* Unloads every model (engine_destroy). */
void models_free(Engine *e);
/* Copies a version's bytes to <state>/models/<NAME>/v<N>.<json|ubj>; returns
 * that path relative to the state directory (catalog arena), or NULL with err. */
char *model_store_copy(Engine *e, const char *name, int version, const char *encoding,
                       const void *bytes, size_t n, EddyError *err);
/* Rewrites switches.json from every query's uses (and also's, when it is
 * not in the catalog yet); 0 without a state directory. */
int model_switches_write(Engine *e, const Query *also, EddyError *err);
/* Adds the records of switches.json to the queries' uses; *dropped counts
 * those left over from a failed statement (see model_store.c). */
int model_switches_read(Engine *e, int *dropped, EddyError *err);

Query *engine_find_query(Engine *e, const char *id);
/* A client query's rows for out.row_json (client_json.c): its header
 * (query id, column names and types) and one row of values. */
void engine_json_header(Engine *e, const char *query_id, const Schema *schema);
/* RUNNING, ERROR or TERMINATED, as SHOW QUERIES and ksqlDB's REST API
 * name a query's state (show.c). */
const char *query_state_name(QueryState s);
void engine_json_row(Engine *e, const char *query_id, const Schema *schema, const Value *vals,
                     int n);
/* Stops a query's runtime and marks it terminated (its state stays). */
void engine_stop_query(Engine *e, Query *q);
/* TERMINATE: stops the query and deletes its state and stored offsets. */
void engine_terminate_query(Engine *e, Query *q);

#endif
