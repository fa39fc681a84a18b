/* test_event_order.c - a query takes its input records in event-time order
 * across partitions (engine/runtime/runtime.c): the smallest timestamp
 * among the partitions' buffered heads first; an empty partition with
 * records still to fetch is waited for; a caught-up empty one for
 * max.task.idle.ms; and a checkpoint stores the offsets of processed
 * records only, so a buffered record is read again after a restart.
 * The in-memory transport, a 2-partition topic, a CSAS whose output
 * keeps the order the records were processed in. */
#include "engine_testutil.h"

#include <time.h>

#define DDL "CREATE STREAM s (k VARCHAR KEY, v INT) WITH (kafka_topic='ev', value_format='JSON', " \
            "partitions=2);"
#define CSAS "CREATE STREAM o AS SELECT k, v FROM s;"

static void put(Transport *t, int partition, int v)
{
    char val[64];
    int n = snprintf(val, sizeof val, "{\"v\":%d}", v);
    EddyError err;
    CHECK_EQ_INT(t->ops->produce(t, "ev", partition, "k", 1, val, (size_t)n, v, &err), 0);
}

/* The V of every output record, in order, comma-separated. */
static const char *outputs(Transport *t)
{
    static char buf[8192];
    const TransportRecord *r;
    int n = memory_transport_records(t, "O", &r);
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len + 32 < sizeof buf; i++) {
        const char *v = strstr((const char *)r[i].value, "\"V\":");
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d", i ? "," : "",
                                v ? atoi(v + 4) : -1);
    }
    return buf;
}

/* Committed next offset of partition p of "ev" for the query's group:
 * where a consumer of that group starts. */
static int64_t committed(Transport *t, int p)
{
    const char *topics[] = {"ev"};
    EddyError err;
    Consumer *c = t->ops->consumer_open(t, "eddy_CSAS_O_1", topics, 1, RESET_EARLIEST, NULL, 0, &err);
    const TransportRecord *all;
    int n = memory_transport_records(t, "ev", &all), in_p = 0;
    for (int i = 0; i < n; i++)
        in_p += all[i].partition == p;
    int64_t lag = t->ops->consumer_partition_lag(c, "ev", p);
    t->ops->consumer_close(c);
    return in_p - lag;
}

static Engine *start(Transport *t, const char *dir, const char *idle)
{
    Engine *e = make(t, dir);
    EddyError err;
    char set[128];
    snprintf(set, sizeof set, "SET 'max.task.idle.ms'='%s';", idle);
    CHECK_EQ_INT(run(e, set, &err), 0);
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    CHECK_EQ_INT(run(e, CSAS, &err), 0);
    return e;
}

/* Records of both partitions present before the query reads them: the
 * smallest timestamp first (the consumer returns partition 0's first). */
static void test_smallest_timestamp_first(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = start(t, NULL, "0");
    put(t, 1, 10);
    put(t, 1, 30);
    put(t, 1, 50);
    put(t, 0, 20);
    put(t, 0, 40);
    put(t, 0, 60);
    drain(e);
    CHECK_STR(outputs(t), "10,20,30,40,50,60");
    engine_destroy(e);
    t->ops->destroy(t);
}

/* Even with max.task.idle.ms 0 an empty partition whose records are not
 * fetched yet is waited for: the memory consumer returns at most 500
 * records a poll, partition 0's first. */
static void test_waits_for_records_not_fetched(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = start(t, NULL, "0");
    for (int i = 0; i < 600; i++)
        put(t, 0, 1000 + i);
    put(t, 1, 5);
    drain(e);
    const char *o = outputs(t);
    CHECK(strncmp(o, "5,1000,1001,", 12) == 0);
    CHECK(strstr(o, ",1599") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

/* A caught-up empty partition is waited for max.task.idle.ms; records
 * buffered meanwhile are not in the checkpoint's offsets, and after a
 * restart they are read and processed again, once. */
static void test_idle_wait_and_checkpoint_offsets(void)
{
    char dir[] = "/tmp/eddy-test-evorder-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(2);
    EddyError err;
    Engine *e = start(t, dir, "600000");   /* longer than the test */
    put(t, 0, 10);
    put(t, 0, 20);
    drain(e);
    CHECK_STR(outputs(t), "");               /* partition 1 may bring earlier records */
    put(t, 1, 15);
    drain(e);
    CHECK_STR(outputs(t), "10,15");          /* 20 waits for partition 1 again */
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    CHECK_EQ_INT(committed(t, 0), 1);        /* 20 (offset 1) is buffered, not processed */
    CHECK_EQ_INT(committed(t, 1), 1);
    engine_destroy(e);                       /* a crash after the checkpoint */

    e = make(t, dir);
    CHECK_EQ_INT(engine_running_queries(e), 1);
    drain(e);
    CHECK_STR(outputs(t), "10,15");
    put(t, 1, 25);
    put(t, 0, 30);
    drain(e);
    CHECK_STR(outputs(t), "10,15,20,25");    /* 20 read again, processed once; 30 waits */
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    CHECK_EQ_INT(committed(t, 0), 2);
    CHECK_EQ_INT(committed(t, 1), 2);
    engine_destroy(e);
    t->ops->destroy(t);
    testutil_rmtree(dir);
}

/* Once max.task.idle.ms has passed, the other partitions go on without
 * the idle one; a record it brings later is processed (late) when the
 * other partition has idled in turn. */
static void test_idle_wait_ends(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = start(t, NULL, "300");
    put(t, 0, 10);
    put(t, 0, 20);
    drain(e);
    struct timespec pause = {0, 400 * 1000000L};
    nanosleep(&pause, NULL);
    drain(e);
    CHECK_STR(outputs(t), "10,20");
    put(t, 1, 5);
    drain(e);
    CHECK_STR(outputs(t), "10,20");          /* now partition 0 is the idle one */
    nanosleep(&pause, NULL);
    drain(e);
    CHECK_STR(outputs(t), "10,20,5");
    engine_destroy(e);
    t->ops->destroy(t);
}

/* The idle is one wait for every caught-up partition, not one each: a
 * catch-up whose partitions run out one after the other idles once. */
static void test_one_idle_for_all_partitions(void)
{
    Transport *t = memory_transport_create(3);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, "SET 'max.task.idle.ms'='300';", &err), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM s (k VARCHAR KEY, v INT) WITH (kafka_topic='ev', "
                        "value_format='JSON', partitions=3);", &err), 0);
    CHECK_EQ_INT(run(e, CSAS, &err), 0);
    put(t, 0, 10);
    put(t, 1, 20);
    put(t, 1, 30);
    put(t, 2, 40);
    put(t, 2, 50);
    drain(e);
    CHECK_STR(outputs(t), "10");             /* partition 0 ran out: idle */
    struct timespec pause = {0, 400 * 1000000L};
    nanosleep(&pause, NULL);
    drain(e);
    CHECK_STR(outputs(t), "10,20,30,40,50"); /* partition 1 runs out too: no second wait */
    engine_destroy(e);
    t->ops->destroy(t);
}

/* The ksqlDB spelling of the property; a value that is not a number is
 * refused. */
static void test_property(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, "SET 'ksql.streams.max.task.idle.ms'='0';", &err), 0);
    CHECK_EQ_INT(run(e, "SET 'max.task.idle.ms'='soon';", &err), -1);
    CHECK(strstr(err.msg, "max.task.idle.ms must be a number") != NULL);
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    CHECK_EQ_INT(run(e, CSAS, &err), 0);
    put(t, 0, 10);
    drain(e);
    CHECK_STR(outputs(t), "10");             /* 0: no wait for the caught-up partition 1 */
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    sb_init(&rows_out);
    test_smallest_timestamp_first();
    test_waits_for_records_not_fetched();
    test_idle_wait_and_checkpoint_offsets();
    test_idle_wait_ends();
    test_one_idle_for_all_partitions();
    test_property();
    sb_free(&text_out);
    sb_free(&log_out);
    sb_free(&rows_out);
    return testutil_done();
}
