// The native backend's kernels: float32 matrix products by OpenBLAS's cblas_sgemm, and the
// element-wise passes and reductions of the Backend interface as plain loops that the compiler
// vectorises (built with -O3 -march=native by scripts/build-native.mjs). Every function takes
// Float32Arrays (their own memory, no copy) and sizes already checked by native-backend.ts.
#include <napi.h>
#include <cblas.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif
#include <cmath>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);

namespace {

float* Data(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
size_t Length(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }
int Int(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
double Num(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

// e^x as the Wasm kernels compute it (assembly/kernels.ts, exp4): x = n·ln2 + r with |r| ≤ ln2/2,
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

inline float Sigmoid(float z) { return 1.0f / (1.0f + Exp(-z)); }

// sgemm(transA, transB, M, N, K, alpha, A, B, beta, C): row-major, leading dimensions the column counts.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  const bool ta = info[0].As<Napi::Boolean>().Value();
  const bool tb = info[1].As<Napi::Boolean>().Value();
  const int M = Int(info[2]), N = Int(info[3]), K = Int(info[4]);
  const int lda = ta ? M : K;
  const int ldb = tb ? K : N;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
              static_cast<float>(Num(info[5])), Data(info[6]), lda, Data(info[7]), ldb,
              static_cast<float>(Num(info[8])), Data(info[9]), N);
  return info.Env().Undefined();
}

// biasSigmoid(Z, b, out, cols)
Napi::Value BiasSigmoid(const Napi::CallbackInfo& info) {
  const float* z = Data(info[0]);
  const float* b = Data(info[1]);
  float* o = Data(info[2]);
  const size_t n = static_cast<size_t>(Int(info[3]));
  const size_t size = Length(info[0]);
  for (size_t i = 0; i < size; i += n)
    for (size_t j = 0; j < n; j++) o[i + j] = Sigmoid(z[i + j] + b[j]);
  return info.Env().Undefined();
}

// sigmoidGradMul(A, D, out): out = D ⊙ A ⊙ (1 − A)
Napi::Value SigmoidGradMul(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const float* d = Data(info[1]);
  float* o = Data(info[2]);
  const size_t size = Length(info[0]);
  for (size_t i = 0; i < size; i++) o[i] = d[i] * a[i] * (1.0f - a[i]);
  return info.Env().Undefined();
}

// addRowSigmoidGradMul(D, s, A, cols): D = (D + 1·sᵀ) ⊙ A ⊙ (1 − A)
Napi::Value AddRowSigmoidGradMul(const Napi::CallbackInfo& info) {
  float* d = Data(info[0]);
  const float* s = Data(info[1]);
  const float* a = Data(info[2]);
  const size_t n = static_cast<size_t>(Int(info[3]));
  const size_t size = Length(info[0]);
  for (size_t i = 0; i < size; i += n)
    for (size_t j = 0; j < n; j++) d[i + j] = (d[i + j] + s[j]) * a[i + j] * (1.0f - a[i + j]);
  return info.Env().Undefined();
}

// A sum of float32 terms, in float64 per block of 256 so that the inner loop vectorises.
template <typename Term>
double BlockedSum(size_t size, Term term) {
  double total = 0;
  for (size_t start = 0; start < size; start += 256) {
    const size_t end = start + 256 < size ? start + 256 : size;
    float block = 0;
    for (size_t i = start; i < end; i++) block += term(i);
    total += block;
  }
  return total;
}

// squaredErrorDelta(A3, X, delta) → Σ (A3 − X)²; delta = (A3 − X) ⊙ A3 ⊙ (1 − A3)
Napi::Value SquaredErrorDelta(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const float* x = Data(info[1]);
  float* d = Data(info[2]);
  const size_t size = Length(info[0]);
  const double total = BlockedSum(size, [&](size_t i) {
    const float ai = a[i];
    const float e = ai - x[i];
    d[i] = e * ai * (1.0f - ai);
    return e * e;
  });
  return Napi::Number::New(info.Env(), total);
}

// colSums(A, rows, cols, scale, out)
Napi::Value ColSums(const Napi::CallbackInfo& info) {
  const float* a = Data(info[0]);
  const size_t rows = static_cast<size_t>(Int(info[1]));
  const size_t n = static_cast<size_t>(Int(info[2]));
  const double scale = Num(info[3]);
  float* o = Data(info[4]);
  // Float32 partial sums over blocks of 256 rows, added in float64.
  std::vector<double> sums(n, 0.0);
  std::vector<float> part(n);
  for (size_t start = 0; start < rows; start += 256) {
    const size_t end = start + 256 < rows ? start + 256 : rows;
    std::fill(part.begin(), part.end(), 0.0f);
    for (size_t i = start; i < end; i++)
      for (size_t j = 0; j < n; j++) part[j] += a[i * n + j];
    for (size_t j = 0; j < n; j++) sums[j] += part[j];
  }
  for (size_t j = 0; j < n; j++) o[j] = static_cast<float>(scale * sums[j]);
  return info.Env().Undefined();
}

// dot(x, y) → Σ x ⊙ y
Napi::Value Dot(const Napi::CallbackInfo& info) {
  const float* x = Data(info[0]);
  const float* y = Data(info[1]);
  return Napi::Number::New(info.Env(), BlockedSum(Length(info[0]), [&](size_t i) { return x[i] * y[i]; }));
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

const int32_t* Ints(const Napi::Value& v) { return v.As<Napi::Int32Array>().Data(); }

// Runs body(part) for part = 0 … parts − 1, part 0 on this thread, the others on new threads
// (a product with a sparse matrix takes tens of milliseconds; starting a thread, microseconds).
template <typename Body>
void Parallel(int parts, Body body) {
  std::vector<std::thread> others;
  for (int q = 1; q < parts; q++) others.emplace_back(body, q);
  body(0);
  for (auto& t : others) t.join();
}

// Row ranges of a CSR matrix with about equal non-zeros: part q is [cut[q], cut[q + 1]).
std::vector<int> SplitRows(const int32_t* rowStart, int rows, int parts) {
  std::vector<int> cut(parts + 1, rows);
  cut[0] = 0;
  const double nnz = rowStart[rows];
  int r = 0;
  for (int q = 1; q < parts; q++) {
    while (r < rows && rowStart[r + 1] <= nnz * q / parts) r++;
    cut[q] = r;
  }
  return cut;
}

int SparseParts(size_t work) {
  const int threads = std::max(1, openblas_get_num_threads());
  return work < (size_t{1} << 20) ? 1 : threads;
}

// sparseMulT(rowStart, colIndex, values, rows, W, h, n, C): C (rows × h) = S · Wᵀ, W h × n.
// Each non-zero S[i][k] adds S[i][k] · (row k of Wᵀ) to row i of C: the inner loop over h vectorises.
Napi::Value SparseMulT(const Napi::CallbackInfo& info) {
  const int32_t* rowStart = Ints(info[0]);
  const int32_t* colIndex = Ints(info[1]);
  const float* values = Data(info[2]);
  const int rows = Int(info[3]);
  const float* w = Data(info[4]);
  const size_t h = static_cast<size_t>(Int(info[5]));
  const size_t n = static_cast<size_t>(Int(info[6]));
  float* c = Data(info[7]);
  std::vector<float> wt(n * h);
  for (size_t j = 0; j < h; j++)
    for (size_t k = 0; k < n; k++) wt[k * h + j] = w[j * n + k];
  const int parts = SparseParts(static_cast<size_t>(rowStart[rows]) * h);
  const std::vector<int> cut = SplitRows(rowStart, rows, parts);
  Parallel(parts, [&](int q) {
    for (int i = cut[q]; i < cut[q + 1]; i++) {
      float* ci = c + static_cast<size_t>(i) * h;
      const int32_t p0 = rowStart[i], p1 = rowStart[i + 1];
      size_t j = 0;
#ifdef __AVX2__
      // 64 columns at a time in eight registers, so each non-zero costs eight loads and eight FMAs.
      for (; j + 64 <= h; j += 64) {
        __m256 a[8];
        for (int v = 0; v < 8; v++) a[v] = _mm256_setzero_ps();
        for (int32_t p = p0; p < p1; p++) {
          const __m256 x = _mm256_set1_ps(values[p]);
          const float* wk = wt.data() + static_cast<size_t>(colIndex[p]) * h + j;
          for (int v = 0; v < 8; v++) a[v] = _mm256_fmadd_ps(x, _mm256_loadu_ps(wk + 8 * v), a[v]);
        }
        for (int v = 0; v < 8; v++) _mm256_storeu_ps(ci + j + 8 * v, a[v]);
      }
#endif
      std::fill(ci + j, ci + h, 0.0f);
      for (int32_t p = p0; p < p1; p++) {
        const float x = values[p];
        const float* wk = wt.data() + static_cast<size_t>(colIndex[p]) * h;
        for (size_t jj = j; jj < h; jj++) ci[jj] += x * wk[jj];
      }
    }
  });
  return info.Env().Undefined();
}

// sparseTMul(alpha, D, h, rowStart, colIndex, values, rows, n, C): C (h × n) = alpha · Dᵀ · S.
// Each thread adds S[i][k] · (row i of D) into row k of its own n × h sum; the sums are then
// added, transposed and scaled into C.
Napi::Value SparseTMul(const Napi::CallbackInfo& info) {
  const float alpha = static_cast<float>(Num(info[0]));
  const float* d = Data(info[1]);
  const size_t h = static_cast<size_t>(Int(info[2]));
  const int32_t* rowStart = Ints(info[3]);
  const int32_t* colIndex = Ints(info[4]);
  const float* values = Data(info[5]);
  const int rows = Int(info[6]);
  const size_t n = static_cast<size_t>(Int(info[7]));
  float* c = Data(info[8]);
  const int parts = SparseParts(static_cast<size_t>(rowStart[rows]) * h);
  const std::vector<int> cut = SplitRows(rowStart, rows, parts);
  std::vector<std::vector<float>> sums(parts, std::vector<float>(n * h, 0.0f));
  Parallel(parts, [&](int q) {
    float* g = sums[q].data();
    for (int i = cut[q]; i < cut[q + 1]; i++) {
      const float* di = d + static_cast<size_t>(i) * h;
      const int32_t p0 = rowStart[i], p1 = rowStart[i + 1];
      size_t j = 0;
#ifdef __AVX2__
      // 64 columns of row i of D held in eight registers while its non-zeros scatter them.
      for (; j + 64 <= h; j += 64) {
        __m256 dv[8];
        for (int v = 0; v < 8; v++) dv[v] = _mm256_loadu_ps(di + j + 8 * v);
        for (int32_t p = p0; p < p1; p++) {
          const __m256 x = _mm256_set1_ps(values[p]);
          float* gk = g + static_cast<size_t>(colIndex[p]) * h + j;
          for (int v = 0; v < 8; v++) _mm256_storeu_ps(gk + 8 * v, _mm256_fmadd_ps(x, dv[v], _mm256_loadu_ps(gk + 8 * v)));
        }
      }
#endif
      for (int32_t p = p0; p < p1; p++) {
        const float x = values[p];
        float* gk = g + static_cast<size_t>(colIndex[p]) * h;
        for (size_t jj = j; jj < h; jj++) gk[jj] += x * di[jj];
      }
    }
  });
  for (size_t j = 0; j < h; j++)
    for (size_t k = 0; k < n; k++) {
      float s = 0;
      for (int q = 0; q < parts; q++) s += sums[q][k * h + j];
      c[j * n + k] = alpha * s;
    }
  return info.Env().Undefined();
}

// threads(n?) → the number of threads OpenBLAS uses (sets it first when n is given)
Napi::Value Threads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) openblas_set_num_threads(Int(info[0]));
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("biasSigmoid", Napi::Function::New(env, BiasSigmoid));
  exports.Set("sigmoidGradMul", Napi::Function::New(env, SigmoidGradMul));
  exports.Set("addRowSigmoidGradMul", Napi::Function::New(env, AddRowSigmoidGradMul));
  exports.Set("squaredErrorDelta", Napi::Function::New(env, SquaredErrorDelta));
  exports.Set("colSums", Napi::Function::New(env, ColSums));
  exports.Set("dot", Napi::Function::New(env, Dot));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
  exports.Set("sparseMulT", Napi::Function::New(env, SparseMulT));
  exports.Set("sparseTMul", Napi::Function::New(env, SparseTMul));
  exports.Set("threads", Napi::Function::New(env, Threads));
  return exports;
}

}  // namespace

NODE_API_MODULE(stackae_native, Init)
