/*
 * dt_zone.c - time zones: UTC, fixed offsets, Java's short ids and IANA
 * regions read from TZif files, and the offset in effect at an instant.
 *
 * In:  a zone name; an instant (UTC seconds) or a local wall-clock time.
 * Out: a Zone (dt_int.h says who owns it); offsets and abbreviations.
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
 */
#include "dt_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- time zones ------------------------------------------------------- */

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
const TzType *dt_zone_type_at(const Zone *z, int64_t t, TzType *tmp)
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

int32_t dt_zone_offset_at(const Zone *z, int64_t t)
{
    TzType tmp;
    return dt_zone_type_at(z, t, &tmp)->off;
}

/* UTC second for local wall-clock second `local` in z (Java's ZonedDateTime.ofLocal:
 * gap -> shifted forward by the gap, overlap -> the earlier offset). */
int64_t dt_zone_local_to_utc(const Zone *z, int64_t local)
{
    if (z->fixed)
        return local - z->fixed_off;
    int32_t before = dt_zone_offset_at(z, local - SEC_PER_DAY);
    int32_t after = dt_zone_offset_at(z, local + SEC_PER_DAY);
    bool before_ok = dt_zone_offset_at(z, local - before) == before;
    bool after_ok = dt_zone_offset_at(z, local - after) == after;
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
const Zone *dt_zone_get(const char *name, Zone *tmp, EddyError *err)
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

/* ---- zone helpers for callers ------------------------------------------ */

int dt_zone_offset(const char *tz, int64_t ms, int32_t *offset_sec, EddyError *err)
{
    Zone tmp;
    const Zone *z = dt_zone_get(tz, &tmp, err);
    if (z == NULL)
        return -1;
    *offset_sec = dt_zone_offset_at(z, floor_div(ms, 1000));
    return 0;
}

int dt_zone_check(const char *tz, EddyError *err)
{
    Zone tmp;
    return dt_zone_get(tz, &tmp, err) ? 0 : -1;
}
