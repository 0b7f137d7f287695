// Entry points for the command line and tests: boot a machine with the
// ViperDOS kernel, optionally run a program as the first user process.

import { Kernel, type KernelOptions } from "./kernel.js";
import type { Process } from "./proc/process.js";

export interface RunProgramOptions extends KernelOptions {
  /** Argument string the program sees through GET_ARGS. */
  args?: string;
  /** Other programs TASK_SPAWN may start (name -> ELF image). */
  programs?: Map<string, Uint8Array>;
  /** Stop after this much virtual time (ns) even if the program still runs (default 60 s). */
  limitNs?: number;
  /** Bytes typed into the console before the program starts. */
  input?: Uint8Array | string;
}

export interface RunProgramResult {
  /** The program's exit code; -1 when it was killed; undefined when it was still running at the limit. */
  exitCode: number | undefined;
  /** "exit", a fault report, or "time limit". */
  reason: string;
  kernel: Kernel;
  virtualNs: number;
  wallMs: number;
}

/**
 * Boot a kernel and run `image` as process 1 until it exits (or the time
 * limit). A malformed ELF gives exitCode undefined with the loader's reason.
 */
export function runProgram(name: string, image: Uint8Array, opts: RunProgramOptions = {}): RunProgramResult {
  const t0 = performance.now();
  const k = new Kernel(opts);
  k.boot();
  for (const [n, img] of opts.programs ?? []) k.bootfs.set(n, img);
  const p = k.spawn(name, image, opts.args ?? "");
  if (typeof p === "number") {
    return { exitCode: undefined, reason: `cannot start ${name} (error ${p})`, kernel: k, virtualNs: k.machine.now(), wallMs: performance.now() - t0 };
  }
  let ended = false;
  k.onProcessExit = (q: Process) => {
    if (q === p) ended = true;
  };
  if (opts.input !== undefined) k.typeInput(opts.input);
  k.runUntil(opts.limitNs ?? 60e9, () => ended);
  const wallMs = performance.now() - t0;
  if (!ended) return { exitCode: undefined, reason: "time limit", kernel: k, virtualNs: k.machine.now(), wallMs };
  return { exitCode: p.exitCode, reason: p.endReason, kernel: k, virtualNs: k.machine.now(), wallMs };
}
