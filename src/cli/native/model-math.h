// The model's nonlinearities in C, for the trainer's kernels and the benchmark's reference step.
// The definitions are those of src/model/forward.ts: the rational tanh (clamp and constants), and
// sigmoid(x) = (1 + tanh(x/2)) / 2, here in fp32, and GELU's tanh form.
#ifndef SOMA_MODEL_MATH_H
#define SOMA_MODEL_MATH_H

// The rational tanh, in the precision T of its arguments and arithmetic.
#define SOMA_TANH(name, T)                                              \
  static inline __attribute__((always_inline)) T name(T x) {                                           \
    const T clamp = (T)7.90531110763549805;                             \
    x = x < -clamp ? -clamp : x > clamp ? clamp : x;                    \
    const T x2 = x * x;                                                 \
    T p = x2 * (T)-2.76076847742355e-16 + (T)2.00018790482477e-13;      \
    p = x2 * p - (T)8.60467152213735e-11;                               \
    p = x2 * p + (T)5.12229709037114e-8;                                \
    p = x2 * p + (T)1.48572235717979e-5;                                \
    p = x2 * p + (T)6.37261928875436e-4;                                \
    p = x2 * p + (T)4.89352455891786e-3;                                \
    T q = x2 * (T)1.19825839466702e-6 + (T)1.18534705686654e-4;         \
    q = x2 * q + (T)2.268434632439e-3;                                  \
    q = x2 * q + (T)4.89352518554385e-3;                                \
    return (x * p) / q;                                                 \
  }
SOMA_TANH(soma_tanh, float)
SOMA_TANH(soma_tanh_d, double) // as the TypeScript reference computes it, in float64

static inline float soma_sigmoid(float x) { return 0.5f + 0.5f * soma_tanh(0.5f * x); }

// GELU, tanh form, in float64 (the decoder's hidden layer).
static inline __attribute__((always_inline)) double soma_gelu_d(double x) { return 0.5 * x * (1 + soma_tanh_d(0.7978845608028654 * (x + 0.044715 * x * x * x))); }

#endif
