/*
 * model_store.c - where models live on disk: the stored copy of each
 * version's bytes and the record of which query scores with which
 * version since which offsets (models.c runs the statements).
 *
 * Layout under the state directory (engine/README.md, "Models"):
 *
 *   models/<NAME>/v<N>.json|.ubj   the bytes of version N, written to a
 *                                  temporary file, fsynced, renamed into
 *                                  place; never changed afterwards
 *   models/switches.json           every query's versions and the offsets
 *                                  each was first used from, rewritten
 *                                  whole (temporary file, fsync, rename)
 *
 * A version's catalog entry is the statement the engine writes to the
 * command log, CREATE OR REPLACE MODEL n FROM 'models/N/vK.json' WITH
 * (FORMAT=..., VERSION=K, SHA256='...', CREATED=ms, ORIGIN='...'); on
 * start it loads the stored copy and checks its SHA-256.
 *
 * switches.json: {"switches": [{"query", "model", "version", "sha256",
 * "at" (ms), "offsets": [{"topic", "partition", "offset"}, ...]}, ...]},
 * per query and model oldest first; no offsets = from the query's start.
 * A record whose model version (and hash) the catalog does not hold is
 * left over from a statement that failed after writing it, and is dropped
 * when the file is read.
 */
#include "engine_int.h"
#include "eddy/store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A model name as a directory name: letters, digits, '_' and '-' as they
 * are, anything else (a quoted name may hold '/' or '.') as %XX. */
static void dir_name(const char *name, StrBuf *out)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (plain)
            sb_putc(out, (char)*p);
        else
            sb_printf(out, "%%%02X", *p);
    }
}

/* Writes bytes[0..n) to path through a temporary file, fsync and rename,
 * then fsyncs the directory, so the file is either whole or absent. */
static int write_atomic(const char *path, const void *bytes, size_t n, EddyError *err)
{
    StrBuf tmp;
    sb_init(&tmp);
    sb_printf(&tmp, "%s.tmp", path);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < n;) {
        ssize_t w = write(fd, (const char *)bytes + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        done += ok ? (size_t)w : 0;
    }
    ok = ok && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    ok = ok && rename(tmp.data, path) == 0;
    if (!ok) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp.data);
        sb_free(&tmp);
        return -1;
    }
    sb_free(&tmp);
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(dir);
    return 0;
}

char *model_store_copy(Engine *e, const char *name, int version, const char *encoding,
                       const void *bytes, size_t n, EddyError *err)
{
    StrBuf rel, full;
    sb_init(&rel);
    sb_init(&full);
    sb_puts(&rel, "models/");
    dir_name(name, &rel);
    sb_printf(&full, "%s/%s", e->state_dir, rel.data);
    if (engine_mkdir_p(full.data) != 0) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot create %s: %s", full.data, strerror(errno));
        sb_free(&rel);
        sb_free(&full);
        return NULL;
    }
    sb_printf(&rel, "/v%d.%s", version, strcmp(encoding, "UBJSON") == 0 ? "ubj" : "json");
    sb_reset(&full);
    sb_printf(&full, "%s/%s", e->state_dir, rel.data);
    int rc = write_atomic(full.data, bytes, n, err);
    sb_free(&full);
    if (rc != 0) {
        sb_free(&rel);
        return NULL;
    }
    char *out = arena_strdup(e->cat.arena, rel.data);
    sb_free(&rel);
    return out;
}

/* ---- switches.json ---------------------------------------------------------- */

static char *switches_path(Engine *e)
{
    size_t n = strlen(e->state_dir) + 32;
    char *p = malloc(n);
    snprintf(p, n, "%s/models/switches.json", e->state_dir);
    return p;
}

static json_t *switch_json(const Query *q, const QueryModelUse *u, const ModelSwitch *sw)
{
    const char *sha = "";
    for (int i = 0; i < u->model->versions.n; i++) {
        const CatModelVersion *v = u->model->versions.items[i];
        if (v->version == sw->version)
            sha = v->sha256;
    }
    json_t *offs = json_array();
    for (int i = 0; i < sw->noffsets; i++)
        json_array_append_new(offs, json_pack("{s:s, s:i, s:I}", "topic", sw->offsets[i].topic,
                                              "partition", (int)sw->offsets[i].partition, "offset",
                                              (json_int_t)sw->offsets[i].offset));
    return json_pack("{s:s, s:s, s:i, s:s, s:I, s:o}", "query", q->id, "model", u->model->name,
                     "version", sw->version, "sha256", sha, "at", (json_int_t)sw->at_ms,
                     "offsets", offs);
}

int model_switches_write(Engine *e, const Query *also, EddyError *err)
{
    if (e->state_dir == NULL)
        return 0;
    json_t *all = json_array();
    bool also_listed = also == NULL;
    for (int i = 0; i <= e->cat.queries.n; i++) {
        const Query *q = i < e->cat.queries.n ? e->cat.queries.items[i] : also_listed ? NULL : also;
        if (q == NULL)
            break;
        also_listed |= q == also;
        for (int k = 0; k < q->models.n; k++) {
            const QueryModelUse *u = q->models.items[k];
            for (int j = 0; j < u->switches.n; j++)
                json_array_append_new(all, switch_json(q, u, u->switches.items[j]));
        }
    }
    json_t *doc = json_pack("{s:o}", "switches", all);
    char *text = json_dumps(doc, JSON_INDENT(1));
    json_decref(doc);
    char *path = switches_path(e);
    StrBuf dir;
    sb_init(&dir);
    sb_printf(&dir, "%s/models", e->state_dir);
    int rc = engine_mkdir_p(dir.data) == 0 ? write_atomic(path, text, strlen(text), err)
                                           : eddy_error(err, ERR_IO, (SrcPos){0}, "cannot create %s: %s",
                                                        dir.data, strerror(errno));
    sb_free(&dir);
    free(path);
    free(text);
    return rc;
}

/* The version of m numbered `version` with hash sha, or NULL. */
static const CatModelVersion *find_version(const CatModel *m, int version, const char *sha)
{
    for (int i = 0; i < m->versions.n; i++) {
        const CatModelVersion *v = m->versions.items[i];
        if (v->version == version && strcmp(v->sha256, sha) == 0)
            return v;
    }
    return NULL;
}

/* Adds record r to its query's use; false if it names nothing the catalog
 * holds (see the top). */
static bool add_record(Engine *e, json_t *r)
{
    const char *qid = json_string_value(json_object_get(r, "query"));
    const char *mname = json_string_value(json_object_get(r, "model"));
    const char *sha = json_string_value(json_object_get(r, "sha256"));
    json_t *offs = json_object_get(r, "offsets");
    Query *q = qid ? engine_find_query(e, qid) : NULL;
    CatModel *m = mname ? strmap_get(e->cat.models, mname) : NULL;
    int version = (int)json_integer_value(json_object_get(r, "version"));
    if (q == NULL || m == NULL || sha == NULL || !json_is_array(offs) ||
        find_version(m, version, sha) == NULL)
        return false;
    QueryModelUse *u = query_model_use(q, m);
    if (u == NULL)
        return false;
    Arena *a = e->cat.arena;
    ModelSwitch *sw = arena_alloc(a, sizeof *sw);
    sw->version = version;
    sw->at_ms = (int64_t)json_integer_value(json_object_get(r, "at"));
    sw->noffsets = (int)json_array_size(offs);
    sw->offsets = arena_alloc(a, sizeof(ModelOffset) * (size_t)(sw->noffsets + 1));
    for (int i = 0; i < sw->noffsets; i++) {
        json_t *o = json_array_get(offs, (size_t)i);
        const char *topic = json_string_value(json_object_get(o, "topic"));
        sw->offsets[i] = (ModelOffset){arena_strdup(a, topic ? topic : "?"),
                                       (int32_t)json_integer_value(json_object_get(o, "partition")),
                                       (int64_t)json_integer_value(json_object_get(o, "offset"))};
    }
    ptrvec_push(a, &u->switches, sw);
    return true;
}

int model_switches_read(Engine *e, int *dropped, EddyError *err)
{
    *dropped = 0;
    char *path = switches_path(e);
    if (access(path, F_OK) != 0) {
        free(path);
        return 0;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read %s: %s (line %d)", path, jerr.text,
                   jerr.line);
        free(path);
        return -1;
    }
    free(path);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "switches"), i, r)
        *dropped += !add_record(e, r);
    json_decref(doc);
    return 0;
}
