/*
 * kafka_group.c - membership of a Kafka consumer group, for the
 * assignment only (engine/README.md, "Scale-out": tasks across
 * processes).  A member subscribes to a query's inputs under the query's
 * group id with the cooperative-sticky assignor, so the group divides
 * their partitions among the processes of an application and a rebalance
 * moves only the partitions that change hands; it fetches nothing (every
 * partition it is given is paused at once): the tasks keep reading
 * through their own assigned consumers, at the offsets stored with their
 * state, so nothing about exactness changes.  What the member reports is
 * the partitions it holds now, after every change.
 *
 * The engine's assigned mode (engine/README.md, "Scale-out") runs the
 * tasks of the partitions a query's member holds
 * (tests/unit/transport/test_kafka_group.c tests the member alone).
 */
#include "kafka_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct GroupMember {
    Consumer c;                   /* first: librdkafka's opaque, for the log routing */
    TopicPartitionOffset *held;   /* the partitions held now (topics malloc'd) */
    int nheld;
    bool changed;                 /* since the last kafka_group_poll */
    bool lost;                    /* partitions lost (not revoked) since the last poll */
    int rebalances;
    void (*on_revoke)(void *ud);  /* kafka_group_on_revoke */
    void *revoke_ud;
};

static void held_clear(GroupMember *m)
{
    for (int i = 0; i < m->nheld; i++)
        free((char *)m->held[i].topic);
    free(m->held);
    m->held = NULL;
    m->nheld = 0;
}

static int held_find(const GroupMember *m, const char *topic, int32_t partition)
{
    for (int i = 0; i < m->nheld; i++)
        if (m->held[i].partition == partition && strcmp(m->held[i].topic, topic) == 0)
            return i;
    return -1;
}

static void held_add(GroupMember *m, const rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        if (held_find(m, parts->elems[i].topic, parts->elems[i].partition) >= 0)
            continue;
        m->held = realloc(m->held, sizeof *m->held * (size_t)(m->nheld + 1));
        char *topic = strdup(parts->elems[i].topic);
        if (m->held == NULL || topic == NULL)
            EDDY_PANIC("out of memory");
        m->held[m->nheld++] = (TopicPartitionOffset){topic, parts->elems[i].partition, -1};
    }
}

static void held_remove(GroupMember *m, const rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        int k = held_find(m, parts->elems[i].topic, parts->elems[i].partition);
        if (k < 0)
            continue;
        free((char *)m->held[k].topic);
        m->held[k] = m->held[--m->nheld];
    }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    GroupMember *m = opaque;
    /* NULL while the member has no protocol yet (a close before it
     * joined: rd_kafka_consumer_close revokes then). */
    const char *protocol = rd_kafka_rebalance_protocol(rk);
    bool cooperative = protocol != NULL && strcmp(protocol, "COOPERATIVE") == 0;
    m->rebalances++;
    if (code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_error_t *e = NULL;
        if (cooperative)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        if (e) {
            kafka_log(m->c.t, 1, "group %s: assignment failed: %s", m->c.group,
                      rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            return;
        }
        rd_kafka_pause_partitions(rk, parts);   /* the tasks fetch, not the member */
        if (!cooperative)
            held_clear(m);
        held_add(m, parts);
    } else {
        /* Partitions given up in a rebalance: the caller checkpoints them
         * before the group may hand them to another member (that happens
         * only once this callback returns).  Lost ones (the session timed
         * out) may have a new owner already: nothing more is written. */
        if (rd_kafka_assignment_lost(rk))
            m->lost = true;
        else if (m->on_revoke)
            m->on_revoke(m->revoke_ud);
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
            held_remove(m, parts);
        } else {
            rd_kafka_assign(rk, NULL);
            held_clear(m);
        }
    }
    m->changed = true;
}

GroupMember *kafka_group_join(Transport *tr, const char *group, const char *const *topics,
                              int ntopics, EddyError *err)
{
    if (!kafka_transport_is(tr)) {
        eddy_error(err, ERR_UNSUPPORTED, (SrcPos){0}, "group %s: consumer groups need Kafka", group);
        return NULL;
    }
    KafkaTransport *t = (KafkaTransport *)tr;
    GroupMember *m = calloc(1, sizeof *m);
    if (m == NULL)
        EDDY_PANIC("out of memory");
    m->c.t = t;
    snprintf(m->c.group, sizeof m->c.group, "%s", group);
    rd_kafka_conf_t *conf = kafka_consumer_conf(&m->c);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    /* A member that died is noticed after its session timeout: 10 s
     * rather than librdkafka's 45 s, so that its tasks move on soon (-p
     * session.timeout.ms=... overrides; brokers refuse less than 6 s). */
    if (kafka_conf_set(conf, "client.id", "eddy", NULL, err) < 0 ||
        kafka_conf_set(conf, "session.timeout.ms", "10000", NULL, err) < 0 ||
        kafka_conf_set(conf, "heartbeat.interval.ms", "1000", NULL, err) < 0 ||
        kafka_conf_apply_props(t, conf, err) < 0 ||
        kafka_conf_set(conf, "group.id", group, NULL, err) < 0 ||
        kafka_conf_set(conf, "partition.assignment.strategy", "cooperative-sticky", NULL, err) < 0 ||
        kafka_conf_set(conf, "enable.auto.commit", "false", NULL, err) < 0) {
        rd_kafka_conf_destroy(conf);
        free(m);
        return NULL;
    }
    m->c.rk = kafka_new(RD_KAFKA_CONSUMER, conf, "kafka group member", err);
    if (m->c.rk == NULL) {
        free(m);
        return NULL;
    }
    rd_kafka_set_log_queue(m->c.rk, NULL);
    rd_kafka_poll_set_consumer(m->c.rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(ntopics);
    for (int i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(sub, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t code = rd_kafka_subscribe(m->c.rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kafka_error(err, code, "group %s: cannot subscribe", group);
        rd_kafka_destroy(m->c.rk);
        free(m);
        return NULL;
    }
    return m;
}

int kafka_group_poll(GroupMember *m, int timeout_ms, const TopicPartitionOffset **held, int *n,
                     EddyError *err)
{
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->c.rk, timeout_ms);
    if (msg) {
        /* A record fetched before its partition was paused, or an event. */
        int rc = msg->err && msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
                         msg->err != RD_KAFKA_RESP_ERR__NO_OFFSET
                     ? kafka_error(err, msg->err, "group %s", m->c.group)
                     : 0;
        rd_kafka_message_destroy(msg);
        if (rc != 0)
            return -1;
    }
    *held = m->held;
    *n = m->nheld;
    bool changed = m->changed;
    m->changed = false;
    return changed ? 1 : 0;
}

void kafka_group_on_revoke(GroupMember *m, void (*fn)(void *ud), void *ud)
{
    m->on_revoke = fn;
    m->revoke_ud = ud;
}

bool kafka_group_lost(GroupMember *m)
{
    bool lost = m->lost;
    m->lost = false;
    return lost;
}

void kafka_group_leave(GroupMember *m)
{
    if (m == NULL)
        return;
    m->on_revoke = NULL;   /* the caller checkpointed before leaving, or cannot */
    /* librdkafka before 2.4 can hang in rd_kafka_consumer_close when a
     * cooperative assignment arrives while it closes (librdkafka #4527;
     * Debian 12 has 2.0.2): seen once in CI, a member stopping on SIGTERM
     * stuck in our revoke callback.  So leave the subscription first and
     * serve the rebalance callbacks until nothing is assigned (at most 5
     * s), then close, as that workaround does. */
    rd_kafka_unsubscribe(m->c.rk);
    /* EDDY_TEST_GROUP_LEAVE_WAIT_MS: tests shorten the wait to take the
     * path below. */
    const char *w = getenv("EDDY_TEST_GROUP_LEAVE_WAIT_MS");
    int64_t deadline = eddy_mono_ms() + (w ? atoi(w) : 5000);
    bool empty = false;
    for (;;) {
        rd_kafka_topic_partition_list_t *now = NULL;
        empty = rd_kafka_assignment(m->c.rk, &now) == RD_KAFKA_RESP_ERR_NO_ERROR && now &&
                now->cnt == 0;
        if (now)
            rd_kafka_topic_partition_list_destroy(now);
        if (empty || eddy_mono_ms() >= deadline)
            break;
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->c.rk, 100);
        if (msg)
            rd_kafka_message_destroy(msg);
    }
    if (empty) {
        rd_kafka_consumer_close(m->c.rk);   /* leaves the group: the others rebalance at once */
        rd_kafka_destroy(m->c.rk);
    } else {
        /* Still assigned (the group's rebalance is slow; on `eddy broker`
         * a join can take 30 s): a close would revoke them in our
         * callback, where #4527 hangs (ci33: a member stuck on SIGTERM
         * for 11 minutes).  Gone without a close instead, as after a
         * crash: the caller checkpointed, and the group gives the
         * partitions away after the session timeout. */
        kafka_log(m->c.t, 1, "group %s: left without a close (its partitions were still "
                             "assigned after the wait); the others take them over after the "
                             "session timeout", m->c.group);
        rd_kafka_destroy_flags(m->c.rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    held_clear(m);
    free(m);
}
