import { defineConfig } from "vite";

// Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, so that training can
// use several threads; without it the demo still works, on one thread.
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: "demo",
  base: "./",
  server: { host: "127.0.0.1", port: 5173, headers: isolation },
  preview: { host: "127.0.0.1", port: 4173, headers: isolation },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  worker: { format: "es" },
});
