/*
 * test_kafka_group.c - consumer-group membership for the assignment
 * (transport/kafka_group.c) against an in-process mock cluster: two
 * members of one group share a 6-partition topic (each holds some, none
 * both, all held); when one leaves, the other holds all six; a third
 * joining takes some over.  Prints the splits and how long each took (not
 * asserted).
 */
#include "eddy/transport.h"
#include "testutil.h"

#include <time.h>

#define NPARTS 6
#define WAIT_MS 30000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the members until the partitions they hold, together, are
 * exactly 0..NPARTS-1 each once, and each holds want[i] (-1: any but 0).
 * Returns true if that happened within WAIT_MS. */
static bool settle(GroupMember **m, int nm, const int *want, const char *what)
{
    int64_t t0 = now_ms();
    while (now_ms() - t0 < WAIT_MS) {
        int count[NPARTS] = {0}, total = 0;
        bool ok = true;
        char split[256] = "";
        for (int i = 0; i < nm; i++) {
            const TopicPartitionOffset *held;
            int n;
            EddyError err;
            if (kafka_group_poll(m[i], 50, &held, &n, &err) < 0) {
                fprintf(stderr, "poll: %s\n", err.msg);
                return false;
            }
            for (int k = 0; k < n; k++)
                if (held[k].partition >= 0 && held[k].partition < NPARTS)
                    count[held[k].partition]++, total++;
            ok = ok && (want[i] < 0 ? n > 0 : n == want[i]);
            snprintf(split + strlen(split), sizeof split - strlen(split), "%s%d", i ? "+" : "", n);
        }
        for (int p = 0; p < NPARTS; p++)
            ok = ok && count[p] == 1;
        if (ok && total == NPARTS) {
            printf("%s: partitions held %s after %lld ms\n", what, split,
                   (long long)(now_ms() - t0));
            return true;
        }
    }
    return false;
}

int main(void)
{
    EddyError err;
    EmbeddedBroker *b = embedded_broker_start(1, &err);
    CHECK(b != NULL);
    if (b == NULL)
        return 1;
    CHECK(embedded_broker_create_topic(b, "in", NPARTS, &err) == 0);
    const char *props[] = {"bootstrap.servers", embedded_broker_bootstrap(b),
                           "session.timeout.ms", "6000", "heartbeat.interval.ms", "500", NULL};
    Transport *t = kafka_transport_create(props, &err);
    CHECK(t != NULL);
    const char *topics[] = {"in"};
    GroupMember *m[3];
    m[0] = kafka_group_join(t, "eddy_test_group", topics, 1, &err);
    m[1] = kafka_group_join(t, "eddy_test_group", topics, 1, &err);
    CHECK(m[0] != NULL && m[1] != NULL);
    int two[] = {-1, -1};
    CHECK(settle(m, 2, two, "two members"));

    kafka_group_leave(m[1]);
    int one[] = {NPARTS};
    CHECK(settle(m, 1, one, "one left"));

    m[1] = kafka_group_join(t, "eddy_test_group", topics, 1, &err);
    CHECK(m[1] != NULL);
    CHECK(settle(m, 2, two, "one joined"));

    /* A member whose partitions are still assigned when its wait ends
     * leaves without a close (no revoke callback, where librdkafka #4527
     * can hang): at once, and the other takes its partitions after the
     * session timeout (6 s). */
    setenv("EDDY_TEST_GROUP_LEAVE_WAIT_MS", "0", 1);
    int64_t t0 = now_ms();
    kafka_group_leave(m[1]);
    int64_t took = now_ms() - t0;
    unsetenv("EDDY_TEST_GROUP_LEAVE_WAIT_MS");
    printf("left without a close in %lld ms\n", (long long)took);
    CHECK(took < 3000);
    CHECK(settle(m, 1, one, "one left without a close"));

    kafka_group_leave(m[0]);
    t->ops->destroy(t);
    embedded_broker_stop(b);
    embedded_broker_wait_stopped(10000);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed != 0;
}
