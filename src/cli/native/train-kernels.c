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
  float *l2; // l2UnitDiffs: the round's scratch
  size_t l2_len;
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
  free(s->l2);
  free(s);
}

// Every entry point opens the same way: its thread's state and heap, then its arguments unpacked and
// checked against the heap. Those few lines are written out in each, deliberately, so that each
// entry point reads on its own.
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

// addOwnState(g, r, h, H, K, B): layer 2's element-wise recurrence (forward.ts's addOwnState), the same
// bits: gates[e, j, q·H + i] += r[e, q·H + i]·h2[e, j, i], one product and sum in float64 rounded once.
static napi_value add_own_state(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  int32_t a[6];
  CHECK(env, args_i32(env, info, a, 6), "addOwnState: 6 integers");
  const int64_t H = a[3], K = a[4], B = a[5];
  CHECK(env, H > 0 && K > 0 && B > 0 && in_heap(a[0], K * B * 4 * H) && in_heap(a[1], K * 4 * H) && in_heap(a[2], K * B * H), "addOwnState: out of the heap");
  for (int64_t e = 0; e < K; e++)
    for (int64_t j = 0; j < B; j++) {
      float *restrict g = heap + a[0] + (e * B + j) * 4 * H;
      const float *restrict r = heap + a[1] + e * 4 * H, *restrict h = heap + a[2] + (e * B + j) * H;
      for (int64_t q = 0; q < 4; q++)
        for (int64_t i = 0; i < H; i++) g[q * H + i] = (float)((double)g[q * H + i] + (double)r[q * H + i] * h[i]);
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

#include "loss-kernels.h"
#include "layer2-kernels.h"

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
    {"addOwnState", NULL, add_own_state, NULL, NULL, NULL, napi_default, NULL},
    {"nll", NULL, nll, NULL, NULL, NULL, napi_default, NULL},
    {"rowDiffs", NULL, row_diffs, NULL, NULL, NULL, napi_default, NULL},
    {"unitDiffs", NULL, unit_diffs, NULL, NULL, NULL, napi_default, NULL},
    {"l2UnitDiffs", NULL, l2_unit_diffs, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
