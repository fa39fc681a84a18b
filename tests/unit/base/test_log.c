/*
 * test_log.c - log lines (base/log.c): eddy_log formats and hands the line
 * to the sink with its level and user data, does nothing without a sink,
 * cuts a long line at EDDY_LOG_LINE_MAX - 1 bytes; the level names.
 */
#include "eddy/base.h"
#include "testutil.h"

typedef struct Seen {
    int calls, level;
    char line[EDDY_LOG_LINE_MAX + 16];
} Seen;

static void sink(void *ud, int level, const char *msg)
{
    Seen *s = ud;
    s->calls++;
    s->level = level;
    snprintf(s->line, sizeof s->line, "%s", msg);
}

int main(void)
{
    Seen s = {0};
    eddy_log(sink, &s, EDDY_LOG_WARNING, "topic %s has %d partitions", "t", 3);
    CHECK_EQ_INT(s.calls, 1);
    CHECK_EQ_INT(s.level, EDDY_LOG_WARNING);
    CHECK_STR(s.line, "topic t has 3 partitions");

    eddy_log(NULL, &s, EDDY_LOG_ERROR, "nobody listens: %d", 1);
    CHECK_EQ_INT(s.calls, 1);

    static char big[EDDY_LOG_LINE_MAX * 2];
    memset(big, 'x', sizeof big - 1);
    eddy_log(sink, &s, EDDY_LOG_INFO, "%s", big);
    CHECK_EQ_INT(s.calls, 2);
    CHECK_EQ_INT(s.level, EDDY_LOG_INFO);
    CHECK_EQ_INT(strlen(s.line), EDDY_LOG_LINE_MAX - 1);

    CHECK_STR(eddy_log_level_name(EDDY_LOG_INFO), "info");
    CHECK_STR(eddy_log_level_name(EDDY_LOG_WARNING), "warning");
    CHECK_STR(eddy_log_level_name(EDDY_LOG_ERROR), "error");
    CHECK_STR(eddy_log_level_name(-1), "info");
    CHECK_STR(eddy_log_level_name(7), "error");
    return testutil_done();
}
