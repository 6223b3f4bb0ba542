// SOMA per-byte step in plain C: a BENCHMARK REFERENCE ONLY ("the machine's limit").
//
// The model's math lives in src/model/forward.ts; this file mirrors it for one stream (batch 1)
// so the TypeScript benchmark can compare the JS/WASM engines with what native fp32 code does
// on the same machine. It is not an engine: nothing in the app loads it, and its logits differ
// slightly from the engines' (fp32 with -ffast-math, another summation order).
//
// Build: gcc -O3 -march=native -ffast-math -o bench/native/build/step bench/native/step.c -lm
// Usage: step WEIGHTS_RAW E R K H M WIDE BOS N [B]
//   WEIGHTS_RAW  the flat fp32 little-endian weight array, laid out as weightLayout() does
//   E R K H M    embed, routerHidden, experts, expertHidden, mlpHidden (vocab V is always 256)
//   WIDE         the decoder's input: 0 for LN2(h2) alone ('h2'), 1 for [LN2(h2); LN1(h1); x] ('h2+h1+x'),
//                2 for [LN2(h2); LN1(h1); x; hr] ('h2+h1+x+r')
//   BOS N        the byte fed first, and how many bytes to generate greedily
//   B            streams (default 1). With B > 1, B independent streams step together, batched
//                the way step() in forward.ts batches them (see "The batched step" below): the
//                trainer's forward pass, at the machine's limit. Stream j starts from byte
//                (BOS + 7j) mod 256 and then feeds back its own greedy byte, so stream 0 is
//                exactly the B = 1 run (up to summation order).
// Output: one JSON line {"tok_s", "bytes", "first_bytes", "logits_checksum"} on stdout; with
// B > 1, tok_s counts stream-bytes (N·B of them, "bytes"), "batch" is B, and first_bytes and
// logits_checksum are stream 0's. On bad arguments or an unreadable/short file, one line on
// stderr and exit code 2.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/cli/native/model-math.h"
#include <time.h>

#define V 256
#define ALIGN_FLOATS 4 // weightLayout() rounds every tensor up to a multiple of 4 floats
#define FIRST_BYTES 32
#define WARMUP_MAX 200

// Upper bounds, the same as CONFIG_LIMITS in src/model/config.ts.
#define MAX_EMBED 1024
#define MAX_ROUTER 1024
#define MAX_EXPERTS 64
#define MAX_HIDDEN 1024
#define MAX_MLP 4096
#define MAX_PARAMS (64L * 1024 * 1024)
#define MAX_BATCH 4096 // streams in the batched mode

typedef struct {
  int E, R, K, H, M;
  int D; // the decoder's input width: H, 2H + E when it also reads LN1(h1) and x, 2H + E + R with hr
} Config;

// Pointers into the flat weight array, in tensorSpecs() order (config.ts).
typedef struct {
  const float *embed; // [V, E]
  const float *routerW; // [4R, E+R]   acts on [x; hr]
  const float *routerB; // [4R]
  const float *headW; // [K, R]
  const float *headB; // [K]
  const float *l1W; // [K, 4H, E+H]  acts on [x; h1]
  const float *l1B; // [K, 4H]
  const float *ln1G; // [K, H]
  const float *ln1B; // [K, H]
  const float *l2W; // [K, 4H, 2H]   acts on [ln1(h1); h2]
  const float *l2B; // [K, 4H]
  const float *ln2G; // [K, H]
  const float *ln2B; // [K, H]
  const float *mlpW1; // [K, M, D]
  const float *mlpB1; // [K, M]
  const float *mlpW2; // [K, V, M]
  const float *mlpB2; // [K, V]
} Weights;

// State and scratch of one stream; the same buffers as stateLayout() with B = 1.
typedef struct {
  float *ur; // [E+R]     router input [x; hr]; hr lives here between steps
  float *cr; // [R]       router cell
  float *gr; // [4R]      router gates (i, f, g, o)
  float *scores; // [K]   router scores
  float *u1; // [K, E+H]  layer-1 inputs [x; h1]; h1 lives here between steps
  float *c1; // [K, H]    layer-1 cells
  float *g1; // [K, 4H]   layer-1 gates
  float *u2; // [K, 2H]   layer-2 inputs [ln1(h1); h2]; h2 lives here between steps
  float *c2; // [K, H]    layer-2 cells
  float *g2; // [K, 4H]   layer-2 gates
  float *y2; // [D]       the winner's decoder input: LN2(h2) [; LN1(h1); x]
  float *hid; // [M]      GELU layer of the winner
  float *logits; // [V]   next-byte logits
  float *base; // the one allocation holding all of the above
  size_t size; // floats in it
} State;

static size_t round4(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

/** Floats in the weight array, padding included, and every tensor's place in it (weightLayout()). */
static size_t layout_weights(const Config *c, const float *base, Weights *w) {
  const size_t E = c->E, R = c->R, K = c->K, H = c->H, M = c->M;
  size_t at = 0;
#define TAKE(field, n) (w->field = base ? base + at : NULL, at += round4(n))
  TAKE(embed, V * E);
  TAKE(routerW, 4 * R * (E + R));
  TAKE(routerB, 4 * R);
  TAKE(headW, K * R);
  TAKE(headB, K);
  TAKE(l1W, K * 4 * H * (E + H));
  TAKE(l1B, K * 4 * H);
  TAKE(ln1G, K * H);
  TAKE(ln1B, K * H);
  TAKE(l2W, K * 4 * H * 2 * H);
  TAKE(l2B, K * 4 * H);
  TAKE(ln2G, K * H);
  TAKE(ln2B, K * H);
  TAKE(mlpW1, K * M * c->D);
  TAKE(mlpB1, K * M);
  TAKE(mlpW2, K * V * M);
  TAKE(mlpB2, K * V);
#undef TAKE
  return at;
}

/** Parameters without padding (paramCount() in config.ts), for the same limit the app enforces. */
static long param_count(const Config *c) {
  const long E = c->E, R = c->R, K = c->K, H = c->H, M = c->M, D = c->D;
  return V * E + 4 * R * (E + R) + 4 * R + K * R + K + K * 4 * H * (E + H) + K * 4 * H + 2 * K * H +
         K * 4 * H * 2 * H + K * 4 * H + 2 * K * H + K * M * D + K * M + K * V * M + K * V;
}

static float *alloc_floats(size_t n) {
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64; // aligned_alloc wants a multiple of the alignment
  float *p = aligned_alloc(64, bytes ? bytes : 64);
  if (p) memset(p, 0, bytes);
  return p;
}

static int state_init(State *s, const Config *c) {
  const size_t E = c->E, R = c->R, K = c->K, H = c->H, M = c->M;
  const size_t n[] = {E + R, R, 4 * R, K, K * (E + H), K * H, K * 4 * H, K * 2 * H, K * H, K * 4 * H, (size_t)c->D, M, V};
  float **dst[] = {&s->ur, &s->cr, &s->gr, &s->scores, &s->u1, &s->c1, &s->g1, &s->u2, &s->c2, &s->g2, &s->y2, &s->hid, &s->logits};
  size_t total = 0;
  for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) total += (n[i] + 15) / 16 * 16; // 64-byte aligned buffers
  s->base = alloc_floats(total);
  if (!s->base) return -1;
  s->size = total;
  size_t at = 0;
  for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
    *dst[i] = s->base + at;
    at += (n[i] + 15) / 16 * 16;
  }
  return 0;
}

/** A fresh start: every hidden state and cell at zero (resetState()). */
static void state_reset(State *s) { memset(s->base, 0, s->size * sizeof(float)); }

// Nonlinearities: soma_tanh and soma_sigmoid from model-math.h, shared with the trainer's kernels.


// ---- Kernels ----

/** y[r] = b[r] + W[r,:]·x for r < rows.  W: [rows, cols] row-major, x: [cols], y: [rows]. */
static void matvec(float *restrict y, const float *restrict W, const float *restrict b, const float *restrict x, int rows,
                   int cols) {
  int r = 0;
  // Eight rows at a time share each load of x, and eight horizontal sums finish together; the
  // inner loop runs over contiguous columns, one vector accumulator per row. (Eight rows measured
  // about 10% faster than four here; repacking W into row panels gained only a few % more at the
  // default size, where the step is bound by reading ~1.1 MB of weights from L2/L3.)
  for (; r + 8 <= rows; r += 8) {
    const float *restrict w0 = W + (size_t)r * cols;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (int i = 0; i < cols; i++) {
      const float xi = x[i];
      s0 += w0[i] * xi;
      s1 += w0[cols + i] * xi;
      s2 += w0[2 * cols + i] * xi;
      s3 += w0[3 * cols + i] * xi;
      s4 += w0[4 * cols + i] * xi;
      s5 += w0[5 * cols + i] * xi;
      s6 += w0[6 * cols + i] * xi;
      s7 += w0[7 * cols + i] * xi;
    }
    y[r] = b[r] + s0;
    y[r + 1] = b[r + 1] + s1;
    y[r + 2] = b[r + 2] + s2;
    y[r + 3] = b[r + 3] + s3;
    y[r + 4] = b[r + 4] + s4;
    y[r + 5] = b[r + 5] + s5;
    y[r + 6] = b[r + 6] + s6;
    y[r + 7] = b[r + 7] + s7;
  }
  for (; r < rows; r++) {
    const float *restrict w0 = W + (size_t)r * cols;
    float s0 = 0;
    for (int i = 0; i < cols; i++) s0 += w0[i] * x[i];
    y[r] = b[r] + s0;
  }
}

/** LSTM cell for n units: gates g = [i; f; g; o], cell c updated in place, new hidden state to h. */
static void lstm_cell(const float *restrict g, float *restrict c, float *restrict h, int n) {
  for (int i = 0; i < n; i++) {
    const float ig = soma_sigmoid(g[i]);
    const float fg = soma_sigmoid(g[n + i]);
    const float gg = soma_tanh(g[2 * n + i]);
    const float og = soma_sigmoid(g[3 * n + i]);
    const float ci = fg * c[i] + ig * gg;
    c[i] = ci;
    h[i] = og * soma_tanh(ci);
  }
}

/** out = gain ⊙ (x − mean) / sqrt(var + eps) + bias, over n elements. */
static void layer_norm(const float *restrict x, float *restrict out, const float *restrict gain, const float *restrict bias,
                       int n) {
  float mean = 0;
  for (int i = 0; i < n; i++) mean += x[i];
  mean /= (float)n;
  float v = 0;
  for (int i = 0; i < n; i++) v += (x[i] - mean) * (x[i] - mean);
  const float inv = 1.0f / sqrtf(v / (float)n + 1e-5f);
  for (int i = 0; i < n; i++) out[i] = (x[i] - mean) * inv * gain[i] + bias[i];
}

/** GELU, tanh form, in place over n elements. */
static void gelu(float *restrict x, int n) {
  const float k = 0.7978845608028654f; // sqrt(2 / π)
  for (int i = 0; i < n; i++) {
    const float v = x[i];
    x[i] = 0.5f * v * (1.0f + soma_tanh(k * (v + 0.044715f * v * v * v)));
  }
}

/** Index of the largest of n values; the first of equal maxima wins. */
static int argmax(const float *x, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return best;
}

// ---- The step ----

/** Advances the stream by one byte (step() in forward.ts with B = 1); returns the router's winner. */
static int step(const Config *c, const Weights *w, State *s, int byte) {
  const int E = c->E, R = c->R, K = c->K, H = c->H, M = c->M;

  // x = embed[byte], copied into the router input and every expert's layer-1 input.
  const float *x = w->embed + (size_t)byte * E;
  memcpy(s->ur, x, E * sizeof(float));
  for (int e = 0; e < K; e++) memcpy(s->u1 + (size_t)e * (E + H), x, E * sizeof(float));

  // Router: gates = W·[x; hr] + b, then the cell; scores = Wh·hr + bh; winner = argmax.
  float *hr = s->ur + E;
  matvec(s->gr, w->routerW, w->routerB, s->ur, 4 * R, E + R);
  lstm_cell(s->gr, s->cr, hr, R);
  matvec(s->scores, w->headW, w->headB, hr, K, R);
  const int win = argmax(s->scores, K);

  // Every expert, layer 1: gates = W1·[x; h1] + b1; y1 = LN1(h1) goes to the front of layer 2's input.
  for (int e = 0; e < K; e++) {
    float *u1 = s->u1 + (size_t)e * (E + H), *g1 = s->g1 + (size_t)e * 4 * H;
    matvec(g1, w->l1W + (size_t)e * 4 * H * (E + H), w->l1B + (size_t)e * 4 * H, u1, 4 * H, E + H);
    lstm_cell(g1, s->c1 + (size_t)e * H, u1 + E, H);
    layer_norm(u1 + E, s->u2 + (size_t)e * 2 * H, w->ln1G + (size_t)e * H, w->ln1B + (size_t)e * H, H);
  }

  // Every expert, layer 2: gates = W2·[y1; h2] + b2.
  for (int e = 0; e < K; e++) {
    float *u2 = s->u2 + (size_t)e * 2 * H, *g2 = s->g2 + (size_t)e * 4 * H;
    matvec(g2, w->l2W + (size_t)e * 4 * H * 2 * H, w->l2B + (size_t)e * 4 * H, u2, 4 * H, 2 * H);
    lstm_cell(g2, s->c2 + (size_t)e * H, u2 + H, H);
  }

  // The winner alone decodes: d = LN2(h2) [; LN1(h1); x], hid = GELU(W1·d + b1), logits = W2·hid + b2.
  const float *h2 = s->u2 + (size_t)win * 2 * H + H;
  layer_norm(h2, s->y2, w->ln2G + (size_t)win * H, w->ln2B + (size_t)win * H, H);
  if (c->D > H) {
    memcpy(s->y2 + H, s->u2 + (size_t)win * 2 * H, H * sizeof(float));
    memcpy(s->y2 + 2 * H, x, E * sizeof(float));
  }
  if (c->D > 2 * H + E) memcpy(s->y2 + 2 * H + E, s->ur + E, R * sizeof(float));
  matvec(s->hid, w->mlpW1 + (size_t)win * M * c->D, w->mlpB1 + (size_t)win * M, s->y2, M, c->D);
  gelu(s->hid, M);
  matvec(s->logits, w->mlpW2 + (size_t)win * V * M, w->mlpB2 + (size_t)win * V, s->hid, V, M);
  return win;
}

/** From a reset state: feed `bos`, then n greedy steps, each feeding back the byte it picked. */
static void generate(const Config *c, const Weights *w, State *s, int bos, long n, unsigned char *out) {
  int byte = bos;
  for (long i = 0; i < n; i++) {
    step(c, w, s, byte);
    byte = argmax(s->logits, V);
    out[i] = (unsigned char)byte;
  }
}

#include "batched.h" // the batched step (B > 1): the trainer's forward pass at the machine's limit

// ---- Arguments, file, timing ----

static int fail(const char *msg) {
  fprintf(stderr, "step: %s\n", msg);
  return 2;
}

/** A decimal integer in [lo, hi], the whole string; -1 on anything else. */
static int parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/** The batched mode: warm-up, then n timed steps of every stream; prints the JSON line. */
static int run_batch(const Config *c, const Weights *w, float *flat, int bos, long n, int batch) {
  BState s;
  unsigned char *out = malloc((size_t)n), *bytes = malloc((size_t)batch);
  if (bstate_init(&s, c, batch) || !out || !bytes) return fail("out of memory for the state");
  if ((double)n * batch > 1e12) return fail("N·B is too large");

  generate_batch(c, w, &s, bos, n < WARMUP_MAX ? n : WARMUP_MAX, bytes, out); // warm-up, untimed
  memset(s.base, 0, s.size * sizeof(float));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  generate_batch(c, w, &s, bos, n, bytes, out);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

  double checksum = 0; // stream 0's, comparable with the B = 1 run
  for (int i = 0; i < V; i++) checksum += s.logits[i];
  const double total = (double)n * batch;
  printf("{\"tok_s\": %.1f, \"bytes\": %.0f, \"batch\": %d, \"first_bytes\": [", secs > 0 ? total / secs : 0.0, total, batch);
  for (long i = 0; i < n && i < FIRST_BYTES; i++) printf("%s%d", i ? ", " : "", out[i]);
  printf("], \"logits_checksum\": %.17g}\n", checksum);
  free(out);
  free(bytes);
  free(s.winners);
  free(s.base);
  free(flat);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 10 && argc != 11) return fail("usage: step WEIGHTS_RAW E R K H M WIDE BOS N [B]");
  static const char *names[] = {"E", "R", "K", "H", "M", "WIDE", "BOS", "N", "B"};
  static const long lo[] = {1, 1, 1, 1, 1, 0, 0, 1, 1};
  static const long hi[] = {MAX_EMBED, MAX_ROUTER, MAX_EXPERTS, MAX_HIDDEN, MAX_MLP, 2, 255, 1000000000L, MAX_BATCH};
  long v[9] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
  for (int i = 0; i < argc - 2; i++) {
    if (parse_int(argv[2 + i], lo[i], hi[i], &v[i])) {
      fprintf(stderr, "step: %s must be an integer in [%ld, %ld], got '%s'\n", names[i], lo[i], hi[i], argv[2 + i]);
      return 2;
    }
  }
  const Config c = {(int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[3] + (v[5] ? (int)v[3] + (int)v[0] : 0) + (v[5] == 2 ? (int)v[1] : 0)};
  const int bos = (int)v[6];
  const long n = v[7];
  const int batch = (int)v[8];
  if (param_count(&c) > MAX_PARAMS) return fail("config asks for more than 64Mi parameters");

  Weights w;
  const size_t total = layout_weights(&c, NULL, &w);
  float *flat = alloc_floats(total);
  if (!flat) return fail("out of memory for the weights");
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "step: cannot open %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  const size_t got = fread(flat, sizeof(float), total, f);
  const int extra = fgetc(f) != EOF;
  fclose(f);
  if (got != total || extra) {
    fprintf(stderr, "step: %s holds %s floats; this config's layout needs exactly %zu\n", argv[1],
            got < total ? "too few" : "too many", total);
    return 2;
  }
  layout_weights(&c, flat, &w);
  if (batch > 1) return run_batch(&c, &w, flat, bos, n, batch);

  State s;
  unsigned char *out = malloc((size_t)n);
  if (state_init(&s, &c) || !out) return fail("out of memory for the state");

  // Warm-up (caches, branch predictors, clocks), untimed, on its own reset state.
  generate(&c, &w, &s, bos, n < WARMUP_MAX ? n : WARMUP_MAX, out);

  state_reset(&s);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  generate(&c, &w, &s, bos, n, out);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);

  double checksum = 0;
  for (int i = 0; i < V; i++) checksum += s.logits[i];

  printf("{\"tok_s\": %.1f, \"bytes\": %ld, \"first_bytes\": [", secs > 0 ? (double)n / secs : 0.0, n);
  for (long i = 0; i < n && i < FIRST_BYTES; i++) printf("%s%d", i ? ", " : "", out[i]);
  printf("], \"logits_checksum\": %.17g}\n", checksum);
  free(out);
  free(s.base);
  free(flat);
  return 0;
}
