/*
 * ast.h - the syntax tree the parser builds (parser/grammar.y).
 *
 * Every node carries the position of its first token, except that infix
 * and postfix operators (binary, LIKE, BETWEEN, IN, IS, a[i], a->f) carry
 * the operator's, where an error about them is best pointed.  All nodes,
 * lists and strings live in the statement arena given to the parser.  The tree
 * is syntax only: names are not resolved, types not checked.
 *
 * Identifiers: unquoted names arrive upper-cased, back-quoted names keep
 * their case (ksqlDB's rule); AstName.quoted tells which.  Lists are
 * PtrVec of node pointers.
 */
#ifndef EDDY_AST_H
#define EDDY_AST_H

#include "eddy/base.h"
#include "eddy/types.h"

/* ---- expressions ------------------------------------------------------ */

#define AST_EXPR_LIST(X) \
    X(EXPR_NULL)        /* NULL literal */                               \
    X(EXPR_BOOL)        /* TRUE / FALSE: u.b */                          \
    X(EXPR_INT)         /* integer literal: u.i (BIGINT if > INT range) */ \
    X(EXPR_DECIMAL)     /* 1.5: u.text (ksqlDB types it DECIMAL) */      \
    X(EXPR_DOUBLE)      /* 1.5E3: u.d */                                 \
    X(EXPR_STRING)      /* 'text': u.text (quotes removed, '' -> ') */   \
    X(EXPR_COLUMN)      /* [qualifier.]name: u.col */                    \
    X(EXPR_UNARY)       /* op a: u.unary (OP_NEG, OP_NOT, OP_PLUS) */    \
    X(EXPR_BINARY)      /* a op b: u.binary */                           \
    X(EXPR_LIKE)        /* a [NOT] LIKE pattern [ESCAPE e]: u.like */    \
    X(EXPR_BETWEEN)     /* a [NOT] BETWEEN lo AND hi: u.between */       \
    X(EXPR_IN)          /* a [NOT] IN (list): u.in */                    \
    X(EXPR_IS_NULL)     /* a IS [NOT] NULL: u.is_null */                 \
    X(EXPR_IS_DISTINCT) /* a IS [NOT] DISTINCT FROM b: u.binary + negated */ \
    X(EXPR_CASE)        /* CASE [operand] WHEN.. THEN.. [ELSE] END: u.case_ */ \
    X(EXPR_CAST)        /* CAST(a AS type): u.cast */                    \
    X(EXPR_DEREF)       /* a->field: u.deref (field NULL: a->*, a select item) */ \
    X(EXPR_SUBSCRIPT)   /* a[i] (array, 1-based) or m['k']: u.binary (a, i) */ \
    X(EXPR_FUNC)        /* name(args) / COUNT(*) / COUNT(DISTINCT x): u.func */ \
    X(EXPR_ARRAY)       /* ARRAY[a, b]: u.list */                        \
    X(EXPR_MAP)         /* MAP(k := v, ...): u.map */                    \
    X(EXPR_STRUCT)      /* STRUCT(name := v, ...): u.map (keys are EXPR_STRING names) */ \
    X(EXPR_LAMBDA)      /* (x, y) => body: u.lambda */                   \
    X(EXPR_INTERVAL)    /* INTERVAL n unit (reserved) / literal durations */ \
    X(EXPR_STAR)        /* * or qualifier.* inside a select list: u.col.qualifier */

typedef enum AstExprKind {
#define X(k) k,
    AST_EXPR_LIST(X)
#undef X
    EXPR__COUNT
} AstExprKind;

typedef enum AstOp {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_CONCAT /* || */,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_AND, OP_OR,
    OP_NEG, OP_NOT, OP_PLUS
} AstOp;

typedef struct AstName {
    const char *name;       /* upper-cased unless quoted */
    bool quoted;
    SrcPos pos;
} AstName;

typedef struct AstExpr AstExpr;

typedef struct AstWhen {
    AstExpr *when, *then;
} AstWhen;

struct AstExpr {
    AstExprKind kind;
    SrcPos pos;
    union {
        bool b;
        int64_t i;
        double d;
        const char *text;
        struct { const char *qualifier; const char *name; bool quoted; } col;
        struct { AstOp op; AstExpr *a; } unary;
        struct { AstOp op; AstExpr *a, *b; bool negated; } binary;
        struct { AstExpr *a, *pattern, *escape; bool negated; } like;
        struct { AstExpr *a, *lo, *hi; bool negated; } between;
        struct { AstExpr *a; PtrVec list; bool negated; } in;
        struct { AstExpr *a; bool negated; } is_null;
        struct { AstExpr *operand; PtrVec whens /* AstWhen* */; AstExpr *else_; } case_;
        struct { AstExpr *a; const SqlType *type; } cast;
        struct { AstExpr *a; const char *field; } deref;
        struct { const char *name; PtrVec args; bool star; bool distinct; } func;
        PtrVec list;
        struct { PtrVec keys, vals; } map;
        struct { PtrVec params /* const char* */; AstExpr *body; } lambda;
        struct { int64_t ms; } interval;
    } u;
};

/* ---- statements ------------------------------------------------------- */

typedef struct AstProperty {      /* WITH (name = value, ...) */
    const char *name;             /* upper-cased (property names are case-insensitive) */
    AstExpr *value;               /* EXPR_STRING, EXPR_INT, EXPR_BOOL, ... */
    SrcPos pos;
} AstProperty;

typedef enum AstColumnRole { COLROLE_VALUE, COLROLE_KEY, COLROLE_PRIMARY_KEY, COLROLE_HEADERS } AstColumnRole;

typedef struct AstColumnDef {
    AstName name;
    const SqlType *type;
    AstColumnRole role;
    const char *header_key;       /* HEADER('k') */
} AstColumnDef;

typedef struct AstSelectItem {
    AstExpr *expr;                /* EXPR_STAR for * or q.* */
    AstName alias;                /* alias.name NULL if none */
} AstSelectItem;

typedef struct AstRelation {
    AstName name;
    AstName alias;                /* alias.name NULL if none */
} AstRelation;

typedef enum AstJoinKind { JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL } AstJoinKind;

typedef struct AstJoin {
    AstJoinKind kind;
    AstRelation right;
    bool has_within;
    int64_t within_before_ms, within_after_ms;  /* WITHIN n -> both n */
    int64_t grace_ms;                           /* -1 = not given */
    AstExpr *on;
    SrcPos pos;
} AstJoin;

typedef enum AstWindowKind { WINDOW_NONE, WINDOW_TUMBLING, WINDOW_HOPPING, WINDOW_SESSION } AstWindowKind;

typedef struct AstWindow {
    AstWindowKind kind;
    int64_t size_ms;              /* TUMBLING/HOPPING SIZE; SESSION gap */
    int64_t advance_ms;           /* HOPPING ADVANCE BY */
    int64_t retention_ms;         /* -1 = not given */
    int64_t grace_ms;             /* -1 = not given */
    SrcPos pos;
} AstWindow;

typedef enum AstEmit { EMIT_NONE, EMIT_CHANGES, EMIT_FINAL } AstEmit;

typedef struct AstSelect {
    PtrVec items;                 /* AstSelectItem* */
    AstRelation from;
    PtrVec joins;                 /* AstJoin* */
    AstWindow window;             /* kind WINDOW_NONE if absent */
    AstExpr *where;
    PtrVec group_by;              /* AstExpr* */
    PtrVec partition_by;          /* AstExpr* */
    AstExpr *having;
    AstEmit emit;
    int64_t limit;                /* -1 = none */
    SrcPos pos;
} AstSelect;

#define AST_STMT_LIST(X) \
    X(STMT_CREATE_SOURCE)     /* CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] n (cols) WITH (...) */ \
    X(STMT_CREATE_AS)         /* CREATE [OR REPLACE] STREAM|TABLE n [WITH (...)] AS SELECT ... */ \
    X(STMT_INSERT_SELECT)     /* INSERT INTO n [WITH(...)] SELECT ... */ \
    X(STMT_INSERT_VALUES)     /* INSERT INTO n [(cols)] VALUES (exprs) */ \
    X(STMT_SELECT)            /* push or pull query */ \
    X(STMT_DROP)              /* DROP STREAM|TABLE|TYPE [IF EXISTS] n [DELETE TOPIC] */ \
    X(STMT_SHOW)              /* SHOW|LIST STREAMS|TABLES|QUERIES|TOPICS|PROPERTIES|FUNCTIONS|MODELS|SNAPSHOTS|TYPES [EXTENDED] */ \
    X(STMT_DESCRIBE)          /* DESCRIBE [EXTENDED] n | DESCRIBE FUNCTION f | DESCRIBE MODEL m | DESCRIBE STREAMS|TABLES */ \
    X(STMT_EXPLAIN)           /* EXPLAIN query_id | EXPLAIN <statement> */ \
    X(STMT_TERMINATE)         /* TERMINATE id | TERMINATE ALL */ \
    X(STMT_PRINT)             /* PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n] */ \
    X(STMT_SET)               /* SET 'name' = 'value' */ \
    X(STMT_UNSET)             /* UNSET 'name' */ \
    X(STMT_RUN_SCRIPT)        /* RUN SCRIPT 'path' */ \
    X(STMT_CREATE_MODEL)      /* CREATE [OR REPLACE] MODEL n FROM 'path' [WITH (FORMAT=...)] */ \
    X(STMT_DROP_MODEL)        /* DROP MODEL [IF EXISTS] n */ \
    X(STMT_REPLAY)            /* REPLAY QUERY id FROM OFFSET n | OFFSETS (p:o, ...) | TIMESTAMP 'iso' | BEGINNING | SNAPSHOT id [WITH EMPTY STATE] */ \
    X(STMT_CHECKPOINT)        /* CHECKPOINT [QUERY id] */ \
    X(STMT_CREATE_TYPE)       /* CREATE TYPE [IF NOT EXISTS] n AS type */ \
    X(STMT_CREATE_SNAPSHOT)   /* CREATE SNAPSHOT [name] [FOR QUERY id] */ \
    X(STMT_DROP_SNAPSHOT)     /* DROP SNAPSHOT [IF EXISTS] name */ \
    X(STMT_ALTER)             /* ALTER STREAM|TABLE n ADD [COLUMN] c type [, ADD [COLUMN] c type ...] */ \
    X(STMT_DEFINE)            /* DEFINE name = 'value' */ \
    X(STMT_UNDEFINE)          /* UNDEFINE name */

typedef enum AstStmtKind {
#define X(k) k,
    AST_STMT_LIST(X)
#undef X
    STMT__COUNT
} AstStmtKind;

typedef enum AstShowWhat {
    SHOW_STREAMS, SHOW_TABLES, SHOW_QUERIES, SHOW_TOPICS, SHOW_PROPERTIES,
    SHOW_FUNCTIONS, SHOW_MODELS, SHOW_SNAPSHOTS, SHOW_TYPES, SHOW_VARIABLES
} AstShowWhat;

typedef enum AstReplayFrom {
    REPLAY_OFFSET, REPLAY_TIMESTAMP, REPLAY_BEGINNING, REPLAY_SNAPSHOT, REPLAY_OFFSETS
} AstReplayFrom;

typedef struct AstOffset {        /* an entry of REPLAY ... FROM OFFSETS (...) */
    const char *topic;            /* topic:partition:offset; NULL = partition:offset */
    int64_t partition, offset;
    SrcPos pos;
} AstOffset;

typedef struct AstStmt {
    AstStmtKind kind;
    SrcPos pos;
    const char *text;             /* the statement's source text, from its first token to ';' inclusive */
    union {
        struct {                  /* STMT_CREATE_SOURCE, STMT_CREATE_AS */
            bool is_table, or_replace, if_not_exists, is_source /* CREATE SOURCE TABLE */;
            AstName name;
            PtrVec columns;       /* AstColumnDef* (CREATE_SOURCE) */
            PtrVec props;         /* AstProperty* */
            AstSelect *select;    /* CREATE_AS */
        } create;
        struct {                  /* STMT_INSERT_SELECT, STMT_INSERT_VALUES */
            AstName target;
            PtrVec props;         /* AstProperty* */
            AstSelect *select;
            PtrVec columns;       /* AstName* (VALUES; empty = all columns in order) */
            PtrVec values;        /* AstExpr* */
        } insert;
        AstSelect *select;        /* STMT_SELECT */
        struct {                  /* STMT_DROP, STMT_DROP_MODEL */
            bool is_table, is_type, if_exists, delete_topic;
            AstName name;
        } drop;
        struct { AstShowWhat what; bool extended; } show;
        struct {                  /* STMT_DESCRIBE */
            AstName name;         /* NULL name + is_list: DESCRIBE STREAMS/TABLES */
            bool extended, is_function, is_list_streams, is_list_tables;
            bool is_model;        /* DESCRIBE MODEL n */
        } describe;
        struct {                  /* STMT_EXPLAIN */
            const char *query_id; /* or NULL */
            struct AstStmt *stmt; /* or NULL */
        } explain;
        struct { const char *query_id; bool all; } terminate;
        struct { const char *topic; bool from_beginning; int64_t interval, limit; } print;  /* -1 = not given */
        struct { const char *name, *value; } set;  /* UNSET: value NULL */
        struct { const char *path; } run_script;
        struct { const char *name, *value; } define;   /* name as written; UNDEFINE: value NULL */
        struct { AstName name; const char *path; bool or_replace; PtrVec props /* AstProperty* */; } model;
        struct {
            const char *query_id;
            SrcPos query_pos;
            AstReplayFrom from;
            int64_t offset;       /* REPLAY_OFFSET */
            const char *text;     /* REPLAY_TIMESTAMP iso text, REPLAY_SNAPSHOT id */
            SrcPos text_pos;
            PtrVec offsets;       /* AstOffset* (REPLAY_OFFSETS) */
            bool empty_state;     /* WITH EMPTY STATE */
            PtrVec props;         /* WITH (...): AstProperty*, the engine's log lines only */
        } replay;
        struct {                  /* STMT_CREATE_SNAPSHOT, STMT_DROP_SNAPSHOT */
            const char *name;     /* NULL: CREATE SNAPSHOT without a name */
            SrcPos name_pos;
            const char *query_id; /* FOR QUERY id, or NULL */
            SrcPos query_pos;
            bool if_exists;
        } snapshot;
        struct { const char *query_id; } checkpoint;   /* NULL = all queries */
        struct { AstName name; const SqlType *type; bool if_not_exists; } create_type;
        struct { AstName name; bool is_table; PtrVec columns /* AstColumnDef*, value columns */; } alter;
    } u;
} AstStmt;

/* ---- the parser's entry point (parser/parser.c) ------------------------ */

/* Parses every statement of `text` (statements end with ';', the last ';'
 * optional).  On success returns 0 and fills *stmts with AstStmt*; on a
 * syntax error returns -1 with err->pos at the offending token and
 * err->msg like "syntax error at 'FORM', expected FROM".  Never crashes
 * on any input.  All output lives in `arena`. */
int parse_script(const char *text, Arena *arena, PtrVec *stmts, EddyError *err);

/* The type a custom type name (CREATE TYPE) stands for, or NULL. */
typedef const SqlType *(*ParseTypeLookup)(void *ud, const char *name);

/* parse_script, where a type name that is not built in is looked up: first
 * among the script's own CREATE TYPE / DROP TYPE statements before it,
 * then with lookup (may be NULL).  The type found is copied in. */
int parse_script_types(const char *text, Arena *arena, PtrVec *stmts, ParseTypeLookup lookup,
                       void *lookup_ud, EddyError *err);

/* The value of a variable (DEFINE; case-insensitive name), or NULL. */
typedef const char *(*ParseVarLookup)(void *ud, const char *name);

/* parse_script_types with variable substitution (ksqlDB's ${name}): a
 * variable is looked up among the script's own DEFINE / UNDEFINE before
 * it, then with var_lookup.  var_lookup NULL: substitution is off (`${`
 * is no token, strings keep it).  Statement texts (AstStmt.text) are the
 * substituted ones. */
int parse_script_vars(const char *text, Arena *arena, PtrVec *stmts, ParseTypeLookup lookup,
                      void *lookup_ud, ParseVarLookup var_lookup, void *var_ud, EddyError *err);

/* Splits text into statement texts without parsing (for the REPL: is the
 * input complete?).  Returns true if text ends a statement (a ';' outside
 * strings and comments, followed only by whitespace/comments). */
bool parse_is_complete(const char *text);

/* The keyword list (for REPL completion), NULL-terminated. */
const char *const *parse_keywords(void);

/* ---- printing (parser/ast_print.c) ---------------------------------------- */

/* Appends e as KSQL text that parses back to the same tree: every operator
 * parenthesised, names back-quoted where needed, doubles with an exponent
 * ("(A + (B * 1.5E0))").  The one expression printer: EXPLAIN, error
 * messages and generated names show it; NULL prints as NULL. */
void ast_format_expr(const AstExpr *e, StrBuf *out);
/* Tests and debugging: a statement as an S-expression of its clauses, its
 * expressions as ast_format_expr writes them:
 * "(SELECT (ITEMS (A + 1) (AS B X)) (FROM S) (WHERE (B > 0)))". */
void ast_dump_stmt(const AstStmt *s, StrBuf *out);
const char *ast_expr_kind_name(AstExprKind k);   /* "EXPR_INT", ... */
const char *ast_op_name(AstOp op);               /* "+", "AND", ... */

#endif
