/*
 * broker.c - `eddy broker`: a local development Kafka broker (librdkafka's
 * mock cluster) that any Kafka client, kcat included, can use.
 *
 * Prints the bootstrap address HOST:PORT as the first line of stdout (so
 * scripts can `read` it), then serves until SIGINT or SIGTERM and exits 0.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: eddy broker [--topic NAME:PARTITIONS]... [--brokers N]\n"
    "  Starts an in-memory development Kafka broker on 127.0.0.1 and prints its\n"
    "  bootstrap address as the first line of stdout; stops on Ctrl-C or SIGTERM.\n"
    "  --topic NAME:PARTITIONS  create a topic up front (repeatable)\n"
    "  --brokers N              number of brokers in the cluster (default 1)\n";

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "eddy broker: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return 2;
}

/* Parses a positive int no larger than max; -1 if it is not one. */
static int parse_count(const char *s, int max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v <= 0 || v > max)
        return -1;
    return (int)v;
}

/* One --topic NAME:PARTITIONS. */
typedef struct TopicSpec {
    char *name;        /* points into a copy of the argument */
    int partitions;
} TopicSpec;

/* Parses argv into *brokers and specs[] (room for argc entries).  Returns
 * the number of specs, or -1 after printing usage (exit 2). */
static int parse_args(int argc, char **argv, int *brokers, TopicSpec *specs)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t alen = strcspn(a, "=");
        const char *val = a[alen] == '=' ? a + alen + 1 : NULL;
        bool is_topic = alen == 7 && strncmp(a, "--topic", 7) == 0;
        bool is_brokers = alen == 9 && strncmp(a, "--brokers", 9) == 0;
        if (!is_topic && !is_brokers)
            return bad_usage("unknown argument '%s'", a), -1;
        if (val == NULL && i + 1 >= argc)
            return bad_usage("%s needs a value", a), -1;
        if (val == NULL)
            val = argv[++i];
        if (is_brokers) {
            if ((*brokers = parse_count(val, 16)) < 0)
                return bad_usage("--brokers wants a number from 1 to 16, not '%s'", val), -1;
            continue;
        }
        char *copy = strdup(val);
        char *colon = copy ? strrchr(copy, ':') : NULL;
        int parts = colon && colon != copy ? parse_count(colon + 1, 10000) : -1;
        if (parts < 0) {
            free(copy);
            return bad_usage("--topic wants NAME:PARTITIONS (e.g. orders:4), not '%s'", val), -1;
        }
        *colon = '\0';
        specs[n++] = (TopicSpec){copy, parts};
    }
    return n;
}

/* Waits for SIGINT or SIGTERM (blocked in every thread); returns which. */
static int wait_for_stop(const sigset_t *stop)
{
    int sig = 0;
    while (sigwait(stop, &sig) != 0)
        ;
    return sig;
}

int cmd_broker(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    int brokers = 1;
    TopicSpec *specs = calloc((size_t)argc + 1, sizeof *specs);
    if (specs == NULL)
        return 1;
    int nspecs = parse_args(argc, argv, &brokers, specs);
    if (nspecs < 0) {
        for (int i = 0; i < argc && specs[i].name; i++)
            free(specs[i].name);
        free(specs);
        return 2;
    }

    /* Block the signals before the broker's threads start, so they all
     * inherit the mask and sigwait is the only place the signals arrive. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    int rc = 0;
    EddyError err;
    EmbeddedBroker *b = embedded_broker_start(brokers, &err);
    if (b == NULL) {
        fprintf(stderr, "eddy broker: %s\n", err.msg);
        rc = 1;
    }
    /* Topics eddy asks for get the partition count asked for. */
    if (rc == 0 && embedded_broker_serve_admin(b, &err) < 0) {
        fprintf(stderr, "eddy broker: %s\n", err.msg);
        rc = 1;
    }
    for (int i = 0; rc == 0 && i < nspecs; i++)
        if (embedded_broker_create_topic(b, specs[i].name, specs[i].partitions, &err) < 0) {
            fprintf(stderr, "eddy broker: %s\n", err.msg);
            rc = 1;
        }
    if (rc == 0) {
        const char *bootstrap = embedded_broker_bootstrap(b);
        printf("%s\n", bootstrap);
        fflush(stdout);
        fprintf(stderr,
                "eddy broker: development broker (librdkafka mock cluster) at %s, %d broker(s)\n"
                "  in memory only: about 5 MB retained per partition, the oldest records are\n"
                "  dropped beyond that; topics eddy creates get the partitions asked for,\n"
                "  other unknown topics are auto-created with 4 partitions.\n"
                "  Not for production.  Ctrl-C or SIGTERM stops it.\n",
                bootstrap, brokers);
        for (int i = 0; i < nspecs; i++)
            fprintf(stderr, "  topic %s: %d partition(s)\n", specs[i].name, specs[i].partitions);
        int sig = wait_for_stop(&stop);
        fprintf(stderr, "eddy broker: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    embedded_broker_stop(b);
    for (int i = 0; i < nspecs; i++)
        free(specs[i].name);
    free(specs);
    return rc;
}
