// The native backend's kernels: float32 matrix products by OpenBLAS's cblas_sgemm, and the
// element-wise passes and reductions of the Backend interface as plain loops that the compiler
// vectorises (built with -O3 -march=native by scripts/build-native.mjs). Every function takes
// Float32Arrays (their own memory, no copy) and sizes already checked by native-backend.ts.
#include <napi.h>
#include <cblas.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif
#include <cfloat>
#include <cmath>
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dlfcn.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace {

float* Data(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
const int32_t* Ints(const Napi::Value& v) { return v.As<Napi::Int32Array>().Data(); }
size_t Length(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }
int Int(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
double Num(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

// FlushSubnormals: flush-to-zero and denormals-are-zero on this thread for the life of the object, then the old
// mode back. Subnormal operands and results make Intel's cores multiply through a microcode
// assist (a saturated fine-tuning evaluation's products ran several times slower), so every
// kernel runs in this mode; JavaScript's own numbers on the calling thread keep IEEE subnormals.
// KeepSubnormals is the converse, for float64 work inside a kernel that must give JavaScript's
// results bit for bit.
template <bool Flush>
class SubnormalMode {
 public:
#if defined(__SSE__)
  SubnormalMode() : saved_(_mm_getcsr()) { _mm_setcsr(Flush ? saved_ | 0x8040u : saved_ & ~0x8040u); }  // FTZ | DAZ
  ~SubnormalMode() { _mm_setcsr(saved_); }
  SubnormalMode(const SubnormalMode&) = delete;
  SubnormalMode& operator=(const SubnormalMode&) = delete;

 private:
  unsigned saved_;
#endif
};
using FlushSubnormals = SubnormalMode<true>;
using KeepSubnormals = SubnormalMode<false>;

// OpenBLAS, opened in Init while FlushSubnormals holds: it starts its worker threads as it loads,
// and a thread takes its floating-point mode from the thread that starts it, so OpenBLAS's own
// threads multiply without assists too. (Linked at build time, it would load, and start them,
// before any code of ours runs.)
struct OpenBlas {
  decltype(&cblas_sgemm) sgemm = nullptr;
  decltype(&openblas_set_num_threads) setThreads = nullptr;
  decltype(&openblas_get_num_threads) threads = nullptr;
};
OpenBlas blas;

// Runs body(part) for part = 0 … parts − 1, part 0 on this thread, the others on new threads
// (a pass over a 60,000-row matrix takes milliseconds; starting a thread, microseconds).
template <typename Body>
void Parallel(int parts, Body body) {
  const auto run = [&body](int q) {
    FlushSubnormals mode;
    body(q);
  };
  std::vector<std::thread> others;
  for (int q = 1; q < parts; q++) others.emplace_back(run, q);
  run(0);
  for (auto& t : others) t.join();
}

// As many parts as OpenBLAS has threads (which --threads sets) for `work` of at least `least`
// (multiply-adds, or elements of an element-wise pass, as the Wasm backend splits them), else 1.
// One thread alone is the limit of an element-wise pass: of the sigmoid by its arithmetic, of a
// plain pass by one core's share of the memory bandwidth (sigmoidGradMul over 60000 × 784 floats:
// 31 ms on one thread, 15 ms on two, in a scratch timing on this project's Xeon).
constexpr size_t kThreadedPass = size_t{1} << 18;
constexpr size_t kThreadedProduct = size_t{1} << 20;
// The two-loop recursion splits vectors from 2^15 elements: each of its ~200 steps per call is a
// pass of tens of microseconds there, against a barrier of about one.
constexpr size_t kThreadedVector = size_t{1} << 15;
int Parts(size_t work, size_t least = kThreadedPass) {
  const int threads = std::max(1, blas.threads());
  return work < least ? 1 : threads;
}

// Part q of `parts` of [0, count) in whole blocks of `block`: [begin, end).
inline void Share(size_t count, size_t block, int parts, int q, size_t& begin, size_t& end) {
  const size_t blocks = (count + block - 1) / block;
  begin = std::min(count, blocks * q / parts * block);
  end = std::min(count, blocks * (q + 1) / parts * block);
}

// Runs body(q, begin, end) for each part q of [0, count) cut into Parts(work) ranges of whole
// blocks of `block` (the last block may be short).
template <typename Body>
void ParallelBlocks(size_t count, size_t block, size_t work, Body body) {
  const int parts = Parts(work);
  Parallel(parts, [&](int q) {
    size_t begin, end;
    Share(count, block, parts, q, begin, end);
    body(q, begin, end);
  });
}

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

// v, or 0 where |v| is below the smallest normal float (FLT_MIN, 2^-126 ≈ 1.2e-38). Intel's cores
// multiply a subnormal operand through a microcode assist: the products of one fine-tuning
// evaluation took 1,180 ms instead of 230 ms when saturated sigmoids put subnormal activations
// and deltas into them (`npm run bench:profile -- --stage finetune --scale 20`). On x86 the
// kernels also run under FlushSubnormals, which zeroes such results in hardware; this keeps the
// same results where there is no such mode. NaN stays NaN.
inline float Flush(float v) { return std::fabs(v) < FLT_MIN ? 0.0f : v; }

inline float Sigmoid(float z) { return Flush(1.0f / (1.0f + Exp(-z))); }

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

// A sum of float32 terms over [begin, end), in float64 per block of 256 so that the inner loop
// vectorises. Threads sum whole blocks, so the blocks are the same on any number of threads.
template <typename Term>
double BlockedSum(size_t begin, size_t end, Term term) {
  double total = 0;
  for (size_t start = begin; start < end; start += 256) {
    const size_t stop = start + 256 < end ? start + 256 : end;
    float block = 0;
    for (size_t i = start; i < stop; i++) block += term(i);
    total += block;
  }
  return total;
}

// The BlockedSum of term over [0, size) on every thread; the parts' totals added in order.
template <typename Term>
double ParallelSum(size_t size, Term term) {
  std::vector<double> totals(Parts(size), 0.0);
  ParallelBlocks(size, 256, size, [&](int q, size_t begin, size_t end) { totals[q] = BlockedSum(begin, end, term); });
  double total = 0;
  for (const double t : totals) total += t;
  return total;
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

// softmaxRows(P, labels, rows, k) → Σ −log softmax(z)[y]: each row z of P (k logits) becomes its
// softmax, e^(z − max z) over its sum, 0 below FLT_MIN, as the Wasm kernel computes it
// (assembly/kernels.ts, softmaxRows); the cost from the logits, log Σ e^(z − max) − (z_y − max),
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
// where the sigmoid and the delta took two (60000 × 784, in place: 27–30 ms against 43–44 ms,
// scratch timing).
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

// Waits until all `parts` threads have arrived. Spins (a step of the two-loop recursion takes
// microseconds, waking a sleeping thread about as long), and yields after a while, so that a
// thread the system has taken off its core gets it back.
class SpinBarrier {
 public:
  explicit SpinBarrier(int parts) : parts_(parts) {}
  void Wait() {
    const int generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) == parts_ - 1) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      return;
    }
    for (int spins = 0; generation_.load(std::memory_order_acquire) == generation; spins++) {
      if (spins < 4096) {
#if defined(__SSE__)
        _mm_pause();
#endif
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  const int parts_;
  std::atomic<int> arrived_{0};
  std::atomic<int> generation_{0};
};

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
  SpinBarrier barrier(parts);
  // partial[step parity][part]: a step reads one half while the next step writes the other.
  std::vector<double> partial(2 * static_cast<size_t>(parts));
  const auto total = [&](size_t step, double mine, int q) {
    double* half = partial.data() + (step & 1) * static_cast<size_t>(parts);
    half[q] = mine;
    barrier.Wait();
    double sum = 0;
    for (int p = 0; p < parts; p++) sum += half[p];
    return sum;
  };
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
      alpha[j] = rho[j] * total(step++, mine, q);
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
      const float c = static_cast<float>(alpha[j] - rho[j] * total(step++, mine, q));
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
// at most kChunk.
template <typename Body>
void Chunks(size_t h, Body body) {
  for (size_t j = 0; j < h; j += Lanes::kChunk) {
    const size_t width = std::min(Lanes::kChunk, h - j);
    const size_t vectors = (width + Lanes::kWidth - 1) / Lanes::kWidth;
    body(j, width, vectors, Lanes::Tail(static_cast<int>(width - (vectors - 1) * Lanes::kWidth)));
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
  std::vector<float> wt(n * h);
  for (size_t j = 0; j < h; j++)
    for (size_t k = 0; k < n; k++) wt[k * h + j] = w[j * n + k];
  const int parts = Parts(static_cast<size_t>(rowStart[rows]) * h, kThreadedProduct);
  const std::vector<int> cut = SplitRows(rowStart, rows, parts);
  Parallel(parts, [&](int q) {
    Chunks(h, [&](size_t j, size_t width, size_t vectors, Lanes::Mask tail) {
      kMulT[vectors - 1](cut[q], cut[q + 1], rowStart, colIndex, values, wt.data(), h, j, width, tail, bias, c);
    });
  });
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
  for (size_t j = 0; j < h; j++)
    for (size_t k = 0; k < static_cast<size_t>(n); k++) {
      float s = 0;
      for (int q = 0; q < parts; q++) s += sums[q][k * h + j];
      c[j * n + k] = alpha * s;
    }
  return info.Env().Undefined();
}

// threads(n?) → the number of threads OpenBLAS uses (sets it first when n is given)
Napi::Value Threads(const Napi::CallbackInfo& info) {
  FlushSubnormals mode;  // threads that OpenBLAS starts now take this mode
  if (info.Length() > 0 && info[0].IsNumber()) blas.setThreads(Int(info[0]));
  return Napi::Number::New(info.Env(), blas.threads());
}

#ifndef STACKAE_OPENBLAS
#define STACKAE_OPENBLAS "libopenblas.so.0"
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  {
    // OpenBLAS's idle threads spin for 2^28 cycles (about 0.1 s) after each product by default,
    // holding the cores that our own threads (the sparse products, the element-wise passes) need
    // next: 2^4 lets them sleep at once. OpenBLAS reads it as it loads; a value already set is kept.
    // Set here rather than in JavaScript: the CLI loads the addon in a worker thread, whose
    // process.env is a copy that the C library never sees.
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    FlushSubnormals mode;
    void* lib = dlopen(STACKAE_OPENBLAS, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) {
      blas.sgemm = reinterpret_cast<decltype(blas.sgemm)>(dlsym(lib, "cblas_sgemm"));
      blas.setThreads = reinterpret_cast<decltype(blas.setThreads)>(dlsym(lib, "openblas_set_num_threads"));
      blas.threads = reinterpret_cast<decltype(blas.threads)>(dlsym(lib, "openblas_get_num_threads"));
    }
  }
  if (blas.sgemm == nullptr || blas.setThreads == nullptr || blas.threads == nullptr) {
    const char* why = dlerror();
    Napi::Error::New(env, std::string("stackae native: cannot open OpenBLAS (") + STACKAE_OPENBLAS + "): " +
                              (why != nullptr ? why : "its functions are missing"))
        .ThrowAsJavaScriptException();
    return exports;
  }
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("biasSigmoid", Napi::Function::New(env, BiasSigmoid));
  exports.Set("sigmoidGradMul", Napi::Function::New(env, SigmoidGradMul));
  exports.Set("addRowSigmoidGradMul", Napi::Function::New(env, AddRowSigmoidGradMul));
  exports.Set("squaredErrorDelta", Napi::Function::New(env, SquaredErrorDelta));
  exports.Set("softmaxRows", Napi::Function::New(env, SoftmaxRows));
  exports.Set("squaredErrorDeltaSums", Napi::Function::New(env, SquaredErrorDeltaSums));
  exports.Set("colSums", Napi::Function::New(env, ColSums));
  exports.Set("dot", Napi::Function::New(env, Dot));
  exports.Set("sumAbs", Napi::Function::New(env, SumAbs));
  exports.Set("gatherRows", Napi::Function::New(env, GatherRows));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
  exports.Set("twoLoop", Napi::Function::New(env, TwoLoop));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep));
  exports.Set("sparseMulT", Napi::Function::New(env, SparseMulT));
  exports.Set("sparseTMul", Napi::Function::New(env, SparseTMul));
  exports.Set("columnBlocks", Napi::Function::New(env, ColumnBlocks));
  exports.Set("threads", Napi::Function::New(env, Threads));
  return exports;
}

}  // namespace

NODE_API_MODULE(stackae_native, Init)
