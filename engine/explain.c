/* explain.c - EXPLAIN's text for a plan: one node per line, input below, with schemas. */
#include "eddy/plan.h"

#include <string.h>

const char *plan_tag_name(PlanTag t)
{
    switch (t) {
#define X(tag, name) case tag: return name;
        PLAN_TAG_LIST(X)
#undef X
    }
    return "?";
}

static void schema_line(const Schema *s, StrBuf *out)
{
    sb_puts(out, "[");
    for (int i = 0; i < s->ncols; i++) {
        StrBuf t;
        sb_init(&t);
        type_format(s->cols[i].type, &t);
        sb_printf(out, "%s%s %s%s", i ? ", " : "", s->cols[i].name, t.data ? t.data : "?",
                  s->cols[i].role == COL_KEY ? " KEY" : "");
        sb_free(&t);
    }
    sb_puts(out, "]");
}

static void explain_node(const Plan *p, int depth, StrBuf *out)
{
    for (int i = 0; i < depth; i++)
        sb_puts(out, "  ");
    sb_printf(out, "> %s", plan_tag_name(p->tag));
    switch (p->tag) {
    case PLAN_SOURCE: {
        const CatSource *s = p->u.source.src;
        sb_printf(out, " %s (topic %s, key %s, value %s%s%s)", s->name, s->topic,
                  format_name(s->key_format), format_name(s->value_format),
                  s->timestamp_col >= 0 ? ", event time from " : "",
                  s->timestamp_col >= 0 ? s->schema->cols[s->timestamp_col].name : "");
        break;
    }
    case PLAN_FILTER:
        sb_printf(out, " WHERE %s", p->u.filter.text);
        break;
    case PLAN_REKEY:
        sb_puts(out, " PARTITION BY ");
        for (int i = 0; i < p->u.rekey.nkeys; i++)
            sb_printf(out, "%s%s", i ? ", " : "", p->u.rekey.texts[i]);
        if (p->u.rekey.nkeys == 0)
            sb_puts(out, "NULL");
        break;
    case PLAN_PROJECT:
        break;
    case PLAN_SINK:
        if (p->u.sink.sink)
            sb_printf(out, " %s (topic %s, key %s, value %s)", p->u.sink.sink->name,
                      p->u.sink.sink->topic, format_name(p->u.sink.sink->key_format),
                      format_name(p->u.sink.sink->value_format));
        else
            sb_puts(out, " to client");
        if (p->u.sink.limit >= 0)
            sb_printf(out, " LIMIT %lld", (long long)p->u.sink.limit);
        break;
    }
    sb_puts(out, "\n");
    for (int i = 0; i < depth; i++)
        sb_puts(out, "  ");
    sb_puts(out, "    schema: ");
    schema_line(p->schema, out);
    sb_puts(out, "\n");
    if (p->input)
        explain_node(p->input, depth + 1, out);
}

void plan_explain(const Plan *p, StrBuf *out)
{
    explain_node(p, 0, out);
}
