/*
 * server.h - `eddy server`: ksqlDB's REST API over h2o (HTTP/1.1 and
 * HTTP/2 cleartext on one port), driving one engine through eddy.h.
 *
 * server.c owns the process: options, the listening socket, h2o's event
 * loop and the engine's polling, both on the one thread (the engine is a
 * single-caller API), the engine's output, and the push-query client
 * whose response stays open.  server_api.c answers the endpoints.
 *
 * Push queries: each client's runs beside the others (the engine's
 * many_transients), up to srv->push_max (ksql.max.push.queries, default
 * SERVER_PUSH_MAX); srv->push lists the clients whose response is open.
 * Invariant: a PushClient is on the list exactly while the engine runs its
 * query (sink.query_id); leaving the list cancels the query.
 */
#ifndef EDDY_SERVER_H
#define EDDY_SERVER_H

#include "cli.h"

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <jansson.h>

/* Request bodies larger than SERVER_MAX_BODY get 413 with ksqlDB's error
 * body; h2o itself stops reading one at SERVER_HARD_MAX_BODY (HTTP/1.1:
 * its own 413; HTTP/2: the stream is refused), which bounds the memory a
 * request can take. */
#define SERVER_MAX_BODY (1 << 20)
#define SERVER_HARD_MAX_BODY (16 << 20)
/* Push queries open at once, unless ksql.max.push.queries says otherwise
 * (ksqlDB's property and default). */
#define SERVER_PUSH_MAX 100
/* Rows a push client has not read yet beyond which its query is ended. */
#define SERVER_PUSH_BACKLOG_MAX (8 << 20)

/* How a query's rows are written in a response. */
typedef enum RowFormat {
    FMT_DELIMITED,     /* /query-stream: metadata line, then a JSON array per line */
    FMT_JSON,          /* /query-stream with Accept: application/json: one JSON array */
    FMT_LEGACY,        /* /query: [{"header":...},{"row":{"columns":[...]}},...] */
} RowFormat;

/* Where row_json output goes while a query's rows are being written. */
typedef struct RowSink {
    RowFormat fmt;
    StrBuf *out;
    char query_id[256];
    int rows;
} RowSink;

/* A push query's open response. */
typedef struct PushClient {
    h2o_generator_t gen;          /* first: h2o hands it back to proceed/stop */
    struct Server *srv;
    h2o_req_t *req;               /* NULL once the response ended or the client left */
    RowSink sink;
    StrBuf pending, sending;      /* rows not yet given to h2o / in flight */
    size_t pending_off;           /* bytes of pending already handed to h2o */
    bool inflight, finished;
    bool gone;                    /* the client hung up while a write was in flight */
    bool overflow;                /* too many rows waiting: ended after the poll */
    const char *final_message;    /* /query's closing message, if any */
    bool listed;                  /* on srv->push: its query runs */
    struct PushClient *prev, *next;
} PushClient;

typedef struct ServerAuth ServerAuth;

typedef struct Server {
    Engine *e;
    Transport *t;                 /* the engine's, for /healthcheck's ping */
    ServerAuth *auth;             /* NULL: no authentication */
    int64_t kafka_checked_ms;     /* when /healthcheck last asked the broker */
    bool kafka_ok;
    char kafka_error[1024];
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    char listen[300];             /* HOST:PORT as bound */
    int64_t start_ms;
    /* The output of the statements being run for a request: their text,
     * the warnings logged, and (when a query runs) its rows. */
    StrBuf *capture_text;
    json_t *capture_warnings;
    RowSink *capture_rows;
    PushClient *push;             /* the open push responses (a list) */
    int npush, push_max;
    /* While engine_poll runs, a client's query is cancelled only after it
     * (push_cancel): never from inside its own row's delivery. */
    bool polling;
    char **cancel_later;
    int ncancel_later;
    int64_t requests, push_started, push_freed;
    int64_t push_writes;          /* buffers handed to h2o for push responses */
    int64_t seq;                  /* commandSequenceNumber of /ksql entities */
} Server;

/* ---- server.c: responses -------------------------------------------- */

/* Sends body (copied) with status and content type; ends the request. */
void server_reply(h2o_req_t *req, int status, const char *content_type, const char *body,
                  size_t len);
/* Sends j (stolen) as application/json. */
void server_reply_json(h2o_req_t *req, int status, json_t *j);
/* ksqlDB's error body: {"@type":type,"error_code":code,"message":msg}. */
void server_reply_error(h2o_req_t *req, int status, const char *type, int code, const char *msg);
/* A push client for req, in its pool (freed with the request). */
PushClient *server_push_new(Server *srv, h2o_req_t *req, RowFormat fmt);
/* Starts a streamed response for the push query pc->sink.query_id names;
 * rows already in pc->pending go first.  The client joins srv->push. */
void server_push_start(Server *srv, PushClient *pc, h2o_req_t *req, const char *content_type);
/* Ends a push query and its response (its tail, then the end of the body). */
void server_push_finish(Server *srv, PushClient *pc, const char *final_message);
/* The open push response of that query, or NULL. */
PushClient *server_push_find(Server *srv, const char *query_id);
/* Cancels the transient queries no client holds (a RUN SCRIPT's SELECT
 * in /ksql): nobody would read their rows. */
void server_cancel_unheld(Server *srv);
/* Appends a query's rows (or its metadata, header=true) to sink. */
void server_sink_row(RowSink *sink, const char *json, bool header);
/* The closing text of a response in sink's format. */
void server_sink_close(RowSink *sink, const char *final_message);

/* ---- server_auth.c: HTTP basic authentication ----------------------- */

/* Reads a server.auth.basic.file; NULL (said on stderr) if it cannot. */
ServerAuth *server_auth_load(const char *path);
void server_auth_free(ServerAuth *a);
/* True if req carries the credentials of a user of the file. */
bool server_auth_check(ServerAuth *a, h2o_req_t *req);

/* ---- server_api.c: endpoints ----------------------------------------- */

/* Answers req; returns 0 (h2o's "handled"). */
int server_route(Server *srv, h2o_req_t *req);

/* ---- server_console.c: the web console's files ------------------------ */

/* Answers a request for `/` or `/console/NAME` (true); false for others. */
bool server_console(Server *srv, h2o_req_t *req);

#endif
