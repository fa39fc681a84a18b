/* fuzz_util.h - what the fuzz targets share: copies of the input that
 * ASan guards exactly (a read one byte past them is caught). */
#ifndef EDDY_FUZZ_UTIL_H
#define EDDY_FUZZ_UTIL_H

#include <stdlib.h>
#include <string.h>

/* data[0..size) as a NUL-terminated string (a NUL inside ends the text
 * early, as it would for any C caller); free with free(). */
static inline char *fuzz_text(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* Exactly data[0..size) on the heap (one byte when empty); free with free(). */
static inline unsigned char *fuzz_bytes(const unsigned char *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    return buf;
}

#endif
