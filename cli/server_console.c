/*
 * server_console.c - the web console's static files at `/` (index.html)
 * and `/console/NAME` (its scripts and style sheet).
 *
 * The files are cli/console/ *.html, *.js and *.css, embedded into the binary
 * at build time (cli/console/embed.cmake writes console_files.c), so the
 * server needs no files at run time and works from any directory.  A name
 * is looked up in that table and nowhere else: there is no file system
 * access, so no path (`..`, encoded or not) can reach another file.
 * Basic authentication applies as to every endpoint (server.c checks it
 * before calling here).
 */
#include "server.h"

#include <string.h>

/* As console_files.c defines it. */
typedef struct ConsoleFile {
    const char *name;
    const unsigned char *data;
    size_t len;
} ConsoleFile;
extern const ConsoleFile console_files[];

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (dot && strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (dot && strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    return "application/octet-stream";
}

bool server_console(Server *srv, h2o_req_t *req)
{
    (void)srv;
    static const char prefix[] = "/console/";
    h2o_iovec_t path = req->path_normalized;
    const char *name;
    size_t len;
    if (h2o_memis(path.base, path.len, H2O_STRLIT("/"))) {
        name = "index.html";
        len = strlen(name);
    } else if (path.len > sizeof prefix - 1 && memcmp(path.base, prefix, sizeof prefix - 1) == 0) {
        name = path.base + sizeof prefix - 1;
        len = path.len - (sizeof prefix - 1);
    } else {
        return false;   /* an endpoint of the API, or its 404 */
    }
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        server_reply_error(req, 405, "generic_error", 40500, "the console's files take GET");
        return true;
    }
    for (const ConsoleFile *f = console_files; f->name; f++) {
        if (strlen(f->name) != len || memcmp(f->name, name, len) != 0)
            continue;
        /* Served from the binary: a new eddy brings new files, so the
         * browser asks again each time rather than keep an old copy. */
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                       H2O_STRLIT("no-cache"));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                              NULL, H2O_STRLIT("nosniff"));
        server_reply(req, 200, content_type(f->name), (const char *)f->data, f->len);
        return true;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "no console file %.*s", (int)(path.len < 256 ? path.len : 256), path.base);
    server_reply_error(req, 404, "generic_error", 40400, msg);
    return true;
}
