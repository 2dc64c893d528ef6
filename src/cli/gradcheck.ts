import { GRADIENT_CHECK_TOLERANCE, standardGradientChecks } from "../gradcheck.ts";

/** Prints one line per cost; returns true when every relative difference is below 1e-9. */
export function gradcheckCommand(options: { json?: boolean }): boolean {
  const results = standardGradientChecks();
  const ok = results.every((r) => r.relativeDifference < GRADIENT_CHECK_TOLERANCE);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ tolerance: GRADIENT_CHECK_TOLERANCE, ok, results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      const verdict = r.relativeDifference < GRADIENT_CHECK_TOLERANCE ? "ok" : "FAIL";
      process.stdout.write(
        `${verdict.padEnd(4)} ${r.relativeDifference.toExponential(3)}  ${r.name} (${r.parameters} parameters)\n`,
      );
    }
    process.stdout.write(ok ? "all gradients agree to < 1e-9\n" : "a gradient differs by ≥ 1e-9\n");
  }
  return ok;
}
