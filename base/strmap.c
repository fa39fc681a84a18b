/* strmap.c - open-addressing hash map from C strings to pointers.
 * Keys are copied; values are borrowed.  Deleted slots are tombstones. */
#include "eddy/base.h"

#include <stdlib.h>
#include <string.h>

typedef struct Slot {
    char *key;          /* NULL = empty; TOMB = deleted */
    void *val;
} Slot;

static char tomb_marker;
#define TOMB (&tomb_marker)

struct StrMap {
    Slot *slots;
    size_t cap, count, used;   /* used counts live + tombstones */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

StrMap *strmap_create(void)
{
    StrMap *m = calloc(1, sizeof *m);
    if (m == NULL)
        EDDY_PANIC("out of memory");
    m->cap = 16;
    m->slots = calloc(m->cap, sizeof(Slot));
    if (m->slots == NULL)
        EDDY_PANIC("out of memory");
    return m;
}

void strmap_destroy(StrMap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMB)
            free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static Slot *find(const StrMap *m, const char *key)
{
    size_t i = hash_str(key) & (m->cap - 1);
    for (;;) {
        Slot *s = &m->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->key != TOMB && strcmp(s->key, key) == 0)
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

static void rehash(StrMap *m, size_t ncap)
{
    Slot *old = m->slots;
    size_t ocap = m->cap;
    m->slots = calloc(ncap, sizeof(Slot));
    if (m->slots == NULL)
        EDDY_PANIC("out of memory");
    m->cap = ncap;
    m->used = m->count;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].key == NULL || old[i].key == TOMB)
            continue;
        size_t j = hash_str(old[i].key) & (ncap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (ncap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void *strmap_get(const StrMap *m, const char *key)
{
    Slot *s = find(m, key);
    return s ? s->val : NULL;
}

void strmap_put(StrMap *m, const char *key, void *val)
{
    Slot *s = find(m, key);
    if (s) {
        s->val = val;
        return;
    }
    if ((m->used + 1) * 4 >= m->cap * 3)
        rehash(m, m->count * 4 >= m->cap ? m->cap * 2 : m->cap);
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->slots[i].key && m->slots[i].key != TOMB)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].key == NULL)
        m->used++;
    m->slots[i].key = strdup(key);
    m->slots[i].val = val;
    m->count++;
}

void *strmap_del(StrMap *m, const char *key)
{
    Slot *s = find(m, key);
    if (s == NULL)
        return NULL;
    void *v = s->val;
    free(s->key);
    s->key = TOMB;
    s->val = NULL;
    m->count--;
    return v;
}

int strmap_count(const StrMap *m)
{
    return (int)m->count;
}

bool strmap_next(const StrMap *m, size_t *iter, const char **key, void **val)
{
    while (*iter < m->cap) {
        Slot *s = &m->slots[(*iter)++];
        if (s->key && s->key != TOMB) {
            if (key)
                *key = s->key;
            if (val)
                *val = s->val;
            return true;
        }
    }
    return false;
}
