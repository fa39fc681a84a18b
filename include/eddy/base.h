/*
 * base.h - arenas, growable buffers, errors, big-endian integers, tables
 * sorted by name: the few things every layer uses.
 *
 * Errors come back as status: a function returns 0 on success or -1 on
 * failure and fills the EddyError it was given.  Library code never prints
 * or exits.  Positions are 1-based (line, column); 0 means "no position".
 */
#ifndef EDDY_BASE_H
#define EDDY_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- source positions ------------------------------------------------- */

typedef struct SrcPos {
    int line;   /* 1-based; 0 = unknown */
    int col;    /* 1-based */
} SrcPos;

/* ---- errors ----------------------------------------------------------- */

typedef enum EddyErrorKind {
    ERR_NONE = 0,
    ERR_SYNTAX,       /* parse error */
    ERR_ANALYSIS,     /* unknown names, type errors */
    ERR_UNSUPPORTED,  /* parsed, but the engine cannot run it yet */
    ERR_RUNTIME,      /* evaluation, serde */
    ERR_IO,           /* files, Kafka, RocksDB */
    ERR_INTERNAL
} EddyErrorKind;

typedef struct EddyError {
    EddyErrorKind kind;
    SrcPos pos;
    char msg[1024];
} EddyError;

/* Sets err (if non-NULL) and returns -1, so callers can `return eddy_error(...)`. */
int eddy_error(EddyError *err, EddyErrorKind kind, SrcPos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void eddy_error_clear(EddyError *err);

/* Formats "line L:C: msg\n<source line>\n<caret>" into buf (always NUL-terminated).
 * source may be NULL (then only "line L:C: msg"). */
void eddy_error_format(const EddyError *err, const char *source, char *buf, size_t bufsize);

/* Aborts with file:line and message: for impossible states (unexpected tags). */
_Noreturn void eddy_panic(const char *file, int line, const char *fmt, ...);
#define EDDY_PANIC(...) eddy_panic(__FILE__, __LINE__, __VA_ARGS__)

/* ---- log lines (base/log.c) ------------------------------------------- */

/* A log sink: where library code sends a line for a person (Transport.log,
 * EngineOutput.log have this shape).  The embedder decides where it goes. */
typedef void (*EddyLogFn)(void *ud, int level, const char *msg);
enum { EDDY_LOG_INFO = 0, EDDY_LOG_WARNING = 1, EDDY_LOG_ERROR = 2 };
#define EDDY_LOG_LINE_MAX 2048   /* longer lines are cut */

/* Formats a line and hands it to log(ud, level, line); nothing when log is
 * NULL.  The one formatter of log lines: library code calls this (or a
 * wrapper that names its sink) instead of printing. */
void eddy_log(EddyLogFn log, void *ud, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void eddy_vlog(EddyLogFn log, void *ud, int level, const char *fmt, va_list ap);
/* "info", "warning" or "error" (below 0 counts as info, above 2 as error). */
const char *eddy_log_level_name(int level);

/* ---- arenas ----------------------------------------------------------- */

/* A bump allocator.  Memory lives until arena_reset or arena_destroy.
 * Named for how long they live: statement, query, batch. */
typedef struct Arena Arena;

Arena *arena_create(size_t block_size);          /* 0 = default (64 KiB) */
void arena_destroy(Arena *a);
void arena_reset(Arena *a);                      /* keeps the first block */
void *arena_alloc(Arena *a, size_t n);           /* 16-byte aligned, zeroed */
void *arena_realloc(Arena *a, void *p, size_t old_n, size_t new_n);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_sprintf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t arena_bytes(const Arena *a);              /* bytes reserved from malloc */

/* ---- growable pointer vector (arena-backed) --------------------------- */

typedef struct PtrVec {
    void **items;
    int n, cap;
} PtrVec;

void ptrvec_push(Arena *a, PtrVec *v, void *item);

/* ---- string buffer (malloc-backed) ------------------------------------ */

typedef struct StrBuf {
    char *data;     /* always NUL-terminated once anything was appended */
    size_t len, cap;
} StrBuf;

void sb_init(StrBuf *sb);
void sb_free(StrBuf *sb);
void sb_reset(StrBuf *sb);                       /* len = 0, keeps memory */
void sb_append(StrBuf *sb, const char *s, size_t n);
void sb_puts(StrBuf *sb, const char *s);
void sb_putc(StrBuf *sb, char c);
void sb_printf(StrBuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);

/* ---- big-endian integers ---------------------------------------------- */

/* Most significant byte first: Kafka's (Java's) byte order for INT, BIGINT
 * and DOUBLE bits, the windowed-key bounds, TZif files.  dst/src need no
 * alignment. */
static inline void be32_put(void *dst, uint32_t v)
{
    unsigned char *d = dst;
    d[0] = (unsigned char)(v >> 24);
    d[1] = (unsigned char)(v >> 16);
    d[2] = (unsigned char)(v >> 8);
    d[3] = (unsigned char)v;
}

static inline uint32_t be32_get(const void *src)
{
    const unsigned char *s = src;
    return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

static inline void be64_put(void *dst, uint64_t v)
{
    be32_put(dst, (uint32_t)(v >> 32));
    be32_put((unsigned char *)dst + 4, (uint32_t)v);
}

static inline uint64_t be64_get(const void *src)
{
    return (uint64_t)be32_get(src) << 32 | be32_get((const unsigned char *)src + 4);
}

/* The order-preserving form of a signed integer: big-endian with the sign
 * bit flipped, so that the bytes compare (memcmp) as the integers do.  The
 * key codec's BIGINT and the operators' time indexes use it. */
static inline void be64_put_ordered(void *dst, int64_t v)
{
    be64_put(dst, (uint64_t)v ^ 0x8000000000000000ULL);
}

static inline int64_t be64_get_ordered(const void *src)
{
    return (int64_t)(be64_get(src) ^ 0x8000000000000000ULL);
}

/* Append the 8 bytes of be64_put / be64_put_ordered to sb. */
static inline void sb_put_be64(StrBuf *sb, uint64_t v)
{
    unsigned char b[8];
    be64_put(b, v);
    sb_append(sb, (const char *)b, 8);
}

static inline void sb_put_be64_ordered(StrBuf *sb, int64_t v)
{
    sb_put_be64(sb, (uint64_t)v ^ 0x8000000000000000ULL);
}

/* ---- string helpers --------------------------------------------------- */

bool str_ieq(const char *a, const char *b);          /* ASCII case-insensitive */
char *str_upper(Arena *a, const char *s);             /* ASCII upper copy */
/* Levenshtein distance, case-insensitive; for "did you mean" hints. */
int str_edit_distance(const char *a, const char *b);

/* ---- tables sorted by name -------------------------------------------- */

/* A view of a static array of structs sorted by a `const char *` member,
 * in ASCII case-insensitive order: the function and aggregate registries.
 * The view borrows the array (static, so it lives as long as the process);
 * NAMETAB_INIT(array, type, member) fills it in a static initializer. */
typedef struct NameTable {
    const void *entries;
    size_t n;           /* entries */
    size_t stride;      /* sizeof one entry */
    size_t name_off;    /* offsetof the `const char *` name in an entry */
} NameTable;

#define NAMETAB_INIT(array, type, member) \
    {(array), sizeof(array) / sizeof(type), sizeof(type), offsetof(type, member)}

/* The name of entry i (i < t->n). */
const char *nametab_name(const NameTable *t, size_t i);
/* Index of the entry called name, case-insensitively (binary search), or
 * -1 if there is none or name is NULL. */
int nametab_find(const NameTable *t, const char *name);
/* The entry name nearest to name within max_edits (str_edit_distance),
 * the first of equals; NULL if none is that near.  For "did you mean". */
const char *nametab_closest(const NameTable *t, const char *name, int max_edits);

/* ---- hash map: string -> void* (malloc-backed, keys copied) ----------- */

typedef struct StrMap StrMap;
StrMap *strmap_create(void);
void strmap_destroy(StrMap *m);
void *strmap_get(const StrMap *m, const char *key);
void strmap_put(StrMap *m, const char *key, void *val);   /* replaces */
void *strmap_del(StrMap *m, const char *key);             /* returns old value */
int strmap_count(const StrMap *m);
/* Iterate: start with *iter = 0; returns false when done. */
bool strmap_next(const StrMap *m, size_t *iter, const char **key, void **val);

/* ---- UTF-8 and JSON string literals (base/utf8.c) --------------------- */

/* Bytes of the valid UTF-8 sequence at s (n > 0 bytes left), 0 if s[0]
 * does not start one (RFC 3629: shortest forms, no surrogates). */
size_t utf8_seq_len(const char *s, size_t n);
/* Length of the valid UTF-8 prefix of s[0..n): n when all of it is valid. */
size_t utf8_valid_prefix(const char *s, size_t n);
/* Appends s[0..n) to out as a JSON string literal (RFC 8259 escapes;
 * invalid UTF-8 bytes become U+FFFD). */
void sb_put_json_string(StrBuf *out, const char *s, size_t n);

/* ---- files ------------------------------------------------------------ */

/* The most a text file eddy reads (a script, RUN SCRIPT's file, stdin piped
 * into the REPL, the catalog log, a config or QTT file) may hold. */
#define EDDY_TEXT_MAX ((size_t)16 << 20)

/* The whole text file at path as a NUL-terminated string owned by the
 * caller (free with free()), a UTF-8 byte-order mark at its start dropped;
 * or NULL with err set (ERR_IO; the message names the path) when it cannot
 * be opened, is not a regular file, holds more than EDDY_TEXT_MAX bytes or
 * holds a NUL byte (the message gives its line:column).  base/textfile.c. */
char *eddy_read_file(const char *path, EddyError *err);
/* The same rules for what is left to read on an open descriptor that need
 * not be a regular file (standard input); name names it in messages.  The
 * descriptor stays open. */
char *eddy_read_fd(int fd, const char *name, EddyError *err);

/* ---- time ------------------------------------------------------------- */
int64_t eddy_now_ms(void);      /* wall clock, ms since epoch */
int64_t eddy_mono_ms(void);     /* monotonic clock, ms */

#endif
