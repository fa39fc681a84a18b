/*
 * csv.h - an RFC 4180 CSV reader (for `eddy load`): one row at a time from
 * a stdio stream, with the line and column where every row and field
 * starts, so a bad row can be reported by position and skipped.
 *
 * What it accepts: fields separated by commas; rows ended by CRLF, LF or a
 * lone CR; fields in double quotes may hold commas, quotes (doubled) and
 * line breaks, kept as they are; a UTF-8 byte order mark at the start is
 * skipped; the last row needs no line break; blank lines are skipped and
 * counted.  The first row is the header: every later row must have as many
 * fields.
 *
 * A bad row (CSV_BAD) is read to its end first, so the next call starts at
 * the next row: a field count that differs from the header's, a quote
 * inside an unquoted field, anything but a comma or line break after a
 * closing quote, a quoted field still open at the end of the file, a NUL
 * byte, or a row longer than the limit.  The reader never alters data
 * silently and never stops at a bad row.
 */
#ifndef EDDY_CLI_CSV_H
#define EDDY_CLI_CSV_H

#include "eddy/base.h"

#include <stdio.h>

typedef struct CsvField {
    const char *text;     /* unescaped, NUL-terminated (len bytes) */
    size_t len;
    bool quoted;          /* written in quotes: "" is an empty string, an
                             unquoted empty field a missing value */
    SrcPos pos;           /* where the field starts (line, byte column) */
} CsvField;

typedef struct CsvRow {
    const CsvField *fields;   /* borrowed until the next csv_next */
    int nfields;
    int line;                 /* the line the row starts on */
} CsvRow;

typedef enum CsvStatus {
    CSV_EOF = 0,          /* no more rows */
    CSV_ROW = 1,          /* *row is filled */
    CSV_BAD = 2,          /* a bad row, skipped; err has its position and reason */
    CSV_IO = -1           /* a read error (err set); stop */
} CsvStatus;

typedef struct CsvReader CsvReader;

/* Reads from `in` (borrowed until csv_reader_destroy).  A row longer than
 * max_row_bytes (0 = 64 MiB) is a bad row.  NULL when out of memory. */
CsvReader *csv_reader_create(FILE *in, size_t max_row_bytes);
void csv_reader_destroy(CsvReader *r);

/* The next row: the header first, then the records. */
CsvStatus csv_next(CsvReader *r, CsvRow *row, EddyError *err);

/* Blank lines skipped so far. */
long csv_blank_lines(const CsvReader *r);

#endif
