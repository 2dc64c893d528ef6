// An optimiser's loop as a generator that yields between iterations, and the two ways to run
// it: to the end on the calling thread (`runSteps`), or handing the thread back to the event
// loop at every yield (`runStepsAsync`), so that timers, an AbortSignal's listeners, progress
// drawing and a browser page run between iterations. Both run the same loop: the same numbers.

/**
 * A computation that yields between its iterations and returns R. Each yield evaluates to true
 * where the event loop had a turn meanwhile (runStepsAsync), so that the computation can look
 * again at what a turn may have changed (an AbortSignal), and only then.
 */
export type Steps<R> = Generator<void, R, boolean | undefined>;

/** Runs `steps` to the end without yielding to the event loop; returns its result. */
export function runSteps<R>(steps: Steps<R>): R {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Runs `steps` to the end, giving the event loop a turn (a macrotask, so that due timers and
 * I/O callbacks run too) at every yield; resolves to its result.
 */
export async function runStepsAsync<R>(steps: Steps<R>): Promise<R> {
  for (let next = steps.next(); ; next = steps.next(true)) {
    if (next.done) return next.value;
    await nextTask();
  }
}

type Schedule = (callback: () => void) => void;

/**
 * The cheapest macrotask the engine has: setImmediate (Node), a MessageChannel message
 * (browsers: setTimeout(0) is clamped to 4 ms once nested), else setTimeout.
 */
const schedule: Schedule = (() => {
  const g = globalThis as { setImmediate?: Schedule; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === "function") return g.setImmediate;
  if (typeof g.MessageChannel === "function") {
    const channel = new g.MessageChannel();
    const queue: (() => void)[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return (callback: () => void) => {
      queue.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback: () => void) => setTimeout(callback, 0);
})();

/** Resolves after the event loop's next turn. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => schedule(resolve));
}
