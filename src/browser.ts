// stackae for the web: the platform-free core, with kernels fetched over HTTP and kernel threads
// in Web Workers (when the page is cross-origin isolated). No Node module is imported.
import { setPlatform } from "./platform/platform.ts";
import { webPlatform } from "./platform/web.ts";

setPlatform(webPlatform);

export * from "./core.ts";
export { setKernelBase, webPlatform } from "./platform/web.ts";
