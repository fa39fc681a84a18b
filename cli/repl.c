/*
 * repl.c - the interactive shell: statements end with ';' and may span
 * lines; history is kept in ~/.eddy_history; Tab completes keywords,
 * stream/table/column names and functions.  Persistent queries keep
 * running while the prompt waits (libedit's callback interface lets the
 * loop poll the engine between keystrokes).  A push query prints rows as
 * they arrive until Ctrl-C or its LIMIT.
 *
 * With standard input not a terminal, the input is run as a script.
 */
#include "cli.h"
#include "eddy/ast.h"
#include "eddy/functions.h"

#include <editline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

static const char usage[] =
    "usage: eddy [repl] [--bootstrap-servers B] [--state-dir D] [--config FILE] [-p key=value]...\n"
    "\n"
    "An interactive shell.  Statements end with ';'.  Ctrl-C stops a running push query;\n"
    "Ctrl-D (or EXIT;) leaves.\n";

static volatile sig_atomic_t interrupted;
static Engine *g_engine;
static StrBuf pending;          /* a statement being typed over several lines */
static bool line_done, eof_seen;

static void on_sigint(int sig)
{
    interrupted = 1;
}

/* ---- completion --------------------------------------------------------------- */

static char *complete_next(const char *text, int state)
{
    static int kw, nm, fn;
    static const char **names;
    static int nnames;
    if (state == 0) {
        kw = nm = fn = 0;
        nnames = g_engine ? engine_names(g_engine, &names) : 0;
    }
    size_t len = strlen(text);
    const char *const *keywords = parse_keywords();
    while (keywords[kw]) {
        const char *k = keywords[kw++];
        if (strncasecmp(k, text, len) == 0)
            return strdup(k);
    }
    while (nm < nnames) {
        const char *n = names[nm++];
        if (strncasecmp(n, text, len) == 0)
            return strdup(n);
    }
    while (fn < func_count()) {
        const char *n = func_info_at(fn++)->name;
        if (strncasecmp(n, text, len) == 0)
            return strdup(n);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    return rl_completion_matches(text, complete_next);
}

/* ---- running statements ---------------------------------------------------------- */

static void run_text(Engine *e, const char *text)
{
    EddyError err;
    if (engine_execute(e, text, "repl", &err) != 0) {
        cli_print_error(NULL, text, &err);
        return;
    }
    /* A push query: rows until Ctrl-C or LIMIT. */
    bool push = engine_has_transient(e);
    while (engine_has_transient(e) && !interrupted) {
        if (engine_poll(e, 100, &err) < 0) {
            fprintf(stderr, "eddy: %s\n", err.msg);
            break;
        }
    }
    if (engine_has_transient(e))
        engine_cancel_transient(e);
    else if (push)
        printf("Limit Reached\n");
    if (push)
        printf("Query terminated\n");
    interrupted = 0;
}

static bool is_exit(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return strncasecmp(s, "exit", 4) == 0 || strncasecmp(s, "quit", 4) == 0;
}

static void on_line(char *line)
{
    if (line == NULL) {
        eof_seen = true;
        rl_callback_handler_remove();
        return;
    }
    if (*line)
        add_history(line);
    if (pending.len == 0 && is_exit(line)) {
        eof_seen = true;
        free(line);
        rl_callback_handler_remove();
        return;
    }
    sb_puts(&pending, line);
    sb_putc(&pending, '\n');
    free(line);
    line_done = true;
}

static int run_script_stdin(Engine *e)
{
    StrBuf all;
    sb_init(&all);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        sb_append(&all, buf, n);
    int rc = 0;
    if (all.data) {
        EddyError err;
        if (engine_execute(e, all.data, "stdin", &err) != 0) {
            cli_print_error("stdin", all.data, &err);
            rc = 1;
        }
        while (rc == 0 && engine_has_transient(e) && !interrupted)
            if (engine_poll(e, 100, &err) < 0)
                break;
    }
    sb_free(&all);
    return rc;
}

int cmd_repl(int argc, char **argv)
{
    CliOptions o;
    if (cli_parse_options(argc, argv, &o, usage) != 0)
        return 2;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    EmbeddedBroker *broker = NULL;
    Transport *t = cli_connect(&o, &broker);
    if (t == NULL) {
        cli_free_options(&o);
        return 1;
    }
    EddyError err;
    EngineConfig cfg = {
        .transport = t,
        .state_dir = o.state_dir,
        .out = cli_default_output(),
        .props = cli_engine_props(&o),
    };
    Engine *e = engine_create(&cfg, &err);
    int rc = 0;
    if (e == NULL) {
        fprintf(stderr, "eddy: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    g_engine = e;
    if (!isatty(STDIN_FILENO)) {
        rc = run_script_stdin(e);
        goto out;
    }
    printf("eddy 0.1.0 - streaming SQL.  Statements end with ';'.  Ctrl-D leaves.\n");
    char hist[1024];
    const char *home = getenv("HOME");
    snprintf(hist, sizeof hist, "%s/.eddy_history", home ? home : ".");
    using_history();
    read_history(hist);
    rl_attempted_completion_function = complete;
    sb_init(&pending);
    rl_callback_handler_install("eddy> ", on_line);
    while (!eof_seen) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        struct timeval tv = {0, 100000};
        int r = select(STDIN_FILENO + 1, &fds, NULL, NULL, &tv);
        if (r > 0) {
            rl_callback_read_char();
        } else {
            engine_poll(e, 0, &err);   /* keep persistent queries running */
        }
        if (interrupted) {
            interrupted = 0;
            sb_reset(&pending);
            printf("\n");
            rl_callback_handler_remove();
            rl_callback_handler_install("eddy> ", on_line);
        }
        if (line_done) {
            line_done = false;
            if (parse_is_complete(pending.data)) {
                rl_callback_handler_remove();
                run_text(e, pending.data);
                sb_reset(&pending);
                if (!eof_seen)
                    rl_callback_handler_install("eddy> ", on_line);
            } else if (!eof_seen) {
                rl_callback_handler_remove();
                rl_callback_handler_install("   -> ", on_line);
            }
        }
    }
    write_history(hist);
    sb_free(&pending);
    printf("\n");
    engine_checkpoint(e, &err);
out:
    engine_destroy(e);
    t->ops->destroy(t);
    if (broker)
        embedded_broker_stop(broker);
    cli_free_options(&o);
    return rc;
}
