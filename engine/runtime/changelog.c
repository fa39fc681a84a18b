/*
 * changelog.c - state stores backed by changelog topics (changelog.h;
 * engine/README.md, "Scale-out", has the protocol and its crash argument).
 *
 * A changelog record's key is the store key as the column family holds it
 * (a task view's 4-byte prefix included); its value is framed:
 *
 *     type (1)  epoch (8, big-endian)  sequence (8)  payload
 *
 *   'P'  a put; payload = the value
 *   'D'  a delete; no payload
 *   'R'  reset: the partition's entries before it are void (the store is
 *        written whole after it); key CL_RESET_KEY
 *   'C'  checkpoint record; key CL_RECORD_KEY; payload = tasks (4),
 *        partitions the checkpoint writes records to (4; with CL_PER_TASK
 *        set, a member's: the stores, each holding one record of the
 *        task's partition), offsets (4),
 *        then per offset: topic length (2), topic, partition (4), next
 *        offset (8): those of the partition's task
 *
 * The epoch is new at every open: 1 + the sum of the end offsets of all
 * the query's changelog partitions, which every record written moves (the
 * highest end offset would not do: a run may write only to partitions
 * behind it, and the next run would take its epoch again); the sequence
 * counts the run's checkpoints from 1.  Checkpoint (e, s) is complete when
 * its record is on as many partitions as the record says it was written to
 * (every partition of every store open then; a store opened later makes
 * later checkpoints wider, so "every partition" would not do); a member's
 * records count per task instead: task p's part of (e, s) is complete when
 * its record is on partition p of that many stores.  An entry (e, s)
 * counts when checkpoint (e, s') is complete (for its partition's task,
 * with CL_PER_TASK) for some s' >= s.  Entries of a checkpoint cut short are never applied,
 * whatever later runs write.
 */
#include "eddy/engine/changelog.h"
#include "eddy/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define CL_HEADER 17
#define CL_RECORD_KEY "\0eddy-checkpoint"
#define CL_RESET_KEY "\0eddy-reset"
/* In a record's partition count: the count is per task (a member's). */
#define CL_PER_TASK 0x80000000u
#define CL_KEY_LEN(k) (sizeof(k) - 1)
/* A restore stops waiting for a changelog partition that stays behind its
 * end this long without delivering anything. */
#define CL_READ_STALL_MS 30000
/* A changelog is written whole again (a reset, then every key) once this
 * many records, or twice its last whole write, were written after its last
 * reset: what a restore needs stays bounded (without compaction, the
 * development broker keeps about 5 MB per partition and drops the oldest;
 * a restore needs nothing before the last complete reset). */
#define CL_REWRITE_RECORDS 20000

typedef struct ClTopic {
    char *topic;                  /* <service>-<qid>-<store>-changelog */
    char *store;                  /* <qid>.<store> */
    bool ensured;
} ClTopic;

struct Changelog {
    Transport *t;
    char *service, *qid, *scope, *prefix, *work_dir;
    ClTopic *topics;
    int ntopics;
    int64_t epoch, seq;
    bool dump_next;               /* write every store whole at the next checkpoint */
    int64_t since_reset;          /* records written after the last reset (all partitions) */
    int64_t last_dump;            /* entries of the last whole write (0: none in this run) */
    TopicPartitionOffset *pos;    /* positions past the last records (topics borrowed) */
    int npos;
    TopicPartitionOffset *last;   /* the offsets the last record carried (topics borrowed
                                   * from the caller's, compared by value) */
    char **last_topics;
    int nlast;
    /* Assigned mode (changelog_set_owned): the tasks this member runs; its
     * checkpoint records and whole writes cover their partitions only.
     * NULL otherwise: every task is this process's. */
    int *owned;
    int nowned;
    bool shared;                  /* opened by changelog_open_member */
    /* A member: where its state stands in each partition it does not own
     * (topics borrowed): past the last complete checkpoint applied, so
     * that the tail from there is all a later restore needs (mark_done). */
    TopicPartitionOffset *base;
    int nbase;
    int64_t tail_records, tail_bytes;   /* read by tail restores and catch-ups */
    ChangelogProduceFn txn_produce;   /* changelog_set_producer, or NULL */
    ChangelogFlushFn txn_flush;
    void *txn_ud;
};

static bool owns(const Changelog *c, int task)
{
    if (c->owned == NULL)
        return true;
    for (int i = 0; i < c->nowned; i++)
        if (c->owned[i] == task)
            return true;
    return false;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        EDDY_PANIC("out of memory");
    return d;
}

static void cl_log(Changelog *c, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cl_log(Changelog *c, int level, const char *fmt, ...)
{
    if (c->t->log == NULL)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->t->log(c->t->log_ud, level, msg);
}

/* The topic of store `store` ("<qid>.<name>"), added if new. */
static ClTopic *topic_of(Changelog *c, const char *store)
{
    for (int i = 0; i < c->ntopics; i++)
        if (strcmp(c->topics[i].store, store) == 0)
            return &c->topics[i];
    c->topics = realloc(c->topics, sizeof *c->topics * (size_t)(c->ntopics + 1));
    if (c->topics == NULL)
        EDDY_PANIC("out of memory");
    ClTopic *ct = &c->topics[c->ntopics++];
    const char *name = store + strlen(c->qid) + 1;
    size_t n = strlen(c->prefix) + strlen(name) + 16;
    ct->topic = malloc(n);
    if (ct->topic == NULL)
        EDDY_PANIC("out of memory");
    snprintf(ct->topic, n, "%s%s-changelog", c->prefix, name);
    ct->store = xstrdup(store);
    ct->ensured = false;
    return ct;
}

static void frame(StrBuf *v, char type, int64_t epoch, int64_t seq)
{
    sb_reset(v);
    sb_putc(v, type);
    sb_put_be64(v, (uint64_t)epoch);
    sb_put_be64(v, (uint64_t)seq);
}

/* ---- reading a changelog ------------------------------------------------ */

typedef struct ClPart {          /* one non-empty partition of one topic */
    int topic;                   /* index into Changelog.topics */
    int32_t partition;
    int64_t low, high;
    int64_t reset_at;            /* log offset of its last counted reset; -1: none */
    int64_t done;                /* just past its last complete checkpoint record read
                                  * (mark_done); where the read began if none */
} ClPart;

typedef struct ClRecord {
    int part;                    /* index into the ClPart array */
    int64_t epoch, seq, offset;
    char *payload;
    size_t len;
} ClRecord;

typedef struct ClScan {
    ClPart *parts;
    int nparts;
    ClRecord *recs;
    int nrecs;
    int64_t sum_high;             /* of every partition: grows with every write */
    /* pass 2 */
    int64_t *epochs, *committed;  /* committed[i]: the last complete seq of epochs[i] */
    int32_t *pnums;               /* ... on partition number pnums[i]; -1: every partition */
    int nepochs;
} ClScan;

typedef int (*ClRecFn)(void *ud, int part, const TransportRecord *r);

/* Reads every listed partition from `from` (per part; NULL: its low
 * watermark) to its high watermark as of the scan, calling fn per record. */
static int read_parts(Changelog *c, ClScan *sc, const int64_t *from, ClRecFn fn, void *ud,
                      EddyError *err)
{
    /* next[i]: where part i's reading stands; done when at its end (offsets
     * may have gaps, so records are not counted). */
    int64_t *next = calloc((size_t)sc->nparts + 1, sizeof *next);
    if (next == NULL)
        EDDY_PANIC("out of memory");
    int rc = 0;
    for (int ti = 0; ti < c->ntopics && rc == 0; ti++) {
        TopicPartitionOffset *start = calloc((size_t)sc->nparts + 1, sizeof *start);
        int nstart = 0, behind = 0;
        for (int i = 0; i < sc->nparts; i++)
            if (sc->parts[i].topic == ti) {
                next[i] = from ? from[i] : sc->parts[i].low;
                start[nstart++] = (TopicPartitionOffset){c->topics[ti].topic,
                                                         sc->parts[i].partition, next[i]};
                behind += next[i] < sc->parts[i].high;
            }
        if (behind == 0) {
            free(start);
            continue;
        }
        const char *topics[1] = {c->topics[ti].topic};
        Consumer *con = c->t->ops->consumer_open(c->t, "eddy_changelog_restore", topics, 1,
                                                 RESET_EARLIEST, start, nstart, err);
        free(start);
        if (con == NULL) {
            rc = -1;
            break;
        }
        TransportRecord recs[500];
        int64_t last_ms = eddy_mono_ms();
        while (rc == 0 && behind > 0) {
            int k = c->t->ops->consumer_poll(con, recs, 500, 200, err);
            if (k < 0) {
                rc = -1;
                break;
            }
            if (k > 0)
                last_ms = eddy_mono_ms();
            else if (eddy_mono_ms() - last_ms > CL_READ_STALL_MS)
                rc = eddy_error(err, ERR_IO, (SrcPos){0},
                                "reading changelog %s: no record for %d s before its end",
                                c->topics[ti].topic, CL_READ_STALL_MS / 1000);
            for (int j = 0; j < k && rc == 0; j++) {
                int part = -1;
                for (int i = 0; i < sc->nparts && part < 0; i++)
                    if (sc->parts[i].topic == ti && sc->parts[i].partition == recs[j].partition)
                        part = i;
                if (part < 0 || recs[j].offset >= sc->parts[part].high ||
                    recs[j].offset < next[part])
                    continue;   /* written after the scan began, or not asked for */
                bool was_behind = next[part] < sc->parts[part].high;
                next[part] = recs[j].offset + 1;
                behind -= was_behind && next[part] >= sc->parts[part].high;
                rc = fn(ud, part, &recs[j]);
            }
        }
        c->t->ops->consumer_close(con);
    }
    free(next);
    return rc;
}

static bool valid_frame(const TransportRecord *r)
{
    return r->value && r->value_len >= CL_HEADER;
}

static int collect_records(void *ud, int part, const TransportRecord *r)
{
    ClScan *sc = ud;
    if (!valid_frame(r))
        return 0;
    const unsigned char *v = r->value;
    if (v[0] != 'C' && v[0] != 'R')
        return 0;
    sc->recs = realloc(sc->recs, sizeof *sc->recs * (size_t)(sc->nrecs + 1));
    if (sc->recs == NULL)
        EDDY_PANIC("out of memory");
    ClRecord *rec = &sc->recs[sc->nrecs++];
    rec->part = v[0] == 'C' ? part : -1 - part;   /* resets: negative */
    rec->epoch = (int64_t)be64_get(v + 1);
    rec->seq = (int64_t)be64_get(v + 9);
    rec->offset = r->offset;
    rec->len = r->value_len - CL_HEADER;
    rec->payload = malloc(rec->len + 1);
    if (rec->payload == NULL)
        EDDY_PANIC("out of memory");
    memcpy(rec->payload, v + CL_HEADER, rec->len);
    return 0;
}

/* The last complete sequence of epoch e for the task of partition number
 * pnum (0: none): of the whole checkpoint, or of that task's part of it. */
static int64_t committed_seq(const ClScan *sc, int64_t e, int32_t pnum)
{
    int64_t best = 0;
    for (int i = 0; i < sc->nepochs; i++)
        if (sc->epochs[i] == e && (sc->pnums[i] == -1 || sc->pnums[i] == pnum) &&
            sc->committed[i] > best)
            best = sc->committed[i];
    return best;
}

/* Whether the entry or record at part index `part` of epoch e, sequence s
 * counts. */
static bool counts(const ClScan *sc, int part, int64_t e, int64_t s)
{
    return s <= committed_seq(sc, e, sc->parts[part].partition);
}

static void set_committed(ClScan *sc, int64_t e, int32_t pnum, int64_t s)
{
    int at = -1;
    for (int i = 0; i < sc->nepochs && at < 0; i++)
        if (sc->epochs[i] == e && sc->pnums[i] == pnum)
            at = i;
    if (at < 0) {
        size_t n = (size_t)sc->nepochs + 1;
        sc->epochs = realloc(sc->epochs, sizeof(int64_t) * n);
        sc->committed = realloc(sc->committed, sizeof(int64_t) * n);
        sc->pnums = realloc(sc->pnums, sizeof(int32_t) * n);
        if (sc->epochs == NULL || sc->committed == NULL || sc->pnums == NULL)
            EDDY_PANIC("out of memory");
        at = sc->nepochs++;
        sc->epochs[at] = e;
        sc->pnums[at] = pnum;
        sc->committed[at] = 0;
    }
    if (s > sc->committed[at])
        sc->committed[at] = s;
}

/* The number of partitions a record says its checkpoint wrote records to
 * (0 for a payload too short), and whether that count is per task
 * (CL_PER_TASK: a member's records, one per store for its partition). */
static uint32_t record_parts(const ClRecord *r, bool *per_task)
{
    uint32_t v = r->len >= 12 ? be32_get(r->payload + 4) : 0;
    *per_task = (v & CL_PER_TASK) != 0;
    return v & ~CL_PER_TASK;
}

static int cmp_recs(const void *a, const void *b)
{
    const ClRecord *x = a, *y = b;
    if (x->epoch != y->epoch)
        return x->epoch < y->epoch ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->part < y->part ? -1 : x->part > y->part;
}

/* From the records: each epoch's last complete checkpoint (one whose
 * record is on as many partitions as it says it was written to: stores
 * opened later in a query's life make later checkpoints wider) and each
 * partition's last counted reset.  A member's records count per task
 * (CL_PER_TASK): its part of checkpoint (e, s) is complete when the record
 * is on that partition number of every store, whatever its other tasks
 * got written before it died. */
static void decide(ClScan *sc)
{
    if (sc->nrecs > 1)
        qsort(sc->recs, (size_t)sc->nrecs, sizeof *sc->recs, cmp_recs);
    for (int i = 0; i < sc->nrecs;) {
        int j = i;
        uint32_t seen = 0;
        for (; j < sc->nrecs && sc->recs[j].epoch == sc->recs[i].epoch &&
               sc->recs[j].seq == sc->recs[i].seq; j++)
            seen += sc->recs[j].part >= 0 &&
                    (j == i || sc->recs[j].part != sc->recs[j - 1].part);
        const ClRecord *r = &sc->recs[i];
        uint32_t want = 0;
        bool per_task = false;
        for (int k = i; k < j; k++)
            if (sc->recs[k].part >= 0)
                want = record_parts(&sc->recs[k], &per_task);
        if (want > 0 && !per_task && seen >= want)
            set_committed(sc, r->epoch, -1, r->seq);
        for (int k = i; k < j && want > 0 && per_task; k++) {
            if (sc->recs[k].part < 0)
                continue;
            /* Distinct parts (stores) with a record on this partition
             * number, counted at its first record. */
            int32_t pnum = sc->parts[sc->recs[k].part].partition;
            bool first = true;
            uint32_t stores = 0;
            for (int m = i; m < j; m++) {
                const ClRecord *o = &sc->recs[m];
                if (o->part < 0 || sc->parts[o->part].partition != pnum)
                    continue;
                if (m < k)
                    first = false;
                stores += m == i || o->part != sc->recs[m - 1].part;
            }
            if (first && stores >= want)
                set_committed(sc, r->epoch, pnum, r->seq);
        }
        i = j;
    }
    for (int p = 0; p < sc->nparts; p++)
        sc->parts[p].reset_at = -1;
    for (int k = 0; k < sc->nrecs; k++) {
        const ClRecord *r = &sc->recs[k];
        if (r->part < 0 && counts(sc, -1 - r->part, r->epoch, r->seq) &&
            r->offset > sc->parts[-1 - r->part].reset_at)
            sc->parts[-1 - r->part].reset_at = r->offset;
    }
}

/* Each partition's `done` (read from from[i], NULL: its low watermark):
 * just past its last complete checkpoint record read.  Every entry that
 * counts lies before it, since a checkpoint's record follows its entries
 * on each partition it writes; those after it wait for their checkpoint
 * to complete (it may, once a member's last record lands). */
static void mark_done(ClScan *sc, const int64_t *from)
{
    for (int i = 0; i < sc->nparts; i++)
        sc->parts[i].done = from ? from[i] : sc->parts[i].low;
    for (int k = 0; k < sc->nrecs; k++) {
        const ClRecord *r = &sc->recs[k];
        if (r->part >= 0 && counts(sc, r->part, r->epoch, r->seq) &&
            r->offset + 1 > sc->parts[r->part].done)
            sc->parts[r->part].done = r->offset + 1;
    }
}

/* The newest complete checkpoint: its epoch and sequence, or false. */
static bool target(const ClScan *sc, int64_t *epoch, int64_t *seq)
{
    bool found = false;
    for (int i = 0; i < sc->nepochs; i++)
        if (sc->committed[i] > 0 && (!found || sc->epochs[i] > *epoch)) {
            *epoch = sc->epochs[i];
            *seq = sc->committed[i];
            found = true;
        }
    return found;
}

static void scan_forget_records(ClScan *sc);

static void scan_free(ClScan *sc)
{
    scan_forget_records(sc);
    free(sc->parts);
    memset(sc, 0, sizeof *sc);
}

/* The query's changelog topics (from the cluster's list) and their
 * non-empty partitions with watermarks. */
static int scan_topics(Changelog *c, ClScan *sc, EddyError *err)
{
    char **names;
    int n = c->t->ops->list_topics(c->t, &names, err);
    if (n < 0)
        return -1;
    size_t plen = strlen(c->prefix), slen = strlen("-changelog");
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len > plen + slen && strncmp(names[i], c->prefix, plen) == 0 &&
            strcmp(names[i] + len - slen, "-changelog") == 0) {
            char store[1024];
            snprintf(store, sizeof store, "%s.%.*s", c->qid, (int)(len - plen - slen),
                     names[i] + plen);
            topic_of(c, store)->ensured = true;
        }
    }
    transport_free_names(names, n);
    for (int ti = 0; ti < c->ntopics; ti++) {
        int64_t *low, *high;
        int np = c->t->ops->watermarks(c->t, c->topics[ti].topic, &low, &high, err);
        if (np < 0)
            return -1;
        for (int p = 0; p < np; p++) {
            sc->sum_high += high[p];
            if (high[p] <= 0)
                continue;   /* never written: a partition beyond the query's tasks */
            sc->parts = realloc(sc->parts, sizeof *sc->parts * (size_t)(sc->nparts + 1));
            if (sc->parts == NULL)
                EDDY_PANIC("out of memory");
            sc->parts[sc->nparts++] = (ClPart){ti, p, low[p], high[p], -1, low[p]};
        }
        free(low);
        free(high);
    }
    return 0;
}

/* ---- restoring ---------------------------------------------------------- */

typedef struct ClApply {
    Changelog *c;
    ClScan *sc;
    struct StateDb *tmp;
    EddyError *err;
    int64_t applied;
    int64_t bytes;                /* keys and values read (restore figures) */
} ClApply;

static int apply_entry(void *ud, int part, const TransportRecord *r)
{
    ClApply *a = ud;
    a->bytes += (int64_t)(r->key_len + r->value_len);
    if (!valid_frame(r))
        return 0;
    const unsigned char *v = r->value;
    if ((v[0] != 'P' && v[0] != 'D') || r->key == NULL ||
        r->offset <= a->sc->parts[part].reset_at)
        return 0;
    int64_t e = (int64_t)be64_get(v + 1), s = (int64_t)be64_get(v + 9);
    if (!counts(a->sc, part, e, s))
        return 0;   /* of a checkpoint that did not complete */
    Store *st = statedb_store(a->tmp, a->c->topics[a->sc->parts[part].topic].store, a->err);
    if (st == NULL)
        return -1;
    if (v[0] == 'P')
        store_put(st, r->key, r->key_len, v + CL_HEADER, r->value_len - CL_HEADER);
    else
        store_delete(st, r->key, r->key_len);
    a->applied++;
    /* Dirty entries are never evicted: write them out as they pile up. */
    if (statedb_cache_full(a->tmp) && statedb_checkpoint(a->tmp, NULL, NULL, 0, a->err) != 0)
        return -1;
    return 0;
}

/* Where each task's inputs start: the offsets the last complete record
 * (in log order, at or past from[part] if from) on its partition carries
 * -- on the first store topic that has one.  With one writer every partition's last complete record is the
 * same checkpoint's; with several members (assigned mode) each partition's
 * is its last owner's.  *ntasks from the records. */
static int target_offsets(const ClScan *sc, const int64_t *from, TopicPartitionOffset **out,
                          int *n, int *ntasks)
{
    *out = NULL;
    *n = 0;
    *ntasks = 1;
    /* best[i]: the record index of part i's last complete record, -1 none */
    int *best = malloc(sizeof(int) * ((size_t)sc->nparts + 1));
    if (best == NULL)
        EDDY_PANIC("out of memory");
    for (int i = 0; i < sc->nparts; i++)
        best[i] = -1;
    for (int k = 0; k < sc->nrecs; k++) {
        const ClRecord *r = &sc->recs[k];
        if (r->part < 0 || !counts(sc, r->part, r->epoch, r->seq) || r->len < 12 ||
            (from && r->offset < from[r->part]))
            continue;
        if (best[r->part] < 0 || sc->recs[best[r->part]].offset < r->offset)
            best[r->part] = k;
    }
    for (int i = 0; i < sc->nparts; i++) {
        if (best[i] < 0)
            continue;
        bool earlier = false;   /* partition number taken from an earlier topic */
        for (int j = 0; j < sc->nparts && !earlier; j++)
            earlier = best[j] >= 0 && sc->parts[j].partition == sc->parts[i].partition &&
                      sc->parts[j].topic < sc->parts[i].topic;
        if (earlier)
            continue;
        const ClRecord *r = &sc->recs[best[i]];
        const unsigned char *p = (const unsigned char *)r->payload, *end = p + r->len;
        *ntasks = (int)be32_get(p);
        uint32_t cnt = be32_get(p + 8);
        p += 12;
        for (uint32_t j = 0; j < cnt && p + 2 <= end; j++) {
            size_t tl = (size_t)p[0] << 8 | p[1];
            if (p + 2 + tl + 12 > end)
                break;
            *out = realloc(*out, sizeof **out * (size_t)(*n + 1));
            if (*out == NULL)
                EDDY_PANIC("out of memory");
            char *topic_name = strndup((const char *)p + 2, tl);
            if (topic_name == NULL)
                EDDY_PANIC("out of memory");
            p += 2 + tl;
            (*out)[(*n)++] = (TopicPartitionOffset){topic_name, (int32_t)be32_get(p),
                                                    (int64_t)be64_get(p + 4)};
            p += 12;
        }
    }
    free(best);
    return 0;
}

static void tmp_dir(const Changelog *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s/changelog-restore-%s", c->work_dir, c->qid);
}

/* A member's positions (Changelog.base) from a read of the changelog. */
static void keep_base(Changelog *c, const ClScan *sc)
{
    free(c->base);
    c->base = calloc((size_t)sc->nparts + 1, sizeof *c->base);
    if (c->base == NULL)
        EDDY_PANIC("out of memory");
    for (int i = 0; i < sc->nparts; i++)
        c->base[i] = (TopicPartitionOffset){c->topics[sc->parts[i].topic].topic,
                                            sc->parts[i].partition, sc->parts[i].done};
    c->nbase = sc->nparts;
}

/* Where db's state now stands after a restore from the whole changelog:
 * past everything the scan saw (one writer, who is gone), or for a member
 * (other members write on) past each partition's last complete checkpoint
 * record. */
static int save_positions(Changelog *c, struct StateDb *db, const ClScan *sc, EddyError *err)
{
    TopicPartitionOffset *pos = calloc((size_t)sc->nparts + 1, sizeof *pos);
    for (int i = 0; i < sc->nparts; i++)
        pos[i] = (TopicPartitionOffset){c->topics[sc->parts[i].topic].topic,
                                        sc->parts[i].partition,
                                        c->shared ? sc->parts[i].done : sc->parts[i].high};
    int rc = statedb_reset_offsets(db, c->scope, pos, sc->nparts, 0, err);
    free(pos);
    if (rc == 0 && c->shared)
        keep_base(c, sc);
    return rc;
}

/* Rebuilds qid's state from the whole changelog (ClScan read and decided)
 * into a temporary database, then puts it in place. */
static int full_restore(Changelog *c, struct StateDb *db, ClScan *sc, EddyError *err)
{
    int64_t e, s;
    if (!target(sc, &e, &s))
        return 0;
    /* Records the broker no longer keeps are not needed when they come
     * before a counted reset. */
    for (int i = 0; i < sc->nparts; i++)
        if (sc->parts[i].low > 0 && sc->parts[i].reset_at < sc->parts[i].low)
            return eddy_error(err, ERR_IO, (SrcPos){0},
                              "changelog %s partition %d no longer holds its oldest records "
                              "(they start at offset %lld, after its last complete rewrite): "
                              "the state of query %s cannot be restored exactly from it; "
                              "restore the state directory, or REPLAY QUERY %s FROM "
                              "BEGINNING WITH EMPTY STATE",
                              c->topics[sc->parts[i].topic].topic, sc->parts[i].partition,
                              (long long)sc->parts[i].low, c->qid, c->qid);
    int64_t t0 = eddy_mono_ms();
    char dir[4200];
    tmp_dir(c, dir, sizeof dir);
    if (statedb_drop_snapshot(db, dir, err) != 0)
        return -1;
    StateDb *tmp = statedb_open(dir, STATEDB_DEFAULT_CACHE_BYTES, err);
    if (tmp == NULL)
        return -1;
    ClApply a = {c, sc, tmp, err, 0, 0};
    TopicPartitionOffset *offs;
    int n, ntasks;
    target_offsets(sc, NULL, &offs, &n, &ntasks);
    const char **scopes = calloc((size_t)n + 1, sizeof *scopes);
    for (int i = 0; i < n; i++)
        scopes[i] = c->qid;
    int rc = read_parts(c, sc, NULL, apply_entry, &a, err);
    /* Every store of the query, even one without a counted entry. */
    for (int i = 0; i < c->ntopics && rc == 0; i++)
        rc = statedb_store(tmp, c->topics[i].store, err) ? 0 : -1;
    int64_t at = 0;
    for (int i = 0; i < n; i++)
        at += offs[i].offset;
    if (rc == 0)
        rc = statedb_checkpoint(tmp, scopes, offs, n, err);
    if (rc == 0 && ntasks > 1)
        rc = statedb_write_tasks(tmp, c->qid, ntasks, err);
    statedb_close(tmp);
    free(scopes);
    statedb_free_offsets(offs, n);
    if (rc == 0)
        rc = statedb_restore_scope(db, dir, c->qid, err);
    if (rc == 0)
        rc = save_positions(c, db, sc, err);
    if (rc == 0)
        rc = statedb_drop_snapshot(db, dir, err);
    if (rc == 0) {
        double took = (double)(eddy_mono_ms() - t0) / 1000.0, mb = (double)a.bytes / 1e6;
        cl_log(c, 0, "query %s: state restored from its changelog (checkpoint %lld.%lld, "
                     "%lld entries, %d task%s, inputs at %lld records in %d partitions) in "
                     "%.2f s: %.2f MB read, %.3f s per MB", c->qid, (long long)e, (long long)s,
               (long long)a.applied, ntasks, ntasks == 1 ? "" : "s", (long long)at, n, took, mb,
               mb > 0 ? took / mb : 0.0);
    }
    return rc;
}

/* Whether the partitions past db's recorded positions hold a checkpoint
 * record: then db is behind the changelog (died between the two writes). */
static int tail_has_record(void *ud, int part, const TransportRecord *r)
{
    (void)part;
    bool *found = ud;
    if (valid_frame(r) && ((const unsigned char *)r->value)[0] == 'C')
        *found = true;
    return 0;
}

/* Where db says its state stands in each partition; false when it lacks
 * one (or a partition is shorter than recorded: a changelog recreated). */
static bool local_positions(Changelog *c, struct StateDb *db, const ClScan *sc, int64_t *from,
                            EddyError *err, int *rc)
{
    TopicPartitionOffset *pos;
    int n;
    *rc = statedb_read_offsets(db, c->scope, &pos, &n, err);
    if (*rc != 0)
        return false;
    bool all = true;
    for (int i = 0; i < sc->nparts && all; i++) {
        bool hit = false;
        for (int j = 0; j < n && !hit; j++)
            if (pos[j].partition == sc->parts[i].partition &&
                strcmp(pos[j].topic, c->topics[sc->parts[i].topic].topic) == 0) {
                hit = pos[j].offset <= sc->parts[i].high && pos[j].offset >= sc->parts[i].low;
                from[i] = pos[j].offset;
            }
        all = hit;
    }
    statedb_free_offsets(pos, n);
    return all;
}

/* Deletes view `task` of st (its keys with the task's 4-byte prefix). */
static int clear_view(Store *st, int task, EddyError *err)
{
    unsigned char lo[4], hi[4];
    be32_put(lo, (uint32_t)task);
    be32_put(hi, (uint32_t)task + 1);
    StrBuf keys;   /* each key: length (4), bytes */
    sb_init(&keys);
    StoreIter *it = store_iter(st, lo, 4, hi, 4);
    const void *k, *v;
    size_t kl, vl;
    while (store_iter_next(it, &k, &kl, &v, &vl)) {
        unsigned char b[4];
        be32_put(b, (uint32_t)kl);
        sb_append(&keys, (const char *)b, 4);
        sb_append(&keys, k, kl);
    }
    int rc = store_iter_error(it, err);
    store_iter_close(it);
    for (size_t at = 0; rc == 0 && at + 4 <= keys.len;) {
        size_t len = be32_get(keys.data + at);
        store_delete(st, keys.data + at + 4, len);
        at += 4 + len;
    }
    sb_free(&keys);
    return rc;
}

/* Forgets what a read of sc collected (its partitions stay). */
static void scan_forget_records(ClScan *sc)
{
    for (int i = 0; i < sc->nrecs; i++)
        free(sc->recs[i].payload);
    free(sc->recs);
    free(sc->epochs);
    free(sc->committed);
    free(sc->pnums);
    sc->recs = NULL;
    sc->epochs = sc->committed = NULL;
    sc->pnums = NULL;
    sc->nrecs = sc->nepochs = 0;   /* reset_at: decide sets it again */
}

/* A member's restore on top of its own state: the changelog past its
 * positions (from[i] per partition: past the last complete checkpoint it
 * applied) read, decided and applied in place, then the tasks whose
 * partitions have a newer complete checkpoint take its offsets, and the
 * new positions are written with the state in one checkpoint.  A cut-short
 * tail restore is simply done again: entries are whole values (deletes
 * too), so the changelog applied again from an earlier point gives the
 * same state.  0, 1 when the tail cannot be applied here (its records name
 * another task count: a full restore then), -1 with err. */
static int tail_restore(Changelog *c, struct StateDb *db, ClScan *sc, const int64_t *from,
                        bool quiet, EddyError *err)
{
    int64_t t0 = eddy_mono_ms();
    if (read_parts(c, sc, from, collect_records, sc, err) != 0)
        return -1;
    decide(sc);
    mark_done(sc, from);
    TopicPartitionOffset *offs;
    int n, ntasks, local_tasks = 0;
    target_offsets(sc, from, &offs, &n, &ntasks);
    int rc = statedb_read_tasks(db, c->qid, &local_tasks, err);
    if (rc == 0 && n > 0 && ntasks != (local_tasks > 0 ? local_tasks : 1)) {
        statedb_free_offsets(offs, n);
        return 1;
    }
    /* A counted reset in the tail: the view is written whole after it. */
    for (int i = 0; i < sc->nparts && rc == 0; i++) {
        if (sc->parts[i].reset_at < from[i])
            continue;
        Store *st = statedb_store(db, c->topics[sc->parts[i].topic].store, err);
        rc = st ? clear_view(st, sc->parts[i].partition, err) : -1;
    }
    ClApply a = {c, sc, db, err, 0, 0};
    if (rc == 0)
        rc = read_parts(c, sc, from, apply_entry, &a, err);
    int total = n + sc->nparts;
    const char **scopes = calloc((size_t)total + 1, sizeof *scopes);
    TopicPartitionOffset *all = calloc((size_t)total + 1, sizeof *all);
    if (scopes == NULL || all == NULL)
        EDDY_PANIC("out of memory");
    for (int i = 0; i < n; i++) {
        scopes[i] = c->qid;
        all[i] = offs[i];
    }
    int64_t behind = 0;
    int moved = 0;   /* tasks with a newer complete checkpoint */
    for (int i = 0; i < n; i++) {
        bool again = false;
        for (int j = 0; j < i && !again; j++)
            again = offs[j].partition % ntasks == offs[i].partition % ntasks;
        moved += !again;
    }
    for (int i = 0; i < sc->nparts; i++) {
        scopes[n + i] = c->scope;
        all[n + i] = (TopicPartitionOffset){c->topics[sc->parts[i].topic].topic,
                                            sc->parts[i].partition, sc->parts[i].done};
        behind += sc->parts[i].high - from[i];
    }
    if (rc == 0)
        rc = statedb_checkpoint(db, scopes, all, total, err);
    free(scopes);
    free(all);
    statedb_free_offsets(offs, n);
    if (rc != 0)
        return -1;
    keep_base(c, sc);
    c->tail_records += behind;
    c->tail_bytes += a.bytes;
    if (quiet)
        return 0;
    double took = (double)(eddy_mono_ms() - t0) / 1000.0, mb = (double)a.bytes / 1e6;
    cl_log(c, 0, "query %s: state brought up to date from its changelog's tail (%lld records "
                 "past this member's positions, %lld entries applied, %d task%s moved on) in "
                 "%.2f s: %.2f MB read", c->qid, (long long)behind, (long long)a.applied, moved,
           moved == 1 ? "" : "s", took, mb);
    return 0;
}

static int prepare(Changelog *c, struct StateDb *db, EddyError *err)
{
    char dir[4200];
    tmp_dir(c, dir, sizeof dir);
    StrBuf pending;
    sb_init(&pending);
    int p = statedb_restore_pending(db, c->qid, &pending, err);
    sb_free(&pending);
    if (p < 0)
        return -1;
    ClScan sc = {0};
    int rc = scan_topics(c, &sc, err);
    /* Members of an application may start at the same moment (the same
     * end offsets): random low bits keep their epochs apart, the high
     * ones still grow with every record written. */
    uint16_t salt = 0;
    if (getrandom(&salt, sizeof salt, 0) != (ssize_t)sizeof salt)
        salt = (uint16_t)(getpid() ^ eddy_mono_ms());
    c->epoch = (sc.sum_high + 1) * 65536 + salt;
    struct stat st;
    bool finished = false;
    if (rc == 0 && p == 1 && stat(dir, &st) == 0) {
        finished = true;
        /* A restore of ours cut short (another one, a REPLAY's, is the
         * engine's to finish): its database is complete (it is only put in
         * place once built); finish it. */
        cl_log(c, 1, "query %s: finishing its restore from the changelog", c->qid);
        rc = statedb_restore_scope(db, dir, c->qid, err);
        if (rc == 0)
            rc = save_positions(c, db, &sc, err);
    }
    if (rc == 0)
        rc = statedb_drop_snapshot(db, dir, err);
    TopicPartitionOffset *local = NULL;
    int nlocal = 0;
    if (rc == 0)
        rc = statedb_read_offsets(db, c->qid, &local, &nlocal, err);
    statedb_free_offsets(local, nlocal);
    int64_t *from = calloc((size_t)sc.nparts + 1, sizeof *from);
    bool restore = false;
    if (rc == 0 && c->shared && sc.nparts > 0) {
        /* A member of an application: its positions say where its state
         * stands in each partition, the ones it did not own included (past
         * the last complete checkpoint it applied there), so the tail past
         * them is all it reads.  Without state, without a position for a
         * partition (or one the broker no longer keeps), or after a
         * restore finished above (its positions are the scan's), the
         * state comes from the changelog whole. */
        int t = 1;
        if (nlocal > 0 && !finished && local_positions(c, db, &sc, from, err, &rc))
            t = tail_restore(c, db, &sc, from, false, err);
        if (t < 0)
            rc = -1;
        restore = rc == 0 && t == 1;
        if (restore)
            scan_forget_records(&sc);
    } else if (rc == 0 && nlocal > 0 && sc.nparts > 0) {
        if (local_positions(c, db, &sc, from, err, &rc)) {
            bool found = false;
            rc = read_parts(c, &sc, from, tail_has_record, &found, err);
            restore = found;
        } else if (rc == 0) {
            /* Local state the changelog does not know: from before
             * service.id was set, or redefined by a REPLAY
             * (changelog_forget).  It is consistent with its own offsets:
             * the changelog is made to equal it. */
            c->dump_next = true;
        }
    } else if (rc == 0 && nlocal == 0) {
        restore = sc.nparts > 0;
    }
    if (rc == 0 && restore) {
        rc = read_parts(c, &sc, NULL, collect_records, &sc, err);
        if (rc == 0) {
            decide(&sc);
            mark_done(&sc, NULL);
            int64_t e, s;
            if (target(&sc, &e, &s))
                rc = full_restore(c, db, &sc, err);
            else
                c->dump_next = nlocal > 0;
        }
    } else if (rc == 0 && nlocal > 0 && sc.nparts == 0) {
        c->dump_next = true;   /* state from before changelogs were on */
    }
    /* What was written after the last reset: known after a full read,
     * else (the fast path) at most what the broker keeps. */
    for (int i = 0; i < sc.nparts; i++) {
        int64_t from_at = sc.parts[i].reset_at >= sc.parts[i].low ? sc.parts[i].reset_at
                                                                    : sc.parts[i].low;
        c->since_reset += sc.parts[i].high - from_at;
    }
    free(from);
    scan_free(&sc);
    return rc;
}

static Changelog *open_changelog(Transport *t, struct StateDb *db, const char *service,
                                 const char *qid, const char *work_dir, bool shared,
                                 EddyError *err);

Changelog *changelog_open(Transport *t, struct StateDb *db, const char *service, const char *qid,
                          const char *work_dir, EddyError *err)
{
    return open_changelog(t, db, service, qid, work_dir, false, err);
}

Changelog *changelog_open_member(Transport *t, struct StateDb *db, const char *service,
                                 const char *qid, const char *work_dir, EddyError *err)
{
    return open_changelog(t, db, service, qid, work_dir, true, err);
}

static Changelog *open_changelog(Transport *t, struct StateDb *db, const char *service,
                                 const char *qid, const char *work_dir, bool shared,
                                 EddyError *err)
{
    Changelog *c = calloc(1, sizeof *c);
    if (c == NULL)
        EDDY_PANIC("out of memory");
    c->t = t;
    c->shared = shared;
    c->service = xstrdup(service);
    c->qid = xstrdup(qid);
    c->work_dir = xstrdup(work_dir);
    size_t n = strlen(qid) + strlen(service) + 16;
    c->scope = malloc(n);
    c->prefix = malloc(n);
    if (c->scope == NULL || c->prefix == NULL)
        EDDY_PANIC("out of memory");
    snprintf(c->scope, n, "%s" CHANGELOG_SCOPE_SUFFIX, qid);
    snprintf(c->prefix, n, "%s-%s-", service, qid);
    if (prepare(c, db, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        eddy_error(err, err->kind ? err->kind : ERR_IO, (SrcPos){0}, "changelog of query %s: %s", qid,
                   msg);
        changelog_close(c);
        return NULL;
    }
    return c;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct ClWrite {
    Changelog *c;
    int ntasks;
    StrBuf v;
    EddyError *err;
    int64_t entries;
} ClWrite;

static int produce(ClWrite *w, ClTopic *ct, int32_t partition, const void *key, size_t klen)
{
    if (w->c->txn_produce)   /* exactly-once: into task `partition`'s transaction */
        return w->c->txn_produce(w->c->txn_ud, partition, ct->topic, partition, key, klen,
                                 w->v.data, w->v.len, w->err);
    return w->c->t->ops->produce(w->c->t, ct->topic, partition, key, klen, w->v.data, w->v.len,
                                 -1, w->err);
}

static int32_t partition_of(const ClWrite *w, int task, const void *key, size_t klen)
{
    if (task >= 0)
        return task;
    /* A whole store's key of a split query's state (written whole below):
     * its prefix names the task. */
    return w->ntasks > 1 && klen >= 4 ? (int32_t)(be32_get(key) % (uint32_t)w->ntasks) : 0;
}

static int ensure(ClWrite *w, ClTopic *ct)
{
    if (ct->ensured)
        return 0;
    int np = w->c->t->ops->topic_ensure(w->c->t, ct->topic, w->ntasks, 1, w->err);
    if (np < 0)
        return -1;
    if (np > 0 && np < w->ntasks)
        return eddy_error(w->err, ERR_IO, (SrcPos){0},
                          "changelog %s has %d partitions; the query runs %d tasks", ct->topic,
                          np, w->ntasks);
    ct->ensured = true;
    return 0;
}

static int note_store(void *ud, const char *store, int task, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    ClWrite *w = ud;
    ClTopic *ct = topic_of(w->c, store);
    if (key == NULL)
        return ensure(w, ct);
    if (!owns(w->c, partition_of(w, task, key, klen)))
        return 0;
    frame(&w->v, val ? 'P' : 'D', w->c->epoch, w->c->seq);
    if (val)
        sb_append(&w->v, val, vlen);
    w->entries++;
    return produce(w, ct, partition_of(w, task, key, klen), key, klen);
}

/* Every store written whole after a reset on each partition (local state
 * from before changelogs were on). */
static int dump(ClWrite *w, struct StateDb *db)
{
    for (int i = 0; i < w->c->ntopics; i++) {
        ClTopic *ct = &w->c->topics[i];
        frame(&w->v, 'R', w->c->epoch, w->c->seq);
        for (int p = 0; p < w->ntasks; p++)
            if (owns(w->c, p) && produce(w, ct, p, CL_RESET_KEY, CL_KEY_LEN(CL_RESET_KEY)) != 0)
                return -1;
        Store *s = statedb_store(db, ct->store, w->err);
        if (s == NULL)
            return -1;
        StoreIter *it = store_iter(s, NULL, 0, NULL, 0);
        const void *k, *v;
        size_t kl, vl;
        int rc = 0;
        while (rc == 0 && store_iter_next(it, &k, &kl, &v, &vl)) {
            if (!owns(w->c, partition_of(w, -1, k, kl)))
                continue;   /* another member's task (assigned mode) */
            frame(&w->v, 'P', w->c->epoch, w->c->seq);
            sb_append(&w->v, v, vl);
            w->entries++;
            rc = produce(w, ct, partition_of(w, -1, k, kl), k, kl);
        }
        if (rc == 0)
            rc = store_iter_error(it, w->err);
        store_iter_close(it);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void record_payload(StrBuf *v, int task, int ntasks, uint32_t nparts,
                           const TopicPartitionOffset *offs, int n)
{
    unsigned char b[12];
    uint32_t cnt = 0;
    for (int i = 0; i < n; i++)
        cnt += offs[i].partition % ntasks == task;
    be32_put(b, (uint32_t)ntasks);
    be32_put(b + 4, nparts);
    be32_put(b + 8, cnt);
    sb_append(v, (const char *)b, 12);
    for (int i = 0; i < n; i++) {
        if (offs[i].partition % ntasks != task)
            continue;
        size_t tl = strlen(offs[i].topic);
        sb_putc(v, (char)(tl >> 8));
        sb_putc(v, (char)tl);
        sb_append(v, offs[i].topic, tl);
        be32_put(b, (uint32_t)offs[i].partition);
        sb_append(v, (const char *)b, 4);
        sb_put_be64(v, (uint64_t)offs[i].offset);
    }
}

/* Every record so far on the broker.  Under exactly-once, before the
 * checkpoint records (records_next), each task's producer is flushed: the
 * commits would deliver it all at once, but records of different
 * partitions land in any order, and the development broker shows a
 * killed member's open transaction -- a task's records there must then
 * mean its output and entries are there too (counted per task, they
 * would otherwise make a cut its output never reached).  After them the
 * commits deliver. */
static int deliver(Changelog *c, bool records_next, EddyError *err)
{
    if (c->txn_produce) {
        for (int p = 0; records_next && c->txn_flush && c->owned && p < c->nowned; p++)
            c->txn_flush(c->txn_ud, c->owned[p]);
        return 0;
    }
    int rc = c->t->ops->flush(c->t, 60000, err);
    return rc == 0 ? 0 : -1;
}

static bool same_offsets(const Changelog *c, const TopicPartitionOffset *offs, int n)
{
    if (n != c->nlast)
        return false;
    for (int i = 0; i < n; i++)
        if (offs[i].partition != c->last[i].partition || offs[i].offset != c->last[i].offset ||
            strcmp(offs[i].topic, c->last_topics[i]) != 0)
            return false;
    return true;
}

static void keep_offsets(Changelog *c, const TopicPartitionOffset *offs, int n)
{
    for (int i = 0; i < c->nlast; i++)
        free(c->last_topics[i]);
    free(c->last_topics);
    free(c->last);
    c->last = calloc((size_t)n + 1, sizeof *c->last);
    c->last_topics = calloc((size_t)n + 1, sizeof *c->last_topics);
    if (c->last == NULL || c->last_topics == NULL)
        EDDY_PANIC("out of memory");
    for (int i = 0; i < n; i++) {
        c->last[i] = offs[i];
        c->last_topics[i] = xstrdup(offs[i].topic);
    }
    c->nlast = n;
}

/* A member's position in partition p of ct it does not own: where its
 * last restore left it (0: never read, so all of it is still to apply). */
static int64_t base_at(const Changelog *c, const ClTopic *ct, int p)
{
    for (int i = 0; i < c->nbase; i++)
        if (c->base[i].partition == p && c->base[i].topic == ct->topic)
            return c->base[i].offset;
    return 0;
}

/* After it: a member's positions are past its own records on the
 * partitions it owns (it alone writes them) and its restore's on the
 * others (changelog.h). */
int changelog_write(Changelog *c, struct StateDb *db, int ntasks, const TopicPartitionOffset *offs,
                    int n, const TopicPartitionOffset **pos, int *npos, EddyError *err)
{
    ClWrite w = {c, ntasks > 0 ? ntasks : 1, {0}, err, 0};
    if (c->owned && c->nowned == 0) {
        *pos = c->pos;   /* a member holding no task writes nothing */
        *npos = c->npos;
        return 0;
    }
    if (c->pos && !c->dump_next && !statedb_scope_has_dirty(db, c->qid) && same_offsets(c, offs, n)) {
        *pos = c->pos;   /* nothing new: the last record still says it all */
        *npos = c->npos;
        return 0;
    }
    int64_t bound = 2 * c->last_dump > CL_REWRITE_RECORDS ? 2 * c->last_dump : CL_REWRITE_RECORDS;
    if (c->since_reset > bound)
        c->dump_next = true;
    sb_init(&w.v);
    c->seq++;
    int rc = statedb_scope_dirty(db, c->qid, false, note_store, &w);
    bool dumped = c->dump_next && c->ntopics > 0;   /* a query without stores has nothing */
    if (rc == 0 && dumped) {
        rc = dump(&w, db);
        cl_log(c, 0, "query %s: its state written whole to its changelog (%lld entries, "
                     "%lld records since the last time)", c->qid, (long long)w.entries,
               (long long)c->since_reset);
        c->last_dump = w.entries;
        c->since_reset = 0;
    }
    if (rc == 0)
        rc = statedb_scope_dirty(db, c->qid, true, note_store, &w);
    if (rc == 0 && c->ntopics == 0) {
        c->dump_next = false;
        sb_free(&w.v);
        *pos = NULL;   /* a query without stores */
        *npos = 0;
        return 0;
    }
    if (rc == 0)
        rc = deliver(c, true, err);
    /* The records, once every entry is delivered. */
    for (int i = 0; i < c->ntopics && rc == 0; i++)
        for (int p = 0; p < w.ntasks && rc == 0; p++) {
            if (!owns(c, p))
                continue;
            frame(&w.v, 'C', c->epoch, c->seq);
            /* A member's tasks are independent (partition-local, or joined
             * through a repartition topic that drops what it counted
             * already), so each task's part of the checkpoint counts by
             * itself: a member killed between two of its tasks' writes (or
             * transactions) loses only the tasks it had not written. */
            record_payload(&w.v, p, w.ntasks,
                           c->owned ? (uint32_t)c->ntopics | CL_PER_TASK
                                    : (uint32_t)(c->ntopics * w.ntasks),
                           offs, n);
            rc = produce(&w, &c->topics[i], p, CL_RECORD_KEY, CL_KEY_LEN(CL_RECORD_KEY));
        }
    if (rc == 0)
        rc = deliver(c, false, err);
    sb_free(&w.v);
    free(c->pos);
    c->pos = NULL;
    c->npos = 0;
    for (int i = 0; i < c->ntopics && rc == 0; i++) {
        int64_t *low, *high;
        int np = c->t->ops->watermarks(c->t, c->topics[i].topic, &low, &high, err);
        if (np < 0) {
            rc = -1;
            break;
        }
        c->pos = realloc(c->pos, sizeof *c->pos * (size_t)(c->npos + np + 1));
        if (c->pos == NULL)
            EDDY_PANIC("out of memory");
        for (int p = 0; p < np && p < w.ntasks; p++)
            c->pos[c->npos++] = (TopicPartitionOffset){c->topics[i].topic, p,
                                                       owns(c, p) ? high[p]
                                                                  : base_at(c, &c->topics[i], p)};
        free(low);
        free(high);
    }
    if (rc != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return eddy_error(err, err->kind ? err->kind : ERR_IO, (SrcPos){0},
                          "writing the changelog of query %s: %s", c->qid, msg);
    }
    c->dump_next = false;
    c->since_reset += w.entries + (int64_t)c->ntopics * w.ntasks;
    keep_offsets(c, offs, n);
    *pos = c->pos;
    *npos = c->npos;
    return 1;
}

const char *changelog_scope(const Changelog *c)
{
    return c->scope;
}

int changelog_forget(struct StateDb *db, const char *qid, EddyError *err)
{
    char scope[1100];
    snprintf(scope, sizeof scope, "%s" CHANGELOG_SCOPE_SUFFIX, qid);
    TopicPartitionOffset *pos;
    int n;
    if (statedb_read_offsets(db, scope, &pos, &n, err) != 0)
        return -1;
    statedb_free_offsets(pos, n);
    /* Nothing to forget without a changelog: no write at all then. */
    return n > 0 ? statedb_delete_offsets(db, scope, err) : 0;
}

void changelog_close(Changelog *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->ntopics; i++) {
        free(c->topics[i].topic);
        free(c->topics[i].store);
    }
    free(c->topics);
    free(c->pos);
    free(c->base);
    keep_offsets(c, NULL, 0);
    free(c->last);
    free(c->last_topics);
    free(c->service);
    free(c->qid);
    free(c->scope);
    free(c->prefix);
    free(c->work_dir);
    free(c->owned);
    free(c);
}

void changelog_set_producer(Changelog *c, ChangelogProduceFn fn, ChangelogFlushFn flush,
                            void *ud)
{
    c->txn_produce = fn;
    c->txn_flush = flush;
    c->txn_ud = ud;
}

int changelog_catch_up(Changelog *c, struct StateDb *db, EddyError *err)
{
    if (!c->shared || c->owned == NULL)
        return 0;   /* not a member of an application */
    ClScan sc = {0};
    int rc = scan_topics(c, &sc, err);
    int64_t *from = calloc((size_t)sc.nparts + 1, sizeof *from);
    if (from == NULL)
        EDDY_PANIC("out of memory");
    bool behind = false, lost = false;
    for (int i = 0; rc == 0 && i < sc.nparts; i++) {
        const ClPart *p = &sc.parts[i];
        from[i] = owns(c, p->partition) ? p->high : base_at(c, &c->topics[p->topic], p->partition);
        behind = behind || from[i] < p->high;
        lost = lost || from[i] < p->low;   /* the broker dropped what it needs */
    }
    int64_t before = c->tail_records;
    if (rc == 0 && behind && !lost) {
        int t = tail_restore(c, db, &sc, from, true, err);
        rc = t < 0 ? -1 : 0;
    }
    free(from);
    scan_free(&sc);
    if (rc != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return eddy_error(err, err->kind ? err->kind : ERR_IO, (SrcPos){0},
                          "keeping the standby copy of query %s: %s", c->qid, msg);
    }
    return (int)(c->tail_records - before > 0);
}

void changelog_tail_figures(const Changelog *c, int64_t *records, int64_t *bytes)
{
    *records = c->tail_records;
    *bytes = c->tail_bytes;
}

void changelog_set_owned(Changelog *c, const int *tasks, int n)
{
    free(c->owned);
    c->owned = calloc((size_t)n + 1, sizeof *c->owned);
    if (c->owned == NULL)
        EDDY_PANIC("out of memory");
    if (n > 0)
        memcpy(c->owned, tasks, sizeof *tasks * (size_t)n);
    c->nowned = n;
}
