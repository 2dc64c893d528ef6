// Freed memory back to the system at once: the native backend's matrices are ArrayBuffers that
// the garbage collector frees when it next runs, so one stage's dead workspace and L-BFGS history
// (hundreds of MB on MNIST) outlived it while the next stage allocated its own, and made the
// run's peak. discard(a) releases the whole pages inside a's bytes (madvise MADV_DONTNEED); the
// buffer stays mapped, reads zeros if touched, and is freed as usual when it is collected.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "stackae_native.h"

namespace stackae {

// discard(a) → the bytes given back (0 for an array within less than a page).
Napi::Value Discard(const Napi::CallbackInfo& info) {
  Napi::TypedArray a = info[0].As<Napi::TypedArray>();
  const uintptr_t begin = reinterpret_cast<uintptr_t>(a.ArrayBuffer().Data()) + a.ByteOffset();
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t start = (begin + page - 1) & ~(page - 1);
  const uintptr_t end = (begin + a.ByteLength()) & ~(page - 1);
  if (end <= start || madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) != 0) {
    return Napi::Number::New(info.Env(), 0);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(end - start));
}

}  // namespace stackae
