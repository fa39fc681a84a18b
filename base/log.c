/*
 * log.c - log lines: the one formatter through which library code hands a
 * line to a log sink (EddyLogFn), and the names of the levels.
 *
 * Library code never prints: a transport, the engine or a query formats
 * its line here and the sink the embedder gave (Transport.log,
 * EngineOutput.log) decides where it goes.
 */
#include "eddy/base.h"

#include <stdio.h>

void eddy_vlog(EddyLogFn log, void *ud, int level, const char *fmt, va_list ap)
{
    if (log == NULL)
        return;
    char line[EDDY_LOG_LINE_MAX];
    vsnprintf(line, sizeof line, fmt, ap);
    log(ud, level, line);
}

void eddy_log(EddyLogFn log, void *ud, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    eddy_vlog(log, ud, level, fmt, ap);
    va_end(ap);
}

const char *eddy_log_level_name(int level)
{
    return level <= EDDY_LOG_INFO ? "info" : level == EDDY_LOG_WARNING ? "warning" : "error";
}
