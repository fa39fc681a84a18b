/*
 * test_embed.c - the embedding API's words and values (engine/sql/embed.c):
 * keywords, function names in order, the end of a statement, DOUBLE and
 * time text as the engine writes it, time patterns and zones checked, and
 * times read as ISO-8601 (local to a zone, across a DST change) or with a
 * pattern; ERR_SYNTAX for text that is no ISO-8601 time.
 */
#include "eddy/eddy.h"
#include "testutil.h"

#include <strings.h>

static char buf[1100];

/* sb's text in buf; frees sb. */
static const char *take(StrBuf *sb)
{
    snprintf(buf, sizeof buf, "%s", sb->data ? sb->data : "");
    sb_free(sb);
    return buf;
}

static const char *dbl(double d)
{
    StrBuf sb;
    sb_init(&sb);
    eddy_format_double(d, &sb);
    return take(&sb);
}

static const char *when(int64_t ms)
{
    StrBuf sb;
    sb_init(&sb);
    eddy_format_time(ms, &sb);
    return take(&sb);
}

/* eddy_parse_time's answer as text: the instant, or "error KIND: msg". */
static const char *parsed(const char *text, const char *format, const char *zone)
{
    int64_t ms = -1;
    EddyError err;
    if (eddy_parse_time(text, format, zone, &ms, &err) < 0) {
        snprintf(buf, sizeof buf, "error %d: %s", (int)err.kind, err.msg);
        return buf;
    }
    return when(ms);
}

int main(void)
{
    const char *const *kw = eddy_keywords();
    bool select = false, bigint = false;
    for (int i = 0; kw[i]; i++) {
        select |= strcmp(kw[i], "SELECT") == 0;
        bigint |= strcmp(kw[i], "BIGINT") == 0;
    }
    CHECK(select && bigint);

    int n = 0;
    bool sorted = true, has_abs = false, has_predict = false;
    for (const char *f, *prev = NULL; (f = eddy_function_name(n)) != NULL; prev = f, n++) {
        sorted &= prev == NULL || strcasecmp(prev, f) < 0;
        has_abs |= strcasecmp(f, "ABS") == 0;
        has_predict |= strcasecmp(f, "PREDICT") == 0;
    }
    CHECK(n > 50);
    CHECK(sorted && has_abs && has_predict);
    CHECK(eddy_function_name(-1) == NULL);
    CHECK(eddy_function_name(n) == NULL);

    CHECK(eddy_statement_complete("SELECT 1;"));
    CHECK(eddy_statement_complete("SELECT 1; -- done\n"));
    CHECK(!eddy_statement_complete("SELECT ';"));
    CHECK(!eddy_statement_complete("SELECT 1"));

    CHECK_STR(dbl(1.0), "1.0");
    CHECK_STR(dbl(1.5e10), "1.5E10");
    CHECK_STR(dbl(0.001), "0.001");
    CHECK_STR(when(0), "1970-01-01T00:00:00.000");
    CHECK_STR(when(1454910360000LL), "2016-02-08T05:46:00.000");

    EddyError err;
    CHECK_EQ_INT(eddy_check_time_format("yyyy-MM-dd HH:mm", &err), 0);
    CHECK_EQ_INT(eddy_check_time_format("yyyy-MM-dd 'unclosed", &err), -1);
    CHECK(err.msg[0] != '\0');
    CHECK_EQ_INT(eddy_check_time_zone("America/New_York", &err), 0);
    CHECK_EQ_INT(eddy_check_time_zone("Mars/Olympus", &err), -1);
    CHECK(strstr(err.msg, "Mars/Olympus") != NULL);

    CHECK_STR(parsed("2016-02-08 05:46:00", NULL, NULL), "2016-02-08T05:46:00.000");
    CHECK_STR(parsed("2016-02-08T05:46:00.000Z", NULL, "America/New_York"),
              "2016-02-08T05:46:00.000");                       /* its own offset wins */
    CHECK_STR(parsed("2016-02-08 05:46:00", NULL, "America/New_York"),
              "2016-02-08T10:46:00.000");                       /* EST, UTC-5 */
    CHECK_STR(parsed("2016-07-08 05:46:00", NULL, "America/New_York"),
              "2016-07-08T09:46:00.000");                       /* EDT, UTC-4 */
    CHECK_STR(parsed("2016-03-13 03:30:00", NULL, "America/New_York"),
              "2016-03-13T07:30:00.000");                       /* just after the change */
    CHECK_STR(parsed("2016-02-08", NULL, NULL), "2016-02-08T00:00:00.000");
    CHECK_STR(parsed("02/08/2016 05:46", "MM/dd/yyyy HH:mm", "UTC"), "2016-02-08T05:46:00.000");
    CHECK_STR(parsed("yesterday", NULL, NULL), "error 1: 'yesterday' is not an ISO-8601 time");
    CHECK_EQ_INT(ERR_SYNTAX, 1);
    CHECK(strncmp(parsed("yesterday", "MM/dd/yyyy", NULL), "error", 5) == 0);
    return testutil_done();
}
