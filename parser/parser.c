/*
 * parser.c - the parser's entry points (declared in include/eddy/ast.h):
 * parse_script runs the flex scanner and the bison parser over a script;
 * parse_is_complete tells the REPL whether its input ends a statement;
 * parse_keywords lists words for completion.
 *
 * Memory: the tree lives in the caller's arena; the only malloc'ed memory
 * is flex's scanner and buffer and bison's stack when it grows, and all
 * of it is freed before parse_script returns, on success and on error.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "parse_int.h"
#include "grammar.h"
#define YYSTYPE EDDY_YYSTYPE
#define YYLTYPE EDDY_YYLTYPE
#include "lexer.h"
#include "keywords.h"

void ps_error(ParseState *ps, SrcPos pos, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    ps->err->kind = ERR_SYNTAX;
    ps->err->pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
    va_end(ap);
}

const char *ps_text(ParseState *ps, EddyLoc l)
{
    if (l.end < l.start)
        l.end = l.start;
    size_t n = (size_t)(l.end - l.start);
    for (int i = 0; i < ps->subs.n; i++) {
        const VarSub *v = ps->subs.items[i];
        if (v->start >= l.start && v->end <= l.end)
            n += strlen(v->text) - (size_t)(v->end - v->start);
    }
    char *out = arena_alloc(ps->arena, n + 1), *o = out;
    int at = l.start;
    for (int i = 0; i < ps->subs.n; i++) {   /* subs are in source order */
        const VarSub *v = ps->subs.items[i];
        if (v->start < l.start || v->end > l.end)
            continue;
        memcpy(o, ps->src + at, (size_t)(v->start - at));
        o += v->start - at;
        size_t t = strlen(v->text);
        memcpy(o, v->text, t);
        o += t;
        at = v->end;
    }
    memcpy(o, ps->src + at, (size_t)(l.end - at));
    o[l.end - at] = '\0';
    return out;
}

void ps_note_var(ParseState *ps, const char *name, const char *value)
{
    ptrvec_push(ps->arena, &ps->var_names, (void *)name);
    ptrvec_push(ps->arena, &ps->var_values, (void *)value);
}

const char *ps_var(ParseState *ps, const char *name)
{
    for (int i = ps->var_names.n - 1; i >= 0; i--)
        if (str_ieq(ps->var_names.items[i], name))
            return ps->var_values.items[i];
    return ps->var_lookup ? ps->var_lookup(ps->var_lookup_ud, name) : NULL;
}

int parse_script(const char *text, Arena *arena, PtrVec *stmts, EddyError *err)
{
    return parse_script_vars(text, arena, stmts, NULL, NULL, NULL, NULL, err);
}

int parse_script_types(const char *text, Arena *arena, PtrVec *stmts, ParseTypeLookup lookup,
                       void *lookup_ud, EddyError *err)
{
    return parse_script_vars(text, arena, stmts, lookup, lookup_ud, NULL, NULL, err);
}

int parse_script_vars(const char *text, Arena *arena, PtrVec *stmts, ParseTypeLookup lookup,
                      void *lookup_ud, ParseVarLookup var_lookup, void *var_ud, EddyError *err)
{
    EddyError local;
    if (err == NULL)
        err = &local;
    eddy_error_clear(err);
    if (text == NULL)
        text = "";
    size_t len = strlen(text);
    if (len >= INT_MAX / 2)      /* locations count bytes in an int */
        return eddy_error(err, ERR_SYNTAX, (SrcPos){1, 1}, "script too large");

    PtrVec out = {0};
    ParseState ps = {
        .arena = arena, .src = text, .stmts = &out, .err = err,
        .line = 1, .col = 1, .off = 0,
        .last_tok = {1, 1, 1, 1, 0, 0},
        .type_lookup = lookup, .type_lookup_ud = lookup_ud,
        .var_lookup = var_lookup, .var_lookup_ud = var_ud,
    };
    yyscan_t scanner;
    if (eddy_yylex_init_extra(&ps, &scanner) != 0)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0, 0}, "out of memory starting the lexer");
    YY_BUFFER_STATE buf = eddy_yy_scan_bytes(text, (int)len, scanner);
    int rc = eddy_yyparse(&ps, scanner);
    eddy_yy_delete_buffer(buf, scanner);
    eddy_yylex_destroy(scanner);

    if (rc != 0 || ps.failed) {
        if (!ps.failed)
            eddy_error(err, ERR_SYNTAX, ps.last_tok.first_line ? loc_pos(ps.last_tok) : (SrcPos){1, 1},
                       "syntax error");
        return -1;
    }
    for (int i = 0; i < out.n; i++)
        ptrvec_push(arena, stmts, out.items[i]);
    return 0;
}

/* Mirrors the lexer's rules for quotes and comments without tokenizing. */
bool parse_is_complete(const char *text)
{
    bool ended = false;     /* last significant character was ';' */
    const char *p = text ? text : "";
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '`' || c == '"') {
            for (p++;; p++) {
                if (*p == '\0')
                    return false;           /* inside a quoted string */
                if (*p == c) {
                    if (p[1] != c)
                        break;
                    p++;                    /* doubled quote */
                }
            }
            p++;
            ended = false;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (end == NULL)
                return false;               /* inside a comment */
            p = end + 2;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            p++;
        } else {
            ended = c == ';';
            p++;
        }
    }
    return ended;
}

/* Keywords, then type names that are not keywords; built once. */
#define COUNT(a, b) +1
static const char *completion_words[0 EDDY_KEYWORD_LIST(COUNT) EDDY_TYPE_NAME_LIST(COUNT) + 1];
#undef COUNT
static pthread_once_t completion_once = PTHREAD_ONCE_INIT;

static void build_completion_words(void)
{
    static const char *const kws[] = {
#define X(name, cls) #name,
        EDDY_KEYWORD_LIST(X)
#undef X
    };
    static const char *const types[] = {
#define T(s, k) s,
        EDDY_TYPE_NAME_LIST(T)
#undef T
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        completion_words[n++] = kws[i];
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        bool dup = false;
        for (size_t j = 0; j < sizeof kws / sizeof kws[0]; j++)
            dup |= strcmp(types[i], kws[j]) == 0;
        if (!dup)
            completion_words[n++] = types[i];
    }
    completion_words[n] = NULL;
}

const char *const *parse_keywords(void)
{
    pthread_once(&completion_once, build_completion_words);
    return completion_words;
}
