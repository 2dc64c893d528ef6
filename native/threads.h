// How the kernels share the work between threads: as many parts as OpenBLAS has threads, each a
// range of whole blocks, on threads started for the call (part 0 on the calling one); sums over
// the same blocks on any number of threads, the parts' totals added in order; and the barrier at
// which the two-loop recursion's parts meet.
#ifndef STACKAE_THREADS_H_
#define STACKAE_THREADS_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "stackae_native.h"

namespace stackae {

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
// 31 ms on one thread, 15 ms on two, on a Xeon).
constexpr size_t kThreadedPass = size_t{1} << 18;
constexpr size_t kThreadedProduct = size_t{1} << 20;
// The two-loop recursion splits vectors from 2^15 elements: each of its ~200 steps per call is a
// pass of tens of microseconds there, against a barrier of about one.
constexpr size_t kThreadedVector = size_t{1} << 15;
inline int Parts(size_t work, size_t least = kThreadedPass) {
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

// Where the parts of a dot product meet: each leaves its share, waits at a barrier for the others,
// then adds all the shares in order, so every part has the same total. Shares are kept in two
// halves, one per step parity: a step reads one half while the next step writes the other.
class Meeting {
 public:
  explicit Meeting(int parts) : parts_(parts), barrier_(parts), shares_(2 * static_cast<size_t>(parts)) {}
  double Total(size_t step, double mine, int q) {
    double* half = shares_.data() + (step & 1) * static_cast<size_t>(parts_);
    half[q] = mine;
    barrier_.Wait();
    double sum = 0;
    for (int p = 0; p < parts_; p++) sum += half[p];
    return sum;
  }

 private:
  const int parts_;
  SpinBarrier barrier_;
  std::vector<double> shares_;
};

}  // namespace stackae

#endif  // STACKAE_THREADS_H_
