/*
 * server_auth.c - HTTP basic authentication for `eddy server`
 * (server.auth.basic.file): a file of `user:hash` lines, the hash in any
 * form crypt(3) takes (`openssl passwd -6`, `mkpasswd`: $6$..., $y$...,
 * $2b$...).  `#` starts a comment line; blank lines are skipped.
 *
 * A request without valid credentials gets 401 with a WWW-Authenticate
 * challenge and ksqlDB's error body.  crypt(3) is slow on purpose (a few
 * ms), so a header that was verified once is remembered (a small set of
 * exact header values) and later requests of the same client skip it.
 */
#include "server.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTH_CACHE 32

typedef struct AuthUser {
    char *name, *hash;
} AuthUser;

struct ServerAuth {
    AuthUser *users;
    int nusers;
    struct crypt_data *cd;        /* crypt_r's work area (large: on the heap) */
    char *verified[AUTH_CACHE];   /* Authorization values that passed */
    int next;
};

ServerAuth *server_auth_load(const char *path)
{
    char *text = cli_read_file(path);
    if (text == NULL)
        return NULL;
    ServerAuth *a = calloc(1, sizeof *a);
    a->cd = calloc(1, sizeof *a->cd);
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        char *colon = strchr(line, ':');
        if (colon == NULL || colon == line || colon[1] == '\0') {
            fprintf(stderr, "eddy server: %s: line %d is not user:crypt-hash\n", path, lineno);
            free(text);
            server_auth_free(a);
            return NULL;
        }
        *colon = '\0';
        a->users = realloc(a->users, sizeof *a->users * (size_t)(a->nusers + 1));
        a->users[a->nusers++] = (AuthUser){strdup(line), strdup(colon + 1)};
    }
    free(text);
    if (a->nusers == 0) {
        fprintf(stderr, "eddy server: %s names no user (user:crypt-hash lines)\n", path);
        server_auth_free(a);
        return NULL;
    }
    return a;
}

void server_auth_free(ServerAuth *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < a->nusers; i++) {
        free(a->users[i].name);
        free(a->users[i].hash);
    }
    for (int i = 0; i < AUTH_CACHE; i++)
        free(a->verified[i]);
    free(a->users);
    free(a->cd);
    free(a);
}

/* Standard base64 (RFC 4648) into out (NUL-terminated); -1 if malformed. */
static int base64_decode(const char *in, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
              : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (c == '=')
            break;
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= outsz)
                return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return 0;
}

/* Equal strings, in time that depends on their lengths only. */
static bool same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static bool verify(ServerAuth *a, const char *value, size_t len)
{
    static const char scheme[] = "Basic ";
    if (len < sizeof scheme || strncasecmp(value, scheme, sizeof scheme - 1) != 0 || len > 1024)
        return false;
    char cred[800];
    if (base64_decode(value + sizeof scheme - 1, len - (sizeof scheme - 1), cred, sizeof cred) != 0)
        return false;
    char *colon = strchr(cred, ':');
    if (colon == NULL)
        return false;
    *colon = '\0';
    const AuthUser *u = &a->users[0];   /* an unknown user costs a crypt too */
    bool known = false;
    for (int i = 0; i < a->nusers; i++)
        if (strcmp(a->users[i].name, cred) == 0) {
            u = &a->users[i];
            known = true;
        }
    const char *h = crypt_r(colon + 1, u->hash, a->cd);
    return known && h != NULL && h[0] != '*' && same(h, u->hash);
}

bool server_auth_check(ServerAuth *a, h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    for (int k = 0; k < AUTH_CACHE; k++)
        if (a->verified[k] && strlen(a->verified[k]) == v.len && memcmp(a->verified[k], v.base, v.len) == 0)
            return true;
    if (!verify(a, v.base, v.len))
        return false;
    free(a->verified[a->next]);
    a->verified[a->next] = strndup(v.base, v.len);
    a->next = (a->next + 1) % AUTH_CACHE;
    return true;
}
