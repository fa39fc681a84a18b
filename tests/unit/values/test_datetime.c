/* test_datetime.c - civil calendar, Java patterns (format/parse), zones, ISO helpers. */
#include "eddy/datetime.h"
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>

/* Formats ms with pattern/tz into a static buffer; "<error: ...>" on failure. */
static const char *fmt(int64_t ms, const char *pattern, const char *tz)
{
    static char buf[1100];
    StrBuf sb;
    sb_init(&sb);
    EddyError err;
    eddy_error_clear(&err);
    if (dt_format(ms, pattern, tz, &sb, &err) != 0)
        snprintf(buf, sizeof buf, "<error: %s>", err.msg);
    else
        snprintf(buf, sizeof buf, "%s", sb.data ? sb.data : "");
    sb_free(&sb);
    return buf;
}

static int64_t parse_ok(const char *text, const char *pattern, const char *tz)
{
    int64_t ms = -42;
    EddyError err;
    eddy_error_clear(&err);
    if (dt_parse(text, pattern, tz, &ms, &err) != 0) {
        fprintf(stderr, "unexpected parse error for '%s' / '%s': %s\n", text, pattern, err.msg);
        return INT64_MIN;
    }
    return ms;
}

static bool parse_fails(const char *text, const char *pattern, const char *tz, const char *msg_part)
{
    int64_t ms;
    EddyError err;
    eddy_error_clear(&err);
    if (dt_parse(text, pattern, tz, &ms, &err) == 0)
        return false;
    if (msg_part && !strstr(err.msg, msg_part)) {
        fprintf(stderr, "error '%s' lacks '%s'\n", err.msg, msg_part);
        return false;
    }
    return true;
}

static void test_civil(void)
{
    CHECK_EQ_INT(dt_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(dt_days_from_civil(1969, 12, 31), -1);
    CHECK_EQ_INT(dt_days_from_civil(2000, 2, 29), 11016);
    CHECK_EQ_INT(dt_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(dt_days_from_civil(1600, 1, 1), -135140);
    CHECK_EQ_INT(dt_days_from_civil(0, 3, 1), -719468);

    /* Round trip over a wide span, including negative years and leap days. */
    int bad = 0;
    for (int64_t d = -1000000; d <= 1000000; d += 7) {
        int64_t y;
        int m, dd;
        dt_civil_from_days(d, &y, &m, &dd);
        if (dt_days_from_civil(y, m, dd) != d || m < 1 || m > 12 || dd < 1 || dd > 31)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);

    int64_t y;
    int m, d;
    dt_civil_from_days(11016, &y, &m, &d);
    CHECK(y == 2000 && m == 2 && d == 29);
    dt_civil_from_days(-1, &y, &m, &d);
    CHECK(y == 1969 && m == 12 && d == 31);
    dt_civil_from_days(dt_days_from_civil(1900, 3, 1) - 1, &y, &m, &d);
    CHECK(y == 1900 && m == 2 && d == 28);      /* 1900 is not a leap year */
    dt_civil_from_days(dt_days_from_civil(-4, 3, 1) - 1, &y, &m, &d);
    CHECK(y == -4 && m == 2 && d == 29);        /* proleptic: -4 is a leap year */
}

static void test_format_basic(void)
{
    /* 2021-06-05T14:03:09.045Z, a Saturday. */
    int64_t t = 1622901789045LL;
    CHECK_STR(fmt(t, "yyyy-MM-dd HH:mm:ss.SSS", NULL), "2021-06-05 14:03:09.045");
    CHECK_STR(fmt(t, "yyyy-MM-dd'T'HH:mm:ss.SSSX", "UTC"), "2021-06-05T14:03:09.045Z");
    CHECK_STR(fmt(t, "yy/M/d H:m:s", NULL), "21/6/5 14:3:9");
    CHECK_STR(fmt(t, "MMM MMMM MMMMM", NULL), "Jun June J");
    CHECK_STR(fmt(t, "E EEE EEEE EEEEE", NULL), "Sat Sat Saturday S");
    CHECK_STR(fmt(t, "h:mm a", NULL), "2:03 PM");
    CHECK_STR(fmt(t, "hh K k", NULL), "02 2 14");
    CHECK_STR(fmt(t, "D DDD", NULL), "156 156");
    CHECK_STR(fmt(t, "S SS SSSSSS SSSSSSSSS", NULL), "0 04 045000 045000000");
    CHECK_STR(fmt(t, "Q QQQ QQQQ", NULL), "2 Q2 2nd quarter");
    CHECK_STR(fmt(t, "G GGGG", NULL), "AD Anno Domini");
    CHECK_STR(fmt(t, "A", NULL), "50589045");
    /* Quoted literals and the escaped quote. */
    /* ksqlDB's docs write 'yyyy-MM-dd''T''HH' as a SQL literal; the pattern it
     * denotes is yyyy-MM-dd'T'HH.  Inside a pattern, '' is one quote. */
    CHECK_STR(fmt(t, "yyyy-MM-dd'T'HH", NULL), "2021-06-05T14");
    CHECK_STR(fmt(t, "yyyy-MM-dd''T''HH", NULL), "<error: Unknown pattern letter: T>");
    CHECK_STR(fmt(t, "'Day' d 'of' MMMM", NULL), "Day 5 of June");
    CHECK_STR(fmt(t, "''", NULL), "'");
    CHECK_STR(fmt(t, "'it''s' H", NULL), "it's 14");
    /* Midnight and noon on the 12-hour clock. */
    CHECK_STR(fmt(0, "h a K k", NULL), "12 AM 0 24");
    CHECK_STR(fmt(12 * 3600000LL, "h a", NULL), "12 PM");
    /* Optional sections are printed. */
    CHECK_STR(fmt(t, "yyyy[-MM]", NULL), "2021-06");
}

static void test_format_zones(void)
{
    int64_t t = 1622901789045LL;   /* 2021-06-05T14:03:09.045Z: PDT in Los Angeles */
    CHECK_STR(fmt(t, "yyyy-MM-dd HH:mm:ss XXX", "America/Los_Angeles"), "2021-06-05 07:03:09 -07:00");
    CHECK_STR(fmt(t, "X XX XXX XXXX XXXXX", "America/Los_Angeles"), "-07 -0700 -07:00 -0700 -07:00");
    CHECK_STR(fmt(t, "x xx xxx", "UTC"), "+00 +0000 +00:00");
    CHECK_STR(fmt(t, "X Z ZZZZZ", "UTC"), "Z +0000 Z");
    CHECK_STR(fmt(t, "Z ZZZZ O OOOO", "America/Los_Angeles"), "-0700 GMT-07:00 GMT-7 GMT-07:00");
    CHECK_STR(fmt(t, "z VV", "America/Los_Angeles"), "PDT America/Los_Angeles");
    CHECK_STR(fmt(t + 180LL * 86400000, "z HH", "America/Los_Angeles"), "PST 06");
    CHECK_STR(fmt(t, "HH:mm X", "+05:30"), "19:33 +0530");
    CHECK_STR(fmt(t, "HH:mm XXX VV", "+05:30"), "19:33 +05:30 +05:30");
    CHECK_STR(fmt(t, "HH:mm XXX", "GMT+2"), "16:03 +02:00");
    CHECK_STR(fmt(t, "HH:mm XXX", "UTC-03:30"), "10:33 -03:30");
    CHECK_STR(fmt(t, "HH:mm XXX", "Asia/Kolkata"), "19:33 +05:30");
    CHECK_STR(fmt(t, "HH:mm XXX", "Europe/London"), "15:03 +01:00");
    CHECK_STR(fmt(t, "HH:mm", "PST"), "07:03");            /* Java short id */
    CHECK_STR(fmt(t, "HH:mm XXX", "EST"), "09:03 -05:00"); /* fixed, no DST */

    /* DST transitions in Los Angeles, 2021: spring forward 2021-03-14 10:00Z,
     * fall back 2021-11-07 09:00Z. */
    CHECK_STR(fmt(1615715999000LL, "yyyy-MM-dd HH:mm:ss z", "America/Los_Angeles"), "2021-03-14 01:59:59 PST");
    CHECK_STR(fmt(1615716000000LL, "yyyy-MM-dd HH:mm:ss z", "America/Los_Angeles"), "2021-03-14 03:00:00 PDT");
    CHECK_STR(fmt(1636272000000LL, "HH:mm z", "America/Los_Angeles"), "01:00 PDT");
    CHECK_STR(fmt(1636275600000LL, "HH:mm z", "America/Los_Angeles"), "01:00 PST");
    /* Far future: beyond the explicit transitions, the POSIX footer rule applies. */
    CHECK_STR(fmt(2540314800000LL, "yyyy-MM-dd HH:mm XXX", "America/Los_Angeles"), "2050-07-01 12:00 -07:00");
    CHECK_STR(fmt(2556100800000LL, "yyyy-MM-dd HH:mm XXX", "America/Los_Angeles"), "2050-12-31 04:00 -08:00");
    /* Southern hemisphere: Sydney is on daylight time in January. */
    CHECK_STR(fmt(1609459200000LL, "HH:mm XXX", "Australia/Sydney"), "11:00 +11:00");
    CHECK_STR(fmt(2556100800000LL, "HH:mm XXX", "Australia/Sydney"), "23:00 +11:00");
    /* Before the first transition: local mean time. */
    CHECK_STR(fmt(-5000000000000LL, "yyyy XXXXX", "America/Los_Angeles"), "1811 -07:52:58");

    CHECK_STR(fmt(t, "HH", "Mars/Olympus_Mons"), "<error: unknown time zone Mars/Olympus_Mons>");
    CHECK_STR(fmt(t, "HH", "../../etc/passwd"), "<error: unknown time zone ../../etc/passwd>");
    CHECK_STR(fmt(t, "HH", ""), "<error: unknown time zone >");
    CHECK_EQ_INT(dt_zone_check("Europe/Berlin", NULL), 0);
    CHECK_EQ_INT(dt_zone_check("Nowhere/Land", NULL), -1);
    int32_t off = 0;
    CHECK_EQ_INT(dt_zone_offset("America/Los_Angeles", 1622901789045LL, &off, NULL), 0);
    CHECK_EQ_INT(off, -7 * 3600);
}

static void test_format_years(void)
{
    CHECK_STR(fmt(-1, "yyyy-MM-dd HH:mm:ss.SSS", NULL), "1969-12-31 23:59:59.999");
    CHECK_STR(fmt(-86400000LL * 365, "yyyy-MM-dd E", NULL), "1969-01-01 Wed");
    CHECK_STR(fmt(951782400000LL, "yyyy-MM-dd D", NULL), "2000-02-29 60");
    CHECK_STR(fmt(-11676096000000LL, "yyyy-MM-dd", NULL), "1600-01-01");
    int64_t y10000 = dt_days_from_civil(10000, 1, 1) * 86400000LL;
    CHECK_STR(fmt(y10000, "yyyy-MM-dd", NULL), "+10000-01-01");
    CHECK_STR(fmt(y10000, "yy", NULL), "00");
    int64_t bc = dt_days_from_civil(-43, 3, 15) * 86400000LL;   /* 44 BC */
    CHECK_STR(fmt(bc, "yyyy G", NULL), "0044 BC");
    CHECK_STR(fmt(bc, "uuuu", NULL), "-0043");
    CHECK_STR(fmt(INT64_MAX, "yyyy", NULL), "<error: timestamp 9223372036854775807 is out of range>");
}

static void test_format_errors(void)
{
    CHECK_STR(fmt(0, "yyyy-bb", NULL), "<error: Unknown pattern letter: b>");
    CHECK_STR(fmt(0, "YYYY", NULL), "<error: Unsupported pattern letter: Y>");
    CHECK_STR(fmt(0, "ddd", NULL), "<error: Too many pattern letters: d>");
    CHECK_STR(fmt(0, "HHH", NULL), "<error: Too many pattern letters: H>");
    CHECK_STR(fmt(0, "yyyy 'open", NULL), "<error: Pattern ends with an incomplete string literal: yyyy 'open>");
    CHECK_STR(fmt(0, "yyyy]", NULL), "<error: Pattern invalid as it contains ] without previous [>");
    CHECK_STR(fmt(0, "{yyyy}", NULL), "<error: Pattern includes reserved character: '{'>");
    CHECK_STR(fmt(0, "", NULL), "");
    /* A pattern far longer than any real one is refused, not overflowed. */
    char longpat[2048];
    memset(longpat, 'y', sizeof longpat - 1);
    longpat[sizeof longpat - 1] = '\0';
    CHECK(strncmp(fmt(0, longpat, NULL), "<error:", 7) == 0);
    for (size_t i = 0; i < sizeof longpat - 1; i++)
        longpat[i] = i % 2 ? '-' : 'd';
    CHECK(strncmp(fmt(0, longpat, NULL), "<error: date/time pattern is too long", 36) == 0);

    /* Restricted fields: LocalDate/LocalTime-style formatting. */
    StrBuf sb;
    sb_init(&sb);
    EddyError err;
    CHECK_EQ_INT(dt_format_fields(0, "yyyy-MM-dd HH", NULL, DT_FIELDS_DATE, &sb, &err), -1);
    CHECK_STR(err.msg, "Unsupported field: HourOfDay");
    CHECK_EQ_INT(sb.len, 0);
    CHECK_EQ_INT(dt_format_fields(0, "HH:mm yyyy", NULL, DT_FIELDS_TIME, &sb, &err), -1);
    CHECK_STR(err.msg, "Unsupported field: YearOfEra");
    CHECK_EQ_INT(dt_format_fields(3723004, "HH:mm:ss.SSS", NULL, DT_FIELDS_TIME, &sb, &err), 0);
    CHECK_STR(sb.data, "01:02:03.004");
    sb_free(&sb);

    unsigned f = 0;
    CHECK_EQ_INT(dt_pattern_fields("yyyy-MM-dd", &f, NULL), 0);
    CHECK_EQ_INT(f, DT_FIELDS_DATE);
    CHECK_EQ_INT(dt_pattern_fields("HH:mm'yyyy'X", &f, NULL), 0);
    CHECK_EQ_INT(f, DT_FIELDS_TIME | DT_FIELDS_ZONE);
    CHECK_EQ_INT(dt_pattern_fields("qqqqqq", &f, NULL), -1);
}

static void test_parse(void)
{
    CHECK_EQ_INT(parse_ok("2021-06-05 14:03:09.045", "yyyy-MM-dd HH:mm:ss.SSS", NULL), 1622901789045LL);
    CHECK_EQ_INT(parse_ok("2021-06-05T14:03:09.045Z", "yyyy-MM-dd'T'HH:mm:ss.SSSX", NULL), 1622901789045LL);
    CHECK_EQ_INT(parse_ok("2021-06-05T14:03:09+02:00", "yyyy-MM-dd'T'HH:mm:ssXXX", NULL), 1622894589000LL);
    CHECK_EQ_INT(parse_ok("2021-06-05T14:03:09-0700", "yyyy-MM-dd'T'HH:mm:ssZ", "Asia/Tokyo"), 1622926989000LL);
    /* Missing fields default to 1970-01-01 00:00:00.000. */
    CHECK_EQ_INT(parse_ok("2021", "yyyy", NULL), 1609459200000LL);
    CHECK_EQ_INT(parse_ok("10:00", "HH:mm", NULL), 36000000LL);
    CHECK_EQ_INT(parse_ok("", "", NULL), 0);
    /* The tz argument places local text; an offset in the text wins. */
    CHECK_EQ_INT(parse_ok("2021-06-05 07:03:09", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles"), 1622901789000LL);
    CHECK_EQ_INT(parse_ok("2021-06-05 07:03:09 PDT", "yyyy-MM-dd HH:mm:ss z", NULL), 1622901789000LL);
    CHECK_EQ_INT(parse_ok("2021-06-05 07:03:09 America/Los_Angeles", "yyyy-MM-dd HH:mm:ss VV", "UTC"),
                 1622901789000LL);
    CHECK_EQ_INT(parse_ok("2021-06-05 14:03 GMT+2", "yyyy-MM-dd HH:mm O", NULL), 1622894580000LL);
    /* Text fields, 12-hour clock, day of year, two-digit years. */
    CHECK_EQ_INT(parse_ok("Jun 5, 2021 2:03:09 PM", "MMM d, yyyy h:mm:ss a", NULL), 1622901789000LL);
    CHECK_EQ_INT(parse_ok("Saturday, June 05 2021", "EEEE, MMMM dd yyyy", NULL), 1622851200000LL);
    CHECK_EQ_INT(parse_ok("12:30 AM", "hh:mm a", NULL), 1800000LL);
    CHECK_EQ_INT(parse_ok("12:30 PM", "hh:mm a", NULL), 45000000LL);
    CHECK_EQ_INT(parse_ok("2021-156", "yyyy-DDD", NULL), 1622851200000LL);
    CHECK_EQ_INT(parse_ok("21-06-05", "yy-MM-dd", NULL), 1622851200000LL);
    CHECK_EQ_INT(parse_ok("99-06-05", "yy-MM-dd", NULL), dt_days_from_civil(2099, 6, 5) * 86400000LL);
    /* Adjacent numeric fields without separators. */
    CHECK_EQ_INT(parse_ok("20210605140309", "yyyyMMddHHmmss", NULL), 1622901789000LL);
    CHECK_EQ_INT(parse_ok("20210605", "yyyyMMdd", NULL), 1622851200000LL);
    /* Single letters accept one or more digits. */
    CHECK_EQ_INT(parse_ok("6/5/2021 2:3", "M/d/yyyy H:m", NULL), 1622858580000LL);
    /* Optional sections. */
    CHECK_EQ_INT(parse_ok("2021-06-05", "yyyy-MM-dd[ HH:mm]", NULL), 1622851200000LL);
    CHECK_EQ_INT(parse_ok("2021-06-05 01:02", "yyyy-MM-dd[ HH:mm]", NULL), 1622854920000LL);
    /* Leap years; SMART clamping of a too-large day of month. */
    CHECK_EQ_INT(parse_ok("2000-02-29", "yyyy-MM-dd", NULL), 951782400000LL);
    CHECK_EQ_INT(parse_ok("2021-02-30", "yyyy-MM-dd", NULL), dt_days_from_civil(2021, 2, 28) * 86400000LL);
    CHECK_EQ_INT(parse_ok("2020-02-31", "yyyy-MM-dd", NULL), dt_days_from_civil(2020, 2, 29) * 86400000LL);
    CHECK_EQ_INT(parse_ok("2020-366", "yyyy-DDD", NULL), dt_days_from_civil(2020, 12, 31) * 86400000LL);
    /* Negative epochs. */
    CHECK_EQ_INT(parse_ok("1969-12-31 23:59:59.999", "yyyy-MM-dd HH:mm:ss.SSS", NULL), -1);
    CHECK_EQ_INT(parse_ok("1600-01-01", "yyyy-MM-dd", NULL), -11676096000000LL);
    CHECK_EQ_INT(parse_ok("0044-03-15 BC", "yyyy-MM-dd G", NULL), dt_days_from_civil(-43, 3, 15) * 86400000LL);
    CHECK_EQ_INT(parse_ok("jun 5 2021", "MMM d yyyy", NULL), 1622851200000LL);   /* case-insensitive */

    /* DST in Los Angeles: gap moves forward, overlap takes the earlier offset. */
    CHECK_EQ_INT(parse_ok("2021-03-14 01:59:59", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles"), 1615715999000LL);
    CHECK_EQ_INT(parse_ok("2021-03-14 02:30:00", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles"), 1615717800000LL);
    CHECK_EQ_INT(parse_ok("2021-03-14 03:00:00", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles"), 1615716000000LL);
    CHECK_EQ_INT(parse_ok("2021-11-07 01:30:00", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles"), 1636273800000LL);
    CHECK_EQ_INT(parse_ok("2050-07-01 12:00:00", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles"), 2540314800000LL);

    /* Errors. */
    CHECK(parse_fails("2021-13-01", "yyyy-MM-dd", NULL, "Invalid value for MonthOfYear (valid values 1 - 12): 13"));
    CHECK(parse_fails("2021-01-32", "yyyy-MM-dd", NULL, "DayOfMonth"));
    CHECK(parse_fails("25:00", "HH:mm", NULL, "HourOfDay"));
    CHECK(parse_fails("10:61", "HH:mm", NULL, "MinuteOfHour"));
    CHECK(parse_fails("2021-06-05x", "yyyy-MM-dd", NULL, "unparsed text found at index 10"));
    CHECK(parse_fails("2021/06/05", "yyyy-MM-dd", NULL, "could not be parsed at index 4"));
    CHECK(parse_fails("21-06-05", "yyyy-MM-dd", NULL, "could not be parsed at index 0"));
    CHECK(parse_fails("abc", "yyyy", NULL, NULL));
    CHECK(parse_fails("2021-06-05", "yyyy-MM-dd", "Not/AZone", "unknown time zone Not/AZone"));
    CHECK(parse_fails("2021-06-05", "yyyy-MM-bb", NULL, "Unknown pattern letter: b"));
    CHECK(parse_fails("Friday 2021-06-05", "EEEE yyyy-MM-dd", NULL, "Conflict found"));
    CHECK(parse_fails("2021-366", "yyyy-DDD", NULL, "not a leap year"));
    CHECK(parse_fails("13:00 PM", "hh:mm a", NULL, "ClockHourOfAmPm"));
    CHECK(parse_fails("99999999999-01-01", "yyyy-MM-dd", NULL, NULL));
    CHECK(parse_fails("0000-01-01", "yyyy-MM-dd", NULL, "YearOfEra"));
    CHECK_EQ_INT(parse_ok("0000-01-01", "uuuu-MM-dd", NULL), dt_days_from_civil(0, 1, 1) * 86400000LL);
    CHECK(parse_fails("5 123456789012345678", "s n", NULL, "NanoOfSecond"));
    CHECK(parse_fails("99999999999999", "A", NULL, "MilliOfDay"));
}

static void test_round_trips(void)
{
    static const char *const patterns[] = {
        "yyyy-MM-dd HH:mm:ss.SSS",
        "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        "dd MMM yyyy hh:mm:ss.SSS a",
        "EEEE, MMMM d, yyyy HH:mm:ss.SSS Z",
        "yyyyMMddHHmmssSSS",
        "yyyy-DDD HH:mm:ss.SSS",
        "uuuu-MM-dd HH:mm:ss.SSS VV",
    };
    static const char *const zones[] = {"UTC", "America/Los_Angeles", "Asia/Kolkata", "+03:00",
                                        "Australia/Lord_Howe"};
    int bad = 0;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++)
        for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++)
            /* From 1950: older local mean times have offsets in seconds, which
             * XXX/Z print truncated (as Java does), so they cannot round trip. */
            for (int64_t ms = -631152000000LL; ms < 4102444800000LL; ms += 86400000LL * 37 + 3601234) {
                char text[1200];
                snprintf(text, sizeof text, "%s", fmt(ms, patterns[p], zones[z]));
                int64_t back = 0;
                EddyError err;
                if (dt_parse(text, patterns[p], zones[z], &back, &err) != 0 || back != ms) {
                    /* Local times in a DST overlap cannot round trip without an offset. */
                    int32_t o1, o2;
                    dt_zone_offset(zones[z], ms - 3 * 3600000LL, &o1, NULL);
                    dt_zone_offset(zones[z], ms + 3 * 3600000LL, &o2, NULL);
                    if (o1 == o2 || strchr(patterns[p], 'X') || strchr(patterns[p], 'Z')) {
                        if (bad++ < 5)
                            fprintf(stderr, "round trip %s [%s] %s: %lld -> '%s' -> %lld\n", zones[z],
                                    patterns[p], err.msg, (long long)ms, text, (long long)back);
                    }
                }
            }
    CHECK_EQ_INT(bad, 0);
}

static void test_iso(void)
{
    StrBuf sb;
    sb_init(&sb);
    dt_format_timestamp_iso(1622901789045LL, &sb);
    CHECK_STR(sb.data, "2021-06-05T14:03:09.045");
    sb_reset(&sb);
    dt_format_timestamp_iso(-1, &sb);
    CHECK_STR(sb.data, "1969-12-31T23:59:59.999");
    sb_reset(&sb);
    dt_format_date_iso(11016, &sb);
    CHECK_STR(sb.data, "2000-02-29");
    sb_reset(&sb);
    dt_format_date_iso(-719468, &sb);
    CHECK_STR(sb.data, "0000-03-01");
    sb_reset(&sb);
    dt_format_time_iso(36000000, &sb);
    CHECK_STR(sb.data, "10:00:00");
    sb_reset(&sb);
    dt_format_time_iso(36000123, &sb);
    CHECK_STR(sb.data, "10:00:00.123");
    sb_free(&sb);

    int64_t ms = 0;
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05T14:03:09.045", &ms), 0);
    CHECK_EQ_INT(ms, 1622901789045LL);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05 14:03:09", &ms), 0);
    CHECK_EQ_INT(ms, 1622901789000LL);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05", &ms), 0);
    CHECK_EQ_INT(ms, 1622851200000LL);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05T14:03", &ms), 0);
    CHECK_EQ_INT(ms, 1622901780000LL);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05T14:03:09.1Z", &ms), 0);
    CHECK_EQ_INT(ms, 1622901789100LL);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05T16:03:09.045+02:00", &ms), 0);
    CHECK_EQ_INT(ms, 1622901789045LL);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05T14:03:09.123456789", &ms), 0);
    CHECK_EQ_INT(ms, 1622901789123LL);
    CHECK_EQ_INT(dt_parse_timestamp_iso("1969-12-31T23:59:59.999", &ms), 0);
    CHECK_EQ_INT(ms, -1);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-02-29", &ms), -1);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05T25:00", &ms), -1);
    CHECK_EQ_INT(dt_parse_timestamp_iso("2021-06-05T14:03:09x", &ms), -1);
    /* Every offset form (all the same instant), and nothing after it. */
    const char *offsets[] = {"2021-06-05T19:33:09+0530", "2021-06-05T06:03:09-08",
                             "2021-06-05T14:03:19+00:00:10", "2021-06-05T14:03:09Z"};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        ms = 0;
        CHECK_EQ_INT(dt_parse_timestamp_iso(offsets[i], &ms), 0);
        CHECK_EQ_INT(ms, 1622901789000LL);
    }
    const char *bad_offsets[] = {"2021-06-05T14:03:09+02:00x", "2021-06-05T14:03:09Zx",
                                 "2021-06-05T14:03:09+2", "2021-06-05T14:03:09+19:00"};
    for (size_t i = 0; i < sizeof bad_offsets / sizeof bad_offsets[0]; i++)
        CHECK_EQ_INT(dt_parse_timestamp_iso(bad_offsets[i], &ms), -1);
    CHECK_EQ_INT(dt_parse_timestamp_iso("garbage", &ms), -1);
    CHECK_EQ_INT(dt_parse_timestamp_iso("", &ms), -1);

    int32_t d = 0, t = 0;
    CHECK_EQ_INT(dt_parse_date_iso("2000-02-29", &d), 0);
    CHECK_EQ_INT(d, 11016);
    CHECK_EQ_INT(dt_parse_date_iso("1969-12-31", &d), 0);
    CHECK_EQ_INT(d, -1);
    CHECK_EQ_INT(dt_parse_date_iso("1900-02-29", &d), -1);
    CHECK_EQ_INT(dt_parse_date_iso("2000-02-29T00:00", &d), -1);
    CHECK_EQ_INT(dt_parse_time_iso("10:00:00", &t), 0);
    CHECK_EQ_INT(t, 36000000);
    CHECK_EQ_INT(dt_parse_time_iso("10:00", &t), 0);
    CHECK_EQ_INT(t, 36000000);
    CHECK_EQ_INT(dt_parse_time_iso("23:59:59.999", &t), 0);
    CHECK_EQ_INT(t, 86399999);
    CHECK_EQ_INT(dt_parse_time_iso("24:00:00", &t), -1);
    CHECK_EQ_INT(dt_parse_time_iso("10:00:00 ", &t), -1);
}

/* Zones are loaded and cached concurrently: every thread must see the same answers. */
static void *zone_worker(void *arg)
{
    static const char *const zones[] = {"America/Los_Angeles", "Australia/Sydney", "Europe/Paris",
                                        "Asia/Kolkata", "+05:30", "PST", "Nowhere/Zone"};
    long id = (long)arg, bad = 0;
    for (int i = 0; i < 500; i++) {
        const char *z = zones[(i + id) % 7];
        int64_t ms = 1600000000000LL + (int64_t)i * 7200000LL;
        StrBuf sb;
        sb_init(&sb);
        EddyError err;
        int rc = dt_format(ms, "yyyy-MM-dd HH:mm:ss.SSS z", z, &sb, &err);
        int64_t back = 0;
        if (rc == 0 && (dt_parse(sb.data, "yyyy-MM-dd HH:mm:ss.SSS z", NULL, &back, &err) != 0 || back != ms)) {
            int32_t o1, o2;   /* text in a DST overlap is ambiguous */
            dt_zone_offset(z, ms - 7200000LL, &o1, NULL);
            dt_zone_offset(z, ms + 7200000LL, &o2, NULL);
            if (o1 == o2)
                bad++;
        }
        if ((rc != 0) != (strcmp(z, "Nowhere/Zone") == 0))
            bad++;
        sb_free(&sb);
    }
    return (void *)bad;
}

static void test_threads(void)
{
    pthread_t th[6];
    for (long i = 0; i < 6; i++)
        pthread_create(&th[i], NULL, zone_worker, (void *)i);
    long bad = 0;
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (long)r;
    }
    CHECK_EQ_INT(bad, 0);
    /* Abbreviations parse to their regions. */
    CHECK_EQ_INT(parse_ok("2021-01-01 11:00 AEDT", "yyyy-MM-dd HH:mm z", NULL), 1609459200000LL);
    CHECK_EQ_INT(parse_ok("2021-06-05 16:03 CEST", "yyyy-MM-dd HH:mm z", NULL), 1622901780000LL);
}

int main(void)
{
    test_civil();
    test_format_basic();
    test_format_zones();
    test_format_years();
    test_format_errors();
    test_parse();
    test_round_trips();
    test_iso();
    test_threads();
    return testutil_done();
}
