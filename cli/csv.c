/*
 * csv.c - the RFC 4180 reader behind `eddy load` (see csv.h for what it
 * accepts and what makes a bad row).
 *
 * A byte-at-a-time state machine over a 64 KiB read buffer: rows may span
 * buffer refills and lines (quoted line breaks), so the position of every
 * byte is tracked as it is consumed.  A row's fields go into one string
 * buffer, each NUL-terminated, and are handed out as pointers into it.
 * Why not libcsv (Debian's libcsv-dev): see README, "Loading a data set".
 */
#include "csv.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CSV_READ_SIZE 65536
#define CSV_DEFAULT_MAX_ROW ((size_t)64 << 20)

struct CsvReader {
    FILE *in;
    unsigned char buf[CSV_READ_SIZE];
    size_t pos, end;
    bool started;             /* the byte order mark has been looked for */
    bool io_error;
    int line, col;            /* position of the next byte */
    size_t max_row;
    long blank;
    int nheader;              /* fields in the header; -1 until it is read */

    /* the row being read */
    StrBuf data;              /* field texts, each NUL-terminated */
    CsvField *fields;
    size_t *starts;           /* where each field's text starts in data */
    int nfields, cap;
    bool bad, too_long;       /* a problem was found (the first one is in why) */
    EddyError why;
};

CsvReader *csv_reader_create(FILE *in, size_t max_row_bytes)
{
    CsvReader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->in = in;
    r->line = r->col = 1;
    r->max_row = max_row_bytes ? max_row_bytes : CSV_DEFAULT_MAX_ROW;
    r->nheader = -1;
    sb_init(&r->data);
    return r;
}

void csv_reader_destroy(CsvReader *r)
{
    if (r == NULL)
        return;
    sb_free(&r->data);
    free(r->fields);
    free(r->starts);
    free(r);
}

long csv_blank_lines(const CsvReader *r)
{
    return r->blank;
}

/* ---- bytes ------------------------------------------------------------ */

static int peek(CsvReader *r)
{
    if (r->pos == r->end) {
        r->pos = 0;
        r->end = fread(r->buf, 1, sizeof r->buf, r->in);
        if (r->end == 0) {
            r->io_error = ferror(r->in) != 0;
            return EOF;
        }
    }
    return r->buf[r->pos];
}

/* Consumes the next byte; *at gets its position.  A lone CR ends a line as
 * LF and CRLF do, so line numbers match what an editor shows. */
static int get(CsvReader *r, SrcPos *at)
{
    *at = (SrcPos){r->line, r->col};
    int c = peek(r);
    if (c == EOF)
        return EOF;
    r->pos++;
    if (c == '\n' || (c == '\r' && peek(r) != '\n')) {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    return c;
}

/* Records the row's first problem; later ones would only repeat it. */
static void mark_bad(CsvReader *r, SrcPos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void mark_bad(CsvReader *r, SrcPos at, const char *fmt, ...)
{
    if (r->bad)
        return;
    r->bad = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    eddy_error(&r->why, ERR_RUNTIME, at, "%s", msg);
}

/* A byte for a message: itself if printable, else its code. */
static const char *show_byte(int c, char *buf)
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02x", c & 0xff);
    return buf;
}

static void put(CsvReader *r, int c, SrcPos at)
{
    if (c == 0)
        mark_bad(r, at, "a NUL byte (is this a text file?)");
    if (r->too_long)
        return;
    if (r->data.len + 1 >= r->max_row) {
        mark_bad(r, at, "the row is longer than %zu bytes", r->max_row);
        r->too_long = true;
        return;
    }
    sb_putc(&r->data, (char)c);
}

/* ---- fields and rows -------------------------------------------------- */

static void field_begin(CsvReader *r, SrcPos at)
{
    if (r->nfields == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        CsvField *f = realloc(r->fields, (size_t)cap * sizeof *f);
        size_t *s = realloc(r->starts, (size_t)cap * sizeof *s);
        if (f)
            r->fields = f;
        if (s)
            r->starts = s;
        if (f == NULL || s == NULL)
            EDDY_PANIC("out of memory reading CSV");
        r->cap = cap;
    }
    r->starts[r->nfields] = r->data.len;
    r->fields[r->nfields++] = (CsvField){.pos = at};
}

static void field_end(CsvReader *r, bool quoted)
{
    CsvField *f = &r->fields[r->nfields - 1];
    f->len = r->data.len - r->starts[r->nfields - 1];
    f->quoted = quoted;
    sb_putc(&r->data, '\0');
}

/* The rest of an unquoted field, from its byte c.  Returns the byte that
 * ended it: ',', '\r', '\n' or EOF. */
static int read_unquoted(CsvReader *r, int c, SrcPos at)
{
    for (;; c = get(r, &at)) {
        if (c == ',' || c == '\r' || c == '\n' || c == EOF)
            return c;
        if (c == '"')
            mark_bad(r, at,
                     "a quote inside an unquoted field (quote the whole field and double "
                     "the quote)");
        put(r, c, at);
    }
}

/* A quoted field after its opening quote (at `start`).  Returns the byte
 * that ended it, as read_unquoted does. */
static int read_quoted(CsvReader *r, SrcPos start)
{
    SrcPos at;
    for (;;) {
        int c = get(r, &at);
        if (c == EOF) {
            mark_bad(r, start, "the quoted field is not closed before the end of the file");
            return EOF;
        }
        if (c != '"') {
            put(r, c, at);
            continue;
        }
        if (peek(r) == '"') {   /* a doubled quote stands for one */
            get(r, &at);
            put(r, '"', at);
            continue;
        }
        c = get(r, &at);
        if (c == ',' || c == '\r' || c == '\n' || c == EOF)
            return c;
        char b[8];
        mark_bad(r, at, "%s after the closing quote of the field at line %d:%d",
                 show_byte(c, b), start.line, start.col);
        /* Keep the rest as text, so the row still ends where it should. */
        return read_unquoted(r, c, at);
    }
}

/* Reads one row through its line break (or the end of the file).  Returns
 * false for a blank line. */
static bool read_row(CsvReader *r)
{
    for (;;) {
        SrcPos at;
        int c = get(r, &at);
        field_begin(r, at);
        bool quoted = c == '"';
        c = quoted ? read_quoted(r, at) : read_unquoted(r, c, at);
        field_end(r, quoted);
        if (c == ',')
            continue;
        if (c == '\r' && peek(r) == '\n')
            get(r, &at);
        return !(r->nfields == 1 && !quoted && r->fields[0].len == 0);
    }
}

CsvStatus csv_next(CsvReader *r, CsvRow *row, EddyError *err)
{
    if (!r->started) {
        r->started = true;
        static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
        if (peek(r) == bom[0] && r->end - r->pos >= 3 && memcmp(r->buf + r->pos, bom, 3) == 0)
            r->pos += 3;   /* columns still count from the first character */
    }
    for (;;) {
        sb_reset(&r->data);
        r->nfields = 0;
        r->bad = r->too_long = false;
        int line = r->line;
        if (peek(r) == EOF) {
            if (r->io_error)
                return eddy_error(err, ERR_IO, (SrcPos){line, 1}, "read error"), CSV_IO;
            return CSV_EOF;
        }
        if (!read_row(r)) {
            if (r->io_error)
                return eddy_error(err, ERR_IO, (SrcPos){line, 1}, "read error"), CSV_IO;
            r->blank++;
            continue;
        }
        if (r->io_error)
            return eddy_error(err, ERR_IO, (SrcPos){line, 1}, "read error"), CSV_IO;
        if (r->nheader >= 0 && r->nfields != r->nheader)
            mark_bad(r, (SrcPos){line, 1}, "%d field%s where the header has %d", r->nfields,
                     r->nfields == 1 ? "" : "s", r->nheader);
        if (r->bad) {
            *err = r->why;
            row->fields = NULL;
            row->nfields = 0;
            row->line = line;
            return CSV_BAD;
        }
        if (r->nheader < 0)
            r->nheader = r->nfields;
        for (int i = 0; i < r->nfields; i++)
            r->fields[i].text = r->data.data + r->starts[i];
        row->fields = r->fields;
        row->nfields = r->nfields;
        row->line = line;
        return CSV_ROW;
    }
}
