/*
 * dt_int.h - private to the date/time module of engine/values: datetime.c
 * (calendar, ISO-8601), dt_zone.c (zones), dt_format.c (patterns,
 * formatting), dt_parse.c (parsing).  The public side is eddy/datetime.h.
 *
 * Zones: a Zone is immutable once built.  dt_zone_get returns either a
 * region zone owned by the process-wide cache (it lives until exit) or a
 * fixed-offset zone built in the caller's *tmp (it lives as long as *tmp).
 */
#ifndef EDDY_DT_INT_H
#define EDDY_DT_INT_H

#include "eddy/datetime.h"

#define MS_PER_DAY 86400000LL
#define SEC_PER_DAY 86400LL
/* Years we parse: keeps ms since the epoch (and offsets added to it) in int64. */
#define MAX_YEAR 292000000LL

/* ---- calendar arithmetic --------------------------------------------------- */

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static inline int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

static inline bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int month_length(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* ISO day of week, 1 = Monday .. 7 = Sunday.  1970-01-01 was a Thursday. */
static inline int day_of_week(int64_t days)
{
    return (int)floor_mod(days + 3, 7) + 1;
}

/* ---- zones (dt_zone.c) ----------------------------------------------------- */

/* A POSIX TZ rule (the TZif footer), e.g. "PST8PDT,M3.2.0,M11.1.0". */
typedef struct TzDate {
    char kind;                 /* 'M' month.week.day, 'J' julian 1..365, 'D' zero-based 0..365 */
    int m, w, d;               /* for 'M'; d = day number for 'J'/'D' */
    int32_t time;              /* seconds after local midnight (may be <0 or >24h) */
} TzDate;

typedef struct TzRule {
    int32_t std_off, dst_off;  /* UT offsets in seconds, east positive */
    char std_abbr[16], dst_abbr[16];
    bool has_dst;
    TzDate start, end;
} TzRule;

typedef struct TzType {
    int32_t off;
    bool dst;
    char abbr[16];
} TzType;

typedef struct Zone {
    char id[64];               /* canonical id: "UTC", "Z"... "+05:30", "America/Los_Angeles" */
    bool fixed;
    int32_t fixed_off;
    int ntrans;
    int64_t *trans;            /* UTC seconds, ascending */
    uint8_t *trans_type;
    int ntypes;
    TzType *types;
    bool has_rule;
    TzRule rule;
} Zone;

/* Looks a zone up (NULL name = UTC): NULL with err for unknown names. */
const Zone *dt_zone_get(const char *name, Zone *tmp, EddyError *err);
/* The zone's offset (and abbreviation) in effect at UTC second t; the
 * result is z's own or *tmp. */
const TzType *dt_zone_type_at(const Zone *z, int64_t t, TzType *tmp);
int32_t dt_zone_offset_at(const Zone *z, int64_t t);
/* UTC second for local wall-clock second `local` in z (Java's
 * ZonedDateTime.ofLocal: gap -> shifted forward by the gap, overlap -> the
 * earlier offset). */
int64_t dt_zone_local_to_utc(const Zone *z, int64_t local);

/* ---- patterns (dt_format.c) ------------------------------------------------ */

typedef enum TokKind { TOK_LIT, TOK_FIELD, TOK_OPT_START, TOK_OPT_END } TokKind;

typedef struct Tok {
    uint8_t kind;
    char letter;
    uint8_t count;
    uint16_t lit, litlen;      /* TOK_LIT: offset/length in Pattern.lits */
} Tok;

#define PAT_MAX_TOKS 128
#define PAT_MAX_LITS 512

typedef struct Pattern {
    Tok toks[PAT_MAX_TOKS];
    int ntoks;
    char lits[PAT_MAX_LITS];
    int nlits;
    unsigned fields;           /* DT_FIELDS_* used */
} Pattern;

/* English month names (January..December) and ISO days (Monday..Sunday). */
extern const char *const dt_month_names[12];
extern const char *const dt_day_names[7];

/* Compiles a DateTimeFormatter pattern into *p (no allocation); -1 with
 * err ("Unknown pattern letter: b", ...). */
int dt_pattern_compile(const char *s, Pattern *p, EddyError *err);

/* Appends year v as pattern letter 'u'/'y' repeated count times prints it
 * (2: two digits; 4 or more: sign when it overflows the width). */
void dt_put_year(StrBuf *out, int64_t v, int count);

/* ---- parsing (dt_parse.c) --------------------------------------------------- */

/* A UTC offset at s: +HH, +HHMM, +HH:MM, +HHMMss, +HH:MM:ss, or 'Z' when
 * allow_z.  0 with *off (seconds east) and *len (characters read), else -1. */
int dt_parse_offset(const char *s, bool allow_z, int32_t *off, size_t *len);

#endif
