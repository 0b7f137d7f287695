// The syscall ABI as the kernel's handlers see it (VIPERDOS.md "Syscall
// ABI"): a handler gets the calling task and x0-x5, and returns an Outcome:
// a status (x0) and up to three results (x1-x3), or BLOCK (the task sleeps
// and re-executes the SVC when woken), or GONE (the calling task no longer
// exists: exit, exec). Handler tables live in one module per subsystem and
// are joined in dispatch.ts.

import type { Kernel } from "../kernel.js";
import type { Task } from "../proc/process.js";

export interface Result {
  s: number;
  r1?: bigint | number;
  r2?: bigint | number;
  r3?: bigint | number;
}
export const BLOCK = "block" as const;
export const GONE = "gone" as const;
export type Outcome = Result | typeof BLOCK | typeof GONE;

/**
 * `a[0]`..`a[5]` are X0-X5 of the calling task. `a` is the CPU's live register
 * file (X0-X31 as u64), not a copy: a handler must read the arguments it needs
 * before it changes the task's registers (exec, sigreturn), must not keep `a`,
 * and must only index it (its length is not 6).
 */
export type Handler = (k: Kernel, t: Task, a: readonly bigint[]) => Outcome;
/** A subsystem's handlers: [syscall number, handler]. */
export type HandlerTable = ReadonlyArray<readonly [number, Handler]>;

export const ok = (r1?: bigint | number, r2?: bigint | number, r3?: bigint | number): Result => ({ s: 0, r1, r2, r3 });
export const err = (s: number): Result => ({ s });
// Argument conversions through a 64-bit scratch word read as two 32-bit halves:
// Number(bigint) is a runtime call in V8 11 and these run several times per syscall.
const scratch = new BigUint64Array(1);
const words = new Uint32Array(scratch.buffer);
const signedWords = new Int32Array(scratch.buffer);
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** Argument as a JS number (user addresses and sizes are < 2^53 when valid; else -1). */
export const n = (v: bigint): number => {
  if (v > MAX_SAFE_BIG) return -1;
  if (v < 0n) return Number(v);
  scratch[0] = v;
  return words[1] * 4294967296 + words[0];
};
/** The low 32 bits as a signed number. */
export const i32 = (v: bigint): number => {
  scratch[0] = v; // stored modulo 2^64 (ToBigUint64)
  return signedWords[0];
};
/** As a signed 64-bit value, as a number (exact within +-2^53). */
export const i64 = (v: bigint): number => {
  scratch[0] = v; // stored modulo 2^64 (ToBigUint64)
  return signedWords[1] * 4294967296 + words[0];
};
/** The low 32 bits, unsigned. */
export const u32 = (v: bigint): number => {
  scratch[0] = v; // stored modulo 2^64 (ToBigUint64)
  return words[0];
};
