// Kernels over flat vectors for the optimisers: dot, axpy, Σ |x|, a minibatch's gather of rows,
// the minibatch updates (Adam, SGD) and L-BFGS's two-loop recursion split over threads.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "stackae_native.h"
#include "threads.h"

namespace stackae {

// dot(x, y) → Σ x ⊙ y
Napi::Value Dot(const Napi::CallbackInfo& info) {
  const float* x = Data(info[0]);
  const float* y = Data(info[1]);
  return Napi::Number::New(info.Env(), BlockedSum(0, Length(info[0]), [&](size_t i) { return x[i] * y[i]; }));
}

// gatherRows(A, cols, rows, out): out's i-th row (cols floats) = A's row rows[i] (the indices are
// checked by the caller): a minibatch's gather. On one thread: on both, through Parallel, 256 rows
// of 784 values took 124–135 µs against 93 (`npm run bench:steps`).
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const size_t n = static_cast<size_t>(Int(info[1]));
  const int32_t* rows = Ints(info[2]);
  const size_t count = info[2].As<Napi::Int32Array>().ElementLength();
  float* out = Data(info[3]);
  for (size_t i = 0; i < count; i++) std::memcpy(out + i * n, a + static_cast<size_t>(rows[i]) * n, n * sizeof(float));
  return info.Env().Undefined();
}

// sumAbs(x) → Σ |x| in float64, which float32 values cannot overflow: NaN or ∞ exactly when
// some element is. The sum is reordered to vectorise (the build's -fassociative-math).
Napi::Value SumAbs(const Napi::CallbackInfo& info) {
  const float* x = Data(info[0]);
  const size_t size = Length(info[0]);
  double total = 0;
  for (size_t i = 0; i < size; i++) total += std::fabs(static_cast<double>(x[i]));
  return Napi::Number::New(info.Env(), total);
}

// axpy(alpha, x, y): y += alpha · x
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  const float alpha = static_cast<float>(Num(info[0]));
  const float* x = Data(info[1]);
  float* y = Data(info[2]);
  const size_t size = Length(info[1]);
  for (size_t i = 0; i < size; i++) y[i] += alpha * x[i];
  return info.Env().Undefined();
}

namespace {

// The optimisers' updates of optim/minibatch.ts, in their float64 arithmetic and order: no
// contraction into fused multiply-adds, no reassociation, no reciprocals, so that each element
// comes out as JavaScript computes it. The vectorised square roots and divisions are IEEE's.
//
// Adam's, over [i0, i1).
#pragma GCC push_options
#pragma GCC optimize("no-associative-math", "no-reciprocal-math", "fp-contract=off")
void AdamRange(size_t i0, size_t i1, float* x, const float* g, double* m, double* v, double b1, double b2,
               double eps, double stepPerM, double perV) {
  const double c1 = 1 - b1, c2 = 1 - b2;
  for (size_t i = i0; i < i1; i++) {
    const double gi = g[i];
    const double mi = b1 * m[i] + c1 * gi;
    const double vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    x[i] = static_cast<float>(static_cast<double>(x[i]) - (stepPerM * mi) / (std::sqrt(vi * perV) + eps));
  }
}
// SGD's update of optim/minibatch.ts over [i0, i1): the velocity rounded to float32 as it is
// stored, the step taken with it unrounded, as JavaScript does.
void SgdRange(size_t i0, size_t i1, float* x, const float* g, float* vel, double mu, double rate, bool nesterov) {
  for (size_t i = i0; i < i1; i++) {
    const double gi = g[i];
    const double vi = mu * static_cast<double>(vel[i]) - rate * gi;
    vel[i] = static_cast<float>(vi);
    x[i] = static_cast<float>(static_cast<double>(x[i]) + (nesterov ? mu * vi - rate * gi : vi));
  }
}
#pragma GCC pop_options

}  // namespace

// sgdStep(x, g, v, momentum, rate, nesterov): x, g, v Float32Array.
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  float* x = Data(info[0]);
  const float* g = Data(info[1]);
  float* vel = Data(info[2]);
  const double mu = Num(info[3]), rate = Num(info[4]);
  const bool nesterov = info[5].As<Napi::Boolean>().Value();
  const size_t n = Length(info[0]);
  ParallelBlocks(n, 64, n, [&](int, size_t i0, size_t i1) {
    KeepSubnormals ieee;
    SgdRange(i0, i1, x, g, vel, mu, rate, nesterov);
  });
  return info.Env().Undefined();
}

// adamStep(x, g, m, v, b1, b2, eps, stepPerM, perV): x, g Float32Array, m, v Float64Array.
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  float* x = Data(info[0]);
  const float* g = Data(info[1]);
  double* m = info[2].As<Napi::Float64Array>().Data();
  double* v = info[3].As<Napi::Float64Array>().Data();
  const double b1 = Num(info[4]), b2 = Num(info[5]), eps = Num(info[6]), stepPerM = Num(info[7]), perV = Num(info[8]);
  const size_t n = Length(info[0]);
  ParallelBlocks(n, 64, n, [&](int, size_t i0, size_t i1) {
    KeepSubnormals ieee;
    AdamRange(i0, i1, x, g, m, v, b1, b2, eps, stepPerM, perV);
  });
  return info.Env().Undefined();
}

// twoLoop(g, S, Y, rho, hDiag, d): d = −H·g, H the L-BFGS inverse Hessian of the pairs S[i],
// Y[i] (oldest first, ρᵢ = 1/(yᵢᵀsᵢ) in the Float64Array rho) scaled by hDiag: the two-loop
// recursion of src/optim/lbfgs.ts in one call. Each step's axpy and the next step's dot product
// share one pass over d, and the threads each take a slice of every vector, adding up the parts
// of each dot product in order at a barrier: the history (500 MB for the first autoencoder)
// streams from memory on both cores. The same arithmetic as dot and axpy above, so the result is
// that of the JavaScript loop with this backend's dot and axpy but for the order in which the
// threads' float64 partial sums are added.
Napi::Value TwoLoop(const Napi::CallbackInfo& info) {
  const float* g = Data(info[0]);
  const Napi::Array sList = info[1].As<Napi::Array>();
  const Napi::Array yList = info[2].As<Napi::Array>();
  const double* rho = info[3].As<Napi::Float64Array>().Data();
  const double hDiag = Num(info[4]);
  float* d = Data(info[5]);
  const size_t n = Length(info[0]);
  const size_t k = sList.Length();
  std::vector<const float*> S(k), Y(k);
  for (uint32_t i = 0; i < k; i++) {
    S[i] = Data(sList.Get(i));
    Y[i] = Data(yList.Get(i));
  }
  const int parts = Parts(n, kThreadedVector);
  Meeting meeting(parts);
  Parallel(parts, [&](int q) {
    size_t b, e;
    Share(n, 256, parts, q, b, e);
    if (k == 0) {
      for (size_t i = b; i < e; i++) d[i] = static_cast<float>(hDiag * -g[i]);
      return;
    }
    std::vector<double> alpha(k);
    size_t step = 0;
    // First loop, newest pair first: αⱼ = ρⱼ sⱼᵀd, d −= αⱼ yⱼ; then d = hDiag · d.
    const float* s = S[k - 1];
    double mine = BlockedSum(b, e, [&](size_t i) {
      const float di = -g[i];
      d[i] = di;
      return s[i] * di;
    });
    for (size_t j = k; j-- > 0;) {
      alpha[j] = rho[j] * meeting.Total(step++, mine, q);
      const float a = static_cast<float>(-alpha[j]);
      const float* y = Y[j];
      if (j > 0) {
        const float* next = S[j - 1];
        mine = BlockedSum(b, e, [&](size_t i) {
          const float di = d[i] + a * y[i];
          d[i] = di;
          return next[i] * di;
        });
      } else {
        const float* next = Y[0];
        mine = BlockedSum(b, e, [&](size_t i) {
          const float di = static_cast<float>(hDiag * (d[i] + a * y[i]));
          d[i] = di;
          return next[i] * di;
        });
      }
    }
    // Second loop, oldest pair first: βⱼ = ρⱼ yⱼᵀd, d += (αⱼ − βⱼ) sⱼ.
    for (size_t j = 0; j < k; j++) {
      const float c = static_cast<float>(alpha[j] - rho[j] * meeting.Total(step++, mine, q));
      const float* sj = S[j];
      if (j + 1 < k) {
        const float* next = Y[j + 1];
        mine = BlockedSum(b, e, [&](size_t i) {
          const float di = d[i] + c * sj[i];
          d[i] = di;
          return next[i] * di;
        });
      } else {
        for (size_t i = b; i < e; i++) d[i] += c * sj[i];
      }
    }
  });
  return info.Env().Undefined();
}

}  // namespace stackae
