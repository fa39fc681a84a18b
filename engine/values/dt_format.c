/*
 * dt_format.c - Java DateTimeFormatter patterns: compiling them, and
 * formatting an instant with one (dt_format, dt_format_fields).
 *
 * In:  ms since the epoch (UTC), a pattern, a zone name.
 * Out: text appended to a StrBuf (left as it was on error).
 *
 * Patterns follow java.time.format.DateTimeFormatter.ofPattern with English
 * text: G u y Q q M L d D E a h K k H m s S A n N V z O X x Z, 'quoted
 * literals', '' for a quote, [optional sections].  Unsupported letters
 * (week-based fields Y w W e c F, padding p) are rejected with an error
 * rather than formatted wrongly.  'z' prints the zone's abbreviation (PST,
 * CEST; "zzzz" prints the zone id, there are no long localized names).
 * A compiled pattern lives on the stack: no allocation per call.
 */
#include "dt_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- patterns --------------------------------------------------------- */

const char *const dt_month_names[12] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"};
const char *const dt_day_names[7] = {
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

int dt_pattern_compile(const char *s, Pattern *p, EddyError *err)
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
    if (dt_pattern_compile(pattern, &p, err) != 0)
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

void dt_put_year(StrBuf *out, int64_t v, int count)
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
        dt_put_year(out, f->year, n);
        break;
    case 'y':
        dt_put_year(out, f->year > 0 ? f->year : 1 - f->year, n);
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
            put_text(out, dt_month_names[f->month - 1], n);
        break;
    case 'd':
        put_num(out, f->day, n);
        break;
    case 'D':
        put_num(out, f->doy, n);
        break;
    case 'E':
        put_text(out, dt_day_names[f->dow - 1], n);
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
    if (dt_pattern_compile(pattern, p, err) != 0 || (z = dt_zone_get(tz, &ztmp, err)) == NULL)
        goto done;
    if (ms > INT64_MAX - MS_PER_DAY || ms < INT64_MIN + MS_PER_DAY) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0, 0}, "timestamp %lld is out of range", (long long)ms);
        goto done;
    }
    Fields f;
    int64_t sec = floor_div(ms, 1000);
    TzType tmp;
    const TzType *ty = dt_zone_type_at(z, sec, &tmp);
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

