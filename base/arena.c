/* arena.c - bump allocator; blocks are malloc'd and freed together.
 * Invariant: every returned pointer is 16-byte aligned and zeroed. */
#include "eddy/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Block {
    struct Block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} Block;

struct Arena {
    Block *head;          /* current block (newest) */
    size_t block_size;
    size_t reserved;
};

static Block *block_new(size_t size)
{
    Block *b = malloc(sizeof(Block) + size);
    if (b == NULL)
        EDDY_PANIC("out of memory (%zu bytes)", size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

Arena *arena_create(size_t block_size)
{
    Arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        EDDY_PANIC("out of memory");
    a->block_size = block_size ? block_size : 64 * 1024;
    a->head = block_new(a->block_size);
    a->reserved = a->block_size;
    return a;
}

void arena_destroy(Arena *a)
{
    if (a == NULL)
        return;
    for (Block *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(a);
}

void arena_reset(Arena *a)
{
    /* Keep the oldest block (the last in the list), free the rest. */
    Block *b = a->head;
    while (b->next) {
        Block *n = b->next;
        free(b);
        b = n;
    }
    b->used = 0;
    a->head = b;
    a->reserved = b->size;
}

void *arena_alloc(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    Block *b = a->head;
    if (b->used + n > b->size) {
        size_t size = n > a->block_size ? n : a->block_size;
        Block *nb = block_new(size);
        nb->next = b;
        a->head = nb;
        a->reserved += size;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

void *arena_realloc(Arena *a, void *p, size_t old_n, size_t new_n)
{
    if (new_n <= old_n)
        return p;
    void *q = arena_alloc(a, new_n);
    if (p && old_n)
        memcpy(q, p, old_n);
    return q;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_sprintf(Arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

size_t arena_bytes(const Arena *a)
{
    return a->reserved;
}

void ptrvec_push(Arena *a, PtrVec *v, void *item)
{
    if (v->n == v->cap) {
        int ncap = v->cap ? v->cap * 2 : 4;
        v->items = arena_realloc(a, v->items, sizeof(void *) * (size_t)v->cap,
                                 sizeof(void *) * (size_t)ncap);
        v->cap = ncap;
    }
    v->items[v->n++] = item;
}
