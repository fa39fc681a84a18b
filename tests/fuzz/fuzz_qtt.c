/*
 * fuzz_qtt.c - libFuzzer target: a QTT file's text through `eddy test`'s
 * reader (qtt_parse) and, for the first tests of a file it accepts, its
 * runner (qtt_run): statements, then each input record encoded in the
 * formats of the stream declared on its topic (engine_encode_record),
 * produced, processed, and every output record decoded back to JSON
 * (engine_decode_record) and compared.
 *
 * Invariants beyond "no crash, no leak, no UB": a file the reader refuses
 * has a reason; a test that fails says why.
 */
#include "fuzz_util.h"
#include "qtt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_INPUT = 16384, MAX_TESTS = 3 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    char *text = fuzz_text(data, size);
    EddyError err;
    eddy_error_clear(&err);
    json_t *root = qtt_parse(text, &err);
    free(text);
    if (root == NULL) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    json_t *tests = json_object_get(root, "tests");
    for (size_t i = 0; i < json_array_size(tests) && i < MAX_TESTS; i++) {
        QttResult r;
        qtt_run(json_array_get(tests, i), "fuzz.json", false, &r);
        if (!r.pass && (r.why.data == NULL || r.why.data[0] == '\0')) {
            fprintf(stderr, "fuzz_qtt: a test failed without saying why\n");
            abort();
        }
        qtt_result_free(&r);
    }
    json_decref(root);
    return 0;
}
