// A Python peer that stays up for the whole benchmark and times its samples whenever asked, so
// that they can come right before and right after ours on each shape, with the peer's arrays
// made once. Timed minutes apart in a process of its own, numpy's speed on one product ranged
// from 93 to 157 GFLOP/s on one machine in one afternoon: a ratio to a peer timed at another
// moment measures the machine's drift as much as the kernels.
//
// The protocol is one JSON line each way. The peer's code defines `sample(request)`, which returns
// a number; the wrapper below prints what the code's `info()` returns first, then answers each
// request line with one result line, and exits when its standard input closes.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";

const SERVE = `
import sys, json
print(json.dumps(info()), flush=True)
for line in sys.stdin:
    print(json.dumps(sample(json.loads(line))), flush=True)
`;

export class PythonPeer<Info> {
  readonly info: Info;
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: AsyncIterableIterator<string>;
  readonly #reader: Interface;

  private constructor(
    info: Info,
    child: ChildProcessByStdio<Writable, Readable, null>,
    reader: Interface,
    lines: AsyncIterableIterator<string>,
  ) {
    this.info = info;
    this.#child = child;
    this.#reader = reader;
    this.#lines = lines;
  }

  /**
   * Starts `python -c code` with `argv`; null when it cannot start or fails before its first line
   * (numpy or torch not installed, say). `code` defines `info()` and `sample(request)`.
   */
  static async start<Info>(python: string, code: string, argv: string[]): Promise<PythonPeer<Info> | null> {
    const child = spawn(python, ["-c", code + SERVE, ...argv], { stdio: ["pipe", "pipe", "ignore"] });
    const failed = new Promise<null>((resolve) => {
      child.once("error", () => resolve(null));
      child.once("exit", () => resolve(null));
    });
    const reader = createInterface({ input: child.stdout });
    const lines = reader[Symbol.asyncIterator]();
    const first = await Promise.race([lines.next(), failed]);
    if (first === null || first.done) {
      child.kill();
      return null;
    }
    return new PythonPeer(JSON.parse(first.value) as Info, child, reader, lines);
  }

  /** One sample: what the peer's `sample(request)` returned. */
  async sample(request: unknown): Promise<number> {
    this.#child.stdin.write(`${JSON.stringify(request)}\n`);
    const next = await this.#lines.next();
    if (next.done) throw new Error("the Python peer exited during a sample");
    return JSON.parse(next.value) as number;
  }

  close(): void {
    this.#reader.close();
    this.#child.stdin.end();
  }
}
