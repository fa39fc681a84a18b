/* cli.h - the eddy subcommands (cli/main.c dispatches); argv[0] is the subcommand name. */
#ifndef EDDY_CLI_H
#define EDDY_CLI_H

int cmd_broker(int argc, char **argv);   /* cli/broker.c */
int cmd_gen(int argc, char **argv);      /* cli/gen.c */
int cmd_run(int argc, char **argv);      /* cli/run.c */
int cmd_test(int argc, char **argv);     /* cli/qtt.c */
int cmd_repl(int argc, char **argv);     /* cli/repl.c */
int cmd_load(int argc, char **argv);     /* cli/load.c */

/* Shared by run and repl (cli/options.c). */
#include "eddy/eddy.h"
#include "eddy/transport.h"

typedef struct CliOptions {
    const char *bootstrap;           /* NULL = start an embedded broker */
    const char *state_dir;
    bool until_caught_up;
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
/* Default engine output: text to stdout, logs to stderr. */
EngineOutput cli_default_output(void);
/* The engine properties among o->props (NULL-terminated pairs, borrowed). */
const char *const *cli_engine_props(CliOptions *o);
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

#endif
