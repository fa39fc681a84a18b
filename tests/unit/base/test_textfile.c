/*
 * test_textfile.c - the one reader of text files (base/textfile.c): a
 * regular file is read whole; a directory, a device (/dev/zero) and a FIFO
 * are refused without reading (and without blocking on the FIFO); a file
 * of exactly EDDY_TEXT_MAX bytes is read, one byte more is refused (by its
 * size, and on a descriptor by reading); a NUL byte is refused with its
 * line:column; a UTF-8 byte-order mark is dropped at the start only.
 */
#include "eddy/base.h"
#include "testutil.h"

#include <fcntl.h>

static char dir[] = "/tmp/eddy-textfile-XXXXXX";
static char path[512];

static const char *write_file(const char *name, const void *bytes, size_t n)
{
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(bytes, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    return path;
}

/* The error of reading `p`, or "(read)" when it was read. */
static const char *fails(const char *p)
{
    static EddyError err;
    char *text = eddy_read_file(p, &err);
    if (text != NULL) {
        free(text);
        return "(read)";
    }
    CHECK_EQ_INT(err.kind, ERR_IO);
    CHECK_EQ_INT(err.pos.line, 0);
    return err.msg;
}

static bool has(const char *msg, const char *part)
{
    if (strstr(msg, part) != NULL)
        return true;
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", msg, part);
    return false;
}

static void size_limit(void)
{
    /* A statement, then spaces up to exactly the limit. */
    size_t n = EDDY_TEXT_MAX;
    char *big = malloc(n + 1);
    memset(big, ' ', n + 1);
    memcpy(big, "SHOW STREAMS;", 13);
    EddyError err;
    char *text = eddy_read_file(write_file("limit.ksql", big, n), &err);
    CHECK(text != NULL && strlen(text) == n && strncmp(text, "SHOW STREAMS;", 13) == 0);
    free(text);
    const char *over = write_file("over.ksql", big, n + 1);
    CHECK(has(fails(over), "cannot read"));
    CHECK(has(fails(over), "over.ksql: larger than 16 MiB"));
    /* The same limit while reading, where there is no size to check first. */
    int fd = open(over, O_RDONLY);
    CHECK(eddy_read_fd(fd, "stdin", &err) == NULL && has(err.msg, "stdin: larger than 16 MiB"));
    close(fd);
    free(big);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    EddyError err;
    char *text = eddy_read_file(write_file("a.ksql", "SHOW STREAMS;\n", 14), &err);
    CHECK_STR(text, "SHOW STREAMS;\n");
    free(text);
    text = eddy_read_file(write_file("empty.ksql", "", 0), &err);
    CHECK_STR(text, "");
    free(text);

    /* A missing file, a directory, a device, a FIFO (which would block a
     * plain open until a writer came). */
    snprintf(path, sizeof path, "%s/missing.ksql", dir);
    CHECK(has(fails(path), "missing.ksql: No such file or directory"));
    CHECK(has(fails(dir), ": it is a directory"));
    CHECK(has(fails("/dev/zero"), "cannot read /dev/zero: not a regular file"));
    CHECK(has(fails("/dev/null"), "cannot read /dev/null: not a regular file"));
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(has(fails(path), "fifo: not a regular file"));
    /* /dev/zero on a descriptor (stdin redirected from it): read to the limit. */
    int fd = open("/dev/zero", O_RDONLY);
    CHECK(eddy_read_fd(fd, "stdin", &err) == NULL && has(err.msg, "stdin: larger than 16 MiB"));
    close(fd);

    /* NUL bytes: the first one's line and column, at the start, inside a
     * line, alone at the end. */
    CHECK(has(fails(write_file("n1.ksql", "\0SHOW", 5)), "n1.ksql: line 1:1: a NUL byte"));
    CHECK(has(fails(write_file("n2.ksql", "SHOW STREAMS;\nSHOW\0 TABLES;\0", 28)),
              "n2.ksql: line 2:5: a NUL byte"));
    CHECK(has(fails(write_file("n3.ksql", "SHOW STREAMS;\n\0", 15)), "line 2:1: a NUL byte"));
    fd = open(write_file("n4.ksql", "a\nb\nc\0", 6), O_RDONLY);
    CHECK(eddy_read_fd(fd, "stdin", &err) == NULL && has(err.msg, "stdin: line 3:2: a NUL byte"));
    close(fd);

    /* A byte-order mark: dropped at the start (also when it is all there
     * is), kept anywhere else; half a mark is not one. */
    text = eddy_read_file(write_file("bom.ksql", "\xEF\xBB\xBFSHOW STREAMS;", 16), &err);
    CHECK_STR(text, "SHOW STREAMS;");
    free(text);
    text = eddy_read_file(write_file("bom2.ksql", "\xEF\xBB\xBF", 3), &err);
    CHECK_STR(text, "");
    free(text);
    text = eddy_read_file(write_file("bom3.ksql", "a\xEF\xBB\xBF", 4), &err);
    CHECK_STR(text, "a\xEF\xBB\xBF");
    free(text);
    text = eddy_read_file(write_file("bom4.ksql", "\xEF\xBBx", 3), &err);
    CHECK_STR(text, "\xEF\xBBx");
    free(text);
    fd = open(write_file("bom5.ksql", "\xEF\xBB\xBFSET", 6), O_RDONLY);
    text = eddy_read_fd(fd, "stdin", &err);
    CHECK_STR(text, "SET");
    free(text);
    close(fd);

    size_limit();
    testutil_rmtree(dir);
    return testutil_done();
}
