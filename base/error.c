/* error.c - EddyError helpers: set, clear, and format with a caret under the position. */
#include "eddy/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int eddy_error(EddyError *err, EddyErrorKind kind, SrcPos pos, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    err->kind = kind;
    err->pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void eddy_error_clear(EddyError *err)
{
    if (err) {
        err->kind = ERR_NONE;
        err->pos = (SrcPos){0, 0};
        err->msg[0] = '\0';
    }
}

/* Returns a pointer to the start of 1-based line `line` in src and its length. */
static const char *find_line(const char *src, int line, size_t *len)
{
    const char *p = src;
    for (int l = 1; l < line && *p; p++)
        if (*p == '\n')
            l++;
    const char *end = strchr(p, '\n');
    *len = end ? (size_t)(end - p) : strlen(p);
    return p;
}

void eddy_error_format(const EddyError *err, const char *source, char *buf, size_t bufsize)
{
    if (bufsize == 0)
        return;
    if (err->pos.line <= 0) {
        snprintf(buf, bufsize, "%s", err->msg);
        return;
    }
    int n = snprintf(buf, bufsize, "line %d:%d: %s", err->pos.line, err->pos.col, err->msg);
    if (source == NULL || n < 0 || (size_t)n >= bufsize)
        return;
    size_t len;
    const char *ln = find_line(source, err->pos.line, &len);
    if (len > 300)
        len = 300;
    size_t used = (size_t)n;
    n = snprintf(buf + used, bufsize - used, "\n%.*s\n", (int)len, ln);
    if (n < 0 || used + (size_t)n >= bufsize)
        return;
    used += (size_t)n;
    /* The caret keeps tabs as tabs so it lines up under the token. */
    for (int c = 1; c < err->pos.col && (size_t)(c - 1) < len && used + 2 < bufsize; c++)
        buf[used++] = ln[c - 1] == '\t' ? '\t' : ' ';
    if (used + 2 <= bufsize) {
        buf[used++] = '^';
        buf[used] = '\0';
    }
}

_Noreturn void eddy_panic(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "eddy: internal error at %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
