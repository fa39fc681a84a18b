/*
 * output.c - what run and repl show a person: statement text and query
 * rows on stdout, log lines on stderr and in the log file.
 *
 * Rows are a grid in the ksqlDB CLI's layout: every cell has the same
 * width, the terminal's width shared among the columns (20 when stdout is
 * not a terminal), and a longer value wraps onto more lines of its cell,
 * so the grid's bars always line up.
 *
 * Logs: Kafka client info lines (group joins, partition assignments) are
 * noise in the middle of query output, so they reach stderr only with
 * --verbose; the log file gets every line, timestamped.  Warnings and
 * errors always reach stderr.  A line written while the REPL's prompt is
 * on the screen first clears the prompt and redraws it after, so nothing
 * is ever written over what the user is typing.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static bool verbose;
static FILE *log_file;
static void (*prompt_hide)(void);
static void (*prompt_show)(void);

int cli_output_open(const CliOptions *o)
{
    verbose = o->verbose;
    if (o->log_file == NULL)
        return 0;
    log_file = fopen(o->log_file, "a");
    if (log_file == NULL) {
        fprintf(stderr, "eddy: cannot open log file %s for appending\n", o->log_file);
        return -1;
    }
    setvbuf(log_file, NULL, _IOLBF, 0);
    return 0;
}

void cli_output_close(void)
{
    if (log_file)
        fclose(log_file);
    log_file = NULL;
}

void cli_set_prompt_hooks(void (*hide)(void), void (*show)(void))
{
    prompt_hide = hide;
    prompt_show = show;
}

int cli_term_width(void)
{
    struct winsize ws;
    if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
        return 0;
    return ws.ws_col;
}

/* ---- logs ------------------------------------------------------------------ */

static void file_line(const char *level, const char *msg)
{
    if (log_file == NULL)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(log_file, "%s.%03dZ %s%s%s\n", when, (int)(tv.tv_usec / 1000), level,
            *level ? ": " : "", msg);
}

/* "WHO: LEVEL: MSG" ("WHO: MSG" for an empty level) on stderr, the prompt
 * moved out of the way: every line the eddy command writes for a person. */
static void stderr_line(const char *who, const char *level, const char *msg)
{
    if (prompt_hide)
        prompt_hide();
    fprintf(stderr, "%s: %s%s%s\n", who, level, *level ? ": " : "", msg);
    fflush(stderr);
    if (prompt_show)
        prompt_show();
}

void cli_log_line(const char *who, int level, const char *msg)
{
    stderr_line(who, eddy_log_level_name(level), msg);
}

void cli_kafka_log(void *ud, int level, const char *msg)
{
    file_line(eddy_log_level_name(level), msg);
    if (level > EDDY_LOG_INFO || verbose)
        cli_log_line("eddy", level, msg);
}

/* The engine's own lines (restored catalog, skipped statements, bad
 * records, failed queries) are for the user: always on stderr. */
static void engine_log(void *ud, int level, const char *msg)
{
    file_line(eddy_log_level_name(level), msg);
    cli_log_line("eddy", level, msg);
}

void cli_say(bool to_file, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (to_file)
        file_line("", msg);
    stderr_line("eddy", "", msg);
}

/* ---- statement text and rows --------------------------------------------------- */

static void stdout_text(void *ud, const char *text)
{
    fputs(text, stdout);
    fflush(stdout);
}

/* The ksqlDB CLI's cell width: the terminal shared among the columns. */
static int cell_width(int ncols)
{
    int w = cli_term_width();
    if (w <= 0 || ncols <= 0)
        return 20;
    w = w / ncols - 2;
    return w < 5 ? 5 : w;
}

static void grid_line(int cw, int ncols)
{
    putchar('+');
    for (int i = 0; i < ncols; i++) {
        for (int k = 0; k < cw; k++)
            putchar('-');
        putchar('+');
    }
    putchar('\n');
}

/* Writes the next piece of *s that fills at most cw columns (code points;
 * control characters show as spaces), padded to cw; advances *s. */
static void put_piece(const char **s, int cw)
{
    const char *p = *s;
    int used = 0;
    while (*p && used < cw) {
        const char *start = p++;
        while ((*p & 0xC0) == 0x80)
            p++;
        if ((unsigned char)*start < 0x20)
            putchar(' ');
        else
            fwrite(start, 1, (size_t)(p - start), stdout);
        used++;
    }
    for (; used < cw; used++)
        putchar(' ');
    *s = p;
}

static void stdout_row(void *ud, const char *const *cols, int ncols, bool header)
{
    int cw = cell_width(ncols);
    const char *left[256];
    int n = ncols < 256 ? ncols : 256;
    for (int i = 0; i < n; i++)
        left[i] = cols[i] ? cols[i] : "";
    bool more;
    if (header)
        grid_line(cw, n);
    do {
        putchar('|');
        more = false;
        for (int i = 0; i < n; i++) {
            put_piece(&left[i], cw);
            putchar('|');
            more |= *left[i] != '\0';
        }
        putchar('\n');
    } while (more);
    if (header)
        grid_line(cw, n);
    fflush(stdout);
}

static int output_width(void *ud)
{
    return cli_term_width();
}

EngineOutput cli_default_output(void)
{
    EngineOutput out = {.text = stdout_text, .row = stdout_row, .log = engine_log,
                        .width = output_width, .ud = NULL};
    return out;
}
