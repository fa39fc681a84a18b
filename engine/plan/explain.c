/* explain.c - EXPLAIN's text for a plan: one node per line, input below, with schemas. */
#include "eddy/engine/plan.h"

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

static const char *window_name(WindowKind k)
{
    return k == WKIND_TUMBLING ? "TUMBLING" : k == WKIND_HOPPING ? "HOPPING"
         : k == WKIND_SESSION ? "SESSION" : "NONE";
}

static void explain_aggregate(const Plan *p, const char *qid, int depth, StrBuf *out)
{
    sb_puts(out, " GROUP BY ");
    for (int i = 0; i < p->u.aggregate.nkeys; i++)
        sb_printf(out, "%s%s", i ? ", " : "", p->u.aggregate.key_texts[i]);
    const WindowSpec *w = &p->u.aggregate.window;
    if (w->kind != WKIND_NONE) {
        sb_printf(out, " WINDOW %s (%s %lld ms", window_name(w->kind),
                  w->kind == WKIND_SESSION ? "GAP" : "SIZE", (long long)w->size_ms);
        if (w->kind == WKIND_HOPPING)
            sb_printf(out, ", ADVANCE BY %lld ms", (long long)w->advance_ms);
        sb_printf(out, ", GRACE PERIOD %lld ms, RETENTION %lld ms)", (long long)w->grace_ms,
                  (long long)w->retention_ms);
    }
    sb_printf(out, " EMIT %s\n", p->u.aggregate.emit_final ? "FINAL" : "CHANGES");
    for (int i = 0; i < depth; i++)
        sb_puts(out, "  ");
    sb_puts(out, "    aggregates: ");
    for (int i = 0; i < p->u.aggregate.naggs; i++)
        sb_printf(out, "%s%s", i ? ", " : "", p->u.aggregate.agg_texts[i]);
    if (p->u.aggregate.naggs == 0)
        sb_puts(out, "(none)");
    sb_puts(out, "\n");
    for (int i = 0; i < depth; i++)
        sb_puts(out, "  ");
    const char *q = qid ? qid : "<query id>";
    sb_printf(out, "    state stores: %s.%s (key | window -> aggregate states), %s.meta (stream time)",
              q, p->u.aggregate.store, q);
    if (w->kind != WKIND_NONE)
        sb_printf(out, ", %s.expiry (retention index)", q);
    if (p->u.aggregate.emit_final)
        sb_printf(out, ", %s.final (windows awaiting EMIT FINAL)", q);
    sb_puts(out, "\n");
    for (int i = 0; i < depth; i++)
        sb_puts(out, "  ");
    sb_puts(out, "    internal topics: none in one process (tasks hand each row to the task"
                 " that owns its group, or one task reads every partition); a repartition"
                 " topic when its tasks are shared by an application's members (below)");
}

static void explain_node(const Plan *p, const char *qid, int depth, StrBuf *out)
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
        sb_printf(out, " %s %s%s", p->input && p->input->tag == PLAN_AGGREGATE ? "HAVING" : "WHERE",
                  p->u.filter.text, p->u.filter.changelog ? " (failing rows become tombstones)" : "");
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
    case PLAN_AGGREGATE:
        explain_aggregate(p, qid, depth, out);
        break;
    case PLAN_JOIN: {
        static const char *const types[] = {"INNER", "LEFT OUTER", "RIGHT OUTER", "FULL OUTER"};
        static const char *const kinds[] = {"stream-stream", "stream-table", "table-table",
                                            "table-table foreign key"};
        sb_printf(out, " %s %s ON %s", types[p->u.join.type], kinds[p->u.join.kind], p->u.join.on_text);
        if (p->u.join.kind == JOIN_STREAM_STREAM)
            sb_printf(out, " WITHIN (%lld ms, %lld ms) GRACE PERIOD %lld ms%s",
                      (long long)p->u.join.before_ms, (long long)p->u.join.after_ms,
                      (long long)p->u.join.grace_ms, p->u.join.grace_given ? "" : " (default)");
        sb_puts(out, "\n");
        for (int i = 0; i < depth; i++)
            sb_puts(out, "  ");
        const char *q = qid ? qid : "<query id>";
        int id = p->u.join.id;
        if (p->u.join.kind == JOIN_STREAM_STREAM)
            sb_printf(out, "    state stores: %s.join%d.buf0, .buf1 (rows within the window), .exp0, .exp1 (by time), .meta",
                      q, id);
        else if (p->u.join.kind == JOIN_STREAM_TABLE)
            sb_printf(out, "    state stores: %s.join%d.tab1 (the table's rows), .meta", q, id);
        else
            sb_printf(out, "    state stores: %s.join%d.tab0, .tab1 (both tables' rows)%s, .meta", q, id,
                      p->u.join.kind == JOIN_TABLE_TABLE_FK ? ", .fk (foreign key -> left keys)" : "");
        sb_puts(out, "\n");
        for (int i = 0; i < depth; i++)
            sb_puts(out, "  ");
        if (p->u.join.kind == JOIN_TABLE_TABLE_FK)
            sb_puts(out, "    internal topics: none in one process (one task reads every"
                         " partition); a repartition topic when its tasks are shared by an"
                         " application's members (below): the left table's rows stay in their"
                         " task, the right table's go to every task, each keeping a copy");
        else if (p->u.join.kind == JOIN_TABLE_TABLE)
            sb_puts(out, "    internal topics: none (task p joins partition p of both sides when"
                         " both are keyed by the join key, else one task reads every partition)");
        else
            sb_puts(out, "    internal topics: none in one process (task p joins partition p of"
                         " both sides when both are keyed by the join key, else one task reads"
                         " every partition); a repartition topic when its tasks are shared by an"
                         " application's members (below)");
        break;
    }
    case PLAN_SCORE: {
        sb_puts(out, " ");
        for (int i = 0; i < p->u.score.ncalls; i++)
            sb_printf(out, "%s%s", i ? ", " : "", p->u.score.calls[i].text);
        sb_puts(out, "\n");
        for (int i = 0; i < depth; i++)
            sb_puts(out, "  ");
        sb_puts(out, "    models: ");
        for (int i = 0; i < p->u.score.ncalls; i++) {
            const CatModel *m = p->u.score.calls[i].model;
            bool seen = false;
            for (int j = 0; j < i; j++)
                seen |= p->u.score.calls[j].model == m;
            if (seen)
                continue;
            const CatModelVersion *v = m->current;
            sb_printf(out, "%s%s version %d (%s %s, %d feature%s)", i ? ", " : "", m->name,
                      v->version, model_format_name(v->format), v->objective, v->num_features,
                      v->num_features == 1 ? "" : "s");
        }
        sb_puts(out, "; one model call per poll batch, rows wait in the node until it ends");
        break;
    }
    case PLAN_FLATMAP:
        sb_puts(out, " ");
        for (int i = 0; i < p->u.flatmap.n; i++)
            sb_printf(out, "%s%s", i ? ", " : "", p->u.flatmap.texts[i]);
        sb_puts(out, " (one row per element; several calls are zipped)");
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
        explain_node(p->input, qid, depth + 1, out);
    if (p->right)
        explain_node(p->right, qid, depth + 1, out);
}

void plan_explain(const Plan *p, const char *query_id, StrBuf *out)
{
    explain_node(p, query_id, 0, out);
}
