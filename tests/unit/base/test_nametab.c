/* test_nametab.c - lookups in tables sorted by name: every entry found in
 * any case, misses (before the first, after the last, between two, NULL,
 * empty), tables of one and none, and the "did you mean" nearest name
 * with its edit limit and first-of-equals rule. */
#include "eddy/base.h"

#include "testutil.h"

typedef struct Entry {
    int id;
    const char *name;   /* not the first member: name_off is used */
} Entry;

/* ASCII case-insensitive order: '_' sorts before letters. */
static const Entry entries[] = {
    {1, "ABS"}, {2, "AS_MAP"}, {3, "AS_VALUE"}, {4, "ASIN"}, {5, "COUNT"}, {6, "COUNT_DISTINCT"},
    {7, "SUM"}, {8, "TOPK"}, {9, "TOPKDISTINCT"},
};
static const NameTable table = NAMETAB_INIT(entries, Entry, name);

static void test_find(void)
{
    CHECK_EQ_INT(table.n, 9);
    for (size_t i = 0; i < table.n; i++) {
        CHECK_EQ_INT(nametab_find(&table, entries[i].name), (int)i);
        CHECK_STR(nametab_name(&table, i), entries[i].name);
    }
    CHECK_EQ_INT(nametab_find(&table, "count_distinct"), 5);
    CHECK_EQ_INT(nametab_find(&table, "TopKDistinct"), 8);
    CHECK_EQ_INT(nametab_find(&table, "AAA"), -1);      /* before the first */
    CHECK_EQ_INT(nametab_find(&table, "ZZZ"), -1);      /* after the last */
    CHECK_EQ_INT(nametab_find(&table, "AS"), -1);       /* between, a prefix */
    CHECK_EQ_INT(nametab_find(&table, "COUNTX"), -1);
    CHECK_EQ_INT(nametab_find(&table, ""), -1);
    CHECK_EQ_INT(nametab_find(&table, NULL), -1);

    static const Entry one[] = {{1, "ONLY"}};
    static const NameTable t1 = NAMETAB_INIT(one, Entry, name);
    CHECK_EQ_INT(nametab_find(&t1, "only"), 0);
    CHECK_EQ_INT(nametab_find(&t1, "ONLZ"), -1);
    const NameTable t0 = {entries, 0, sizeof(Entry), offsetof(Entry, name)};
    CHECK_EQ_INT(nametab_find(&t0, "ABS"), -1);
    CHECK(nametab_closest(&t0, "ABS", 2) == NULL);
}

static void test_closest(void)
{
    CHECK_STR(nametab_closest(&table, "SUMM", 2), "SUM");
    CHECK_STR(nametab_closest(&table, "topkdistinc", 2), "TOPKDISTINCT");
    CHECK_STR(nametab_closest(&table, "CONT", 2), "COUNT");
    CHECK(nametab_closest(&table, "SQRT", 2) == NULL);        /* 3 edits from SUM */
    CHECK_STR(nametab_closest(&table, "SQRT", 3), "SUM");
    CHECK(nametab_closest(&table, "SUMM", 0) == NULL);        /* 0: exact only */
    CHECK(nametab_closest(&table, "SUMM", -1) == NULL);
    CHECK_STR(nametab_closest(&table, "ASIX", 1), "ASIN");
    /* Equally near: the first in table order. */
    CHECK_STR(nametab_closest(&table, "AS_MAXE", 2), "AS_MAP");
    CHECK(nametab_closest(&table, NULL, 2) == NULL);          /* "" is 3+ edits from all */
}

int main(void)
{
    test_find();
    test_closest();
    return testutil_done();
}
