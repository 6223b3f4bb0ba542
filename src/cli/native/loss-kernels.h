// The trainer's loss kernels (src/train/losses.ts's NllRows, RowDiffs and UnitDiffs), included by
// train-kernels.c after its heap and argument helpers: the loss of each row, and the row and unit
// steps' exact ± loss differences, in float64 where the differences are small.
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
