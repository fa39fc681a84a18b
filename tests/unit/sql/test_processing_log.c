/*
 * test_processing_log.c - the processing log (issue 11 item 5) on in-memory
 * topics: with ksql.logging.processing.topic.auto.create = 'true' every
 * skipped record of every bad kind (not JSON, cut short, a field of the
 * wrong type, not an object) is written to the log topic once, in ksqlDB's
 * entry shape with its source partition and offset and its bytes in
 * base64; good records are not; the log is off by default; the topic name
 * follows ksql.logging.processing.topic.name; a bad switch value is a
 * positioned error.
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "eddy/value.h"
#include "engine_testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const VALUES[] = {
    "{\"ID\":1,\"NAME\":\"a\"}", /* good */
    "not json",                  /* bad: not JSON */
    "{\"ID\":2,\"NAME\":\"b\"}", /* good */
    "{\"ID\":3",                 /* bad: cut short */
    "{\"ID\":\"x\",\"NAME\":\"c\"}", /* bad: a field of the wrong type */
    "[1,2]",                     /* bad: not an object */
    "{\"ID\":4,\"NAME\":\"d\"}", /* good */
};
enum { NVALUES = sizeof VALUES / sizeof VALUES[0], NBAD = 4 };

static bool is_bad(int i)
{
    return i == 1 || i == 3 || i == 4 || i == 5;
}

static void produce_input(Transport *t)
{
    EddyError err;
    for (int i = 0; i < NVALUES; i++)
        CHECK_EQ_INT(t->ops->produce(t, "src", 0, "k", 1, VALUES[i], strlen(VALUES[i]), 1000 + i,
                                     &err),
                     0);
}

static const char *SRC =
    "CREATE STREAM src (k STRING KEY, id BIGINT, name STRING)\n"
    "  WITH (kafka_topic='src', value_format='JSON');\n"
    "CREATE STREAM good AS SELECT * FROM src;\n";

/* Checks the entries on `topic`: one per bad record, in order. */
static void check_entries(Transport *t, const char *topic)
{
    const TransportRecord *recs;
    int n = memory_transport_records(t, topic, &recs);
    CHECK_EQ_INT(n, NBAD);
    int k = 0;
    for (int i = 0; i < NVALUES && k < n; i++) {
        if (!is_bad(i))
            continue;
        const TransportRecord *r = &recs[k++];
        CHECK(r->key == NULL || r->key_len == 0);
        json_error_t jerr;
        json_t *j = json_loadb(r->value, r->value_len, 0, &jerr);
        CHECK(j != NULL);
        if (j == NULL)
            continue;
        CHECK_STR(json_string_value(json_object_get(j, "level")), "ERROR");
        CHECK_STR(json_string_value(json_object_get(j, "logger")), "processing.CSAS_GOOD_1");
        CHECK(json_is_integer(json_object_get(j, "time")));
        json_t *msg = json_object_get(j, "message");
        CHECK_EQ_INT((int)json_integer_value(json_object_get(msg, "type")), 0);
        json_t *de = json_object_get(msg, "deserializationError");
        CHECK(json_is_object(de));
        CHECK_STR(json_string_value(json_object_get(de, "topic")), "src");
        CHECK_EQ_INT((int)json_integer_value(json_object_get(de, "partition")), 0);
        CHECK_EQ_INT((int)json_integer_value(json_object_get(de, "offset")), i);
        const char *why = json_string_value(json_object_get(de, "errorMessage"));
        CHECK(why != NULL && why[0] != '\0');
        /* The raw bytes, base64 (as ksqlDB writes BYTES). */
        StrBuf want = {0};
        value_base64_encode(VALUES[i], strlen(VALUES[i]), &want);
        CHECK_STR(json_string_value(json_object_get(de, "recordB64")), want.data);
        sb_free(&want);
        CHECK(json_is_null(json_object_get(msg, "recordProcessingError")));
        json_decref(j);
    }
}

/* Runs SRC over the input after `sets`; the entries must be on `topic`,
 * and nothing on the default topic when that is another one. */
static void run_with(const char *sets, const char *topic)
{
    Transport *t = memory_transport_create(1);
    produce_input(t);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, sets, &err), 0);
    CHECK_EQ_INT(run(e, SRC, &err), 0);
    drain(e);
    const TransportRecord *recs;
    CHECK_EQ_INT(memory_transport_records(t, "GOOD", &recs), NVALUES - NBAD);
    check_entries(t, topic);
    if (strcmp(topic, "eddy_processing_log") != 0)
        CHECK_EQ_INT(memory_transport_records(t, "eddy_processing_log", &recs), 0);
    /* Still counted as before. */
    EngineStats st;
    engine_stats(e, &st);
    CHECK_EQ_INT((int)st.records_skipped, NBAD);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_on(void)
{
    run_with("SET 'ksql.logging.processing.topic.auto.create' = 'true';", "eddy_processing_log");
}

static void test_named_topic(void)
{
    run_with("SET 'ksql.logging.processing.topic.auto.create' = 'true';\n"
             "SET 'ksql.logging.processing.topic.name' = 'dead_letters';",
             "dead_letters");
}

static void test_off_by_default(void)
{
    Transport *t = memory_transport_create(1);
    produce_input(t);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, SRC, &err), 0);
    drain(e);
    const TransportRecord *recs;
    CHECK_EQ_INT(memory_transport_records(t, "eddy_processing_log", &recs), 0);
    CHECK_EQ_INT(memory_transport_records(t, "GOOD", &recs), NVALUES - NBAD);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_bad_switch(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, "SET 'ksql.logging.processing.topic.auto.create' = 'yes';", &err), -1);
    CHECK(strstr(err.msg, "must be 'true' or 'false'") != NULL);
    CHECK_EQ_INT(err.pos.line, 1);
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    test_on();
    test_named_topic();
    test_off_by_default();
    test_bad_switch();
    return testutil_done();
}
