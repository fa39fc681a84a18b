/*
 * options.c - what run and repl share: option parsing, properties files,
 * connecting (or starting the embedded broker), and printing errors.
 *
 * Properties: engine ones (auto.offset.reset, commit.interval.ms,
 * cache.max.bytes.buffering, processing.guarantee, ksql.*) configure the
 * engine; every other key passes through to librdkafka (TLS, SASL, ...).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long connecting may take before eddy says the broker cannot be reached. */
#define CONNECT_TIMEOUT_MS 5000

static void add_prop(CliOptions *o, const char *k, size_t klen, const char *v)
{
    o->props = realloc(o->props, sizeof(char *) * (size_t)(2 * o->nprops + 3));
    o->props[2 * o->nprops] = strndup(k, klen);
    o->props[2 * o->nprops + 1] = strdup(v);
    o->nprops++;
    o->props[2 * o->nprops] = NULL;
}

static int add_prop_kv(CliOptions *o, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return -1;
    add_prop(o, kv, (size_t)(eq - kv), eq + 1);
    return 0;
}

char *cli_read_file(const char *path)
{
    EddyError err;
    char *text = eddy_read_file(path, &err);
    if (text == NULL)
        fprintf(stderr, "eddy: %s\n", err.msg);
    return text;
}

static int load_config(CliOptions *o, const char *path)
{
    char *text = cli_read_file(path);
    if (text == NULL)
        return -1;
    int lineno = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        if (*line == '\0' || *line == '#' || *line == '!')
            continue;
        if (add_prop_kv(o, line) != 0) {
            fprintf(stderr, "eddy: %s: line %d is not key=value: %s\n", path, lineno, line);
            free(text);
            return -1;
        }
    }
    free(text);
    return 0;
}

int cli_parse_options(int argc, char **argv, CliOptions *o, const char *usage)
{
    memset(o, 0, sizeof *o);
    o->progress_s = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if (strcmp(a, "--bootstrap-servers") == 0 && next) {
            o->bootstrap = argv[++i];
        } else if (strcmp(a, "--state-dir") == 0 && next) {
            o->state_dir = argv[++i];
        } else if (strcmp(a, "--config") == 0 && next) {
            if (load_config(o, argv[++i]) != 0)
                return -1;
        } else if ((strcmp(a, "-p") == 0 || strcmp(a, "-X") == 0) && next) {
            /* -X: librdkafka's and kcat's spelling, accepted as an alias. */
            if (add_prop_kv(o, argv[++i]) != 0) {
                fprintf(stderr, "eddy: %s needs key=value, not '%s'\n", a, argv[i]);
                return -1;
            }
        } else if (strcmp(a, "--until-caught-up") == 0) {
            o->until_caught_up = true;
        } else if (strcmp(a, "--verbose") == 0) {
            o->verbose = true;
        } else if (strcmp(a, "--log-file") == 0 && next) {
            o->log_file = argv[++i];
        } else if (strcmp(a, "--fail-fast") == 0) {
            o->fail_fast = true;
        } else if (strcmp(a, "--progress") == 0 && next) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v > 86400) {
                fprintf(stderr, "eddy: --progress needs a number of seconds (0 = off), not '%s'\n", argv[i]);
                return -1;
            }
            o->progress_s = (int)v;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "eddy: unknown or incomplete option '%s'\n\n%s", a, usage);
            return -1;
        } else {
            o->files = realloc(o->files, sizeof(char *) * (size_t)(o->nfiles + 1));
            o->files[o->nfiles++] = argv[i];
        }
    }
    bool idle_given = false;
    for (int i = 0; i < o->nprops; i++) {
        if (strcmp(o->props[2 * i], "bootstrap.servers") == 0 && o->bootstrap == NULL)
            o->bootstrap = o->props[2 * i + 1];
        if (strcmp(o->props[2 * i], "state.dir") == 0 && o->state_dir == NULL)
            o->state_dir = o->props[2 * i + 1];
        idle_given = idle_given || strcmp(o->props[2 * i], "max.task.idle.ms") == 0;
    }
    /* A run that ends at the inputs' current ends waits for no record that
     * is not on the broker yet: only for the ones still to be fetched. */
    if (o->until_caught_up && !idle_given)
        add_prop(o, "max.task.idle.ms", strlen("max.task.idle.ms"), "0");
    return 0;
}

void cli_free_options(CliOptions *o)
{
    for (int i = 0; i < 2 * o->nprops; i++)
        free(o->props[i]);
    free(o->props);
    free(o->files);
}

static bool is_engine_prop(const char *k)
{
    return strcmp(k, "auto.offset.reset") == 0 || strcmp(k, "commit.interval.ms") == 0 ||
           strcmp(k, "cache.max.bytes.buffering") == 0 || strcmp(k, "processing.guarantee") == 0 ||
           strcmp(k, "state.dir") == 0 || strcmp(k, "max.task.idle.ms") == 0 ||
           strcmp(k, "num.stream.threads") == 0 || strcmp(k, "service.id") == 0 ||
           strcmp(k, "task.assignment") == 0 ||
           strncmp(k, "ksql.", 5) == 0 ||
           strcmp(k, "bootstrap.servers") == 0;
}

const char *const *cli_engine_props(CliOptions *o)
{
    static const char **out;
    free(out);
    out = calloc((size_t)(2 * o->nprops + 2), sizeof(char *));
    int n = 0;
    for (int i = 0; i < o->nprops; i++)
        if (is_engine_prop(o->props[2 * i]) && strcmp(o->props[2 * i], "bootstrap.servers") != 0) {
            out[n++] = o->props[2 * i];
            out[n++] = o->props[2 * i + 1];
        }
    return out;
}

Transport *cli_connect(CliOptions *o, EmbeddedBroker **broker)
{
    EddyError err;
    eddy_error_clear(&err);
    *broker = NULL;
    const char *bootstrap = o->bootstrap;
    if (bootstrap == NULL) {
        *broker = embedded_broker_start(1, &err);
        if (*broker == NULL) {
            fprintf(stderr, "eddy: cannot start the embedded broker: %s\n", err.msg);
            return NULL;
        }
        bootstrap = embedded_broker_bootstrap(*broker);
        fprintf(stderr,
                "eddy: no bootstrap.servers given; started an embedded development broker at %s\n"
                "      (in memory, gone when eddy exits; produce to it with kcat -b %s)\n",
                bootstrap, bootstrap);
    }
    const char **kprops = calloc((size_t)(2 * o->nprops + 4), sizeof(char *));
    int n = 0;
    kprops[n++] = "bootstrap.servers";
    kprops[n++] = bootstrap;
    for (int i = 0; i < o->nprops; i++)
        if (!is_engine_prop(o->props[2 * i])) {
            kprops[n++] = o->props[2 * i];
            kprops[n++] = o->props[2 * i + 1];
        }
    Transport *t = kafka_transport_create(kprops, &err);
    free(kprops);
    if (t == NULL) {
        fprintf(stderr, "eddy: cannot connect to Kafka at %s: %s\n", bootstrap, err.msg);
        if (*broker)
            embedded_broker_stop(*broker);
        *broker = NULL;
        return NULL;
    }
    t->log = cli_kafka_log;
    if (*broker) {
        kafka_transport_use_broker(t, *broker);
        return t;
    }
    /* Fail now, and clearly, rather than with empty answers later. */
    if (kafka_transport_ping(t, CONNECT_TIMEOUT_MS, &err) < 0) {
        fprintf(stderr,
                "eddy: cannot reach a Kafka broker at %s: %s\n"
                "      (start one with `eddy broker`, or give --bootstrap-servers HOST:PORT)\n",
                bootstrap, err.msg);
        t->ops->destroy(t);
        return NULL;
    }
    return t;
}

void cli_print_error(const char *origin, const char *source, const EddyError *err)
{
    char buf[4096];
    eddy_error_format(err, source, buf, sizeof buf);
    fprintf(stderr, "%s%s%s\n", origin ? origin : "", origin ? ": " : "", buf);
}
