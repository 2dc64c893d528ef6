#!/usr/bin/env node
// The stackae command line. Only this folder prints or exits; the library throws typed errors.
import { setFlagsFromString } from "node:v8";
import { Command, CommanderError } from "commander";
import { StackaeError } from "../errors.ts";
import { gradcheckCommand } from "./gradcheck.ts";
import { registerModelCommands } from "./model-commands.ts";
import { registerTrain } from "./train.ts";

// Fused multiply-add (relaxed SIMD) is behind a flag on Node 20; V8 accepts it at run time, before
// the first WebAssembly module is compiled. The kernels fall back to plain SIMD where it is absent.
setFlagsFromString("--experimental-wasm-relaxed-simd");

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, failed: 1, usage: 2, error: 3 } as const;

const program = new Command()
  .name("stackae")
  .description("Stacked sparse autoencoders with fine-tuning (UFLDL), on WebAssembly SIMD")
  .exitOverride()
  .showHelpAfterError();

program
  .command("gradcheck")
  .description("check every cost's analytic gradient against a numerical one (SPEC §5, float64)")
  .option("--json", "print one JSON object instead of lines")
  .action((options: { json?: boolean }) => {
    process.exitCode = gradcheckCommand(options) ? EXIT.ok : EXIT.failed;
  });

registerTrain(program);
registerModelCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof StackaeError) {
    process.stderr.write(`stackae: ${error.message}\n`);
    process.exitCode = EXIT.error;
  } else {
    throw error;
  }
}
