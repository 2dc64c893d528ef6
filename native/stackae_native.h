// The native backend's shared declarations: reading Node-API arguments, the floating-point mode
// every kernel runs in, OpenBLAS's entry points (opened at load, addon.cc), and the kernels that
// addon.cc registers, one file per kind: gemm.cc, elementwise.cc, vectors.cc, sparse.cc, memory.cc; threads.h
// splits their work, sigmoid.h holds their float math. Every kernel takes Float32Arrays (their own
// memory, no copy) and sizes already checked by native-backend.ts; scripts/build-native.mjs
// compiles them all into one addon (-O3 -march=native, so that the plain loops vectorise).
#ifndef STACKAE_NATIVE_H_
#define STACKAE_NATIVE_H_

#include <napi.h>
#include <cblas.h>

#include <cstddef>
#include <cstdint>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace stackae {

inline float* Data(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
inline const int32_t* Ints(const Napi::Value& v) { return v.As<Napi::Int32Array>().Data(); }
inline size_t Length(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }
inline int Int(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
inline double Num(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

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
extern OpenBlas blas;

// The kernels, as addon.cc registers them under their JavaScript names.
// gemm.cc
Napi::Value Sgemm(const Napi::CallbackInfo& info);
// elementwise.cc
Napi::Value BiasSigmoid(const Napi::CallbackInfo& info);
Napi::Value SigmoidGradMul(const Napi::CallbackInfo& info);
Napi::Value AddRowSigmoidGradMul(const Napi::CallbackInfo& info);
Napi::Value SquaredErrorDelta(const Napi::CallbackInfo& info);
Napi::Value SoftmaxRows(const Napi::CallbackInfo& info);
Napi::Value SquaredErrorDeltaSums(const Napi::CallbackInfo& info);
Napi::Value ColSums(const Napi::CallbackInfo& info);
// vectors.cc
Napi::Value Dot(const Napi::CallbackInfo& info);
Napi::Value SumAbs(const Napi::CallbackInfo& info);
Napi::Value GatherRows(const Napi::CallbackInfo& info);
Napi::Value Axpy(const Napi::CallbackInfo& info);
Napi::Value TwoLoop(const Napi::CallbackInfo& info);
Napi::Value AdamStep(const Napi::CallbackInfo& info);
Napi::Value SgdStep(const Napi::CallbackInfo& info);
// sparse.cc
Napi::Value SparseMulT(const Napi::CallbackInfo& info);
Napi::Value SparseTMul(const Napi::CallbackInfo& info);
Napi::Value ColumnBlocks(const Napi::CallbackInfo& info);
Napi::Value NonZeros(const Napi::CallbackInfo& info);
Napi::Value FillCsr(const Napi::CallbackInfo& info);
// memory.cc
Napi::Value Discard(const Napi::CallbackInfo& info);

}  // namespace stackae

#endif  // STACKAE_NATIVE_H_
