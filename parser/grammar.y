/*
 * grammar.y - the KSQL dialect's grammar (bison, pure, LALR(1), %expect 0).
 *
 * In:  tokens from lexer.l.  Out: AstStmt* appended to ps->stmts, each
 * with its source text and position (include/eddy/ast.h).
 *
 * Actions only build nodes (constructors in ast.c); names are not resolved
 * and types not checked here.  Layout follows ksqlDB's SqlBase.g4 where it
 * can; where LALR(1) needs it, the rule is split instead of looking ahead
 * (see "identifiers" below and the lambda '(' in lexer.l).
 *
 * Expression precedence, loosest first: OR, AND, NOT, comparison / IS /
 * LIKE / BETWEEN / IN (not associative), ||, + -, * / %, unary + -,
 * postfix ([i], ->), primary.
 *
 * Errors: yyreport_syntax_error (below) writes "syntax error at 'X',
 * expected Y"; LAC makes the expected list exact.
 */

%require "3.8"
%define api.pure full
%define api.prefix {eddy_yy}
%define api.location.type {EddyLoc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0

/* ARRAY, MAP and STRUCT also name columns and sources (ksqlDB's nonReserved
 * list); followed by '[' or '(' in an expression they are the constructors
 * ARRAY[...], MAP(...), STRUCT(...), not a subscript or function call: the
 * word's reduction to a name ranks below shifting those two tokens. */
%precedence CONSTRUCTOR_WORD
%precedence '(' '['

%parse-param {ParseState *ps} {yyscan_t scanner}
%lex-param {yyscan_t scanner}

%code requires {
#include "parse_int.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
}

%code {
#include <string.h>
#include "keywords.h"

int eddy_yylex(EDDY_YYSTYPE *lval, EDDY_YYLTYPE *lloc, yyscan_t scanner);
static void eddy_yyerror(EDDY_YYLTYPE *loc, ParseState *ps, yyscan_t scanner, const char *msg);

/* A location spans its first to its last symbol; an empty rule sits at
 * the end of the symbol before it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                    \
    do {                                                               \
        if (N) {                                                       \
            (Cur).first_line = YYRHSLOC(Rhs, 1).first_line;            \
            (Cur).first_column = YYRHSLOC(Rhs, 1).first_column;        \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                      \
            (Cur).last_line = YYRHSLOC(Rhs, N).last_line;              \
            (Cur).last_column = YYRHSLOC(Rhs, N).last_column;          \
            (Cur).end = YYRHSLOC(Rhs, N).end;                          \
        } else {                                                       \
            (Cur).first_line = (Cur).last_line = YYRHSLOC(Rhs, 0).last_line; \
            (Cur).first_column = (Cur).last_column = YYRHSLOC(Rhs, 0).last_column; \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;            \
        }                                                              \
    } while (0)

static const PtrVec no_list;
static const AstName no_name;

/* Appends to a list held by value in a semantic value. */
#define PUSH(list, item) ptrvec_push(ps->arena, &(list), (item))
}

%union {
    const char *str;
    int64_t num;
    bool flag;
    int kind;
    AstName name;
    AstExpr *expr;
    PtrVec list;
    AstStmt *stmt;
    AstSelect *select;
    AstSelectItem *item;
    AstRelation rel;
    AstJoin *join;
    AstWindow window;
    AstProperty *prop;
    AstColumnDef *coldef;
    TypeVal type;
    struct { PtrVec keys, vals; } pairs;        /* MAP(k := v), STRUCT(f := v), STRUCT<f T> */
    struct { AstRelation rel; PtrVec joins; } from;
    struct { bool has; int64_t before, after; } within;
    struct { int64_t retention, grace; } wtail;
    struct { AstName name; bool flag; } target; /* [IF EXISTS] name, name [EXTENDED] */
    AstOffset *offset;                          /* REPLAY ... FROM OFFSETS entry */
}

%token TK_EOF 0 "end of input"
%token <str> TK_IDENT "identifier" TK_QIDENT "quoted identifier"
%token <str> TK_STRING "string" TK_INTEGER "integer" TK_DECIMAL "decimal" TK_DOUBLE "double"
%token TK_NE "'<>'" TK_LE "'<='" TK_GE "'>='" TK_CONCAT "'||'" TK_ASSIGN "':='"
%token TK_ARROW "'->'" TK_LAMBDA "'=>'" TK_LAMBDA_LPAREN "'(' of a lambda"

/* The keywords: exactly the entries of keywords.h (the lexer's table
 * refers to each TK_ name, so a missing one does not compile). */
%token <str> TK_ADD "ADD" TK_ALTER "ALTER"
%token <str> TK_ADVANCE "ADVANCE" TK_ALL "ALL" TK_AND "AND" TK_ARRAY "ARRAY" TK_AS "AS"
%token <str> TK_BEGINNING "BEGINNING" TK_BETWEEN "BETWEEN" TK_BY "BY" TK_CASE "CASE" TK_CAST "CAST"
%token <str> TK_CHANGES "CHANGES" TK_CHECKPOINT "CHECKPOINT" TK_CREATE "CREATE" TK_DAY "DAY" TK_DAYS "DAYS" TK_DEFINE "DEFINE"
%token <str> TK_DELETE "DELETE" TK_DESCRIBE "DESCRIBE" TK_DISTINCT "DISTINCT" TK_DROP "DROP" TK_ELSE "ELSE"
%token <str> TK_EMIT "EMIT" TK_EMPTY "EMPTY" TK_END "END" TK_ESCAPE "ESCAPE" TK_EXISTS "EXISTS" TK_EXPLAIN "EXPLAIN"
%token <str> TK_EXTENDED "EXTENDED" TK_FALSE "FALSE" TK_FINAL "FINAL" TK_FOR "FOR" TK_FROM "FROM" TK_FULL "FULL"
%token <str> TK_FUNCTION "FUNCTION" TK_FUNCTIONS "FUNCTIONS" TK_GRACE "GRACE" TK_GROUP "GROUP" TK_HAVING "HAVING"
%token <str> TK_HEADER "HEADER" TK_HEADERS "HEADERS" TK_HOPPING "HOPPING" TK_HOUR "HOUR" TK_HOURS "HOURS"
%token <str> TK_IF "IF" TK_IN "IN" TK_INNER "INNER" TK_INSERT "INSERT" TK_INTERVAL "INTERVAL"
%token <str> TK_INTO "INTO" TK_IS "IS" TK_JOIN "JOIN" TK_KEY "KEY" TK_LEFT "LEFT"
%token <str> TK_LIKE "LIKE" TK_LIMIT "LIMIT" TK_LIST "LIST" TK_MAP "MAP" TK_MILLISECOND "MILLISECOND"
%token <str> TK_MILLISECONDS "MILLISECONDS" TK_MINUTE "MINUTE" TK_MINUTES "MINUTES" TK_MODEL "MODEL" TK_MODELS "MODELS"
%token <str> TK_NOT "NOT" TK_NULL "NULL" TK_OFFSET "OFFSET" TK_OFFSETS "OFFSETS" TK_ON "ON" TK_OR "OR"
%token <str> TK_OUTER "OUTER" TK_PARTITION "PARTITION" TK_PERIOD "PERIOD" TK_PRIMARY "PRIMARY" TK_PRINT "PRINT"
%token <str> TK_PROPERTIES "PROPERTIES" TK_QUERIES "QUERIES" TK_QUERY "QUERY" TK_REPLACE "REPLACE" TK_REPLAY "REPLAY"
%token <str> TK_RETENTION "RETENTION" TK_RIGHT "RIGHT" TK_RUN "RUN" TK_SAMPLE "SAMPLE" TK_SCRIPT "SCRIPT"
%token <str> TK_SECOND "SECOND" TK_SECONDS "SECONDS" TK_SELECT "SELECT" TK_SESSION "SESSION" TK_SET "SET"
%token <str> TK_SHOW "SHOW" TK_SIZE "SIZE" TK_SNAPSHOT "SNAPSHOT" TK_SNAPSHOTS "SNAPSHOTS" TK_SOURCE "SOURCE" TK_STATE "STATE"
%token <str> TK_STREAM "STREAM" TK_STREAMS "STREAMS" TK_STRUCT "STRUCT" TK_TABLE "TABLE" TK_TABLES "TABLES"
%token <str> TK_TERMINATE "TERMINATE" TK_THEN "THEN" TK_TIMESTAMP "TIMESTAMP" TK_TOPIC "TOPIC" TK_TOPICS "TOPICS"
%token <str> TK_TRUE "TRUE" TK_TUMBLING "TUMBLING" TK_TYPE "TYPE" TK_TYPES "TYPES" TK_UNDEFINE "UNDEFINE" TK_UNSET "UNSET"
%token <str> TK_VALUES "VALUES" TK_VARIABLES "VARIABLES" TK_WHEN "WHEN" TK_WHERE "WHERE" TK_WINDOW "WINDOW"
%token <str> TK_WITH "WITH" TK_WITHIN "WITHIN"

%type <stmt> statement query_stmt create_stmt insert_stmt drop_stmt show_stmt describe_stmt
%type <stmt> explain_stmt terminate_stmt print_stmt set_stmt run_stmt replay_stmt checkpoint_stmt
%type <stmt> replay_from replay_tail snapshot_stmt alter_stmt var_stmt
%type <str> var_name
%type <list> alter_list
%type <list> offset_list
%type <offset> offset_entry
%type <stmt> source_head plain_head
%type <select> query
%type <list> select_list expr_list opt_expr_list group_list partition_list by_list table_elems props opt_with
%type <list> name_list lambda_params func_args when_list type_params
%type <item> select_item
%type <from> from_clause
%type <rel> relation
%type <join> join
%type <kind> join_type show_what comp_op
%type <within> opt_within
%type <num> opt_grace duration time_unit uint opt_limit opt_interval
%type <window> opt_window window_spec
%type <wtail> window_tail
%type <expr> expr or_expr and_expr not_expr predicate value_expr concat_expr add_expr
%type <expr> mul_expr unary_expr postfix_expr primary literal func_call func_arg lambda
%type <expr> opt_where opt_having opt_else case_expr prop_value number opt_escape
%type <pairs> map_entries struct_entries struct_fields
%type <type> type
%type <prop> prop
%type <coldef> table_elem
%type <kind> opt_role opt_emit
%type <str> header_key opt_query_id query_id snapshot_id print_topic prop_name
%type <str> unreserved_keyword noalias_keyword show_or_list constructor_keyword
%type <name> identifier plain_identifier name_identifier describe_name alias
%type <target> drop_target describe_target
%type <flag> opt_or_replace opt_extended opt_delete_topic opt_from_beginning stream_or_table

%%

/* ---- script: statements end with ';', the last one optionally -------- */

script
    : stmt_list
    | stmt_list statement               { ast_stmt_finish(ps, $2, @2, @2); }
    ;

stmt_list
    : %empty
    | stmt_list ';'
    | stmt_list statement ';'           { ast_stmt_finish(ps, $2, @2, @3); }
    ;

statement
    : query_stmt | create_stmt | insert_stmt | drop_stmt | show_stmt
    | describe_stmt | explain_stmt | terminate_stmt | print_stmt | set_stmt
    | run_stmt | replay_stmt | checkpoint_stmt | snapshot_stmt | alter_stmt | var_stmt
    ;

/* ALTER STREAM|TABLE n ADD [COLUMN] c type, ...: COLUMN is no keyword (a
 * column may be called COLUMN), so "ADD name name type" checks the word. */
alter_stmt
    : TK_ALTER stream_or_table identifier alter_list
        {
            $$ = ast_stmt(ps, STMT_ALTER, @1);
            $$->u.alter.is_table = $2;
            $$->u.alter.name = $3;
            $$->u.alter.columns = $4;
        }
    ;

alter_list
    : TK_ADD identifier type            { $$ = no_list; PUSH($$, ast_column_def(ps, $2, $3, COLROLE_VALUE, NULL)); }
    | TK_ADD identifier identifier type { $$ = no_list; PUSH($$, ast_alter_column(ps, $2, $3, $4)); }
    | alter_list ',' TK_ADD identifier type
                                        { $$ = $1; PUSH($$, ast_column_def(ps, $4, $5, COLROLE_VALUE, NULL)); }
    | alter_list ',' TK_ADD identifier identifier type
                                        { $$ = $1; PUSH($$, ast_alter_column(ps, $4, $5, $6)); }
    ;

/* ---- identifiers --------------------------------------------------------
 * Most keywords may also name things (a column called KEY, TIMESTAMP,
 * SIZE...).  Three classes keep LALR(1) free of conflicts:
 *   identifier       anywhere a name goes;
 *   plain_identifier not the noalias keywords (WINDOW, EMIT, ...), which
 *                    would be read as a clause when used as a bare alias;
 *   name_identifier  nor EXTENDED, STREAMS, TABLES (DESCRIBE's words). */

identifier
    : plain_identifier
    | noalias_keyword                   { $$ = ast_name(ps, $1, false, @1); }
    ;

plain_identifier
    : name_identifier
    | TK_EXTENDED                       { $$ = ast_name(ps, $1, false, @1); }
    | TK_STREAMS                        { $$ = ast_name(ps, $1, false, @1); }
    | TK_TABLES                         { $$ = ast_name(ps, $1, false, @1); }
    ;

name_identifier
    : TK_IDENT                          { $$ = ast_name(ps, $1, false, @1); }
    | TK_QIDENT                         { $$ = ast_name(ps, $1, true, @1); }
    | unreserved_keyword                { $$ = ast_name(ps, $1, false, @1); }
    | constructor_keyword               { $$ = ast_name(ps, $1, false, @1); }
    ;

constructor_keyword
    : TK_ARRAY %prec CONSTRUCTOR_WORD | TK_MAP %prec CONSTRUCTOR_WORD | TK_STRUCT %prec CONSTRUCTOR_WORD
    ;

unreserved_keyword
    : TK_ADD | TK_ALTER | TK_ADVANCE | TK_BEGINNING | TK_CHANGES | TK_CHECKPOINT | TK_DAY | TK_DAYS
    | TK_DEFINE | TK_DELETE | TK_DESCRIBE | TK_EMPTY | TK_EXPLAIN | TK_FINAL | TK_FOR | TK_FUNCTION | TK_FUNCTIONS
    | TK_HEADER | TK_HEADERS | TK_HOPPING | TK_HOUR | TK_HOURS | TK_IF | TK_INTERVAL
    | TK_KEY | TK_LIST | TK_MILLISECOND | TK_MILLISECONDS | TK_MINUTE | TK_MINUTES
    | TK_MODEL | TK_MODELS | TK_OFFSET | TK_OFFSETS | TK_PERIOD | TK_PRIMARY | TK_PRINT
    | TK_PROPERTIES | TK_QUERIES | TK_QUERY | TK_REPLACE | TK_REPLAY | TK_RETENTION
    | TK_RUN | TK_SAMPLE | TK_SCRIPT | TK_SECOND | TK_SECONDS | TK_SESSION | TK_SET
    | TK_SHOW | TK_SIZE | TK_SNAPSHOT | TK_SNAPSHOTS | TK_SOURCE | TK_STATE | TK_STREAM | TK_TABLE
    | TK_TERMINATE | TK_TIMESTAMP | TK_TOPIC | TK_TOPICS | TK_TUMBLING | TK_TYPE
    | TK_TYPES | TK_UNDEFINE | TK_UNSET | TK_VARIABLES
    ;

noalias_keyword
    : TK_EMIT | TK_ESCAPE | TK_GRACE | TK_PARTITION | TK_WINDOW
    ;

alias
    : TK_AS identifier                  { $$ = $2; }
    | plain_identifier
    ;

name_list
    : identifier                        { $$ = no_list; PUSH($$, ast_box(ps, &$1, sizeof $1)); }
    | name_list ',' identifier          { $$ = $1; PUSH($$, ast_box(ps, &$3, sizeof $3)); }
    ;

/* ---- SELECT ------------------------------------------------------------ */

query_stmt
    : query                             { $$ = ast_stmt(ps, STMT_SELECT, @1); $$->u.select = $1; }
    ;

query
    : TK_SELECT select_list TK_FROM from_clause opt_window opt_where
      group_list[group] partition_list[part] opt_having opt_emit opt_limit
        {
            $$ = ast_select(ps, @1);
            $$->items = $2;
            $$->from = $4.rel;
            $$->joins = $4.joins;
            $$->window = $5;
            $$->where = $6;
            $$->group_by = $group;
            $$->partition_by = $part;
            $$->having = $9;
            $$->emit = (AstEmit)$10;
            $$->limit = $11;
        }
    ;

select_list
    : select_item                       { $$ = no_list; PUSH($$, $1); }
    | select_list ',' select_item       { $$ = $1; PUSH($$, $3); }
    ;

select_item
    : expr                              { $$ = ast_select_item(ps, $1, no_name); }
    | expr alias                        { $$ = ast_select_item(ps, $1, $2); }
    | '*'                               { $$ = ast_select_item(ps, ast_star(ps, NULL, @1), no_name); }
    | identifier '.' '*'                { $$ = ast_select_item(ps, ast_star(ps, &$1, @1), no_name); }
    | postfix_expr TK_ARROW '*'         { $$ = ast_select_item(ps, ast_deref_all(ps, $1, @2), no_name); }
    ;

from_clause
    : relation                          { $$.rel = $1; $$.joins = no_list; }
    | from_clause join                  { $$ = $1; PUSH($$.joins, $2); }
    ;

relation
    : identifier                        { $$ = ast_relation($1, no_name); }
    | identifier alias                  { $$ = ast_relation($1, $2); }
    ;

join
    : join_type TK_JOIN relation opt_within opt_grace TK_ON expr
        {
            $$ = ast_join(ps, (AstJoinKind)$1, $3, @2);
            $$->has_within = $4.has;
            $$->within_before_ms = $4.before;
            $$->within_after_ms = $4.after;
            $$->grace_ms = $5;
            $$->on = $7;
        }
    ;

join_type
    : %empty                            { $$ = JOIN_INNER; }
    | TK_INNER                          { $$ = JOIN_INNER; }
    | TK_LEFT                           { $$ = JOIN_LEFT; }
    | TK_LEFT TK_OUTER                  { $$ = JOIN_LEFT; }
    | TK_RIGHT                          { $$ = JOIN_RIGHT; }
    | TK_RIGHT TK_OUTER                 { $$ = JOIN_RIGHT; }
    | TK_FULL                           { $$ = JOIN_FULL; }
    | TK_FULL TK_OUTER                  { $$ = JOIN_FULL; }
    ;

opt_within
    : %empty                            { $$.has = false; $$.before = $$.after = 0; }
    | TK_WITHIN duration                { $$.has = true; $$.before = $$.after = $2; }
    | TK_WITHIN '(' duration ',' duration ')'
                                        { $$.has = true; $$.before = $3; $$.after = $5; }
    ;

opt_grace
    : %empty                            { $$ = -1; }
    | TK_GRACE TK_PERIOD duration       { $$ = $3; }
    ;

opt_window
    : %empty
        { memset(&$$, 0, sizeof $$); $$.kind = WINDOW_NONE; $$.retention_ms = $$.grace_ms = -1; }
    | TK_WINDOW opt_window_name window_spec
        { $$ = $3; $$.pos = loc_pos(@1); }
    ;

/* ksqlDB's grammar allows a plain identifier between WINDOW and the window
 * kind (WINDOW w SESSION (...)) and does nothing with it; so does eddy. */
opt_window_name
    : %empty
    | TK_IDENT                          { (void)$1; }
    ;

window_spec
    : TK_TUMBLING '(' TK_SIZE duration window_tail
        {
            memset(&$$, 0, sizeof $$);
            $$.kind = WINDOW_TUMBLING; $$.size_ms = $4;
            $$.retention_ms = $5.retention; $$.grace_ms = $5.grace;
        }
    | TK_HOPPING '(' TK_SIZE duration ',' TK_ADVANCE TK_BY duration window_tail
        {
            memset(&$$, 0, sizeof $$);
            $$.kind = WINDOW_HOPPING; $$.size_ms = $4; $$.advance_ms = $8;
            $$.retention_ms = $9.retention; $$.grace_ms = $9.grace;
        }
    | TK_SESSION '(' duration window_tail
        {
            memset(&$$, 0, sizeof $$);
            $$.kind = WINDOW_SESSION; $$.size_ms = $3;
            $$.retention_ms = $4.retention; $$.grace_ms = $4.grace;
        }
    ;

/* ksqlDB's order: RETENTION before GRACE PERIOD, each optional. */
window_tail
    : ')'                               { $$.retention = -1; $$.grace = -1; }
    | ',' TK_RETENTION duration ')'     { $$.retention = $3; $$.grace = -1; }
    | ',' TK_GRACE TK_PERIOD duration ')'
                                        { $$.retention = -1; $$.grace = $4; }
    | ',' TK_RETENTION duration ',' TK_GRACE TK_PERIOD duration ')'
                                        { $$.retention = $3; $$.grace = $7; }
    ;

duration
    : uint time_unit                    { $$ = ast_duration(ps, $1, $2, @1); }
    | '-' uint time_unit                { $$ = ast_negative(ps, "a duration", @1); }
    ;

time_unit
    : TK_MILLISECOND { $$ = 1; }        | TK_MILLISECONDS { $$ = 1; }
    | TK_SECOND { $$ = 1000; }          | TK_SECONDS { $$ = 1000; }
    | TK_MINUTE { $$ = 60000; }         | TK_MINUTES { $$ = 60000; }
    | TK_HOUR { $$ = 3600000; }         | TK_HOURS { $$ = 3600000; }
    | TK_DAY { $$ = 86400000; }         | TK_DAYS { $$ = 86400000; }
    ;

uint
    : TK_INTEGER                        { $$ = ast_uint(ps, $1, @1); }
    ;

opt_where
    : %empty                            { $$ = NULL; }
    | TK_WHERE expr                     { $$ = $2; }
    ;

/* GROUP BY a, b  or  GROUP BY (a, b)  or  GROUP BY ().  "(a)" alone is
 * just a parenthesised expression. */
group_list
    : %empty                            { $$ = no_list; }
    | TK_GROUP TK_BY by_list            { $$ = $3; }
    ;

partition_list
    : %empty                            { $$ = no_list; }
    | TK_PARTITION TK_BY by_list        { $$ = $3; }
    ;

by_list
    : expr_list
    | '(' ')'                           { $$ = no_list; }
    | '(' expr ',' expr_list ')'        { $$ = no_list; PUSH($$, $2);
                                          for (int i = 0; i < $4.n; i++) PUSH($$, $4.items[i]); }
    ;

opt_having
    : %empty                            { $$ = NULL; }
    | TK_HAVING expr                    { $$ = $2; }
    ;

opt_emit
    : %empty                            { $$ = EMIT_NONE; }
    | TK_EMIT TK_CHANGES                { $$ = EMIT_CHANGES; }
    | TK_EMIT TK_FINAL                  { $$ = EMIT_FINAL; }
    ;

opt_limit
    : %empty                            { $$ = -1; }
    | TK_LIMIT uint                     { $$ = $2; }
    | TK_LIMIT '-' uint                 { $$ = ast_negative(ps, "LIMIT", @2); }
    ;

/* ---- CREATE ------------------------------------------------------------ */

create_stmt
    : plain_head '(' table_elems ')' opt_with
        { $$ = $1; $$->kind = STMT_CREATE_SOURCE; $$->u.create.columns = $3; $$->u.create.props = $5; }
    | plain_head opt_with
        { $$ = $1; $$->kind = STMT_CREATE_SOURCE; $$->u.create.props = $2; }
    | plain_head opt_with TK_AS query
        { $$ = $1; $$->kind = STMT_CREATE_AS; $$->u.create.props = $2; $$->u.create.select = $4; }
    | source_head '(' table_elems ')' opt_with
        { $$ = $1; $$->kind = STMT_CREATE_SOURCE; $$->u.create.columns = $3; $$->u.create.props = $5; }
    | source_head opt_with
        { $$ = $1; $$->kind = STMT_CREATE_SOURCE; $$->u.create.props = $2; }
    | TK_CREATE opt_or_replace TK_MODEL identifier TK_FROM TK_STRING opt_with
        {
            $$ = ast_stmt(ps, STMT_CREATE_MODEL, @1);
            $$->u.model.or_replace = $2; $$->u.model.name = $4; $$->u.model.path = $6;
            $$->u.model.props = $7;
        }
    | TK_CREATE TK_TYPE identifier TK_AS type
        {
            $$ = ast_stmt(ps, STMT_CREATE_TYPE, @1); $$->u.create_type.name = $3; $$->u.create_type.type = $5.t;
            ast_note_type(ps, $3, $5.t);
        }
    | TK_CREATE TK_TYPE TK_IF TK_NOT TK_EXISTS identifier TK_AS type
        {
            $$ = ast_stmt(ps, STMT_CREATE_TYPE, @1);
            $$->u.create_type.name = $6; $$->u.create_type.type = $8.t;
            $$->u.create_type.if_not_exists = true;
            ast_note_type(ps, $6, $8.t);
        }
    ;

/* CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name.  IF NOT
 * EXISTS is spelled out (not an optional rule) so a source may be called IF. */
plain_head
    : TK_CREATE opt_or_replace stream_or_table identifier
        { $$ = ast_stmt(ps, STMT_CREATE_SOURCE, @1); $$->u.create.or_replace = $2;
          $$->u.create.is_table = $3; $$->u.create.name = $4; }
    | TK_CREATE opt_or_replace stream_or_table TK_IF TK_NOT TK_EXISTS identifier
        { $$ = ast_stmt(ps, STMT_CREATE_SOURCE, @1); $$->u.create.or_replace = $2;
          $$->u.create.is_table = $3; $$->u.create.name = $7; $$->u.create.if_not_exists = true; }
    ;

source_head
    : TK_CREATE opt_or_replace TK_SOURCE stream_or_table identifier
        { $$ = ast_stmt(ps, STMT_CREATE_SOURCE, @1); $$->u.create.or_replace = $2;
          $$->u.create.is_table = $4; $$->u.create.name = $5; $$->u.create.is_source = true; }
    | TK_CREATE opt_or_replace TK_SOURCE stream_or_table TK_IF TK_NOT TK_EXISTS identifier
        { $$ = ast_stmt(ps, STMT_CREATE_SOURCE, @1); $$->u.create.or_replace = $2;
          $$->u.create.is_table = $4; $$->u.create.name = $8; $$->u.create.is_source = true;
          $$->u.create.if_not_exists = true; }
    ;

stream_or_table
    : TK_STREAM                         { $$ = false; }
    | TK_TABLE                          { $$ = true; }
    ;

opt_or_replace
    : %empty                            { $$ = false; }
    | TK_OR TK_REPLACE                  { $$ = true; }
    ;

table_elems
    : table_elem                        { $$ = no_list; PUSH($$, $1); }
    | table_elems ',' table_elem        { $$ = $1; PUSH($$, $3); }
    ;

table_elem
    : identifier type opt_role          { $$ = ast_column_def(ps, $1, $2, (AstColumnRole)$3, NULL); }
    | identifier type TK_HEADER '(' header_key ')'
                                        { $$ = ast_column_def(ps, $1, $2, COLROLE_HEADERS, $5); }
    ;

header_key
    : TK_STRING
    ;

opt_role
    : %empty                            { $$ = COLROLE_VALUE; }
    | TK_KEY                            { $$ = COLROLE_KEY; }
    | TK_PRIMARY TK_KEY                 { $$ = COLROLE_PRIMARY_KEY; }
    | TK_HEADERS                        { $$ = COLROLE_HEADERS; }
    ;

opt_with
    : %empty                            { $$ = no_list; }
    | TK_WITH '(' props ')'             { $$ = $3; }
    ;

props
    : prop                              { $$ = no_list; PUSH($$, $1); }
    | props ',' prop                    { $$ = $1; PUSH($$, $3); }
    ;

prop
    : prop_name '=' prop_value          { $$ = ast_property(ps, $1, $3, @1); }
    ;

prop_name
    : identifier                        { $$ = $1.name; }
    | TK_STRING
    ;

prop_value
    : TK_STRING                         { $$ = ast_string(ps, $1, @1); }
    | number
    | '-' number                        { $$ = ast_unary(ps, OP_NEG, $2, @1); }
    | TK_TRUE                           { $$ = ast_bool(ps, true, @1); }
    | TK_FALSE                          { $$ = ast_bool(ps, false, @1); }
    | TK_NULL                           { $$ = ast_null(ps, @1); }
    ;

number
    : TK_INTEGER                        { $$ = ast_int(ps, $1, @1); }
    | TK_DECIMAL                        { $$ = ast_decimal(ps, $1, @1); }
    | TK_DOUBLE                         { $$ = ast_double(ps, $1, @1); }
    ;

/* ---- types: ksqlDB's names are identifiers, so columns may be called
 * DATE, TIME...; ast.c maps the name.  "STRUCT<>" arrives as '<>'. */

type
    : identifier                        { $$ = ast_type_named(ps, $1, no_list, @1); }
    | identifier '(' type_params ')'    { $$ = ast_type_named(ps, $1, $3, @1); }
    | TK_ARRAY '<' type '>'             { $$ = ast_type_array(ps, $3, @1); }
    | TK_MAP '<' type ',' type '>'      { $$ = ast_type_map(ps, $3, $5, @1); }
    | TK_STRUCT '<' struct_fields '>'   { $$ = ast_type_struct(ps, $3.keys, $3.vals, @1); }
    | TK_STRUCT '<' '>'                 { $$ = ast_type_struct(ps, no_list, no_list, @1); }
    | TK_STRUCT TK_NE                   { $$ = ast_type_struct(ps, no_list, no_list, @1); }
    ;

type_params
    : TK_INTEGER                        { $$ = no_list; PUSH($$, (void *)$1); }
    | type_params ',' TK_INTEGER        { $$ = $1; PUSH($$, (void *)$3); }
    ;

struct_fields
    : identifier type
        { $$.keys = $$.vals = no_list; PUSH($$.keys, ast_box(ps, &$1, sizeof $1)); PUSH($$.vals, ast_type_box(ps, $2)); }
    | struct_fields ',' identifier type
        { $$ = $1; PUSH($$.keys, ast_box(ps, &$3, sizeof $3)); PUSH($$.vals, ast_type_box(ps, $4)); }
    ;

/* ---- INSERT ------------------------------------------------------------ */

insert_stmt
    : TK_INSERT TK_INTO identifier opt_with query
        {
            $$ = ast_stmt(ps, STMT_INSERT_SELECT, @1);
            $$->u.insert.target = $3; $$->u.insert.props = $4; $$->u.insert.select = $5;
        }
    | TK_INSERT TK_INTO identifier TK_VALUES '(' opt_expr_list ')'
        { $$ = ast_stmt(ps, STMT_INSERT_VALUES, @1); $$->u.insert.target = $3; $$->u.insert.values = $6; }
    | TK_INSERT TK_INTO identifier '(' name_list ')' TK_VALUES '(' opt_expr_list ')'
        {
            $$ = ast_stmt(ps, STMT_INSERT_VALUES, @1);
            $$->u.insert.target = $3; $$->u.insert.columns = $5; $$->u.insert.values = $9;
        }
    ;

/* ---- DROP -------------------------------------------------------------- */

drop_stmt
    : TK_DROP stream_or_table drop_target opt_delete_topic
        {
            $$ = ast_stmt(ps, STMT_DROP, @1);
            $$->u.drop.is_table = $2; $$->u.drop.name = $3.name;
            $$->u.drop.if_exists = $3.flag; $$->u.drop.delete_topic = $4;
        }
    | TK_DROP TK_TYPE drop_target
        {
            $$ = ast_stmt(ps, STMT_DROP, @1);
            $$->u.drop.is_type = true; $$->u.drop.name = $3.name; $$->u.drop.if_exists = $3.flag;
            ast_note_type(ps, $3.name, NULL);
        }
    | TK_DROP TK_MODEL drop_target
        {
            $$ = ast_stmt(ps, STMT_DROP_MODEL, @1);
            $$->u.drop.name = $3.name; $$->u.drop.if_exists = $3.flag;
        }
    ;

drop_target
    : identifier                        { $$.name = $1; $$.flag = false; }
    | TK_IF TK_EXISTS identifier        { $$.name = $3; $$.flag = true; }
    ;

opt_delete_topic
    : %empty                            { $$ = false; }
    | TK_DELETE TK_TOPIC                { $$ = true; }
    ;

/* ---- SHOW, DESCRIBE, EXPLAIN -------------------------------------------- */

show_stmt
    : show_or_list show_what opt_extended
        { $$ = ast_stmt(ps, STMT_SHOW, @1); $$->u.show.what = (AstShowWhat)$2; $$->u.show.extended = $3; }
    ;

show_or_list
    : TK_SHOW | TK_LIST
    ;

show_what
    : TK_STREAMS { $$ = SHOW_STREAMS; }         | TK_TABLES { $$ = SHOW_TABLES; }
    | TK_QUERIES { $$ = SHOW_QUERIES; }         | TK_TOPICS { $$ = SHOW_TOPICS; }
    | TK_PROPERTIES { $$ = SHOW_PROPERTIES; }   | TK_FUNCTIONS { $$ = SHOW_FUNCTIONS; }
    | TK_MODELS { $$ = SHOW_MODELS; }           | TK_SNAPSHOTS { $$ = SHOW_SNAPSHOTS; }
    | TK_TYPES { $$ = SHOW_TYPES; }             | TK_VARIABLES { $$ = SHOW_VARIABLES; }
    ;

opt_extended
    : %empty                            { $$ = false; }
    | TK_EXTENDED                       { $$ = true; }
    ;

/* DESCRIBE name [EXTENDED] (ksqlDB) and DESCRIBE EXTENDED name; there
 * the name may not be EXTENDED, STREAMS or TABLES unless quoted. */
describe_stmt
    : TK_DESCRIBE describe_target
        {
            $$ = ast_stmt(ps, STMT_DESCRIBE, @1);
            $$->u.describe.name = $2.name; $$->u.describe.extended = $2.flag;
        }
    | TK_DESCRIBE TK_FUNCTION describe_name
        {
            $$ = ast_stmt(ps, STMT_DESCRIBE, @1);
            $$->u.describe.name = $3; $$->u.describe.is_function = true;
        }
    | TK_DESCRIBE TK_MODEL describe_name
        {
            $$ = ast_stmt(ps, STMT_DESCRIBE, @1);
            $$->u.describe.name = $3; $$->u.describe.is_model = true;
        }
    | TK_DESCRIBE TK_STREAMS opt_extended
        {
            $$ = ast_stmt(ps, STMT_DESCRIBE, @1);
            $$->u.describe.is_list_streams = true; $$->u.describe.extended = $3;
        }
    | TK_DESCRIBE TK_TABLES opt_extended
        {
            $$ = ast_stmt(ps, STMT_DESCRIBE, @1);
            $$->u.describe.is_list_tables = true; $$->u.describe.extended = $3;
        }
    ;

describe_target
    : describe_name opt_extended        { $$.name = $1; $$.flag = $2; }
    | TK_EXTENDED describe_name         { $$.name = $2; $$.flag = true; }
    ;

describe_name
    : name_identifier
    | noalias_keyword                   { $$ = ast_name(ps, $1, false, @1); }
    ;

explain_stmt
    : TK_EXPLAIN query_id
        { $$ = ast_stmt(ps, STMT_EXPLAIN, @1); $$->u.explain.query_id = $2; }
    | TK_EXPLAIN statement
        {
            $$ = ast_stmt(ps, STMT_EXPLAIN, @1);
            $2->text = ps_text(ps, @2);
            $$->u.explain.stmt = $2;
        }
    ;

/* A query id after EXPLAIN must not look like the start of a statement,
 * so only a plain or quoted identifier; elsewhere any name will do. */
query_id
    : TK_IDENT
    | TK_QIDENT
    ;

/* ---- TERMINATE, PRINT, SET, RUN SCRIPT ---------------------------------- */

terminate_stmt
    : TK_TERMINATE identifier           { $$ = ast_stmt(ps, STMT_TERMINATE, @1); $$->u.terminate.query_id = $2.name; }
    | TK_TERMINATE TK_ALL               { $$ = ast_stmt(ps, STMT_TERMINATE, @1); $$->u.terminate.all = true; }
    ;

print_stmt
    : TK_PRINT print_topic opt_from_beginning opt_interval opt_limit
        {
            $$ = ast_stmt(ps, STMT_PRINT, @1);
            $$->u.print.topic = $2; $$->u.print.from_beginning = $3;
            $$->u.print.interval = $4; $$->u.print.limit = $5;
        }
    ;

/* Topic names are case-sensitive: an unquoted name is kept as written. */
print_topic
    : identifier                        { $$ = $1.quoted ? $1.name : ps_text(ps, @1); }
    | TK_STRING
    ;

opt_from_beginning
    : %empty                            { $$ = false; }
    | TK_FROM TK_BEGINNING              { $$ = true; }
    ;

opt_interval
    : %empty                            { $$ = -1; }
    | TK_INTERVAL uint                  { $$ = $2; }
    | TK_SAMPLE uint                    { $$ = $2; }
    ;

set_stmt
    : TK_SET TK_STRING '=' TK_STRING
        { $$ = ast_stmt(ps, STMT_SET, @1); $$->u.set.name = $2; $$->u.set.value = $4; }
    | TK_UNSET TK_STRING
        { $$ = ast_stmt(ps, STMT_UNSET, @1); $$->u.set.name = $2; }
    ;

/* DEFINE / UNDEFINE take effect for the statements after them in the
 * same script at once (the lexer substitutes while parsing). */
var_stmt
    : TK_DEFINE var_name '=' TK_STRING
        {
            $$ = ast_stmt(ps, STMT_DEFINE, @1);
            $$->u.define.name = $2;
            $$->u.define.value = $4;
            ps_note_var(ps, $2, $4);
        }
    | TK_UNDEFINE var_name
        { $$ = ast_stmt(ps, STMT_UNDEFINE, @1); $$->u.define.name = $2; ps_note_var(ps, $2, NULL); }
    ;

/* ksqlDB: a letter or '_', then letters, digits, '_'; kept as written. */
var_name
    : identifier
        {
            $$ = ps_text(ps, @1);
            if ($1.quoted || strchr($$, '@'))
                ps_error(ps, $1.pos, "invalid variable name %s: a letter or '_', then letters, digits or '_'", $$);
        }
    ;

run_stmt
    : TK_RUN TK_SCRIPT TK_STRING        { $$ = ast_stmt(ps, STMT_RUN_SCRIPT, @1); $$->u.run_script.path = $3; }
    ;

/* ---- REPLAY, CHECKPOINT ------------------------------------------------- */

replay_stmt
    : TK_REPLAY TK_QUERY identifier TK_FROM replay_from replay_tail
        { $$ = ast_replay(ps, $5, $3, $6, @1); }
    ;

replay_from
    : TK_OFFSET uint
        { $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.from = REPLAY_OFFSET; $$->u.replay.offset = $2; }
    | TK_OFFSETS '(' offset_list ')'
        { $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.from = REPLAY_OFFSETS; $$->u.replay.offsets = $3; }
    | TK_TIMESTAMP TK_STRING
        {
            $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.from = REPLAY_TIMESTAMP;
            $$->u.replay.text = $2; $$->u.replay.text_pos = loc_pos(@2);
        }
    | TK_BEGINNING
        { $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.from = REPLAY_BEGINNING; }
    | TK_SNAPSHOT snapshot_id
        {
            $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.from = REPLAY_SNAPSHOT;
            $$->u.replay.text = $2; $$->u.replay.text_pos = loc_pos(@2);
        }
    ;

/* partition:offset applies to that partition of every input topic;
 * topic:partition:offset to one topic's (the engine's own log lines). */
offset_list
    : offset_entry                      { $$ = no_list; PUSH($$, $1); }
    | offset_list ',' offset_entry      { $$ = $1; PUSH($$, $3); }
    ;

offset_entry
    : uint ':' uint                     { $$ = ast_offset(ps, NULL, $1, $3, @1); }
    | print_topic ':' uint ':' uint     { $$ = ast_offset(ps, $1, $3, $5, @1); }
    ;

/* WITH EMPTY STATE, and WITH (...) properties, which only the engine's
 * command log carries (one rule, so WITH is not an LALR(1) choice). */
replay_tail
    : %empty                            { $$ = NULL; }
    | TK_WITH TK_EMPTY TK_STATE
        { $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.empty_state = true; }
    | TK_WITH TK_EMPTY TK_STATE TK_WITH '(' props ')'
        { $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.empty_state = true; $$->u.replay.props = $6; }
    | TK_WITH '(' props ')'
        { $$ = ast_stmt(ps, STMT_REPLAY, @1); $$->u.replay.props = $3; }
    ;

/* CREATE SNAPSHOT [name] [FOR QUERY id]; DROP SNAPSHOT [IF EXISTS] name. */
snapshot_stmt
    : TK_CREATE TK_SNAPSHOT
        { $$ = ast_stmt(ps, STMT_CREATE_SNAPSHOT, @1); }
    | TK_CREATE TK_SNAPSHOT snapshot_id
        { $$ = ast_snapshot(ps, STMT_CREATE_SNAPSHOT, $3, @3, NULL, @1); }
    | TK_CREATE TK_SNAPSHOT TK_FOR TK_QUERY identifier
        { $$ = ast_snapshot(ps, STMT_CREATE_SNAPSHOT, NULL, @2, &$5, @1); }
    | TK_CREATE TK_SNAPSHOT snapshot_id TK_FOR TK_QUERY identifier
        { $$ = ast_snapshot(ps, STMT_CREATE_SNAPSHOT, $3, @3, &$6, @1); }
    | TK_DROP TK_SNAPSHOT snapshot_id
        { $$ = ast_snapshot(ps, STMT_DROP_SNAPSHOT, $3, @3, NULL, @1); }
    | TK_DROP TK_SNAPSHOT TK_IF TK_EXISTS snapshot_id
        {
            $$ = ast_snapshot(ps, STMT_DROP_SNAPSHOT, $5, @5, NULL, @1);
            $$->u.snapshot.if_exists = true;
        }
    ;

snapshot_id
    : identifier                        { $$ = $1.name; }
    | TK_INTEGER
    | TK_STRING
    ;

checkpoint_stmt
    : TK_CHECKPOINT opt_query_id        { $$ = ast_stmt(ps, STMT_CHECKPOINT, @1); $$->u.checkpoint.query_id = $2; }
    ;

opt_query_id
    : %empty                            { $$ = NULL; }
    | TK_QUERY identifier               { $$ = $2.name; }
    ;

/* ---- expressions --------------------------------------------------------- */

expr
    : or_expr
    ;

or_expr
    : and_expr
    | or_expr TK_OR and_expr            { $$ = ast_binary(ps, OP_OR, $1, $3, @2); }
    ;

and_expr
    : not_expr
    | and_expr TK_AND not_expr          { $$ = ast_binary(ps, OP_AND, $1, $3, @2); }
    ;

not_expr
    : predicate
    | TK_NOT not_expr                   { $$ = ast_unary(ps, OP_NOT, $2, @1); }
    ;

predicate
    : value_expr
    | value_expr comp_op value_expr     { $$ = ast_binary(ps, (AstOp)$2, $1, $3, @2); }
    | value_expr TK_BETWEEN value_expr TK_AND value_expr
                                        { $$ = ast_between(ps, $1, $3, $5, false, @2); }
    | value_expr TK_NOT TK_BETWEEN value_expr TK_AND value_expr
                                        { $$ = ast_between(ps, $1, $4, $6, true, @2); }
    | value_expr TK_IN '(' expr_list ')'
                                        { $$ = ast_in(ps, $1, $4, false, @2); }
    | value_expr TK_NOT TK_IN '(' expr_list ')'
                                        { $$ = ast_in(ps, $1, $5, true, @2); }
    | value_expr TK_LIKE value_expr opt_escape
                                        { $$ = ast_like(ps, $1, $3, $4, false, @2); }
    | value_expr TK_NOT TK_LIKE value_expr opt_escape
                                        { $$ = ast_like(ps, $1, $4, $5, true, @2); }
    | value_expr TK_IS TK_NULL          { $$ = ast_is_null(ps, $1, false, @2); }
    | value_expr TK_IS TK_NOT TK_NULL   { $$ = ast_is_null(ps, $1, true, @2); }
    | value_expr TK_IS TK_DISTINCT TK_FROM value_expr
                                        { $$ = ast_is_distinct(ps, $1, $5, false, @2); }
    | value_expr TK_IS TK_NOT TK_DISTINCT TK_FROM value_expr
                                        { $$ = ast_is_distinct(ps, $1, $6, true, @2); }
    ;

opt_escape
    : %empty                            { $$ = NULL; }
    | TK_ESCAPE TK_STRING               { $$ = ast_string(ps, $2, @2); }
    ;

comp_op
    : '=' { $$ = OP_EQ; }   | TK_NE { $$ = OP_NE; }
    | '<' { $$ = OP_LT; }   | TK_LE { $$ = OP_LE; }
    | '>' { $$ = OP_GT; }   | TK_GE { $$ = OP_GE; }
    ;

value_expr
    : concat_expr
    ;

concat_expr
    : add_expr
    | concat_expr TK_CONCAT add_expr    { $$ = ast_binary(ps, OP_CONCAT, $1, $3, @2); }
    ;

add_expr
    : mul_expr
    | add_expr '+' mul_expr             { $$ = ast_binary(ps, OP_ADD, $1, $3, @2); }
    | add_expr '-' mul_expr             { $$ = ast_binary(ps, OP_SUB, $1, $3, @2); }
    ;

mul_expr
    : unary_expr
    | mul_expr '*' unary_expr           { $$ = ast_binary(ps, OP_MUL, $1, $3, @2); }
    | mul_expr '/' unary_expr           { $$ = ast_binary(ps, OP_DIV, $1, $3, @2); }
    | mul_expr '%' unary_expr           { $$ = ast_binary(ps, OP_MOD, $1, $3, @2); }
    ;

unary_expr
    : postfix_expr
    | '-' unary_expr                    { $$ = ast_unary(ps, OP_NEG, $2, @1); }
    | '+' unary_expr                    { $$ = ast_unary(ps, OP_PLUS, $2, @1); }
    ;

postfix_expr
    : primary
    | postfix_expr '[' expr ']'         { $$ = ast_subscript(ps, $1, $3, @2); }
    | postfix_expr TK_ARROW identifier  { $$ = ast_deref(ps, $1, $3, @2); }
    ;

primary
    : literal
    | identifier                        { $$ = ast_column(ps, NULL, $1); }
    | identifier '.' identifier         { $$ = ast_column(ps, &$1, $3); }
    | func_call
    | case_expr
    | '(' expr ')'                      { $$ = $2; }
    | TK_CAST '(' expr TK_AS type ')'   { $$ = ast_cast(ps, $3, $5, @1); }
    | TK_ARRAY '[' opt_expr_list ']'    { $$ = ast_array(ps, $3, @1); }
    | TK_MAP '(' ')'                    { $$ = ast_map(ps, no_list, no_list, @1); }
    | TK_MAP '(' map_entries ')'        { $$ = ast_map(ps, $3.keys, $3.vals, @1); }
    | TK_STRUCT '(' ')'                 { $$ = ast_struct(ps, no_list, no_list, @1); }
    | TK_STRUCT '(' struct_entries ')'  { $$ = ast_struct(ps, $3.keys, $3.vals, @1); }
    ;

literal
    : number
    | TK_STRING                         { $$ = ast_string(ps, $1, @1); }
    | TK_TRUE                           { $$ = ast_bool(ps, true, @1); }
    | TK_FALSE                          { $$ = ast_bool(ps, false, @1); }
    | TK_NULL                           { $$ = ast_null(ps, @1); }
    ;

func_call
    : identifier '(' ')'                { $$ = ast_func(ps, $1, no_list, false, false); }
    | identifier '(' '*' ')'            { $$ = ast_func(ps, $1, no_list, true, false); }
    | identifier '(' func_args ')'      { $$ = ast_func(ps, $1, $3, false, false); }
    | identifier '(' TK_DISTINCT expr_list ')'
                                        { $$ = ast_func(ps, $1, $4, false, true); }
    ;

func_args
    : func_arg                          { $$ = no_list; PUSH($$, $1); }
    | func_args ',' func_arg            { $$ = $1; PUSH($$, $3); }
    ;

func_arg
    : expr
    | lambda
    ;

/* x => body, (x, y) => body: only as function arguments (ksqlDB). */
lambda
    : identifier TK_LAMBDA expr
        { PtrVec p = no_list; PUSH(p, ast_box(ps, &$1, sizeof $1)); $$ = ast_lambda(ps, p, $3, @1); }
    | TK_LAMBDA_LPAREN lambda_params ')' TK_LAMBDA expr
        { $$ = ast_lambda(ps, $2, $5, @1); }
    ;

lambda_params
    : identifier                        { $$ = no_list; PUSH($$, ast_box(ps, &$1, sizeof $1)); }
    | lambda_params ',' identifier      { $$ = $1; PUSH($$, ast_box(ps, &$3, sizeof $3)); }
    ;

case_expr
    : TK_CASE when_list opt_else TK_END         { $$ = ast_case(ps, NULL, $2, $3, @1); }
    | TK_CASE expr when_list opt_else TK_END    { $$ = ast_case(ps, $2, $3, $4, @1); }
    ;

when_list
    : TK_WHEN expr TK_THEN expr                 { $$ = no_list; PUSH($$, ast_when(ps, $2, $4)); }
    | when_list TK_WHEN expr TK_THEN expr       { $$ = $1; PUSH($$, ast_when(ps, $3, $5)); }
    ;

opt_else
    : %empty                            { $$ = NULL; }
    | TK_ELSE expr                      { $$ = $2; }
    ;

map_entries
    : expr TK_ASSIGN expr
        { $$.keys = $$.vals = no_list; PUSH($$.keys, $1); PUSH($$.vals, $3); }
    | map_entries ',' expr TK_ASSIGN expr
        { $$ = $1; PUSH($$.keys, $3); PUSH($$.vals, $5); }
    ;

struct_entries
    : identifier TK_ASSIGN expr
        { $$.keys = $$.vals = no_list; PUSH($$.keys, ast_box(ps, &$1, sizeof $1)); PUSH($$.vals, $3); }
    | struct_entries ',' identifier TK_ASSIGN expr
        { $$ = $1; PUSH($$.keys, ast_box(ps, &$3, sizeof $3)); PUSH($$.vals, $5); }
    ;

expr_list
    : expr                              { $$ = no_list; PUSH($$, $1); }
    | expr_list ',' expr                { $$ = $1; PUSH($$, $3); }
    ;

opt_expr_list
    : %empty                            { $$ = no_list; }
    | expr_list
    ;

%%

/* ---- error messages ------------------------------------------------------ */

/* A keyword symbol's class (keywords.h), or -1 for other symbols. */
static int kw_class_of(yysymbol_kind_t k)
{
    static const int classes[YYNTOKENS] = {   /* class + 1; 0 = not a keyword */
#define X(name, cls) [YYSYMBOL_TK_##name] = cls + 1,
        EDDY_KEYWORD_LIST(X)
#undef X
    };
    return k >= 0 && k < YYNTOKENS ? classes[k] - 1 : -1;
}

/* "+ 1" per noalias keyword: their count */
#define PLUS_NOALIAS(name, cls) + (cls == KW_NOALIAS)

/* Tokens that can start an expression: when all of these are expected, the
 * message says "expression" instead of listing them. */
static bool starts_expr(yysymbol_kind_t k)
{
    switch (k) {
    case YYSYMBOL_TK_IDENT: case YYSYMBOL_TK_QIDENT: case YYSYMBOL_TK_STRING:
    case YYSYMBOL_TK_INTEGER: case YYSYMBOL_TK_DECIMAL: case YYSYMBOL_TK_DOUBLE:
    case YYSYMBOL_TK_TRUE: case YYSYMBOL_TK_FALSE: case YYSYMBOL_TK_NULL:
    case YYSYMBOL_TK_NOT: case YYSYMBOL_TK_CASE: case YYSYMBOL_TK_CAST:
    case YYSYMBOL_TK_ARRAY: case YYSYMBOL_TK_MAP: case YYSYMBOL_TK_STRUCT:
    case YYSYMBOL_TK_LAMBDA_LPAREN:
        return true;
    default:
        return k == YYTRANSLATE('(') || k == YYTRANSLATE('-') || k == YYTRANSLATE('+');
    }
}

/* A symbol's name for a message: keywords bare, punctuation quoted. */
static void put_symbol(StrBuf *sb, yysymbol_kind_t k)
{
    const char *name = yysymbol_name(k);
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '"' && name[n - 1] == '"')
        sb_append(sb, name + 1, n - 2);
    else
        sb_puts(sb, name);
}

/* "syntax error at 'FORM', expected FROM", "..., expected one of: FROM, ','",
 * "unexpected end of input, expected ')'".  With many choices the list is
 * left out; where any expression fits, it says "expression". */
static int yyreport_syntax_error(const yypcontext_t *ctx, ParseState *ps, yyscan_t scanner)
{
    (void)scanner;
    if (ps->failed)
        return 0;
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0)
        n = 0;
    bool ident = false, literal = false;
    int noalias = 0;
    for (int i = 0; i < n; i++) {
        ident |= exp[i] == YYSYMBOL_TK_IDENT;
        literal |= exp[i] == YYSYMBOL_TK_INTEGER;
        noalias += kw_class_of(exp[i]) == KW_NOALIAS;
    }
    bool expr = ident && literal;
    /* Keep what "identifier" and "expression" do not already cover.  The
     * noalias keywords are names only where all of them are expected;
     * where a few are, they are clauses (FROM s JOIN t GRACE ...). */
    bool names_noalias = ident && noalias == (0 EDDY_KEYWORD_LIST(PLUS_NOALIAS));
    yysymbol_kind_t shown[YYNTOKENS];
    int m = 0;
    for (int i = 0; i < n; i++) {
        yysymbol_kind_t k = exp[i];
        if (expr && starts_expr(k))
            continue;
        if (ident && (k == YYSYMBOL_TK_QIDENT || kw_class_of(k) == KW_UNRESERVED
                      || (expr && k == YYSYMBOL_TK_IDENT)))
            continue;
        if (names_noalias && kw_class_of(k) == KW_NOALIAS)
            continue;
        if (!expr && literal && k == YYTRANSLATE('-'))
            continue;   /* before a count or duration, taken only to reject it */
        shown[m++] = k;
    }

    StrBuf sb;
    sb_init(&sb);
    const EddyLoc *loc = yypcontext_location(ctx);
    yysymbol_kind_t la = yypcontext_token(ctx);
    if (la == YYSYMBOL_YYEOF) {
        sb_puts(&sb, "unexpected end of input");
    } else {
        int len = loc->end - loc->start;
        const char *t = ps->src + loc->start;
        for (int i = 0; i < len; i++)
            if (t[i] == '\n')
                len = i;
        sb_puts(&sb, "syntax error at '");
        sb_append(&sb, t, (size_t)(len > 40 ? 40 : len));
        sb_puts(&sb, len > 40 ? "...'" : "'");
    }
    int total = m + (expr ? 1 : 0);
    if (total > 0 && total <= 6) {
        sb_puts(&sb, total == 1 ? ", expected " : ", expected one of: ");
        if (expr)
            sb_puts(&sb, total == 1 ? "an expression" : "expression");
        for (int i = 0; i < m; i++) {
            if (i > 0 || expr)
                sb_puts(&sb, ", ");
            put_symbol(&sb, shown[i]);
        }
    }
    ps_error(ps, loc_pos(*loc), "%s", sb.data);
    sb_free(&sb);
    return 0;
}

/* Bison calls this only for "memory exhausted": the parse stack is full. */
static void eddy_yyerror(EDDY_YYLTYPE *loc, ParseState *ps, yyscan_t scanner, const char *msg)
{
    (void)scanner;
    if (strstr(msg, "exhausted"))
        ps_error(ps, loc_pos(*loc), "statement nested too deeply");
    else
        ps_error(ps, loc_pos(*loc), "%s", msg);
}
