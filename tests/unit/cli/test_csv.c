/* test_csv.c - the RFC 4180 reader of `eddy load` (cli/csv.c): quoting,
 * line endings, positions, and every kind of bad row, each followed by a
 * good row to show the reader goes on at the right place. */
#include "csv.h"
#include "testutil.h"

#include <stdlib.h>

/* Reads every row of text (len bytes) and describes them, one per line:
 * "L: a|b|c" for a row (fields in quotes written as <"text">, missing
 * values as ~), "L: BAD l:c reason" for a bad row, then "blank N" if any
 * blank lines were skipped.  Line breaks inside fields are shown as \n, \r. */
static char *dump_n(const char *text, size_t len, size_t max_row)
{
    static char *out;
    free(out);
    StrBuf sb;
    sb_init(&sb);
    FILE *f = fmemopen((void *)text, len, "r");
    if (len == 0)   /* fmemopen refuses a zero-size buffer */
        f = fopen("/dev/null", "r");
    CsvReader *r = csv_reader_create(f, max_row);
    CsvRow row;
    EddyError err;
    CsvStatus st;
    while ((st = csv_next(r, &row, &err)) != CSV_EOF) {
        if (st == CSV_IO) {
            sb_puts(&sb, "IO ERROR\n");
            break;
        }
        sb_printf(&sb, "%d:", row.line);
        if (st == CSV_BAD) {
            sb_printf(&sb, " BAD %d:%d %s\n", err.pos.line, err.pos.col, err.msg);
            continue;
        }
        for (int i = 0; i < row.nfields; i++) {
            const CsvField *fd = &row.fields[i];
            sb_puts(&sb, i ? "|" : " ");
            if (!fd->quoted && fd->len == 0) {
                sb_putc(&sb, '~');
                continue;
            }
            if (fd->quoted)
                sb_puts(&sb, "<\"");
            for (size_t k = 0; k < fd->len; k++) {
                char c = fd->text[k];
                if (c == '\n')
                    sb_puts(&sb, "\\n");
                else if (c == '\r')
                    sb_puts(&sb, "\\r");
                else
                    sb_putc(&sb, c);
            }
            if (fd->quoted)
                sb_puts(&sb, "\">");
            CHECK(fd->text[fd->len] == '\0');
        }
        sb_putc(&sb, '\n');
    }
    if (csv_blank_lines(r))
        sb_printf(&sb, "blank %ld\n", csv_blank_lines(r));
    csv_reader_destroy(r);
    fclose(f);
    out = sb.data ? sb.data : strdup("");
    return out;
}

static char *dump(const char *text)
{
    return dump_n(text, strlen(text), 0);
}

static void test_plain(void)
{
    CHECK_STR(dump("a,b,c\n1,2,3\n4,5,6\n"), "1: a|b|c\n2: 1|2|3\n3: 4|5|6\n");
    /* No line break after the last row. */
    CHECK_STR(dump("a,b\n1,2"), "1: a|b\n2: 1|2\n");
    /* CRLF, and a mix of CRLF, LF and lone CR (old Mac files). */
    CHECK_STR(dump("a,b\r\n1,2\r\n"), "1: a|b\n2: 1|2\n");
    CHECK_STR(dump("a,b\r\n1,2\n3,4\r5,6"), "1: a|b\n2: 1|2\n3: 3|4\n4: 5|6\n");
    /* Header only. */
    CHECK_STR(dump("a,b\n"), "1: a|b\n");
    /* Spaces belong to the field (RFC 4180), unquoted and quoted. */
    CHECK_STR(dump("a,b\n 1 ,\" 2 \"\n"), "1: a|b\n2:  1 |<\" 2 \">\n");
}

static void test_empty(void)
{
    /* An empty file has no rows at all (the caller says "no header"). */
    CHECK_STR(dump(""), "");
    CHECK_STR(dump("\xEF\xBB\xBF"), "");
    /* Empty fields: unquoted = missing, quoted = empty string; a trailing
     * comma is one more (missing) field. */
    CHECK_STR(dump("a,b,c\n,\"\",\n"), "1: a|b|c\n2: ~|<\"\">|~\n");
    /* Blank lines are skipped and counted; positions stay true. */
    CHECK_STR(dump("a,b\n\n1,2\r\n\r\n\n3,4\n\n"), "1: a|b\n3: 1|2\n6: 3|4\nblank 4\n");
    /* A quoted empty field is a row, not a blank line. */
    CHECK_STR(dump("a\n\"\"\n"), "1: a\n2: <\"\">\n");
}

static void test_bom(void)
{
    /* A UTF-8 byte order mark is not part of the first column's name. */
    CHECK_STR(dump("\xEF\xBB\xBFid,name\n1,x\n"), "1: id|name\n2: 1|x\n");
    CHECK_STR(dump("\xEF\xBB\xBF\"id\",name\n1,x\n"), "1: <\"id\">|name\n2: 1|x\n");
    /* Only at the very start: elsewhere the bytes are data. */
    CHECK_STR(dump("a\n\xEF\xBB\xBFx\n"), "1: a\n2: \xEF\xBB\xBFx\n");
}

static void test_quoted(void)
{
    /* Commas, doubled quotes, line breaks (LF and CRLF kept as they are). */
    CHECK_STR(dump("id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n"
                   "4,\"crlf\r\ninside\"\r\n5,\"\"\"\"\n6,x\n"),
              "1: id|text\n2: 1|<\"a, b\">\n3: 2|<\"say \"hi\"\">\n"
              "4: 3|<\"two\\nlines\">\n6: 4|<\"crlf\\r\\ninside\">\n8: 5|<\"\"\">\n"
              "9: 6|x\n");
    /* A field with nothing but line breaks and commas; the row after it
     * starts on the right line. */
    CHECK_STR(dump("a,b\n\"\n\n,\n\",1\n2,3\n"), "1: a|b\n2: <\"\\n\\n,\\n\">|1\n6: 2|3\n");
    /* Quoted last field without a final line break. */
    CHECK_STR(dump("a,b\n1,\"x\"\"y\""), "1: a|b\n2: 1|<\"x\"y\">\n");
}

static void test_field_count(void)
{
    CHECK_STR(dump("a,b,c\n1,2\n1,2,3\n1,2,3,4\n,,\n"),
              "1: a|b|c\n2: BAD 2:1 2 fields where the header has 3\n3: 1|2|3\n"
              "4: BAD 4:1 4 fields where the header has 3\n5: ~|~|~\n");
    /* A row that spans lines is reported at the line it starts on. */
    CHECK_STR(dump("a,b\n\"x\ny\"\n1,2\n"),
              "1: a|b\n2: BAD 2:1 1 field where the header has 2\n4: 1|2\n");
}

static void test_bad_quotes(void)
{
    /* A quote inside an unquoted field: bad, at the quote. */
    CHECK_STR(dump("a,b\n1,5\" screen\n2,ok\n"),
              "1: a|b\n2: BAD 2:4 a quote inside an unquoted field (quote the whole field and "
              "double the quote)\n3: 2|ok\n");
    /* Text after a closing quote: bad, at that byte; the row still ends at
     * its own line break, not at a later quote. */
    CHECK_STR(dump("a,b\n\"x\"y,1\n\"p\" ,2\n3,4\n"),
              "1: a|b\n2: BAD 2:4 'y' after the closing quote of the field at line 2:1\n"
              "3: BAD 3:4 0x20 after the closing quote of the field at line 3:1\n4: 3|4\n");
    /* A bad row whose bad quote is on a later line of a multi-line field. */
    CHECK_STR(dump("a,b\n1,\"x\ny\"z\n2,3\n"),
              "1: a|b\n2: BAD 3:3 'z' after the closing quote of the field at line 2:3\n4: 2|3\n");
    /* A quote left open at the end of the file: bad, at the opening quote. */
    CHECK_STR(dump("a,b\n1,2\n3,\"never closed\n4,5\n"),
              "1: a|b\n2: 1|2\n3: BAD 3:3 the quoted field is not closed before the end of the "
              "file\n");
    CHECK_STR(dump("a\n\""), "1: a\n2: BAD 2:1 the quoted field is not closed before the end of "
                             "the file\n");
}

static void test_nul(void)
{
    static const char text[] = "a,b\n1,x\0y\n2,z\n";
    CHECK_STR(dump_n(text, sizeof text - 1, 0),
              "1: a|b\n2: BAD 2:4 a NUL byte (is this a text file?)\n3: 2|z\n");
}

static void test_huge(void)
{
    /* A 3 MB quoted field (commas, quotes, line breaks in it) spans many
     * read buffers and comes back whole. */
    size_t n = 3u << 20;
    StrBuf in;
    sb_init(&in);
    sb_puts(&in, "id,blob\n1,\"");
    for (size_t i = 0; i < n; i++) {
        char c = "ab,\n"[i % 4];
        sb_putc(&in, c);
        if (i % 1000 == 999)
            sb_puts(&in, "\"\"");
    }
    sb_puts(&in, "\"\n2,small\n");
    FILE *f = fmemopen(in.data, in.len, "r");
    CsvReader *r = csv_reader_create(f, 0);
    CsvRow row;
    EddyError err;
    CHECK_EQ_INT(csv_next(r, &row, &err), CSV_ROW);
    CHECK_EQ_INT(csv_next(r, &row, &err), CSV_ROW);
    CHECK_EQ_INT(row.nfields, 2);
    CHECK_EQ_INT(row.fields[1].len, n + n / 1000);
    CHECK(row.fields[1].text[0] == 'a' && row.fields[1].text[3] == '\n');
    CHECK(row.fields[1].text[999] == '\n' && row.fields[1].text[1000] == '"');
    CHECK_EQ_INT(csv_next(r, &row, &err), CSV_ROW);
    CHECK_EQ_INT(row.line, 3 + (int)(n / 4));   /* one line break per 4 bytes */
    CHECK_STR(row.fields[1].text, "small");
    CHECK_EQ_INT(csv_next(r, &row, &err), CSV_EOF);
    csv_reader_destroy(r);
    fclose(f);

    /* Over the row limit: bad, read to its end, and the next row is fine. */
    CHECK_STR(dump_n(in.data, in.len, 1u << 20),
              "1: id|blob\n2: BAD 261883:3 the row is longer than 1048576 bytes\n"
              "786435: 2|small\n");
    sb_free(&in);
}

int main(void)
{
    test_plain();
    test_empty();
    test_bom();
    test_quoted();
    test_field_count();
    test_bad_quotes();
    test_nul();
    test_huge();
    return testutil_done();
}
