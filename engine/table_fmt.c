/* table_fmt.c - the text tables SHOW and DESCRIBE print, in ksqlDB's CLI layout. */
#include "table_fmt.h"

#include <stdlib.h>
#include <string.h>

void tfmt_init(TextTable *t, int ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->arena = arena_create(0);
}

void tfmt_free(TextTable *t)
{
    arena_destroy(t->arena);
}

void tfmt_cell(TextTable *t, const char *text)
{
    ptrvec_push(t->arena, &t->cells, arena_strdup(t->arena, text ? text : ""));
}

/* UTF-8 aware display width (counts code points). */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

void tfmt_render(const TextTable *t, StrBuf *out)
{
    int n = t->ncols, rows = t->cells.n / (n ? n : 1);
    int *w = calloc((size_t)n, sizeof(int));
    for (int i = 0; i < t->cells.n; i++) {
        int cw = width(t->cells.items[i]);
        if (cw > w[i % n])
            w[i % n] = cw;
    }
    int total = 0;
    for (int c = 0; c < n; c++)
        total += w[c] + 3;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < n; c++) {
            const char *cell = t->cells.items[r * n + c];
            sb_printf(out, "%s %s", c ? "|" : "", cell);
            for (int k = width(cell); k < w[c] + 1; k++)
                sb_putc(out, ' ');
        }
        sb_puts(out, "\n");
        if (r == 0) {
            for (int k = 0; k < total - 1; k++)
                sb_putc(out, '-');
            sb_puts(out, "\n");
        }
    }
    free(w);
}
