/*
 * replay.c - REPLAY QUERY and the start of persistent queries.
 *
 * REPLAY QUERY id FROM OFFSET n | OFFSETS (p:o, ...) | TIMESTAMP 'iso' |
 * BEGINNING | SNAPSHOT name [WITH EMPTY STATE] moves a running query to a
 * point of its inputs, and it processes forward again from there.
 *
 *   1. Resolve the target T: an offset for every partition of every input
 *      topic (clamped into the partition's watermarks, with a note).
 *   2. A stateless query resumes at T.  A stateful one (it has stores)
 *      resumes at a point whose state is known exactly: the newest of its
 *      live position and its snapshots that is at or before T on every
 *      partition, whose records from there on are still in the topics;
 *      it processes from there to T muted (state only, no output), then
 *      as usual.  None: refused, naming the oldest point it can replay
 *      from, unless WITH EMPTY STATE (its stores dropped, resume at T).
 *      FROM SNAPSHOT restores that snapshot and resumes at its offsets.
 *   3. A checkpoint (all output so far delivered), then the replay goes
 *      to the command log with a generation number (1, 2, ... per query),
 *      the start, mute and end offsets: the line is the engine's own form,
 *      REPLAY QUERY `id` FROM OFFSETS ('t':p:o, ...) WITH (GENERATION=g,
 *      ...), which users may not write.
 *   4. Apply: stop the runtime, restore the snapshot or drop the stores,
 *      then write the start offsets and the generation in one synced batch
 *      (statedb_reset_offsets), and start the runtime again.
 *
 * A crash anywhere after 3 leaves a log whose latest replay of the query
 * has a generation the state does not hold (the batch of 4 is the last
 * write): the next start applies it again before the query runs
 * (replay_start_queries), and a restore or a drop of stores can be run
 * again from any point.  A crash before 3 leaves no trace but the
 * checkpoint.
 */
#include "replay.h"
#include "eddy/engine/changelog.h"
#include "eddy/engine/runtime.h"
#include "eddy/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

Replay *replay_find(Engine *e, const char *query_id)
{
    ReplayState *st = replay_state(e);
    for (int i = 0; i < st->nreplays; i++)
        if (str_ieq(st->replays[i]->query_id, query_id))
            return st->replays[i];
    return NULL;
}

void replay_discard(Replay *r)
{
    if (r == NULL)
        return;
    free(r->query_id);
    free(r->snapshot);
    free(r->request);
    offs_free(&r->start);
    offs_free(&r->until);
    offs_free(&r->ends);
    free(r);
}

static void replay_set(Engine *e, Replay *r)
{
    ReplayState *st = replay_state(e);
    for (int i = 0; i < st->nreplays; i++)
        if (str_ieq(st->replays[i]->query_id, r->query_id)) {
            replay_discard(st->replays[i]);
            st->replays[i] = r;
            return;
        }
    st->replays = realloc(st->replays, sizeof *st->replays * (size_t)(st->nreplays + 1));
    if (st->replays == NULL)
        EDDY_PANIC("out of memory");
    st->replays[st->nreplays++] = r;
}

/* The generation the query's state holds (0: none, or unreadable). */
static int64_t stored_generation(Engine *e, const char *query_id)
{
    int64_t g = 0;
    EddyError err;
    if (statedb_read_generation(e->state, query_id, &g, &err) != 0)
        return 0;
    return g;
}

bool replay_needs_snapshot(Engine *e, const char *name)
{
    ReplayState *st = replay_state(e);
    for (int i = 0; i < st->nreplays; i++) {
        Replay *r = st->replays[i];
        if (r->snapshot == NULL || !str_ieq(r->snapshot, name))
            continue;
        Query *q = engine_find_query(e, r->query_id);
        if (q && q->state != QSTATE_TERMINATED && stored_generation(e, q->id) < r->generation)
            return true;
    }
    return false;
}

/* ---- starting queries ------------------------------------------------------------ */

static QueryStart *start_of(Engine *e, Query *q)
{
    ReplayState *st = replay_state(e);
    for (int i = 0; i < st->nstarts; i++)
        if (st->starts[i].q == q)
            return &st->starts[i];
    st->starts = realloc(st->starts, sizeof *st->starts * (size_t)(st->nstarts + 1));
    if (st->starts == NULL)
        EDDY_PANIC("out of memory");
    QueryStart *qs = &st->starts[st->nstarts++];
    *qs = (QueryStart){.q = q};
    return qs;
}

/* What every start of q's runtime sets up after it is built. */
static int configure(Engine *e, Query *q, EddyError *err)
{
    runtime_set_max_task_idle(q->rt, strtoll(query_prop(&e->cat, q, "max.task.idle.ms", "500"), NULL, 10));
    /* The processing log (README.md): ksqlDB's property names. */
    if (str_ieq(query_prop(&e->cat, q, "ksql.logging.processing.topic.auto.create", "false"),
                "true")) {
        const char *topic =
            query_prop(&e->cat, q, "ksql.logging.processing.topic.name", "eddy_processing_log");
        if (e->t->ops->topic_ensure(e->t, topic, 1, 1, err) < 0) {
            runtime_stop(q->rt);
            q->rt = NULL;
            return -1;
        }
        runtime_set_processing_log(q->rt, topic);
    }
    q->state = QSTATE_RUNNING;
    /* State that does not match the catalog's record is refused: the
     * runtime stays (so REPLAY ... WITH EMPTY STATE or FROM SNAPSHOT can
     * rebuild it) but is never polled nor checkpointed (engine.c). */
    EddyError cerr;
    if (statedb_check_scope(e->state, q->id, &cerr) != 0)
        engine_log(e, 2, "query %s: %s", q->id, cerr.msg);
    Replay *r = replay_find(e, q->id);
    if (r && r->until.n > 0)
        runtime_mute_until(q->rt, r->until.v, r->until.n);
    return 0;
}

/* The tasks q divides into among the members of its application
 * (engine/README.md, "Scale-out"), or 0 when it runs whole here: a
 * service.id, a state directory, Kafka, and a plan that divides. */
static int assigned_tasks(Engine *e, Query *q, EddyError *err)
{
    if (!kafka_transport_is(e->t) || q->kind == QUERY_TRANSIENT ||
        !str_ieq(query_prop(&e->cat, q, "task.assignment", "group"), "group"))
        return 0;
    return runtime_partition_tasks(q, e->t, e->state, err);
}

/* The topic through which q's tasks hand rows to the task owning their
 * group, when they are shared by members (engine/README.md, "Scale-out":
 * <service.id>-<query id>-<node>-repartition, ksqlDB's naming). */
void repartition_topic(Engine *e, const Query *q, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%s-%s-repartition", query_prop(&e->cat, q, "service.id", "eddy"), q->id,
             runtime_exchange_node((Query *)q, e->t));
}

static int txn_produce(void *ud, int task, const char *topic, int32_t partition, const void *key,
                       size_t klen, const void *value, size_t vlen, EddyError *err)
{
    return runtime_txn_produce(ud, task, topic, partition, key, klen, value, vlen, err);
}

static void txn_flush(void *ud, int task)
{
    runtime_txn_flush(ud, task, 30000);
}

/* Starts q's runtime with tasks owned[0..nowned) of ntasks (assigned
 * mode; ntasks 0: whole), its changelog cl (restored from first), and
 * membership m. */
static int start_runtime(Engine *e, QueryStart *qs, Changelog *cl, int ntasks, const int *owned,
                         int nowned, GroupMember *m, EddyError *err)
{
    Query *q = qs->q;
    static const int none[1];   /* runtime_start_owned: NULL would mean every task */
    /* Its input offsets' group belongs to its application (catalog.h). */
    const char *sid = query_prop(&e->cat, q, "service.id", NULL);
    char group[1024];
    snprintf(group, sizeof group, "eddy_%s_%s", sid ? sid : "", q->id);
    if (!sid || !*sid)
        q->offsets_group = NULL;
    else if (!q->offsets_group || strcmp(q->offsets_group, group) != 0)
        q->offsets_group = arena_strdup(e->cat.arena, group);
    char repartition[1024];
    repartition_topic(e, q, repartition, sizeof repartition);
    q->rt = ntasks > 0 ? runtime_start_owned(q, e->t, e->state, qs->reset, &e->out,
                                             qs->commit_interval_ms, engine_workers(e, q), ntasks,
                                             owned ? owned : none, owned ? nowned : 0,
                                             repartition, err)
                       : runtime_start(q, e->t, e->state, qs->reset, NULL, NULL, &e->out,
                                       qs->commit_interval_ms, engine_workers(e, q), err);
    if (q->rt == NULL) {
        changelog_close(cl);
        kafka_group_leave(m);
        return -1;
    }
    if (cl && ntasks > 0)
        changelog_set_owned(cl, owned, nowned);
    runtime_set_changelog(q->rt, cl);
    runtime_set_member(q->rt, m);
    const char *guarantee = query_prop(&e->cat, q, "processing.guarantee", "at_least_once");
    if (!str_ieq(guarantee, "at_least_once") && !(cl && kafka_transport_is(e->t)))
        engine_log(e, 1, "query %s: processing.guarantee %s needs service.id, a state directory "
                         "and Kafka (a transaction per task, its state in the changelog): it runs "
                         "at_least_once", q->id, guarantee);
    if (cl && kafka_transport_is(e->t) && !str_ieq(guarantee, "at_least_once")) {
        /* Exactly-once: a transaction per task (engine/README.md). */
        const char *service = query_prop(&e->cat, q, "service.id", "");
        if (runtime_enable_txn(q->rt, service, err) != 0) {
            runtime_stop(q->rt);
            q->rt = NULL;
            return -1;
        }
        changelog_set_producer(cl, txn_produce, txn_flush, q->rt);
        engine_log(e, 0, "query %s: exactly-once (%s): a transaction per task, %d here "
                         "(transactional ids %s-%s-<task>)", q->id, guarantee,
                   runtime_ntasks(q->rt), service, q->id);
    }
    return configure(e, q, err);
}

/* Partitions of a query are being revoked (inside kafka_group_poll):
 * checkpoint now, before the group may give them to another member. */
static void revoked(void *ud)
{
    Engine *e = ud;
    EddyError err;
    e->revoking = true;   /* the group waits: no standby catch-up now */
    if (engine_checkpoint(e, &err) != 0)
        engine_log(e, 1, "checkpoint before giving up tasks failed (they restart from their "
                         "last checkpoint): %s", err.msg);
    e->revoking = false;
}

static int start_now(Engine *e, QueryStart *qs, EddyError *err)
{
    Query *q = qs->q;
    models_attach(e, q, e->cat.arena);   /* the versions in force now */
    /* With a service.id, the query's stores are backed by changelog topics
     * (engine/README.md, "Scale-out"), restored from them first if the
     * local state lacks their last checkpoint. */
    const char *service = query_prop(&e->cat, q, "service.id", NULL);
    Changelog *cl = NULL;
    /* Whether its tasks are shared with other members is known first: a
     * member's changelog is the truth for its state (changelog_open_member). */
    int ntasks = service && *service && e->state_dir ? assigned_tasks(e, q, err) : 0;
    if (ntasks < 0)
        return -1;
    if (service && *service && e->state_dir &&
        (cl = (ntasks > 0 ? changelog_open_member : changelog_open)(e->t, e->state, service,
                                                                    q->id, e->state_dir, err)) ==
            NULL)
        return -1;
    GroupMember *m = NULL;
    if (ntasks > 0) {
        /* The group divides the partitions of the first input; task p
         * reads partition p of every input (co-partitioned). */
        char group[1024];
        snprintf(group, sizeof group, "%s_%s", service, q->id);
        const char *topics[1] = {q->inputs[0]->topic};
        m = kafka_group_join(e->t, group, topics, 1, err);
        if (m == NULL) {
            changelog_close(cl);
            return -1;
        }
        kafka_group_on_revoke(m, revoked, e);
        engine_log(e, 0, "query %s: %d tasks shared by the members of %s (group %s)", q->id,
                   ntasks, service, group);
    }
    int rc = start_runtime(e, qs, cl, ntasks, NULL, 0, m, err);
    if (rc == 0 && m)
        runtime_set_awaiting(q->rt, true);
    return rc;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static int drop_stores(Engine *e, Query *q, EddyError *err);

/* Stops q's runtime and starts it again with tasks owned[0..n) of ntasks
 * (ntasks 0: whole; owned may be the runtime's own list), its state
 * restored from the changelog first; the membership carries over.  With
 * drop_state, q's local stores and offsets go in between, so the
 * changelog's last committed checkpoint is all it starts from. */
static int restart_tasks(Engine *e, Query *q, int ntasks, const int *owned, int n,
                         bool drop_state, EddyError *err)
{
    int *tasks = calloc((size_t)n + 1, sizeof *tasks);
    if (tasks == NULL)
        EDDY_PANIC("out of memory");
    if (n > 0)
        memcpy(tasks, owned, sizeof *tasks * (size_t)n);
    GroupMember *m = runtime_detach_member(q->rt);
    runtime_stop(q->rt);
    q->rt = NULL;
    int rc = drop_state ? statedb_delete_offsets(e->state, q->id, err) : 0;
    if (rc == 0 && drop_state)
        rc = drop_stores(e, q, err);
    const char *service = query_prop(&e->cat, q, "service.id", NULL);
    Changelog *cl = rc != 0 ? NULL
                            : (m ? changelog_open_member : changelog_open)(e->t, e->state, service,
                                                                           q->id, e->state_dir,
                                                                           err);
    if (cl == NULL) {
        kafka_group_leave(m);
        free(tasks);
        return -1;
    }
    rc = start_runtime(e, start_of(e, q), cl, ntasks, tasks, n, m, err);
    free(tasks);
    return rc;
}

/* A query that could not start again is failed, saying why. */
static void restart_failed(Engine *e, Query *q, EddyError *err)
{
    engine_log(e, 2, "query %s: %s", q->id, err->msg);
    eddy_error_clear(err);
    q->state = QSTATE_ERROR;
}

/* Assigned mode, once per round: a query whose member now holds other
 * partitions is checkpointed (the whole engine: its output delivered, its
 * changelog and state written), stopped, and started again with the tasks
 * held -- restored from the changelog first when other members wrote to
 * it since this one last read it.  0, or -1 with err (the query failed). */
static int reassign(Engine *e, Query *q, EddyError *err)
{
    const TopicPartitionOffset *held;
    int n;
    GroupMember *m = runtime_member(q->rt);
    int changed = kafka_group_poll(m, 0, &held, &n, err);
    if (changed <= 0)
        return changed;
    int *owned = calloc((size_t)n + 1, sizeof *owned), k = 0;
    if (owned == NULL)
        EDDY_PANIC("out of memory");
    for (int i = 0; i < n; i++)
        if (strcmp(held[i].topic, q->inputs[0]->topic) == 0)
            owned[k++] = held[i].partition;
    qsort(owned, (size_t)k, sizeof *owned, cmp_int);
    const int *now;
    int nnow = runtime_owned(q->rt, &now);
    runtime_set_awaiting(q->rt, false);   /* an assignment came, maybe of nothing */
    if (nnow == k && (k == 0 || memcmp(now, owned, sizeof *owned * (size_t)k) == 0)) {
        free(owned);
        return 0;
    }
    int ntasks = runtime_total_tasks(q->rt);
    /* Revoked tasks were checkpointed in the rebalance (revoked()); lost
     * ones must not be: another member may run them already. */
    if (kafka_group_lost(m))
        engine_log(e, 1, "query %s: tasks lost (session timed out): they restart from their last "
                         "checkpoint, here or elsewhere", q->id);
    else if (engine_checkpoint(e, err) != 0) {
        /* Exact anyway: the tasks restart from their last checkpoint. */
        engine_log(e, 1, "query %s: checkpoint before a new assignment failed: %s", q->id,
                   err->msg);
        eddy_error_clear(err);
    }
    StrBuf list;
    sb_init(&list);
    for (int i = 0; i < k; i++)
        sb_printf(&list, "%s%d", i ? "," : "", owned[i]);
    engine_log(e, 0, "query %s: tasks [%s] of %d on this member", q->id, list.data ? list.data : "",
               ntasks);
    sb_free(&list);
    int rc = restart_tasks(e, q, ntasks, owned, k, false, err);
    free(owned);
    return rc;
}

int replay_rewind(Engine *e, EddyError *err)
{
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (!q->rt || !q->rewind)
            continue;
        q->rewind = false;
        /* Its local state may be ahead of its offsets (the checkpoint's
         * local write went on without its offsets): dropped, with them,
         * and restored whole from the changelog's committed checkpoints
         * (none yet: it starts again from nothing, as nothing committed). */
        const int *owned;
        int k = runtime_owned(q->rt, &owned);
        if (restart_tasks(e, q, k >= 0 ? runtime_total_tasks(q->rt) : 0, owned, k > 0 ? k : 0,
                          true, err) != 0)
            restart_failed(e, q, err);
        else
            engine_log(e, 1, "query %s: restarted from its last committed checkpoint", q->id);
    }
    return 0;
}

int replay_reassign(Engine *e, EddyError *err)
{
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt && runtime_member(q->rt) && reassign(e, q, err) != 0)
            restart_failed(e, q, err);
    }
    return 0;
}

int engine_start_query(Engine *e, Query *q, OffsetReset reset, int64_t commit_interval_ms,
                       EddyError *err)
{
    QueryStart *qs = start_of(e, q);
    qs->reset = reset;
    qs->commit_interval_ms = commit_interval_ms;
    if (e->replaying) {
        qs->pending = true;
        q->state = QSTATE_RUNNING;
        return 0;
    }
    return start_now(e, qs, err);
}

int engine_restart_query(Engine *e, Query *q, EddyError *err)
{
    return start_now(e, start_of(e, q), err);
}

/* Drops every store of q's (its runtime is stopped). */
static int drop_stores(Engine *e, Query *q, EddyError *err)
{
    return statedb_drop_scope_stores(e->state, q->id, err);
}

/* Puts the query's state and offsets where replay r says (its runtime is
 * stopped): the snapshot restored or the stores dropped, then the start
 * offsets and the generation in one write. */
static int replay_apply(Engine *e, Query *q, const Replay *r, EddyError *err)
{
    /* A changelog (service.id) gets the replayed state whole at the next
     * start, not the other way round (changelog.h). */
    if (changelog_forget(e->state, q->id, err) != 0)
        return -1;
    if (r->snapshot) {
        Snapshot *s = snapshot_find(e, r->snapshot);
        if (s == NULL)
            return eddy_error(err, ERR_IO, (SrcPos){0},
                              "its replay (generation %lld) restores snapshot %s, which is gone",
                              (long long)r->generation, r->snapshot);
        if (statedb_restore_scope(e->state, s->dir, q->id, err) != 0)
            return -1;
    } else if (r->empty_state && drop_stores(e, q, err) != 0) {
        return -1;
    }
    return statedb_reset_offsets(e->state, q->id, r->start.v, r->start.n, r->generation, err);
}

int replay_start_queries(Engine *e, EddyError *err)
{
    ReplayState *st = replay_state(e);
    e->starting_logged = true;   /* their model versions are on record already */
    int rc = 0;
    for (int i = 0; i < st->nstarts && rc == 0; i++) {
        QueryStart *qs = &st->starts[i];
        if (!qs->pending)
            continue;
        qs->pending = false;
        Query *q = qs->q;
        if (q->state != QSTATE_RUNNING || q->rt)
            continue;   /* terminated or dropped later in the log */
        Replay *r = replay_find(e, q->id);
        if (r && stored_generation(e, q->id) < r->generation) {
            engine_log(e, 1, "query %s: applying again its replay (generation %lld), which did not finish",
                       q->id, (long long)r->generation);
            rc = replay_apply(e, q, r, err);
        }
        if (rc == 0)
            rc = start_now(e, qs, err);
        if (rc != 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            eddy_error(err, err->kind ? err->kind : ERR_IO, (SrcPos){0}, "query %s: %s", q->id,
                       msg);
        }
    }
    e->starting_logged = false;
    return rc;
}

/* ---- the target ------------------------------------------------------------------- */

/* What the REPLAY statement resolves against: the query's input topics
 * and their watermarks now. */
typedef struct Target {
    Query *q;
    const char *topics[16];
    int ntopics;
    int nparts[16];
    OffsetSet low, high;          /* every partition */
    OffsetSet cur;                /* the query's positions; low where it has none */
    OffsetSet want;               /* the target */
    StrBuf notes;                 /* "Note: ..." lines for the user */
    const char *what;             /* "offset 5", "the beginning", ... */
} Target;

static void target_free(Target *t)
{
    offs_free(&t->low);
    offs_free(&t->high);
    offs_free(&t->cur);
    offs_free(&t->want);
    sb_free(&t->notes);
}

static int target_init(Engine *e, Query *q, Target *t, EddyError *err)
{
    memset(t, 0, sizeof *t);
    sb_init(&t->notes);
    t->q = q;
    for (int i = 0; i < q->ninputs; i++) {
        bool seen = false;
        for (int k = 0; k < t->ntopics; k++)
            seen |= strcmp(t->topics[k], q->inputs[i]->topic) == 0;
        if (!seen && t->ntopics < 16)
            t->topics[t->ntopics++] = q->inputs[i]->topic;
    }
    for (int k = 0; k < t->ntopics; k++) {
        int64_t *lo, *hi;
        int n = e->t->ops->watermarks(e->t, t->topics[k], &lo, &hi, err);
        if (n < 0)
            return -1;
        t->nparts[k] = n;
        for (int p = 0; p < n; p++) {
            offs_put(&t->low, t->topics[k], p, lo[p]);
            offs_put(&t->high, t->topics[k], p, hi[p]);
            offs_put(&t->cur, t->topics[k], p, lo[p]);
        }
        free(lo);
        free(hi);
    }
    const TopicPartitionOffset *pos;
    int n = runtime_offsets(q->rt, &pos);
    for (int i = 0; i < n; i++)
        if (offs_find(&t->cur, pos[i].topic, pos[i].partition))
            offs_put(&t->cur, pos[i].topic, pos[i].partition, pos[i].offset);
    return 0;
}

/* Moves the target into the watermarks, noting each partition moved. */
static int target_clamp(Engine *e, Target *t, EddyError *err)
{
    OffsetSet before = {0};
    offs_copy(&before, t->want.v, t->want.n);
    if (transport_clamp_offsets(e->t, t->want.v, t->want.n, err) < 0) {
        offs_free(&before);
        return -1;
    }
    for (int i = 0; i < t->want.n; i++) {
        const TopicPartitionOffset *o = &t->want.v[i];
        int64_t asked = before.v[i].offset;
        if (asked < o->offset)
            sb_printf(&t->notes, "Note: %s[%d] keeps no records before offset %lld: replaying it from there, not from %lld.\n",
                      o->topic, o->partition, (long long)o->offset, (long long)asked);
        else if (asked > o->offset)
            sb_printf(&t->notes, "Note: %s[%d] ends at offset %lld: it resumes there (offset %lld is past its end).\n",
                      o->topic, o->partition, (long long)o->offset, (long long)asked);
    }
    offs_free(&before);
    return 0;
}

static int topic_index(const Target *t, const char *topic)
{
    for (int k = 0; k < t->ntopics; k++)
        if (strcmp(t->topics[k], topic) == 0)
            return k;
    return -1;
}

static int target_offsets(Target *t, const AstStmt *s, EddyError *err)
{
    offs_copy(&t->want, t->cur.v, t->cur.n);   /* partitions not given stay where they are */
    for (int i = 0; i < s->u.replay.offsets.n; i++) {
        const AstOffset *o = s->u.replay.offsets.items[i];
        bool any = false;
        if (o->topic && topic_index(t, o->topic) < 0) {
            StrBuf list;
            sb_init(&list);
            for (int k = 0; k < t->ntopics; k++)
                sb_printf(&list, "%s%s", k ? ", " : "", t->topics[k]);
            eddy_error(err, ERR_ANALYSIS, o->pos, "topic %s is not an input of query %s (it reads %s)",
                       o->topic, t->q->id, list.data);
            sb_free(&list);
            return -1;
        }
        for (int k = 0; k < t->ntopics; k++) {
            if (o->topic && strcmp(o->topic, t->topics[k]) != 0)
                continue;
            if (o->partition >= t->nparts[k])
                continue;
            offs_put(&t->want, t->topics[k], (int32_t)o->partition, o->offset);
            any = true;
        }
        if (!any) {
            int k = o->topic ? topic_index(t, o->topic) : 0;
            return eddy_error(err, ERR_ANALYSIS, o->pos, "topic %s has no partition %lld (it has %d)",
                              t->topics[k], (long long)o->partition, t->nparts[k]);
        }
    }
    return 0;
}

static int target_timestamp(Engine *e, Target *t, const AstStmt *s, EddyError *err)
{
    int64_t ms;
    if (eddy_parse_time(s->u.replay.text, NULL, NULL, &ms, err) != 0) {
        err->kind = ERR_ANALYSIS;
        err->pos = s->u.replay.text_pos;
        return -1;
    }
    for (int k = 0; k < t->ntopics; k++) {
        TopicPartitionOffset *offs;
        int n;
        if (e->t->ops->offsets_for_times(e->t, t->topics[k], ms, &offs, &n, err) != 0)
            return -1;
        offs_copy(&t->want, offs, n);
        free(offs);
    }
    return 0;
}

/* The snapshot's point for the query on every partition of the target: a
 * partition it has no offset for (the query had read nothing there) from
 * the partition's log start. */
static void snapshot_point(const Target *t, const SnapQuery *sq, OffsetSet *out)
{
    offs_copy(out, t->low.v, t->low.n);
    for (int i = 0; i < sq->offs.n; i++)
        if (offs_find(out, sq->offs.v[i].topic, sq->offs.v[i].partition))
            offs_put(out, sq->offs.v[i].topic, sq->offs.v[i].partition, sq->offs.v[i].offset);
}

/* a <= b on every partition of a. */
static bool offs_le(const OffsetSet *a, const OffsetSet *b)
{
    for (int i = 0; i < a->n; i++) {
        const TopicPartitionOffset *o = offs_find(b, a->v[i].topic, a->v[i].partition);
        if (o && a->v[i].offset > o->offset)
            return false;
    }
    return true;
}

/* The snapshot's records from its point on are still kept (its point is
 * at or after every partition's log start). */
static bool snapshot_usable(const Target *t, const OffsetSet *point)
{
    return offs_le(&t->low, point);
}

static void point_text(Engine *e, const Snapshot *s, const OffsetSet *point, StrBuf *out)
{
    sb_printf(out, "snapshot %s (taken ", s->name);
    snapshot_time_text(e, s->created_ms, out);
    sb_puts(out, ": ");
    offs_text(point, out);
    sb_puts(out, ")");
}

/* A stateful query's way to the target: where its state is known exactly
 * at or before it (see the file comment).  Fills r (snapshot, start,
 * until) or fails naming the oldest point it can replay from. */
static int choose_point(Engine *e, Target *t, Replay *r, SrcPos pos, EddyError *err)
{
    if (offs_le(&t->cur, &t->want)) {
        offs_copy(&r->start, t->cur.v, t->cur.n);
    } else {
        ReplayState *st = replay_state(e);
        const Snapshot *oldest = NULL;
        OffsetSet oldest_point = {0};
        for (int i = st->nsnaps - 1; i >= 0 && r->snapshot == NULL; i--) {
            const Snapshot *s = st->snaps[i];
            const SnapQuery *sq = snapshot_query(s, t->q->id);
            if (sq == NULL)
                continue;
            OffsetSet point = {0};
            snapshot_point(t, sq, &point);
            if (!snapshot_usable(t, &point)) {
                offs_free(&point);
                continue;
            }
            if (offs_le(&point, &t->want)) {
                r->snapshot = strdup(s->name);
                offs_copy(&r->start, point.v, point.n);
            } else {
                oldest = s;
                offs_free(&oldest_point);
                oldest_point = point;
                point = (OffsetSet){0};
            }
            offs_free(&point);
        }
        if (r->snapshot == NULL) {
            StrBuf msg;
            sb_init(&msg);
            sb_printf(&msg, "cannot replay query %s from %s (", t->q->id, t->what);
            offs_text(&t->want, &msg);
            sb_puts(&msg, "): it keeps state, and ");
            if (oldest) {
                sb_puts(&msg, "no snapshot of it is at or before that point; the oldest point it can replay from is ");
                point_text(e, oldest, &oldest_point, &msg);
            } else {
                sb_puts(&msg, "it has no snapshot it can be restored from; the oldest point it can replay from is where it is now (");
                offs_text(&t->cur, &msg);
                sb_puts(&msg, "); CREATE SNAPSHOT takes one");
            }
            sb_puts(&msg, ". Give WITH EMPTY STATE to replay from there with empty state");
            eddy_error(err, ERR_ANALYSIS, pos, "%s", msg.data);
            sb_free(&msg);
            offs_free(&oldest_point);
            return -1;
        }
        offs_free(&oldest_point);
    }
    /* Muted up to the target where the start lies before it. */
    for (int i = 0; i < t->want.n; i++) {
        const TopicPartitionOffset *w = &t->want.v[i];
        const TopicPartitionOffset *s = offs_find(&r->start, w->topic, w->partition);
        if (s && s->offset < w->offset)
            offs_put(&r->until, w->topic, w->partition, w->offset);
    }
    return 0;
}

static int from_snapshot(Engine *e, Target *t, const AstStmt *s, Replay *r, bool stateful,
                         EddyError *err)
{
    const char *name = s->u.replay.text;
    Snapshot *snap = snapshot_find(e, name);
    if (snap == NULL) {
        const char *hint = snapshot_suggest(e, name);
        return eddy_error(err, ERR_ANALYSIS, s->u.replay.text_pos, "unknown snapshot %s%s%s%s", name,
                          hint ? "; did you mean " : "", hint ? hint : "", hint ? "?" : "");
    }
    const SnapQuery *sq = snapshot_query(snap, t->q->id);
    if (sq == NULL) {
        StrBuf ids;
        sb_init(&ids);
        for (int i = 0; i < snap->nqueries; i++)
            sb_printf(&ids, "%s%s", i ? ", " : "", snap->queries[i].id);
        eddy_error(err, ERR_ANALYSIS, s->u.replay.text_pos,
                   "snapshot %s holds no state of query %s (it is for %s)", snap->name, t->q->id,
                   ids.len ? ids.data : "no query");
        sb_free(&ids);
        return -1;
    }
    snapshot_point(t, sq, &t->want);
    if (!stateful) {   /* no state to restore: only its offsets */
        if (target_clamp(e, t, err) != 0)
            return -1;
        offs_copy(&r->start, t->want.v, t->want.n);
        return 0;
    }
    if (!snapshot_usable(t, &t->want)) {
        StrBuf msg;
        sb_init(&msg);
        offs_text(&t->want, &msg);
        sb_puts(&msg, "; the oldest records kept: ");
        offs_text(&t->low, &msg);
        eddy_error(err, ERR_ANALYSIS, s->u.replay.text_pos,
                   "snapshot %s cannot be brought forward exactly: records after it are gone from "
                   "its inputs (it is at %s)", snap->name, msg.data);
        sb_free(&msg);
        return -1;
    }
    r->snapshot = strdup(snap->name);
    offs_copy(&r->start, t->want.v, t->want.n);
    /* Readable now, so a missing or damaged snapshot fails before the log. */
    StateSnapshotInfo info;
    if (statedb_snapshot_info(e->state, snap->dir, &info, err) != 0)
        return -1;
    statedb_snapshot_info_free(&info);
    return 0;
}

/* ---- the statement ---------------------------------------------------------------- */

static const char *query_suggest(Engine *e, const char *id)
{
    const char *best = NULL;
    int bestd = 4;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        int d = str_edit_distance(id, q->id);
        if (q->state != QSTATE_TERMINATED && d < bestd) {
            bestd = d;
            best = q->id;
        }
    }
    return best;
}

static Query *replay_query(Engine *e, const AstStmt *s, EddyError *err)
{
    const char *id = s->u.replay.query_id;
    Query *q = engine_find_query(e, id);
    /* transient_<source>_<time>: a client's push query, running or gone. */
    if (q == NULL && strncasecmp(id, "transient_", 10) == 0) {
        eddy_error(err, ERR_ANALYSIS, s->u.replay.query_pos,
                   "query %s is a transient query (a client's push query): only persistent queries can be replayed",
                   id);
        return NULL;
    }
    if (q == NULL) {
        const char *hint = query_suggest(e, id);
        eddy_error(err, ERR_ANALYSIS, s->u.replay.query_pos, "unknown query %s%s%s%s", id,
                   hint ? "; did you mean " : "", hint ? hint : "", hint ? "?" : "");
        return NULL;
    }
    if (q->rt == NULL) {
        eddy_error(err, ERR_ANALYSIS, s->u.replay.query_pos,
                   "query %s is not running (%s): only a running query can be replayed", q->id,
                   q->state == QSTATE_ERROR ? "it failed" : "terminated");
        return NULL;
    }
    return q;
}

/* REPLAY QUERY `id` FROM OFFSETS ('t':p:o, ...) [WITH EMPTY STATE] WITH
 * (GENERATION=g[, SNAPSHOT='s'][, UNTIL='t:p:o,...'], ENDS='...', REQUEST='...'). */
static void put_quoted(StrBuf *out, const char *s, char q)
{
    sb_putc(out, q);
    for (; *s; s++) {
        char c = *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s;
        if (c == q)
            sb_putc(out, q);
        sb_putc(out, c);
    }
    sb_putc(out, q);
}

static void log_line(const Replay *r, StrBuf *out)
{
    sb_puts(out, "REPLAY QUERY ");
    put_quoted(out, r->query_id, '`');
    sb_puts(out, " FROM OFFSETS (");
    for (int i = 0; i < r->start.n; i++) {
        sb_puts(out, i ? ", " : "");
        put_quoted(out, r->start.v[i].topic, '\'');
        sb_printf(out, ":%d:%lld", r->start.v[i].partition, (long long)r->start.v[i].offset);
    }
    sb_printf(out, ")%s WITH (GENERATION=%lld", r->empty_state ? " WITH EMPTY STATE" : "",
              (long long)r->generation);
    if (r->snapshot) {
        sb_puts(out, ", SNAPSHOT=");
        put_quoted(out, r->snapshot, '\'');
    }
    if (r->until.n > 0) {
        sb_puts(out, ", UNTIL='");
        offs_serial(&r->until, out);
        sb_putc(out, '\'');
    }
    sb_puts(out, ", ENDS='");
    offs_serial(&r->ends, out);
    sb_puts(out, "', REQUEST=");
    put_quoted(out, r->request, '\'');
    sb_puts(out, ");");
}

/* A REPLAY line of the command log: recorded, applied later if need be
 * (replay_start_queries). */
static int replay_from_log(Engine *e, const AstStmt *s, EddyError *err)
{
    Query *q = engine_find_query(e, s->u.replay.query_id);
    if (q == NULL)
        return eddy_error(err, ERR_IO, s->pos, "REPLAY of unknown query %s", s->u.replay.query_id);
    Replay *r = calloc(1, sizeof *r);
    if (r == NULL)
        EDDY_PANIC("out of memory");
    r->query_id = strdup(q->id);
    r->empty_state = s->u.replay.empty_state;
    for (int i = 0; i < s->u.replay.offsets.n; i++) {
        const AstOffset *o = s->u.replay.offsets.items[i];
        if (o->topic)
            offs_put(&r->start, o->topic, (int32_t)o->partition, o->offset);
    }
    int bad = s->u.replay.from != REPLAY_OFFSETS || r->start.n != s->u.replay.offsets.n;
    for (int i = 0; i < s->u.replay.props.n; i++) {
        const AstProperty *p = s->u.replay.props.items[i];
        const AstExpr *v = p->value;
        if (str_ieq(p->name, "GENERATION") && v->kind == EXPR_INT)
            r->generation = v->u.i;
        else if (str_ieq(p->name, "SNAPSHOT") && v->kind == EXPR_STRING)
            r->snapshot = strdup(v->u.text);
        else if (str_ieq(p->name, "UNTIL") && v->kind == EXPR_STRING)
            bad |= offs_parse(v->u.text, &r->until);
        else if (str_ieq(p->name, "ENDS") && v->kind == EXPR_STRING)
            bad |= offs_parse(v->u.text, &r->ends);
        else if (str_ieq(p->name, "REQUEST") && v->kind == EXPR_STRING)
            r->request = strdup(v->u.text);
        else
            bad = 1;
    }
    if (bad || r->generation <= 0) {
        replay_discard(r);
        return eddy_error(err, ERR_IO, s->pos, "malformed REPLAY line for query %s", q->id);
    }
    if (r->request == NULL)
        r->request = strdup("REPLAY");
    replay_set(e, r);
    return 0;
}

static void describe_request(const AstStmt *s, Target *t, StrBuf *scratch)
{
    switch (s->u.replay.from) {
    case REPLAY_OFFSET:
        sb_printf(scratch, "offset %lld", (long long)s->u.replay.offset);
        break;
    case REPLAY_OFFSETS: sb_puts(scratch, "the offsets given"); break;
    case REPLAY_TIMESTAMP: sb_printf(scratch, "timestamp '%s'", s->u.replay.text); break;
    case REPLAY_BEGINNING: sb_puts(scratch, "the beginning"); break;
    case REPLAY_SNAPSHOT: sb_printf(scratch, "snapshot %s", s->u.replay.text); break;
    }
    t->what = scratch->data;
}

/* Fills r's start, until and snapshot for the statement's target. */
static int plan_replay(Engine *e, const AstStmt *s, Target *t, Replay *r, bool stateful,
                       EddyError *err)
{
    switch (s->u.replay.from) {
    case REPLAY_SNAPSHOT:
        return from_snapshot(e, t, s, r, stateful, err);
    case REPLAY_OFFSET:
        for (int i = 0; i < t->low.n; i++)
            offs_put(&t->want, t->low.v[i].topic, t->low.v[i].partition, s->u.replay.offset);
        break;
    case REPLAY_OFFSETS:
        if (target_offsets(t, s, err) != 0)
            return -1;
        break;
    case REPLAY_TIMESTAMP:
        if (target_timestamp(e, t, s, err) != 0)
            return -1;
        break;
    case REPLAY_BEGINNING:
        offs_copy(&t->want, t->low.v, t->low.n);
        break;
    }
    if (target_clamp(e, t, err) != 0)
        return -1;
    if (!stateful || r->empty_state) {
        offs_copy(&r->start, t->want.v, t->want.n);
        return 0;
    }
    return choose_point(e, t, r, s->u.replay.query_pos, err);
}

static void report(Engine *e, const Replay *r, const Target *t)
{
    StrBuf out;
    sb_init(&out);
    if (t->notes.len)
        sb_append(&out, t->notes.data, t->notes.len);
    int64_t records = 0;
    for (int i = 0; i < r->ends.n; i++) {
        const TopicPartitionOffset *st = offs_find(&r->start, r->ends.v[i].topic, r->ends.v[i].partition);
        if (st && r->ends.v[i].offset > st->offset)
            records += r->ends.v[i].offset - st->offset;
    }
    sb_printf(&out, "Replaying query %s from %s (generation %lld): ", r->query_id, t->what,
              (long long)r->generation);
    offs_text(&r->start, &out);
    sb_printf(&out, ", %lld records to the end offsets ", (long long)records);
    offs_text(&r->ends, &out);
    if (r->snapshot)
        sb_printf(&out, "; state restored from snapshot %s", r->snapshot);
    else if (r->empty_state)
        sb_puts(&out, "; with empty state");
    if (r->until.n > 0) {
        sb_puts(&out, "; no output for the records before ");
        offs_text(&r->until, &out);
    }
    sb_puts(&out, ".\n");
    engine_text(e, out.data);
    sb_free(&out);
}

int exec_replay(Engine *e, const AstStmt *s, EddyError *err)
{
    if (e->replaying)
        return replay_from_log(e, s, err);
    if (s->u.replay.props.n > 0) {
        const AstProperty *p = s->u.replay.props.items[0];
        return eddy_error(err, ERR_ANALYSIS, p->pos,
                          "REPLAY takes no WITH (...) properties: %s is written by the engine in its command log",
                          p->name);
    }
    if (s->u.replay.empty_state && s->u.replay.from == REPLAY_SNAPSHOT)
        return eddy_error(err, ERR_ANALYSIS, s->pos,
                          "WITH EMPTY STATE contradicts FROM SNAPSHOT: a snapshot replay restores its state");
    for (int i = 0; i < s->u.replay.offsets.n; i++) {
        const AstOffset *o = s->u.replay.offsets.items[i];
        if (o->partition > INT32_MAX)
            return eddy_error(err, ERR_ANALYSIS, o->pos, "no partition %lld", (long long)o->partition);
    }
    Query *q = replay_query(e, s, err);
    if (q == NULL)
        return -1;
    const int *owned;
    if (q->rt && runtime_owned(q->rt, &owned) >= 0)
        return eddy_error(err, ERR_UNSUPPORTED, s->pos,
                          "query %s runs as tasks shared by the members of application %s "
                          "(task.assignment 'group'): REPLAY of such a query is not supported yet; "
                          "run it where task.assignment is 'none'", q->id,
                          query_prop(&e->cat, q, "service.id", ""));
    bool stateful = runtime_store_count(q->rt) > 0;
    Target t;
    StrBuf what;
    sb_init(&what);
    Replay *r = calloc(1, sizeof *r);
    if (r == NULL)
        EDDY_PANIC("out of memory");
    r->query_id = strdup(q->id);
    r->empty_state = s->u.replay.empty_state && stateful;
    int rc = target_init(e, q, &t, err);
    if (rc == 0) {
        describe_request(s, &t, &what);
        rc = plan_replay(e, s, &t, r, stateful, err);
    }
    if (rc != 0) {
        if (err->pos.line == 0)
            err->pos = s->pos;
        goto out;
    }
    offs_copy(&r->ends, t.high.v, t.high.n);
    Replay *prev = replay_find(e, q->id);
    int64_t g = stored_generation(e, q->id);
    r->generation = (prev && prev->generation > g ? prev->generation : g) + 1;
    r->request = strdup(s->text);
    /* Everything before is delivered and checkpointed; then the log line:
     * from here on a crash resumes this replay. */
    StrBuf line;
    sb_init(&line);
    log_line(r, &line);
    rc = engine_checkpoint(e, err);
    if (rc == 0)
        rc = engine_persist(e, line.data, err);
    sb_free(&line);
    if (rc != 0)
        goto out;
    Replay *applied = r;
    replay_set(e, r);
    r = NULL;
    runtime_stop(q->rt);
    q->rt = NULL;
    if (replay_apply(e, q, applied, err) != 0 || engine_restart_query(e, q, err) != 0) {
        q->state = QSTATE_ERROR;
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        eddy_error(err, ERR_IO, s->pos,
                   "query %s stopped: its replay is recorded but could not be applied (%s); "
                   "the next start applies it again", q->id, msg);
        rc = -1;
        goto out;
    }
    report(e, applied, &t);
out:
    if (r)
        replay_discard(r);
    target_free(&t);
    sb_free(&what);
    return rc;
}

/* ---- progress --------------------------------------------------------------------- */

/* Where partition `end` of a replay started and where the query is now. */
static void partition_progress(const Replay *r, const TopicPartitionOffset *end,
                               const TopicPartitionOffset *pos, int npos, int64_t *from, int64_t *at)
{
    const TopicPartitionOffset *st = offs_find(&r->start, end->topic, end->partition);
    *from = *at = st ? st->offset : end->offset;
    for (int k = 0; k < npos; k++)
        if (pos[k].partition == end->partition && strcmp(pos[k].topic, end->topic) == 0)
            *at = pos[k].offset;
}

bool replay_progress(Engine *e, Query *q, int64_t *done, int64_t *total)
{
    *done = *total = 0;
    Replay *r = replay_find(e, q->id);
    if (r == NULL || q->rt == NULL)
        return false;
    const TopicPartitionOffset *pos;
    int n = runtime_offsets(q->rt, &pos);
    for (int i = 0; i < r->ends.n; i++) {
        const TopicPartitionOffset *end = &r->ends.v[i];
        int64_t from, at;
        partition_progress(r, end, pos, n, &from, &at);
        if (end->offset <= from)
            continue;
        *total += end->offset - from;
        *done += at <= from ? 0 : at >= end->offset ? end->offset - from : at - from;
    }
    return *done < *total;
}

void replay_describe(Engine *e, Query *q, StrBuf *out)
{
    Replay *r = replay_find(e, q->id);
    if (r == NULL)
        return;
    int64_t done, total;
    bool running = replay_progress(e, q, &done, &total);
    sb_printf(out, "Replay of %s (generation %lld): %s\n", q->id, (long long)r->generation,
              r->request);
    if (r->snapshot)
        sb_printf(out, "  state restored from snapshot %s\n", r->snapshot);
    else if (r->empty_state)
        sb_puts(out, "  with empty state\n");
    if (r->until.n > 0) {
        sb_puts(out, "  no output for the records before ");
        offs_text(&r->until, out);
        sb_puts(out, "\n");
    }
    if (!running) {
        sb_puts(out, "  finished: every partition reached its end offset at the REPLAY\n");
        return;
    }
    sb_printf(out, "  replaying: %lld of %lld records (%d%%)\n", (long long)done, (long long)total,
              (int)(100 * done / total));
    const TopicPartitionOffset *pos;
    int n = runtime_offsets(q->rt, &pos);
    for (int i = 0; i < r->ends.n; i++) {
        int64_t from, at;
        partition_progress(r, &r->ends.v[i], pos, n, &from, &at);
        sb_printf(out, "  %s[%d]: from %lld, at %lld, to %lld\n", r->ends.v[i].topic,
                  r->ends.v[i].partition, (long long)from, (long long)at,
                  (long long)r->ends.v[i].offset);
    }
}
