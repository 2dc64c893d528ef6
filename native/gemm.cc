// Matrix products: OpenBLAS's cblas_sgemm, and plain loops for the thin products it is slow at.
#include <algorithm>
#include <cstddef>
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

// C (M × N) = A (M × K) · Bᵀ (B N × K), N ≤ kThin: each row of C is N dot products.
void GemmThinN(int M, int N, int K, float alpha, const float* a, const float* b, float beta, float* c) {
  const size_t k = static_cast<size_t>(K), n = static_cast<size_t>(N);
  ParallelBlocks(static_cast<size_t>(M), 1, static_cast<size_t>(M) * k, [&](int, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) {
      const float* ai = a + i * k;
      for (size_t j = 0; j < n; j++) {
        const float* bj = b + j * k;
        float sum = 0;
        for (size_t t = 0; t < k; t++) sum += ai[t] * bj[t];
        c[i * n + j] = Scaled(alpha, sum, beta, c[i * n + j]);
      }
    }
  });
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

// C (M × N) = Aᵀ · B, A (K × M) with M ≤ kThin, B (K × N): each thread adds the outer products
// of its rows into M × N float sums per block of 256 rows, and those into float64 totals.
void GemmThinM(int M, int N, int K, float alpha, const float* a, const float* b, float beta, float* c) {
  const size_t m = static_cast<size_t>(M), n = static_cast<size_t>(N), mn = m * n;
  const int parts = Parts(static_cast<size_t>(K) * n);
  std::vector<std::vector<double>> totals(parts, std::vector<double>(mn, 0.0));
  ParallelBlocks(static_cast<size_t>(K), 256, static_cast<size_t>(K) * n, [&](int q, size_t r0, size_t r1) {
    std::vector<float> block(mn);
    double* total = totals[q].data();
    for (size_t start = r0; start < r1; start += 256) {
      const size_t end = std::min(r1, start + 256);
      std::fill(block.begin(), block.end(), 0.0f);
      for (size_t r = start; r < end; r++) {
        const float* br = b + r * n;
        for (size_t i = 0; i < m; i++) {
          const float ari = a[r * m + i];
          float* bi = block.data() + i * n;
          for (size_t j = 0; j < n; j++) bi[j] += ari * br[j];
        }
      }
      for (size_t e = 0; e < mn; e++) total[e] += block[e];
    }
  });
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
