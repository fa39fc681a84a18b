/*
 * commands.c - the command topic (engine/README.md, "Scale-out"): members
 * of one application (same service.id, same cluster) share their catalog
 * through `_eddy_<service.id>_commands`, one partition, as ksqlDB's
 * command topic.
 *
 * One order for every member.  A statement that changes the catalog
 * (commands_routed) is not run where it was typed: the member first runs
 * what the topic holds up to its end, checks the statement against that
 * catalog (the statement runs up to the point where it would be logged and
 * stops there: engine->validating, engine_persist), sends it, keyed
 * "<member>/<n>", and then runs the topic's records in order up to its own,
 * which it runs from its parsed form, its result going to the client.
 * Every other member runs it at the same place in the same order, so query
 * ids (which name changelog and repartition topics) agree.  A statement
 * that fails the check is not sent: nothing changes anywhere.  One that
 * passes but fails in its place (another member's CREATE of the same name
 * came first) fails on every member alike.  As ksqlDB.
 *
 * Statements that run before they are sent, keyed "<member>": CREATE MODEL
 * and DROP MODEL (their logged text names this member's stored copy of the
 * model, engine/sql/models.c) and REPLAY (which rewinds in place).  Their
 * sender skips them in the topic.
 *
 * Every member polls the topic between rounds and runs the records of
 * others as if they were the next statements of its file (so they are
 * logged in its own commands.ksql, the local copy, and a statement already
 * in its catalog with the same text is skipped, as on a restart).
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
    int64_t sent;                 /* statements this process sent to run in order */
};

/* How long a member waits for the topic: to reach its end before a check,
 * and for a statement it sent to come back. */
#define COMMAND_WAIT_MS 30000

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

/* Who sent a record: its key is "<member>" (it ran there before it was
 * sent) or "<member>/<n>" (every member runs it in topic order). */
static bool sent_by(const TransportRecord *r, const char *member, bool *in_order)
{
    size_t n = strlen(member);
    const char *k = r->key;
    *in_order = k && memchr(k, '/', r->key_len) != NULL;
    return k && r->key_len >= n && memcmp(k, member, n) == 0 &&
           (r->key_len == n || k[n] == '/');
}

/* Runs one record of the topic (others' statements, and this member's own
 * sent to run in order), unless it is `awaited` (the caller runs that one);
 * then moves past it.  1: it was the awaited record. */
static int run_record(Engine *e, CommandTopic *c, const TransportRecord *r, const char *awaited,
                      EddyError *err)
{
    if (r->offset < c->next)
        return 0;
    bool in_order;
    bool own = sent_by(r, c->member, &in_order);
    if (awaited && r->key && r->key_len == strlen(awaited) &&
        memcmp(r->key, awaited, r->key_len) == 0)
        return 1;
    if ((!own || in_order) && r->value) {
        char *text = strndup(r->value, r->value_len);
        if (text == NULL)
            EDDY_PANIC("out of memory");
        engine_log(e, 0, "command topic: running offset %lld from member %.*s", (long long)r->offset,
                   (int)r->key_len, r->key ? (const char *)r->key : "");
        /* Its output was its sender's client's; here the log line above
         * says it ran (and a failure is logged). */
        EddyError serr;
        bool outer = e->remote_command, outer_text = e->text_off;
        e->remote_command = true;
        e->text_off = true;
        if (engine_execute(e, text, "command topic", &serr) != 0)
            engine_log(e, 1, "command topic: offset %lld failed here: %s",
                       (long long)r->offset, serr.msg);
        e->remote_command = outer;
        e->text_off = outer_text;
        free(text);
        c->applied++;
    }
    c->next = r->offset + 1;
    return save(c, err) != 0 ? -1 : 0;
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
    for (int i = 0; i < n; i++)
        if (run_record(e, c, &recs[i], NULL, err) < 0)
            return -1;
    return n;
}

/* Runs the topic's records up to `until` (its end: awaited NULL) or up to
 * the record keyed `awaited`, which is left for the caller with c->next at
 * it.  0, 1 (the awaited record was reached, its offset in *at), -1. */
static int run_until(Engine *e, CommandTopic *c, int64_t until, const char *awaited, int64_t *at,
                     EddyError *err)
{
    int64_t deadline = eddy_mono_ms() + COMMAND_WAIT_MS;
    while (awaited || c->next < until) {
        if (eddy_mono_ms() > deadline)
            return awaited ? eddy_error(err, ERR_IO, (SrcPos){0},
                                        "the statement was sent to the command topic %s but had not come back after %d s; it runs when it does",
                                        c->topic, COMMAND_WAIT_MS / 1000)
                           : eddy_error(err, ERR_IO, (SrcPos){0},
                                        "the command topic %s could not be read to its end (offset %lld of %lld) in %d s; nothing was run",
                                        c->topic, (long long)c->next, (long long)until,
                                        COMMAND_WAIT_MS / 1000);
        TransportRecord recs[64];
        int n = e->t->ops->consumer_poll(c->consumer, recs, 64, 20, err);
        if (n < 0)
            return -1;
        for (int i = 0; i < n; i++) {
            int got = run_record(e, c, &recs[i], awaited, err);
            if (got < 0)
                return -1;
            if (got == 1) {
                /* The records after it come again at the next poll: the
                 * consumer is put back to the one after it. */
                TopicPartitionOffset to = {c->topic, 0, recs[i].offset + 1};
                if (i + 1 < n && e->t->ops->consumer_seek(c->consumer, &to, 1, err) != 0)
                    return -1;
                *at = recs[i].offset;
                return 1;
            }
        }
    }
    return 0;
}

bool commands_routed(Engine *e, const AstStmt *s)
{
    if (e->replaying || e->remote_command || e->validating)
        return false;
    switch (s->kind) {
    case STMT_CREATE_SOURCE:
    case STMT_CREATE_AS:
    case STMT_INSERT_SELECT:
    case STMT_DROP:
    case STMT_ALTER:
    case STMT_TERMINATE:
    case STMT_CREATE_TYPE:
        break;
    default:
        return false;
    }
    const char *service = catalog_prop(&e->cat, "service.id", NULL);
    return service && *service && e->state_dir;
}

int commands_run(Engine *e, const AstStmt *s, int (*run)(Engine *, const AstStmt *, EddyError *),
                 EddyError *err)
{
    int rc;
    CommandTopic *c = topic_of(e, err, &rc);
    if (c == NULL)
        return rc != 0 ? -1 : run(e, s, err);
    int64_t *low = NULL, *high = NULL;
    int parts = e->t->ops->watermarks(e->t, c->topic, &low, &high, err);
    int64_t end = parts > 0 ? high[0] : 0;
    free(low);
    free(high);
    int64_t at;
    if (parts < 0 || run_until(e, c, end, NULL, &at, err) < 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return eddy_error(err, ERR_IO, s->pos, "the statement was not run: %s", msg);
    }
    /* The check: the statement runs up to where it would be logged. */
    free(e->validated_text);
    e->validated_text = NULL;
    e->validating = true;
    rc = run(e, s, err);
    e->validating = false;
    char *text = e->validated_text;
    e->validated_text = NULL;
    if (text == NULL)
        return rc;   /* failed, or done without changing the catalog */
    eddy_error_clear(err);
    char key[64];
    snprintf(key, sizeof key, "%s/%lld", c->member, (long long)++c->sent);
    if (e->t->ops->produce(e->t, c->topic, 0, key, strlen(key), text, strlen(text), -1, err) != 0 ||
        e->t->ops->flush(e->t, COMMAND_WAIT_MS, err) != 0) {
        free(text);
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return eddy_error(err, ERR_IO, s->pos,
                          "the statement could not be sent to the command topic %s (%s); nothing was run",
                          c->topic, msg);
    }
    free(text);
    rc = run_until(e, c, 0, key, &at, err);
    if (rc != 1) {
        if (err->pos.line == 0)
            err->pos = s->pos;
        return -1;
    }
    e->remote_command = true;
    rc = run(e, s, err);
    e->remote_command = false;
    c->next = at + 1;
    EddyError serr;
    if (save(c, &serr) != 0)
        engine_log(e, 1, "command topic: %s", serr.msg);
    return rc;
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
