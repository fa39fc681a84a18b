/*
 * test_vars.c - variable substitution through the engine: SHOW VARIABLES
 * (ksqlDB's table), UNDEFINE's warning, a positioned error for an
 * undefined variable, statements logged after substitution (a restart
 * needs no variables), and a request's own variables (engine_vars_begin/
 * end) that end with it.
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "engine_testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_show_and_errors(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, "DEFINE replicas = '3'; DEFINE format = 'AVRO';\n"
                        "DEFINE topicName = '''my_topic'''; DEFINE replicas = '4';", &err), 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW VARIABLES;", &err), 0);
    /* defined order, names as written, a redefinition keeps its place */
    const char *r = strstr(text_out.data, "replicas");
    const char *f = strstr(text_out.data, "format");
    const char *n = strstr(text_out.data, "topicName");
    CHECK(strstr(text_out.data, "Variable Name") != NULL && strstr(text_out.data, "Value") != NULL);
    CHECK(r && f && n && r < f && f < n);
    CHECK(strstr(text_out.data, "'my_topic'") != NULL);
    CHECK(strstr(text_out.data, "| 4") != NULL && strstr(text_out.data, "| 3") == NULL);

    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "UNDEFINE REPLICAS; UNDEFINE nope;", &err), 0);
    CHECK(strstr(text_out.data, "Cannot undefine variable 'nope' which was never defined") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW VARIABLES;", &err), 0);
    CHECK(strstr(text_out.data, "replicas") == NULL);

    /* An undefined variable: an error at its line and column, nothing done. */
    const char *bad = "CREATE STREAM s (id INT KEY, v INT)\n  WITH (kafka_topic='t', partitions=${replicas}, value_format='JSON');";
    CHECK_EQ_INT(run(e, bad, &err), -1);
    CHECK_EQ_INT(err.pos.line, 2);
    CHECK_EQ_INT(err.pos.col, 37);
    CHECK(strstr(err.msg, "variable 'replicas' is not defined") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW STREAMS;", &err), 0);
    CHECK(strstr(text_out.data, " S ") == NULL);

    /* A failing statement after a DEFINE in one text: the DEFINE stays. */
    CHECK_EQ_INT(run(e, "DEFINE later = 'x'; SELECT * FROM nowhere;", &err), -1);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW VARIABLES;", &err), 0);
    CHECK(strstr(text_out.data, "later") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_logged_after_substitution(void)
{
    char dir[] = "/tmp/eddy-test-vars-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, dir);
    EddyError err;
    CHECK_EQ_INT(run(e, "DEFINE name = 'acc'; DEFINE topic = 'acc_topic'; DEFINE sev = '3';\n"
                        "CREATE STREAM ${name} (id STRING KEY, severity INT) WITH (kafka_topic='${topic}', value_format='JSON');\n"
                        "CREATE STREAM severe AS SELECT id, severity FROM ${name} WHERE severity > ${sev};", &err), 0);
    /* $${ is logged as the ${ it stands for, which the restart keeps literal */
    CHECK_EQ_INT(run(e, "CREATE STREAM lit AS SELECT id, '$${sev}' AS s FROM acc;", &err), 0);
    engine_destroy(e);
    char path[200];
    snprintf(path, sizeof path, "%s/commands.ksql", dir);
    char *log = eddy_read_file(path, &err);
    CHECK(log != NULL);
    if (log) {
        const char *lit = strstr(log, "'${sev}' AS s");   /* the escaped one, and only it */
        CHECK(lit != NULL && strstr(log, "${") == lit + 1 && strstr(lit + 2, "${") == NULL);
        CHECK(strstr(log, "DEFINE") == NULL);
        CHECK(strstr(log, "CREATE STREAM acc (id STRING KEY") != NULL);
        CHECK(strstr(log, "kafka_topic='acc_topic'") != NULL);
        CHECK(strstr(log, "FROM acc WHERE severity > 3;") != NULL);
    }
    free(log);

    /* The restart needs no variables; the same file run again is skipped. */
    e = make(t, dir);
    CHECK(e != NULL);
    sb_reset(&log_out);
    CHECK_EQ_INT(run(e, "DEFINE name = 'acc'; DEFINE topic = 'acc_topic'; DEFINE sev = '3';\n"
                        "CREATE STREAM ${name} (id STRING KEY, severity INT) WITH (kafka_topic='${topic}', value_format='JSON');\n"
                        "CREATE STREAM severe AS SELECT id, severity FROM ${name} WHERE severity > ${sev};", &err), 0);
    CHECK(strstr(log_out.data, "skipped CREATE STREAM ACC: already in the catalog") != NULL);
    CHECK(strstr(log_out.data, "skipped CREATE STREAM SEVERE AS SELECT: already in the catalog") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE severe EXTENDED;", &err), 0);
    CHECK(strstr(text_out.data, "WHERE severity > 3") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE lit EXTENDED;", &err), 0);
    CHECK(strstr(text_out.data, "SELECT id, '${sev}' AS s FROM acc") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
    testutil_rmtree(dir);
}

static void test_request_scope(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, "DEFINE session = 'outer';", &err), 0);

    EngineVars *outer = engine_vars_begin(e);
    engine_define(e, "req", "1");
    CHECK_EQ_INT(run(e, "DEFINE more = '2';", &err), 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW VARIABLES;", &err), 0);
    CHECK(strstr(text_out.data, "req") && strstr(text_out.data, "more"));
    CHECK(strstr(text_out.data, "session") == NULL);
    CHECK_EQ_INT(run(e, "SELECT * FROM x LIMIT ${session};", &err), -1);
    CHECK(strstr(err.msg, "variable 'session' is not defined") != NULL);
    engine_vars_end(e, outer);

    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW VARIABLES;", &err), 0);
    CHECK(strstr(text_out.data, "session") != NULL);
    CHECK(strstr(text_out.data, "req") == NULL && strstr(text_out.data, "more") == NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    sb_init(&rows_out);
    test_show_and_errors();
    test_logged_after_substitution();
    test_request_scope();
    sb_free(&text_out);
    sb_free(&log_out);
    sb_free(&rows_out);
    return testutil_done();
}
