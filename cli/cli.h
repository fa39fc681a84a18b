/* cli.h - the eddy subcommands (cli/main.c dispatches); argv[0] is the subcommand name. */
#ifndef EDDY_CLI_H
#define EDDY_CLI_H

int cmd_broker(int argc, char **argv);   /* cli/broker.c */
int cmd_gen(int argc, char **argv);      /* cli/gen.c */
int cmd_run(int argc, char **argv);      /* cli/run.c */
int cmd_test(int argc, char **argv);     /* cli/qtt.c */
int cmd_repl(int argc, char **argv);     /* cli/repl.c */
int cmd_load(int argc, char **argv);     /* cli/load.c */
int cmd_exec(int argc, char **argv);     /* cli/control.c */
int cmd_server(int argc, char **argv);   /* cli/server.c */

/* Shared by run and repl (cli/options.c). */
#include "eddy/eddy.h"
#include "eddy/transport.h"

#include <signal.h>

typedef struct CliOptions {
    const char *bootstrap;           /* NULL = start an embedded broker */
    const char *state_dir;
    bool until_caught_up;
    bool verbose;                    /* Kafka client info lines on stderr too */
    const char *log_file;            /* every log line, timestamped, appended here */
    bool fail_fast;                  /* a script stops at its first error */
    int progress_s;                  /* eddy run: seconds between progress lines; -1 = default */
    char **props;                    /* key, value, ..., NULL (malloc'd) */
    int nprops;
    char **files;
    int nfiles;
} CliOptions;

/* Parses the options common to run and repl; returns -1 (message printed) on bad usage. */
int cli_parse_options(int argc, char **argv, CliOptions *o, const char *usage);
void cli_free_options(CliOptions *o);
/* Connects: a Kafka transport for o->bootstrap, or an embedded broker
 * (started and reported on stderr) when none is given. */
Transport *cli_connect(CliOptions *o, EmbeddedBroker **broker);
/* Prints an engine error with its position and a caret under the token. */
void cli_print_error(const char *origin, const char *source, const EddyError *err);
/* ---- the REPL as a server's client (cli/repl_client.c) ---- */
typedef struct Remote Remote;
/* Connects to an eddy (or ksqlDB) server at url (http://HOST:PORT) and
 * checks it answers GET /info; NULL (said on stderr) if not.  user may be
 * NULL (no authentication). */
Remote *remote_open(const char *url, const char *user, const char *password);
void remote_close(Remote *r);
/* Runs one statement on the server and prints what comes back as the
 * local REPL would; a push query prints rows until its LIMIT or *stop
 * (Ctrl-C), then closes it.  0, or -1 with err (positioned in stmt). */
int remote_execute(Remote *r, const char *stmt, volatile sig_atomic_t *stop, EddyError *err);
/* Stream and table names for completion (borrowed until the next call). */
int remote_names(Remote *r, const char ***names);

/* ---- output (cli/output.c) ---- */

/* Default engine output: text and query rows to stdout (rows in a grid
 * that fits the terminal), logs to stderr and the log file. */
EngineOutput cli_default_output(void);
/* Applies o->verbose and opens o->log_file; -1 (message printed) if it
 * cannot be opened.  cli_output_close closes it. */
int cli_output_open(const CliOptions *o);
void cli_output_close(void);
/* The transport's log sink: Kafka client info lines only with --verbose
 * (and in the log file); warnings and errors always. */
void cli_kafka_log(void *ud, int level, const char *msg);
/* A log line on stderr, "WHO: LEVEL: MSG" (eddy_log_level_name), moving
 * the REPL's prompt out of the way. */
void cli_log_line(const char *who, int level, const char *msg);
/* Writes one line for a person to stderr (and the log file, unless
 * to_file is false), moving the REPL's prompt out of the way. */
void cli_say(bool to_file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The REPL's prompt, if one is on the screen: hide() clears it before
 * something is written to the terminal, show() redraws it after. */
void cli_set_prompt_hooks(void (*hide)(void), void (*show)(void));
/* Columns of the terminal stdout writes to; 0 if it is not a terminal. */
int cli_term_width(void);
/* The engine properties among o->props (NULL-terminated pairs, borrowed). */
const char *const *cli_engine_props(CliOptions *o);
/* eddy_read_file, saying why on stderr when it returns NULL. */
char *cli_read_file(const char *path);

/* Shared by the commands that only produce, gen and load (cli/producer.c).
 * `who` prefixes their messages ("eddy gen"); borrowed while t lives. */
#include <signal.h>
/* Says why a producing command needs --bootstrap-servers (stderr). */
void cli_no_bootstrap(const char *who);
/* A Kafka producer; props: NULL-terminated key, value pairs (borrowed),
 * bootstrap.servers among them.  Deliveries time out after 20 s unless
 * props say otherwise.  NULL (reason printed) on failure; destroy with
 * t->ops->destroy. */
Transport *cli_producer_open(const char *who, const char *const *props);
/* Sleeps until `target` (eddy_mono_ms), serving delivery reports; returns
 * early once *stop (may be NULL) is set. */
void cli_producer_pace(Transport *t, int64_t target, volatile sig_atomic_t *stop);
/* Waits for every record to be delivered; -1 (reason printed) if not. */
int cli_producer_flush(const char *who, Transport *t);
/* After the flush: warns (stderr, with the numbers) if the broker no
 * longer keeps some of the records written to `topic` since `mark`
 * (transport_retention_mark, taken before producing). */
void cli_producer_warn_dropped(const char *who, Transport *t, const char *topic,
                               const RetentionMark *mark);

/* ---- statements for a running eddy run (cli/control.c) ---- */

typedef struct Control Control;
/* The relay of the engine's output (control_output: give it to
 * engine_create), which a request being served captures.  Free with
 * control_destroy (closes and removes the socket). */
Control *control_create(void);
EngineOutput control_output(Control *c);
/* Listens on <state_dir>/eddy.sock, once the engine holds state_dir.  0, or
 * -1 (said on stderr; the run goes on without it). */
int control_listen(Control *c, const char *state_dir);
/* Runs the statements of every client waiting, answers them; returns at once
 * when none waits (c may be NULL). */
void control_serve(Control *c, Engine *e);
void control_destroy(Control *c);

/* Runs the persistent queries until *stop is set (by a signal) or, with
 * o->until_caught_up, until they have caught up, printing progress lines
 * as o asks, and serving eddy exec through ctl (may be NULL) between polls
 * (cli/run.c).  Returns 0, or -1 (message printed) on a fatal error. */
int cli_run_queries(Engine *e, const CliOptions *o, Control *ctl, volatile sig_atomic_t *stop);

#endif
