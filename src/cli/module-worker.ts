import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread on a module of this package. Installed, the module is compiled
 * JavaScript; run from the sources (`node --import tsx`), the worker registers tsx itself,
 * because Node 20 does not run the parent's `--import` hooks in worker threads.
 */
export function startModuleWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}
