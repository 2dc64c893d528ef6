// Builds the optional native backend, native/build/stackae_native.node: a Node-API addon calling
// OpenBLAS's cblas_sgemm. It is built only where OpenBLAS's headers (apt-get install
// libopenblas-dev), a C++ compiler and the optional packages node-addon-api and node-api-headers
// are present; elsewhere this says why in one line and succeeds, and stackae uses WebAssembly.
// No node-gyp and no download: a Node-API addon needs only node_api.h, and Node supplies the
// symbols when it loads the addon.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "native", "build", "stackae_native.node");
const skip = (why) => {
  rmSync(out, { force: true });
  console.log(`stackae: native backend not built (${why}); the WebAssembly backend will be used`);
  process.exit(0);
};

if (process.env.STACKAE_NO_NATIVE) skip("STACKAE_NO_NATIVE is set");
if (process.platform !== "linux") skip(`building it is supported on Linux, this is ${process.platform}`);
const require = createRequire(import.meta.url);
let napiInclude;
let addonInclude;
try {
  napiInclude = require("node-api-headers").include_dir;
  addonInclude = dirname(require.resolve("node-addon-api/package.json"));
} catch {
  skip("the optional packages node-addon-api and node-api-headers are not installed");
}
// OpenBLAS is not linked: the addon opens it itself (dlopen, in Init) so that OpenBLAS's threads
// start in flush-to-zero mode (see FlushSubnormals in native/stackae_native.h). Its headers come from
// pkg-config where it knows OpenBLAS, and so does the library's folder.
let blas = { cflags: [], library: "libopenblas.so.0" };
const pkg = spawnSync("pkg-config", ["--cflags", "--libs", "openblas"], { encoding: "utf8" });
if (pkg.status === 0) {
  const flags = pkg.stdout.trim().split(/\s+/);
  const dirs = flags.filter((f) => f.startsWith("-L")).map((f) => f.slice(2));
  const library = dirs.map((d) => join(d, "libopenblas.so.0")).find((f) => existsSync(f));
  blas = { cflags: flags.filter((f) => f.startsWith("-I")), library: library ?? blas.library };
} else if (!existsSync("/usr/include/cblas.h") && !existsSync("/usr/include/x86_64-linux-gnu/cblas.h")) {
  skip("OpenBLAS's headers are missing: apt-get install libopenblas-dev");
}
const cxx = process.env.CXX ?? "c++";
if (spawnSync(cxx, ["--version"]).status !== 0) skip(`no C++ compiler (${cxx})`);

mkdirSync(dirname(out), { recursive: true });
// Every kernel file (addon.cc registers them); the headers beside them are found from there.
const sources = readdirSync(join(root, "native"))
  .filter((f) => f.endsWith(".cc"))
  .sort()
  .map((f) => join(root, "native", f));
const args = [
  "-O3",
  "-march=native",
  // Where the machine has AVX-512, use all of its width: GCC's default keeps loops at 256 bits
  // (the sigmoid over 60000 × 784 floats: 49 ms at 256, 37 ms at 512 bits, one thread on a Xeon);
  // ignored where there is no AVX-512.
  "-mprefer-vector-width=512",
  // Reordered float sums (so that reductions vectorise), but not -ffast-math: GCC then links
  // crtfastmath.o, whose constructor sets flush-to-zero and denormals-are-zero on the thread that
  // loads the addon, Node's main thread, and every JavaScript number there would lose its
  // subnormals. The kernels flush their own results instead (Flush in native/sigmoid.h).
  "-fno-math-errno",
  "-fno-trapping-math",
  "-fno-signed-zeros",
  "-fassociative-math",
  "-freciprocal-math",
  "-std=c++17",
  "-fPIC",
  "-pthread",
  "-shared",
  "-DNAPI_VERSION=8",
  "-DNAPI_DISABLE_CPP_EXCEPTIONS",
  `-I${napiInclude}`,
  `-I${addonInclude}`,
  ...blas.cflags,
  `-DSTACKAE_OPENBLAS=${JSON.stringify(blas.library)}`,
  ...sources,
  "-o",
  out,
  "-ldl",
];
try {
  execFileSync(cxx, args, { stdio: ["ignore", "ignore", "pipe"] });
} catch (error) {
  skip(
    `the compiler failed: ${String(error.stderr ?? error.message)
      .split("\n")
      .slice(0, 3)
      .join(" ")}`,
  );
}
const check = spawnSync(process.execPath, ["-e", `console.log(require(${JSON.stringify(out)}).threads())`], {
  encoding: "utf8",
});
if (check.status !== 0) skip(`the built addon does not load: ${check.stderr.split("\n")[0]}`);
console.log(`stackae: native backend built (OpenBLAS, ${check.stdout.trim()} threads): ${out}`);
