/* main.c - the eddy command: dispatches to its subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: eddy [COMMAND] [ARGS]\n"
    "\n"
    "commands:\n"
    "  repl                 interactive shell (the default); --server URL: as a server's client\n"
    "  run FILE.ksql...     run the statements, keep the queries running\n"
    "  test FILE.json...    run ksqlDB query-validation tests on in-memory topics\n"
    "  broker               a local development Kafka broker\n"
    "  gen SCENARIO         produce synthetic records (accidents, weather, atm)\n"
    "  load FILE            send a CSV or JSON-lines data set to a topic, paced by its times\n"
    "  exec -e STATEMENTS   run statements in the eddy run that holds a state directory\n"
    "  server [FILE.ksql...] serve ksqlDB's REST API (HTTP/1.1 and HTTP/2) over the engine\n"
    "  version              print the version\n"
    "\n"
    "'eddy COMMAND --help' describes a command's options.\n";

static int dispatch(int argc, char **argv);

/* A development broker that eddy started stops in the background; the
 * process exits only once it has, or, if that takes longer than a moment,
 * leaves with _exit so no exit handler races the broker's threads. */
int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    if (!embedded_broker_wait_stopped(300)) {
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2)
        return cmd_repl(argc, argv);
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "test") == 0)
        return cmd_test(argc - 1, argv + 1);
    if (strcmp(cmd, "repl") == 0)
        return cmd_repl(argc - 1, argv + 1);
    if (strcmp(cmd, "broker") == 0)
        return cmd_broker(argc - 1, argv + 1);
    if (strcmp(cmd, "gen") == 0)
        return cmd_gen(argc - 1, argv + 1);
    if (strcmp(cmd, "load") == 0)
        return cmd_load(argc - 1, argv + 1);
    if (strcmp(cmd, "exec") == 0)
        return cmd_exec(argc - 1, argv + 1);
    if (strcmp(cmd, "server") == 0)
        return cmd_server(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("eddy 0.1.0\n");
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (cmd[0] == '-')   /* options for the default command */
        return cmd_repl(argc, argv);
    fprintf(stderr, "eddy: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
