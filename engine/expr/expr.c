/*
 * expr.c - evaluates bound expressions over a row.
 *
 * SQL three-valued logic: NULL propagates through arithmetic, comparison
 * and most functions; AND/OR follow Kleene's tables; WHERE keeps a row only
 * for a non-null TRUE.  Errors inside one row (integer division by zero, a
 * failed CAST, a function rejecting its input) give NULL for that
 * expression and are counted in the EvalCtx, as ksqlDB logs and continues.
 */
#include "eddy/ast.h"
#include "expr_int.h"

#include <math.h>
#include <string.h>

static void eval_error(EvalCtx *ctx, const BExpr *e, const char *msg)
{
    ctx->errors++;
    eddy_error(&ctx->last_error, ERR_RUNTIME, e->pos, "%s", msg);
}

/* ---- arithmetic -------------------------------------------------------- */

static int64_t pow10_i64(int n)
{
    int64_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

/* Rescales an unscaled decimal from scale `from` to `to`, rounding half up. */
static bool dec_rescale(__int128 v, int from, int to, __int128 *out)
{
    if (to >= from) {
        for (int i = from; i < to; i++) {
            v *= 10;
            if (v > (__int128)INT64_MAX * 10 || v < (__int128)INT64_MIN * 10)
                return false;
        }
        *out = v;
        return true;
    }
    __int128 div = pow10_i64(from - to);
    __int128 q = v / div, r = v % div;
    if (r * 2 >= div)
        q++;
    else if (r * 2 <= -div)
        q--;
    *out = q;
    return true;
}

static bool dec_fits(__int128 v, int precision)
{
    __int128 lim = pow10_i64(precision > 18 ? 18 : precision);
    if (precision > 18)
        lim = (__int128)INT64_MAX + 1;
    return v < lim && v > -lim;
}

static bool eval_decimal(int op, const Value *a, const Value *b, const SqlType *t, Value *out,
                         const char **why)
{
    __int128 x = a->u.dec.unscaled, y = b->u.dec.unscaled, r;
    int sa = a->u.dec.scale, sb = b->u.dec.scale, st = t->scale;
    switch (op) {
    case OP_ADD:
    case OP_SUB: {
        int s = sa > sb ? sa : sb;
        if (!dec_rescale(x, sa, s, &x) || !dec_rescale(y, sb, s, &y)) {
            *why = "decimal overflow";
            return false;
        }
        r = op == OP_ADD ? x + y : x - y;
        if (!dec_rescale(r, s, st, &r)) {
            *why = "decimal overflow";
            return false;
        }
        break;
    }
    case OP_MUL:
        r = x * y;
        if (!dec_rescale(r, sa + sb, st, &r)) {
            *why = "decimal overflow";
            return false;
        }
        break;
    case OP_DIV:
    case OP_MOD:
        if (y == 0) {
            *why = "division by zero";
            return false;
        }
        if (op == OP_MOD) {
            int s = sa > sb ? sa : sb;
            dec_rescale(x, sa, s, &x);
            dec_rescale(y, sb, s, &y);
            r = x % y;
            dec_rescale(r, s, st, &r);
        } else {
            /* x/10^sa / (y/10^sb) at scale st: x * 10^(st + sb - sa) / y, half up */
            int shift = st + sb - sa;
            __int128 num = x;
            if (shift >= 0) {
                if (!dec_rescale(num, 0, shift, &num)) {
                    *why = "decimal overflow";
                    return false;
                }
            } else {
                dec_rescale(num, -shift, 0, &num);
            }
            __int128 q = num / y, rem = num % y;
            if (rem != 0 && (rem < 0 ? -rem : rem) * 2 >= (y < 0 ? -y : y))
                q += ((num < 0) != (y < 0)) ? -1 : 1;
            r = q;
        }
        break;
    default:
        EDDY_PANIC("bad decimal op %d", op);
    }
    if (!dec_fits(r, t->precision)) {
        *why = "decimal value exceeds its precision";
        return false;
    }
    *out = v_decimal((int64_t)r, t->precision, st);
    return true;
}

static void eval_arith(const BExpr *e, const Value *a, const Value *b, EvalCtx *ctx, Value *out)
{
    int op = e->u.binary.op;
    switch (e->type->kind) {
    case TYPE_INT: {
        uint32_t x = (uint32_t)a->u.i32, y = (uint32_t)b->u.i32;
        int32_t r;
        switch (op) {
        case OP_ADD: r = (int32_t)(x + y); break;
        case OP_SUB: r = (int32_t)(x - y); break;
        case OP_MUL: r = (int32_t)(x * y); break;
        default:
            if (b->u.i32 == 0) {
                eval_error(ctx, e, "division by zero");
                *out = v_null();
                return;
            }
            if (a->u.i32 == INT32_MIN && b->u.i32 == -1)
                r = op == OP_DIV ? INT32_MIN : 0;
            else
                r = op == OP_DIV ? a->u.i32 / b->u.i32 : a->u.i32 % b->u.i32;
        }
        *out = v_int(r);
        return;
    }
    case TYPE_BIGINT: {
        uint64_t x = (uint64_t)a->u.i64, y = (uint64_t)b->u.i64;
        int64_t r;
        switch (op) {
        case OP_ADD: r = (int64_t)(x + y); break;
        case OP_SUB: r = (int64_t)(x - y); break;
        case OP_MUL: r = (int64_t)(x * y); break;
        default:
            if (b->u.i64 == 0) {
                eval_error(ctx, e, "division by zero");
                *out = v_null();
                return;
            }
            if (a->u.i64 == INT64_MIN && b->u.i64 == -1)
                r = op == OP_DIV ? INT64_MIN : 0;
            else
                r = op == OP_DIV ? a->u.i64 / b->u.i64 : a->u.i64 % b->u.i64;
        }
        *out = v_bigint(r);
        return;
    }
    case TYPE_DOUBLE: {
        double x = a->u.d, y = b->u.d, r;
        switch (op) {
        case OP_ADD: r = x + y; break;
        case OP_SUB: r = x - y; break;
        case OP_MUL: r = x * y; break;
        case OP_DIV: r = x / y; break;
        default: r = fmod(x, y); break;
        }
        *out = v_double(r);
        return;
    }
    case TYPE_DECIMAL: {
        const char *why = NULL;
        if (!eval_decimal(op, a, b, e->type, out, &why)) {
            eval_error(ctx, e, why);
            *out = v_null();
        }
        return;
    }
    default:
        EDDY_PANIC("arithmetic on %s", type_kind_name(e->type->kind));
    }
}

/* ---- LIKE -------------------------------------------------------------- */

/* SQL LIKE: % any run, _ one character (UTF-8 aware), escape char literal. */
static int utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static bool like_match(const char *s, const char *se, const char *p, const char *pe, char esc)
{
    while (p < pe) {
        if (esc && *p == esc && p + 1 < pe) {
            if (s >= se || *s != p[1])
                return false;
            s++;
            p += 2;
        } else if (*p == '%') {
            while (p < pe && *p == '%')
                p++;
            if (p == pe)
                return true;
            for (const char *t = s; t <= se; t += (t < se ? utf8_len((unsigned char)*t) : 1))
                if (like_match(t, se, p, pe, esc))
                    return true;
            return false;
        } else if (*p == '_') {
            if (s >= se)
                return false;
            s += utf8_len((unsigned char)*s);
            if (s > se)
                return false;
            p++;
        } else {
            if (s >= se || *s != *p)
                return false;
            s++;
            p++;
        }
    }
    return s == se;
}

/* ---- the walk ---------------------------------------------------------- */

static Value eval(const BExpr *e, const Row *row, EvalCtx *ctx);

static int tristate(const Value *v)   /* -1 null, 0 false, 1 true */
{
    return v->kind == TYPE_NULL ? -1 : v->u.b ? 1 : 0;
}

static Value from_tristate(int t)
{
    return t < 0 ? v_null() : v_bool(t == 1);
}

static int compare_op(int op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    default: EDDY_PANIC("bad comparison op %d", op);
    }
}

/* ksqlDB compiles comparisons with a null check that yields false (not
 * unknown) when either side is null, so NOT (x > 2) passes a null x. */
static Value eval_cmp(const BExpr *e, const Value *a, const Value *b, EvalCtx *ctx)
{
    if (a->kind == TYPE_NULL || b->kind == TYPE_NULL)
        return v_bool(false);
    bool ok = true;
    int c = value_compare(a, b, &ok);
    if (!ok) {
        eval_error(ctx, e, "values are not comparable");
        return v_null();
    }
    return v_bool(compare_op(e->u.binary.op, c));
}

static Value eval_func(const BExpr *e, const Row *row, EvalCtx *ctx)
{
    int n = e->u.func.nargs;
    Value stackargs[8];
    Value *args = n <= 8 ? stackargs : arena_alloc(ctx->arena, sizeof(Value) * (size_t)n);
    const ResolvedCall *call = &e->u.func.call;
    for (int i = 0; i < n; i++) {
        args[i] = eval(e->u.func.args[i], row, ctx);
        if (call->null_in_null_out && args[i].kind == TYPE_NULL)
            return v_null();
    }
    Value out = v_null();
    EddyError ferr;
    eddy_error_clear(&ferr);
    FuncCtx fctx = {.arena = ctx->arena, .err = &ferr, .types = call->params};
    if (call->fn(args, n, &out, &fctx) != 0) {
        ctx->errors++;
        eddy_error(&ctx->last_error, ERR_RUNTIME, e->pos, "%s: %s", call->name,
                   ferr.msg[0] ? ferr.msg : "failed");
        return v_null();
    }
    return out;
}

static Value eval_subscript(const BExpr *e, const Value *a, const Value *i)
{
    if (a->kind == TYPE_NULL || i->kind == TYPE_NULL)
        return v_null();
    if (a->kind == TYPE_ARRAY) {
        int64_t idx = i->kind == TYPE_INT ? i->u.i32 : i->u.i64;
        int64_t n = a->u.arr.n;
        /* ksqlDB arrays are 1-based; negative indexes count from the end. */
        int64_t at = idx > 0 ? idx - 1 : idx < 0 ? n + idx : -1;
        if (at < 0 || at >= n)
            return v_null();
        return a->u.arr.items[at];
    }
    if (a->kind == TYPE_MAP) {
        for (int32_t k = 0; k < a->u.map.n; k++)
            if (value_equal(&a->u.map.keys[k], i))
                return a->u.map.vals[k];
        return v_null();
    }
    (void)e;
    return v_null();
}

static Value eval(const BExpr *e, const Row *row, EvalCtx *ctx)
{
    switch (e->kind) {
    case BX_CONST:
        return e->u.constant;
    case BX_COLUMN:
        return row->cols[e->u.column];
    case BX_PSEUDO:
        switch (e->u.pseudo) {
        case PSEUDO_ROWTIME: return v_bigint(row->rowtime);
        case PSEUDO_ROWPARTITION: return v_int(row->partition);
        case PSEUDO_ROWOFFSET: return v_bigint(row->offset);
        case PSEUDO_WINDOWSTART: return row->window_start >= 0 ? v_bigint(row->window_start) : v_null();
        case PSEUDO_WINDOWEND: return row->window_start >= 0 ? v_bigint(row->window_end) : v_null();
        }
        EDDY_PANIC("bad pseudo column %d", (int)e->u.pseudo);
    case BX_CAST: {
        Value a = eval(e->u.unary.a, row, ctx), out;
        if (a.kind == TYPE_NULL)
            return a;
        EddyError cerr;
        if (value_cast_from(&a, e->u.unary.a->type, e->type, ctx->arena, &out, &cerr) != 0) {
            ctx->errors++;
            ctx->last_error = cerr;
            ctx->last_error.pos = e->pos;
            return v_null();
        }
        return out;
    }
    case BX_NEG: {
        Value a = eval(e->u.unary.a, row, ctx);
        switch (a.kind) {
        case TYPE_NULL: return a;
        case TYPE_INT: return v_int((int32_t)(0u - (uint32_t)a.u.i32));
        case TYPE_BIGINT: return v_bigint((int64_t)(0ull - (uint64_t)a.u.i64));
        case TYPE_DOUBLE: return v_double(-a.u.d);
        case TYPE_DECIMAL: return v_decimal(-a.u.dec.unscaled, a.u.dec.precision, a.u.dec.scale);
        default: EDDY_PANIC("negation of %s", type_kind_name(a.kind));
        }
    }
    case BX_NOT: {
        Value a = eval(e->u.unary.a, row, ctx);
        int t = tristate(&a);
        return t < 0 ? v_null() : v_bool(!t);
    }
    case BX_ARITH: {
        Value a = eval(e->u.binary.a, row, ctx);
        if (a.kind == TYPE_NULL)
            return a;
        Value b = eval(e->u.binary.b, row, ctx);
        if (b.kind == TYPE_NULL)
            return b;
        Value out;
        eval_arith(e, &a, &b, ctx, &out);
        return out;
    }
    case BX_CONCAT: {
        Value a = eval(e->u.binary.a, row, ctx);
        Value b = eval(e->u.binary.b, row, ctx);
        if (a.kind == TYPE_NULL || b.kind == TYPE_NULL)
            return v_null();
        int32_t n = a.u.str.len + b.u.str.len;
        char *p = arena_alloc(ctx->arena, (size_t)n + 1);
        memcpy(p, a.u.str.ptr, (size_t)a.u.str.len);
        memcpy(p + a.u.str.len, b.u.str.ptr, (size_t)b.u.str.len);
        return v_string_borrow(p, n);
    }
    case BX_CMP: {
        Value a = eval(e->u.binary.a, row, ctx);
        Value b = eval(e->u.binary.b, row, ctx);
        return eval_cmp(e, &a, &b, ctx);
    }
    case BX_AND: {
        Value a = eval(e->u.binary.a, row, ctx);
        int ta = tristate(&a);
        if (ta == 0)
            return v_bool(false);
        Value b = eval(e->u.binary.b, row, ctx);
        int tb = tristate(&b);
        if (tb == 0)
            return v_bool(false);
        return from_tristate(ta < 0 || tb < 0 ? -1 : 1);
    }
    case BX_OR: {
        Value a = eval(e->u.binary.a, row, ctx);
        int ta = tristate(&a);
        if (ta == 1)
            return v_bool(true);
        Value b = eval(e->u.binary.b, row, ctx);
        int tb = tristate(&b);
        if (tb == 1)
            return v_bool(true);
        return from_tristate(ta < 0 || tb < 0 ? -1 : 0);
    }
    case BX_IS_NULL: {
        Value a = eval(e->u.unary.a, row, ctx);
        bool isnull = a.kind == TYPE_NULL;
        return v_bool(e->negated ? !isnull : isnull);
    }
    case BX_DISTINCT: {
        Value a = eval(e->u.binary.a, row, ctx);
        Value b = eval(e->u.binary.b, row, ctx);
        bool distinct = !value_equal(&a, &b);
        return v_bool(e->negated ? !distinct : distinct);
    }
    case BX_LIKE: {
        Value a = eval(e->u.like.a, row, ctx);
        Value p = eval(e->u.like.pattern, row, ctx);
        if (a.kind == TYPE_NULL || p.kind == TYPE_NULL)
            return v_null();
        bool m = like_match(a.u.str.ptr, a.u.str.ptr + a.u.str.len, p.u.str.ptr,
                            p.u.str.ptr + p.u.str.len, e->u.like.escape);
        return v_bool(e->negated ? !m : m);
    }
    case BX_BETWEEN: {
        Value a = eval(e->u.between.a, row, ctx);
        Value lo = eval(e->u.between.lo, row, ctx);
        Value hi = eval(e->u.between.hi, row, ctx);
        if (a.kind == TYPE_NULL || lo.kind == TYPE_NULL || hi.kind == TYPE_NULL)
            return v_bool(false);   /* as comparisons: false with a null */
        bool ok1 = true, ok2 = true;
        bool in = value_compare(&a, &lo, &ok1) >= 0 && value_compare(&a, &hi, &ok2) <= 0;
        if (!ok1 || !ok2) {
            eval_error(ctx, e, "values are not comparable");
            return v_null();
        }
        return v_bool(e->negated ? !in : in);
    }
    case BX_IN: {
        Value a = eval(e->u.in.a, row, ctx);
        if (a.kind == TYPE_NULL)
            return v_null();
        bool saw_null = false;
        for (int i = 0; i < e->u.in.n; i++) {
            Value v = eval(e->u.in.list[i], row, ctx);
            if (v.kind == TYPE_NULL) {
                saw_null = true;
                continue;
            }
            bool ok = true;
            if (value_compare(&a, &v, &ok) == 0 && ok)
                return v_bool(!e->negated);
        }
        return saw_null ? v_null() : v_bool(e->negated);
    }
    case BX_CASE:
        for (int i = 0; i < e->u.case_.n; i++) {
            Value w = eval(e->u.case_.whens[i], row, ctx);
            if (tristate(&w) == 1)
                return eval(e->u.case_.thens[i], row, ctx);
        }
        return e->u.case_.else_ ? eval(e->u.case_.else_, row, ctx) : v_null();
    case BX_FUNC:
        return eval_func(e, row, ctx);
    case BX_DEREF: {
        Value s = eval(e->u.deref.a, row, ctx);
        if (s.kind == TYPE_NULL || e->u.deref.field >= s.u.st.n)
            return v_null();
        return s.u.st.fields[e->u.deref.field];
    }
    case BX_SUBSCRIPT: {
        Value a = eval(e->u.binary.a, row, ctx);
        Value i = eval(e->u.binary.b, row, ctx);
        return eval_subscript(e, &a, &i);
    }
    case BX_ARRAY: {
        Value out;
        out.kind = TYPE_ARRAY;
        out.u.arr.n = e->u.list.n;
        out.u.arr.items = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(e->u.list.n + 1));
        for (int i = 0; i < e->u.list.n; i++)
            out.u.arr.items[i] = eval(e->u.list.items[i], row, ctx);
        return out;
    }
    case BX_STRUCT: {
        Value out;
        out.kind = TYPE_STRUCT;
        out.u.st.n = e->u.list.n;
        out.u.st.fields = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(e->u.list.n + 1));
        for (int i = 0; i < e->u.list.n; i++)
            out.u.st.fields[i] = eval(e->u.list.items[i], row, ctx);
        return out;
    }
    case BX_MAP: {
        Value out;
        out.kind = TYPE_MAP;
        int n = e->u.map.n;
        out.u.map.keys = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(n + 1));
        out.u.map.vals = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(n + 1));
        out.u.map.n = 0;
        for (int i = 0; i < n; i++) {
            Value k = eval(e->u.map.keys[i], row, ctx);
            Value v = eval(e->u.map.vals[i], row, ctx);
            int32_t j;
            for (j = 0; j < out.u.map.n; j++)   /* a repeated key keeps the last value */
                if (value_equal(&out.u.map.keys[j], &k))
                    break;
            out.u.map.keys[j] = k;
            out.u.map.vals[j] = v;
            if (j == out.u.map.n)
                out.u.map.n++;
        }
        return out;
    }
    case BX_LAMBDA_VAR:
        return ctx->vars[e->u.column];
    case BX_LAMBDA_CALL:
        return expr_eval_lambda(e, row, ctx);
    }
    EDDY_PANIC("bad expression kind %d", (int)e->kind);
}

void expr_eval(const BExpr *e, const Row *row, EvalCtx *ctx, Value *out)
{
    *out = eval(e, row, ctx);
}

bool expr_eval_pred(const BExpr *e, const Row *row, EvalCtx *ctx)
{
    Value v = eval(e, row, ctx);
    return v.kind == TYPE_BOOLEAN && v.u.b;
}

bool expr_is_constant(const BExpr *e)
{
    switch (e->kind) {
    case BX_CONST:
        return true;
    case BX_COLUMN:
    case BX_PSEUDO:
        return false;
    case BX_CAST: case BX_NEG: case BX_NOT: case BX_IS_NULL:
        return expr_is_constant(e->u.unary.a);
    case BX_ARITH: case BX_CONCAT: case BX_CMP: case BX_AND: case BX_OR:
    case BX_DISTINCT: case BX_SUBSCRIPT:
        return expr_is_constant(e->u.binary.a) && expr_is_constant(e->u.binary.b);
    case BX_LIKE:
        return expr_is_constant(e->u.like.a) && expr_is_constant(e->u.like.pattern);
    case BX_BETWEEN:
        return expr_is_constant(e->u.between.a) && expr_is_constant(e->u.between.lo) &&
               expr_is_constant(e->u.between.hi);
    default:
        return false;  /* functions may be non-deterministic (RANDOM, UNIX_TIMESTAMP()) */
    }
}
