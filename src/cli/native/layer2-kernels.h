// The layer-2 unit round of one expert (src/train/layer2-units.ts) in one native call, included by
// train-kernels.c after its heap, argument and matrix-product helpers. It computes what the
// TypeScript round computes, every block's exact loss(+) − loss(−), in a cheaper order:
//   - the trajectories as there: (W ± εz)·y1 + b ± εz_b through the product, then
//     (r ± εz_r)·h2 of each unit's own past, rounded once, then the cells;
//   - the decoder's rows without rerunning its first layer: LN2 of h2 with unit u moved by δ is an
//     exact two-term change of LN2(h2) (below), so W1·d moves by cs·A + cq·Q_u, with A = W1₂·(g ⊙ n)
//     of the row and Q_u = g_u·W1₂[:, u] − W1₂·g / H of the unit (W1₂: W1's columns that read LN2(h2));
//   - the logits' change ΔL = W2·(GELU(pre') − GELU(pre)) as one blocked product, and the loss's
//     change from it against p = softmax at θ: log(1 + Σ_v p_v(e^{ΔL_v} − 1)) − ΔL_t.
// Moving h_u by δ (μ, var: the row's mean and variance, σ = √(var + 1e-5), n = (h − μ)/σ):
//   var' = var + (2δ(h_u − μ) + δ²(1 − 1/H)) / H,  σ' = √(var' + 1e-5),
//   n'   = (σ/σ')·n + (δ/σ')·(e_u − 1/H),  so  g ⊙ n' − g ⊙ n = cs·(g ⊙ n) + cq·(g_u·e_u − g/H)
// with cs = σ/σ' − 1 and cq = δ/σ'. Nothing is linearised: each row's loss change is exact up to
// rounding, and computed as a change, so it keeps the digits that a difference of two losses loses.

#define L2_TILE 6 // rows of logits per tile (tile_logits is written out for 6)

// Σ_v p_v·(e^{x_v} − 1) over a row of 256, x = ΔL small: a polynomial when Σ x² ≤ 0.01 (so every
// |x_v| ≤ 0.1, and its error is under 3e-11, below fp32's own rounding), expm1f otherwise.
static double expm1_dot(const float *p, const float *x) {
  vf sq = {0}, s = {0};
  for (int v = 0; v < 256; v += VL) {
    const vf u = vload(x + v);
    sq += u * u;
    s += vload(p + v) * (u * (1 + u * (0.5f + u * (1.0f / 6 + u * (1.0f / 24 + u * (1.0f / 120 + u * (1.0f / 720)))))));
  }
  float sqs = 0, sum = 0;
  for (int k = 0; k < VL; k++) sqs += sq[k], sum += s[k];
  if (sqs <= 0.01f) return sum;
  sum = 0;
  for (int v = 0; v < 256; v++) sum += p[v] * expm1f(x[v]);
  return sum;
}

// out[r][v] = Σ_m x[r][m]·wt[m][v] for L2_TILE rows, wt [M, 256] (W2 transposed): L2_TILE × 4
// vectors of accumulators in registers, one load of wt feeding L2_TILE multiply-adds.
#define ACC_ROW(r) acc##r##0 = (vf){0}, acc##r##1 = (vf){0}, acc##r##2 = (vf){0}, acc##r##3 = (vf){0}
#define FMA_ROW(r) { const float xr = x[r * M + m]; acc##r##0 += xr * w0, acc##r##1 += xr * w1, acc##r##2 += xr * w2, acc##r##3 += xr * w3; }
#define STORE_ROW(r) vstore(out + r * 256 + c, acc##r##0), vstore(out + r * 256 + c + VL, acc##r##1), vstore(out + r * 256 + c + 2 * VL, acc##r##2), vstore(out + r * 256 + c + 3 * VL, acc##r##3)
static void tile_logits(float *restrict out, const float *restrict x, const float *restrict wt, int M) {
  for (int c = 0; c < 256; c += 4 * VL) {
    vf ACC_ROW(0), ACC_ROW(1), ACC_ROW(2), ACC_ROW(3), ACC_ROW(4), ACC_ROW(5);
    for (int m = 0; m < M; m++) {
      const float *w = wt + (size_t)m * 256 + c;
      const vf w0 = vload(w), w1 = vload(w + VL), w2 = vload(w + 2 * VL), w3 = vload(w + 3 * VL);
      FMA_ROW(0) FMA_ROW(1) FMA_ROW(2) FMA_ROW(3) FMA_ROW(4) FMA_ROW(5)
    }
    STORE_ROW(0), STORE_ROW(1), STORE_ROW(2), STORE_ROW(3), STORE_ROW(4), STORE_ROW(5);
  }
}
#undef ACC_ROW
#undef FMA_ROW
#undef STORE_ROW

// One stream's step of layer 2 with the element-wise recurrence: gates g = (W·y1 + b) + r·h, rounded
// once as forward.ts's addOwnState rounds them, then the cells (c, h updated); h also goes to path.
__attribute__((noinline)) static void own_state_cells(float *restrict g, float *restrict c, float *restrict h, float *restrict path, const float *restrict pre, const float *restrict r, int H) {
  for (int gate = 0; gate < 4; gate++)
    for (int i = 0; i < H; i++) g[gate * H + i] = (float)((double)pre[gate * H + i] + (double)r[gate * H + i] * h[i]);
  for (int i = 0; i < H; i++) {
    const float cell = soma_sigmoid(g[H + i]) * c[i] + soma_sigmoid(g[i]) * soma_tanh(g[2 * H + i]);
    c[i] = cell;
    path[i] = h[i] = soma_sigmoid(g[3 * H + i]) * soma_tanh(cell);
  }
}

// d = GELU(pre + cS·A + cQ·Q) − GELU(pre) over a row of M hidden units, gelu = GELU(pre).
__attribute__((noinline)) static void gelu_change(float *restrict d, const float *restrict pre, const float *restrict A, const float *restrict Q, const double *restrict gelu, double cS, double cQ, int M) {
  for (int m = 0; m < M; m++) d[m] = (float)(soma_gelu_d((double)pre[m] + (cS * A[m] + cQ * Q[m])) - gelu[m]);
}

// l2UnitDiffs(ints: Int32Array, eps, z: Float32Array, units: Int32Array, startH, startC, h2: Float32Array,
//             rowAt: Int32Array, targets: Uint8Array, out: Float64Array, soft?): expert e's blocks.
// ints (heap offsets unless said): y1 [T·B, H], W [4H, H], b [4H], r [4H], zW, zR, zB (offsets into z),
//   dec [n, D] (the expert's rows' decoder inputs at θ), n, ln2G [H] (LN2's gain; its bias cancels in
//   every change), w1 [M, D], b1, w2 [256, M], b2, batch B, window T, H, D, M.
// startH, startC [B, H]: the window's starting state; h2 [n, H]: each row's h2 at θ; rowAt[i]: row i's
// byte t·B + j; out[k] = loss(+) − loss(−) summed over the rows, unit units[k] moved.
static napi_value l2_unit_diffs(napi_env env, napi_callback_info info) {
  State *S = state(env);
  float *heap = S->heap;
  napi_value argv[11];
  double eps;
  size_t argc = 11;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 10 && napi_get_value_double(env, argv[1], &eps) == napi_ok, "l2UnitDiffs: (ints, eps, z, units, startH, startC, h2, rowAt, targets, out, soft?)");
  const int32_t *a = typed_arg(env, argv[0], napi_int32_array, 19);
  CHECK(env, a, "l2UnitDiffs: ints must be an Int32Array of 19");
  const int32_t n = a[8], B = a[14], T = a[15], H = a[16], D = a[17], M = a[18], R = B * T;
  CHECK(env, n >= 0 && B > 0 && T > 0 && H > 0 && D >= H && M > 0 && (int64_t)B * T < (1 << 24), "l2UnitDiffs: bad sizes");
  size_t zlen, ulen;
  napi_typedarray_type zt;
  void *zp, *up;
  CHECK(env, napi_get_typedarray_info(env, argv[2], &zt, &zlen, &zp, NULL, NULL) == napi_ok && zt == napi_float32_array, "l2UnitDiffs: z must be a Float32Array");
  CHECK(env, napi_get_typedarray_info(env, argv[3], &zt, &ulen, &up, NULL, NULL) == napi_ok && zt == napi_int32_array && ulen > 0, "l2UnitDiffs: units must be an Int32Array");
  const float *z = zp;
  const int32_t *units = up;
  const int32_t U = (int32_t)ulen;
  for (int32_t k = 0; k < U; k++) CHECK(env, units[k] >= 0 && units[k] < H, "l2UnitDiffs: a unit out of range");
  const float *startH = typed_arg(env, argv[4], napi_float32_array, (int64_t)B * H), *startC = typed_arg(env, argv[5], napi_float32_array, (int64_t)B * H);
  const float *h2 = typed_arg(env, argv[6], napi_float32_array, (int64_t)n * H);
  const int32_t *rowAt = typed_arg(env, argv[7], napi_int32_array, n);
  const uint8_t *t = typed_arg(env, argv[8], napi_uint8_array, n);
  double *out = typed_arg(env, argv[9], napi_float64_array, U);
  const float *soft = NULL;
  CHECK(env, startH && startC && h2 && rowAt && t && out, "l2UnitDiffs: startH, startC, h2, rowAt, targets or out too short");
  CHECK(env, argc <= 10 || soft_arg(env, argv[10], n, &soft), "l2UnitDiffs: soft must be a Float32Array of n·256");
  for (int32_t i = 0; i < n; i++) CHECK(env, rowAt[i] >= 0 && rowAt[i] < R, "l2UnitDiffs: a row out of the window");
  const int64_t G = 4 * (int64_t)H;
  CHECK(env, in_heap(a[0], R * H) && in_heap(a[1], G * H) && in_heap(a[2], G) && in_heap(a[3], G) && in_heap(a[7], (int64_t)n * D) && in_heap(a[9], H) && in_heap(a[10], (int64_t)M * D) && in_heap(a[11], M) && in_heap(a[12], 256 * (int64_t)M) && in_heap(a[13], 256), "l2UnitDiffs: out of the heap");
  CHECK(env, a[4] >= 0 && a[5] >= 0 && a[6] >= 0 && (size_t)a[4] + G * H <= zlen && (size_t)a[5] + G <= zlen && (size_t)a[6] + G <= zlen, "l2UnitDiffs: z offsets out of range");

  // Scratch, in floats: wm, bm, rm; pre [64, 4H]; path [2, R, H]; gates [B, 4H], h, c [B, H]; per row at θ:
  // pre [n, M] and its GELU (doubles) [n, M], A [n, M], p [n, 256], stats [n, 4] (doubles), g ⊙ n [n, H];
  // W1₂ [M, H] and a zero bias [M]; Q [U, M]; W2ᵀ [M, 256]; dh [L2_TILE, M]; dl [L2_TILE, 256].
  const size_t need = G * H + 2 * G + 64 * G + 2 * (size_t)R * H + B * G + 2 * (size_t)B * H + (size_t)n * M * 4 + (size_t)n * 256 + (size_t)n * 8 + (size_t)U * M + (size_t)M * 256 + L2_TILE * (size_t)M + L2_TILE * 256 + (size_t)n * H + (size_t)M * H + M + 16 * 24; // and each part rounded up to 16
  CHECK(env, grow(&S->l2, &S->l2_len, need) && grow(&S->xt, &S->xt_len, (size_t)D * 64 > (size_t)H * 64 ? (size_t)D * 64 : (size_t)H * 64) && grow(&S->yt, &S->yt_len, (size_t)(G > M ? G : M) * 64), "l2UnitDiffs: out of memory");
  float *next = S->l2;
#define TAKE(n_) (next += ((n_) + 15) & ~(size_t)15, next - (((n_) + 15) & ~(size_t)15))
  float *wm = TAKE(G * H), *bm = TAKE(G), *rm = TAKE(G), *pre = TAKE(64 * G), *path = TAKE(2 * (size_t)R * H);
  float *gates = TAKE(B * G), *hs = TAKE((size_t)B * H), *cs = TAKE((size_t)B * H);
  float *preT = TAKE((size_t)n * M), *A = TAKE((size_t)n * M), *p = TAKE((size_t)n * 256);
  double *geluT = (double *)TAKE((size_t)n * M * 2), *stat = (double *)TAKE((size_t)n * 8);
  float *gn = TAKE((size_t)n * H), *w1h = TAKE((size_t)M * H), *zero = TAKE(M);
  float *Q = TAKE((size_t)U * M), *wt = TAKE((size_t)M * 256), *dh = TAKE(L2_TILE * (size_t)M), *dl = TAKE(L2_TILE * 256);
#undef TAKE
  const float *y1 = heap + a[0], *W = heap + a[1], *b = heap + a[2], *r = heap + a[3];

  // Every unit's trajectory under its own block, at +ε then −ε.
  for (int sign = 0; sign < 2; sign++) {
    const double d = sign == 0 ? eps : -eps;
    for (int64_t i = 0; i < G * H; i++) wm[i] = (float)(W[i] + d * z[a[4] + i]);
    for (int64_t i = 0; i < G; i++) bm[i] = (float)(b[i] + d * z[a[6] + i]), rm[i] = (float)(r[i] + d * z[a[5] + i]);
    for (int64_t i = 0; i < (int64_t)B * H; i++) hs[i] = startH[i], cs[i] = startC[i];
    float *P = path + (size_t)sign * R * H;
    for (int32_t r0 = 0; r0 < R; r0 += 64) {
      const int32_t rows = R - r0 < 64 ? R - r0 : 64; // 64 rows of the window: two steps of 32 streams
      matmul_f32(S, pre, wm, bm, y1 + (size_t)r0 * H, (int)G, H, rows);
      for (int32_t q = 0; q < rows; q++) {
        const int32_t row = r0 + q, j = row % B;
        own_state_cells(gates + (size_t)j * G, cs + (size_t)j * H, hs + (size_t)j * H, P + (size_t)row * H, pre + (size_t)q * G, rm, H);
      }
    }
  }

  // The rows at θ: the decoder's pre-activations, their GELU, p = softmax(logits); the LN2 statistics; A.
  const float *dec = heap + a[7], *lnG = heap + a[9], *w1 = heap + a[10], *b1 = heap + a[11], *w2 = heap + a[12], *b2 = heap + a[13];
  for (int v = 0; v < 256; v++)
    for (int32_t m = 0; m < M; m++) wt[(size_t)m * 256 + v] = w2[(size_t)v * M + m];
  double pd[256];
  for (int32_t r0 = 0; r0 < n; r0 += 64) {
    const int32_t rows = n - r0 < 64 ? n - r0 : 64;
    matmul_f32(S, preT + (size_t)r0 * M, w1, b1, dec + (size_t)r0 * D, M, D, rows);
    for (int32_t i = r0; i < r0 + rows; i++) {
      const float *x = preT + (size_t)i * M;
      double *gT = geluT + (size_t)i * M;
      for (int32_t m = 0; m < M; m++) gT[m] = soma_gelu_d(x[m]);
    }
  }
  for (int32_t q0 = 0; q0 < n; q0 += L2_TILE) { // the logits at θ, and p
    const int32_t tile = n - q0 < L2_TILE ? n - q0 : L2_TILE;
    for (int32_t q = 0; q < L2_TILE; q++)
      for (int32_t m = 0; m < M; m++) dh[(size_t)q * M + m] = q < tile ? (float)geluT[(size_t)(q0 + q) * M + m] : 0;
    tile_logits(dl, dh, wt, M);
    for (int32_t q = 0; q < tile; q++) {
      float *l = dl + (size_t)q * 256;
      for (int v = 0; v < 256; v++) l[v] += b2[v];
      softmax256(l, pd);
      for (int v = 0; v < 256; v++) p[(size_t)(q0 + q) * 256 + v] = (float)pd[v];
    }
  }
  for (int32_t i = 0; i < n; i++) { // LN2's statistics at θ, and its normed values times the gain, g ⊙ n
    const float *h = h2 + (size_t)i * H;
    double mu = 0, var = 0;
    for (int32_t k = 0; k < H; k++) mu += h[k];
    mu /= H;
    for (int32_t k = 0; k < H; k++) var += (h[k] - mu) * (h[k] - mu);
    var /= H;
    const double sigma = sqrt(var + 1e-5);
    stat[i * 4] = mu, stat[i * 4 + 1] = var, stat[i * 4 + 2] = sigma;
    for (int32_t k = 0; k < H; k++) gn[(size_t)i * H + k] = (float)(lnG[k] * ((h[k] - mu) / sigma));
  }
  for (int32_t m = 0; m < M; m++) { // W1₂: the columns of W1 that read LN2(h2), and no bias
    for (int32_t k = 0; k < H; k++) w1h[(size_t)m * H + k] = w1[(size_t)m * D + k];
    zero[m] = 0;
  }
  for (int32_t r0 = 0; r0 < n; r0 += 64) matmul_f32(S, A + (size_t)r0 * M, w1h, zero, gn + (size_t)r0 * H, M, H, n - r0 < 64 ? n - r0 : 64); // A = W1₂·(g ⊙ n)
  for (int32_t k = 0; k < U; k++)
    for (int32_t m = 0; m < M; m++) {
      double s = 0;
      for (int32_t i = 0; i < H; i++) s += (double)w1[(size_t)m * D + i] * lnG[i];
      Q[(size_t)k * M + m] = (float)(lnG[units[k]] * w1[(size_t)m * D + units[k]] - s / H);
    }

  // Every block: its rows' loss changes at +ε minus those at −ε, L2_TILE rows at a time.
  const int32_t total = 2 * n; // (sign, row) pairs of one unit
  for (int32_t k = 0; k < U; k++) {
    const int32_t u = units[k];
    double diff = 0;
    for (int32_t q0 = 0; q0 < total; q0 += L2_TILE) {
      const int32_t tile = total - q0 < L2_TILE ? total - q0 : L2_TILE;
      for (int32_t q = 0; q < L2_TILE; q++) {
        float *d = dh + (size_t)q * M;
        if (q >= tile) {
          for (int32_t m = 0; m < M; m++) d[m] = 0;
          continue;
        }
        const int32_t sign = (q0 + q) / n, i = (q0 + q) % n;
        const double hu = h2[(size_t)i * H + u], delta = path[((size_t)sign * R + rowAt[i]) * H + u] - hu;
        const double mu = stat[i * 4], var = stat[i * 4 + 1], sigma = stat[i * 4 + 2];
        const double sigma2 = sqrt(var + (2 * delta * (hu - mu) + delta * delta * (1 - 1.0 / H)) / H + 1e-5);
        const double cS = sigma / sigma2 - 1, cQ = delta / sigma2;
        gelu_change(d, preT + (size_t)i * M, A + (size_t)i * M, Q + (size_t)k * M, geluT + (size_t)i * M, cS, cQ, M);
      }
      tile_logits(dl, dh, wt, M);
      for (int32_t q = 0; q < tile; q++) {
        const int32_t sign = (q0 + q) / n, i = (q0 + q) % n;
        const float *x = dl + (size_t)q * 256;
        const double change = log1p(expm1_dot(p + (size_t)i * 256, x)) - (soft ? soft_dot(soft + (size_t)i * 256, x, 1) : x[t[i]]);
        diff += sign == 0 ? change : -change;
      }
    }
    out[k] = diff;
  }
  return NULL;
}
