/*
 * dt_parse.c - parsing text with a Java DateTimeFormatter pattern
 * (dt_parse).
 *
 * In:  text, a pattern, the zone to read local times in.
 * Out: ms since the epoch (UTC), or -1 with err saying where the text
 *      stops matching.
 *
 * Parsing resolves like Java's SMART mode as ksqlDB's
 * StringToTimestampParser uses it: missing fields default to
 * 1970-01-01T00:00:00.000 in the zone; an offset or zone in the text wins
 * over the tz argument; a day-of-month past the month's end is clamped
 * (Feb 30 -> Feb 28/29); local times in a DST gap move forward by the gap,
 * ambiguous ones (DST end) take the earlier offset.  Text fields (month and
 * day names, AM/PM) are matched case-insensitively (Java is strict here;
 * accepting more is harmless).  'z' parses zone ids plus a table of common
 * abbreviations (PST/PDT, CET/CEST, AEST/AEDT, ...), each resolved to a
 * region as Java does.
 */
#include "dt_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int dt_parse_offset(const char *s, bool allow_z, int32_t *off, size_t *len)
{
    if (allow_z && *s == 'Z') {
        *len = 1;
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
    *len = i;
    return 0;
}

/* An offset at the parse position (see dt_parse_offset), consumed. */
static int parse_offset_text(ParseState *st, bool allow_z, int32_t *off)
{
    size_t len;
    if (dt_parse_offset(st->text + st->pos, allow_z, off, &len) != 0)
        return -1;
    st->pos += len;
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
    const Zone *z = dt_zone_get(lookup, &st->v.ztmp, &zerr);
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
        if (match_text(st, dt_month_names, 12, n == 5 ? 5 : n == 4 ? 4 : 3, &idx) != 0)
            return -1;
        v->has_month = true;
        v->month = idx + 1;
        return 0;
    case 'E':
        if (match_text(st, dt_day_names, 7, n >= 4 ? n : 3, &idx) != 0)
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
    if (dt_pattern_compile(pattern, p, err) != 0 || (zone = dt_zone_get(tz, &ztmp, err)) == NULL)
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
                   text, dt_day_names[v->dow - 1]);
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
        utc_sec = dt_zone_local_to_utc(v->zone, local_sec);
    else
        utc_sec = dt_zone_local_to_utc(zone, local_sec);
    *ms = utc_sec * 1000 + msod % 1000;
    rc = 0;
done:
    return rc;
}

