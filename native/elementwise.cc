// Element-wise passes and reductions over matrices: the sigmoid with its bias row, the deltas of
// backpropagation, the softmax of rows with its cost, and column sums, on every thread by rows.
// Plain loops that the compiler vectorises (built with -O3 -march=native by
// scripts/build-native.mjs).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sigmoid.h"
#include "stackae_native.h"
#include "threads.h"

namespace stackae {

// biasSigmoid(Z, b, out, cols): out = σ(Z + 1·bᵀ), on every thread by rows.
Napi::Value BiasSigmoid(const Napi::CallbackInfo& info) {
  const float* z = Data(info[0]);
  const float* b = Data(info[1]);
  float* o = Data(info[2]);
  const size_t n = static_cast<size_t>(Int(info[3]));
  const size_t size = Length(info[0]);
  ParallelBlocks(size / n, 1, size, [&](int, size_t r0, size_t r1) {
    for (size_t i = r0 * n; i < r1 * n; i += n)
      for (size_t j = 0; j < n; j++) o[i + j] = Sigmoid(z[i + j] + b[j]);
  });
  return info.Env().Undefined();
}

// sigmoidGradMul(A, D, out): out = D ⊙ A ⊙ (1 − A)
Napi::Value SigmoidGradMul(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const float* d = Data(info[1]);
  float* o = Data(info[2]);
  const size_t size = Length(info[0]);
  ParallelBlocks(size, 256, size, [&](int, size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) o[i] = Flush(d[i] * a[i] * (1.0f - a[i]));
  });
  return info.Env().Undefined();
}

// addRowSigmoidGradMul(D, s, A, cols): D = (D + 1·sᵀ) ⊙ A ⊙ (1 − A)
Napi::Value AddRowSigmoidGradMul(const Napi::CallbackInfo& info) {
  float* d = Data(info[0]);
  const float* s = Data(info[1]);
  const float* a = Data(info[2]);
  const size_t n = static_cast<size_t>(Int(info[3]));
  const size_t size = Length(info[0]);
  ParallelBlocks(size / n, 1, size, [&](int, size_t r0, size_t r1) {
    for (size_t i = r0 * n; i < r1 * n; i += n)
      for (size_t j = 0; j < n; j++) d[i + j] = Flush((d[i + j] + s[j]) * a[i + j] * (1.0f - a[i + j]));
  });
  return info.Env().Undefined();
}

// squaredErrorDelta(A3, X, delta) → Σ (A3 − X)²; delta = (A3 − X) ⊙ A3 ⊙ (1 − A3)
Napi::Value SquaredErrorDelta(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const float* x = Data(info[1]);
  float* d = Data(info[2]);
  const double total = ParallelSum(Length(info[0]), [&](size_t i) {
    const float ai = a[i];
    const float e = ai - x[i];
    d[i] = Flush(e * ai * (1.0f - ai));
    return e * e;
  });
  return Napi::Number::New(info.Env(), total);
}

namespace {

// out[0:n] = scale · column sums of a rows × n matrix whose row i `row(i, part)` adds into part
// (n floats); row returns a float64 of its own, summed too and returned. float32 partial sums
// over blocks of 256 rows, added in float64; the threads take whole blocks, their sums added in
// order.
template <typename Row>
double ColumnSums(size_t rows, size_t n, double scale, float* out, Row row) {
  const int parts = Parts(rows * n);
  std::vector<std::vector<double>> sums(parts, std::vector<double>(n, 0.0));
  std::vector<double> totals(parts, 0.0);
  ParallelBlocks(rows, 256, rows * n, [&](int q, size_t r0, size_t r1) {
    std::vector<float> part(n);
    double* sum = sums[q].data();
    for (size_t start = r0; start < r1; start += 256) {
      const size_t end = start + 256 < r1 ? start + 256 : r1;
      std::fill(part.begin(), part.end(), 0.0f);
      for (size_t i = start; i < end; i++) totals[q] += row(i, part.data());
      for (size_t j = 0; j < n; j++) sum[j] += part[j];
    }
  });
  for (size_t j = 0; j < n; j++) {
    double s = 0;
    for (int q = 0; q < parts; q++) s += sums[q][j];
    out[j] = static_cast<float>(scale * s);
  }
  double total = 0;
  for (const double t : totals) total += t;
  return total;
}

// ln 2^-126: below it, e^x is not a normal float (Exp clamps there).
constexpr float kLnFltMin = -87.33654f;

}  // namespace

// softmaxRows(P, labels, rows, k) → Σ −log softmax(z)[y]: each row z of P (k logits) becomes its
// softmax, e^(z − max z) over its sum, 0 below FLT_MIN, as the Wasm kernel computes it
// (assembly/elementwise.ts, softmaxRows); the cost from the logits, log Σ e^(z − max) − (z_y − max),
// in float64. The labels are in [0, k) (checked by the caller). On every thread by rows, the
// parts' sums added in order.
Napi::Value SoftmaxRows(const Napi::CallbackInfo& info) {
  float* p = Data(info[0]);
  const int32_t* labels = Ints(info[1]);
  const size_t rows = static_cast<size_t>(Int(info[2]));
  const size_t k = static_cast<size_t>(Int(info[3]));
  std::vector<double> totals(Parts(rows * k), 0.0);
  ParallelBlocks(rows, 64, rows * k, [&](int q, size_t r0, size_t r1) {
    double nll = 0;
    for (size_t i = r0; i < r1; i++) {
      float* z = p + i * k;
      float max = z[0];
      for (size_t c = 1; c < k; c++) max = std::max(max, z[c]);
      const float zy = z[labels[i]];
      float sum = 0;
      for (size_t c = 0; c < k; c++) {
        const float d = z[c] - max;
        z[c] = d < kLnFltMin ? 0.0f : Exp(d);
        sum += z[c];
      }
      for (size_t c = 0; c < k; c++) z[c] = Flush(z[c] / sum);
      nll += std::log(static_cast<double>(sum)) - (static_cast<double>(zy) - static_cast<double>(max));
    }
    totals[q] = nll;
  });
  double total = 0;
  for (const double t : totals) total += t;
  return Napi::Number::New(info.Env(), total);
}

// colSums(A, rows, cols, scale, out): out = scale · column sums of A.
Napi::Value ColSums(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const size_t n = static_cast<size_t>(Int(info[2]));
  ColumnSums(static_cast<size_t>(Int(info[1])), n, Num(info[3]), Data(info[4]), [&](size_t i, float* part) {
    const float* ai = a + i * n;
    for (size_t j = 0; j < n; j++) part[j] += ai[j];
    return 0.0;
  });
  return info.Env().Undefined();
}

// squaredErrorDeltaSums(A3, X, delta, rows, cols, scale, out, bias) → Σ (A3 − X)²:
// squaredErrorDelta, and out = scale · column sums of delta (the output bias's gradient) in the
// same pass. With a bias row (a Float32Array of cols, else null), A3 holds the decoder's
// pre-activations Z and the pass computes A3 = σ(Z + 1·biasᵀ) itself: one pass over the matrix
// where the sigmoid and the delta took two (60000 × 784, in place: 27–30 ms against 43–44 ms).
Napi::Value SquaredErrorDeltaSums(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const float* x = Data(info[1]);
  float* d = Data(info[2]);
  const size_t n = static_cast<size_t>(Int(info[4]));
  const float* bias = info[7].IsTypedArray() ? Data(info[7]) : nullptr;
  auto rows = [&](auto activation) {
    return ColumnSums(static_cast<size_t>(Int(info[3])), n, Num(info[5]), Data(info[6]), [&](size_t i, float* part) {
      const float* ai = a + i * n;
      const float* xi = x + i * n;
      float* di = d + i * n;
      float squares = 0;
      for (size_t j = 0; j < n; j++) {
        const float aj = activation(ai[j], j);
        const float e = aj - xi[j];
        const float v = Flush(e * aj * (1.0f - aj));
        di[j] = v;
        part[j] += v;
        squares += e * e;
      }
      return static_cast<double>(squares);
    });
  };
  const double total = bias != nullptr ? rows([&](float z, size_t j) { return Sigmoid(z + bias[j]); })
                                       : rows([](float v, size_t) { return v; });
  return Napi::Number::New(info.Env(), total);
}

}  // namespace stackae
