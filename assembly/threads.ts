// What the threads of the shared-memory build use to work together: a counter that hands out
// chunks, a barrier that spins and then sleeps, and a meeting point that adds their partial sums.
// In the single-threaded builds (no ASC_FEATURE_THREADS) the counter is a plain load and store
// and the barrier does nothing: one thread has nobody to wait for.

/** Takes the next chunk number from the shared counter at `counter` (atomically where threads exist). */
@inline
export function claim(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) {
    return atomic.add<i32>(counter, 1);
  } else {
    const c = load<i32>(counter);
    store<i32>(counter, c + 1);
    return c;
  }
}

/**
 * Spins of a thread waiting at a barrier before it sleeps: about 33 µs here (0.5 ns a spin). The
 * steps between two barriers take tens of microseconds, and threads that each have a core meet
 * while spinning. With 4,096 spins (about 2 µs) they fell asleep: L-BFGS's iteration in
 * `npm run bench:lbfgs`, 2 threads, took 25 ms against 21 ms with 65,536.
 */
const SPINS: i32 = 65536;

/**
 * Waits until all `parts` threads have called it: i32 words at sync count the arrivals, the
 * generation (sync + 4) and the threads asleep (sync + 8). Spins, then sleeps
 * (memory.atomic.wait32) until the last thread to arrive wakes it: a thread without a core of its
 * own (more threads than cores, or other work on them) must not be kept from running by the
 * others' spinning, which made each L-BFGS iteration 25 times slower with 3 threads on 2 cores.
 * The last thread calls notify only when one sleeps: a sleeper counts itself before it waits, and
 * its wait returns at once if the generation has moved on.
 */
export function barrier(sync: usize, parts: i32): void {
  if (ASC_FEATURE_THREADS) {
    const generation = atomic.load<i32>(sync, 4);
    if (atomic.add<i32>(sync, 1) == parts - 1) {
      atomic.store<i32>(sync, 0);
      atomic.add<i32>(sync, 1, 4);
      if (atomic.load<i32>(sync, 8) > 0) atomic.notify(sync + 4, parts - 1);
    } else {
      for (let spin = 0; atomic.load<i32>(sync, 4) == generation; spin++) {
        if (spin >= SPINS) {
          atomic.add<i32>(sync, 1, 8);
          atomic.wait<i32>(sync + 4, generation, -1);
          atomic.sub<i32>(sync, 1, 8);
        }
      }
    }
  }
}

/**
 * This part's share `mine` of a dot product in, the whole out: the parts' shares are f64 at
 * sync + 16 (two halves of `parts`, one per step parity, so that a step's sums are not overwritten
 * while a slower thread still reads them), added in order after the barrier.
 */
export function meet(sync: usize, parts: i32, part: i32, step: i32, mine: f64): f64 {
  const half = sync + 16 + ((<usize>((step & 1) * parts)) << 3);
  store<f64>(half + (<usize>part << 3), mine);
  if (parts > 1) barrier(sync, parts);
  let total: f64 = 0;
  for (let p = 0; p < parts; p++) total += load<f64>(half + (<usize>p << 3));
  return total;
}

/**
 * Waits until the i32 at `at` is at least `target`: spins, then sleeps on it, counting itself at
 * `sleepers` so that `arrive` wakes it (the same protocol as `barrier`).
 */
export function waitAtLeast(at: usize, target: i32, sleepers: usize): void {
  if (ASC_FEATURE_THREADS) {
    for (let spin = 0; ; spin++) {
      const seen = atomic.load<i32>(at);
      if (seen >= target) return;
      if (spin >= SPINS) {
        atomic.add<i32>(sleepers, 1);
        const now = atomic.load<i32>(at);
        if (now < target) atomic.wait<i32>(at, now, -1);
        atomic.sub<i32>(sleepers, 1);
      }
    }
  }
}

/** Adds one to the i32 at `at` and wakes whoever sleeps in `waitAtLeast` (single-threaded: a plain add). */
export function arrive(at: usize, sleepers: usize): void {
  if (ASC_FEATURE_THREADS) {
    atomic.add<i32>(at, 1);
    if (atomic.load<i32>(sleepers) > 0) atomic.notify(at, -1);
  } else {
    store<i32>(at, load<i32>(at) + 1);
  }
}

/** Stores `value` at `at` and wakes whoever sleeps on it in `waitAtLeast`. */
export function publish(at: usize, value: i32, sleepers: usize): void {
  if (ASC_FEATURE_THREADS) {
    atomic.store<i32>(at, value);
    if (atomic.load<i32>(sleepers) > 0) atomic.notify(at, -1);
  } else {
    store<i32>(at, value);
  }
}
