/* engine_testutil.h - what the engine tests of tests/unit/sql share: an
 * engine (deterministic, as the test runner's) whose text, logs and rows
 * are captured, statements run with a cleared error, and queries polled
 * until they are idle. */
#ifndef EDDY_ENGINE_TESTUTIL_H
#define EDDY_ENGINE_TESTUTIL_H

#include "eddy/eddy.h"
#include "testutil.h"

static StrBuf text_out, log_out, rows_out;

static inline void on_text(void *ud, const char *t) { sb_puts(&text_out, t); }
static inline void on_log(void *ud, int level, const char *m) { sb_printf(&log_out, "%d %s\n", level, m); }
static inline void on_row(void *ud, const char *const *cols, int n, bool header)
{
    for (int i = 0; i < n; i++)
        sb_printf(&rows_out, "%s%s", i ? "," : "", cols[i]);
    sb_puts(&rows_out, header ? " (header)\n" : "\n");
}

/* max.task.idle.ms 0, as the test runner's: drain() processes what was
 * produced without waiting on the wall clock. */
static const char *const test_engine_props[] = {"auto.offset.reset", "earliest",
                                                "max.task.idle.ms", "0", NULL};

/* make_engine's configuration, for a test that changes some of it. */
static inline EngineConfig test_engine_config(Transport *t, const char *state_dir)
{
    return (EngineConfig){.transport = t, .state_dir = state_dir,
                          .out = {.text = on_text, .log = on_log, .row = on_row},
                          .props = test_engine_props, .auto_create_topics = true,
                          .deterministic = true};
}

/* An engine on t (state in state_dir, or in memory for NULL), reading
 * topics from the earliest offset, not idling for empty partitions; NULL with err when it cannot start. */
static inline Engine *make_engine(Transport *t, const char *state_dir, EddyError *err)
{
    EngineConfig cfg = test_engine_config(t, state_dir);
    return engine_create(&cfg, err);
}

static inline Engine *make(Transport *t, const char *state_dir)
{
    EddyError err;
    Engine *e = make_engine(t, state_dir, &err);
    if (e == NULL)
        fprintf(stderr, "engine_create: %s\n", err.msg);
    return e;
}

static inline int run(Engine *e, const char *sql, EddyError *err)
{
    eddy_error_clear(err);
    return engine_execute(e, sql, "test", err);
}

static inline void drain(Engine *e)
{
    EddyError err;
    while (engine_poll(e, 0, &err) > 0) {
    }
}

#endif
