/* test_double_text.c - value_format_double against the printf search it
 * had before its exact-integer fast path (kept here as the reference):
 * the text must be identical for every double.  Random bit patterns,
 * integers, powers of ten and their neighbours, subnormals, short
 * decimals, and sums like an aggregate's (1843.1999999999998). */
#define _GNU_SOURCE
#include "eddy/value.h"

#include "testutil.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static locale_t cloc;

/* The reference: shortest_digits as it was (15, 16, 17 digits by printf,
 * each checked by strtod; every length for subnormals). */
static int ref_digits(double d, char *digits, int *exp10)
{
    char buf[40];
    int p;
    if (d >= DBL_MIN) {
        for (p = 15; p < 17; p++) {
            snprintf(buf, sizeof buf, "%.*e", p - 1, d);
            if (strtod_l(buf, NULL, cloc) == d)
                break;
        }
        if (p == 17)
            snprintf(buf, sizeof buf, "%.*e", 16, d);
    } else {
        for (p = 1; p < 17; p++) {
            snprintf(buf, sizeof buf, "%.*e", p - 1, d);
            if (strtod_l(buf, NULL, cloc) == d)
                break;
        }
        if (p == 1)
            p = 2;
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
    }
    int n = 0;
    const char *q = buf;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9')
            digits[n++] = *q;
    *exp10 = *q == 'e' ? (int)strtol(q + 1, NULL, 10) : 0;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
}

/* The reference's text: Java's Double.toString layout over ref_digits. */
static void ref_format(double d, char *out, size_t cap)
{
    if (isnan(d)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(out, cap, "%s", d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (d == 0) {
        snprintf(out, cap, "%s", signbit(d) ? "-0.0" : "0.0");
        return;
    }
    size_t k = 0;
    if (d < 0) {
        out[k++] = '-';
        d = -d;
    }
    char digits[24] = {0};
    int e = 0;
    int n = ref_digits(d, digits, &e);
    if (d >= 1e-3 && d < 1e7) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++)
                out[k++] = i < n ? digits[i] : '0';
            out[k++] = '.';
            if (n > e + 1)
                for (int i = e + 1; i < n; i++)
                    out[k++] = digits[i];
            else
                out[k++] = '0';
        } else {
            out[k++] = '0';
            out[k++] = '.';
            for (int i = 0; i < -e - 1; i++)
                out[k++] = '0';
            for (int i = 0; i < n; i++)
                out[k++] = digits[i];
        }
        out[k] = '\0';
    } else {
        out[k++] = digits[0];
        out[k++] = '.';
        if (n > 1)
            for (int i = 1; i < n; i++)
                out[k++] = digits[i];
        else
            out[k++] = '0';
        snprintf(out + k, cap - k, "E%d", e);
    }
}

static long checked, mismatched;

static void check(double d)
{
    char ref[64];
    ref_format(d, ref, sizeof ref);
    StrBuf sb;
    sb_init(&sb);
    value_format_double(d, &sb);
    checked++;
    if (strcmp(sb.data, ref) != 0) {
        if (mismatched++ < 20)
            fprintf(stderr, "%.17g (%a): got %s, reference %s\n", d, d, sb.data, ref);
        tu_failed++;
    } else {
        tu_passed++;
    }
    sb_free(&sb);
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 300000;
    cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    uint64_t rng = 42;
    /* random bit patterns: every exponent */
    for (long i = 0; i < count; i++)
        check(from_bits(next(&rng)));
    /* random doubles in the plain range [1e-3, 1e7), where the fast path is */
    for (long i = 0; i < count; i++) {
        uint64_t h = next(&rng);
        double d = ldexp((double)(h >> 11) / 9007199254740992.0 + 0.5, (int)(h % 34) - 10);
        check(d);
        check(-d);
        check(nextafter(d, 0));
        check(nextafter(d, INFINITY));
    }
    /* short decimals and their neighbours, integers, sums of tenths */
    for (long i = 0; i < count / 10; i++) {
        uint64_t h = next(&rng);
        static const double tens[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
        double d = (double)(h % 100000000) / tens[h >> 40 & 7];
        check(d);
        check(nextafter(d, 0));
        check(nextafter(d, INFINITY));
        check((double)(h >> 20));
    }
    double sum = 0;
    for (int i = 0; i < 200000; i++) {
        sum += 0.1 * (i % 97) + 61.4;
        check(sum);
        check(sum / (i + 1));
    }
    /* powers of ten and two, binade boundaries, the ends of the range */
    for (int e = -330; e <= 310; e++) {
        double p = pow(10, e);
        check(p);
        check(nextafter(p, 0));
        check(nextafter(p, INFINITY));
    }
    for (int e = -1080; e <= 1024; e++) {
        double p = ldexp(1, e);
        check(p);
        check(nextafter(p, 0));
        check(nextafter(p, INFINITY));
        check(p * 3);
    }
    const double specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, DBL_MIN, DBL_MAX, DBL_TRUE_MIN,
                               1e-3, 1e7, 9999999.999999998, 0.0009999999999999998, 1843.1999999999998,
                               9.9999999999999995, 0.1, 0.2, 0.30000000000000004, 2.0 / 3, 1e23,
                               5e-324, 4.35, 100.0, 1e15, 123456.789};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        check(specials[i]);
        check(-specials[i]);
    }
    /* subnormals */
    for (long i = 0; i < count / 10; i++)
        check(from_bits(next(&rng) & ((1ULL << 52) - 1)));
    fprintf(stderr, "%ld doubles checked, %ld differ\n", checked, mismatched);
    freelocale(cloc);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
