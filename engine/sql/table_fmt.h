/* table_fmt.h - private: a text table built cell by cell (the first row is the header). */
#ifndef EDDY_TABLE_FMT_H
#define EDDY_TABLE_FMT_H

#include "eddy/base.h"

typedef struct TextTable {
    int ncols;
    PtrVec cells;
    Arena *arena;
} TextTable;

void tfmt_init(TextTable *t, int ncols);
void tfmt_free(TextTable *t);
void tfmt_cell(TextTable *t, const char *text);
void tfmt_render(const TextTable *t, StrBuf *out);
/* As tfmt_render, but a table wider than max_width columns (> 0) is made
 * narrower: column `prefer` first (-1 = none), then the widest others;
 * a cell cut short ends in "…". */
void tfmt_render_fit(const TextTable *t, StrBuf *out, int max_width, int prefer);

#endif
