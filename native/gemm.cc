// Matrix products: OpenBLAS's cblas_sgemm, and plain loops for the thin products it is slow at.
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "stackae_native.h"
#include "threads.h"

namespace stackae {
namespace {

// Products with one dimension of at most kThin (the softmax layer's 10 classes), where OpenBLAS
// reaches a third of its usual speed (60000 × 200 · 200 × 10: 7.6 ms): plain loops, threaded by
// rows, that read the large operand once. C = alpha · product + beta · C, beta = 0 ignoring C.
constexpr int kThin = 16;

inline float Scaled(float alpha, float sum, float beta, float old) {
  return beta == 0.0f ? alpha * sum : alpha * sum + beta * old;
}

// Eight floats: a vector register's worth on AVX2, two on SSE, as GCC's target has it.
typedef float V8 __attribute__((vector_size(32)));

inline V8 Load8(const float* p) {
  V8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// One row of C = A · Bᵀ with N (a template constant) columns: the N dot products over K at once,
// each in its own vector of partial sums, so that they are N independent chains of fused
// multiply-adds sharing each load of A's row; one dot product at a time is a single chain, bound
// by the adds' latency (docs/kernels.md, "The thin products").
template <int N>
void ThinNRow(const float* ai, const float* b, size_t k, float alpha, float beta, float* ci) {
  V8 acc[N];
  for (int j = 0; j < N; j++) acc[j] = V8{};
  size_t t = 0;
  for (; t + 8 <= k; t += 8) {
    const V8 a = Load8(ai + t);
    for (int j = 0; j < N; j++) acc[j] += a * Load8(b + j * k + t);
  }
  for (int j = 0; j < N; j++) {
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += acc[j][l];
    for (size_t u = t; u < k; u++) sum += ai[u] * b[j * k + u];
    ci[j] = Scaled(alpha, sum, beta, ci[j]);
  }
}

template <int N>
struct ThinNKernel {
  static void Run(int M, size_t k, float alpha, const float* a, const float* b, float beta, float* c) {
    ParallelBlocks(static_cast<size_t>(M), 1, static_cast<size_t>(M) * k, [&](int, size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; i++) ThinNRow<N>(a + i * k, b, k, alpha, beta, c + i * N);
    });
  }
};

template <size_t... I>
constexpr auto ThinNTable(std::index_sequence<I...>) {
  return std::array{ThinNKernel<static_cast<int>(I) + 1>::Run...};
}
constexpr auto kThinN = ThinNTable(std::make_index_sequence<kThin>{});

// C (M × N) = A (M × K) · Bᵀ (B N × K), N ≤ kThin: each row of C is N dot products.
void GemmThinN(int M, int N, int K, float alpha, const float* a, const float* b, float beta, float* c) {
  kThinN[N - 1](M, static_cast<size_t>(K), alpha, a, b, beta, c);
}

// C (M × N) = A (M × K) · B (K × N), K ≤ kThin: each row of C is K rows of B, scaled and added.
void GemmThinK(int M, int N, int K, float alpha, const float* a, const float* b, float beta, float* c) {
  const size_t k = static_cast<size_t>(K), n = static_cast<size_t>(N);
  ParallelBlocks(static_cast<size_t>(M), 1, static_cast<size_t>(M) * n, [&](int, size_t i0, size_t i1) {
    std::vector<float> row(n);
    for (size_t i = i0; i < i1; i++) {
      std::fill(row.begin(), row.end(), 0.0f);
      for (size_t t = 0; t < k; t++) {
        const float ait = a[i * k + t];
        const float* bt = b + t * n;
        for (size_t j = 0; j < n; j++) row[j] += ait * bt[j];
      }
      float* ci = c + i * n;
      for (size_t j = 0; j < n; j++) ci[j] = Scaled(alpha, row[j], beta, ci[j]);
    }
  });
}

// Rows [r0, r1) of Aᵀ · B (A K × M, B K × N) added into the float64 totals (M × N): for each
// eight columns of B, the M sums of the rows' outer products held in vectors while the rows go
// by, then added into the totals (the tail columns one by one). Rows are taken in blocks of 256,
// whose sums are float before they join the float64 totals.
template <int M>
void ThinMRows(size_t r0, size_t r1, size_t n, const float* a, const float* b, double* total) {
  for (size_t start = r0; start < r1; start += 256) {
    const size_t end = std::min(r1, start + 256);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
      V8 acc[M];
      for (int i = 0; i < M; i++) acc[i] = V8{};
      for (size_t r = start; r < end; r++) {
        // The rows are n floats apart, a stride the hardware's prefetchers did not follow: ask ahead.
        __builtin_prefetch(b + (r + 16) * n + j);
        const V8 br = Load8(b + r * n + j);
        for (int i = 0; i < M; i++) acc[i] += a[r * M + i] * br;
      }
      for (int i = 0; i < M; i++)
        for (int l = 0; l < 8; l++) total[i * n + j + l] += acc[i][l];
    }
    for (; j < n; j++) {
      float acc[M] = {};
      for (size_t r = start; r < end; r++)
        for (int i = 0; i < M; i++) acc[i] += a[r * M + i] * b[r * n + j];
      for (int i = 0; i < M; i++) total[i * n + j] += acc[i];
    }
  }
}

template <int M>
struct ThinMKernel {
  static void Run(size_t k, size_t n, const float* a, const float* b, double* const* totals) {
    ParallelBlocks(k, 256, k * n, [&](int q, size_t r0, size_t r1) { ThinMRows<M>(r0, r1, n, a, b, totals[q]); });
  }
};

template <size_t... I>
constexpr auto ThinMTable(std::index_sequence<I...>) {
  return std::array{ThinMKernel<static_cast<int>(I) + 1>::Run...};
}
constexpr auto kThinM = ThinMTable(std::make_index_sequence<kThin>{});

// C (M × N) = Aᵀ · B, A (K × M) with M ≤ kThin, B (K × N): each thread sums its rows' outer
// products (ThinMRows) into float64 totals of its own, which are then added in order.
void GemmThinM(int M, int N, int K, float alpha, const float* a, const float* b, float beta, float* c) {
  const size_t m = static_cast<size_t>(M), n = static_cast<size_t>(N), mn = m * n;
  const int parts = Parts(static_cast<size_t>(K) * n);
  std::vector<std::vector<double>> totals(parts, std::vector<double>(mn, 0.0));
  std::vector<double*> at(parts);
  for (int q = 0; q < parts; q++) at[q] = totals[q].data();
  kThinM[M - 1](static_cast<size_t>(K), n, a, b, at.data());
  for (size_t e = 0; e < mn; e++) {
    double sum = 0;
    for (int q = 0; q < parts; q++) sum += totals[q][e];
    c[e] = Scaled(alpha, static_cast<float>(sum), beta, c[e]);
  }
}

}  // namespace

// sgemm(transA, transB, M, N, K, alpha, A, B, beta, C): row-major, leading dimensions the column counts.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  const bool ta = info[0].As<Napi::Boolean>().Value();
  const bool tb = info[1].As<Napi::Boolean>().Value();
  const int M = Int(info[2]), N = Int(info[3]), K = Int(info[4]);
  const int lda = ta ? M : K;
  const int ldb = tb ? K : N;
  FlushSubnormals mode;
  const float alpha = static_cast<float>(Num(info[5]));
  const float beta = static_cast<float>(Num(info[8]));
  const bool large = static_cast<double>(M) * N * K >= 65536.0;
  if (large && !ta && tb && N <= kThin) {
    GemmThinN(M, N, K, alpha, Data(info[6]), Data(info[7]), beta, Data(info[9]));
    return info.Env().Undefined();
  }
  if (large && !ta && !tb && K <= kThin) {
    GemmThinK(M, N, K, alpha, Data(info[6]), Data(info[7]), beta, Data(info[9]));
    return info.Env().Undefined();
  }
  if (large && ta && !tb && M <= kThin) {
    GemmThinM(M, N, K, alpha, Data(info[6]), Data(info[7]), beta, Data(info[9]));
    return info.Env().Undefined();
  }
  blas.sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
              static_cast<float>(Num(info[5])), Data(info[6]), lda, Data(info[7]), ldb,
              static_cast<float>(Num(info[8])), Data(info[9]), N);
  return info.Env().Undefined();
}

}  // namespace stackae
