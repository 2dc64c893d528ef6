// The native backend's kernels: float32 matrix products by OpenBLAS's cblas_sgemm, and the
// element-wise passes and reductions of the Backend interface as plain loops that the compiler
// vectorises (built with -O3 -march=native by scripts/build-native.mjs). Every function takes
// Float32Arrays (their own memory, no copy) and sizes already checked by native-backend.ts.
#include <napi.h>
#include <cblas.h>
#include <cmath>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
  exports.Set("threads", Napi::Function::New(env, Threads));
  return exports;
}

}  // namespace

NODE_API_MODULE(stackae_native, Init)
