/* cli.h - the eddy subcommands (cli/main.c dispatches); argv[0] is the subcommand name. */
#ifndef EDDY_CLI_H
#define EDDY_CLI_H

int cmd_broker(int argc, char **argv);   /* cli/broker.c */
int cmd_gen(int argc, char **argv);      /* cli/gen.c */
int cmd_run(int argc, char **argv);      /* cli/run.c */
int cmd_test(int argc, char **argv);     /* cli/qtt.c */
int cmd_repl(int argc, char **argv);     /* cli/repl.c */

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

#endif
