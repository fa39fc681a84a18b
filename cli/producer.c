/*
 * producer.c - what the commands that only produce (gen, load) share: the
 * Kafka producer they open, pacing against the monotonic clock while
 * delivery reports are served, the final flush, and the warning about
 * records the broker's retention dropped.  Messages go to stderr prefixed
 * with the command's name ("eddy gen: ...").
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A producer gives up on an unreachable broker after this long, instead of
 * librdkafka's five minutes. */
#define PRODUCER_DELIVERY_TIMEOUT "20000"
#define PRODUCER_CONNECT_TIMEOUT_MS 5000   /* an unreachable broker is an error this soon */
#define PRODUCER_FLUSH_MS 30000

void cli_no_bootstrap(const char *who)
{
    fprintf(stderr,
            "%s: --bootstrap-servers is required: an embedded broker would vanish with the\n"
            "records when this command exits.  Start a development broker in another\n"
            "terminal with `eddy broker` (it prints its HOST:PORT), then pass\n"
            "--bootstrap-servers HOST:PORT.\n",
            who);
}

/* Warnings and errors only: a producing command has no --verbose. */
static void producer_log(void *ud, int level, const char *msg)
{
    if (level >= EDDY_LOG_WARNING)
        cli_log_line(ud, level, msg);
}

Transport *cli_producer_open(const char *who, const char *const *props)
{
    int n = 0;
    while (props && props[n] && props[n + 1])
        n += 2;
    const char *bootstrap = NULL;
    for (int i = 0; i < n; i += 2)
        if (strcmp(props[i], "bootstrap.servers") == 0)
            bootstrap = props[i + 1];
    if (bootstrap == NULL || bootstrap[0] == '\0') {
        cli_no_bootstrap(who);
        return NULL;
    }
    /* Our default first, so the caller's pairs can override it. */
    const char **all = calloc((size_t)n + 3, sizeof *all);
    if (all == NULL)
        return NULL;
    all[0] = "message.timeout.ms";
    all[1] = PRODUCER_DELIVERY_TIMEOUT;
    memcpy(all + 2, props, (size_t)n * sizeof *all);
    EddyError err;
    Transport *t = kafka_transport_create(all, &err);
    free(all);
    if (t == NULL) {
        fprintf(stderr, "%s: cannot create a Kafka producer for %s: %s\n", who, bootstrap,
                err.msg);
        return NULL;
    }
    t->log = producer_log;
    t->log_ud = (void *)who;
    if (kafka_transport_ping(t, PRODUCER_CONNECT_TIMEOUT_MS, &err) < 0) {
        fprintf(stderr,
                "%s: cannot reach a Kafka broker at %s: %s\n"
                "  (start one with `eddy broker`, or check --bootstrap-servers)\n",
                who, bootstrap, err.msg);
        t->ops->destroy(t);
        return NULL;
    }
    return t;
}

void cli_producer_pace(Transport *t, int64_t target, volatile sig_atomic_t *stop)
{
    for (int64_t now = eddy_mono_ms(); now < target && !(stop && *stop); now = eddy_mono_ms()) {
        int64_t left = target - now;
        struct timespec ts = {0, (long)(left < 10 ? left : 10) * 1000000L};
        nanosleep(&ts, NULL);
        t->ops->poll(t);
    }
}

int cli_producer_flush(const char *who, Transport *t)
{
    EddyError err;
    if (t->ops->flush(t, PRODUCER_FLUSH_MS, &err) < 0) {
        fprintf(stderr, "%s: delivery failed: %s\n", who, err.msg);
        return -1;
    }
    return 0;
}

void cli_producer_warn_dropped(const char *who, Transport *t, const char *topic,
                               const RetentionMark *mark)
{
    EddyError err;
    int64_t written, dropped;
    if (transport_retention_check(t, topic, mark, &written, &dropped, &err) < 0) {
        fprintf(stderr, "%s: warning: cannot check what the broker kept: %s\n", who, err.msg);
        return;
    }
    if (dropped <= 0)
        return;
    int parts = t->ops->topic_partitions(t, topic);
    fprintf(stderr,
            "%s: warning: the broker kept only %lld of the %lld records written to %s;\n"
            "  %lld were dropped by its retention (the development broker keeps about 5 MB\n"
            "  per partition; %s has %d; a Kafka topic's retention.ms deletes records\n"
            "  whose timestamps are old).  Write fewer records, use a topic with more\n"
            "  partitions (eddy broker --topic %s:N), or raise the topic's retention.\n",
            who, (long long)(written - dropped), (long long)written, topic, (long long)dropped,
            topic, parts, topic);
}
