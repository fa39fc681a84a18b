/*
 * run.c - `eddy run FILE.ksql...`: runs the statements, then keeps the
 * persistent queries running until SIGINT/SIGTERM (a checkpoint, then
 * exit 0) or, with --until-caught-up, until every query has consumed its
 * inputs to their ends and its output is delivered.
 *
 * While they run, a progress line per query goes to stderr every few
 * seconds (by default only when stderr is a terminal): records in and
 * out, the input rate, and the lag, the input records not consumed yet;
 * for a query REPLAY moved back, how far through the replayed range it is.
 * Between polls it runs the statements `eddy exec` sends (control.c), so
 * a model is upgraded in a running process with CREATE OR REPLACE MODEL.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: eddy run FILE.ksql... [--bootstrap-servers B] [--state-dir D] [--config FILE]\n"
    "                [-p key=value]... [--until-caught-up]\n"
    "\n"
    "  --bootstrap-servers B  Kafka brokers (default: start an embedded development broker)\n"
    "  --state-dir D          where the catalog and state live (default ./eddy-state)\n"
    "  --config FILE          a properties file (key=value lines); librdkafka properties pass through\n"
    "  -p key=value           one property (engine: auto.offset.reset, commit.interval.ms, ...;\n"
    "                         anything else goes to librdkafka)\n"
    "  --until-caught-up      exit once every query has consumed its inputs to their ends\n"
    "  --progress SECS        a progress line per query every SECS seconds on stderr (0 = never;\n"
    "                         default 3 when stderr is a terminal, else never)\n"
    "  --verbose              Kafka client info lines (group joins, assignments) on stderr too\n"
    "  --log-file FILE        append every log line, timestamped, to FILE\n"
    "\n"
    "While it runs, `eddy exec --state-dir D -e 'STATEMENTS'` runs statements in it (e.g.\n"
    "CREATE OR REPLACE MODEL to upgrade a model the queries score with).\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = 1;
}

/* ---- progress ------------------------------------------------------------------ */

enum { PROGRESS_MAX = 64 };

typedef struct Progress {
    int64_t interval_ms;          /* 0 = no progress lines */
    int64_t start_ms, last_ms;
    int n;                        /* queries at the last line */
    bool shown;                   /* the first lines are out (they come at once) */
    int64_t last_in[PROGRESS_MAX];
} Progress;

static void progress_start(Progress *p, const CliOptions *o)
{
    int s = o->progress_s >= 0 ? o->progress_s : isatty(STDERR_FILENO) ? 3 : 0;
    *p = (Progress){.interval_ms = 1000LL * s, .start_ms = eddy_mono_ms()};
    p->last_ms = p->start_ms;
}

/* A line per query, then (--until-caught-up) how far from caught up: at
 * once after the first poll (so even a short run says what it has to do),
 * then every interval. */
static void progress_tick(Engine *e, Progress *p, bool until_caught_up)
{
    int64_t now = eddy_mono_ms();
    if (p->interval_ms == 0 || (p->shown && now - p->last_ms < p->interval_ms))
        return;
    p->shown = true;
    EngineQueryProgress qs[PROGRESS_MAX];
    int n = engine_query_progress(e, qs, PROGRESS_MAX);
    n = n < PROGRESS_MAX ? n : PROGRESS_MAX;
    double secs = (double)(now > p->last_ms ? now - p->last_ms : 1) / 1000.0;
    int64_t lag = 0;
    double rate = 0;
    for (int i = 0; i < n; i++) {
        double r = (double)(qs[i].records_in - (i < p->n ? p->last_in[i] : 0)) / secs;
        char lagtext[64], bad[128] = "", replay[96] = "";
        if (qs[i].lag >= 0)
            snprintf(lagtext, sizeof lagtext, "lag %lld", (long long)qs[i].lag);
        else
            snprintf(lagtext, sizeof lagtext, "lag not known yet");
        if (qs[i].records_skipped || qs[i].eval_errors || qs[i].records_late)
            snprintf(bad, sizeof bad,
                     ", %lld skipped as bad input, %lld expression errors, %lld dropped as late",
                     (long long)qs[i].records_skipped, (long long)qs[i].eval_errors,
                     (long long)qs[i].records_late);
        if (qs[i].replay_total > 0)
            snprintf(replay, sizeof replay, ", replaying %lld%% (%lld of %lld records)",
                     (long long)(100 * qs[i].replay_done / qs[i].replay_total),
                     (long long)qs[i].replay_done, (long long)qs[i].replay_total);
        cli_say(true, "[%llds] %s: %lld in (%.0f/s), %lld out%s%s, %s%s",
                (long long)((now - p->start_ms) / 1000), qs[i].id, (long long)qs[i].records_in,
                r, (long long)qs[i].records_out, bad, replay, lagtext,
                qs[i].stalled ? ", STALLED" : "");
        lag = lag < 0 || qs[i].lag < 0 ? -1 : lag + qs[i].lag;
        rate += r;
        p->last_in[i] = qs[i].records_in;
    }
    p->n = n;
    p->last_ms = now;
    if (!until_caught_up || n == 0)
        return;
    if (lag < 0)
        cli_say(true, "until caught up: not known yet (partitions still being assigned)");
    else if (lag == 0)
        cli_say(true, "until caught up: inputs consumed to their ends; delivering output");
    else if (rate >= 1)
        cli_say(true, "until caught up: %lld records to go (about %.0f s at %.0f/s)", (long long)lag,
                (double)lag / rate, rate);
    else
        cli_say(true, "until caught up: %lld records to go", (long long)lag);
}

int cli_run_queries(Engine *e, const CliOptions *o, Control *ctl, volatile sig_atomic_t *stop)
{
    EddyError err;
    Progress progress;
    progress_start(&progress, o);
    int quiet_rounds = 0;
    while (!*stop) {
        /* Once caught up, the rounds that confirm it need no long wait. */
        int n = engine_poll(e, quiet_rounds > 0 ? 50 : 200, &err);
        if (n < 0) {
            fprintf(stderr, "eddy: %s\n", err.msg);
            return -1;
        }
        progress_tick(e, &progress, o->until_caught_up);
        control_serve(ctl, e);   /* between two polls: no record is in flight */
        if (!o->until_caught_up)
            continue;
        /* Caught up: every consumer at its end, and nothing new arrived
         * after output was delivered (a query may feed another). */
        if (n == 0 && engine_caught_up(e)) {
            if (engine_checkpoint(e, &err) != 0) {
                fprintf(stderr, "eddy: %s\n", err.msg);
                return -1;
            }
            if (++quiet_rounds >= 3)
                break;
        } else {
            quiet_rounds = 0;
        }
    }
    return 0;
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
    if (cli_output_open(&o) != 0) {
        cli_free_options(&o);
        return 2;
    }
    /* Read every file first: a missing file changes nothing. */
    char **texts = calloc((size_t)o.nfiles, sizeof(char *));
    for (int i = 0; i < o.nfiles; i++) {
        texts[i] = cli_read_file(o.files[i]);
        if (texts[i] == NULL) {
            for (int k = 0; k < i; k++)
                free(texts[k]);
            free(texts);
            cli_output_close();
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
    Control *ctl = control_create();
    if (t == NULL)
        goto out;
    EddyError err;
    EngineConfig cfg = {
        .transport = t,
        .state_dir = o.state_dir ? o.state_dir : "eddy-state",
        .out = control_output(ctl),
        .props = cli_engine_props(&o),
    };
    e = engine_create(&cfg, &err);
    if (e == NULL) {
        fprintf(stderr, "eddy: %s\n", err.msg);
        goto out;
    }
    control_listen(ctl, cfg.state_dir);
    for (int i = 0; i < o.nfiles; i++) {
        if (engine_execute(e, texts[i], o.files[i], &err) != 0) {
            cli_print_error(o.files[i], texts[i], &err);
            goto out;
        }
    }
    if (engine_running_queries(e) == 0 && !o.until_caught_up)
        fprintf(stderr, "eddy: no persistent queries are running; waiting for Ctrl-C\n");
    if (cli_run_queries(e, &o, ctl, &stop_requested) != 0)
        goto out;
    if (engine_checkpoint(e, &err) != 0) {
        fprintf(stderr, "eddy: final checkpoint failed: %s\n", err.msg);
        goto out;
    }
    EngineStats st;
    engine_stats(e, &st);
    fprintf(stderr,
            "eddy: %lld records in, %lld out, %lld skipped as bad input, %lld expression errors, "
            "%lld dropped as late\n",
            (long long)st.records_in, (long long)st.records_out, (long long)st.records_skipped,
            (long long)st.eval_errors, (long long)st.records_late);
    /* A query stopped by an error (damaged state, a failed write) did not
     * do its work: the run did not succeed, whatever the others did. */
    if (st.queries_failed > 0)
        fprintf(stderr, "eddy: %d %s stopped with an error (above)\n", st.queries_failed,
                st.queries_failed == 1 ? "query" : "queries");
    rc = st.queries_failed > 0 ? 1 : 0;
out:
    engine_destroy(e);
    control_destroy(ctl);
    if (t)
        t->ops->destroy(t);
    if (broker)
        embedded_broker_stop(broker);
    for (int i = 0; i < o.nfiles; i++)
        free(texts[i]);
    free(texts);
    cli_output_close();
    cli_free_options(&o);
    return rc;
}
