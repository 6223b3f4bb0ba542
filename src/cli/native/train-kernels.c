// Native kernels for the trainer in Node (an N-API addon built with gcc -O3 -march=native).
// They implement the same Kernels and Elementwise contracts as src/model/kernels.ts and
// src/model/forward.ts (the reference), on the same Float32Array heap, so the trainer's step is
// the model's own step() with faster parts. Results agree with the reference to fp32 rounding,
// not bit for bit (another summation order, fp32 gates): fine for training, never for the engines.
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include "model-math.h"

// Per-thread state (N-API instance data): every worker thread has its own heap and scratch.
typedef struct {
  float *heap; // the heap's floats
  size_t len;
  napi_ref ref; // keeps the heap's array alive
  float *xt, *yt; // scratch for transposed operands
  size_t xt_len, yt_len;
  float *wt; // unitDiffs: a decoder's W2, transposed
  size_t wt_len;
  float *wmax; // unitDiffs: the largest |W2[v, u]| of each unit u
  size_t wmax_len;
} State;

static State *state(napi_env env) {
  void *p = NULL;
  napi_get_instance_data(env, &p);
  return p;
}

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  State *s = data;
  free(s->xt);
  free(s->yt);
  free(s->wt);
  free(s->wmax);
  free(s);
}

#define CHECK(env, cond, msg) \
  do { if (!(cond)) { napi_throw_range_error(env, NULL, msg); return NULL; } } while (0)

static int args_i32(napi_env env, napi_callback_info info, int32_t *out, size_t n) {
  napi_value argv[12];
  size_t argc = 12;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) return 0;
  for (size_t i = 0; i < n; i++)
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) return 0;
  return 1;
}

// A span [off, off + len) must lie inside the heap.
#define in_heap(off, n) in_span(S, (off), (n))
static int in_span(const State *S, int64_t off, int64_t len) { return S->heap && off >= 0 && len >= 0 && (uint64_t)(off + len) <= S->len; }

static float *grow(float **buf, size_t *have, size_t need) {
  if (need > *have) {
    free(*buf);
    *buf = aligned_alloc(64, ((need * sizeof(float) + 63) / 64) * 64);
    *have = *buf ? need : 0;
  }
  return *buf;
}

// setHeap(Float32Array): every offset afterwards indexes it. Its buffer must never move or shrink.
static napi_value set_heap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(env, argc == 1 && napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) == napi_ok && type == napi_float32_array, "setHeap needs a Float32Array");
  State *S = state(env);
  if (S->ref) napi_delete_reference(env, S->ref);
  napi_create_reference(env, argv[0], 1, &S->ref);
  S->heap = data;
  S->len = length;
  return NULL;
}

// Vectors of VL floats: 512-bit where the machine has AVX-512, else 256-bit. They are loaded by
// dereferencing an under-aligned vector type, never through memcpy: without AVX2, gcc lowers a
// 32-byte memcpy to two 16-byte halves through the stack, and the store-forwarding stall that
// follows made the whole product 5x slower.
#if defined(__AVX512F__)
#define VL 16
#define TR 8 // rows per tile: TR·NV accumulators stay in registers
#else
#define VL 8
#define TR 4
#endif
typedef float vf __attribute__((vector_size(VL * 4), aligned(4)));
static inline vf vload(const float *p) { return *(const vf *)p; }
static inline void vstore(float *p, vf v) { *(vf *)p = v; }

// One tile: TR rows × NV·VL streams of Yᵀ held in TR·NV vector accumulators while i runs over the
// columns, so each load of Xᵀ feeds TR multiply-adds and nothing needs a horizontal sum.
#define TILE(NV)                                                                                  \
  do {                                                                                            \
    vf acc[TR][NV];                                                                               \
    for (int q = 0; q < TR; q++)                                                                  \
      for (int k = 0; k < NV; k++) acc[q][k] = (vf){0};                                           \
    for (int i = 0; i < cols; i++) {                                                              \
      vf xv[NV];                                                                                  \
      for (int k = 0; k < NV; k++) xv[k] = vload(X + (size_t)i * batch + j + VL * k);             \
      for (int q = 0; q < TR; q++) {                                                              \
        const float wq = w[(size_t)(r + q) * cols + i];                                           \
        for (int k = 0; k < NV; k++) acc[q][k] += wq * xv[k];                                     \
      }                                                                                           \
    }                                                                                             \
    for (int q = 0; q < TR; q++)                                                                  \
      for (int k = 0; k < NV; k++) vstore(Y + (size_t)(r + q) * batch + j + VL * k, acc[q][k] + b[r + q]); \
  } while (0)

// Y[j,r] = W[r,:]·X[j,:] + b[r].  Computed as Yᵀ = W·Xᵀ with the batch along the vector lanes.
static void matmul_f32(State *S, float *y, const float *w, const float *b, const float *x, int rows, int cols, int batch) {
  float *restrict X = S->xt; // [cols, batch]
  float *restrict Y = S->yt; // [rows, batch]
  for (int j = 0; j < batch; j++)
    for (int i = 0; i < cols; i++) X[(size_t)i * batch + j] = x[(size_t)j * cols + i];
  const int b2 = batch - batch % (2 * VL), b1 = batch - batch % VL, rt = rows - rows % TR;
  for (int r = 0; r < rt; r += TR) {
    int j = 0;
    for (; j < b2; j += 2 * VL) TILE(2);
    for (; j < b1; j += VL) TILE(1);
  }
  // What the tiles leave: the last rows (all streams) and the last streams (all rows).
  for (int r = 0; r < rows; r++)
    for (int j = r < rt ? b1 : 0; j < batch; j++) {
      float acc = 0;
      for (int i = 0; i < cols; i++) acc += w[(size_t)r * cols + i] * X[(size_t)i * batch + j];
      Y[(size_t)r * batch + j] = acc + b[r];
    }
  for (int j = 0; j < batch; j++)
    for (int r = 0; r < rows; r++) y[(size_t)j * rows + r] = Y[(size_t)r * batch + j];
}

static void matvec_f32(float *restrict y, const float *restrict w, const float *restrict b, const float *restrict x, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float *restrict wr = w + (size_t)r * cols;
    float s = 0;
    for (int i = 0; i < cols; i++) s += wr[i] * x[i];
    y[r] = s + b[r];
  }
}

// matmul(y, w, b, x, rows, cols, batch)
static napi_value matmul(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  int32_t a[7];
  CHECK(env, args_i32(env, info, a, 7), "matmul: 7 integers");
  int64_t rows = a[4], cols = a[5], batch = a[6];
  CHECK(env, rows > 0 && cols > 0 && batch > 0 && in_heap(a[0], rows * batch) && in_heap(a[1], rows * cols) && in_heap(a[2], rows) && in_heap(a[3], cols * batch), "matmul: out of the heap");
  CHECK(env, grow(&S->xt, &S->xt_len, (size_t)cols * batch) && grow(&S->yt, &S->yt_len, (size_t)rows * batch), "matmul: out of memory");
  if (batch == 1) matvec_f32(heap + a[0], heap + a[1], heap + a[2], heap + a[3], rows, cols);
  else matmul_f32(S, heap + a[0], heap + a[1], heap + a[2], heap + a[3], rows, cols, batch);
  return NULL;
}

// matvec(y, w, b, x, rows, cols)
static napi_value matvec(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  int32_t a[6];
  CHECK(env, args_i32(env, info, a, 6), "matvec: 6 integers");
  int64_t rows = a[4], cols = a[5];
  CHECK(env, rows > 0 && cols > 0 && in_heap(a[0], rows) && in_heap(a[1], rows * cols) && in_heap(a[2], rows) && in_heap(a[3], cols), "matvec: out of the heap");
  matvec_f32(heap + a[0], heap + a[1], heap + a[2], heap + a[3], rows, cols);
  return NULL;
}


// lstmCells(g, c, h, n, rows, hStride)
static napi_value lstm_cells(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  int32_t a[6];
  CHECK(env, args_i32(env, info, a, 6), "lstmCells: 6 integers");
  int64_t n = a[3], rows = a[4], hs = a[5];
  CHECK(env, n > 0 && rows > 0 && hs >= n && in_heap(a[0], rows * 4 * n) && in_heap(a[1], rows * n) && in_heap(a[2], (rows - 1) * hs + n), "lstmCells: out of the heap");
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict g = heap + a[0] + r * 4 * n;
    float *restrict c = heap + a[1] + r * n;
    float *restrict h = heap + a[2] + r * hs;
    for (int64_t i = 0; i < n; i++) {
      const float cell = soma_sigmoid(g[n + i]) * c[i] + soma_sigmoid(g[i]) * soma_tanh(g[2 * n + i]);
      c[i] = cell;
      h[i] = soma_sigmoid(g[3 * n + i]) * soma_tanh(cell);
    }
  }
  return NULL;
}

// layerNorms(x, xStride, out, outStride, gain, bias, n, rows)
static napi_value layer_norms(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  int32_t a[8];
  CHECK(env, args_i32(env, info, a, 8), "layerNorms: 8 integers");
  int64_t n = a[6], rows = a[7];
  CHECK(env, n > 0 && rows > 0 && in_heap(a[0], (rows - 1) * a[1] + n) && in_heap(a[2], (rows - 1) * a[3] + n) && in_heap(a[4], n) && in_heap(a[5], n), "layerNorms: out of the heap");
  const float *gain = heap + a[4], *bias = heap + a[5];
  for (int64_t r = 0; r < rows; r++) {
    const float *x = heap + a[0] + r * a[1];
    float *out = heap + a[2] + r * a[3];
    float mean = 0, var = 0;
    for (int64_t i = 0; i < n; i++) mean += x[i];
    mean /= n;
    for (int64_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.0f / sqrtf(var / n + 1e-5f);
    for (int64_t i = 0; i < n; i++) out[i] = (x[i] - mean) * inv * gain[i] + bias[i];
  }
  return NULL;
}

// A call with n arguments, into argv; the first k of them read as int32 into ints.
// The last `optional` arguments may be left out (they read as undefined).
static int call_args(napi_env env, napi_callback_info info, napi_value *argv, size_t n, size_t optional, int32_t *ints, size_t k) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc > n || argc + optional < n) return 0;
  for (size_t i = 0; i < k; i++)
    if (napi_get_value_int32(env, argv[i], &ints[i]) != napi_ok) return 0;
  return 1;
}

// A typed-array argument of the given type and at least n elements, or NULL.
static void *typed_arg(napi_env env, napi_value v, napi_typedarray_type type, int64_t n) {
  napi_typedarray_type t;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, v, &t, &len, &data, NULL, NULL) != napi_ok || t != type || (int64_t)len < n) return NULL;
  return data;
}

// An optional argument: 1 when it is undefined or null.
static int absent(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

// Soft targets (src/train/losses.ts): absent (*w = NULL, hard targets) or a Float32Array of rows·256.
static int soft_arg(napi_env env, napi_value v, int32_t rows, const float **w) {
  *w = NULL;
  if (absent(env, v)) return 1;
  *w = typed_arg(env, v, napi_float32_array, (int64_t)rows * 256);
  return *w != NULL;
}

// Σ_v w[v]·x[v·stride] in float64: a soft target's share of a linear term.
static double soft_dot(const float *w, const float *x, size_t stride) {
  double s = 0;
  for (int v = 0; v < 256; v++) s += (double)w[v] * x[v * stride];
  return s;
}

// p = softmax(l) over a row of 256 logits, in float64; returns logsumexp(l).
static double softmax256(const float *l, double *p) {
  float m = l[0];
  for (int i = 1; i < 256; i++) m = l[i] > m ? l[i] : m;
  double sum = 0;
  for (int i = 0; i < 256; i++) sum += p[i] = exp((double)(l[i] - m));
  const double inv = 1 / sum;
  for (int i = 0; i < 256; i++) p[i] *= inv;
  return m + log(sum);
}

// nll(logits, rows, targets: Uint8Array, out: Float64Array, soft?): out[j] = logsumexp(logits[j]) − logits[j][targets[j]],
// 256 logits a row; with soft targets w, logsumexp(logits[j]) − Σ_v w[j][v]·logits[j][v].
static napi_value nll(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  napi_value argv[5];
  int32_t a[2];
  const float *w;
  CHECK(env, call_args(env, info, argv, 5, 1, a, 2), "nll: (offset, rows, targets, out, soft?)");
  const int32_t off = a[0], rows = a[1];
  const uint8_t *t = typed_arg(env, argv[2], napi_uint8_array, rows);
  double *o = typed_arg(env, argv[3], napi_float64_array, rows);
  CHECK(env, t, "nll: targets must be a Uint8Array of rows bytes");
  CHECK(env, o, "nll: out must be a Float64Array of rows");
  CHECK(env, soft_arg(env, argv[4], rows, &w), "nll: soft must be a Float32Array of rows·256");
  CHECK(env, rows > 0 && in_heap(off, (int64_t)rows * 256), "nll: out of the heap");
  double p[256];
  for (int32_t j = 0; j < rows; j++) {
    const float *l = heap + off + (size_t)j * 256;
    o[j] = softmax256(l, p) - (w ? soft_dot(w + (size_t)j * 256, l, 1) : l[t[j]]);
  }
  return NULL;
}

// rowDiffs(logits, shift, rows, targets: Uint8Array, eps, out: Float64Array(256)): the row steps'
// loss differences (RowDiffs in src/train/spsa.ts). Row r's logits l and p = softmax(l); moving
// output row v by ±eps·z_v moves l_v by ±δ, δ = eps·shift[r][v]; out[v] += the exact loss at +δ
// minus the loss at −δ: log(1 + p_v(e^δ − 1)) − log(1 + p_v(e^−δ − 1)) − [v = t]·2δ (soft targets: − w_v·2δ).
static napi_value row_diffs(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  napi_value argv[7];
  int32_t a[3];
  double eps;
  const float *w;
  CHECK(env, call_args(env, info, argv, 7, 1, a, 3) && napi_get_value_double(env, argv[4], &eps) == napi_ok, "rowDiffs: (logits, shift, rows, targets, eps, out, soft?)");
  const int32_t off = a[0], shift = a[1], rows = a[2];
  const uint8_t *t = typed_arg(env, argv[3], napi_uint8_array, rows);
  double *o = typed_arg(env, argv[5], napi_float64_array, 256);
  CHECK(env, t, "rowDiffs: targets must be a Uint8Array of rows bytes");
  CHECK(env, o, "rowDiffs: out must be a Float64Array of 256");
  CHECK(env, soft_arg(env, argv[6], rows, &w), "rowDiffs: soft must be a Float32Array of rows·256");
  CHECK(env, rows >= 0 && in_heap(off, (int64_t)rows * 256) && in_heap(shift, (int64_t)rows * 256), "rowDiffs: out of the heap");
  double p[256];
  for (int32_t j = 0; j < rows; j++) {
    const float *sh = heap + shift + (size_t)j * 256;
    softmax256(heap + off + (size_t)j * 256, p);
    for (int i = 0; i < 256; i++) {
      const double d = eps * sh[i], up = expm1(d), down = -up / (1 + up);
      const double x = p[i] * up, y = p[i] * down;
      o[i] += log1p((x - y) / (1 + y)); // log(1 + x) − log(1 + y), one logarithm
    }
    if (w)
      for (int i = 0; i < 256; i++) o[i] -= 2 * eps * sh[i] * w[(size_t)j * 256 + i];
    else o[t[j]] -= 2 * eps * sh[t[j]];
  }
  return NULL;
}

// unitDiffs sums e^{Δ·w} − 1 through its moments where |Δ·w| ≤ MOMENT_RANGE (see below).
#define MOMENT_RANGE 0.1f
static const double INV_FACTORIAL[7] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720};

// unitDiffs(logits, pre, shift, w2, rows, m, targets: Uint8Array, eps, out: Float64Array(m)): the
// unit steps' loss differences (UnitDiffs in src/train/spsa.ts). Row r: logits l, p = softmax(l), the
// hidden layer's pre-activations pre[r] and shifts shift[r]. Moving unit u's input row by ±eps·z_u
// moves its pre-activation by ±δ, δ = eps·shift[r][u], so its GELU by Δ± = gelu(pre ± δ) − gelu(pre),
// and the logits by Δ±·W2[:, u]; out[u] += the exact loss at + minus the loss at −:
//   log(1 + Σ_v p_v(e^{Δ+·W2[v,u]} − 1)) − log(1 + Σ_v p_v(e^{Δ−·W2[v,u]} − 1)) − (Δ+ − Δ−)·W2[t,u]
// (soft targets: Σ_v w_v·W2[v,u] in place of W2[t,u]).
static napi_value unit_diffs(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  napi_value argv[10];
  int32_t a[6];
  double eps;
  const float *sw;
  CHECK(env, call_args(env, info, argv, 10, 1, a, 6) && napi_get_value_double(env, argv[7], &eps) == napi_ok, "unitDiffs: (logits, pre, shift, w2, rows, m, targets, eps, out, soft?)");
  const int32_t rows = a[4], M = a[5];
  const uint8_t *t = typed_arg(env, argv[6], napi_uint8_array, rows);
  double *o = typed_arg(env, argv[8], napi_float64_array, M);
  CHECK(env, t, "unitDiffs: targets must be a Uint8Array of rows bytes");
  CHECK(env, o && M > 0, "unitDiffs: out must be a Float64Array of m");
  CHECK(env, soft_arg(env, argv[9], rows, &sw), "unitDiffs: soft must be a Float32Array of rows·256");
  CHECK(env, rows >= 0 && in_heap(a[0], (int64_t)rows * 256) && in_heap(a[1], (int64_t)rows * M) && in_heap(a[2], (int64_t)rows * M) && in_heap(a[3], (int64_t)256 * M), "unitDiffs: out of the heap");
  float *wt = grow(&S->wt, &S->wt_len, (size_t)M * 256);
  CHECK(env, wt, "unitDiffs: out of memory");
  const float *w2 = heap + a[3];
  float *wmax = grow(&S->wmax, &S->wmax_len, (size_t)M); // [M] max_v |W2[v, u]|
  CHECK(env, wmax, "unitDiffs: out of memory");
  for (int32_t u = 0; u < M; u++) wmax[u] = 0;
  for (int v = 0; v < 256; v++)
    for (int32_t u = 0; u < M; u++) {
      wt[(size_t)u * 256 + v] = w2[(size_t)v * M + u];
      wmax[u] = fmaxf(wmax[u], fabsf(w2[(size_t)v * M + u]));
    }
  double pd[256];
  float p[256];
  for (int32_t r = 0; r < rows; r++) {
    const float *pre = heap + a[1] + (size_t)r * M, *sh = heap + a[2] + (size_t)r * M;
    softmax256(heap + a[0] + (size_t)r * 256, pd);
    for (int v = 0; v < 256; v++) p[v] = (float)pd[v];
    for (int32_t u = 0; u < M; u++) {
      const double x = pre[u], d = eps * sh[u], h = soma_gelu_d(x);
      const float dp = (float)(soma_gelu_d(x + d) - h), dm = (float)(soma_gelu_d(x - d) - h);
      const float *w = wt + (size_t)u * 256;
      double sp = 0, sm = 0; // Σ p_v(e^{Δ·w_v} − 1): small, so no cancellation against the 1
      if (fmaxf(fabsf(dp), fabsf(dm)) * wmax[u] <= MOMENT_RANGE) {
        // Through the moments m_k = Σ_v p_v·w_v^k: Σ_v p_v(e^{Δ·w_v} − 1) = Σ_k Δ^k·m_k / k!, to
        // order 6; with |Δ·w_v| ≤ 0.1 the rest is below 3e-11, under float32's own rounding of e^{Δ·w}.
        float m[6] = {0, 0, 0, 0, 0, 0};
        for (int v = 0; v < 256; v++) {
          const float wv = w[v];
          float pw = p[v] * wv;
          m[0] += pw, pw *= wv, m[1] += pw, pw *= wv, m[2] += pw, pw *= wv, m[3] += pw, pw *= wv, m[4] += pw, pw *= wv, m[5] += pw;
        }
        for (int k = 5; k >= 0; k--) {
          sp = dp * (sp + m[k] * INV_FACTORIAL[k + 1]);
          sm = dm * (sm + m[k] * INV_FACTORIAL[k + 1]);
        }
      } else {
        float fp = 0, fm = 0;
        for (int v = 0; v < 256; v++) {
          fp += p[v] * (expf(dp * w[v]) - 1.0f);
          fm += p[v] * (expf(dm * w[v]) - 1.0f);
        }
        sp = fp, sm = fm;
      }
      o[u] += log1p(sp) - log1p(sm) - ((double)dp - dm) * (sw ? soft_dot(sw + (size_t)r * 256, w, 1) : w[t[r]]);
    }
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  State *S = calloc(1, sizeof(State));
  if (!S || napi_set_instance_data(env, S, free_state, NULL) != napi_ok) {
    free(S);
    napi_throw_error(env, NULL, "train-kernels: out of memory");
    return NULL;
  }
  napi_property_descriptor props[] = {
    {"setHeap", NULL, set_heap, NULL, NULL, NULL, napi_default, NULL},
    {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
    {"matvec", NULL, matvec, NULL, NULL, NULL, napi_default, NULL},
    {"lstmCells", NULL, lstm_cells, NULL, NULL, NULL, napi_default, NULL},
    {"layerNorms", NULL, layer_norms, NULL, NULL, NULL, napi_default, NULL},
    {"nll", NULL, nll, NULL, NULL, NULL, napi_default, NULL},
    {"rowDiffs", NULL, row_diffs, NULL, NULL, NULL, napi_default, NULL},
    {"unitDiffs", NULL, unit_diffs, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
