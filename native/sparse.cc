// Products with a sparse (CSR) matrix S: S · Wᵀ row by row, and Sᵀ · D from S's non-zeros in
// column order within blocks of rows (columnBlocks), with a row of up to a few hundred columns
// held in vector registers.
#ifdef __AVX2__
#include <immintrin.h>
#endif
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "sigmoid.h"
#include "stackae_native.h"
#include "threads.h"

namespace stackae {
namespace {

// Vectors of floats for the sparse kernels: AVX-512 (16 lanes, 32 registers), AVX2 (8 lanes, 16
// registers) or plain floats, chosen by the compiler's target (-march=native). A row of up to
// kWidth · kRegisters columns is held in registers, the last vector masked (`Tail`) when the
// width is not a multiple of kWidth: the first autoencoder's 200 columns are 13 AVX-512 vectors.
struct Lanes {
#if defined(__AVX512F__)
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int kWidth = 16;
  static constexpr int kRegisters = 13;
  static Mask Tail(int left) { return left >= 16 ? Mask(0xFFFF) : Mask((1u << left) - 1); }
  static V Zero() { return _mm512_setzero_ps(); }
  static V Set(float x) { return _mm512_set1_ps(x); }
  static V Load(const float* p) { return _mm512_loadu_ps(p); }
  static V Load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void Store(float* p, V v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
#elif defined(__AVX2__)
  using V = __m256;
  using Mask = __m256i;
  static constexpr int kWidth = 8;
  static constexpr int kRegisters = 12;
  static Mask Tail(int left) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V Zero() { return _mm256_setzero_ps(); }
  static V Set(float x) { return _mm256_set1_ps(x); }
  static V Load(const float* p) { return _mm256_loadu_ps(p); }
  static V Load(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void Store(float* p, V v, Mask m) { _mm256_maskstore_ps(p, m, v); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
#else
  using V = float;
  using Mask = bool;
  static constexpr int kWidth = 1;
  static constexpr int kRegisters = 8;
  static Mask Tail(int left) { return left > 0; }
  static V Zero() { return 0.0f; }
  static V Set(float x) { return x; }
  static V Load(const float* p) { return *p; }
  static V Load(const float* p, Mask m) { return m ? *p : 0.0f; }
  static void Store(float* p, V v) { *p = v; }
  static void Store(float* p, V v, Mask m) {
    if (m) *p = v;
  }
  static V Fma(V a, V b, V c) { return a * b + c; }
  static V Add(V a, V b) { return a + b; }
#endif
  static constexpr size_t kChunk = size_t{kWidth} * kRegisters;
};

// acc[0 … Vs) += x · p[0 … columns of the chunk), the last vector masked.
template <int Vs>
inline void MulAdd(Lanes::V (&acc)[Vs], Lanes::V x, const float* p, Lanes::Mask tail) {
  for (int v = 0; v + 1 < Vs; v++) acc[v] = Lanes::Fma(x, Lanes::Load(p + v * Lanes::kWidth), acc[v]);
  acc[Vs - 1] = Lanes::Fma(x, Lanes::Load(p + (Vs - 1) * Lanes::kWidth, tail), acc[Vs - 1]);
}

// One chunk of columns [j, j + width) of the rows [r0, r1) of C = S · Wᵀ, with Wt = Wᵀ (n × h):
// row i is Σ over its non-zeros S[i][k] · (row k of Wt), summed in Vs registers, then stored;
// with a bias row, the stored chunk (still in L1) then becomes σ(C + b), as BiasSigmoid computes it.
template <int Vs>
void MulTChunk(int r0, int r1, const int32_t* rowStart, const int32_t* colIndex, const float* values, const float* wt,
               size_t h, size_t j, size_t width, Lanes::Mask tail, const float* bias, float* c) {
  for (int i = r0; i < r1; i++) {
    Lanes::V acc[Vs];
    for (auto& a : acc) a = Lanes::Zero();
    for (int32_t p = rowStart[i]; p < rowStart[i + 1]; p++) {
      MulAdd(acc, Lanes::Set(values[p]), wt + static_cast<size_t>(colIndex[p]) * h + j, tail);
    }
    float* ci = c + static_cast<size_t>(i) * h + j;
    for (int v = 0; v + 1 < Vs; v++) Lanes::Store(ci + v * Lanes::kWidth, acc[v]);
    Lanes::Store(ci + (Vs - 1) * Lanes::kWidth, acc[Vs - 1], tail);
    if (bias != nullptr) {
      for (size_t t = 0; t < width; t++) ci[t] = Sigmoid(ci[t] + bias[j + t]);
    }
  }
}

// One chunk of columns [j, j + width) of G = Sᵀ · D (n × h) over the rows of one block of S,
// from the block's non-zeros in column order (ColumnBlocks): G[k] += Σ over the block's
// non-zeros of column k S[i][k] · (row i of D), summed in Vs registers; the block's rows of D
// (blockRows × h floats) stay in cache while every column reads them.
template <int Vs>
void TMulChunk(const int32_t* colStart, int n, const uint16_t* row, const float* values, const float* d, size_t h,
               size_t j, Lanes::Mask tail, float* g) {
  for (int k = 0; k < n; k++) {
    const int32_t p0 = colStart[k], p1 = colStart[k + 1];
    if (p0 == p1) continue;
    Lanes::V acc[Vs];
    for (auto& a : acc) a = Lanes::Zero();
    for (int32_t p = p0; p < p1; p++) MulAdd(acc, Lanes::Set(values[p]), d + row[p] * h + j, tail);
    float* gk = g + static_cast<size_t>(k) * h + j;
    for (int v = 0; v + 1 < Vs; v++) {
      Lanes::Store(gk + v * Lanes::kWidth, Lanes::Add(acc[v], Lanes::Load(gk + v * Lanes::kWidth)));
    }
    float* last = gk + (Vs - 1) * Lanes::kWidth;
    Lanes::Store(last, Lanes::Add(acc[Vs - 1], Lanes::Load(last, tail)), tail);
  }
}

// The chunk kernels for 1 … kRegisters vectors, indexed by the vector count less one.
template <template <int> class Kernel, size_t... I>
constexpr auto Table(std::index_sequence<I...>) {
  return std::array{Kernel<static_cast<int>(I) + 1>::Run...};
}
template <int Vs>
struct MulTKernel {
  static constexpr auto Run = MulTChunk<Vs>;
};
template <int Vs>
struct TMulKernel {
  static constexpr auto Run = TMulChunk<Vs>;
};
constexpr auto kMulT = Table<MulTKernel>(std::make_index_sequence<Lanes::kRegisters>{});
constexpr auto kTMul = Table<TMulKernel>(std::make_index_sequence<Lanes::kRegisters>{});

// Calls body(j, width, vectors, tail) for each chunk of columns [j, j + width) of [0, h), width
// at most kChunk, the chunks as even as whole vectors allow: a last chunk of one vector would
// run a single chain of multiply-adds, its latency unhidden (200 columns on AVX2: 72, 72, 56
// rather than 96, 96, 8). Each element's sum runs in the same order whatever the chunks.
template <typename Body>
void Chunks(size_t h, Body body) {
  const size_t all = (h + Lanes::kWidth - 1) / Lanes::kWidth;
  const size_t count = (all + Lanes::kRegisters - 1) / Lanes::kRegisters;
  const size_t step = (all + count - 1) / count * Lanes::kWidth;
  for (size_t j = 0; j < h; j += step) {
    const size_t width = std::min(step, h - j);
    const size_t vectors = (width + Lanes::kWidth - 1) / Lanes::kWidth;
    body(j, width, vectors, Lanes::Tail(static_cast<int>(width - (vectors - 1) * Lanes::kWidth)));
  }
}

// The tiles of Transpose and of SparseTMul's sum: 16 × 16 floats, whose rows and columns both
// stay in L1, where a plain loop strides through a whole matrix on one side.
constexpr size_t kTile = 16;

// out (cols × rows) = in (rows × cols)ᵀ, a tile at a time.
void Transpose(const float* in, size_t rows, size_t cols, float* out) {
  for (size_t i0 = 0; i0 < rows; i0 += kTile) {
    const size_t i1 = std::min(rows, i0 + kTile);
    for (size_t k0 = 0; k0 < cols; k0 += kTile) {
      const size_t k1 = std::min(cols, k0 + kTile);
      for (size_t k = k0; k < k1; k++)
        for (size_t i = i0; i < i1; i++) out[k * rows + i] = in[i * cols + k];
    }
  }
}

// Row ranges of a CSR matrix with about equal non-zeros, in whole blocks of `block` rows: part
// q is [cut[q], cut[q + 1]).
std::vector<int> SplitRows(const int32_t* rowStart, int rows, int parts, int block = 1) {
  std::vector<int> cut(parts + 1, rows);
  cut[0] = 0;
  const double nnz = rowStart[rows];
  int r = 0;
  for (int q = 1; q < parts; q++) {
    while (r < rows && rowStart[std::min(rows, r + block)] <= nnz * q / parts) r = std::min(rows, r + block);
    cut[q] = r;
  }
  return cut;
}

}  // namespace

// sparseMulT(rowStart, colIndex, values, rows, W, h, n, C, bias): C (rows × h) = S · Wᵀ, W h × n;
// with a bias row (a Float32Array of h, else null), C = σ(S · Wᵀ + 1·biasᵀ).
Napi::Value SparseMulT(const Napi::CallbackInfo& info) {
  const int32_t* rowStart = Ints(info[0]);
  const int32_t* colIndex = Ints(info[1]);
  const float* values = Data(info[2]);
  const int rows = Int(info[3]);
  const float* w = Data(info[4]);
  const size_t h = static_cast<size_t>(Int(info[5]));
  const size_t n = static_cast<size_t>(Int(info[6]));
  float* c = Data(info[7]);
  const float* bias = info[8].IsTypedArray() ? Data(info[8]) : nullptr;
  // Wᵀ, every element written before it is read: left uninitialised.
  const std::unique_ptr<float[]> wt(new float[n * h]);
  Transpose(w, h, n, wt.get());
  const int parts = Parts(static_cast<size_t>(rowStart[rows]) * h, kThreadedProduct);
  const std::vector<int> cut = SplitRows(rowStart, rows, parts);
  Parallel(parts, [&](int q) {
    Chunks(h, [&](size_t j, size_t width, size_t vectors, Lanes::Mask tail) {
      kMulT[vectors - 1](cut[q], cut[q + 1], rowStart, colIndex, values, wt.get(), h, j, width, tail, bias, c);
    });
  });
  return info.Env().Undefined();
}

// nonZeros(A) → the number of A's non-zero floats: what a sparse copy of A holds.
Napi::Value NonZeros(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const size_t size = Length(info[0]);
  size_t count = 0;
  for (size_t i = 0; i < size; i++) count += a[i] != 0.0f;
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

// fillCsr(A, rows, cols, rowStart, colIndex, values): A's non-zeros in compressed sparse rows,
// into arrays of rows + 1 and nonZeros(A) elements, as sparse.ts's fillCsr writes them.
Napi::Value FillCsr(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const int rows = Int(info[1]);
  const size_t cols = static_cast<size_t>(Int(info[2]));
  int32_t* rowStart = info[3].As<Napi::Int32Array>().Data();
  int32_t* colIndex = info[4].As<Napi::Int32Array>().Data();
  float* values = Data(info[5]);
  int32_t p = 0;
  for (int i = 0; i < rows; i++) {
    rowStart[i] = p;
    const float* ai = a + static_cast<size_t>(i) * cols;
    size_t k = 0;
#ifdef __AVX2__
    // Eight at a time: a row of pixels is mostly runs of zeros, which a test of eight skips.
    for (; k + 8 <= cols; k += 8) {
      unsigned mask = static_cast<unsigned>(
          _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(ai + k), _mm256_setzero_ps(), _CMP_NEQ_UQ)));
      while (mask != 0) {
        const int bit = __builtin_ctz(mask);
        colIndex[p] = static_cast<int32_t>(k) + bit;
        values[p++] = ai[k + bit];
        mask &= mask - 1;
      }
    }
#endif
    for (; k < cols; k++) {
      if (ai[k] != 0.0f) {
        colIndex[p] = static_cast<int32_t>(k);
        values[p++] = ai[k];
      }
    }
  }
  rowStart[rows] = p;
  return info.Env().Undefined();
}

// columnBlocks(rowStart, colIndex, values, rows, n, blockRows, colStart, row, blockValues): the
// non-zeros of each block of blockRows rows of a CSR matrix in column order, for sparseTMul.
// Block b's non-zeros keep their places [rowStart[b·blockRows], rowStart[(b + 1)·blockRows]);
// colStart[b·(n + 1) + k] is where its column k starts, row the row within the block.
Napi::Value ColumnBlocks(const Napi::CallbackInfo& info) {
  const int32_t* rowStart = Ints(info[0]);
  const int32_t* colIndex = Ints(info[1]);
  const float* values = Data(info[2]);
  const int rows = Int(info[3]);
  const int n = Int(info[4]);
  const int blockRows = Int(info[5]);
  int32_t* colStart = info[6].As<Napi::Int32Array>().Data();
  uint16_t* row = info[7].As<Napi::Uint16Array>().Data();
  float* blockValues = Data(info[8]);
  std::vector<int32_t> next(n);
  for (int b = 0, r0 = 0; r0 < rows; b++, r0 += blockRows) {
    const int r1 = std::min(rows, r0 + blockRows);
    int32_t* start = colStart + static_cast<size_t>(b) * (n + 1);
    std::fill(start, start + n + 1, 0);
    for (int32_t p = rowStart[r0]; p < rowStart[r1]; p++) start[colIndex[p] + 1]++;
    start[0] = rowStart[r0];
    for (int k = 0; k < n; k++) start[k + 1] += start[k];
    std::copy(start, start + n, next.begin());
    for (int i = r0; i < r1; i++) {
      for (int32_t p = rowStart[i]; p < rowStart[i + 1]; p++) {
        const int32_t at = next[colIndex[p]]++;
        row[at] = static_cast<uint16_t>(i - r0);
        blockValues[at] = values[p];
      }
    }
  }
  return info.Env().Undefined();
}

// sparseTMul(alpha, D, h, rowStart, rows, n, blockRows, colStart, row, blockValues, C):
// C (h × n) = alpha · Dᵀ · S, from S's column blocks (columnBlocks). Each thread takes whole
// blocks and sums Sᵀ · D (n × h) of its own; the sums are then added, transposed and scaled into C.
Napi::Value SparseTMul(const Napi::CallbackInfo& info) {
  const float alpha = static_cast<float>(Num(info[0]));
  const float* d = Data(info[1]);
  const size_t h = static_cast<size_t>(Int(info[2]));
  const int32_t* rowStart = Ints(info[3]);
  const int rows = Int(info[4]);
  const int n = Int(info[5]);
  const int blockRows = Int(info[6]);
  const int32_t* colStart = Ints(info[7]);
  const uint16_t* row = info[8].As<Napi::Uint16Array>().Data();
  const float* blockValues = Data(info[9]);
  float* c = Data(info[10]);
  const size_t nh = static_cast<size_t>(n) * h;
  const int parts = Parts(static_cast<size_t>(rowStart[rows]) * h, kThreadedProduct);
  const std::vector<int> cut = SplitRows(rowStart, rows, parts, blockRows);
  std::vector<std::vector<float>> sums(parts);
  Parallel(parts, [&](int q) {
    sums[q].assign(nh, 0.0f);
    for (int r0 = cut[q]; r0 < cut[q + 1]; r0 += blockRows) {
      const int32_t* start = colStart + static_cast<size_t>(r0 / blockRows) * (n + 1);
      const float* block = d + static_cast<size_t>(r0) * h;
      Chunks(h, [&](size_t j, size_t, size_t vectors, Lanes::Mask tail) {
        kTMul[vectors - 1](start, n, row, blockValues, block, h, j, tail, sums[q].data());
      });
    }
  });
  // C = alpha · (Σ_q sums[q])ᵀ, the parts added in order, a tile at a time.
  const size_t nn = static_cast<size_t>(n);
  for (size_t j0 = 0; j0 < h; j0 += kTile) {
    const size_t j1 = std::min(h, j0 + kTile);
    for (size_t k0 = 0; k0 < nn; k0 += kTile) {
      const size_t k1 = std::min(nn, k0 + kTile);
      for (size_t j = j0; j < j1; j++)
        for (size_t k = k0; k < k1; k++) {
          float s = 0;
          for (int q = 0; q < parts; q++) s += sums[q][k * h + j];
          c[j * nn + k] = alpha * s;
        }
    }
  }
  return info.Env().Undefined();
}

}  // namespace stackae
