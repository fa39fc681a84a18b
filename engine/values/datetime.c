/*
 * datetime.c - civil dates, time zones and Java-style date/time patterns,
 * without libc's locale, TZ environment or localtime().
 *
 * In:  ms since the epoch (UTC), a Java DateTimeFormatter pattern, a zone
 *      name; or text to parse with such a pattern.
 * Out: formatted text appended to a StrBuf; parsed ms since the epoch.
 *
 * Calendar: proleptic Gregorian, Howard Hinnant's days_from_civil /
 * civil_from_days (exact for any int64 day count we can reach from ms).
 *
 * Zones: "UTC"/"Z"/"GMT"/"UT", fixed offsets ("+05:30", "-08", "GMT+2",
 * "UTC-03:30"), Java's three-letter aliases (PST, EST, ...; see
 * zone_aliases) and IANA names read from the TZif files of the system's
 * zoneinfo directory ($TZDIR, else /usr/share/zoneinfo; Debian's tzdata
 * package).  Only the version 2+ 64-bit data block is used; instants after
 * the last transition follow the POSIX TZ rule in the file's footer.
 * Parsed zones are cached for the life of the process (a mutex guards the
 * cache, a small per-thread list of recent zones avoids the lock on the
 * hot path; a zone never changes once loaded), unknown names too.
 *
 * Patterns follow java.time.format.DateTimeFormatter.ofPattern with English
 * text: G u y Q q M L d D E a h K k H m s S A n N V z O X x Z, 'quoted
 * literals', '' for a quote, [optional sections].  Unsupported letters
 * (week-based fields Y w W e c F, padding p) are rejected with an error
 * rather than formatted wrongly.  Parsing resolves like Java's SMART mode
 * as ksqlDB's StringToTimestampParser uses it: missing fields default to
 * 1970-01-01T00:00:00.000 in the zone; an offset or zone in the text wins
 * over the tz argument; a day-of-month past the month's end is clamped
 * (Feb 30 -> Feb 28/29); local times in a DST gap move forward by the gap,
 * ambiguous ones (DST end) take the earlier offset.  Text fields (month and
 * day names, AM/PM) are matched case-insensitively (Java is strict here;
 * accepting more is harmless).  'z' prints the zone's abbreviation (PST,
 * CEST; "zzzz" prints the zone id, there are no long localized names) and
 * parses zone ids plus a table of common abbreviations (PST/PDT, CET/CEST,
 * AEST/AEDT, ...), each resolved to a region as Java does.
 */
#include "eddy/datetime.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL
#define SEC_PER_DAY 86400LL
/* Years we parse: keeps ms since the epoch (and offsets added to it) in int64. */
#define MAX_YEAR 292000000LL

/* ---- civil calendar --------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

int64_t dt_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void dt_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;                                    /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                     /* [0, 11] */
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_length(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* ISO day of week, 1 = Monday .. 7 = Sunday.  1970-01-01 was a Thursday. */
static int day_of_week(int64_t days)
{
    return (int)floor_mod(days + 3, 7) + 1;
}

/* ---- time zones ------------------------------------------------------- */

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

static const Zone zone_utc = {.id = "UTC", .fixed = true, .fixed_off = 0};

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;
static StrMap *zone_cache;     /* name -> Zone*, or &zone_missing */
static char zone_missing;

/* Day number (days since the epoch) of a rule's transition date in `year`. */
static int64_t tz_rule_day(const TzDate *td, int64_t year)
{
    if (td->kind == 'J') {
        int64_t d = dt_days_from_civil(year, 1, 1) + td->d - 1;
        if (is_leap(year) && td->d >= 60)
            d++;
        return d;
    }
    if (td->kind == 'D')
        return dt_days_from_civil(year, 1, 1) + td->d;
    int64_t first = dt_days_from_civil(year, td->m, 1);
    int dow0 = (int)floor_mod(first + 4, 7);            /* 0 = Sunday */
    int64_t day = first + (td->d - dow0 + 7) % 7 + (int64_t)(td->w - 1) * 7;
    int mlen = month_length(year, td->m);
    while (day >= first + mlen)
        day -= 7;
    return day;
}

/* UTC second of a transition given in local time with offset off_before. */
static int64_t tz_rule_transition(const TzDate *td, int64_t year, int32_t off_before)
{
    return tz_rule_day(td, year) * SEC_PER_DAY + td->time - off_before;
}

static const TzType *tz_rule_type(const TzRule *r, int64_t t, TzType *tmp)
{
    tmp->off = r->std_off;
    tmp->dst = false;
    memcpy(tmp->abbr, r->std_abbr, sizeof tmp->abbr);
    if (!r->has_dst)
        return tmp;
    int64_t y;
    int m, d;
    dt_civil_from_days(floor_div(t + r->std_off, SEC_PER_DAY), &y, &m, &d);
    int64_t start = tz_rule_transition(&r->start, y, r->std_off);
    int64_t end = tz_rule_transition(&r->end, y, r->dst_off);
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    if (dst) {
        tmp->off = r->dst_off;
        tmp->dst = true;
        memcpy(tmp->abbr, r->dst_abbr, sizeof tmp->abbr);
    }
    return tmp;
}

/* The zone's offset (and abbreviation) in effect at UTC second t. */
static const TzType *zone_type_at(const Zone *z, int64_t t, TzType *tmp)
{
    if (z->fixed) {
        tmp->off = z->fixed_off;
        tmp->dst = false;
        size_t n = strnlen(z->id, sizeof tmp->abbr - 1);   /* fixed ids are short */
        memcpy(tmp->abbr, z->id, n);
        tmp->abbr[n] = '\0';
        return tmp;
    }
    if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
        if (z->has_rule)
            return tz_rule_type(&z->rule, t, tmp);
        if (z->ntrans == 0)
            return &z->types[0];
        return &z->types[z->trans_type[z->ntrans - 1]];
    }
    if (t < z->trans[0])
        return &z->types[0];
    int lo = 0, hi = z->ntrans - 1;       /* trans[lo] <= t < trans[hi] */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return &z->types[z->trans_type[lo]];
}

static int32_t zone_offset_at(const Zone *z, int64_t t)
{
    TzType tmp;
    return zone_type_at(z, t, &tmp)->off;
}

/* UTC second for local wall-clock second `local` in z (Java's ZonedDateTime.ofLocal:
 * gap -> shifted forward by the gap, overlap -> the earlier offset). */
static int64_t zone_local_to_utc(const Zone *z, int64_t local)
{
    if (z->fixed)
        return local - z->fixed_off;
    int32_t before = zone_offset_at(z, local - SEC_PER_DAY);
    int32_t after = zone_offset_at(z, local + SEC_PER_DAY);
    bool before_ok = zone_offset_at(z, local - before) == before;
    bool after_ok = zone_offset_at(z, local - after) == after;
    if (before_ok)
        return local - before;
    if (after_ok)
        return local - after;
    return local - before;   /* in the gap */
}

/* ---- TZif and POSIX TZ parsing ---------------------------------------- */

static const char *tz_parse_abbr(const char *p, char *out, size_t outsz)
{
    size_t n = 0;
    if (*p == '<') {
        p++;
        while (*p && *p != '>') {
            if (n + 1 < outsz)
                out[n++] = *p;
            p++;
        }
        if (*p != '>')
            return NULL;
        p++;
    } else {
        while (isalpha((unsigned char)*p)) {
            if (n + 1 < outsz)
                out[n++] = *p;
            p++;
        }
    }
    out[n] = '\0';
    return n >= 1 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds (sign as written). */
static const char *tz_parse_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p))
        return NULL;
    int h = 0, m = 0, s = 0, nd = 0;
    while (isdigit((unsigned char)*p) && nd < 3)
        h = h * 10 + (*p++ - '0'), nd++;
    if (*p == ':') {
        p++;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return NULL;
        m = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':') {
            p++;
            if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
                return NULL;
            s = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *tz_parse_date(const char *p, TzDate *td)
{
    td->time = 7200;
    if (*p == 'M') {
        p++;
        char *end;
        long m = strtol(p, &end, 10);
        if (end == p || *end != '.')
            return NULL;
        p = end + 1;
        long w = strtol(p, &end, 10);
        if (end == p || *end != '.')
            return NULL;
        p = end + 1;
        long d = strtol(p, &end, 10);
        if (end == p || m < 1 || m > 12 || w < 1 || w > 5 || d < 0 || d > 6)
            return NULL;
        p = end;
        td->kind = 'M';
        td->m = (int)m, td->w = (int)w, td->d = (int)d;
    } else {
        td->kind = 'D';
        if (*p == 'J') {
            td->kind = 'J';
            p++;
        }
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 0 || n > 365 || (td->kind == 'J' && n < 1))
            return NULL;
        td->d = (int)n;
        p = end;
    }
    if (*p == '/') {
        p = tz_parse_hms(p + 1, &td->time);
        if (p == NULL)
            return NULL;
    }
    return p;
}

static bool tz_parse_rule(const char *p, TzRule *r)
{
    memset(r, 0, sizeof *r);
    int32_t off;
    if ((p = tz_parse_abbr(p, r->std_abbr, sizeof r->std_abbr)) == NULL)
        return false;
    if ((p = tz_parse_hms(p, &off)) == NULL)
        return false;
    r->std_off = -off;                 /* POSIX offsets are west-positive */
    if (*p == '\0')
        return true;
    if ((p = tz_parse_abbr(p, r->dst_abbr, sizeof r->dst_abbr)) == NULL)
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if ((p = tz_parse_hms(p, &off)) == NULL)
            return false;
        r->dst_off = -off;
    }
    if (*p == '\0') {                  /* POSIX default: US rules */
        r->start = (TzDate){'M', 3, 2, 0, 7200};
        r->end = (TzDate){'M', 11, 1, 0, 7200};
        return true;
    }
    if (*p != ',' || (p = tz_parse_date(p + 1, &r->start)) == NULL)
        return false;
    if (*p != ',' || (p = tz_parse_date(p + 1, &r->end)) == NULL)
        return false;
    return *p == '\0';
}

static void zone_free(Zone *z)
{
    if (z) {
        free(z->trans);
        free(z->trans_type);
        free(z->types);
        free(z);
    }
}

/* The six counts of the TZif header at h (big-endian, from byte 20). */
static void tzif_counts(const unsigned char *h, int32_t *isut, int32_t *isstd, int32_t *leap,
                        int32_t *timecnt, int32_t *typecnt, int32_t *charcnt)
{
    *isut = (int32_t)be32_get(h + 20);
    *isstd = (int32_t)be32_get(h + 24);
    *leap = (int32_t)be32_get(h + 28);
    *timecnt = (int32_t)be32_get(h + 32);
    *typecnt = (int32_t)be32_get(h + 36);
    *charcnt = (int32_t)be32_get(h + 40);
}

/* Parses a TZif file's v2+ block.  Returns NULL if the data is not TZif v2+. */
static Zone *tzif_parse(const unsigned char *buf, size_t len, const char *name)
{
    if (len < 44 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
        return NULL;
    /* Skip the v1 block. */
    int32_t isut, isstd, leap, timecnt, typecnt, charcnt;
    tzif_counts(buf, &isut, &isstd, &leap, &timecnt, &typecnt, &charcnt);
    if (isut < 0 || isstd < 0 || leap < 0 || timecnt < 0 || typecnt < 0 || charcnt < 0)
        return NULL;
    size_t v1 = (size_t)timecnt * 5 + (size_t)typecnt * 6 + (size_t)charcnt + (size_t)leap * 8 +
                (size_t)isstd + (size_t)isut;
    size_t off = 44 + v1;
    if (off + 44 > len || memcmp(buf + off, "TZif", 4) != 0)
        return NULL;
    const unsigned char *h = buf + off;
    tzif_counts(h, &isut, &isstd, &leap, &timecnt, &typecnt, &charcnt);
    if (isut < 0 || isstd < 0 || leap < 0 || timecnt < 0 || typecnt <= 0 || typecnt > 256 ||
        charcnt < 0 || timecnt > 100000)
        return NULL;
    const unsigned char *p = h + 44;
    size_t need = (size_t)timecnt * 9 + (size_t)typecnt * 6 + (size_t)charcnt + (size_t)leap * 12 +
                  (size_t)isstd + (size_t)isut;
    if ((size_t)(p - buf) + need > len)
        return NULL;

    Zone *z = calloc(1, sizeof *z);
    if (z == NULL)
        EDDY_PANIC("out of memory");
    snprintf(z->id, sizeof z->id, "%s", name);
    z->ntrans = timecnt;
    z->trans = malloc(sizeof(int64_t) * (size_t)(timecnt ? timecnt : 1));
    z->trans_type = malloc((size_t)(timecnt ? timecnt : 1));
    z->ntypes = typecnt;
    z->types = calloc((size_t)typecnt, sizeof(TzType));
    if (!z->trans || !z->trans_type || !z->types)
        EDDY_PANIC("out of memory");
    for (int i = 0; i < timecnt; i++)
        z->trans[i] = (int64_t)be64_get(p + 8 * i);
    p += 8 * (size_t)timecnt;
    for (int i = 0; i < timecnt; i++) {
        z->trans_type[i] = p[i];
        if (p[i] >= typecnt) {
            zone_free(z);
            return NULL;
        }
    }
    p += timecnt;
    const unsigned char *types = p;
    const char *chars = (const char *)(p + 6 * (size_t)typecnt);
    for (int i = 0; i < typecnt; i++) {
        z->types[i].off = (int32_t)be32_get(types + 6 * i);
        z->types[i].dst = types[6 * i + 4] != 0;
        int ai = types[6 * i + 5];
        if (ai < charcnt) {
            size_t n = strnlen(chars + ai, (size_t)(charcnt - ai));
            if (n >= sizeof z->types[i].abbr)
                n = sizeof z->types[i].abbr - 1;
            memcpy(z->types[i].abbr, chars + ai, n);
        }
    }
    p += need - (size_t)timecnt * 9;
    /* Footer: "\n<POSIX TZ>\n". */
    if ((size_t)(p - buf) < len && *p == '\n') {
        const char *f = (const char *)p + 1;
        const char *nl = memchr(f, '\n', len - (size_t)(p + 1 - buf));
        if (nl && nl > f) {
            char rule[128];
            size_t n = (size_t)(nl - f);
            if (n < sizeof rule) {
                memcpy(rule, f, n);
                rule[n] = '\0';
                z->has_rule = tz_parse_rule(rule, &z->rule);
            }
        }
    }
    return z;
}

static Zone *zone_load_file(const char *name)
{
    /* Only plain relative names below the zoneinfo root. */
    if (name[0] == '\0' || name[0] == '/' || strlen(name) > 60 || strstr(name, ".."))
        return NULL;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("/_-+", *c))
            return NULL;
    const char *dir = getenv("TZDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/usr/share/zoneinfo";
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *buf = malloc(1 << 20);
    if (buf == NULL)
        EDDY_PANIC("out of memory");
    size_t len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    Zone *z = tzif_parse(buf, len, name);
    free(buf);
    return z;
}

/* Parses "+h", "+hh", "+hhmm", "+hh:mm", "+hhmmss", "+hh:mm:ss" (whole string). */
static bool parse_fixed_offset(const char *s, int32_t *off)
{
    if (*s != '+' && *s != '-')
        return false;
    int sign = *s == '-' ? -1 : 1;
    const char *p = s + 1;
    int d[6], n = 0;
    bool colon = false;
    while (*p && n < 6) {
        if (isdigit((unsigned char)*p))
            d[n++] = *p - '0';
        else if (*p == ':' && (n == 2 || n == 4))
            colon = true;
        else
            return false;
        p++;
    }
    if (*p != '\0' || n == 0 || n == 3 || n == 5)
        return false;
    (void)colon;
    int h, m = 0, sec = 0;
    if (n == 1)
        h = d[0];
    else {
        h = d[0] * 10 + d[1];
        if (n >= 4)
            m = d[2] * 10 + d[3];
        if (n == 6)
            sec = d[4] * 10 + d[5];
    }
    if (h > 18 || m > 59 || sec > 59 || h * 3600 + m * 60 + sec > 18 * 3600)
        return false;
    *off = sign * (h * 3600 + m * 60 + sec);
    return true;
}

static void offset_id(int32_t off, char *buf, size_t n)
{
    if (off == 0) {
        snprintf(buf, n, "Z");
        return;
    }
    int a = off < 0 ? -off : off;
    if (a % 60)
        snprintf(buf, n, "%c%02d:%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60, a % 60);
    else
        snprintf(buf, n, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* Java's ZoneId.SHORT_IDS (plus PDT, which ksqlDB's docs use as an example). */
static const char *const zone_aliases[][2] = {
    {"ACT", "Australia/Darwin"},      {"AET", "Australia/Sydney"},
    {"AGT", "America/Argentina/Buenos_Aires"}, {"ART", "Africa/Cairo"},
    {"AST", "America/Anchorage"},     {"BET", "America/Sao_Paulo"},
    {"BST", "Asia/Dhaka"},            {"CAT", "Africa/Harare"},
    {"CNT", "America/St_Johns"},      {"CST", "America/Chicago"},
    {"CTT", "Asia/Shanghai"},         {"EAT", "Africa/Addis_Ababa"},
    {"ECT", "Europe/Paris"},          {"IET", "America/Indiana/Indianapolis"},
    {"IST", "Asia/Kolkata"},          {"JST", "Asia/Tokyo"},
    {"MIT", "Pacific/Apia"},          {"NET", "Asia/Yerevan"},
    {"NST", "Pacific/Auckland"},      {"PLT", "Asia/Karachi"},
    {"PNT", "America/Phoenix"},       {"PRT", "America/Puerto_Rico"},
    {"PST", "America/Los_Angeles"},   {"PDT", "America/Los_Angeles"},
    {"SST", "Pacific/Guadalcanal"},   {"VST", "Asia/Ho_Chi_Minh"},
    {"EST", "-05:00"},                {"MST", "-07:00"},
    {"HST", "-10:00"},
};

static const Zone *zone_fixed(Zone *tmp, const char *id, int32_t off)
{
    memset(tmp, 0, sizeof *tmp);
    snprintf(tmp->id, sizeof tmp->id, "%s", id);
    tmp->fixed = true;
    tmp->fixed_off = off;
    return tmp;
}

/* UTC and fixed-offset names fill *tmp (nothing to cache); returns NULL
 * for anything else. */
static const Zone *zone_parse_fixed(const char *name, Zone *tmp)
{
    int32_t off;
    char id[64];
    if (str_ieq(name, "UTC") || str_ieq(name, "GMT") || str_ieq(name, "UT") || strcmp(name, "Z") == 0)
        return zone_fixed(tmp, name, 0);
    if (parse_fixed_offset(name, &off)) {
        offset_id(off, id, sizeof id);
        return zone_fixed(tmp, id, off);
    }
    static const char *const prefixes[] = {"UTC", "GMT", "UT"};
    for (size_t i = 0; i < 3; i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], pl) == 0 && parse_fixed_offset(name + pl, &off)) {
            char oid[32];
            offset_id(off, oid, sizeof oid);
            snprintf(id, sizeof id, "%s%s", prefixes[i], off == 0 ? "" : oid);
            return zone_fixed(tmp, id, off);
        }
    }
    for (size_t i = 0; i < sizeof zone_aliases / sizeof zone_aliases[0]; i++)
        if (strcmp(name, zone_aliases[i][0]) == 0 && parse_fixed_offset(zone_aliases[i][1], &off))
            return zone_fixed(tmp, zone_aliases[i][1], off);
    return NULL;
}

/* Looks a zone up (NULL name = UTC).  Fixed offsets are built in *tmp;
 * region zones come from the process-wide cache.  NULL with err for
 * unknown names. */
static const Zone *zone_get(const char *name, Zone *tmp, EddyError *err)
{
    if (name == NULL)
        return &zone_utc;
    if (strlen(name) > 60) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "unknown time zone %.60s...", name);
        return NULL;
    }
    const Zone *fixed = zone_parse_fixed(name, tmp);
    if (fixed)
        return fixed;
    /* A few recent region zones per thread: the common case (one zone per
     * query) then takes no lock.  Zones live as long as the process. */
    static __thread struct { char name[64]; const Zone *z; } recent[4];
    static __thread unsigned recent_next;
    for (int i = 0; i < 4; i++)
        if (recent[i].z && strcmp(recent[i].name, name) == 0)
            return recent[i].z;
    const char *file = name;
    for (size_t i = 0; i < sizeof zone_aliases / sizeof zone_aliases[0]; i++)
        if (strcmp(name, zone_aliases[i][0]) == 0)
            file = zone_aliases[i][1];
    pthread_mutex_lock(&zone_lock);
    if (zone_cache == NULL)
        zone_cache = strmap_create();
    void *hit = strmap_get(zone_cache, name);
    if (hit == NULL) {
        Zone *z = zone_load_file(file);
        /* Region zones are bounded by the zoneinfo files; cap the negative
         * entries so a stream of garbage names cannot grow the cache. */
        if (z || strmap_count(zone_cache) < 4096)
            strmap_put(zone_cache, name, z ? (void *)z : (void *)&zone_missing);
        hit = z ? (void *)z : (void *)&zone_missing;
    }
    pthread_mutex_unlock(&zone_lock);
    if (hit == &zone_missing) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "unknown time zone %s", name);
        return NULL;
    }
    unsigned slot = recent_next++ % 4;
    snprintf(recent[slot].name, sizeof recent[slot].name, "%s", name);
    recent[slot].z = hit;
    return hit;
}

/* ---- patterns --------------------------------------------------------- */

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

static const char *const month_names[12] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"};
static const char *const day_names[7] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

static const char *field_name(char c)
{
    switch (c) {
    case 'G': return "Era";
    case 'u': return "Year";
    case 'y': return "YearOfEra";
    case 'Q': case 'q': return "QuarterOfYear";
    case 'M': case 'L': return "MonthOfYear";
    case 'd': return "DayOfMonth";
    case 'D': return "DayOfYear";
    case 'E': return "DayOfWeek";
    case 'a': return "AmPmOfDay";
    case 'h': return "ClockHourOfAmPm";
    case 'K': return "HourOfAmPm";
    case 'k': return "ClockHourOfDay";
    case 'H': return "HourOfDay";
    case 'm': return "MinuteOfHour";
    case 's': return "SecondOfMinute";
    case 'S': return "NanoOfSecond";
    case 'A': return "MilliOfDay";
    case 'n': return "NanoOfSecond";
    case 'N': return "NanoOfDay";
    case 'V': case 'z': return "ZoneId";
    default: return "OffsetSeconds";
    }
}

static unsigned letter_fields(char c)
{
    if (strchr("GuyQqMLdDE", c))
        return DT_FIELDS_DATE;
    if (strchr("ahKkHmsSAnN", c))
        return DT_FIELDS_TIME;
    return DT_FIELDS_ZONE;
}

/* Maximum count allowed for a letter (0 = unknown/unsupported letter). */
static int letter_max(char c)
{
    switch (c) {
    case 'u': case 'y': case 'A': case 'n': case 'N': return 19;
    case 'G': case 'M': case 'L': case 'E': case 'Q': case 'q': case 'X': case 'x': case 'Z':
        return 5;
    case 'z': case 'O': return 4;
    case 'D': return 3;
    case 'd': case 'h': case 'K': case 'k': case 'H': case 'm': case 's': case 'V': return 2;
    case 'a': return 1;
    case 'S': return 9;
    default: return 0;
    }
}

static int pat_add(Pattern *p, Tok t, EddyError *err)
{
    if (p->ntoks >= PAT_MAX_TOKS)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "date/time pattern is too long");
    p->toks[p->ntoks++] = t;
    return 0;
}

static int pat_add_lit(Pattern *p, const char *s, size_t n, EddyError *err)
{
    if (p->nlits + (int)n > PAT_MAX_LITS)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "date/time pattern is too long");
    /* Merge with a preceding literal. */
    if (p->ntoks > 0 && p->toks[p->ntoks - 1].kind == TOK_LIT &&
        p->toks[p->ntoks - 1].lit + p->toks[p->ntoks - 1].litlen == p->nlits) {
        memcpy(p->lits + p->nlits, s, n);
        p->nlits += (int)n;
        p->toks[p->ntoks - 1].litlen += (uint16_t)n;
        return 0;
    }
    Tok t = {.kind = TOK_LIT, .lit = (uint16_t)p->nlits, .litlen = (uint16_t)n};
    memcpy(p->lits + p->nlits, s, n);
    p->nlits += (int)n;
    return pat_add(p, t, err);
}

static int pattern_compile(const char *s, Pattern *p, EddyError *err)
{
    p->ntoks = p->nlits = 0;
    p->fields = 0;
    int depth = 0;
    SrcPos np = {0, 0};
    for (size_t i = 0; s[i];) {
        char c = s[i];
        if (c == '\'') {
            if (s[i + 1] == '\'') {          /* '' = one quote */
                if (pat_add_lit(p, "'", 1, err))
                    return -1;
                i += 2;
                continue;
            }
            size_t j = i + 1;
            for (;;) {
                if (s[j] == '\0')
                    return eddy_error(err, ERR_RUNTIME, np,
                                      "Pattern ends with an incomplete string literal: %s", s);
                if (s[j] == '\'') {
                    if (s[j + 1] == '\'') {
                        if (pat_add_lit(p, "'", 1, err))
                            return -1;
                        j += 2;
                        continue;
                    }
                    break;
                }
                if (pat_add_lit(p, s + j, 1, err))
                    return -1;
                j++;
            }
            i = j + 1;
            continue;
        }
        if (c == '[') {
            depth++;
            if (pat_add(p, (Tok){.kind = TOK_OPT_START}, err))
                return -1;
            i++;
            continue;
        }
        if (c == ']') {
            if (depth == 0)
                return eddy_error(err, ERR_RUNTIME, np,
                                  "Pattern invalid as it contains ] without previous [");
            depth--;
            if (pat_add(p, (Tok){.kind = TOK_OPT_END}, err))
                return -1;
            i++;
            continue;
        }
        if (c == '{' || c == '}' || c == '#')
            return eddy_error(err, ERR_RUNTIME, np, "Pattern includes reserved character: '%c'", c);
        if (isalpha((unsigned char)c) && !(c & 0x80)) {
            size_t j = i;
            while (s[j] == c)
                j++;
            size_t count = j - i;
            int max = letter_max(c);
            if (max == 0)
                return eddy_error(err, ERR_RUNTIME, np,
                                  strchr("YwWecFp", c) ? "Unsupported pattern letter: %c"
                                                      : "Unknown pattern letter: %c", c);
            if ((int)count > max || (c == 'V' && count != 2) || (c == 'O' && count != 1 && count != 4))
                return eddy_error(err, ERR_RUNTIME, np, "Too many pattern letters: %c", c);
            if (pat_add(p, (Tok){.kind = TOK_FIELD, .letter = c, .count = (uint8_t)count}, err))
                return -1;
            p->fields |= letter_fields(c);
            i = j;
            continue;
        }
        if (pat_add_lit(p, s + i, 1, err))
            return -1;
        i++;
    }
    while (depth-- > 0)               /* Java closes unclosed optional sections */
        if (pat_add(p, (Tok){.kind = TOK_OPT_END}, err))
            return -1;
    return 0;
}

int dt_pattern_fields(const char *pattern, unsigned *fields, EddyError *err)
{
    Pattern p;
    if (pattern_compile(pattern, &p, err) != 0)
        return -1;
    *fields = p.fields;
    return 0;
}

/* ---- formatting ------------------------------------------------------- */

typedef struct Fields {
    int64_t year;
    int month, day, doy, dow;
    int hour, minute, second, ms;
    int32_t off;
    const char *zone_id;
    char abbr[16];
} Fields;

static void put_num(StrBuf *out, int64_t v, int minw)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)(v < 0 ? -v : v));
    if (v < 0)
        sb_putc(out, '-');
    for (int i = n; i < minw; i++)
        sb_putc(out, '0');
    sb_append(out, buf, (size_t)n);
}

static void put_year(StrBuf *out, int64_t v, int count)
{
    if (count == 2) {
        put_num(out, floor_mod(v, 100), 2);
        return;
    }
    if (count < 4) {
        put_num(out, v, count);
        return;
    }
    /* EXCEEDS_PAD: a '+' when the value needs more digits than the pad width. */
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)(v < 0 ? -v : v));
    if (v < 0)
        sb_putc(out, '-');
    else if (n > count)
        sb_putc(out, '+');
    for (int i = n; i < count; i++)
        sb_putc(out, '0');
    sb_append(out, buf, (size_t)n);
}

/* +HH, +HHMM, +HH:MM, +HHMMss, +HH:MM:ss (Java's appendOffset patterns). */
static void put_offset(StrBuf *out, int32_t off, int style, const char *zero)
{
    if (off == 0 && zero) {
        sb_puts(out, zero);
        return;
    }
    int a = off < 0 ? -off : off;
    int h = a / 3600, m = a / 60 % 60, s = a % 60;
    sb_putc(out, off < 0 ? '-' : '+');
    put_num(out, h, 2);
    switch (style) {
    case 1:   /* +HHmm: minutes only if non-zero */
        if (m || s)
            put_num(out, m, 2);
        break;
    case 2:   /* +HHMM */
        put_num(out, m, 2);
        break;
    case 3:   /* +HH:MM */
        sb_putc(out, ':');
        put_num(out, m, 2);
        break;
    case 4:   /* +HHMMss */
        put_num(out, m, 2);
        if (s)
            put_num(out, s, 2);
        break;
    default:  /* +HH:MM:ss */
        sb_putc(out, ':');
        put_num(out, m, 2);
        if (s) {
            sb_putc(out, ':');
            put_num(out, s, 2);
        }
        break;
    }
}

static void put_gmt(StrBuf *out, int32_t off, bool full)
{
    sb_puts(out, "GMT");
    if (off == 0)
        return;
    int a = off < 0 ? -off : off;
    int h = a / 3600, m = a / 60 % 60, s = a % 60;
    sb_putc(out, off < 0 ? '-' : '+');
    put_num(out, h, full ? 2 : 1);
    if (full || m || s) {
        sb_putc(out, ':');
        put_num(out, m, 2);
    }
    if (s) {
        sb_putc(out, ':');
        put_num(out, s, 2);
    }
}

static void put_text(StrBuf *out, const char *full, int count)
{
    if (count == 4)
        sb_puts(out, full);
    else if (count == 5)
        sb_append(out, full, 1);
    else
        sb_append(out, full, 3);
}

static int format_field(const Tok *t, const Fields *f, unsigned allowed, StrBuf *out, EddyError *err)
{
    char c = t->letter;
    int n = t->count;
    if (!(letter_fields(c) & allowed))
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "Unsupported field: %s", field_name(c));
    switch (c) {
    case 'G':
        if (n == 4)
            sb_puts(out, f->year > 0 ? "Anno Domini" : "Before Christ");
        else if (n == 5)
            sb_puts(out, f->year > 0 ? "A" : "B");
        else
            sb_puts(out, f->year > 0 ? "AD" : "BC");
        break;
    case 'u':
        put_year(out, f->year, n);
        break;
    case 'y':
        put_year(out, f->year > 0 ? f->year : 1 - f->year, n);
        break;
    case 'Q': case 'q': {
        int q = (f->month - 1) / 3 + 1;
        static const char *const qn[] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
        if (n <= 2)
            put_num(out, q, n);
        else if (n == 3)
            sb_printf(out, "Q%d", q);
        else if (n == 4)
            sb_puts(out, qn[q - 1]);
        else
            put_num(out, q, 1);
        break;
    }
    case 'M': case 'L':
        if (n <= 2)
            put_num(out, f->month, n);
        else
            put_text(out, month_names[f->month - 1], n);
        break;
    case 'd':
        put_num(out, f->day, n);
        break;
    case 'D':
        put_num(out, f->doy, n);
        break;
    case 'E':
        put_text(out, day_names[f->dow - 1], n);
        break;
    case 'a':
        sb_puts(out, f->hour < 12 ? "AM" : "PM");
        break;
    case 'h':
        put_num(out, f->hour % 12 == 0 ? 12 : f->hour % 12, n);
        break;
    case 'K':
        put_num(out, f->hour % 12, n);
        break;
    case 'k':
        put_num(out, f->hour == 0 ? 24 : f->hour, n);
        break;
    case 'H':
        put_num(out, f->hour, n);
        break;
    case 'm':
        put_num(out, f->minute, n);
        break;
    case 's':
        put_num(out, f->second, n);
        break;
    case 'S': {
        char nanos[10];
        snprintf(nanos, sizeof nanos, "%03d000000", f->ms);
        sb_append(out, nanos, (size_t)n);
        break;
    }
    case 'A':
        put_num(out, ((int64_t)f->hour * 3600 + f->minute * 60 + f->second) * 1000 + f->ms, n);
        break;
    case 'n':
        put_num(out, (int64_t)f->ms * 1000000, n);
        break;
    case 'N':
        put_num(out, (((int64_t)f->hour * 3600 + f->minute * 60 + f->second) * 1000 + f->ms) * 1000000, n);
        break;
    case 'V':
        sb_puts(out, f->zone_id);
        break;
    case 'z':
        if (n == 4)
            sb_puts(out, f->zone_id);   /* no localized long names here */
        else
            sb_puts(out, f->abbr);
        break;
    case 'O':
        put_gmt(out, f->off, n == 4);
        break;
    case 'X': case 'x': {
        const char *zero = c == 'X' ? "Z" : NULL;
        put_offset(out, f->off, n, zero);
        break;
    }
    case 'Z':
        if (n <= 3)
            put_offset(out, f->off, 2, NULL);
        else if (n == 4)
            put_gmt(out, f->off, true);
        else
            put_offset(out, f->off, 5, "Z");
        break;
    default:
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "Unknown pattern letter: %c", c);
    }
    return 0;
}

int dt_format_fields(int64_t ms, const char *pattern, const char *tz, unsigned allowed,
                     StrBuf *out, EddyError *err)
{
    size_t start_len = out->len;
    Pattern pat, *p = &pat;   /* ~1.5 KiB on the stack: no allocation per call */
    int rc = -1;
    const Zone *z;
    Zone ztmp;
    if (pattern_compile(pattern, p, err) != 0 || (z = zone_get(tz, &ztmp, err)) == NULL)
        goto done;
    if (ms > INT64_MAX - MS_PER_DAY || ms < INT64_MIN + MS_PER_DAY) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "timestamp %lld is out of range", (long long)ms);
        goto done;
    }
    Fields f;
    int64_t sec = floor_div(ms, 1000);
    TzType tmp;
    const TzType *ty = zone_type_at(z, sec, &tmp);
    f.off = ty->off;
    memcpy(f.abbr, ty->abbr, sizeof f.abbr);
    f.zone_id = z->id;
    int64_t local = ms + (int64_t)f.off * 1000;
    int64_t days = floor_div(local, MS_PER_DAY);
    int64_t msod = floor_mod(local, MS_PER_DAY);
    dt_civil_from_days(days, &f.year, &f.month, &f.day);
    f.doy = (int)(days - dt_days_from_civil(f.year, 1, 1)) + 1;
    f.dow = day_of_week(days);
    f.hour = (int)(msod / 3600000);
    f.minute = (int)(msod / 60000 % 60);
    f.second = (int)(msod / 1000 % 60);
    f.ms = (int)(msod % 1000);
    for (int i = 0; i < p->ntoks; i++) {
        const Tok *t = &p->toks[i];
        if (t->kind == TOK_LIT)
            sb_append(out, p->lits + t->lit, t->litlen);
        else if (t->kind == TOK_FIELD && format_field(t, &f, allowed, out, err) != 0)
            goto done;
    }
    rc = 0;
done:
    if (rc != 0) {
        out->len = start_len;
        if (out->data)
            out->data[start_len] = '\0';
    }
    return rc;
}

int dt_format(int64_t ms, const char *pattern, const char *tz, StrBuf *out, EddyError *err)
{
    return dt_format_fields(ms, pattern, tz, DT_FIELDS_ALL, out, err);
}

/* ---- parsing ---------------------------------------------------------- */

typedef struct Parsed {
    bool has_year, year_is_yoe, has_era, has_month, has_day, has_doy, has_dow;
    bool has_hour, has_h12, has_k24, has_ampm, has_min, has_sec, has_nano, has_mod;
    bool has_off;
    int64_t year;
    int era;                   /* 1 = AD, 0 = BC */
    int month, day, doy, dow;
    int hour, h12, k24, ampm, min, sec;
    int64_t nano, mod;         /* nano-of-second; milli-of-day */
    int32_t off;
    const Zone *zone;          /* parsed zone id, or NULL (may point at ztmp) */
    Zone ztmp;
    char h12_letter;           /* 'h' (1-12) or 'K' (0-11) */
} Parsed;

typedef struct ParseState {
    const char *text;
    size_t pos;
    Parsed v;
} ParseState;

static bool is_numeric_tok(const Tok *t)
{
    if (t->kind != TOK_FIELD)
        return false;
    switch (t->letter) {
    case 'M': case 'L': case 'Q': case 'q':
        return t->count <= 2;
    case 'u': case 'y': case 'd': case 'D': case 'h': case 'K': case 'k': case 'H': case 'm':
    case 's': case 'S': case 'A': case 'n': case 'N':
        return true;
    default:
        return false;
    }
}

/* Fixed width of a numeric token, or 0 if its width varies. */
static int fixed_width(const Tok *t)
{
    char c = t->letter;
    if (c == 'S')
        return t->count;
    if (c == 'u' || c == 'y')
        return t->count == 2 ? 2 : 0;
    if (c == 'A' || c == 'n' || c == 'N')
        return 0;
    if (c == 'D')
        return t->count == 3 ? 3 : 0;
    return t->count == 2 ? 2 : 0;
}

static int parse_fail(ParseState *st, EddyError *err, const char *why)
{
    return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "Text '%.100s' could not be parsed at index %zu%s%s",
                      st->text, st->pos, why ? ": " : "", why ? why : "");
}

static int match_text(ParseState *st, const char *const *names, int nnames, int count, int *idx)
{
    /* Full names (count 4), three-letter (1-3), one letter (5).  Longest match wins. */
    const char *s = st->text + st->pos;
    int best = -1;
    size_t bestlen = 0;
    for (int i = 0; i < nnames; i++) {
        size_t len = count == 4 ? strlen(names[i]) : count == 5 ? 1 : 3;
        if (len > strlen(names[i]))
            len = strlen(names[i]);
        if (strncasecmp(s, names[i], len) == 0 && len > bestlen) {
            best = i;
            bestlen = len;
        }
    }
    if (best < 0)
        return -1;
    *idx = best;
    st->pos += bestlen;
    return 0;
}

static int parse_offset_text(ParseState *st, bool allow_z, int32_t *off)
{
    const char *s = st->text + st->pos;
    if (allow_z && *s == 'Z') {
        st->pos++;
        *off = 0;
        return 0;
    }
    if (*s != '+' && *s != '-')
        return -1;
    int sign = *s == '-' ? -1 : 1;
    size_t i = 1;
    if (!isdigit((unsigned char)s[i]) || !isdigit((unsigned char)s[i + 1]))
        return -1;
    int h = (s[i] - '0') * 10 + (s[i + 1] - '0');
    i += 2;
    int m = 0, sec = 0;
    size_t j = s[i] == ':' ? i + 1 : i;
    if (isdigit((unsigned char)s[j]) && isdigit((unsigned char)s[j + 1])) {
        m = (s[j] - '0') * 10 + (s[j + 1] - '0');
        i = j + 2;
        size_t k = s[i] == ':' ? i + 1 : i;
        if (isdigit((unsigned char)s[k]) && isdigit((unsigned char)s[k + 1])) {
            sec = (s[k] - '0') * 10 + (s[k + 1] - '0');
            i = k + 2;
        }
    }
    if (h > 18 || m > 59 || sec > 59)
        return -1;
    *off = sign * (h * 3600 + m * 60 + sec);
    st->pos += i;
    return 0;
}

static int parse_zone_text(ParseState *st, EddyError *err)
{
    const char *s = st->text + st->pos;
    size_t n = 0;
    while (s[n] && (isalnum((unsigned char)s[n]) || strchr("/_+-:", s[n])))
        n++;
    if (n == 0 || n >= 64)
        return -1;
    char name[64];
    memcpy(name, s, n);
    name[n] = '\0';
    /* Common abbreviations Java resolves to regions when parsing 'z'. */
    static const char *const abbrs[][2] = {
        {"PST", "America/Los_Angeles"}, {"PDT", "America/Los_Angeles"},
        {"MST", "America/Denver"},      {"MDT", "America/Denver"},
        {"CST", "America/Chicago"},     {"CDT", "America/Chicago"},
        {"EST", "America/New_York"},    {"EDT", "America/New_York"},
        {"AKST", "America/Anchorage"},  {"AKDT", "America/Anchorage"},
        {"HST", "Pacific/Honolulu"},    {"HDT", "Pacific/Honolulu"},
        {"BST", "Europe/London"},       {"CET", "Europe/Paris"},
        {"CEST", "Europe/Paris"},       {"WET", "Europe/Lisbon"},
        {"WEST", "Europe/Lisbon"},      {"EET", "Europe/Athens"},
        {"EEST", "Europe/Athens"},      {"MSK", "Europe/Moscow"},
        {"HKT", "Asia/Hong_Kong"},      {"SGT", "Asia/Singapore"},
        {"KST", "Asia/Seoul"},          {"AEST", "Australia/Sydney"},
        {"AEDT", "Australia/Sydney"},   {"ACST", "Australia/Adelaide"},
        {"ACDT", "Australia/Adelaide"}, {"AWST", "Australia/Perth"},
        {"NZST", "Pacific/Auckland"},   {"NZDT", "Pacific/Auckland"},
    };
    const char *lookup = name;
    for (size_t i = 0; i < sizeof abbrs / sizeof abbrs[0]; i++)
        if (strcmp(name, abbrs[i][0]) == 0)
            lookup = abbrs[i][1];
    EddyError zerr;
    const Zone *z = zone_get(lookup, &st->v.ztmp, &zerr);
    (void)err;
    if (z == NULL)
        return -1;
    st->v.zone = z;
    st->pos += n;
    return 0;
}

/* Reads digits for a numeric field: between minw and maxw digits, leaving
 * `reserve` digits for adjacent fixed-width fields that follow. */
static int read_number(ParseState *st, int minw, int maxw, int reserve, bool allow_sign, int64_t *out)
{
    const char *s = st->text + st->pos;
    int sign = 1;
    size_t i = 0;
    if (allow_sign && (s[0] == '+' || s[0] == '-')) {
        sign = s[0] == '-' ? -1 : 1;
        i = 1;
    }
    int avail = 0;
    while (isdigit((unsigned char)s[i + (size_t)avail]))
        avail++;
    int take = avail - reserve;
    if (take > maxw)
        take = maxw;
    if (take < minw)
        return -1;
    int64_t v = 0;
    for (int k = 0; k < take; k++)
        v = v * 10 + (s[i + (size_t)k] - '0');
    *out = sign * v;
    st->pos += i + (size_t)take;
    return 0;
}

static int parse_field(ParseState *st, const Pattern *p, int ti, EddyError *err)
{
    const Tok *t = &p->toks[ti];
    char c = t->letter;
    int n = t->count;
    Parsed *v = &st->v;
    int idx;

    if (is_numeric_tok(t)) {
        int reserve = 0;
        if (fixed_width(t) == 0)
            for (int j = ti + 1; j < p->ntoks && is_numeric_tok(&p->toks[j]) && fixed_width(&p->toks[j]); j++)
                reserve += fixed_width(&p->toks[j]);
        int minw = n, maxw = n;
        bool sign = false;
        if (c == 'y' || c == 'u') {
            if (n == 2)
                minw = maxw = 2;
            else {
                maxw = 10;
                sign = n >= 4 || c == 'u';
            }
        } else if (c == 'S') {
            minw = maxw = n;
        } else if (c == 'A' || c == 'n' || c == 'N') {
            maxw = 18;
        } else if (n == 1 || (c == 'D' && n == 2)) {
            maxw = c == 'D' ? 3 : 10;
        }
        int64_t x;
        if (read_number(st, minw, maxw, reserve, sign, &x) != 0)
            return -1;
        switch (c) {
        case 'u': case 'y':
            if (n == 2)
                x += 2000;
            if (x > MAX_YEAR || x < -MAX_YEAR)
                return parse_fail(st, err, "year out of range");
            v->has_year = true;
            v->year = x;
            v->year_is_yoe = c == 'y';
            break;
        case 'Q': case 'q':
            if (x < 1 || x > 4)
                return parse_fail(st, err, "Invalid value for QuarterOfYear (valid values 1 - 4)");
            break;
        case 'M': case 'L': v->has_month = true; v->month = (int)(x > 99 ? 99 : x); break;
        case 'd': v->has_day = true; v->day = (int)(x > 99 ? 99 : x); break;
        case 'D': v->has_doy = true; v->doy = (int)x; break;
        case 'h': case 'K':
            v->has_h12 = true;
            v->h12 = (int)(x > 99 ? 99 : x);
            v->h12_letter = c;
            break;
        case 'k': v->has_k24 = true; v->k24 = (int)(x > 99 ? 99 : x); break;
        case 'H': v->has_hour = true; v->hour = (int)(x > 99 ? 99 : x); break;
        case 'm': v->has_min = true; v->min = (int)(x > 99 ? 99 : x); break;
        case 's': v->has_sec = true; v->sec = (int)(x > 99 ? 99 : x); break;
        case 'S': {
            int64_t nano = x;
            for (int k = n; k < 9; k++)
                nano *= 10;
            v->has_nano = true;
            v->nano = nano;
            break;
        }
        case 'n': v->has_nano = true; v->nano = x; break;
        case 'A': v->has_mod = true; v->mod = x; break;
        case 'N': v->has_mod = true; v->mod = x / 1000000; break;
        default: break;
        }
        return 0;
    }
    switch (c) {
    case 'G': {
        static const char *const full[] = {"Before Christ", "Anno Domini"};
        static const char *const shrt[] = {"BC", "AD"};
        const char *s = st->text + st->pos;
        if (n == 4) {
            if (match_text(st, full, 2, 4, &idx) != 0)
                return -1;
        } else if (n == 5) {
            if (*s != 'A' && *s != 'B' && *s != 'a' && *s != 'b')
                return -1;
            idx = (*s == 'A' || *s == 'a');
            st->pos++;
        } else {
            if (strncasecmp(s, "AD", 2) == 0)
                idx = 1;
            else if (strncasecmp(s, "BC", 2) == 0)
                idx = 0;
            else
                return -1;
            st->pos += 2;
            (void)shrt;
        }
        v->has_era = true;
        v->era = idx;
        return 0;
    }
    case 'Q': case 'q': {
        const char *s = st->text + st->pos;
        if (n == 3 && (s[0] == 'Q' || s[0] == 'q') && s[1] >= '1' && s[1] <= '4') {
            st->pos += 2;
            return 0;
        }
        static const char *const qn[] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
        return match_text(st, qn, 4, 4, &idx);
    }
    case 'M': case 'L':
        if (match_text(st, month_names, 12, n == 5 ? 5 : n == 4 ? 4 : 3, &idx) != 0)
            return -1;
        v->has_month = true;
        v->month = idx + 1;
        return 0;
    case 'E':
        if (match_text(st, day_names, 7, n >= 4 ? n : 3, &idx) != 0)
            return -1;
        v->has_dow = true;
        v->dow = idx + 1;
        return 0;
    case 'a': {
        const char *s = st->text + st->pos;
        if (strncasecmp(s, "AM", 2) == 0)
            v->ampm = 0;
        else if (strncasecmp(s, "PM", 2) == 0)
            v->ampm = 1;
        else
            return -1;
        v->has_ampm = true;
        st->pos += 2;
        return 0;
    }
    case 'X': case 'x': case 'Z': {
        int32_t off;
        if (c == 'Z' && n == 4) {
            if (strncmp(st->text + st->pos, "GMT", 3) != 0)
                return -1;
            st->pos += 3;
            off = 0;
            const char *s = st->text + st->pos;
            if ((*s == '+' || *s == '-') && parse_offset_text(st, false, &off) != 0)
                return -1;
        } else if (parse_offset_text(st, c == 'X' || (c == 'Z' && n == 5), &off) != 0)
            return -1;
        v->has_off = true;
        v->off = off;
        return 0;
    }
    case 'O': {
        if (strncmp(st->text + st->pos, "GMT", 3) != 0)
            return -1;
        st->pos += 3;
        const char *s = st->text + st->pos;
        int32_t off = 0;
        if (*s == '+' || *s == '-') {
            int sign = *s == '-' ? -1 : 1;
            size_t i = 1;
            int h = 0, nd = 0;
            while (isdigit((unsigned char)s[i]) && nd < 2)
                h = h * 10 + (s[i++] - '0'), nd++;
            if (nd == 0)
                return -1;
            int m = 0;
            if (s[i] == ':' && isdigit((unsigned char)s[i + 1]) && isdigit((unsigned char)s[i + 2])) {
                m = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
                i += 3;
            }
            off = sign * (h * 3600 + m * 60);
            st->pos += i;
        }
        v->has_off = true;
        v->off = off;
        return 0;
    }
    case 'V': case 'z':
        return parse_zone_text(st, err);
    default:
        return -1;
    }
}

/* Parses tokens [from, to) ; optional sections roll back on failure. */
static int parse_range(ParseState *st, const Pattern *p, int from, int to, EddyError *err, bool *hard)
{
    for (int i = from; i < to; i++) {
        const Tok *t = &p->toks[i];
        if (t->kind == TOK_LIT) {
            if (strncmp(st->text + st->pos, p->lits + t->lit, t->litlen) != 0)
                return -1;
            st->pos += t->litlen;
        } else if (t->kind == TOK_FIELD) {
            eddy_error_clear(err);
            if (parse_field(st, p, i, err) != 0) {
                if (err && err->msg[0])
                    *hard = true;
                return -1;
            }
        } else if (t->kind == TOK_OPT_START) {
            int depth = 1, j = i + 1;
            while (j < to && depth > 0) {
                if (p->toks[j].kind == TOK_OPT_START)
                    depth++;
                else if (p->toks[j].kind == TOK_OPT_END)
                    depth--;
                j++;
            }
            ParseState save = *st;
            if (parse_range(st, p, i + 1, j - 1, err, hard) != 0) {
                if (*hard)
                    return -1;
                *st = save;
            }
            i = j - 1;
        }
    }
    return 0;
}

static int range_error(EddyError *err, const char *text, const char *field, long lo, long hi, long long v)
{
    return eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                      "Text '%.100s' could not be parsed: Invalid value for %s (valid values %ld - %ld): %lld",
                      text, field, lo, hi, v);
}

int dt_parse(const char *text, const char *pattern, const char *tz, int64_t *ms, EddyError *err)
{
    Pattern pat, *p = &pat;
    int rc = -1;
    const Zone *zone;
    Zone ztmp;
    if (pattern_compile(pattern, p, err) != 0 || (zone = zone_get(tz, &ztmp, err)) == NULL)
        goto done;
    ParseState st;
    memset(&st, 0, sizeof st);
    st.text = text;
    bool hard = false;
    if (parse_range(&st, p, 0, p->ntoks, err, &hard) != 0) {
        if (!hard)
            parse_fail(&st, err, NULL);
        goto done;
    }
    if (text[st.pos] != '\0') {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                   "Text '%.100s' could not be parsed, unparsed text found at index %zu", text, st.pos);
        goto done;
    }
    Parsed *v = &st.v;

    /* Date. */
    int64_t year = 1970;
    if (v->has_year && v->year_is_yoe && v->year < 1) {
        range_error(err, text, "YearOfEra", 1, 999999999, v->year);
        goto done;
    }
    if (v->has_nano && (v->nano < 0 || v->nano > 999999999)) {
        range_error(err, text, "NanoOfSecond", 0, 999999999, v->nano);
        goto done;
    }
    if (v->has_year) {
        year = v->year;
        if (v->year_is_yoe && v->has_era && v->era == 0)
            year = 1 - year;   /* year-of-era in BC */
    }
    int month = 1, day = 1;
    int64_t days;
    if (v->has_month && (v->month < 1 || v->month > 12)) {
        range_error(err, text, "MonthOfYear", 1, 12, v->month);
        goto done;
    }
    if (v->has_day && (v->day < 1 || v->day > 31)) {
        range_error(err, text, "DayOfMonth", 1, 31, v->day);
        goto done;
    }
    if (v->has_doy && !v->has_month && !v->has_day) {
        int maxd = is_leap(year) ? 366 : 365;
        if (v->doy < 1 || v->doy > 366) {
            range_error(err, text, "DayOfYear", 1, 366, v->doy);
            goto done;
        }
        if (v->doy > maxd) {
            eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                       "Text '%.100s' could not be parsed: Invalid date 'DayOfYear 366' as '%lld' is not a leap year",
                       text, (long long)year);
            goto done;
        }
        days = dt_days_from_civil(year, 1, 1) + v->doy - 1;
    } else {
        if (v->has_month)
            month = v->month;
        if (v->has_day)
            day = v->day;
        int mlen = month_length(year, month);
        if (day > mlen)
            day = mlen;       /* SMART resolution: clamp to the month's last day */
        days = dt_days_from_civil(year, month, day);
    }
    if (v->has_dow && day_of_week(days) != v->dow) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0},
                   "Text '%.100s' could not be parsed: Conflict found: day of week %s differs from the date's",
                   text, day_names[v->dow - 1]);
        goto done;
    }

    /* Time of day. */
    int64_t msod = 0;
    if (v->has_mod) {
        if (v->mod < 0 || v->mod >= MS_PER_DAY) {
            range_error(err, text, "MilliOfDay", 0, 86399999, v->mod);
            goto done;
        }
        msod = v->mod;
    } else {
        int hour = 0;
        if (v->has_hour) {
            if (v->hour > 23) {
                range_error(err, text, "HourOfDay", 0, 23, v->hour);
                goto done;
            }
            hour = v->hour;
        } else if (v->has_k24) {
            if (v->k24 < 1 || v->k24 > 24) {
                range_error(err, text, "ClockHourOfDay", 1, 24, v->k24);
                goto done;
            }
            hour = v->k24 == 24 ? 0 : v->k24;
        } else if (v->has_h12) {
            /* Without 'a' the hour is taken as AM, as resolving onto midnight does. */
            bool clock = v->h12_letter == 'h';
            if (clock ? (v->h12 < 1 || v->h12 > 12) : v->h12 > 11) {
                range_error(err, text, clock ? "ClockHourOfAmPm" : "HourOfAmPm", clock, clock ? 12 : 11, v->h12);
                goto done;
            }
            hour = v->h12 % 12 + (v->has_ampm && v->ampm ? 12 : 0);
        } else if (v->has_ampm && v->ampm) {
            hour = 12;
        }
        if (v->has_min && v->min > 59) {
            range_error(err, text, "MinuteOfHour", 0, 59, v->min);
            goto done;
        }
        if (v->has_sec && v->sec > 59) {
            range_error(err, text, "SecondOfMinute", 0, 59, v->sec);
            goto done;
        }
        msod = ((int64_t)hour * 3600 + (v->has_min ? v->min : 0) * 60 + (v->has_sec ? v->sec : 0)) * 1000 +
               (v->has_nano ? v->nano / 1000000 : 0);
    }

    int64_t local_sec = days * SEC_PER_DAY + msod / 1000;
    int64_t utc_sec;
    if (v->has_off)
        utc_sec = local_sec - v->off;
    else if (v->zone)
        utc_sec = zone_local_to_utc(v->zone, local_sec);
    else
        utc_sec = zone_local_to_utc(zone, local_sec);
    *ms = utc_sec * 1000 + msod % 1000;
    rc = 0;
done:
    return rc;
}

/* ---- ISO-8601 helpers ------------------------------------------------- */

static void put_iso_date(StrBuf *out, int64_t days)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    put_year(out, y, 4);
    sb_printf(out, "-%02d-%02d", m, d);
}

void dt_format_timestamp_iso(int64_t ms, StrBuf *out)
{
    int64_t days = floor_div(ms, MS_PER_DAY);
    int64_t msod = floor_mod(ms, MS_PER_DAY);
    put_iso_date(out, days);
    sb_printf(out, "T%02d:%02d:%02d.%03d", (int)(msod / 3600000), (int)(msod / 60000 % 60),
              (int)(msod / 1000 % 60), (int)(msod % 1000));
}

void dt_format_date_iso(int32_t days, StrBuf *out)
{
    put_iso_date(out, days);
}

void dt_format_time_iso(int32_t ms, StrBuf *out)
{
    int64_t v = floor_mod(ms, MS_PER_DAY);
    sb_printf(out, "%02d:%02d:%02d", (int)(v / 3600000), (int)(v / 60000 % 60), (int)(v / 1000 % 60));
    if (v % 1000)
        sb_printf(out, ".%03d", (int)(v % 1000));
}

/* Reads exactly n digits. */
static bool iso_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

/* yyyy-MM-dd (also +/-yyyyy for far years); returns days. */
static bool iso_date(const char **s, int64_t *days)
{
    const char *p = *s;
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int64_t y = 0;
    int nd = 0;
    while (isdigit((unsigned char)*p) && nd < 9)
        y = y * 10 + (*p++ - '0'), nd++;
    if (nd < 4 || *p != '-' || y > MAX_YEAR)
        return false;
    p++;
    int m, d;
    if (!iso_digits(&p, 2, &m) || *p != '-')
        return false;
    p++;
    if (!iso_digits(&p, 2, &d))
        return false;
    y *= sign;
    if (m < 1 || m > 12 || d < 1 || d > month_length(y, m))
        return false;
    *days = dt_days_from_civil(y, m, d);
    *s = p;
    return true;
}

/* HH:mm[:ss[.S{1,9}]] -> ms of day. */
static bool iso_time(const char **s, int64_t *ms)
{
    const char *p = *s;
    int h, m, sec = 0, frac = 0;
    if (!iso_digits(&p, 2, &h) || *p != ':')
        return false;
    p++;
    if (!iso_digits(&p, 2, &m))
        return false;
    if (*p == ':') {
        p++;
        if (!iso_digits(&p, 2, &sec))
            return false;
        if (*p == '.' || *p == ',') {
            p++;
            int nd = 0;
            while (isdigit((unsigned char)*p)) {
                if (nd < 3)
                    frac = frac * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (nd == 0 || nd > 9)
                return false;
            for (; nd < 3; nd++)
                frac *= 10;
        }
    }
    if (h > 23 || m > 59 || sec > 59)
        return false;
    *ms = ((int64_t)h * 3600 + m * 60 + sec) * 1000 + frac;
    *s = p;
    return true;
}

int dt_parse_timestamp_iso(const char *s, int64_t *ms)
{
    int64_t days, msod = 0;
    if (s == NULL || !iso_date(&s, &days))
        return -1;
    if (*s == 'T' || *s == ' ') {
        s++;
        if (!iso_time(&s, &msod))
            return -1;
    }
    int32_t off = 0;
    if (*s) {
        if (*s == 'Z' && s[1] == '\0')
            off = 0;
        else {
            ParseState st = {.text = s};
            if (parse_offset_text(&st, true, &off) != 0 || s[st.pos] != '\0')
                return -1;
        }
    }
    *ms = days * MS_PER_DAY + msod - (int64_t)off * 1000;
    return 0;
}

int dt_parse_date_iso(const char *s, int32_t *days)
{
    int64_t d;
    if (s == NULL || !iso_date(&s, &d) || *s != '\0' || d > INT32_MAX || d < INT32_MIN)
        return -1;
    *days = (int32_t)d;
    return 0;
}

int dt_parse_time_iso(const char *s, int32_t *ms)
{
    int64_t v;
    if (s == NULL || !iso_time(&s, &v) || *s != '\0')
        return -1;
    *ms = (int32_t)v;
    return 0;
}

/* ---- zone helpers for callers ------------------------------------------ */

int dt_zone_offset(const char *tz, int64_t ms, int32_t *offset_sec, EddyError *err)
{
    Zone tmp;
    const Zone *z = zone_get(tz, &tmp, err);
    if (z == NULL)
        return -1;
    *offset_sec = zone_offset_at(z, floor_div(ms, 1000));
    return 0;
}

int dt_zone_check(const char *tz, EddyError *err)
{
    Zone tmp;
    return zone_get(tz, &tmp, err) ? 0 : -1;
}
