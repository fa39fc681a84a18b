/*
 * datetime.c - civil dates and the ISO-8601 forms CAST and the JSON serde
 * use, without libc's locale, TZ environment or localtime().  The rest of
 * the date/time module (eddy/datetime.h): dt_zone.c (time zones),
 * dt_format.c (Java patterns, formatting), dt_parse.c (parsing).
 *
 * In:  days or ms since the epoch (UTC); ISO text.
 * Out: civil year/month/day; ISO text appended to a StrBuf; parsed days/ms.
 *
 * Calendar: proleptic Gregorian, Howard Hinnant's days_from_civil /
 * civil_from_days (exact for any int64 day count we can reach from ms).
 */
#include "dt_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- civil calendar --------------------------------------------------- */

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

/* ---- ISO-8601 helpers ------------------------------------------------- */

static void put_iso_date(StrBuf *out, int64_t days)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    dt_put_year(out, y, 4);
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
            size_t len;
            if (dt_parse_offset(s, true, &off, &len) != 0 || s[len] != '\0')
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

/* Milliseconds in a unit keyword (singular or plural), or 0 if unknown. */
int64_t dt_unit_ms(const char *u)
{
    static const struct { const char *name; int64_t ms; } units[] = {
        {"MILLISECOND", 1}, {"SECOND", 1000}, {"MINUTE", 60000}, {"HOUR", 3600000},
        {"DAY", MS_PER_DAY}, {"WEEK", 7 * MS_PER_DAY},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].name);
        if (strncasecmp(u, units[i].name, n) == 0 && (u[n] == '\0' || ((u[n] == 'S' || u[n] == 's') && u[n + 1] == '\0')))
            return units[i].ms;
    }
    return 0;
}
