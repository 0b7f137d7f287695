// Shared by the tests that run our kernel under real Jupyter clients
// (notebooks, the TCP notebook, jupyter_client/nbclient): the compiled kernel
// in dist/ (built by scripts/setup.sh, which `npm test` runs first; built here
// if missing), a kernelspec installed into a temporary prefix, and nbconvert
// executing a notebook from notebooks/.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installKernelSpec } from "../../kernel-bridge/install.js";

export const ROOT = join(import.meta.dirname, "..", "..");
/** Debian's Python, where its Jupyter packages live (the `python3` on PATH may be another). */
export const PY = "/usr/bin/python3";
export const VL = "application/vnd.vegalite.v5+json";

/** dist/kernel-bridge/main.js, building dist/ when it is missing. Throws when it cannot. */
export function kernelMain(): string {
  const main = join(ROOT, "dist", "kernel-bridge", "main.js");
  if (!existsSync(main)) spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8", timeout: 150_000 });
  if (!existsSync(main)) throw new Error("dist/kernel-bridge/main.js is missing: run scripts/setup.sh");
  return main;
}

/**
 * A temporary prefix holding the "viperdos" kernelspec (point JUPYTER_PATH
 * at `<prefix>/share/jupyter`); `python -c probe` must succeed first, else
 * the error names scripts/jupyter-deps.sh. Remove it with removePrefix().
 */
export function kernelspecPrefix(tag: string, probe = "import nbconvert"): string {
  const p = spawnSync(PY, ["-c", probe], { encoding: "utf8" });
  if (p.status !== 0) throw new Error(`Debian's Jupyter packages are missing; run scripts/jupyter-deps.sh\n${p.stderr}`);
  const work = mkdtempSync(join(tmpdir(), `vd-${tag}-`));
  installKernelSpec({ kind: "prefix", dir: work }, kernelMain());
  return work;
}

export function removePrefix(work: string): void {
  if (work) rmSync(work, { recursive: true, force: true });
}

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

export interface RunCell {
  source: string;
  outputs: Output[];
  /** Tagged raises-exception: an error output is this cell's point (nbconvert carries on past it). */
  expectsError: boolean;
}

export const joined = (s: unknown): string => (Array.isArray(s) ? s.join("") : typeof s === "string" ? s : "");

/** Execute notebooks/`name` with nbconvert and the kernelspec in `work`; its code cells with outputs, and the wall ms it took. */
export function executeNotebook(work: string, name: string, cellTimeoutS = 60): { cells: RunCell[]; ms: number } {
  const out = join(work, name);
  const t0 = performance.now();
  const r = spawnSync(
    PY,
    ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=viperdos", `--ExecutePreprocessor.timeout=${cellTimeoutS}`, "--output", out, join(ROOT, "notebooks", name)],
    { env: { ...process.env, JUPYTER_PATH: join(work, "share", "jupyter") }, encoding: "utf8", timeout: cellTimeoutS * 2000, killSignal: "SIGKILL" },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`nbconvert ${name} failed (${r.status ?? r.signal}):\n${r.stderr.slice(-3000)}`);
  const nb = JSON.parse(readFileSync(out, "utf8")) as { cells: { cell_type: string; source: string | string[]; outputs?: Output[]; metadata?: { tags?: string[] } }[] };
  const cells = nb.cells.filter((c) => c.cell_type === "code");
  return { cells: cells.map((c) => ({ source: joined(c.source), outputs: c.outputs ?? [], expectsError: c.metadata?.tags?.includes("raises-exception") ?? false })), ms };
}
