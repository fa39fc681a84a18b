/*
 * test_qtt.c - the QTT reader and runner (cli/qtt.c) as the fuzzer drives
 * them: qtt_parse positions a JSON syntax error and names the test and
 * field of a wrong shape (each field the runner reads, each wrong type),
 * so the runner never meets a surprise (a huge timestamp was a float cast
 * out of int64_t's range, a partition past int32_t wrapped); qtt_run
 * passes, fails on a wrong expectation, fails a record it cannot produce.
 */
#include "qtt.h"
#include "testutil.h"

/* The message qtt_parse gives for text, formatted with its position, or
 * "(parsed)". */
static const char *parse_error(const char *text)
{
    static char msg[1200];
    EddyError err;
    json_t *root = qtt_parse(text, &err);
    if (root) {
        json_decref(root);
        return "(parsed)";
    }
    eddy_error_format(&err, NULL, msg, sizeof msg);
    return msg;
}

/* A file of one test whose first input is `input`. */
static const char *with_input(const char *input)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "{\"tests\": [{\"name\": \"t\", \"statements\": [], \"inputs\": [%s]}]}", input);
    return parse_error(text);
}

static const char stream[] =
    "\"CREATE STREAM s (id STRING KEY, v INT) WITH (kafka_topic='in', value_format='JSON');\","
    "\"CREATE STREAM o AS SELECT id, v * 2 AS w FROM s;\"";

/* Runs the only test of text; returns whether it passed, why in *why. */
static bool run(const char *text, char *why, size_t n)
{
    EddyError err;
    json_t *root = qtt_parse(text, &err);
    if (root == NULL) {
        snprintf(why, n, "parse: %s", err.msg);
        return false;
    }
    QttResult r;
    qtt_run(json_array_get(json_object_get(root, "tests"), 0), "test.json", false, &r);
    snprintf(why, n, "%s", r.why.data ? r.why.data : "");
    bool pass = r.pass;
    qtt_result_free(&r);
    json_decref(root);
    return pass;
}

int main(void)
{
    CHECK_STR(parse_error("{\"tests\": []}"), "(parsed)");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": [\"SHOW STREAMS;\"], \"other\": 1}]}"),
              "(parsed)");
    /* JSON syntax: positioned. */
    CHECK_STR(parse_error("{\"tests\": [\n  {\"statements\": [}]}"),
              "line 2:19: unexpected token near '}'");
    CHECK_STR(parse_error(""), "line 1:1: '[' or '{' expected near end of file");
    CHECK_STR(parse_error("[]"), "no \"tests\" array");
    CHECK_STR(parse_error("{\"tests\": {}}"), "no \"tests\" array");
    /* Each test's shape. */
    CHECK_STR(parse_error("{\"tests\": [1]}"), "test 1 is not an object");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": []}, {\"name\": 7}]}"),
              "test 2 name is not a string");
    CHECK_STR(parse_error("{\"tests\": [{\"name\": \"x\"}]}"), "test 1 (x) has no \"statements\" array");
    CHECK_STR(parse_error("{\"tests\": [{\"name\": \"x\", \"statements\": [\"SHOW STREAMS;\", 3]}]}"),
              "test 1 (x) a statement is not a string");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": [], \"properties\": []}]}"),
              "test 1 properties is not an object");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": [], \"expectedException\": \"x\"}]}"),
              "test 1 expectedException is not an object with a string message");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": [], \"expectedException\": {\"message\": 1}}]}"),
              "test 1 expectedException is not an object with a string message");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": [], \"inputs\": {}}]}"),
              "test 1 inputs is not an array");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": [], \"outputs\": 1}]}"),
              "test 1 outputs is not an array");
    CHECK_STR(parse_error("{\"tests\": [{\"statements\": [], \"outputs\": [{\"value\": 1}]}]}"),
              "test 1 an output is not an object with a string topic");
    CHECK_STR(with_input("{\"topic\": \"in\", \"key\": \"k\", \"timestamp\": 5, \"partition\": 0}"),
              "(parsed)");
    CHECK_STR(with_input("7"), "test 1 (t) an input is not an object with a string topic");
    CHECK_STR(with_input("{\"topic\": 1}"), "test 1 (t) an input is not an object with a string topic");
    CHECK_STR(with_input("{\"topic\": \"in\", \"timestamp\": 1e300}"),
              "test 1 (t) a record's timestamp is not an integer");
    CHECK_STR(with_input("{\"topic\": \"in\", \"timestamp\": \"5\"}"),
              "test 1 (t) a record's timestamp is not an integer");
    CHECK_STR(with_input("{\"topic\": \"in\", \"partition\": 4294967296}"),
              "test 1 (t) a record's partition is not an integer from 0 to 2147483647");
    CHECK_STR(with_input("{\"topic\": \"in\", \"partition\": -1}"),
              "test 1 (t) a record's partition is not an integer from 0 to 2147483647");
    CHECK_STR(with_input("{\"topic\": \"in\", \"partition\": 0.5}"),
              "test 1 (t) a record's partition is not an integer from 0 to 2147483647");
    CHECK_STR(with_input("{\"topic\": \"in\", \"window\": 3}"),
              "test 1 (t) a record's window is not an object");

    /* Running: a pass, a wrong expectation, a partition the topic lacks. */
    char text[2048], why[2048];
    snprintf(text, sizeof text,
             "{\"tests\": [{\"name\": \"double\", \"statements\": [%s],"
             " \"inputs\": [{\"topic\": \"in\", \"key\": \"a\", \"value\": {\"V\": 21}, \"timestamp\": 9}],"
             " \"outputs\": [{\"topic\": \"O\", \"key\": \"a\", \"value\": {\"W\": 42}, \"timestamp\": 9}]}]}",
             stream);
    CHECK(run(text, why, sizeof why));
    snprintf(text, sizeof text,
             "{\"tests\": [{\"name\": \"wrong\", \"statements\": [%s],"
             " \"inputs\": [{\"topic\": \"in\", \"key\": \"a\", \"value\": {\"V\": 21}}],"
             " \"outputs\": [{\"topic\": \"O\", \"key\": \"a\", \"value\": {\"W\": 41}}]}]}",
             stream);
    CHECK(!run(text, why, sizeof why) && strstr(why, "topic O: expected 1 records, got 1") != NULL);
    snprintf(text, sizeof text,
             "{\"tests\": [{\"name\": \"partition\", \"statements\": [%s],"
             " \"inputs\": [{\"topic\": \"in\", \"key\": \"a\", \"value\": {\"V\": 1}, \"partition\": 3}],"
             " \"outputs\": []}]}",
             stream);
    CHECK(!run(text, why, sizeof why) &&
          strstr(why, "input 0 cannot be produced: topic in has no partition 3") != NULL);
    /* No outputs listed: every sink's records count as unexpected. */
    snprintf(text, sizeof text,
             "{\"tests\": [{\"name\": \"none\", \"statements\": [%s],"
             " \"inputs\": [{\"topic\": \"in\", \"key\": \"a\", \"value\": {\"V\": 1}}]}]}",
             stream);
    CHECK(!run(text, why, sizeof why) && strstr(why, "topic O: expected 0 records, got 1") != NULL);
    return testutil_done();
}
