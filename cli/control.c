/*
 * control.c - statements for a running `eddy run`: it listens on a Unix
 * socket in its state directory (<state dir>/eddy.sock) and `eddy exec`
 * sends statements there.  They run between two polls of the queries, as
 * the next statements of the file would: CREATE OR REPLACE MODEL switches
 * the running queries at a checkpoint, SHOW / DESCRIBE / EXPLAIN answer,
 * TERMINATE stops a query.  Their output and any error go back to `eddy
 * exec`, which prints them and exits 1 on an error; the server's own
 * output shows them too.
 *
 * Why a socket: the REPL cannot open the state directory while `eddy run`
 * holds it (RocksDB's lock), and an operator upgrading a model wants the
 * answer (the version, where each query switched, or why it was refused)
 * where the statement was typed.
 *
 * Protocol, one request per connection: the client writes "eddy-exec 1\n",
 * the origin ("\n"-terminated: the file the statements come from, or
 * <working directory>/-, so relative paths are the client's), then the
 * statements, and shuts its side down.  The server answers "ok 0\n" or
 * "error <n>\n", the n bytes of the error, then the statements' output.
 * A push query or PRINT is refused there: it would print in the server.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX (16 << 20)
static const char magic[] = "eddy-exec 1\n";

struct Control {
    int fd;                       /* listening socket; -1 until control_listen */
    char *path;
    StrBuf *capture;              /* the output of the request being served */
    EngineOutput inner;           /* where output goes otherwise */
};

/* ---- the engine's output, relayed --------------------------------------------- */

static void relay_text(void *ud, const char *text)
{
    Control *c = ud;
    if (c->capture)
        sb_puts(c->capture, text);
    c->inner.text(c->inner.ud, text);
}

static void relay_row(void *ud, const char *const *cols, int ncols, bool header)
{
    Control *c = ud;
    if (c->capture == NULL) {
        c->inner.row(c->inner.ud, cols, ncols, header);
        return;
    }
    for (int i = 0; i < ncols; i++)
        sb_printf(c->capture, "|%s", cols[i] ? cols[i] : "");
    sb_puts(c->capture, "|\n");
}

static void relay_log(void *ud, int level, const char *msg)
{
    Control *c = ud;
    if (c->capture)
        sb_printf(c->capture, "eddy: %s: %s\n", eddy_log_level_name(level), msg);
    c->inner.log(c->inner.ud, level, msg);
}

static int relay_width(void *ud)
{
    Control *c = ud;
    return c->capture ? 0 : c->inner.width(c->inner.ud);
}

Control *control_create(void)
{
    Control *c = calloc(1, sizeof *c);
    if (c == NULL)
        abort();
    c->fd = -1;
    c->inner = cli_default_output();
    return c;
}

EngineOutput control_output(Control *c)
{
    return (EngineOutput){.text = relay_text, .row = relay_row, .log = relay_log,
                          .width = relay_width, .ud = c};
}

/* <dir>/eddy.sock into *addr; -1 if the path is too long for one. */
static int socket_addr(const char *state_dir, struct sockaddr_un *addr, char **path)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t n = strlen(state_dir) + sizeof "/eddy.sock";
    *path = malloc(n);
    snprintf(*path, n, "%s/eddy.sock", state_dir);
    if (n > sizeof addr->sun_path)
        return -1;
    memcpy(addr->sun_path, *path, n);
    return 0;
}

int control_listen(Control *c, const char *state_dir)
{
    struct sockaddr_un addr;
    if (socket_addr(state_dir, &addr, &c->path) != 0) {
        cli_say(true, "no eddy exec for this run: %s is longer than a socket path may be", c->path);
        return -1;
    }
    /* The engine holds the state directory (RocksDB's lock), so a socket
     * left there is a dead process's. */
    unlink(c->path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(c->fd, 8) != 0) {
        cli_say(true, "no eddy exec for this run: cannot listen on %s: %s", c->path, strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

/* ---- serving -------------------------------------------------------------------- */

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void reply(int fd, const char *error, const StrBuf *out)
{
    char head[64];
    snprintf(head, sizeof head, error ? "error %zu\n" : "ok 0\n", error ? strlen(error) : 0);
    if (send_all(fd, head, strlen(head)) && error)
        send_all(fd, error, strlen(error));
    if (out->data)
        send_all(fd, out->data, out->len);
}

static void serve_one(Control *c, Engine *e, int fd)
{
    struct timeval tv = {5, 0};   /* a client that stalls cannot hold the queries up for long */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    StrBuf req, out;
    sb_init(&req);
    sb_init(&out);
    char buf[65536];
    ssize_t r;
    while (req.len < REQUEST_MAX && ((r = recv(fd, buf, sizeof buf, 0)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            sb_append(&req, buf, (size_t)r);
    char *origin = req.data && strncmp(req.data, magic, sizeof magic - 1) == 0
                       ? req.data + sizeof magic - 1 : NULL;
    char *text = origin ? strchr(origin, '\n') : NULL;
    if (text == NULL) {
        reply(fd, "not an eddy exec request (or it was cut short)\n", &out);
        goto done;
    }
    *text++ = '\0';
    bool had_push = engine_has_transient(e);
    EddyError err;
    c->capture = &out;
    int rc = engine_execute(e, text, origin, &err);
    c->capture = NULL;
    char msg[4096];
    if (rc != 0) {
        char where[3000];
        eddy_error_format(&err, text, where, sizeof where);
        snprintf(msg, sizeof msg, "%s: %s\n", origin, where);
    } else if (!had_push && engine_has_transient(e)) {
        engine_cancel_transient(e);
        snprintf(msg, sizeof msg,
                 "push queries (SELECT ... EMIT CHANGES) and PRINT run in a REPL, not through eddy exec\n");
        rc = -1;
    }
    cli_say(true, "ran statements from eddy exec (%s): %s", origin, rc == 0 ? "done" : "failed");
    reply(fd, rc == 0 ? NULL : msg, &out);
done:
    sb_free(&req);
    sb_free(&out);
}

void control_serve(Control *c, Engine *e)
{
    if (c == NULL || c->fd < 0)
        return;
    for (;;) {
        int fd = accept(c->fd, NULL, NULL);
        if (fd < 0)
            return;   /* EAGAIN: nobody waiting */
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        serve_one(c, e, fd);
        close(fd);
    }
}

void control_destroy(Control *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0) {
        close(c->fd);
        unlink(c->path);
    }
    free(c->path);
    free(c);
}

/* ---- eddy exec ------------------------------------------------------------------------ */

static const char usage[] =
    "usage: eddy exec [--state-dir D] (-e STATEMENTS | FILE.ksql... | -)\n"
    "\n"
    "Runs statements in the `eddy run` that holds state directory D (default ./eddy-state),\n"
    "between two polls of its queries, and prints their output.  Relative paths in them\n"
    "(CREATE MODEL ... FROM 'path') start from the file's folder, or the working directory\n"
    "for -e and - (stdin).  Exit status: 0, 1 if a statement failed, 2 if no eddy run serves D.\n";

/* Sends one request; prints the answer.  0, 1 (a statement failed) or 2.
 * The server names the origin in an error; the user named the input
 * otherwise: label (the file as given, "stdin", or NULL for -e: the
 * position alone) replaces it. */
static int exec_one(const char *state_dir, const char *origin, const char *label,
                    const char *text)
{
    struct sockaddr_un addr;
    char *path;
    if (socket_addr(state_dir, &addr, &path) != 0) {
        fprintf(stderr, "eddy exec: %s is longer than a socket path may be\n", path);
        free(path);
        return 2;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        fprintf(stderr, "eddy exec: no eddy run serves state directory %s (%s: %s)\n", state_dir,
                path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(path);
        return 2;
    }
    free(path);
    bool sent = send_all(fd, magic, sizeof magic - 1) && send_all(fd, origin, strlen(origin)) &&
                send_all(fd, "\n", 1) && send_all(fd, text, strlen(text));
    shutdown(fd, SHUT_WR);
    StrBuf ans;
    sb_init(&ans);
    char buf[65536];
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0)
            sb_append(&ans, buf, (size_t)r);
    close(fd);
    char *nl = ans.data ? strchr(ans.data, '\n') : NULL;
    size_t errlen = 0;
    int rc = 1;
    if (!sent || nl == NULL || (strncmp(ans.data, "ok ", 3) != 0 &&
                                sscanf(ans.data, "error %zu", &errlen) != 1)) {
        fprintf(stderr, "eddy exec: no answer from the eddy run serving %s\n", state_dir);
    } else {
        const char *body = nl + 1;
        size_t have = ans.len - (size_t)(body - ans.data);
        errlen = errlen < have ? errlen : have;
        fwrite(body + errlen, 1, have - errlen, stdout);
        fflush(stdout);
        size_t olen = strlen(origin);
        if (strncmp(ans.data, "ok ", 3) == 0) {
            rc = 0;
        } else if (errlen > olen + 2 && memcmp(body, origin, olen) == 0 &&
                   memcmp(body + olen, ": ", 2) == 0) {
            fprintf(stderr, "%s%s%.*s", label ? label : "", label ? ": " : "",
                    (int)(errlen - olen - 2), body + olen + 2);
        } else {
            fprintf(stderr, "%.*s", (int)errlen, body);
        }
    }
    sb_free(&ans);
    return rc;
}

int cmd_exec(int argc, char **argv)
{
    const char *state_dir = "eddy-state", *inline_text = NULL;
    const char **files = calloc((size_t)argc + 1, sizeof(char *));
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            free(files);
            return 0;
        } else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) {
            state_dir = argv[++i];
        } else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
            inline_text = argv[++i];
        } else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            files[nfiles++] = argv[i];
        } else {
            fprintf(stderr, "eddy exec: unknown option %s\n\n%s", argv[i], usage);
            free(files);
            return 2;
        }
    }
    if ((inline_text == NULL) == (nfiles == 0)) {
        fputs(usage, stderr);
        free(files);
        return 2;
    }
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd - 3) == NULL)
        snprintf(cwd, sizeof cwd, ".");
    strcat(cwd, "/-");
    int rc = inline_text ? exec_one(state_dir, cwd, NULL, inline_text) : 0;
    for (int i = 0; i < nfiles && rc == 0; i++) {
        bool in = strcmp(files[i], "-") == 0;
        EddyError err;
        /* stdin is read as a stream: a pipe is what `-` usually is, and
         * eddy_read_file takes regular files only. */
        char *text = in ? eddy_read_fd(STDIN_FILENO, "stdin", &err) : eddy_read_file(files[i], &err);
        if (text == NULL) {
            fprintf(stderr, "eddy exec: %s\n", err.msg);
            rc = 1;
            break;
        }
        char *real = in ? NULL : realpath(files[i], NULL);
        rc = exec_one(state_dir, in ? cwd : real ? real : files[i], in ? "stdin" : files[i], text);
        free(real);
        free(text);
    }
    free(files);
    return rc;
}
