/*
 * vars.c - ksqlDB's variable substitution: DEFINE name = 'value',
 * UNDEFINE name, SHOW VARIABLES, and the lookup the parser substitutes
 * ${name} with (engine_execute hands engine_var_lookup to
 * parse_script_vars, off when ksql.variable.substitution.enable is false
 * or while the command log or the command topic's statements run).
 *
 * The variables live as long as the engine's session: a REPL, an `eddy
 * run`, a QTT case.  The server swaps in a request's own set
 * (engine_vars_begin/end) so a request's DEFINEs and sessionVariables end
 * with it.  Variables are never persisted: statement texts are logged
 * after substitution, so a restart does not depend on them.
 * Names compare without case (ksqlDB); they are listed as first written,
 * in the order they were defined.
 */
#include "engine_int.h"
#include "table_fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct EngineVars {
    char **names, **values;
    int n;
};

static int var_find(const EngineVars *v, const char *name)
{
    for (int i = 0; v && i < v->n; i++)
        if (str_ieq(v->names[i], name))
            return i;
    return -1;
}

const char *engine_var_lookup(void *ud, const char *name)
{
    Engine *e = ud;
    int i = var_find(e->vars, name);
    return i < 0 ? NULL : e->vars->values[i];
}

bool engine_vars_enabled(Engine *e)
{
    /* the log's and the command topic's texts are substituted already: a
     * ${ left in them is literal ($${ in the original) */
    return !e->replaying && !e->remote_command &&
           !str_ieq(catalog_prop(&e->cat, "ksql.variable.substitution.enable", "true"), "false");
}

void engine_define(Engine *e, const char *name, const char *value)
{
    if (e->vars == NULL)
        e->vars = calloc(1, sizeof *e->vars);
    EngineVars *v = e->vars;
    int i = var_find(v, name);
    if (i >= 0) {   /* keeps its place in SHOW VARIABLES */
        free(v->values[i]);
        v->values[i] = strdup(value);
        return;
    }
    v->names = realloc(v->names, sizeof(char *) * (size_t)(v->n + 1));
    v->values = realloc(v->values, sizeof(char *) * (size_t)(v->n + 1));
    v->names[v->n] = strdup(name);
    v->values[v->n++] = strdup(value);
}

int engine_var_at(Engine *e, int i, const char **name, const char **value)
{
    if (e->vars == NULL || i < 0 || i >= e->vars->n)
        return -1;
    *name = e->vars->names[i];
    *value = e->vars->values[i];
    return 0;
}

static bool var_undefine(EngineVars *v, const char *name)
{
    int i = var_find(v, name);
    if (i < 0)
        return false;
    free(v->names[i]);
    free(v->values[i]);
    memmove(&v->names[i], &v->names[i + 1], sizeof(char *) * (size_t)(v->n - i - 1));
    memmove(&v->values[i], &v->values[i + 1], sizeof(char *) * (size_t)(v->n - i - 1));
    v->n--;
    return true;
}

void engine_vars_free(EngineVars *v)
{
    if (v == NULL)
        return;
    for (int i = 0; i < v->n; i++) {
        free(v->names[i]);
        free(v->values[i]);
    }
    free(v->names);
    free(v->values);
    free(v);
}

EngineVars *engine_vars_begin(Engine *e)
{
    EngineVars *outer = e->vars;
    e->vars = NULL;
    return outer;
}

void engine_vars_end(Engine *e, EngineVars *outer)
{
    engine_vars_free(e->vars);
    e->vars = outer;
}

int exec_define(Engine *e, const AstStmt *s, EddyError *err)
{
    (void)err;
    if (s->kind == STMT_DEFINE) {
        engine_define(e, s->u.define.name, s->u.define.value);
        return 0;
    }
    if (!var_undefine(e->vars, s->u.define.name)) {   /* ksqlDB warns, and goes on */
        char buf[300];
        snprintf(buf, sizeof buf, "Cannot undefine variable '%s' which was never defined\n",
                 s->u.define.name);
        engine_text(e, buf);
    }
    return 0;
}

void show_variables(Engine *e)
{
    TextTable t;
    tfmt_init(&t, 2);
    tfmt_cell(&t, "Variable Name");
    tfmt_cell(&t, "Value");
    for (int i = 0; e->vars && i < e->vars->n; i++) {
        tfmt_cell(&t, e->vars->names[i]);
        tfmt_cell(&t, e->vars->values[i]);
    }
    StrBuf sb;
    sb_init(&sb);
    tfmt_render(&t, &sb);
    engine_text(e, sb.data ? sb.data : "");
    sb_free(&sb);
    tfmt_free(&t);
}
