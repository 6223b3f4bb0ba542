// The model's nonlinearities in C, for the trainer's kernels and the benchmark's reference step.
// The definitions are those of src/model/forward.ts: the rational tanh (clamp and constants), and
// sigmoid(x) = (1 + tanh(x/2)) / 2, here in fp32.
#ifndef SOMA_MODEL_MATH_H
#define SOMA_MODEL_MATH_H

static inline float soma_tanh(float x) {
  const float clamp = 7.90531110763549805f;
  x = x < -clamp ? -clamp : x > clamp ? clamp : x;
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p - 8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-8f;
  p = x2 * p + 1.48572235717979e-5f;
  p = x2 * p + 6.37261928875436e-4f;
  p = x2 * p + 4.89352455891786e-3f;
  float q = x2 * 1.19825839466702e-6f + 1.18534705686654e-4f;
  q = x2 * q + 2.268434632439e-3f;
  q = x2 * q + 4.89352518554385e-3f;
  return (x * p) / q;
}

static inline float soma_sigmoid(float x) { return 0.5f + 0.5f * soma_tanh(0.5f * x); }

#endif
