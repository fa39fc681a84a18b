/*
 * repl.c - the interactive shell: statements end with ';' and may span
 * lines; history is kept in ~/.eddy_history, a statement as one entry;
 * Tab completes keywords, stream/table/column names and functions.
 * Persistent queries keep running while the prompt waits (libedit's
 * callback interface lets the loop poll the engine between keystrokes);
 * a line logged meanwhile moves the prompt out of its way (output.c).  A
 * push query prints rows as they arrive until Ctrl-C or its LIMIT.
 * Leaving while persistent queries run asks first, saying what happens
 * to their state.
 *
 * With standard input not a terminal, the input is run as a script:
 * statement by statement, going on after an error (unless --fail-fast),
 * then, if it started persistent queries, running them as `eddy run`
 * does.
 *
 * With --server URL the same shell talks to an eddy server instead of an
 * engine of its own (g_remote; repl_client.c sends the statements and
 * prints the answers): no engine, nothing to poll, no queries of its own
 * to stop when leaving.
 */
#include "cli.h"

#include <editline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

static const char usage[] =
    "usage: eddy [repl] [--bootstrap-servers B] [--state-dir D] [--config FILE] [-p key=value]...\n"
    "                   [--verbose] [--log-file FILE] [--fail-fast] [--until-caught-up]\n"
    "\n"
    "An interactive shell.  Statements end with ';'.  Ctrl-C stops a running push query;\n"
    "Ctrl-D (or EXIT) leaves; HELP lists the statements and keys.\n"
    "\n"
    "  --verbose              Kafka client info lines (group joins, assignments) on stderr too\n"
    "  --log-file FILE        append every log line, timestamped, to FILE\n"
    "With standard input not a terminal, runs it as a script, going on after an error:\n"
    "  --fail-fast            stop at the first error instead\n"
    "  --until-caught-up      once the script is done, run its persistent queries until they\n"
    "                         have caught up (without it: until Ctrl-C or SIGTERM)\n"
    "\n"
    "usage: eddy --server http://HOST:PORT [--user U --password P] [--fail-fast]\n"
    "\n"
    "The same shell as a client of `eddy server` (or of ksqlDB's REST API), as `ksql URL`:\n"
    "statements go to the server, push query rows print as they arrive, Ctrl-C closes the query.\n"
    "  --user U, -u U         HTTP basic authentication (with --password P, -p P; asked for\n"
    "  --password P, -p P     when only --user is given and stdin is a terminal)\n";

static const char help_text[] =
    "\n"
    "Statements (end each with ';'; they may span lines):\n"
    "  CREATE STREAM s (col TYPE [KEY], ...) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', ...)\n"
    "  CREATE TABLE t (col TYPE PRIMARY KEY, ...) WITH (...)\n"
    "  CREATE STREAM s [WITH (...)] AS SELECT ...     a persistent query writing stream s\n"
    "  CREATE TABLE t [WITH (...)] AS SELECT ...      a persistent query keeping table t\n"
    "  INSERT INTO s SELECT ...  |  INSERT INTO s [(cols)] VALUES (...)\n"
    "  SELECT ... FROM s [WHERE ...] EMIT CHANGES [LIMIT n]   a push query: rows as they come\n"
    "  SELECT ... FROM s [WHERE ...] [LIMIT n]                 what the stream holds now\n"
    "  SELECT ... FROM t [WHERE key = x]                       a pull query on a table\n"
    "  CREATE OR REPLACE STREAM | TABLE s AS SELECT ...  upgrade its query in place\n"
    "  SHOW STREAMS | TABLES | QUERIES | TOPICS | PROPERTIES | FUNCTIONS | MODELS | SNAPSHOTS\n"
    "  DESCRIBE [EXTENDED] name  |  DESCRIBE FUNCTION f  |  EXPLAIN query_id | statement\n"
    "  PRINT topic [FROM BEGINNING] [LIMIT n]\n"
    "  DROP STREAM | TABLE [IF EXISTS] name  |  TERMINATE query_id | ALL\n"
    "  SET 'property' = 'value'  |  UNSET 'property'  (e.g. SET 'auto.offset.reset' = 'earliest')\n"
    "  RUN SCRIPT 'file.ksql'  |  CHECKPOINT\n"
    "  CREATE [OR REPLACE] MODEL m FROM 'file' [WITH (FORMAT='XGBOOST'|'LINEAR')]\n"
    "      then PREDICT(m, feature, ...) and MODEL_VERSION(m) in queries;\n"
    "      SHOW MODELS  |  DESCRIBE MODEL m  |  DROP MODEL [IF EXISTS] m\n"
    "  REPLAY QUERY id FROM BEGINNING | OFFSET n | OFFSETS (p:o, ...) | TIMESTAMP 'iso'\n"
    "                          | SNAPSHOT name  [WITH EMPTY STATE]   process its inputs again\n"
    "  CREATE SNAPSHOT [name] [FOR QUERY id]  |  DROP SNAPSHOT name\n"
    "\n"
    "Shell commands (no ';' needed):\n"
    "  HELP, \\?     this text\n"
    "  EXIT, QUIT   leave (asks first while persistent queries run)\n"
    "\n"
    "Keys:\n"
    "  Ctrl-C       stop a running push query; at the prompt, drop the statement being typed\n"
    "  Ctrl-D       leave\n"
    "  Up, Down     move through the history (a statement of several lines is one entry)\n"
    "  Ctrl-R       search the history\n"
    "  Tab          complete keywords, stream, table and column names, functions\n"
    "\n";

static volatile sig_atomic_t interrupted, terminate_requested;
static Engine *g_engine;
static Remote *g_remote;        /* --server: statements go there (NULL: the engine) */
static const char *g_state_dir;
static StrBuf pending;          /* a statement being typed over several lines */
static char *typed_line;        /* the line on_line received, until handled */
static bool line_done, eof_typed, leaving, asking_leave, prompt_shown;

static void on_sigint(int sig)
{
    interrupted = 1;
}

/* SIGTERM leaves (a checkpoint first); it also stops what Ctrl-C stops. */
static void on_sigterm(int sig)
{
    terminate_requested = 1;
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
        nnames = g_remote ? remote_names(g_remote, &names)
               : g_engine ? engine_names(g_engine, &names) : 0;
    }
    size_t len = strlen(text);
    const char *const *keywords = eddy_keywords();
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
    const char *n;
    while ((n = eddy_function_name(fn)) != NULL) {
        fn++;
        if (strncasecmp(n, text, len) == 0)
            return strdup(n);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    return rl_completion_matches(text, complete_next);
}

/* ---- the prompt ------------------------------------------------------------------ */

static void on_line(char *line);

static void prompt_install(void)
{
    const char *p = asking_leave ? "Leave anyway? [y/N] " : pending.len ? "   -> " : "eddy> ";
    rl_callback_handler_install(p, on_line);
    prompt_shown = true;
}

static void prompt_remove(void)
{
    if (prompt_shown)
        rl_callback_handler_remove();
    prompt_shown = false;
}

/* output.c's hooks: a log line clears the prompt line, then redraws the
 * prompt and what was typed so far below it. */
static void prompt_hide(void)
{
    if (!prompt_shown)
        return;
    fputs("\r\033[K", stdout);
    fflush(stdout);
}

static void prompt_show(void)
{
    if (prompt_shown)
        rl_forced_update_display();
}

/* ---- running statements ---------------------------------------------------------- */

static const char *statement_end(const char *text);
static void advance_pos(const char *text, size_t n, int *line, int *col);

/* The statements of text on the server, one by one, stopping at the first
 * error as engine_execute does; err positioned in text. */
static int remote_run(const char *text, EddyError *err)
{
    int line = 1, col = 1;
    for (const char *p = text; *p;) {
        const char *end = statement_end(p);
        char *stmt = strndup(p, (size_t)(end - p));
        int rc = remote_execute(g_remote, stmt, &interrupted, err);
        free(stmt);
        if (rc != 0) {
            if (err->pos.line == 1)
                err->pos.col += col - 1;
            if (err->pos.line > 0)
                err->pos.line += line - 1;
            return -1;
        }
        advance_pos(p, (size_t)(end - p), &line, &col);
        p = end;
    }
    return 0;
}

static void run_text(Engine *e, const char *text)
{
    EddyError err;
    if (g_remote) {
        if (remote_run(text, &err) != 0)
            cli_print_error(NULL, text, &err);
        interrupted = 0;
        return;
    }
    if (engine_execute(e, text, "repl", &err) != 0) {
        cli_print_error(NULL, text, &err);
        return;
    }
    /* A push query: rows until Ctrl-C or LIMIT. */
    bool push = engine_has_transient(e);
    if (push) {
        printf("Press Ctrl-C to stop.\n");
        fflush(stdout);
    }
    while (engine_has_transient(e) && !interrupted && !terminate_requested) {
        if (engine_poll(e, 100, &err) < 0) {
            fprintf(stderr, "eddy: %s\n", err.msg);
            break;
        }
    }
    if (engine_has_transient(e)) {
        engine_cancel_transient(e);
        printf("\n");   /* after the terminal's ^C */
    } else if (push) {
        printf("Limit Reached\n");
    }
    if (push)
        printf("Query terminated\n");
    interrupted = 0;
}

static bool is_word_line(const char *s, const char *const *words)
{
    while (*s == ' ' || *s == '\t')
        s++;
    for (; *words; words++) {
        size_t n = strlen(*words);
        if (strncasecmp(s, *words, n) != 0)
            continue;
        const char *p = s + n;
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        if (*p == '\0')
            return true;
    }
    return false;
}

static bool is_exit(const char *s)
{
    static const char *const words[] = {"exit", "quit", NULL};
    return is_word_line(s, words);
}

static bool is_help(const char *s)
{
    static const char *const words[] = {"help", "\\?", NULL};
    return is_word_line(s, words);
}

/* The names of the running persistent queries, comma-separated. */
static void query_ids(Engine *e, StrBuf *out)
{
    EngineQueryProgress qs[32];
    int n = engine_query_progress(e, qs, 32);
    for (int i = 0; i < n && i < 32; i++)
        sb_printf(out, "%s%s", i ? ", " : "", qs[i].id);
    if (n > 32)
        sb_printf(out, " and %d more", n - 32);
}

/* What stopping the n running queries does to their state, in a sentence. */
static const char *state_fate(int n)
{
    static char buf[1200];
    const char *its = n == 1 ? "its" : "their";
    if (g_state_dir)
        snprintf(buf, sizeof buf,
                 "%s state and offsets are kept in %s, and %s where %s stopped when eddy "
                 "starts again with --state-dir %s",
                 its, g_state_dir, n == 1 ? "it resumes" : "they resume", n == 1 ? "it" : "they",
                 g_state_dir);
    else
        snprintf(buf, sizeof buf,
                 "%s state is lost (it is in memory: eddy was started without --state-dir)", its);
    return buf;
}

/* EXIT or Ctrl-D: leave at once, or ask first while queries run. */
static void request_leave(Engine *e)
{
    int n = e ? engine_running_queries(e) : 0;
    if (n == 0) {
        leaving = true;
        return;
    }
    StrBuf ids;
    sb_init(&ids);
    query_ids(e, &ids);
    printf("%d persistent quer%s running: %s.\nLeaving stops %s; %s.\n", n,
           n == 1 ? "y is" : "ies are", ids.data, n == 1 ? "it" : "them", state_fate(n));
    sb_free(&ids);
    asking_leave = true;
}

/* History holds a statement as one line: line breaks (outside quotes)
 * and the indentation after them become one space, and `--` comments
 * are dropped (joined, they would swallow the rest). */
static char *history_entry(const char *text)
{
    StrBuf sb;
    sb_init(&sb);
    char quote = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (quote) {
            sb_putc(&sb, c);
            quote = c == quote ? 0 : quote;   /* a doubled quote reopens at once */
        } else if (c == '\'' || c == '"' || c == '`') {
            quote = c;
            sb_putc(&sb, c);
        } else if (c == '-' && p[1] == '-') {
            while (p[1] && p[1] != '\n')
                p++;
        } else if (c == '\n' || c == '\r') {
            while (sb.len && sb.data[sb.len - 1] == ' ')
                sb.data[--sb.len] = '\0';
            while (p[1] == ' ' || p[1] == '\t' || p[1] == '\n' || p[1] == '\r')
                p++;
            if (sb.len && p[1])
                sb_putc(&sb, ' ');
        } else {
            sb_putc(&sb, c);
        }
    }
    while (sb.len && sb.data[sb.len - 1] == ' ')
        sb.data[--sb.len] = '\0';
    char *out = strdup(sb.data ? sb.data : "");
    sb_free(&sb);
    return out;
}

static void remember(const char *text)
{
    char *h = history_entry(text);
    if (*h)
        add_history(h);
    free(h);
}

static void on_line(char *line)
{
    if (line == NULL)
        eof_typed = true;
    else
        typed_line = line;
    line_done = true;
}

/* Acts on one line the user typed (NULL: Ctrl-D).  The prompt is off. */
static void handle_line(Engine *e, char *line)
{
    if (asking_leave) {
        asking_leave = false;
        const char *a = line ? line : "y";   /* Ctrl-D again: yes */
        while (*a == ' ')
            a++;
        if (*a == 'y' || *a == 'Y')
            leaving = true;
        else
            printf("Staying; the queries keep running.\n");
    } else if (line == NULL) {
        printf("\n");
        sb_reset(&pending);
        request_leave(e);
    } else if (pending.len == 0 && is_exit(line)) {
        remember(line);
        request_leave(e);
    } else if (pending.len == 0 && is_help(line)) {
        remember(line);
        fputs(help_text, stdout);
    } else {
        sb_puts(&pending, line);
        sb_putc(&pending, '\n');
        if (eddy_statement_complete(pending.data)) {
            remember(pending.data);
            run_text(e, pending.data);
            sb_reset(&pending);
        } else if (pending.len == strspn(pending.data, " \t\n")) {
            sb_reset(&pending);   /* an empty line is not the start of a statement */
        }
    }
    free(line);
}

static int run_interactive(Engine *e)
{
    EddyError err;
    printf("eddy 0.1.0 - streaming SQL%s.  Statements end with ';'.  HELP for help, Ctrl-D leaves.\n",
           g_remote ? " (a server's client)" : "");
    char hist[1024];
    const char *home = getenv("HOME");
    snprintf(hist, sizeof hist, "%s/.eddy_history", home ? home : ".");
    using_history();
    read_history(hist);
    rl_attempted_completion_function = complete;
    cli_set_prompt_hooks(prompt_hide, prompt_show);
    prompt_install();
    while (!leaving && !terminate_requested) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        struct timeval tv = {0, 100000};
        int r = select(STDIN_FILENO + 1, &fds, NULL, NULL, &tv);
        if (r > 0)
            rl_callback_read_char();
        else if (e)
            engine_poll(e, 0, &err);   /* keep persistent queries running */
        if (interrupted) {
            interrupted = 0;
            prompt_remove();
            printf("\n");
            if (asking_leave)
                printf("Staying; the queries keep running.\n");
            asking_leave = false;
            sb_reset(&pending);
            prompt_install();
        }
        if (line_done) {
            line_done = false;
            prompt_remove();
            char *line = typed_line;
            typed_line = NULL;
            bool eof = eof_typed;
            eof_typed = false;
            handle_line(e, eof ? NULL : line);
            if (!leaving)
                prompt_install();
        }
    }
    prompt_remove();
    cli_set_prompt_hooks(NULL, NULL);
    write_history(hist);
    sb_free(&pending);
    int n = e ? engine_running_queries(e) : 0;
    if (n > 0)
        printf("Stopping %d persistent quer%s; %s.\n", n, n == 1 ? "y" : "ies", state_fate(n));
    return 0;
}

/* ---- scripts ------------------------------------------------------------------------ */

/* The end of the statement text starts (after its ';', or the end of the
 * text): the first ';' that the parser's own scanner says ends a
 * statement, so quotes and comments are honoured. */
static const char *statement_end(const char *text)
{
    StrBuf head;
    sb_init(&head);
    const char *end = text + strlen(text);
    for (const char *semi = strchr(text, ';'); semi; semi = strchr(semi + 1, ';')) {
        sb_reset(&head);
        sb_append(&head, text, (size_t)(semi + 1 - text));
        if (eddy_statement_complete(head.data)) {
            end = semi + 1;
            break;
        }
    }
    sb_free(&head);
    return end;
}

/* Moves the 1-based line and column over text[0, n). */
static void advance_pos(const char *text, size_t n, int *line, int *col)
{
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static int run_script_stdin(Engine *e, const CliOptions *o)
{
    /* The script reader's rules (base/textfile.c): a size limit, no NUL. */
    EddyError rerr;
    char *text = eddy_read_fd(STDIN_FILENO, "stdin", &rerr);
    if (text == NULL) {
        fprintf(stderr, "eddy: %s\n", rerr.msg);
        return 1;
    }
    int errors = 0, line = 1, col = 1;
    bool stop = false;
    for (const char *p = text; *p && !stop && !interrupted && !terminate_requested;) {
        const char *end = statement_end(p);
        char *stmt = strndup(p, (size_t)(end - p));
        EddyError err;
        int rc = g_remote ? remote_execute(g_remote, stmt, &interrupted, &err)
                          : engine_execute(e, stmt, "stdin", &err);
        if (rc != 0) {
            /* Positions are in the statement; the message gives them in stdin. */
            if (err.pos.line == 1)
                err.pos.col += col - 1;
            if (err.pos.line > 0)
                err.pos.line += line - 1;
            cli_print_error("stdin", text, &err);
            errors++;
            stop = o->fail_fast;
        }
        while (e && engine_has_transient(e) && !interrupted && !terminate_requested)
            if (engine_poll(e, 100, &err) < 0)
                break;
        if (e && engine_has_transient(e))
            engine_cancel_transient(e);
        free(stmt);
        advance_pos(p, (size_t)(end - p), &line, &col);
        p = end;
    }
    int n = e ? engine_running_queries(e) : 0;
    if (n > 0) {
        StrBuf ids;
        sb_init(&ids);
        query_ids(e, &ids);
        if (stop || interrupted || terminate_requested) {
            cli_say(false, "stopping the %d persistent quer%s the script started (%s); %s", n,
                    n == 1 ? "y" : "ies", ids.data, state_fate(n));
        } else {
            cli_say(false, "end of script; %d persistent quer%s running (%s) until %s; then %s", n,
                    n == 1 ? "y keeps" : "ies keep", ids.data,
                    o->until_caught_up ? "caught up" : "Ctrl-C or SIGTERM", state_fate(n));
            if (cli_run_queries(e, o, NULL, &interrupted) != 0)
                errors++;
        }
        sb_free(&ids);
    }
    free(text);
    return errors ? 1 : 0;
}

static void set_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, NULL);
}

/* eddy --server URL: the shell against a server (see the header). */
static int cmd_repl_remote(int argc, char **argv)
{
    const char *url = NULL, *user = NULL, *password = NULL;
    CliOptions o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--server") == 0 && has_value)
            url = argv[++i];
        else if ((strcmp(a, "--user") == 0 || strcmp(a, "-u") == 0) && has_value)
            user = argv[++i];
        else if ((strcmp(a, "--password") == 0 || strcmp(a, "-p") == 0) && has_value)
            password = argv[++i];
        else if (strcmp(a, "--fail-fast") == 0)
            o.fail_fast = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "repl") != 0 || i != 1) {
            fprintf(stderr, "eddy: %s: not an option of eddy --server (it takes --user, "
                    "--password, --fail-fast)\n\n%s", a, usage);
            return 2;
        }
    }
    if (url == NULL) {
        fprintf(stderr, "eddy: --server needs a URL: eddy --server http://HOST:PORT\n");
        return 2;
    }
    if (user && password == NULL) {
        if (!isatty(STDIN_FILENO)) {
            fprintf(stderr, "eddy: --user needs --password when standard input is not a terminal\n");
            return 2;
        }
        password = getpass("Password: ");
    }
    set_signals();
    g_remote = remote_open(url, user, password);
    if (g_remote == NULL)
        return 1;
    sb_init(&pending);
    int rc = isatty(STDIN_FILENO) ? run_interactive(NULL) : run_script_stdin(NULL, &o);
    remote_close(g_remote);
    g_remote = NULL;
    return rc;
}

int cmd_repl(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--server") == 0)
            return cmd_repl_remote(argc, argv);
    CliOptions o;
    if (cli_parse_options(argc, argv, &o, usage) != 0)
        return 2;
    if (cli_output_open(&o) != 0) {
        cli_free_options(&o);
        return 2;
    }
    set_signals();
    EmbeddedBroker *broker = NULL;
    Transport *t = cli_connect(&o, &broker);
    if (t == NULL) {
        cli_output_close();
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
    g_state_dir = o.state_dir;
    sb_init(&pending);
    rc = isatty(STDIN_FILENO) ? run_interactive(e) : run_script_stdin(e, &o);
    engine_checkpoint(e, &err);
out:
    engine_destroy(e);
    t->ops->destroy(t);
    if (broker)
        embedded_broker_stop(broker);
    cli_output_close();
    cli_free_options(&o);
    return rc;
}
