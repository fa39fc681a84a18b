/*
 * qtt.h - ksqlDB's query-validation-test files: reading one and running its
 * tests (cli/qtt.c), apart from the `eddy test` command so a fuzzer
 * (tests/fuzz/fuzz_qtt.c) can drive both without a command line.
 */
#ifndef EDDY_QTT_H
#define EDDY_QTT_H

#include "eddy/eddy.h"

#include <jansson.h>

/* Parses the text of a QTT file and checks the shape of each test (the
 * fields the runner reads have the types it reads them as; other fields
 * are ignored).  Returns the file's root object, owned by the caller (free
 * with json_decref), whose "tests" array holds the tests; or NULL with err:
 * ERR_SYNTAX at the line:column of a JSON syntax error, ERR_ANALYSIS
 * naming the test (1-based) and what is wrong with it. */
json_t *qtt_parse(const char *text, EddyError *err);

typedef struct QttResult {
    bool pass;
    StrBuf why;            /* the diff or the error, when !pass */
    json_t *actual;        /* {"outputs": [...]} or {"error": "..."}, owned */
} QttResult;

/* Runs one test of a file qtt_parse accepted (borrowed for the call; file
 * is its path, which paths in statements are relative to) on a
 * fresh engine over in-memory topics; verbose copies the engine's log
 * lines to stderr.  Free r's contents with qtt_result_free. */
void qtt_run(json_t *test, const char *file, bool verbose, QttResult *r);
void qtt_result_free(QttResult *r);

#endif
