/*
 * keywords.h - the keywords of the KSQL dialect, as one X-macro list.
 *
 * X(NAME, CLASS): the lexer turns a word spelled NAME (any case) into
 * token TK_NAME; parse_keywords() lists them for REPL completion.
 * CLASS says where the word may also serve as an identifier:
 *   KW_RESERVED    never (quote it: `FROM`);
 *   KW_UNRESERVED  anywhere a name goes (columns, sources, aliases...);
 *   KW_NOALIAS     anywhere except as an alias written without AS, where
 *                  it would be read as the next clause (FROM s WINDOW ...).
 * The classes must match the grammar's unreserved_keyword / noalias_keyword
 * rules (grammar.y); test_parser checks every entry both ways.
 *
 * Kept in ASCII order: the lexer looks words up by binary search.
 */
#ifndef EDDY_PARSER_KEYWORDS_H
#define EDDY_PARSER_KEYWORDS_H

#define EDDY_KEYWORD_LIST(X)       \
    X(ADD,          KW_UNRESERVED) \
    X(ADVANCE,      KW_UNRESERVED) \
    X(ALL,          KW_RESERVED)   \
    X(ALTER,        KW_UNRESERVED) \
    X(AND,          KW_RESERVED)   \
    X(ARRAY,        KW_UNRESERVED) \
    X(AS,           KW_RESERVED)   \
    X(BEGINNING,    KW_UNRESERVED) \
    X(BETWEEN,      KW_RESERVED)   \
    X(BY,           KW_RESERVED)   \
    X(CASE,         KW_RESERVED)   \
    X(CAST,         KW_RESERVED)   \
    X(CHANGES,      KW_UNRESERVED) \
    X(CHECKPOINT,   KW_UNRESERVED) \
    X(CREATE,       KW_RESERVED)   \
    X(DAY,          KW_UNRESERVED) \
    X(DAYS,         KW_UNRESERVED) \
    X(DEFINE,       KW_UNRESERVED) \
    X(DELETE,       KW_UNRESERVED) \
    X(DESCRIBE,     KW_UNRESERVED) \
    X(DISTINCT,     KW_RESERVED)   \
    X(DROP,         KW_RESERVED)   \
    X(ELSE,         KW_RESERVED)   \
    X(EMIT,         KW_NOALIAS)    \
    X(EMPTY,        KW_UNRESERVED) \
    X(END,          KW_RESERVED)   \
    X(ESCAPE,       KW_NOALIAS)    \
    X(EXISTS,       KW_RESERVED)   \
    X(EXPLAIN,      KW_UNRESERVED) \
    X(EXTENDED,     KW_UNRESERVED) \
    X(FALSE,        KW_RESERVED)   \
    X(FINAL,        KW_UNRESERVED) \
    X(FOR,          KW_UNRESERVED) \
    X(FROM,         KW_RESERVED)   \
    X(FULL,         KW_RESERVED)   \
    X(FUNCTION,     KW_UNRESERVED) \
    X(FUNCTIONS,    KW_UNRESERVED) \
    X(GRACE,        KW_NOALIAS)    \
    X(GROUP,        KW_RESERVED)   \
    X(HAVING,       KW_RESERVED)   \
    X(HEADER,       KW_UNRESERVED) \
    X(HEADERS,      KW_UNRESERVED) \
    X(HOPPING,      KW_UNRESERVED) \
    X(HOUR,         KW_UNRESERVED) \
    X(HOURS,        KW_UNRESERVED) \
    X(IF,           KW_UNRESERVED) \
    X(IN,           KW_RESERVED)   \
    X(INNER,        KW_RESERVED)   \
    X(INSERT,       KW_RESERVED)   \
    X(INTERVAL,     KW_UNRESERVED) \
    X(INTO,         KW_RESERVED)   \
    X(IS,           KW_RESERVED)   \
    X(JOIN,         KW_RESERVED)   \
    X(KEY,          KW_UNRESERVED) \
    X(LEFT,         KW_RESERVED)   \
    X(LIKE,         KW_RESERVED)   \
    X(LIMIT,        KW_RESERVED)   \
    X(LIST,         KW_UNRESERVED) \
    X(MAP,          KW_UNRESERVED) \
    X(MILLISECOND,  KW_UNRESERVED) \
    X(MILLISECONDS, KW_UNRESERVED) \
    X(MINUTE,       KW_UNRESERVED) \
    X(MINUTES,      KW_UNRESERVED) \
    X(MODEL,        KW_UNRESERVED) \
    X(MODELS,       KW_UNRESERVED) \
    X(NOT,          KW_RESERVED)   \
    X(NULL,         KW_RESERVED)   \
    X(OFFSET,       KW_UNRESERVED) \
    X(OFFSETS,      KW_UNRESERVED) \
    X(ON,           KW_RESERVED)   \
    X(OR,           KW_RESERVED)   \
    X(OUTER,        KW_RESERVED)   \
    X(PARTITION,    KW_NOALIAS)    \
    X(PERIOD,       KW_UNRESERVED) \
    X(PRIMARY,      KW_UNRESERVED) \
    X(PRINT,        KW_UNRESERVED) \
    X(PROPERTIES,   KW_UNRESERVED) \
    X(QUERIES,      KW_UNRESERVED) \
    X(QUERY,        KW_UNRESERVED) \
    X(REPLACE,      KW_UNRESERVED) \
    X(REPLAY,       KW_UNRESERVED) \
    X(RETENTION,    KW_UNRESERVED) \
    X(RIGHT,        KW_RESERVED)   \
    X(RUN,          KW_UNRESERVED) \
    X(SAMPLE,       KW_UNRESERVED) \
    X(SCRIPT,       KW_UNRESERVED) \
    X(SECOND,       KW_UNRESERVED) \
    X(SECONDS,      KW_UNRESERVED) \
    X(SELECT,       KW_RESERVED)   \
    X(SESSION,      KW_UNRESERVED) \
    X(SET,          KW_UNRESERVED) \
    X(SHOW,         KW_UNRESERVED) \
    X(SIZE,         KW_UNRESERVED) \
    X(SNAPSHOT,     KW_UNRESERVED) \
    X(SNAPSHOTS,    KW_UNRESERVED) \
    X(SOURCE,       KW_UNRESERVED) \
    X(STATE,        KW_UNRESERVED) \
    X(STREAM,       KW_UNRESERVED) \
    X(STREAMS,      KW_UNRESERVED) \
    X(STRUCT,       KW_UNRESERVED) \
    X(TABLE,        KW_UNRESERVED) \
    X(TABLES,       KW_UNRESERVED) \
    X(TERMINATE,    KW_UNRESERVED) \
    X(THEN,         KW_RESERVED)   \
    X(TIMESTAMP,    KW_UNRESERVED) \
    X(TOPIC,        KW_UNRESERVED) \
    X(TOPICS,       KW_UNRESERVED) \
    X(TRUE,         KW_RESERVED)   \
    X(TUMBLING,     KW_UNRESERVED) \
    X(TYPE,         KW_UNRESERVED) \
    X(TYPES,        KW_UNRESERVED) \
    X(UNDEFINE,     KW_UNRESERVED) \
    X(UNSET,        KW_UNRESERVED) \
    X(VALUES,       KW_RESERVED)   \
    X(VARIABLES,    KW_UNRESERVED) \
    X(WHEN,         KW_RESERVED)   \
    X(WHERE,        KW_RESERVED)   \
    X(WINDOW,       KW_NOALIAS)    \
    X(WITH,         KW_RESERVED)   \
    X(WITHIN,       KW_RESERVED)

/* Type names are plain identifiers to the grammar (so a column may be
 * called DATE or TIME); listed here for completion and for ast.c, which
 * maps them to types.  X(spelling, kind). */
#define EDDY_TYPE_NAME_LIST(X)     \
    X("BIGINT",    TYPE_BIGINT)    \
    X("BOOLEAN",   TYPE_BOOLEAN)   \
    X("BYTES",     TYPE_BYTES)     \
    X("DATE",      TYPE_DATE)      \
    X("DECIMAL",   TYPE_DECIMAL)   \
    X("DOUBLE",    TYPE_DOUBLE)    \
    X("INT",       TYPE_INT)       \
    X("INTEGER",   TYPE_INT)       \
    X("STRING",    TYPE_STRING)    \
    X("TIME",      TYPE_TIME)      \
    X("TIMESTAMP", TYPE_TIMESTAMP) \
    X("VARCHAR",   TYPE_STRING)

enum { KW_RESERVED, KW_UNRESERVED, KW_NOALIAS };

#endif
