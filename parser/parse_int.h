/*
 * parse_int.h - private to parser/: the state one parse_script() call
 * shares between the lexer (lexer.l), the grammar (grammar.y) and the
 * node constructors the grammar actions call (ast.c).
 *
 * Invariants: every node, list and string is allocated in ps->arena;
 * nothing here is malloc'ed except flex's own buffers, which parser.c
 * frees on every path.  Errors are recorded once (the first one wins,
 * which is also the leftmost: constructors record theirs when a rule is
 * reduced, before any later token is read).
 */
#ifndef EDDY_PARSER_PARSE_INT_H
#define EDDY_PARSER_PARSE_INT_H

#include "eddy/ast.h"

/* Bison location: 1-based line/column of the first byte and of the byte
 * after the last, plus byte offsets [start, end) into the script so a
 * statement can keep its own source text. */
typedef struct EddyLoc {
    int first_line, first_column;
    int last_line, last_column;
    int start, end;
} EddyLoc;

/* Deepest expression (or type) tree the parser builds.  Later passes
 * (analysis, evaluation, formatting) recurse over the tree, so a bound
 * here is a bound on their stack use too. */
#define AST_MAX_DEPTH 1000

typedef struct ParseState {
    Arena *arena;               /* everything built lives here */
    const char *src;            /* the whole script */
    PtrVec *stmts;              /* output: AstStmt* */
    EddyError *err;             /* first error, if failed */
    bool failed;

    /* scanner position: where the next token starts */
    int line, col, off;
    EddyLoc last_tok;           /* the last token returned (EOF errors point after it) */
    EddyLoc comment_start;      /* an unterminated comment is reported here */

    /* custom type names (parse_script_types): the script's own CREATE TYPE
     * (DROP TYPE: a NULL type) in order, then the caller's lookup */
    PtrVec type_names, type_defs;
    ParseTypeLookup type_lookup;
    void *type_lookup_ud;

    /* variables (parse_script_vars): the script's own DEFINE (UNDEFINE: a
     * NULL value) in order, then the caller's lookup; NULL = off.  subs:
     * VarSub*, in source order, so ps_text gives substituted text. */
    PtrVec var_names, var_values;
    ParseVarLookup var_lookup;
    void *var_lookup_ud;
    PtrVec subs;
} ParseState;

/* Source [start, end) stands for text once variables are substituted. */
typedef struct VarSub {
    int start, end;
    const char *text;
} VarSub;

/* A DEFINE (value) or UNDEFINE (NULL) for the statements after it. */
void ps_note_var(ParseState *ps, const char *name, const char *value);
/* The variable's value for the text being parsed, or NULL. */
const char *ps_var(ParseState *ps, const char *name);

/* A type while it is being parsed: the grammar tracks its depth. */
typedef struct TypeVal {
    const SqlType *t;
    int depth;
} TypeVal;

static inline SrcPos loc_pos(EddyLoc l)
{
    return (SrcPos){l.first_line, l.first_column};
}

/* Records the first error; later calls are ignored. */
void ps_error(ParseState *ps, SrcPos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Source text [l.start, l.end) copied into the arena, with the
 * variables substituted in it. */
const char *ps_text(ParseState *ps, EddyLoc l);

/* ---- node constructors used by grammar actions (ast.c) --------------- */

AstName ast_name(ParseState *ps, const char *name, bool quoted, EddyLoc l);

AstExpr *ast_null(ParseState *ps, EddyLoc l);
AstExpr *ast_bool(ParseState *ps, bool b, EddyLoc l);
AstExpr *ast_int(ParseState *ps, const char *text, EddyLoc l);      /* too big -> DECIMAL */
AstExpr *ast_decimal(ParseState *ps, const char *text, EddyLoc l);
AstExpr *ast_double(ParseState *ps, const char *text, EddyLoc l);
AstExpr *ast_string(ParseState *ps, const char *text, EddyLoc l);
AstExpr *ast_column(ParseState *ps, const AstName *qualifier, AstName name);
AstExpr *ast_star(ParseState *ps, const AstName *qualifier, EddyLoc l);
AstExpr *ast_deref_all(ParseState *ps, AstExpr *a, EddyLoc l);
AstExpr *ast_unary(ParseState *ps, AstOp op, AstExpr *a, EddyLoc l);  /* folds -<number> */
AstExpr *ast_binary(ParseState *ps, AstOp op, AstExpr *a, AstExpr *b, EddyLoc l);
AstExpr *ast_like(ParseState *ps, AstExpr *a, AstExpr *pattern, AstExpr *escape, bool negated, EddyLoc l);
AstExpr *ast_between(ParseState *ps, AstExpr *a, AstExpr *lo, AstExpr *hi, bool negated, EddyLoc l);
AstExpr *ast_in(ParseState *ps, AstExpr *a, PtrVec list, bool negated, EddyLoc l);
AstExpr *ast_is_null(ParseState *ps, AstExpr *a, bool negated, EddyLoc l);
AstExpr *ast_is_distinct(ParseState *ps, AstExpr *a, AstExpr *b, bool negated, EddyLoc l);
AstWhen *ast_when(ParseState *ps, AstExpr *when, AstExpr *then);
AstExpr *ast_case(ParseState *ps, AstExpr *operand, PtrVec whens, AstExpr *else_, EddyLoc l);
AstExpr *ast_cast(ParseState *ps, AstExpr *a, TypeVal type, EddyLoc l);
AstExpr *ast_deref(ParseState *ps, AstExpr *a, AstName field, EddyLoc l);
AstExpr *ast_subscript(ParseState *ps, AstExpr *a, AstExpr *index, EddyLoc l);
AstExpr *ast_func(ParseState *ps, AstName name, PtrVec args, bool star, bool distinct);
AstExpr *ast_array(ParseState *ps, PtrVec elems, EddyLoc l);
AstExpr *ast_map(ParseState *ps, PtrVec keys, PtrVec vals, EddyLoc l);
AstExpr *ast_struct(ParseState *ps, PtrVec names /* AstName* */, PtrVec vals, EddyLoc l);
AstExpr *ast_lambda(ParseState *ps, PtrVec params /* AstName* */, AstExpr *body, EddyLoc l);

/* Types.  Unknown names and bad parameters are recorded as errors. */
TypeVal ast_type_named(ParseState *ps, AstName name, PtrVec params /* const char* digits */, EddyLoc l);
TypeVal ast_type_array(ParseState *ps, TypeVal elem, EddyLoc l);
TypeVal ast_type_map(ParseState *ps, TypeVal key, TypeVal val, EddyLoc l);
TypeVal ast_type_struct(ParseState *ps, PtrVec names /* AstName* */, PtrVec types /* TypeVal* */, EddyLoc l);
TypeVal *ast_type_box(ParseState *ps, TypeVal t);

/* Numbers in clauses (LIMIT, durations, offsets). */
int64_t ast_uint(ParseState *ps, const char *digits, EddyLoc l);
int64_t ast_duration(ParseState *ps, int64_t n, int64_t unit_ms, EddyLoc l);
/* "-n" where only a count or a duration fits: records a positioned error
 * naming what (e.g. "LIMIT") and returns 0. */
int64_t ast_negative(ParseState *ps, const char *what, EddyLoc l);

AstSelectItem *ast_select_item(ParseState *ps, AstExpr *e, AstName alias);
AstRelation ast_relation(AstName name, AstName alias);
AstJoin *ast_join(ParseState *ps, AstJoinKind kind, AstRelation right, EddyLoc l);
AstProperty *ast_property(ParseState *ps, const char *name, AstExpr *value, EddyLoc l);
AstColumnDef *ast_column_def(ParseState *ps, AstName name, TypeVal type, AstColumnRole role, const char *header_key);
/* A CREATE TYPE (type) or DROP TYPE (NULL) for the statements after it. */
void ast_note_type(ParseState *ps, AstName name, const SqlType *type);
AstColumnDef *ast_alter_column(ParseState *ps, AstName word, AstName name, TypeVal type);
AstSelect *ast_select(ParseState *ps, EddyLoc l);
AstStmt *ast_stmt(ParseState *ps, AstStmtKind kind, EddyLoc l);
/* REPLAY QUERY id FROM <from> [<tail>]: from (a REPLAY node holding the
 * origin) gets the query id and the tail's WITH EMPTY STATE / WITH (...). */
AstStmt *ast_replay(ParseState *ps, AstStmt *from, AstName id, const AstStmt *tail, EddyLoc l);
AstOffset *ast_offset(ParseState *ps, const char *topic, int64_t partition, int64_t offset, EddyLoc l);
/* CREATE/DROP SNAPSHOT: name may be NULL (name_l unused then); query NULL = no FOR QUERY. */
AstStmt *ast_snapshot(ParseState *ps, AstStmtKind kind, const char *name, EddyLoc name_l,
                      const AstName *query, EddyLoc l);
void *ast_box(ParseState *ps, const void *v, size_t n);   /* arena copy of *v */

/* Appends a finished statement to ps->stmts with its text [first, last]. */
void ast_stmt_finish(ParseState *ps, AstStmt *s, EddyLoc first, EddyLoc last);

#endif
