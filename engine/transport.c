/*
 * transport.c - helpers common to every transport: name lists, and the
 * retention check a producer runs after its flush (see transport.h).
 */
#include "eddy/transport.h"

#include <stdlib.h>

void transport_free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
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
