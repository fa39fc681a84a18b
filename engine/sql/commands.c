/*
 * commands.c - the command topic (engine/README.md, "Scale-out"): members
 * of one application (same service.id, same cluster) share their catalog
 * through `_eddy_<service.id>_commands`, one partition, as ksqlDB's
 * command topic.
 *
 * Every statement a member logs in its command log (engine_persist: the
 * statements that change the catalog, with the SETs before them) is also
 * produced there, keyed by the member's id; every member polls the topic
 * between rounds and runs the other members' statements in topic order, as
 * if they were the next statements of its file (so they are logged in its
 * own commands.ksql, the local copy, and a statement already in its
 * catalog with the same text is skipped, as on a restart).
 *
 * `<state.dir>/command-topic` keeps the member's id (so its own records
 * are known after a restart) and the next offset to run, rewritten
 * (temporary file, rename) after each statement run from the topic.  A
 * crash between the two runs that statement again on restart: a CREATE is
 * then skipped as already in the catalog; another statement fails again
 * and is logged.
 *
 * Off without service.id or a state directory: one process as before.
 */
#include "engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct CommandTopic {
    char *topic;
    char member[40];
    char *path;                   /* <state.dir>/command-topic */
    Consumer *consumer;
    int64_t next;                 /* the next offset to run */
    int64_t applied;              /* statements of other members run */
};

static int save(CommandTopic *c, EddyError *err)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fprintf(f, "member %s\nnext %lld\n", c->member, (long long)c->next) > 0 &&
              fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, c->path) != 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot write %s: %s", c->path,
                          strerror(errno));
    return 0;
}

static void load(CommandTopic *c)
{
    FILE *f = fopen(c->path, "rb");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        long long v;
        if (sscanf(line, "member %39s", c->member) == 1)
            continue;
        if (sscanf(line, "next %lld", &v) == 1)
            c->next = v;
    }
    if (f)
        fclose(f);
    if (c->member[0] == '\0') {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long r = (unsigned long long)ts.tv_nsec ^ (unsigned long long)ts.tv_sec << 20 ^
                               (unsigned long long)getpid() << 40;
        FILE *u = fopen("/dev/urandom", "rb");
        if (u) {
            if (fread(&r, sizeof r, 1, u) != 1)
                r ^= (unsigned long long)ts.tv_nsec;
            fclose(u);
        }
        snprintf(c->member, sizeof c->member, "%016llx", r);
    }
}

/* Opens the topic once service.id is set (a SET in the file comes after
 * the engine is created).  NULL when the engine has no application. */
static CommandTopic *topic_of(Engine *e, EddyError *err, int *rc)
{
    *rc = 0;
    if (e->commands)
        return e->commands;
    const char *service = catalog_prop(&e->cat, "service.id", NULL);
    if (service == NULL || *service == '\0' || e->state_dir == NULL || e->replaying)
        return NULL;
    CommandTopic *c = calloc(1, sizeof *c);
    if (c == NULL)
        EDDY_PANIC("out of memory");
    size_t n = strlen(service) + 32;
    c->topic = malloc(n);
    c->path = malloc(strlen(e->state_dir) + 32);
    if (c->topic == NULL || c->path == NULL)
        EDDY_PANIC("out of memory");
    snprintf(c->topic, n, "_eddy_%s_commands", service);
    sprintf(c->path, "%s/command-topic", e->state_dir);
    load(c);
    TopicPartitionOffset start = {c->topic, 0, c->next};
    const char *topics[1] = {c->topic};
    if (e->t->ops->topic_ensure(e->t, c->topic, 1, 1, err) < 0 ||
        (c->consumer = e->t->ops->consumer_open(e->t, "eddy_commands", topics, 1, RESET_EARLIEST, &start,
                                                1, err)) == NULL) {
        free(c->topic);
        free(c->path);
        free(c);
        *rc = -1;
        return NULL;
    }
    e->commands = c;
    engine_log(e, 0, "command topic %s: member %s, from offset %lld", c->topic, c->member,
               (long long)c->next);
    return c;
}

int commands_publish(Engine *e, const char *text, EddyError *err)
{
    int rc;
    if (e->remote_command)
        return 0;   /* it came from the topic */
    CommandTopic *c = topic_of(e, err, &rc);
    if (c == NULL)
        return rc;
    if (e->t->ops->produce(e->t, c->topic, 0, c->member, strlen(c->member), text, strlen(text),
                           -1, err) != 0 ||
        e->t->ops->flush(e->t, 30000, err) != 0)
        return -1;
    return 0;
}

int commands_poll(Engine *e, EddyError *err)
{
    int rc;
    CommandTopic *c = topic_of(e, err, &rc);
    if (c == NULL)
        return rc;
    TransportRecord recs[64];
    int n = e->t->ops->consumer_poll(c->consumer, recs, 64, 0, err);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const TransportRecord *r = &recs[i];
        if (r->offset < c->next)
            continue;
        bool own = r->key && r->key_len == strlen(c->member) &&
                   memcmp(r->key, c->member, r->key_len) == 0;
        if (!own && r->value) {
            char *text = strndup(r->value, r->value_len);
            if (text == NULL)
                EDDY_PANIC("out of memory");
            engine_log(e, 0, "command topic: running offset %lld from member %.*s", (long long)r->offset,
                       (int)r->key_len, r->key ? (const char *)r->key : "");
            EddyError serr;
            e->remote_command = true;
            if (engine_execute(e, text, "command topic", &serr) != 0)
                engine_log(e, 1, "command topic: offset %lld failed here: %s",
                           (long long)r->offset, serr.msg);
            e->remote_command = false;
            free(text);
            c->applied++;
        }
        c->next = r->offset + 1;
        if (save(c, err) != 0)
            return -1;
    }
    return n;
}

const char *commands_member_id(Engine *e)
{
    return e->commands ? e->commands->member : NULL;
}

void commands_close(Engine *e)
{
    CommandTopic *c = e->commands;
    if (c == NULL)
        return;
    if (c->consumer)
        e->t->ops->consumer_close(c->consumer);
    free(c->topic);
    free(c->path);
    free(c);
    e->commands = NULL;
}
