/*
 * textfile.c - reading a file of statements (or other text) whole: `eddy
 * run`'s files, RUN SCRIPT's, a script piped into the REPL, the catalog
 * log, --config files and QTT files all come through here.
 *
 * One reader, one set of rules, so every way eddy takes text behaves the
 * same:
 *   - a path must name a regular file: a directory, a FIFO or a device
 *     (/dev/zero reads forever) is refused before a byte is read; it is
 *     opened O_NONBLOCK so naming a FIFO cannot hang the open itself;
 *   - at most EDDY_TEXT_MAX bytes: the file's size is checked first, and
 *     the read stops one byte past the limit (a file that grows, a pipe);
 *   - no NUL byte: the text becomes a C string, where a NUL would silently
 *     end it; the error gives the byte's line:column (bytes, as the lexer
 *     counts them);
 *   - a UTF-8 byte-order mark at the start is dropped (some Windows editors
 *     write one; the lexer would call it an invalid character).
 */
#include "eddy/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int too_large(const char *name, EddyError *err)
{
    return eddy_error(err, ERR_IO, (SrcPos){0},
                      "cannot read %s: larger than %d MiB, the limit for a script",
                      name, (int)(EDDY_TEXT_MAX >> 20));
}

/* The line and column (1-based, in bytes) of text[off]. */
static SrcPos pos_of(const char *text, size_t off)
{
    SrcPos p = {1, 1};
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            p.line++;
            p.col = 1;
        } else {
            p.col++;
        }
    }
    return p;
}

char *eddy_read_fd(int fd, const char *name, EddyError *err)
{
    StrBuf sb;
    sb_init(&sb);
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            /* EINTR too: a signal (Ctrl-C) stops the read instead of
             * being lost in a retry. */
            eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read %s: %s", name, strerror(errno));
            sb_free(&sb);
            return NULL;
        }
        if (n == 0)
            break;
        if ((size_t)n > EDDY_TEXT_MAX - sb.len) {
            too_large(name, err);
            sb_free(&sb);
            return NULL;
        }
        sb_append(&sb, buf, (size_t)n);
    }
    if (sb.data == NULL)
        sb_puts(&sb, "");
    const char *nul = memchr(sb.data, '\0', sb.len);
    if (nul) {
        SrcPos p = pos_of(sb.data, (size_t)(nul - sb.data));
        eddy_error(err, ERR_IO, (SrcPos){0},
                   "cannot read %s: line %d:%d: a NUL byte (statements are text)", name,
                   p.line, p.col);
        sb_free(&sb);
        return NULL;
    }
    if (sb.len >= 3 && memcmp(sb.data, "\xEF\xBB\xBF", 3) == 0)
        memmove(sb.data, sb.data + 3, sb.len - 3 + 1);
    return sb.data;
}

char *eddy_read_file(const char *path, EddyError *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) != 0)
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read %s: %s", path, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read %s: it is a directory", path);
    else if (!S_ISREG(st.st_mode))
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read %s: not a regular file", path);
    else if ((uintmax_t)st.st_size > EDDY_TEXT_MAX)
        too_large(path, err);
    else
        text = eddy_read_fd(fd, path, err);
    close(fd);
    return text;
}
