/* table_fmt.c - the text tables SHOW and DESCRIBE print, in ksqlDB's CLI
 * layout.  Widths count code points (UTF-8), not bytes. */
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

/* Appends the first `cols` code points of s. */
static void put_prefix(StrBuf *out, const char *s, int cols)
{
    const char *p = s;
    for (int k = 0; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80 && k++ == cols)
            break;
    sb_append(out, s, (size_t)(p - s));
}

void tfmt_render(const TextTable *t, StrBuf *out)
{
    tfmt_render_fit(t, out, 0, -1);
}

void tfmt_render_fit(const TextTable *t, StrBuf *out, int max_width, int prefer)
{
    /* The narrowest a cut column gets: room for a few characters. */
    enum { MIN_SHRUNK = 12 };
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
    /* A line is total - 1 columns wide.  Too wide: the preferred column
     * gives up room first, down to MIN_SHRUNK, then the widest others. */
    int excess = max_width > 0 ? total - 1 - max_width : 0;
    if (excess > 0 && prefer >= 0 && prefer < n && w[prefer] > MIN_SHRUNK) {
        int cut = w[prefer] - MIN_SHRUNK < excess ? w[prefer] - MIN_SHRUNK : excess;
        w[prefer] -= cut;
        excess -= cut;
    }
    while (excess > 0) {
        int widest = 0;
        for (int c = 1; c < n; c++)
            widest = w[c] > w[widest] ? c : widest;
        if (w[widest] <= MIN_SHRUNK)
            break;   /* as narrow as it gets: the terminal wraps the rest */
        w[widest]--;
        excess--;
    }
    total = 0;
    for (int c = 0; c < n; c++)
        total += w[c] + 3;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < n; c++) {
            const char *cell = t->cells.items[r * n + c];
            int cw = width(cell);
            sb_printf(out, "%s ", c ? "|" : "");
            if (cw > w[c]) {   /* a cut column: say so */
                put_prefix(out, cell, w[c] - 1);
                sb_puts(out, "\xe2\x80\xa6");   /* U+2026 HORIZONTAL ELLIPSIS */
                cw = w[c];
            } else {
                sb_puts(out, cell);
            }
            for (int k = cw; k < w[c] + 1; k++)
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

void eddy_format_table(const char *const *cells, int ncells, int ncols, int max_width, int prefer,
                       StrBuf *out)
{
    TextTable t;
    tfmt_init(&t, ncols);
    for (int i = 0; i < ncells; i++)
        tfmt_cell(&t, cells[i]);
    tfmt_render_fit(&t, out, max_width, prefer);
    tfmt_free(&t);
}
