// The kernelspec (jupyter-client docs, "Kernel specs"): a directory
// kernels/viperdos/ holding kernel.json and logos, under one of Jupyter's
// data directories:
//   --user        $JUPYTER_DATA_DIR or ~/.local/share/jupyter
//   --prefix DIR  DIR/share/jupyter (what `jupyter kernelspec install --prefix` uses)
//   (neither)     /usr/local/share/jupyter (system-wide)

import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { logoPng } from "./png.js";

export const KERNEL_NAME = "viperdos";

/** The compiled kernel entry beside this module (dist/kernel-bridge/main.js when built). */
export function defaultMainJs(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "main.js");
}

export type InstallTarget = { kind: "user" } | { kind: "prefix"; dir: string } | { kind: "system" };

/** The Jupyter data directory for `target` (env: JUPYTER_DATA_DIR for --user). */
export function dataDir(target: InstallTarget, env: Record<string, string | undefined> = process.env): string {
  if (target.kind === "prefix") return join(resolve(target.dir), "share", "jupyter");
  if (target.kind === "user") return env.JUPYTER_DATA_DIR ? resolve(env.JUPYTER_DATA_DIR) : join(homedir(), ".local", "share", "jupyter");
  return "/usr/local/share/jupyter";
}

/** kernel.json's content; `mainJs` is the absolute path of the compiled kernel entry. */
export function kernelSpec(mainJs: string, node = process.execPath) {
  return {
    argv: [node, mainJs, "-f", "{connection_file}"],
    display_name: "ViperDOS",
    language: "viperdos",
    interrupt_mode: "message",
    env: {},
    metadata: { debugger: false },
  };
}

/**
 * Write kernels/viperdos/{kernel.json, logo-64x64.png, logo-32x32.png} under
 * `target`'s data directory; returns the kernelspec directory. Throws the
 * file system's error (e.g. EACCES for a system install without rights).
 */
export function installKernelSpec(target: InstallTarget, mainJs = defaultMainJs(), env: Record<string, string | undefined> = process.env): string {
  const dir = join(dataDir(target, env), "kernels", KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), JSON.stringify(kernelSpec(mainJs), null, 2) + "\n");
  writeFileSync(join(dir, "logo-64x64.png"), logoPng(64));
  writeFileSync(join(dir, "logo-32x32.png"), logoPng(32));
  return dir;
}
