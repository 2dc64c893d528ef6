// The native backend's Node-API module: it opens OpenBLAS and registers the kernels under their
// JavaScript names (the functions of native-backend.ts).
#include <cstdlib>
#include <string>

#include <dlfcn.h>

#include "stackae_native.h"

namespace stackae {

OpenBlas blas;

namespace {

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
  exports.Set("nonZeros", Napi::Function::New(env, NonZeros));
  exports.Set("fillCsr", Napi::Function::New(env, FillCsr));
  exports.Set("discard", Napi::Function::New(env, Discard));
  exports.Set("threads", Napi::Function::New(env, Threads));
  return exports;
}

}  // namespace
}  // namespace stackae

// NODE_API_MODULE pastes the function's name into its own, which a qualified name cannot be.
using stackae::Init;
NODE_API_MODULE(stackae_native, Init)
