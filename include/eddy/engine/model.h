/*
 * model.h - machine-learning models for PREDICT: load a model's bytes,
 * describe it, score a batch of rows.
 *
 * In: the bytes of a model file and a format; out: a Model that turns a
 * row-major matrix of DOUBLE features (NaN = missing) into one or more
 * DOUBLE outputs per row.  Self-contained: depends on base (EddyError,
 * arenas), jansson, libxgboost and OpenSSL's libcrypto, nothing else in
 * the engine.
 *
 * Formats:
 *
 *  XGBOOST  a model saved by xgboost's Booster.save_model (or
 *           XGBoosterSaveModel) as JSON or UBJSON (xgboost >= 1.6 writes
 *           UBJSON for a ".ubj" file name), with the gbtree, dart or
 *           gblinear booster.  Scored by libxgboost itself (Debian's 1.7.4),
 *           so an output is exactly what python's Booster.predict(DMatrix)
 *           returns for the same rows: the objective's transformed value
 *           (a probability for binary:logistic, the value for
 *           reg:squarederror, exp() for count:poisson, the class index for
 *           multi:softmax, the num_class probabilities for multi:softprob,
 *           the margin for binary:logitraw and the rank:* objectives), with
 *           the model's base_score applied; xgboost computes in float32,
 *           and each output is that float widened to double.  A NaN feature
 *           is "missing" and follows each split's default direction, as in
 *           xgboost.  A value beyond float32's range (infinities included)
 *           compares like +/-infinity with every split; gblinear gets it as
 *           +/-FLT_MAX (xgboost's DMatrix would refuse the whole batch).
 *           xgboost's old binary format and categorical splits are refused.
 *
 *           Before libxgboost sees the bytes, model.c parses them itself
 *           (JSON with jansson, UBJSON with its own bounded decoder) and
 *           checks the structure prediction relies on: every tree's arrays
 *           have num_nodes entries, children are in range and form a tree
 *           (no node reached twice), split features are below num_feature,
 *           tree_info names an existing output group, gblinear has
 *           (num_feature + 1) * groups weights.  libxgboost 1.7.4 checks
 *           none of these: a cyclic tree makes it loop forever, an
 *           out-of-range child or a truncated UBJSON file crashes it.
 *           Loading therefore holds the whole document in memory once,
 *           briefly (a few times the file's size).
 *
 *  LINEAR   a small JSON document, eddy's own:
 *
 *             {"type": "linear" | "logistic",
 *              "features": ["SPEED", "VISIBILITY", ...],
 *              "coefficients": [0.08, -0.5, ...],
 *              "intercept": -4.2}
 *
 *           All four keys are required and no other key is allowed;
 *           features are distinct (case-insensitively) non-empty names,
 *           one coefficient per feature, all numbers finite.  The output is
 *           z = intercept + sum(coefficients[i] * x[i]) for "linear" and
 *           1 / (1 + exp(-z)) for "logistic".  A linear model cannot skip a
 *           feature, so a NaN (missing) feature gives a NaN output (the
 *           engine turns it into NULL).
 *
 * Threads: libxgboost would run its OpenMP threads on every core, and
 * the engine runs its own threads: each booster is set to nthread=1, and
 * each thread that calls into libxgboost to one OpenMP thread
 * (omp_set_num_threads(1), a per-thread setting that model loading obeys).
 * model_predict may be called from any thread; calls on one Model are
 * serialised by a lock inside it.  libxgboost's own messages are silenced
 * (verbosity 0, per calling thread): errors come back as EddyError.
 *
 * Errors: a bad model (empty, truncated, garbage, malformed structure,
 * LINEAR with mismatched lengths or non-finite numbers) fails model_load
 * with ERR_ANALYSIS and a message naming what is wrong, without position
 * (the caller knows the statement's).  model_predict fails with
 * ERR_RUNTIME (wrong feature count, or libxgboost's error).
 */
#ifndef EDDY_MODEL_H
#define EDDY_MODEL_H

#include "eddy/base.h"

typedef enum ModelFormat {
    MODEL_FORMAT_AUTO,      /* XGBOOST or LINEAR, from the bytes */
    MODEL_FORMAT_XGBOOST,
    MODEL_FORMAT_LINEAR
} ModelFormat;

typedef struct Model Model;

/* What DESCRIBE MODEL shows and what analysis checks PREDICT against.
 * Strings and arrays are owned by the Model. */
typedef struct ModelInfo {
    ModelFormat format;            /* XGBOOST or LINEAR, never AUTO */
    const char *encoding;          /* "JSON" or "UBJSON" */
    const char *booster;           /* "gbtree", "dart", "gblinear"; NULL for LINEAR */
    const char *objective;         /* xgboost's objective name, e.g. "binary:logistic",
                                    * "reg:squarederror", "multi:softprob";
                                    * "linear" or "logistic" for LINEAR */
    int num_features;              /* >= 1 */
    const char *const *feature_names;  /* num_features names, or NULL when the model has
                                        * none (xgboost trained without names) */
    int num_outputs;               /* values per row: num_class for multi:softprob,
                                    * 1 otherwise */
    int num_rounds;                /* boosting rounds (xgboost); 0 for LINEAR */
} ModelInfo;

/* "XGBOOST", "LINEAR" (and "AUTO"). */
const char *model_format_name(ModelFormat fmt);

/* Parses a FORMAT property value, case-insensitively: "XGBOOST" or
 * "LINEAR".  Returns 0, or -1 for any other name. */
int model_format_from_name(const char *name, ModelFormat *out);

/* Parses and checks bytes[0..n) as a model of the given format (AUTO: an
 * XGBoost model if it is UBJSON or JSON with a "learner" object, LINEAR if
 * JSON with a "type" key).  Borrows bytes for the call only.  Returns a
 * Model owned by the caller (free with model_destroy), or NULL with err
 * set (ERR_ANALYSIS, no position). */
Model *model_load(const void *bytes, size_t n, ModelFormat fmt, EddyError *err);

void model_destroy(Model *m);

/* Owned by m; valid until model_destroy. */
const ModelInfo *model_info(const Model *m);

/* Scores nrows rows: x holds nrows * ncols DOUBLEs row-major (NaN =
 * missing); out receives nrows * num_outputs DOUBLEs row-major.  ncols
 * must equal num_features.  One libxgboost call for the whole batch.
 * Returns 0, or -1 with err (ERR_RUNTIME); out is then undefined. */
int model_predict(Model *m, const double *x, size_t nrows, size_t ncols, double *out,
                  EddyError *err);

/* The SHA-256 of bytes[0..n) as 64 lower-case hex digits and a NUL (the
 * catalog's record of which bytes a model version was loaded from).
 * Computed by OpenSSL's libcrypto.  Returns 0, or -1 with err (ERR_INTERNAL)
 * if libcrypto cannot provide SHA-256 (out is then ""). */
int model_sha256_hex(const void *bytes, size_t n, char out[65], EddyError *err);

/* Reads a whole file as bytes (models may be binary, so base's
 * eddy_read_file, which returns a C string, does not fit).  Returns a
 * buffer owned by the caller (free with free()) holding *n bytes, plus a
 * NUL after them, or NULL with err (ERR_IO naming the path). */
void *model_file_read(const char *path, size_t *n, EddyError *err);

#endif
