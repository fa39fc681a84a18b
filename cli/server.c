/*
 * server.c - `eddy server`: runs the files as `eddy run` does, then serves
 * ksqlDB's REST API (server_api.c) until SIGINT/SIGTERM, with a final
 * checkpoint.
 *
 * One thread: h2o's event loop (evloop mode) and the engine's polling take
 * turns in one loop, so a statement a request runs and the queries' polling
 * never overlap (eddy.h is a single-caller API).  HTTP/1.1 and HTTP/2 with
 * prior knowledge share the port: h2o tells them apart by the connection
 * preface.
 *
 * Rows reach clients through EngineOutput.row_json, tagged with their
 * query's id: while a request runs statements they go to its capture
 * (srv->capture_rows); otherwise to the push query of that id, whose
 * response stays open (PushClient, on srv->push).  h2o takes one buffer
 * at a time per response, so rows arriving while one is on the wire wait
 * in `pending` and go with the next proceed; a client that stops reading
 * while SERVER_PUSH_BACKLOG_MAX bytes wait has its query ended.  A client
 * that goes away (h2o calls the generator's stop, or frees the request)
 * has its query cancelled; the others run on.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
    "usage: eddy server [--listen HOST:PORT] [--insecure] [options] [FILE.ksql...]\n"
    "\n"
    "Runs the statements of the files as `eddy run` does, then serves ksqlDB's\n"
    "REST API (HTTP/1.1 and HTTP/2 cleartext) until SIGINT/SIGTERM.\n"
    "\n"
    "  --listen HOST:PORT       where to listen (default 127.0.0.1:8088; port 0 picks one)\n"
    "  --insecure               allow a non-loopback address without authentication\n"
    "  -p server.auth.basic.file=FILE   HTTP basic authentication: user:crypt(3)-hash lines\n"
    "  -p server.tls.cert=PEM -p server.tls.key=PEM   serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN)\n"
    "  -p ksql.max.push.queries=N   push queries open at once (default 100; past it: 429)\n"
    "  --bootstrap-servers B    the Kafka cluster (default: an embedded development broker)\n"
    "  --state-dir D            catalog and state (default ./eddy-state)\n"
    "  --config FILE, -p key=value, --verbose, --log-file FILE   as for eddy run\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ---- responses ------------------------------------------------------------- */

void server_reply(h2o_req_t *req, int status, const char *content_type, const char *body,
                  size_t len)
{
    req->res.status = status;
    req->res.reason = status == 200 ? "OK" : status == 400 ? "Bad Request"
                    : status == 401 ? "Unauthorized" : status == 404 ? "Not Found"
                    : status == 405 ? "Method Not Allowed" : status == 413 ? "Payload Too Large"
                    : status == 429 ? "Too Many Requests" : status == 503 ? "Service Unavailable"
                    : "Error";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    char *copy = h2o_mem_alloc_pool(&req->pool, len + 1);
    memcpy(copy, body, len);
    h2o_send_inline(req, copy, len);
}

void server_reply_json(h2o_req_t *req, int status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (text == NULL)
        abort();
    server_reply(req, status, "application/json", text, strlen(text));
    free(text);
}

void server_reply_error(h2o_req_t *req, int status, const char *type, int code, const char *msg)
{
    server_reply_json(req, status,
                      json_pack("{s:s, s:i, s:s}", "@type", type, "error_code", code, "message", msg));
}

/* ---- rows in a response's format ------------------------------------------- */

/* /query's header: the schema as "`NAME` TYPE, ..." from the metadata. */
static void legacy_header(RowSink *sink, json_t *meta)
{
    json_t *names = json_object_get(meta, "columnNames"), *types = json_object_get(meta, "columnTypes");
    StrBuf schema;
    sb_init(&schema);
    for (size_t i = 0; i < json_array_size(names); i++)
        sb_printf(&schema, "%s`%s` %s", i ? ", " : "", json_string_value(json_array_get(names, i)),
                  json_string_value(json_array_get(types, i)));
    json_t *h = json_pack("{s:{s:s, s:s}}", "header", "queryId", sink->query_id, "schema",
                          schema.data ? schema.data : "");
    char *text = json_dumps(h, JSON_COMPACT);
    sb_printf(sink->out, "[%s", text);
    free(text);
    json_decref(h);
    sb_free(&schema);
}

void server_sink_row(RowSink *sink, const char *json, bool header)
{
    if (header) {
        json_t *meta = json_loads(json, 0, NULL);
        const char *id = json_string_value(json_object_get(meta, "queryId"));
        snprintf(sink->query_id, sizeof sink->query_id, "%s", id ? id : "");
        if (sink->fmt == FMT_DELIMITED)
            sb_printf(sink->out, "%s\n", json);
        else if (sink->fmt == FMT_JSON)
            sb_printf(sink->out, "[%s", json);
        else
            legacy_header(sink, meta);
        json_decref(meta);
        return;
    }
    sink->rows++;
    if (sink->fmt == FMT_DELIMITED)
        sb_printf(sink->out, "%s\n", json);
    else if (sink->fmt == FMT_JSON)
        sb_printf(sink->out, ",\n%s", json);
    else
        sb_printf(sink->out, ",\n{\"row\":{\"columns\":%s}}", json);
}

void server_sink_close(RowSink *sink, const char *final_message)
{
    if (sink->fmt == FMT_JSON)
        sb_puts(sink->out, "]\n");
    else if (sink->fmt == FMT_LEGACY) {
        if (final_message)
            sb_printf(sink->out, ",\n{\"finalMessage\":\"%s\"}", final_message);
        sb_puts(sink->out, "]\n");
    }
}

/* ---- the push query's response ------------------------------------------------ */

/* Hands what is pending to h2o when nothing is in flight; the last buffer
 * of a finished query ends the response.  Delimited rows go one line per
 * write, as ksqlDB writes them: each becomes its own HTTP/2 DATA frame or
 * HTTP/1.1 chunk, and some clients (the Node.js ksqldb-client) read a
 * frame as one row.  The serve loop turns h2o's loop quickly while rows
 * wait (push_backlog), so a backlog still drains at thousands of rows a
 * second. */
static void push_flush(PushClient *pc)
{
    if (pc->req == NULL || pc->inflight)
        return;
    size_t left = pc->pending.len - pc->pending_off;
    if (left == 0 && !pc->finished)
        return;
    const char *p = pc->pending.data ? pc->pending.data + pc->pending_off : "";
    size_t n = left;
    if (pc->sink.fmt == FMT_DELIMITED) {
        const char *nl = memchr(p, '\n', left);
        n = nl ? (size_t)(nl - p) + 1 : left;
    }
    bool last = pc->finished && n == left;
    sb_reset(&pc->sending);
    sb_append(&pc->sending, p, n);
    pc->pending_off += n;
    if (pc->pending_off == pc->pending.len) {
        sb_reset(&pc->pending);
        pc->pending_off = 0;
    } else if (pc->pending_off > (64u << 10) && pc->pending_off > pc->pending.len / 2) {
        /* what is sent goes, so a client that keeps up keeps pending small */
        memmove(pc->pending.data, pc->pending.data + pc->pending_off,
                pc->pending.len - pc->pending_off);
        pc->pending.len -= pc->pending_off;
        pc->pending.data[pc->pending.len] = '\0';
        pc->pending_off = 0;
    }
    h2o_iovec_t buf = h2o_iovec_init(pc->sending.data ? pc->sending.data : "", pc->sending.len);
    h2o_req_t *req = pc->req;
    pc->srv->push_writes++;
    if (last) {
        pc->req = NULL;   /* h2o owns the request from here */
        h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
        return;
    }
    pc->inflight = true;
    h2o_send(req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/* Bytes of rows waiting for pc's client (not yet handed to h2o). */
static size_t push_waiting(const PushClient *pc)
{
    return pc->pending.len - pc->pending_off;
}

static void push_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    PushClient *pc = (PushClient *)g;
    pc->inflight = false;
    sb_reset(&pc->sending);
    if (pc->gone) {
        pc->req = NULL;
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    push_flush(pc);
}

static void push_unlink(Server *srv, PushClient *pc)
{
    if (pc->prev)
        pc->prev->next = pc->next;
    else
        srv->push = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    pc->prev = pc->next = NULL;
    pc->listed = false;
    srv->npush--;
    srv->push_freed++;
}

/* Stops a client's query, at once or, while the engine polls (h2o may
 * call a generator's stop from a write a row started), right after the
 * poll.  Its rows meanwhile find no client and are dropped. */
static void push_cancel(Server *srv, const char *query_id)
{
    if (!srv->polling) {
        engine_cancel_query(srv->e, query_id);
        return;
    }
    char **more = realloc(srv->cancel_later, sizeof(char *) * (size_t)(srv->ncancel_later + 1));
    if (more == NULL)
        abort();
    srv->cancel_later = more;
    srv->cancel_later[srv->ncancel_later++] = strdup(query_id);
}

static void push_cancel_deferred(Server *srv)
{
    for (int i = 0; i < srv->ncancel_later; i++) {
        engine_cancel_query(srv->e, srv->cancel_later[i]);
        free(srv->cancel_later[i]);
    }
    free(srv->cancel_later);
    srv->cancel_later = NULL;
    srv->ncancel_later = 0;
}

/* The client is gone (or the response failed): its query stops now. */
static void push_release(PushClient *pc)
{
    pc->req = NULL;
    Server *srv = pc->srv;
    if (pc->listed) {
        push_unlink(srv, pc);
        push_cancel(srv, pc->sink.query_id);
    }
}

static void push_stop(h2o_generator_t *g, h2o_req_t *req)
{
    (void)req;
    push_release((PushClient *)g);
}

static void push_dispose(void *p)
{
    PushClient *pc = p;
    push_release(pc);
    sb_free(&pc->pending);
    sb_free(&pc->sending);
}

/* Allocated in the request's pool, so h2o frees it with the request
 * (push_dispose first). */
PushClient *server_push_new(Server *srv, h2o_req_t *req, RowFormat fmt)
{
    PushClient *pc = h2o_mem_alloc_shared(&req->pool, sizeof *pc, push_dispose);
    memset(pc, 0, sizeof *pc);
    pc->gen.proceed = push_proceed;
    pc->gen.stop = push_stop;
    pc->srv = srv;
    sb_init(&pc->pending);
    sb_init(&pc->sending);
    pc->sink.fmt = fmt;
    pc->sink.out = &pc->pending;
    return pc;
}

void server_push_start(Server *srv, PushClient *pc, h2o_req_t *req, const char *content_type)
{
    pc->req = req;
    pc->next = srv->push;
    if (srv->push)
        srv->push->prev = pc;
    srv->push = pc;
    pc->listed = true;
    srv->npush++;
    srv->push_started++;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_start_response(req, &pc->gen);
    push_flush(pc);
}

void server_push_finish(Server *srv, PushClient *pc, const char *final_message)
{
    if (!pc->listed)
        return;
    push_unlink(srv, pc);
    push_cancel(srv, pc->sink.query_id);
    server_sink_close(&pc->sink, final_message);
    pc->finished = true;
    push_flush(pc);
}

PushClient *server_push_find(Server *srv, const char *query_id)
{
    for (PushClient *pc = srv->push; pc; pc = pc->next)
        if (strcmp(pc->sink.query_id, query_id) == 0)
            return pc;
    return NULL;
}

void server_cancel_unheld(Server *srv)
{
    for (int i = 0; i < engine_transient_count(srv->e);) {
        const char *id = engine_transient_id(srv->e, i);
        if (server_push_find(srv, id) == NULL)
            engine_cancel_query(srv->e, id);
        else
            i++;
    }
    if (srv->push == NULL && engine_has_transient(srv->e))
        engine_cancel_transient(srv->e);   /* a PRINT */
}

/* An HTTP/1.1 client that hung up is seen only by a failing write: h2o
 * stops reading a connection while it answers.  A peek at the socket
 * finds the end of the stream sooner, also while no row is coming.
 * (HTTP/2 reads on; h2o calls push_stop when the stream is reset.) */
static void push_check_gone(PushClient *pc)
{
    if (pc->req == NULL || pc->req->version >= 0x200 ||
        pc->req->conn->callbacks->get_socket == NULL)
        return;
    h2o_socket_t *sock = pc->req->conn->callbacks->get_socket(pc->req->conn);
    int fd = sock ? h2o_socket_get_fd(sock) : -1;
    char c;
    if (fd < 0 || recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
        return;
    h2o_req_t *req = pc->req;
    push_release(pc);
    if (pc->inflight) {
        pc->req = req;     /* h2o ends it at the write's completion (push_proceed) */
        pc->gone = true;
    } else {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
    }
}

/* ---- the engine's output ------------------------------------------------------- */

static EngineOutput inner;

static void out_text(void *ud, const char *text)
{
    Server *srv = ud;
    if (srv->capture_text)
        sb_puts(srv->capture_text, text);
    else
        inner.text(inner.ud, text);
}

static void out_row(void *ud, const char *const *cols, int ncols, bool header)
{
    Server *srv = ud;
    /* A client's query: its rows go out as JSON (out_row_json). */
    if (srv->capture_rows == NULL && srv->push == NULL)
        inner.row(inner.ud, cols, ncols, header);
}

static void out_row_json(void *ud, const char *query_id, const char *json, bool header)
{
    Server *srv = ud;
    RowSink *cap = srv->capture_rows;
    if (cap && (cap->query_id[0] == '\0' || strcmp(cap->query_id, query_id) == 0)) {
        server_sink_row(cap, json, header);
        return;
    }
    PushClient *pc = server_push_find(srv, query_id);
    if (pc == NULL)
        return;
    if (pc->overflow)
        return;
    server_sink_row(&pc->sink, json, header);
    if (push_waiting(pc) > SERVER_PUSH_BACKLOG_MAX) {
        cli_say(true, "server: push query %s ended: its client reads too slowly (%d MiB waiting)",
                pc->sink.query_id, SERVER_PUSH_BACKLOG_MAX >> 20);
        /* Rows dropped here would be a silent gap: the response ends
         * instead, once the poll that is delivering this row is over (the
         * query cannot be stopped from inside its own delivery). */
        pc->overflow = true;
        return;
    }
    push_flush(pc);
}

static void out_log(void *ud, int level, const char *msg)
{
    Server *srv = ud;
    if (srv->capture_warnings && level >= 1)
        json_array_append_new(srv->capture_warnings, json_pack("{s:s}", "message", msg));
    inner.log(inner.ud, level, msg);
}

static int out_width(void *ud)
{
    (void)ud;
    return 0;
}

/* ---- listening ----------------------------------------------------------------- */

typedef struct Handler {
    h2o_handler_t super;
    Server *srv;
} Handler;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    Server *srv = ((Handler *)self)->srv;
    srv->requests++;
    if (srv->auth && !server_auth_check(srv->auth, req)) {
        static const char challenge[] = "Basic realm=\"eddy\", charset=\"UTF-8\"";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, challenge,
                       sizeof challenge - 1);
        server_reply_error(req, 401, "generic_error", 40100,
                           "authentication needed: HTTP basic credentials of a user in server.auth.basic.file");
        return 0;
    }
    if (server_console(srv, req))
        return 0;
    return server_route(srv, req);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(listener->data, sock);
}

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

/* Binds HOST:PORT ([V6]:PORT); the fd, or -1 (said on stderr). */
static int listen_on(const char *spec, bool insecure, char *bound, size_t boundsz)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || colon[1] == '\0' || (size_t)(colon - spec) >= sizeof host) {
        fprintf(stderr, "eddy server: --listen needs HOST:PORT, not '%s'\n", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "eddy server: cannot listen on %s: %s\n", spec, gai_strerror(rc));
        return -1;
    }
    if (!is_loopback(ai->ai_addr) && !insecure) {
        fprintf(stderr,
                "eddy server: refusing to listen on %s, which is not a loopback address, without\n"
                "             authentication (-p server.auth.basic.file=FILE); give --insecure to\n"
                "             serve it anyway\n",
                spec);
        freeaddrinfo(ai);
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        fprintf(stderr, "eddy server: cannot listen on %s: %s\n", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof addr);
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof addr);
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(bound, boundsz, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", addr, port);
    return fd;
}

/* Takes the server.* properties and ksql.max.push.queries out of o
 * (librdkafka would refuse them) into the strings given (malloc'd) and
 * *push_max.  -1 (said) for one eddy does not know or a bad value. */
static int take_server_props(CliOptions *o, char **auth_file, char **tls_cert, char **tls_key,
                             int *push_max)
{
    int k = 0, rc = 0;
    for (int i = 0; i < o->nprops; i++) {
        char *key = o->props[2 * i], *val = o->props[2 * i + 1];
        if (strcmp(key, "ksql.max.push.queries") == 0) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*val == '\0' || *end != '\0' || n < 1 || n > 100000) {
                fprintf(stderr, "eddy server: ksql.max.push.queries must be a number from 1 to "
                        "100000, not '%s'\n", val);
                rc = -1;
            }
            *push_max = (int)n;
            free(key);
            free(val);
            continue;
        }
        if (strncmp(key, "server.", 7) != 0) {
            o->props[2 * k] = key;
            o->props[2 * k + 1] = val;
            k++;
            continue;
        }
        char **dst = strcmp(key, "server.auth.basic.file") == 0 ? auth_file
                   : strcmp(key, "server.tls.cert") == 0 ? tls_cert
                   : strcmp(key, "server.tls.key") == 0 ? tls_key : NULL;
        if (dst) {
            free(*dst);
            *dst = strdup(val);
        } else {
            fprintf(stderr, "eddy server: %s: not a property eddy server knows "
                    "(server.auth.basic.file, server.tls.cert, server.tls.key)\n", key);
            rc = -1;
        }
        free(key);
        free(val);
    }
    o->nprops = k;
    if (o->props)
        o->props[2 * k] = NULL;
    return rc;
}

/* TLS from a PEM certificate chain and key, HTTP/2 or HTTP/1.1 by ALPN;
 * NULL (said on stderr) if they cannot be used. */
static SSL_CTX *tls_context(const char *cert, const char *key)
{
    if (cert == NULL || key == NULL) {
        fprintf(stderr, "eddy server: TLS needs both server.tls.cert and server.tls.key\n");
        return NULL;
    }
    SSL_CTX *ssl = SSL_CTX_new(TLS_server_method());
    const char *what = NULL;
    if (ssl == NULL)
        what = "cannot make a TLS context";
    else if (SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) != 1)
        what = "cannot require TLS 1.2";
    else if (SSL_CTX_use_certificate_chain_file(ssl, cert) != 1)
        what = "cannot read the certificate (server.tls.cert, PEM)";
    else if (SSL_CTX_use_PrivateKey_file(ssl, key, SSL_FILETYPE_PEM) != 1)
        what = "cannot read the private key (server.tls.key, PEM)";
    else if (SSL_CTX_check_private_key(ssl) != 1)
        what = "the private key does not match the certificate";
    if (what) {
        char detail[256] = "";
        ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
        fprintf(stderr, "eddy server: %s: %s\n", what, detail);
        SSL_CTX_free(ssl);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(ssl, h2o_http2_alpn_protocols);
    return ssl;
}

/* ---- the command ----------------------------------------------------------------- */

/* While push clients have rows waiting, h2o's loop turns without waiting
 * (each turn completes a write and hands over the next row, push_flush),
 * for at most 20 ms and only while writes go out: a client that does not
 * read stops it at once. */
static void push_drain(Server *srv)
{
    int64_t until = eddy_mono_ms() + 20;
    for (int idle = 0; idle < 3 && eddy_mono_ms() < until;) {
        bool waiting = false;
        for (PushClient *pc = srv->push; pc && !waiting; pc = pc->next)
            waiting = pc->req != NULL && push_waiting(pc) > 0;
        if (!waiting)
            return;
        int64_t writes = srv->push_writes;
        h2o_evloop_run(srv->ctx.loop, 0);
        idle = srv->push_writes == writes ? idle + 1 : 0;
    }
}

/* The loop: h2o's events, then a poll of the queries.  With no query
 * running, h2o waits alone (a poll would only sleep). */
static int serve(Server *srv)
{
    EddyError err;
    while (!stop_requested) {
        bool running = engine_running_queries(srv->e) > 0 || engine_has_transient(srv->e);
        h2o_evloop_run(srv->ctx.loop, running ? 0 : 100);
        if (!running)
            continue;
        srv->polling = true;
        int polled = engine_poll(srv->e, 10, &err);
        srv->polling = false;
        push_cancel_deferred(srv);
        if (polled < 0) {
            fprintf(stderr, "eddy: %s\n", err.msg);
            return -1;
        }
        for (PushClient *pc = srv->push, *next; pc; pc = next) {
            next = pc->next;
            /* The push query ended by itself (its LIMIT, or it failed). */
            if (!engine_transient_running(srv->e, pc->sink.query_id))
                server_push_finish(srv, pc, "Limit Reached");
            else if (pc->overflow)
                server_push_finish(srv, pc, "Client too slow");
            else
                push_check_gone(pc);
        }
        push_drain(srv);
    }
    return 0;
}

int cmd_server(int argc, char **argv)
{
    const char *listen_spec = "127.0.0.1:8088";
    bool insecure = false;
    /* Our options out, the rest as eddy run takes them. */
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen_spec = argv[++i];
        else if (i > 0 && strcmp(argv[i], "--insecure") == 0)
            insecure = true;
        else
            rest[nrest++] = argv[i];
    }
    CliOptions o;
    int prc = cli_parse_options(nrest, rest, &o, usage);
    free(rest);
    if (prc != 0)
        return 2;
    if (cli_output_open(&o) != 0) {
        cli_free_options(&o);
        return 2;
    }
    char **texts = calloc((size_t)o.nfiles + 1, sizeof(char *));
    int rc = 1;
    for (int i = 0; i < o.nfiles; i++)
        if ((texts[i] = cli_read_file(o.files[i])) == NULL)
            goto out_files;
    Server *srv = calloc(1, sizeof *srv);
    char *auth_file = NULL, *tls_cert = NULL, *tls_key = NULL;
    int fd = -1;
    SSL_CTX *ssl = NULL;
    srv->push_max = SERVER_PUSH_MAX;
    bool bad = take_server_props(&o, &auth_file, &tls_cert, &tls_key, &srv->push_max) != 0 ||
               (auth_file && (srv->auth = server_auth_load(auth_file)) == NULL) ||
               ((tls_cert || tls_key) && (ssl = tls_context(tls_cert, tls_key)) == NULL);
    free(auth_file);
    free(tls_cert);
    free(tls_key);
    if (bad)
        goto out_srv;
    fd = listen_on(listen_spec, insecure || srv->auth, srv->listen, sizeof srv->listen);
    if (fd < 0)
        goto out_srv;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    EmbeddedBroker *broker = NULL;
    Transport *t = cli_connect(&o, &broker);
    if (t == NULL)
        goto out_fd;
    inner = cli_default_output();
    EddyError err;
    EngineConfig cfg = {
        .transport = t,
        .state_dir = o.state_dir ? o.state_dir : "eddy-state",
        .out = {.text = out_text, .row = out_row, .row_json = out_row_json, .log = out_log,
                .width = out_width, .ud = srv},
        .many_transients = true,
        .props = cli_engine_props(&o),
    };
    srv->t = t;
    srv->e = engine_create(&cfg, &err);
    if (srv->e == NULL) {
        fprintf(stderr, "eddy: %s\n", err.msg);
        goto out_transport;
    }
    for (int i = 0; i < o.nfiles; i++)
        if (engine_execute(srv->e, texts[i], o.files[i], &err) != 0) {
            cli_print_error(o.files[i], texts[i], &err);
            goto out_engine;
        }

    h2o_config_init(&srv->config);
    srv->config.max_request_entity_size = SERVER_HARD_MAX_BODY;
    /* A client has 10 s to send a request's headers and body (HTTP/1.1),
     * an HTTP/2 connection without a stream is closed after 10 s idle;
     * an open response (a push query waiting for rows) is not idle. */
    srv->config.http1.req_timeout = 10000;
    srv->config.http2.idle_timeout = 10000;
    h2o_hostconf_t *host = h2o_config_register_host(&srv->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    Handler *h = (Handler *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = on_req;
    h->srv = srv;
    h2o_context_init(&srv->ctx, h2o_evloop_create(), &srv->config);
    srv->accept_ctx.ctx = &srv->ctx;
    srv->accept_ctx.hosts = srv->config.hosts;
    srv->accept_ctx.ssl_ctx = ssl;
    h2o_socket_t *lsock = h2o_evloop_socket_create(srv->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    lsock->data = &srv->accept_ctx;
    h2o_socket_read_start(lsock, on_accept);
    srv->start_ms = eddy_mono_ms();
    fprintf(stderr, "eddy server: serving ksqlDB's REST API on %s://%s (%s)\n", ssl ? "https" : "http",
            srv->listen, ssl ? "TLS; HTTP/2 or HTTP/1.1 by ALPN" : "HTTP/1.1 and h2c");

    if (serve(srv) == 0) {
        while (srv->push)
            server_push_finish(srv, srv->push, NULL);
        if (engine_checkpoint(srv->e, &err) != 0)
            fprintf(stderr, "eddy: final checkpoint failed: %s\n", err.msg);
        else
            rc = 0;
    }
    fprintf(stderr, "eddy server: stopped after %lld requests\n", (long long)srv->requests);
    h2o_socket_read_stop(lsock);
    h2o_socket_close(lsock);
    fd = -1;
    /* A moment for the responses being written (a push query's end) and
     * the closes to go out, then h2o lets go of what it holds. */
    for (int64_t until = eddy_mono_ms() + 300; eddy_mono_ms() < until;)
        h2o_evloop_run(srv->ctx.loop, 50);
    h2o_evloop_t *loop = srv->ctx.loop;
    h2o_context_dispose(&srv->ctx);
    h2o_evloop_destroy(loop);
    h2o_config_dispose(&srv->config);
out_engine:
    engine_destroy(srv->e);
out_transport:
    t->ops->destroy(t);
    if (broker)
        embedded_broker_stop(broker);
out_fd:
    if (fd >= 0)
        close(fd);
out_srv:
    SSL_CTX_free(ssl);
    server_auth_free(srv->auth);
    free(srv);
out_files:
    for (int i = 0; i < o.nfiles; i++)
        free(texts[i]);
    free(texts);
    cli_output_close();
    cli_free_options(&o);
    return rc;
}
