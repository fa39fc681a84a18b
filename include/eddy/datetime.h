/*
 * datetime.h - civil dates and Java-style (DateTimeFormatter) patterns,
 * without libc's locale or TZ environment.  Used by CAST, the date/time
 * functions and TIMESTAMP_FORMAT extraction (engine/values/: datetime.c,
 * dt_zone.c, dt_format.c, dt_parse.c).
 *
 * Time zones: "UTC" / "Z" / "GMT", fixed offsets ("+05:30", "-08:00",
 * "GMT+2") and IANA names read from the system's zoneinfo (TZif) files.
 * NULL tz = UTC.
 *
 * Ownership: every function borrows its strings (text, pattern, tz) for
 * the call only and keeps nothing of the caller's; output is appended to
 * the caller's StrBuf or written to its out-parameters.  Loaded zones are
 * cached inside the module for the life of the process.  All functions
 * are thread-safe.
 */
#ifndef EDDY_DATETIME_H
#define EDDY_DATETIME_H

#include "eddy/base.h"

int64_t dt_days_from_civil(int64_t y, int m, int d);
void dt_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Formats ms-since-epoch with a Java pattern ("yyyy-MM-dd HH:mm:ss.SSS",
 * quotes for literals, 'X'/'Z' offsets, EEE/MMM names in English),
 * appending to out.  -1 with err for an invalid pattern or unknown zone
 * (out is then left as it was). */
int dt_format(int64_t ms, const char *pattern, const char *tz, StrBuf *out, EddyError *err);
/* Parses text with a Java pattern; fields missing from the pattern default
 * to 1970-01-01 00:00:00.000 in tz.  -1 with err when text does not match. */
int dt_parse(const char *text, const char *pattern, const char *tz, int64_t *ms, EddyError *err);

/* ISO-8601 forms used by CAST and the JSON serde. */
void dt_format_timestamp_iso(int64_t ms, StrBuf *out);   /* 2023-01-01T10:00:00.000 */
int dt_parse_timestamp_iso(const char *s, int64_t *ms);   /* accepts date only, T or space, optional .SSS and zone */
void dt_format_date_iso(int32_t days, StrBuf *out);       /* 2023-01-01 */
int dt_parse_date_iso(const char *s, int32_t *days);
void dt_format_time_iso(int32_t ms, StrBuf *out);         /* 10:00:00 (.SSS if non-zero) */
int dt_parse_time_iso(const char *s, int32_t *ms);

/* Milliseconds in a time-unit keyword (MILLISECOND(S), SECOND(S), MINUTE(S),
 * HOUR(S), DAY(S), WEEK(S); any case), or 0 for any other word: the unit
 * argument of DATEADD and its kin, so the binder can tell a unit from a
 * column name. */
int64_t dt_unit_ms(const char *u);

/* ---- what the date/time functions need besides ---------------------------- */

/* Kinds of fields a pattern uses. */
#define DT_FIELDS_DATE 1u      /* G u y Q M L d D E */
#define DT_FIELDS_TIME 2u      /* a h K k H m s S A n N */
#define DT_FIELDS_ZONE 4u      /* V z O X x Z */
#define DT_FIELDS_ALL  7u

/* Like dt_format, but a pattern letter outside `allowed` is an error
 * ("Unsupported field: HourOfDay"), as formatting a Java LocalDate or
 * LocalTime is.  Appends to out; on error out is left as it was. */
int dt_format_fields(int64_t ms, const char *pattern, const char *tz, unsigned allowed,
                     StrBuf *out, EddyError *err);
/* Which DT_FIELDS_* a pattern uses; -1 with err for an invalid pattern. */
int dt_pattern_fields(const char *pattern, unsigned *fields, EddyError *err);
/* UTC offset (seconds, east positive) of zone tz at instant ms; -1 with
 * err ("unknown time zone X"). */
int dt_zone_offset(const char *tz, int64_t ms, int32_t *offset_sec, EddyError *err);
/* 0 if tz names a zone dt_format/dt_parse accept, else -1 with err. */
int dt_zone_check(const char *tz, EddyError *err);

#endif
