/*
 * transport.c - helpers common to every transport: name lists, offsets
 * clamped to what a partition keeps, and the retention check a producer
 * runs after its flush (see transport.h).
 */
#include "eddy/transport.h"

#include <stdlib.h>
#include <string.h>

void transport_free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* One watermarks call per topic: the new offsets go to `to` first, so that
 * an error leaves offs as it was. */
int transport_clamp_offsets(Transport *t, TopicPartitionOffset *offs, int n, EddyError *err)
{
    int64_t *to = calloc((size_t)n + 1, sizeof *to);
    bool *done = calloc((size_t)n + 1, sizeof *done);
    int moved = 0, rc = to && done ? 0 : eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        if (done[i])
            continue;
        int64_t *low, *high;
        int parts = t->ops->watermarks(t, offs[i].topic, &low, &high, err);
        if (parts < 0) {
            rc = -1;
            break;
        }
        for (int j = i; rc == 0 && j < n; j++) {
            if (done[j] || strcmp(offs[j].topic, offs[i].topic) != 0)
                continue;
            done[j] = true;
            int32_t p = offs[j].partition;
            if (p < 0 || p >= parts) {
                rc = eddy_error(err, ERR_IO, (SrcPos){0}, "topic %s has no partition %d (it has %d)",
                                offs[j].topic, (int)p, parts);
                break;
            }
            int64_t o = offs[j].offset;
            to[j] = o < low[p] ? low[p] : o > high[p] ? high[p] : o;
            moved += to[j] != o;
        }
        free(low);
        free(high);
    }
    for (int i = 0; rc == 0 && i < n; i++)
        offs[i].offset = to[i];
    free(to);
    free(done);
    return rc < 0 ? -1 : moved;
}

int transport_retention_mark(Transport *t, const char *topic, RetentionMark *m, EddyError *err)
{
    m->n = 0;
    m->high = NULL;
    if (t->ops->topic_partitions(t, topic) < 0)
        return 0;   /* not there yet: everything written will be new */
    int64_t *low;
    int n = t->ops->watermarks(t, topic, &low, &m->high, err);
    if (n < 0)
        return -1;
    free(low);
    m->n = n;
    return 0;
}

/* Records written since the mark occupy [mark, high) of each partition;
 * those below the low watermark are gone. */
int transport_retention_check(Transport *t, const char *topic, const RetentionMark *m,
                              int64_t *written, int64_t *dropped, EddyError *err)
{
    *written = *dropped = 0;
    int64_t *low, *high;
    int n = t->ops->watermarks(t, topic, &low, &high, err);
    if (n < 0)
        return -1;
    for (int p = 0; p < n; p++) {
        int64_t from = p < m->n ? m->high[p] : 0;
        if (high[p] <= from)
            continue;
        *written += high[p] - from;
        if (low[p] > from)
            *dropped += (low[p] < high[p] ? low[p] : high[p]) - from;
    }
    free(low);
    free(high);
    return 0;
}

void transport_retention_mark_free(RetentionMark *m)
{
    free(m->high);
    m->high = NULL;
    m->n = 0;
}
