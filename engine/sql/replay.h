/*
 * replay.h - private to engine/sql/: snapshots (snapshots.c), REPLAY and
 * the start of persistent queries (replay.c), in-place upgrades of a
 * query (upgrade.c), and what engine.c, ddl.c and show.c call of them.
 *
 * A snapshot is a RocksDB checkpoint of the whole state database taken
 * right after a checkpoint, so every query's stores and offsets in it are
 * one consistent point, plus a manifest naming the queries it is for and
 * their offsets.  A REPLAY moves one query to a point of its inputs: it
 * is recorded in the command log first (with a generation number), then
 * applied (state restored or dropped, offsets and generation written in
 * one synced batch); a restart re-applies a replay whose generation the
 * query's state does not hold yet (engine/README.md "Replay").
 *
 * Everything here is malloc'd and owned by the engine's ReplayState.
 */
#ifndef EDDY_SQL_REPLAY_H
#define EDDY_SQL_REPLAY_H

#include "engine_int.h"

/* Offsets of some partitions: topics malloc'd, freed with offs_free. */
typedef struct OffsetSet {
    TopicPartitionOffset *v;
    int n;
} OffsetSet;

void offs_free(OffsetSet *s);
void offs_put(OffsetSet *s, const char *topic, int32_t partition, int64_t offset);
/* The entry of (topic, partition), or NULL. */
TopicPartitionOffset *offs_find(const OffsetSet *s, const char *topic, int32_t partition);
void offs_copy(OffsetSet *dst, const TopicPartitionOffset *v, int n);
/* "acc[0]@120 acc[1]@80" (sorted by topic, then partition). */
void offs_text(const OffsetSet *s, StrBuf *out);
/* "acc:0:120,acc:1:80": the command log's form; offs_parse reads it back
 * (0, or -1 when malformed). */
void offs_serial(const OffsetSet *s, StrBuf *out);
int offs_parse(const char *text, OffsetSet *out);

/* One query of a snapshot's manifest. */
typedef struct SnapQuery {
    char *id;
    OffsetSet offs;               /* its next offsets at the snapshot */
} SnapQuery;

typedef struct Snapshot {
    char *name;
    char *dir;                    /* the RocksDB checkpoint (memory twin: its name) */
    char *home;                   /* <state.dir>/snapshots/<name>, NULL without a state dir */
    int64_t created_ms;
    int64_t seq;                  /* creation order (ties of created_ms) */
    bool automatic;
    char *for_query;              /* CREATE SNAPSHOT ... FOR QUERY id, or NULL */
    SnapQuery *queries;
    int nqueries;
} Snapshot;

/* The latest REPLAY of one query, as the command log records it. */
typedef struct Replay {
    char *query_id;
    int64_t generation;           /* 1, 2, ... per query */
    char *snapshot;               /* restored from (NULL: none) */
    bool empty_state;             /* the query's stores dropped */
    OffsetSet start;              /* where the query resumes: every partition */
    OffsetSet until;              /* output muted below these (a snapshot older than the target) */
    OffsetSet ends;               /* high watermarks at the REPLAY: progress is measured to them */
    char *request;                /* the statement as the user gave it */
} Replay;

/* A persistent query created while the command log was replayed: it
 * starts once the whole log is read (and its replay, if one is pending,
 * applied), with the settings it was created under. */
typedef struct QueryStart {
    Query *q;
    OffsetReset reset;
    int64_t commit_interval_ms;
    bool pending;
} QueryStart;

/* A definition an in-place upgrade replaced: a file that still holds it
 * (the one `eddy run` restarts with) skips it as done. */
typedef struct Superseded {
    char *name;                   /* the stream or table */
    char *sql;                    /* its statement before the upgrade */
} Superseded;

typedef struct ReplayState {
    Snapshot **snaps;
    int nsnaps;
    int64_t next_seq;
    int64_t last_auto_ms;         /* the newest automatic snapshot, or the engine's start */
    Replay **replays;
    int nreplays;
    QueryStart *starts;
    int nstarts;
    Superseded *superseded;
    int nsuperseded;
} ReplayState;

/* ---- snapshots.c ------------------------------------------------------- */

/* The engine's snapshots and replays (made empty on first use). */
ReplayState *replay_state(Engine *e);
/* Reads the snapshots under <state.dir>/snapshots (removing any a crash
 * left without a manifest).  0, or -1 with err. */
int snapshots_load(Engine *e, EddyError *err);
void replay_state_free(Engine *e);
Snapshot *snapshot_find(Engine *e, const char *name);
/* "did you mean" over snapshot names; NULL if none is close. */
const char *snapshot_suggest(Engine *e, const char *name);
/* The query's part of a snapshot, or NULL when it is not for that query. */
const SnapQuery *snapshot_query(const Snapshot *s, const char *query_id);
int exec_create_snapshot(Engine *e, const AstStmt *s, EddyError *err);
int exec_drop_snapshot(Engine *e, const AstStmt *s, EddyError *err);
void show_snapshots(Engine *e);
/* Takes an automatic snapshot when snapshot.interval.ms has passed since
 * the last one, and drops automatic ones past their retention.  Failures
 * are logged, never fatal. */
void snapshots_tick(Engine *e);
/* "2024-05-01T12:00:00.000" (or "-" in a deterministic engine). */
void snapshot_time_text(const Engine *e, int64_t ms, StrBuf *out);

/* ---- replay.c ---------------------------------------------------------- */

int exec_replay(Engine *e, const AstStmt *s, EddyError *err);
/* Starts q (its runtime), or while the log is replayed notes it for
 * replay_start_queries.  reset and interval are the settings it is created
 * under.  0, or -1 with err. */
int engine_start_query(Engine *e, Query *q, OffsetReset reset, int64_t commit_interval_ms,
                       EddyError *err);
/* Starts a stopped query again with the settings it was started with
 * (after REPLAY or an in-place upgrade).  0, or -1 with err. */
int engine_restart_query(Engine *e, Query *q, EddyError *err);
/* After the command log: applies each noted query's unfinished replay,
 * then starts it.  0, or -1 with err (naming the query). */
int replay_start_queries(Engine *e, EddyError *err);
/* Assigned mode (engine/README.md, "Scale-out"), once per engine round:
 * every query whose group member holds other partitions now restarts with
 * the tasks it holds (replay.c, reassign).  A query that cannot is failed
 * and logged. */
int replay_reassign(Engine *e, EddyError *err);
/* Exactly-once, once per engine round: every query whose transactions
 * failed at the last checkpoint (Query.rewind) restarts from its last
 * committed checkpoint, its state restored from the changelog. */
int replay_rewind(Engine *e, EddyError *err);
/* The topic through which q's tasks, shared by an application's members,
 * hand rows to the task owning their group (assigned mode, a GROUP BY
 * other than the input's key): "<service.id>-<query id>-Aggregate-GroupBy-
 * repartition". */
void repartition_topic(Engine *e, const Query *q, char *buf, size_t size);
void replay_discard(Replay *r);
/* The latest replay of a query, or NULL. */
Replay *replay_find(Engine *e, const char *query_id);
/* How far a running query's latest replay is: records of the replayed
 * range processed and their total (from its start offsets to the ends);
 * false when it has none or has reached the ends. */
bool replay_progress(Engine *e, Query *q, int64_t *done, int64_t *total);
/* DESCRIBE EXTENDED's lines for a query's replay (none when it has none). */
void replay_describe(Engine *e, Query *q, StrBuf *out);
/* True when a query's replay from snapshot `name` is not applied yet. */
bool replay_needs_snapshot(Engine *e, const char *name);

/* ---- upgrade.c --------------------------------------------------------- */

/* CREATE OR REPLACE STREAM|TABLE name AS SELECT over an existing query's
 * sink `old`: `fresh` is the source the statement would create and `an`
 * its analysed SELECT (exec_create_as made both, in the catalog arena).
 * Checks the new query can take over the old one's state and offsets,
 * then swaps its plan at a checkpoint, keeping its id.  0, or -1 with err
 * (nothing changed). */
int exec_replace_query(Engine *e, const AstStmt *s, CatSource *old, const CatSource *fresh,
                       const SelectAnalysis *an, EddyError *err);

#endif
