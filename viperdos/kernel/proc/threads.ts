// Threads: more tasks in one process. A thread shares its process's address
// space and capability table and has its own registers, stack and
// TPIDR_EL0; the scheduler places it on any CPU like every task, so the
// threads of one process run in parallel on the 4 CPUs.
//
// ABI (table.ts THREAD_* 0xB0-0xB4), with one extension of ours:
//   THREAD_CREATE(x0 entry, x1 stack_top, x2 tls_base, x3 arg) -> r1 tid.
//     The thread starts at `entry` with x0 = arg (x3 is not in table.ts's
//     argument list; callers that pass 3 arguments get x0 = whatever x3
//     held, so <viperdos/threads.h> always passes it), SP = stack_top,
//     TPIDR_EL0 = tls_base, every other register 0 (x30 = 0: returning from
//     `entry` faults, so the entry must end with THREAD_EXIT).
//     Errors: -2 entry not 4-aligned or not in an executable mapping;
//     stack_top not 16-byte aligned or the 16 bytes below it not in a
//     writable mapping. -501 when the process already has MAX_THREADS live.
//   THREAD_EXIT(retval): ends the calling thread; the last live thread's
//     exit ends the process with exit code = (i32) retval. TASK_EXIT (and a
//     fatal fault, and a terminating signal) end every thread at once.
//   THREAD_JOIN(tid) -> r1 retval: blocks until `tid` exits. Errors: -2
//     joining yourself or a detached thread; -201 no such thread in this
//     process (never existed, or already joined). Blocked joins are
//     interrupted by signals with a handler (proc/signals.ts).
//   THREAD_DETACH(tid, 0 = self): nobody will join it; its record goes when
//     it exits. -2 when already detached, -201 no such thread.
//   THREAD_SELF -> r1 tid (the same number as TASK_CURRENT).
// An exited thread's record (retval) stays in Process.tasks until joined
// (or detached); the main task (tasks[0]) always stays.

import { E } from "../errors.js";
import { BLOCK, err, GONE, ok, type Outcome, type Result } from "../syscall/abi.js";
import { PROT_EXEC, PROT_WRITE, USER_BASE, USER_END } from "../mm/layout.js";
import type { Kernel } from "../kernel.js";
import type { Process, Task } from "./process.js";

/** Live threads per process (our limit; upstream has none documented). */
export const MAX_THREADS = 64;

/** The task `tid` of process `p` (live or exited-but-unjoined). */
function findThread(p: Process, tid: number): Task | undefined {
  return p.tasks.find((x) => x.tid === tid);
}

/** Drop an exited thread's record (never the main task's). */
function forget(p: Process, t: Task): void {
  const i = p.tasks.indexOf(t);
  if (i > 0) p.tasks.splice(i, 1);
}

/**
 * THREAD_CREATE: a new task in `t`'s process starting at `entry` with
 * x0 = `arg`, SP = `stackTop`, TPIDR_EL0 = `tls`. Returns the new task, or
 * -2 (bad entry or stack, see the header), -501 (too many threads).
 */
export function createThread(k: Kernel, t: Task, entry: bigint, stackTop: bigint, tls: bigint, arg: bigint): Task | number {
  const p = t.process;
  if (p.state !== "live") return E.INVALID_ARG;
  const as = p.as;
  const pc = entry < BigInt(USER_END) ? Number(entry) : -1;
  const sp = stackTop <= BigInt(USER_END) ? Number(stackTop) : -1;
  if (pc < USER_BASE || pc % 4 !== 0 || ((as.findVma(pc)?.prot ?? 0) & PROT_EXEC) === 0) return E.INVALID_ARG;
  if (sp < USER_BASE + 16 || sp % 16 !== 0 || ((as.findVma(sp - 16)?.prot ?? 0) & PROT_WRITE) === 0) return E.INVALID_ARG;
  if (p.tasks.filter((x) => x.state !== "exited").length >= MAX_THREADS) return E.NO_RESOURCE;
  return k.addTask(p, (n) => {
    n.ctx.pc = pc;
    n.ctx.x[31] = BigInt(sp);
    n.ctx.x[0] = arg;
    n.ctx.tpidr = tls;
    n.ctx.fpcr = t.cpu >= 0 ? k.machine.cpus[t.cpu].state.fpcr : t.ctx.fpcr; // the FP rounding mode is per process in practice (like Linux's clone)
    n.sigMask = t.sigMask; // a new thread inherits its creator's signal mask (POSIX)
  });
}

/**
 * THREAD_EXIT: end task `t` with `retval`; joiners wake. When no live task
 * remains the process ends with exit code (i32) retval. Returns GONE.
 */
export function exitThread(k: Kernel, t: Task, retval: bigint): typeof GONE {
  const p = t.process;
  t.retval = retval;
  const code = Number(BigInt.asIntN(32, retval));
  k.exitTask(t, code);
  if (t.detached) forget(p, t);
  if (!p.tasks.some((x) => x.state !== "exited")) {
    k.exitProcess(p, code, "exit");
    return GONE;
  }
  k.wakeWaiters((w, x) => w.kind === "join" && w.tid === t.tid && x.process === p, 0);
  return GONE;
}

/** THREAD_JOIN: the retval of thread `tid` once it has exited (blocks until then). Errors in the header. */
export function joinThread(k: Kernel, t: Task, tid: number): Outcome {
  const p = t.process;
  if (tid === t.tid) return err(E.INVALID_ARG);
  const target = findThread(p, tid);
  if (!target) return err(E.TASK_NOT_FOUND);
  if (target.detached) return err(E.INVALID_ARG);
  if (target.state !== "exited") {
    const r = k.blockOn(t, { kind: "join", tid });
    return r === BLOCK ? BLOCK : r;
  }
  forget(p, target);
  if (target === p.tasks[0]) target.detached = true; // the main task's record stays; joined once
  return ok(target.retval);
}

/** THREAD_DETACH: `tid` (0: the caller) will not be joined. Errors in the header. */
export function detachThread(t: Task, tid: number): Result {
  const p = t.process;
  const target = tid === 0 ? t : findThread(p, tid);
  if (!target) return err(E.TASK_NOT_FOUND);
  if (target.detached) return err(E.INVALID_ARG);
  target.detached = true;
  if (target.state === "exited") forget(p, target);
  return ok();
}

export interface ThreadSnapshot {
  tid: number;
  state: string;
  main: boolean;
  detached: boolean;
  cpu: number;
  pc: string;
  sp: string;
  tpidr: string;
  /** THREAD_EXIT's value once exited, as a decimal string (u64). */
  retval: string;
  sigMask: number;
  sigPending: number;
}

/** The threads of `p` for the inspection API (plain JSON). Registers are as last saved. */
export function snapshot(p: Process): ThreadSnapshot[] {
  return p.tasks.map((x, i) => ({
    tid: x.tid,
    state: x.state,
    main: i === 0,
    detached: x.detached,
    cpu: x.cpu,
    pc: "0x" + x.ctx.pc.toString(16),
    sp: "0x" + x.ctx.x[31].toString(16),
    tpidr: "0x" + x.ctx.tpidr.toString(16),
    retval: x.retval.toString(),
    sigMask: x.sigMask >>> 0,
    sigPending: x.sigPending >>> 0,
  }));
}
