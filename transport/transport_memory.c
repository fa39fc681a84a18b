/*
 * transport_memory.c - in-memory topics: the test runner's twin of Kafka.
 *
 * Deterministic: records keep produce order per partition; a consumer
 * polls partitions in ascending order and topics in subscription order.
 * Partitioning by key uses the same murmur2 hash as the Kafka transport
 * (Java's default partitioner), so a multi-partition test sees what Kafka
 * would do.  Committed offsets are kept per group.
 */
#include "eddy/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct MemRecord {
    TransportRecord rec;        /* pointers into the owned buffers below */
    char *key, *value;
} MemRecord;

typedef struct MemPartition {
    MemRecord *recs;
    int64_t n, cap;
} MemPartition;

typedef struct MemTopic {
    char *name;
    int npart;
    MemPartition *parts;
    TransportRecord *all;       /* every record in produce order (for the runner) */
    int64_t nall, capall;
} MemTopic;

typedef struct MemTransport {
    Transport base;
    int default_partitions;
    MemTopic **topics;
    int ntopics, captopics;
    const char **names;
    StrMap *commits;            /* "group\x1ftopic\x1fpartition" -> (int64 offset + 1) */
    int rr;                     /* round-robin counter for null keys */
} MemTransport;

typedef struct MemConsumer {
    MemTransport *t;
    char *group;
    char **topics;
    int ntopics;
    int64_t **pos;              /* pos[topic][partition] = next offset */
    int *npos;
    OffsetReset reset;
} MemConsumer;

static MemTopic *find_topic(MemTransport *t, const char *name)
{
    for (int i = 0; i < t->ntopics; i++)
        if (strcmp(t->topics[i]->name, name) == 0)
            return t->topics[i];
    return NULL;
}

static MemTopic *create_topic(MemTransport *t, const char *name, int partitions)
{
    MemTopic *mt = find_topic(t, name);
    if (mt)
        return mt;
    mt = calloc(1, sizeof *mt);
    mt->name = strdup(name);
    mt->npart = partitions > 0 ? partitions : t->default_partitions;
    mt->parts = calloc((size_t)mt->npart, sizeof(MemPartition));
    if (t->ntopics == t->captopics) {
        t->captopics = t->captopics ? t->captopics * 2 : 8;
        t->topics = realloc(t->topics, sizeof(MemTopic *) * (size_t)t->captopics);
        t->names = realloc(t->names, sizeof(char *) * (size_t)t->captopics);
    }
    t->names[t->ntopics] = mt->name;
    t->topics[t->ntopics++] = mt;
    return mt;
}

/* Kafka's murmur2 (as in the Java client), for key partitioning. */
static uint32_t murmur2(const void *data, size_t len)
{
    const uint32_t seed = 0x9747b28c, m = 0x5bd1e995;
    const int r = 24;
    uint32_t h = seed ^ (uint32_t)len;
    const unsigned char *p = data;
    while (len >= 4) {
        uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
        p += 4;
        len -= 4;
    }
    switch (len) {
    case 3: h ^= (uint32_t)p[2] << 16; /* fall through */
    case 2: h ^= (uint32_t)p[1] << 8;  /* fall through */
    case 1: h ^= p[0]; h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

static int mem_topic_ensure(Transport *t, const char *topic, int partitions, int replicas,
                            EddyError *err)
{
    return create_topic((MemTransport *)t, topic, partitions)->npart;
}

static int mem_topic_partitions(Transport *t, const char *topic)
{
    MemTopic *mt = find_topic((MemTransport *)t, topic);
    return mt ? mt->npart : -1;
}

static int mem_list_topics(Transport *t, char ***names, EddyError *err)
{
    MemTransport *mt = (MemTransport *)t;
    *names = calloc((size_t)mt->ntopics + 1, sizeof(char *));
    for (int i = 0; i < mt->ntopics; i++)
        (*names)[i] = strdup(mt->topics[i]->name);
    return mt->ntopics;
}

/* Nothing is ever dropped: low is 0, high the record count. */
static int mem_watermarks(Transport *t, const char *topic, int64_t **low, int64_t **high,
                          EddyError *err)
{
    MemTopic *mt = find_topic((MemTransport *)t, topic);
    *low = *high = NULL;
    if (mt == NULL)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "topic %s does not exist", topic);
    *low = calloc((size_t)mt->npart, sizeof **low);
    *high = calloc((size_t)mt->npart, sizeof **high);
    for (int p = 0; p < mt->npart; p++)
        (*high)[p] = mt->parts[p].n;
    return mt->npart;
}

/* Exact: the first record at or after the time, by a scan (timestamps in a
 * partition need not rise, and Kafka answers with the first one anyway). */
static int mem_offsets_for_times(Transport *t, const char *topic, int64_t ts_ms,
                                 TopicPartitionOffset **out, int *n, EddyError *err)
{
    MemTopic *mt = find_topic((MemTransport *)t, topic);
    *out = NULL;
    *n = 0;
    if (mt == NULL)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "topic %s does not exist", topic);
    if (ts_ms < 0)
        ts_ms = 0;
    TopicPartitionOffset *res = calloc((size_t)mt->npart, sizeof *res);
    for (int p = 0; p < mt->npart; p++) {
        const MemPartition *mp = &mt->parts[p];
        int64_t o = 0;
        while (o < mp->n && mp->recs[o].rec.timestamp < ts_ms)
            o++;
        res[p] = (TopicPartitionOffset){topic, p, o};
    }
    *out = res;
    *n = mt->npart;
    return 0;
}

static char *commit_key(const char *group, const char *topic, int partition)
{
    size_t n = strlen(group) + strlen(topic) + 32;
    char *k = malloc(n);
    snprintf(k, n, "%s\x1f%s\x1f%d", group, topic, partition);
    return k;
}

/* Positions follow the topic as it grows (partitions are fixed per topic). */
static void sync_positions(MemConsumer *c)
{
    for (int i = 0; i < c->ntopics; i++) {
        MemTopic *mt = find_topic(c->t, c->topics[i]);
        if (mt == NULL || c->npos[i] == mt->npart)
            continue;
        c->pos[i] = realloc(c->pos[i], sizeof(int64_t) * (size_t)mt->npart);
        for (int p = c->npos[i]; p < mt->npart; p++) {
            char *k = commit_key(c->group, mt->name, p);
            intptr_t committed = (intptr_t)strmap_get(c->t->commits, k);
            free(k);
            c->pos[i][p] = committed ? committed - 1
                           : c->reset == RESET_EARLIEST ? 0 : mt->parts[p].n;
        }
        c->npos[i] = mt->npart;
    }
}

static int mem_consumer_seek(Consumer *cc, const TopicPartitionOffset *offs, int n,
                             EddyError *err);

static Consumer *mem_consumer_open(Transport *t, const char *group, const char *const *topics,
                                   int ntopics, OffsetReset reset,
                                   const TopicPartitionOffset *start, int nstart, EddyError *err)
{
    MemConsumer *c = calloc(1, sizeof *c);
    c->t = (MemTransport *)t;
    c->group = strdup(group);
    c->ntopics = ntopics;
    c->topics = calloc((size_t)ntopics, sizeof(char *));
    c->pos = calloc((size_t)ntopics, sizeof(int64_t *));
    c->npos = calloc((size_t)ntopics, sizeof(int));
    c->reset = reset;
    for (int i = 0; i < ntopics; i++)
        c->topics[i] = strdup(topics[i]);
    sync_positions(c);
    if (nstart > 0)
        mem_consumer_seek((Consumer *)c, start, nstart, err);
    return (Consumer *)c;
}

static int mem_consumer_poll(Consumer *cc, TransportRecord *out, int max, int timeout_ms,
                             EddyError *err)
{
    MemConsumer *c = (MemConsumer *)cc;
    sync_positions(c);
    int n = 0;
    for (int i = 0; i < c->ntopics && n < max; i++) {
        MemTopic *mt = find_topic(c->t, c->topics[i]);
        if (mt == NULL)
            continue;
        for (int p = 0; p < mt->npart && n < max; p++)
            while (n < max && c->pos[i][p] < mt->parts[p].n)
                out[n++] = mt->parts[p].recs[c->pos[i][p]++].rec;
    }
    return n;
}

static int64_t mem_consumer_lag(Consumer *cc)
{
    MemConsumer *c = (MemConsumer *)cc;
    sync_positions(c);
    int64_t lag = 0;
    for (int i = 0; i < c->ntopics; i++) {
        MemTopic *mt = find_topic(c->t, c->topics[i]);
        for (int p = 0; mt && p < mt->npart; p++)
            if (c->pos[i][p] < mt->parts[p].n)
                lag += mt->parts[p].n - c->pos[i][p];
    }
    return lag;
}

static int64_t mem_consumer_partition_lag(Consumer *cc, const char *topic, int32_t partition)
{
    MemConsumer *c = (MemConsumer *)cc;
    sync_positions(c);
    for (int i = 0; i < c->ntopics; i++) {
        MemTopic *mt = find_topic(c->t, c->topics[i]);
        if (mt && strcmp(mt->name, topic) == 0 && partition >= 0 && partition < mt->npart)
            return mt->parts[partition].n - c->pos[i][partition];
    }
    return -1;
}

static bool mem_consumer_at_end(Consumer *cc)
{
    return mem_consumer_lag(cc) == 0;
}

static int mem_consumer_commit(Consumer *cc, const TopicPartitionOffset *offs, int n,
                               EddyError *err)
{
    MemConsumer *c = (MemConsumer *)cc;
    for (int i = 0; i < n; i++) {
        char *k = commit_key(c->group, offs[i].topic, offs[i].partition);
        strmap_put(c->t->commits, k, (void *)(intptr_t)(offs[i].offset + 1));
        free(k);
    }
    return 0;
}

static int mem_consumer_seek(Consumer *cc, const TopicPartitionOffset *offs, int n, EddyError *err)
{
    MemConsumer *c = (MemConsumer *)cc;
    sync_positions(c);
    for (int k = 0; k < n; k++)
        for (int i = 0; i < c->ntopics; i++)
            if (strcmp(c->topics[i], offs[k].topic) == 0 && offs[k].partition < c->npos[i])
                c->pos[i][offs[k].partition] = offs[k].offset;
    return 0;
}

static void mem_consumer_close(Consumer *cc)
{
    MemConsumer *c = (MemConsumer *)cc;
    for (int i = 0; i < c->ntopics; i++) {
        free(c->topics[i]);
        free(c->pos[i]);
    }
    free(c->topics);
    free(c->pos);
    free(c->npos);
    free(c->group);
    free(c);
}

static char *dup_buf(const void *p, size_t n)
{
    if (p == NULL)
        return NULL;
    char *q = malloc(n + 1);
    memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

static int mem_produce(Transport *t, const char *topic, int32_t partition, const void *key,
                       size_t key_len, const void *value, size_t value_len, int64_t timestamp,
                       EddyError *err)
{
    MemTransport *m = (MemTransport *)t;
    MemTopic *mt = create_topic(m, topic, 0);
    if (partition < 0)
        partition = key ? (int32_t)((murmur2(key, key_len) & 0x7fffffff) % (uint32_t)mt->npart)
                        : (int32_t)(m->rr++ % mt->npart);
    if (partition >= mt->npart)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "topic %s has no partition %d", topic, partition);
    MemPartition *p = &mt->parts[partition];
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->recs = realloc(p->recs, sizeof(MemRecord) * (size_t)p->cap);
    }
    MemRecord *r = &p->recs[p->n];
    r->key = dup_buf(key, key_len);
    r->value = dup_buf(value, value_len);
    r->rec = (TransportRecord){.topic = mt->name, .partition = partition, .offset = p->n,
                               .timestamp = timestamp, .key = r->key, .key_len = key_len,
                               .value = r->value, .value_len = value_len};
    p->n++;
    if (mt->nall == mt->capall) {
        mt->capall = mt->capall ? mt->capall * 2 : 64;
        mt->all = realloc(mt->all, sizeof(TransportRecord) * (size_t)mt->capall);
    }
    mt->all[mt->nall++] = r->rec;
    return 0;
}

static void mem_poll(Transport *t) {}

static int mem_flush(Transport *t, int timeout_ms, EddyError *err)
{
    return 0;
}

static void mem_destroy(Transport *t)
{
    MemTransport *m = (MemTransport *)t;
    for (int i = 0; i < m->ntopics; i++) {
        MemTopic *mt = m->topics[i];
        for (int p = 0; p < mt->npart; p++) {
            for (int64_t k = 0; k < mt->parts[p].n; k++) {
                free(mt->parts[p].recs[k].key);
                free(mt->parts[p].recs[k].value);
            }
            free(mt->parts[p].recs);
        }
        free(mt->parts);
        free(mt->all);
        free(mt->name);
        free(mt);
    }
    free(m->topics);
    free(m->names);
    strmap_destroy(m->commits);
    free(m);
}

static const TransportOps mem_ops = {
    .topic_ensure = mem_topic_ensure,
    .topic_partitions = mem_topic_partitions,
    .list_topics = mem_list_topics,
    .watermarks = mem_watermarks,
    .offsets_for_times = mem_offsets_for_times,
    .consumer_open = mem_consumer_open,
    .consumer_poll = mem_consumer_poll,
    .consumer_at_end = mem_consumer_at_end,
    .consumer_lag = mem_consumer_lag,
    .consumer_partition_lag = mem_consumer_partition_lag,
    .consumer_commit = mem_consumer_commit,
    .consumer_seek = mem_consumer_seek,
    .consumer_close = mem_consumer_close,
    .produce = mem_produce,
    .poll = mem_poll,
    .flush = mem_flush,
    .destroy = mem_destroy,
};

Transport *memory_transport_create(int default_partitions)
{
    MemTransport *m = calloc(1, sizeof *m);
    m->base.ops = &mem_ops;
    m->default_partitions = default_partitions > 0 ? default_partitions : 1;
    m->commits = strmap_create();
    return &m->base;
}

int memory_transport_records(Transport *t, const char *topic, const TransportRecord **out)
{
    MemTopic *mt = find_topic((MemTransport *)t, topic);
    if (mt == NULL) {
        *out = NULL;
        return 0;
    }
    *out = mt->all;
    return (int)mt->nall;
}

int memory_transport_topics(Transport *t, const char *const **names)
{
    MemTransport *m = (MemTransport *)t;
    *names = m->names;
    return m->ntopics;
}
