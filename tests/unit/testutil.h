/* testutil.h - minimal assertions for unit tests: count, report file:line, exit code. */
#ifndef EDDY_TESTUTIL_H
#define EDDY_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int tu_passed, tu_failed;

#define CHECK(cond) do { \
    if (cond) tu_passed++; \
    else { tu_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
    long long tu_a = (long long)(a), tu_b = (long long)(b); \
    if (tu_a == tu_b) tu_passed++; \
    else { tu_failed++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
                                __FILE__, __LINE__, #a, #b, tu_a, tu_b); } \
} while (0)

#define CHECK_STR(a, b) do { \
    const char *tu_a = (a), *tu_b = (b); \
    if (tu_a && tu_b && strcmp(tu_a, tu_b) == 0) tu_passed++; \
    else { tu_failed++; fprintf(stderr, "%s:%d: %s == %s failed:\n  got:      %s\n  expected: %s\n", \
                                __FILE__, __LINE__, #a, #b, tu_a ? tu_a : "(null)", tu_b ? tu_b : "(null)"); } \
} while (0)

/* Removes a directory tree a test made (rm -rf, symlinks not followed). */
static inline void testutil_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *sub = malloc(n);
            if (sub == NULL)
                break;
            snprintf(sub, n, "%s/%s", path, e->d_name);
            testutil_rmtree(sub);
            free(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Prints "N passed, N failed" and returns the process exit code. */
static inline int testutil_done(void)
{
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}

#endif
