#!/usr/bin/env node
// The stackae command line. Only this folder prints or exits; the library throws typed errors.
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import { Command, CommanderError } from "commander";
import { enableRelaxedSimd } from "../platform/relaxed-simd.ts";
import { registerEncode } from "./encode.ts";
import { EXIT, errorReport, exitCodeFor, formatError } from "./exit.ts";
import { registerExport } from "./export.ts";
import { registerFewLabels } from "./few-labels.ts";
import { gradcheckCommand } from "./gradcheck.ts";
import { registerModelCommands } from "./model-commands.ts";
import { registerTrain } from "./train.ts";

// Fused multiply-add (relaxed SIMD) is behind a flag on Node 20; V8 accepts it at run time, before
// the first WebAssembly module is compiled. The kernels fall back to plain SIMD where it is absent.
enableRelaxedSimd();
// V8 first runs WebAssembly through its baseline compiler and swaps in optimised code between
// calls, so the first product (one call of a few hundred milliseconds) ran whole in baseline code:
// 2.8 s instead of 0.65 s on 60000 × 200 × 784 (`npm run bench:first-call`). The module is small;
// optimise it up front.
setFlagsFromString("--no-liftoff");
// A reader that stops early (`stackae predict MODEL FILE | head`) closes the pipe; Node ignores
// SIGPIPE, so the next write fails with EPIPE, which would end the process with a stack trace.
// Stop quietly instead, as Unix tools do.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(EXIT.ok);
});

const program = new Command()
  .name("stackae")
  .description("Stacked sparse autoencoders with fine-tuning (UFLDL), on WebAssembly SIMD")
  .version(createRequire(import.meta.url)("../../package.json").version, "-v, --version")
  .exitOverride()
  // A usage error is one line like every other failure (README, "When things go wrong"), and a
  // pointer to the help rather than the whole of it, which pushed the line off a small terminal.
  .configureOutput({ outputError: (text, write) => write(`stackae: ${text.replace(/^error: /, "")}`) })
  .showHelpAfterError("(add --help to see every flag)");

program
  .command("gradcheck")
  .description("check every cost's analytic gradient against central differences (float64)")
  .option("--json", "print one JSON object instead of lines")
  .action((options: { json?: boolean }) => {
    process.exitCode = gradcheckCommand(options) ? EXIT.ok : EXIT.failed;
  });

registerTrain(program);
registerFewLabels(program);
registerModelCommands(program);
registerEncode(program);
registerExport(program);

for (const command of program.commands) command.option("--verbose", "on an error, print its stack trace too");

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    const report = errorReport(error);
    process.stderr.write(formatError(report, process.argv.includes("--verbose")));
    process.exitCode = exitCodeFor(report);
  }
}
