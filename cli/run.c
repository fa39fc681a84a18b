/*
 * run.c - `eddy run FILE.ksql...`: runs the statements, then keeps the
 * persistent queries running until SIGINT/SIGTERM (a checkpoint, then
 * exit 0) or, with --until-caught-up, until every query has consumed its
 * inputs to their ends and its output is delivered.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: eddy run FILE.ksql... [--bootstrap-servers B] [--state-dir D] [--config FILE]\n"
    "                [-p key=value]... [--until-caught-up]\n"
    "\n"
    "  --bootstrap-servers B  Kafka brokers (default: start an embedded development broker)\n"
    "  --state-dir D          where the catalog and state live (default ./eddy-state)\n"
    "  --config FILE          a properties file (key=value lines); librdkafka properties pass through\n"
    "  -p key=value           one property (engine: auto.offset.reset, commit.interval.ms, ...;\n"
    "                         anything else goes to librdkafka)\n"
    "  --until-caught-up      exit once every query has consumed its inputs to their ends\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = 1;
}

int cmd_run(int argc, char **argv)
{
    CliOptions o;
    if (cli_parse_options(argc, argv, &o, usage) != 0)
        return 2;
    if (o.nfiles == 0) {
        fputs(usage, stderr);
        cli_free_options(&o);
        return 2;
    }
    /* Read every file first: a missing file changes nothing. */
    char **texts = calloc((size_t)o.nfiles, sizeof(char *));
    for (int i = 0; i < o.nfiles; i++) {
        texts[i] = cli_read_file(o.files[i]);
        if (texts[i] == NULL) {
            fprintf(stderr, "eddy: cannot read %s\n", o.files[i]);
            for (int k = 0; k < i; k++)
                free(texts[k]);
            free(texts);
            cli_free_options(&o);
            return 1;
        }
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = 1;
    EmbeddedBroker *broker = NULL;
    Transport *t = cli_connect(&o, &broker);
    Engine *e = NULL;
    if (t == NULL)
        goto out;
    EddyError err;
    EngineConfig cfg = {
        .transport = t,
        .state_dir = o.state_dir ? o.state_dir : "eddy-state",
        .out = cli_default_output(),
        .props = cli_engine_props(&o),
    };
    e = engine_create(&cfg, &err);
    if (e == NULL) {
        fprintf(stderr, "eddy: %s\n", err.msg);
        goto out;
    }
    for (int i = 0; i < o.nfiles; i++) {
        if (engine_execute(e, texts[i], o.files[i], &err) != 0) {
            cli_print_error(o.files[i], texts[i], &err);
            goto out;
        }
    }
    if (engine_running_queries(e) == 0 && !o.until_caught_up)
        fprintf(stderr, "eddy: no persistent queries are running; waiting for Ctrl-C\n");
    int quiet_rounds = 0;
    while (!stop_requested) {
        int n = engine_poll(e, 200, &err);
        if (n < 0) {
            fprintf(stderr, "eddy: %s\n", err.msg);
            goto out;
        }
        if (!o.until_caught_up)
            continue;
        /* Caught up: every consumer at its end, and nothing new arrived
         * after output was delivered (a query may feed another). */
        if (n == 0 && engine_caught_up(e)) {
            if (engine_checkpoint(e, &err) != 0) {
                fprintf(stderr, "eddy: %s\n", err.msg);
                goto out;
            }
            if (++quiet_rounds >= 3)
                break;
        } else {
            quiet_rounds = 0;
        }
    }
    if (engine_checkpoint(e, &err) != 0) {
        fprintf(stderr, "eddy: final checkpoint failed: %s\n", err.msg);
        goto out;
    }
    EngineStats st;
    engine_stats(e, &st);
    fprintf(stderr,
            "eddy: %lld records in, %lld out, %lld skipped as bad input, %lld expression errors\n",
            (long long)st.records_in, (long long)st.records_out, (long long)st.records_skipped,
            (long long)st.eval_errors);
    rc = 0;
out:
    engine_destroy(e);
    if (t)
        t->ops->destroy(t);
    if (broker)
        embedded_broker_stop(broker);
    for (int i = 0; i < o.nfiles; i++)
        free(texts[i]);
    free(texts);
    cli_free_options(&o);
    return rc;
}
