// Float32 math shared by the element-wise and sparse kernels: e^x, the sigmoid and the flushing
// of subnormal results, as the Wasm kernels compute them (assembly/math.ts).
#ifndef STACKAE_SIGMOID_H_
#define STACKAE_SIGMOID_H_

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace stackae {

// e^x as the Wasm kernels compute it (assembly/math.ts, exp4): x = n·ln2 + r with |r| ≤ ln2/2,
// e^r by its degree-6 Taylor polynomial (relative error < 2e-7), 2^n built in the exponent bits;
// x clamped to [-87.3, 88.3]. Unlike std::exp, GCC vectorises it: the two sigmoids of one
// first-autoencoder evaluation take 29 ms instead of 235 ms (`npm run bench:profile`).
inline float Exp(float x) {
  x = std::min(std::max(x, -87.3f), 88.3f);
  const float n = std::floor(x * 1.4426950408889634f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// v, or 0 where |v| is below the smallest normal float (FLT_MIN, 2^-126 ≈ 1.2e-38). Intel's cores
// multiply a subnormal operand through a microcode assist: the products of one fine-tuning
// evaluation took 1,180 ms instead of 230 ms when saturated sigmoids put subnormal activations
// and deltas into them (`npm run bench:profile -- --stage finetune --scale 20`). On x86 the
// kernels also run under FlushSubnormals, which zeroes such results in hardware; this keeps the
// same results where there is no such mode. NaN stays NaN.
inline float Flush(float v) { return std::fabs(v) < FLT_MIN ? 0.0f : v; }

inline float Sigmoid(float z) { return Flush(1.0f / (1.0f + Exp(-z))); }

}  // namespace stackae

#endif  // STACKAE_SIGMOID_H_
