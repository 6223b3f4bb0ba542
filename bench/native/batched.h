// The batched step of bench/native/step.c (B > 1), in a file of its own: included by step.c after
// its single-stream step, whose types, layout and nonlinearities it uses. A benchmark reference only.
#pragma once
// ---- The batched step (B > 1) ----
//
// B streams advance together, structured as step() in forward.ts does it: per expert and per
// layer one matrix product over all B streams, the LSTM cells and layer norms over all rows, then
// each stream's winner decoded on its own. Activations are kept transposed, [features, P] with
// the streams along the vector lanes (P = B rounded up to whole vectors; the extra lanes compute
// on zeros and are never decoded), so the products are Yᵀ = W·Xᵀ with no horizontal sums and the
// cells and norms vectorize across streams.

#if defined(__AVX512F__)
#define VL 16 // floats per vector
#else
#define VL 8
#endif
typedef float vf __attribute__((vector_size(VL * 4), aligned(4)));
#define NV 2 // vectors of streams per register tile
#define RB (VL == 16 ? 8 : 4) // rows per register tile: RB·NV accumulators

// Loads dereference the under-aligned vector type, never memcpy: without AVX2, gcc lowers a 32-byte
// memcpy to two 16-byte halves through the stack, and the store-forwarding stall made this 5x slower.
static inline vf vload(const float *p) { return *(const vf *)p; }
static inline void vstore(float *p, vf v) { *(vf *)p = v; }

/**
 * Y = W·[X1; X2] + b over P lanes.  W: [rows, c1+c2] row-major; X1: [c1, P], X2: [c2, P] (X2 may
 * be absent, c2 = 0); Y: [rows, P]. A tile of RB rows × NV·VL streams stays in registers while
 * the columns run; each weight is broadcast once per tile and feeds NV multiply-adds.
 */
static void matmul_t(float *restrict Y, const float *restrict W, const float *restrict b, const float *restrict X1, int c1,
                     const float *restrict X2, int c2, int rows, int P) {
  const int cols = c1 + c2;
  int r = 0;
  for (; r + RB <= rows; r += RB) {
    const float *w = W + (size_t)r * cols;
    int j = 0;
    for (; j + NV * VL <= P; j += NV * VL) {
      vf acc[RB][NV];
#pragma GCC unroll 8
      for (int k = 0; k < RB; k++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[k][v] = (vf){0};
      for (int i = 0; i < c1; i++) {
        vf x[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) x[v] = vload(X1 + (size_t)i * P + j + v * VL);
#pragma GCC unroll 8
        for (int k = 0; k < RB; k++) {
          const float wk = w[(size_t)k * cols + i];
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) acc[k][v] += wk * x[v];
        }
      }
      for (int i = 0; i < c2; i++) {
        vf x[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) x[v] = vload(X2 + (size_t)i * P + j + v * VL);
#pragma GCC unroll 8
        for (int k = 0; k < RB; k++) {
          const float wk = w[(size_t)k * cols + c1 + i];
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) acc[k][v] += wk * x[v];
        }
      }
#pragma GCC unroll 8
      for (int k = 0; k < RB; k++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) vstore(Y + (size_t)(r + k) * P + j + v * VL, acc[k][v] + b[r + k]);
    }
    for (; j < P; j += VL) { // a last single vector of streams
      vf acc[RB];
#pragma GCC unroll 8
      for (int k = 0; k < RB; k++) acc[k] = (vf){0};
      for (int i = 0; i < cols; i++) {
        const vf x = vload(i < c1 ? X1 + (size_t)i * P + j : X2 + (size_t)(i - c1) * P + j);
#pragma GCC unroll 8
        for (int k = 0; k < RB; k++) acc[k] += w[(size_t)k * cols + i] * x;
      }
#pragma GCC unroll 8
      for (int k = 0; k < RB; k++) vstore(Y + (size_t)(r + k) * P + j, acc[k] + b[r + k]);
    }
  }
  for (; r < rows; r++) // the last rows, one at a time
    for (int j = 0; j < P; j += VL) {
      vf acc = {0};
      for (int i = 0; i < cols; i++)
        acc += W[(size_t)r * cols + i] * vload(i < c1 ? X1 + (size_t)i * P + j : X2 + (size_t)(i - c1) * P + j);
      vstore(Y + (size_t)r * P + j, acc + b[r]);
    }
}

/** LSTM cells for n units over P lanes: gates g [4n, P] = [i; f; g; o], cells c [n, P] updated, h [n, P] written. */
static void lstm_cells_t(const float *restrict g, float *restrict c, float *restrict h, int n, int P) {
  const size_t m = (size_t)n * P;
  for (size_t i = 0; i < m; i++) {
    const float ig = soma_sigmoid(g[i]);
    const float fg = soma_sigmoid(g[m + i]);
    const float gg = soma_tanh(g[2 * m + i]);
    const float og = soma_sigmoid(g[3 * m + i]);
    const float ci = fg * c[i] + ig * gg;
    c[i] = ci;
    h[i] = og * soma_tanh(ci);
  }
}

/** Layer norm of every lane over n features: x, out [n, P]; gain, bias [n]. */
static void layer_norms_t(const float *restrict x, float *restrict out, const float *restrict gain, const float *restrict bias, int n,
                          int P, float *restrict mean, float *restrict inv) {
  for (int j = 0; j < P; j++) mean[j] = 0, inv[j] = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < P; j++) mean[j] += x[(size_t)i * P + j];
  for (int j = 0; j < P; j++) mean[j] /= (float)n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < P; j++) {
      const float d = x[(size_t)i * P + j] - mean[j];
      inv[j] += d * d;
    }
  for (int j = 0; j < P; j++) inv[j] = 1.0f / sqrtf(inv[j] / (float)n + 1e-5f);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < P; j++) out[(size_t)i * P + j] = (x[(size_t)i * P + j] - mean[j]) * inv[j] * gain[i] + bias[i];
}

// State and scratch of B streams, transposed: [features, P].
typedef struct {
  int B, P;
  float *x; // [E, P]      this step's embedded bytes
  float *hr, *cr; // [R, P]  router state
  float *gr; // [4R, P]
  float *scores; // [K, P]
  float *h1, *c1; // [K, H, P]
  float *g1; // [K, 4H, P]
  float *y1; // [K, H, P]   LN1(h1)
  float *h2, *c2; // [K, H, P]
  float *g2; // [K, 4H, P]
  float *mean, *inv; // [P]  layer-norm scratch
  float *h2w, *y2, *hid; // [H], [D], [M]  one stream's decoder scratch
  float *logits; // [B, V]
  int *winners; // [B]
  float *base;
  size_t size;
} BState;

static int bstate_init(BState *s, const Config *c, int B) {
  const size_t E = c->E, R = c->R, K = c->K, H = c->H, M = c->M;
  const size_t P = (size_t)(B + VL - 1) / VL * VL;
  s->B = B;
  s->P = (int)P;
  const size_t n[] = {E * P, R * P, R * P, 4 * R * P, K * P, K * H * P, K * H * P, K * 4 * H * P, K * H * P, K * H * P, K * H * P, K * 4 * H * P, P, P, H, (size_t)c->D, M, (size_t)B * V};
  float **dst[] = {&s->x, &s->hr, &s->cr, &s->gr, &s->scores, &s->h1, &s->c1, &s->g1, &s->y1, &s->h2, &s->c2, &s->g2, &s->mean, &s->inv, &s->h2w, &s->y2, &s->hid, &s->logits};
  size_t total = 0;
  for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) total += (n[i] + 15) / 16 * 16;
  s->base = alloc_floats(total);
  s->winners = malloc((size_t)B * sizeof(int));
  if (!s->base || !s->winners) return -1;
  s->size = total;
  size_t at = 0;
  for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
    *dst[i] = s->base + at;
    at += (n[i] + 15) / 16 * 16;
  }
  return 0;
}

/** Advances B streams by one byte each (step() in forward.ts): bytes[j] is stream j's byte. */
static void step_batch(const Config *c, const Weights *w, BState *s, const unsigned char *bytes) {
  const int E = c->E, R = c->R, K = c->K, H = c->H, M = c->M, B = s->B, P = s->P;

  // x = embed[byte] of every stream, as the columns of x [E, P].
  for (int j = 0; j < B; j++) {
    const float *x = w->embed + (size_t)bytes[j] * E;
    for (int i = 0; i < E; i++) s->x[(size_t)i * P + j] = x[i];
  }

  // Router: gates = W·[x; hr] + b, the cells; scores = Wh·hr + bh; each stream's winner = argmax.
  matmul_t(s->gr, w->routerW, w->routerB, s->x, E, s->hr, R, 4 * R, P);
  lstm_cells_t(s->gr, s->cr, s->hr, R, P);
  matmul_t(s->scores, w->headW, w->headB, s->hr, R, NULL, 0, K, P);
  for (int j = 0; j < B; j++) {
    int best = 0;
    for (int e = 1; e < K; e++)
      if (s->scores[(size_t)e * P + j] > s->scores[(size_t)best * P + j]) best = e;
    s->winners[j] = best;
  }

  // Every expert, layer 1: gates = W1·[x; h1] + b1 over all streams, the cells of all K experts,
  // then y1 = LN1(h1).
  const size_t hp = (size_t)H * P, gp = (size_t)4 * H * P;
  for (int e = 0; e < K; e++)
    matmul_t(s->g1 + e * gp, w->l1W + (size_t)e * 4 * H * (E + H), w->l1B + (size_t)e * 4 * H, s->x, E, s->h1 + e * hp, H, 4 * H, P);
  for (int e = 0; e < K; e++) lstm_cells_t(s->g1 + e * gp, s->c1 + e * hp, s->h1 + e * hp, H, P);
  for (int e = 0; e < K; e++)
    layer_norms_t(s->h1 + e * hp, s->y1 + e * hp, w->ln1G + (size_t)e * H, w->ln1B + (size_t)e * H, H, P, s->mean, s->inv);

  // Every expert, layer 2: gates = W2·[y1; h2] + b2, then the cells.
  for (int e = 0; e < K; e++)
    matmul_t(s->g2 + e * gp, w->l2W + (size_t)e * 4 * H * 2 * H, w->l2B + (size_t)e * 4 * H, s->y1 + e * hp, H, s->h2 + e * hp, H, 4 * H, P);
  for (int e = 0; e < K; e++) lstm_cells_t(s->g2 + e * gp, s->c2 + e * hp, s->h2 + e * hp, H, P);

  // Each stream's winner alone decodes it: d = LN2(h2) [; LN1(h1); x], hid = GELU(W1·d + b1), logits = W2·hid + b2.
  const int D = c->D;
  for (int j = 0; j < B; j++) {
    const int win = s->winners[j];
    const float *h2 = s->h2 + win * hp;
    for (int i = 0; i < H; i++) s->h2w[i] = h2[(size_t)i * P + j];
    layer_norm(s->h2w, s->y2, w->ln2G + (size_t)win * H, w->ln2B + (size_t)win * H, H);
    if (D > H) {
      for (int i = 0; i < H; i++) s->y2[H + i] = s->y1[win * hp + (size_t)i * P + j];
      for (int i = 0; i < E; i++) s->y2[2 * H + i] = s->x[(size_t)i * P + j];
    }
    if (D > 2 * H + E)
      for (int i = 0; i < R; i++) s->y2[2 * H + E + i] = s->hr[(size_t)i * P + j];
    matvec(s->hid, w->mlpW1 + (size_t)win * M * D, w->mlpB1 + (size_t)win * M, s->y2, M, D);
    gelu(s->hid, M);
    matvec(s->logits + (size_t)j * V, w->mlpW2 + (size_t)win * V * M, w->mlpB2 + (size_t)win * V, s->hid, V, M);
  }
}

/** From a reset state: stream j is fed (bos + 7j) mod 256, then n greedy steps of its own; out gets stream 0's bytes. */
static void generate_batch(const Config *c, const Weights *w, BState *s, int bos, long n, unsigned char *bytes, unsigned char *out) {
  for (int j = 0; j < s->B; j++) bytes[j] = (unsigned char)((bos + 7 * j) % 256);
  for (long t = 0; t < n; t++) {
    step_batch(c, w, s, bytes);
    for (int j = 0; j < s->B; j++) bytes[j] = (unsigned char)argmax(s->logits + (size_t)j * V, V);
    out[t] = bytes[0];
  }
}
