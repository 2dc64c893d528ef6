// A backend wrapped so that every method call is timed under a label (a gemm's by its shapes),
// `sparse`'s and `vectors`' calls too: what bench/profile.ts and bench/profile-minibatch.ts print.
import type { Matrix } from "../src/linalg/matrix.ts";

/** A call's label: the method's name, a gemm's with its operands' shapes. */
function label(method: string, args: unknown[]): string {
  if (method !== "gemm") return method;
  const [ta, tb, , A, B] = args as [boolean, boolean, number, Matrix, Matrix];
  return `gemm ${A.rows}×${A.cols}${ta ? "ᵀ" : ""} · ${B.rows}×${B.cols}${tb ? "ᵀ" : ""}`;
}

/** `object` with every method call's milliseconds added into `times` under its label. */
export function timing<T extends object>(object: T, times: Map<string, number>, prefix = ""): T {
  return new Proxy(object, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if ((key === "sparse" || key === "vectors") && value) return timing(value, times, `${key}.`);
      if (typeof value !== "function" || typeof key !== "string") return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const result = value.apply(target, args);
        const k = prefix + label(key, args);
        times.set(k, (times.get(k) ?? 0) + performance.now() - start);
        return result;
      };
    },
  });
}
