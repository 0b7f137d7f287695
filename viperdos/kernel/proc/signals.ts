// Signals: POSIX-style asynchronous notifications with user handlers, a
// real signal frame on the user stack and a real return trampoline.
//
// Numbers are Linux's (1..32; SIGKILL 9, SIGSEGV 11, SIGTERM 15, SIGCHLD 17);
// a signal set is a u32 with bit (sig - 1). Dispositions are per process,
// the blocked mask per task; a signal is pending on the process (KILL) or on
// one task (a fault).
//
// ABI (table.ts 0x90-0x94; struct layouts in <viperdos/signal.h>):
//   SIGACTION(sig, act*, old*): struct vd_sigaction { u64 handler; u32 flags;
//     u32 mask } (16 bytes); handler 0 = default, 1 = ignore, else a user
//     code address (4-aligned, in an executable mapping). flags SA_NODEFER 1
//     (the signal itself is not blocked while its handler runs), SA_RESETHAND 2
//     (back to default after one delivery). -2 for a bad number, flags or
//     handler, or a SIGKILL/SIGSTOP change; -2/-6 for bad pointers.
//   SIGPROCMASK(how, set*, old*): how BLOCK 0, UNBLOCK 1, SETMASK 2 (-2 else);
//     SIGKILL and SIGSTOP are never blocked (dropped silently). r1 = new mask.
//   KILL(pid, sig): pid > 0 that process; 0 the caller's group; < -1 group
//     -pid; -1 (everyone) -7. sig 0 only checks. -2 bad sig, -201 nobody,
//     -6 when the target is neither in the caller's session nor a descendant.
//   SIGPENDING(set*): pending for the caller (its own | its process's); also r1.
//   SIGRETURN: restore the frame at SP (see below); never returns normally.
//
// Delivery happens when a task returns to EL0 (Kernel.onExit calls
// deliverSignals after scheduling): the lowest pending unblocked signal
// (the task's own, i.e. faults, first) is taken. Default actions: SIGCHLD,
// SIGCONT, SIGURG, SIGWINCH and the stop signals (no job control yet) are
// ignored; all others terminate the process with exit code 128 + sig (the
// shell convention: SIGKILL -> 137, SIGTERM -> 143) and a console line. A
// fatal fault with no handler keeps the kernel's fault report and exit code
// -1 (Kernel.killForFault). Ignored signals are discarded when sent.
//
// A handler runs with x0 = sig, x1 = fault address (FAR; 0 unless a fault),
// x2 = the frame's address, SP = the frame, x30 = TRAMPOLINE_VA, and its
// action's mask (plus the signal, unless SA_NODEFER) blocked. Returning runs
// the trampoline page, which calls SIGRETURN. The frame (FRAME_SIZE bytes,
// 16-aligned, below the interrupted SP; offsets in FRAME):
//   magic u64, x0..x30, sp, pc, nzcv u32, fpcr u32, fpsr u32, old mask u32,
//   signum u32, pad, v0..v31 (512 bytes), fault address u64, pad.
// SIGRETURN checks SP is a frame the kernel pushed for this task and not yet
// returned from, the magic and signum, pc (user range, 4-aligned), sp
// (16-aligned, user range) and nzcv (only N Z C V bits); any failure kills
// the process like an uncaught SIGSEGV (exit 128 + 11). Handlers may edit
// the saved registers (a longjmp-like resume), as on Linux.
//
// A blocked task (SLEEP, WAIT, READ, THREAD_JOIN, POLL_WAIT...) picked to
// take a signal that has a handler or terminates is woken and its syscall
// returns EINTR (= E.UNKNOWN, -1: errors.ts has no "interrupted" code and we
// add none) instead of re-executing.

import { E } from "../errors.js";
import { copyIn, copyOut } from "../mm/uaccess.js";
import { PROT_EXEC, PROT_READ, USER_BASE, USER_END } from "../mm/layout.js";
import { SYS } from "../syscall/table.js";
import { err, GONE, ok, type Outcome, type Result } from "../syscall/abi.js";
import { ExitKind } from "../../../emulator/cpu/state.js";
import { TraceKind } from "../inspect/trace.js";
import type { Kernel } from "../kernel.js";
import type { AddressSpace } from "../mm/vm.js";
import type { Process, Task } from "./process.js";

export const NSIG = 32;
export const SIG = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11,
  USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20,
  TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
} as const;
const NAMES = new Map<number, string>(Object.entries(SIG).map(([k, v]) => [v, "SIG" + k]));

/** "SIGTERM", or "SIG32" for numbers without a name. */
export function signalName(sig: number): string {
  return NAMES.get(sig) ?? `SIG${sig}`;
}

export const SIG_DFL = 0n;
export const SIG_IGN = 1n;
export const SA_NODEFER = 1;
export const SA_RESETHAND = 2;
const SA_KNOWN = SA_NODEFER | SA_RESETHAND;
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;
/** The syscall status of a blocking call a signal interrupted (see the header). */
export const EINTR = E.UNKNOWN;

/** One signal's disposition (absent from Process.sigActions: default). */
export interface SigAction {
  handler: bigint;
  flags: number;
  mask: number;
}

export const bit = (sig: number): number => (1 << (sig - 1)) >>> 0;
const UNBLOCKABLE = bit(SIG.KILL) | bit(SIG.STOP);
const DEFAULT_IGNORE = bit(SIG.CHLD) | bit(SIG.CONT) | bit(SIG.URG) | bit(SIG.WINCH) | bit(SIG.STOP) | bit(SIG.TSTP) | bit(SIG.TTIN) | bit(SIG.TTOU);
const ALL = 0xffff_ffff;
/** kernel.ts SGI_RESCHEDULE (not imported: kernel.ts imports this module). */
const SGI_RESCHEDULE = 0;

/** The return trampoline ("vDSO") page: one read+execute page at the top of the user range. */
export const TRAMPOLINE_VA = 0x7fff_ffff_f000;
/**
 * Its code, two A64 words:
 *     movz x8, #SYS_SIGRETURN     // 0xd2800000 | imm16 << 5 | Rd (x8)
 *     svc  #0                     // 0xd4000001
 * (test/kernel-signals.test.ts checks them against clang's assembler.)
 */
export const TRAMPOLINE_WORDS: readonly number[] = [(0xd280_0000 | (SYS.SIGRETURN << 5) | 8) >>> 0, 0xd400_0001];
const TRAMPOLINE_BYTES = new Uint8Array(Uint32Array.from(TRAMPOLINE_WORDS).buffer);

/** Signal frame layout (byte offsets). */
export const FRAME = { magic: 0, x: 8, sp: 256, pc: 264, nzcv: 272, fpcr: 276, fpsr: 280, mask: 284, signum: 288, v: 304, fault: 816 } as const;
export const FRAME_SIZE = 832;
/** "VDSIGFRM" read as a little-endian u64. */
export const FRAME_MAGIC = 0x4d52_4647_4953_4456n;
/** Frames remembered per task (handlers that never return, e.g. longjmp, leave stale ones). */
const MAX_FRAMES = 32;

type Disposition = "handler" | "ignore" | "terminate";

function disposition(p: Process, sig: number): Disposition {
  if (sig === SIG.KILL || sig === SIG.STOP) return sig === SIG.KILL ? "terminate" : "ignore";
  const a = p.sigActions.get(sig);
  if (a === undefined || a.handler === SIG_DFL) return DEFAULT_IGNORE & bit(sig) ? "ignore" : "terminate";
  return a.handler === SIG_IGN ? "ignore" : "handler";
}

const validSig = (sig: number): boolean => Number.isInteger(sig) && sig >= 1 && sig <= NSIG;

/** The registers of `t`: the CPU's while it is loaded there, else its saved context. */
function regsOf(k: Kernel, t: Task): { x: BigUint64Array; pc: number } {
  return t.cpu >= 0 && k.current[t.cpu] === t ? k.machine.cpus[t.cpu].state : t.ctx;
}

// --- Sending ------------------------------------------------------------------------

/**
 * End `p` with the default "terminate" action of `sig` (exit code 128 + sig),
 * logging it like a fault kill. Safe on a process that already ended.
 */
export function terminate(k: Kernel, p: Process, sig: number, why = ""): void {
  if (p.state !== "live") return;
  const report = `killed by signal ${sig} (${signalName(sig)})${why}`;
  k.log(`pid ${p.pid} (${p.name}): ${report}`);
  k.trace.record(k.machine.now(), 0, TraceKind.Kill, p.mainTask?.tid ?? 0, p.pid);
  k.exitProcess(p, 128 + sig, report);
}

/** Make blocked `t` runnable with its syscall returning EINTR (not re-executed). */
function interrupt(k: Kernel, t: Task, fromCpu: number): void {
  if (t.state !== "blocked") return;
  const r = regsOf(k, t);
  r.pc += 4; // the SVC was rewound to re-execute on wake: step over it instead
  r.x[0] = BigInt.asUintN(64, BigInt(EINTR));
  t.deadlineNs = undefined;
  t.cancelWait?.();
  t.cancelWait = undefined;
  k.wakeTask(t, fromCpu);
}

/**
 * Post `sig` to process `p` (KILL): discarded when ignored, SIGKILL ends
 * the process at once, else it becomes pending and one task that does not
 * block it is told: a running one on another CPU gets an SGI (it exits to
 * the kernel and takes it), a blocked one is interrupted. Returns 0.
 * Precondition: 1 <= sig <= NSIG.
 */
export function sendSignal(k: Kernel, p: Process, sig: number, fromCpu: number): number {
  if (p.state !== "live") return 0;
  const d = disposition(p, sig);
  if (d === "ignore") return 0;
  if (sig === SIG.KILL) {
    terminate(k, p, sig);
    return 0;
  }
  p.sigPending = (p.sigPending | bit(sig)) >>> 0;
  const takers = p.tasks.filter((x) => x.state !== "exited" && (x.sigMask & bit(sig)) === 0);
  if (takers.length === 0) return 0; // stays pending until some task unblocks it
  const running = takers.find((x) => x.state === "running");
  if (running) {
    if (running.cpu !== fromCpu && running.cpu >= 0) k.gic.sendSgi(fromCpu, SGI_RESCHEDULE, 1 << running.cpu);
    return 0;
  }
  if (takers.some((x) => x.state === "ready")) return 0; // it takes the signal when it next runs
  interrupt(k, takers[0], fromCpu);
  return 0;
}

/** The processes KILL's `pid` names (see the header), or an error. */
function targets(k: Kernel, from: Process, pid: number): Process[] | number {
  if (pid === -1) return E.NOT_SUPPORTED;
  const live = k.processes().filter((q) => q.state === "live");
  if (pid > 0) {
    const q = live.find((x) => x.pid === pid);
    return q ? [q] : E.TASK_NOT_FOUND;
  }
  const group = pid === 0 ? from.pgid : -pid;
  const qs = live.filter((x) => x.pgid === group);
  return qs.length > 0 ? qs : E.TASK_NOT_FOUND;
}

/** May `from` signal `q`? Itself, its session, or its descendants (our rule; no users yet). */
function maySignal(from: Process, q: Process): boolean {
  if (q.sid === from.sid) return true;
  for (let a = q.parent; a; a = a.parent) if (a === from) return true;
  return false;
}

/** KILL(pid, sig) from task `t`. */
export function kill(k: Kernel, t: Task, pid: number, sig: number): Outcome {
  if (sig !== 0 && !validSig(sig)) return err(E.INVALID_ARG);
  const qs = targets(k, t.process, pid);
  if (typeof qs === "number") return err(qs);
  const allowed = qs.filter((q) => maySignal(t.process, q));
  if (allowed.length === 0) return err(E.PERMISSION);
  if (sig === 0) return ok();
  for (const q of allowed) sendSignal(k, q, sig, Math.max(t.cpu, 0));
  return t.process.state === "live" ? ok() : GONE;
}

// --- Dispositions and masks -----------------------------------------------------------------

/** Map the return trampoline page into `as` if it is not there. Returns 0 or a negative error. */
export function ensureTrampoline(as: AddressSpace): number {
  const v = as.findVma(TRAMPOLINE_VA);
  if (v) return v.start === TRAMPOLINE_VA && (v.prot & PROT_EXEC) !== 0 ? 0 : E.EXISTS;
  return as.addVma({
    start: TRAMPOLINE_VA,
    end: TRAMPOLINE_VA + 4096,
    prot: PROT_READ | PROT_EXEC,
    kind: "text",
    backing: { type: "file", file: TRAMPOLINE_BYTES, fileOffset: 0, vaddr: TRAMPOLINE_VA, fileSize: TRAMPOLINE_BYTES.length, name: "[sigreturn trampoline]" },
  });
}

function encodeAction(a: SigAction | undefined): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, a?.handler ?? SIG_DFL, true);
  dv.setUint32(8, a?.flags ?? 0, true);
  dv.setUint32(12, a?.mask ?? 0, true);
  return b;
}

/** SIGACTION(sig, act*, old*): see the header. */
export function sigaction(t: Task, sig: number, actPtr: number, oldPtr: number): Result {
  const p = t.process;
  if (!validSig(sig)) return err(E.INVALID_ARG);
  let next: SigAction | undefined;
  if (actPtr !== 0) {
    if (sig === SIG.KILL || sig === SIG.STOP) return err(E.INVALID_ARG);
    const raw = copyIn(p.as, actPtr, 16);
    if (typeof raw === "number") return err(raw);
    const dv = new DataView(raw.buffer, raw.byteOffset, 16);
    next = { handler: dv.getBigUint64(0, true), flags: dv.getUint32(8, true), mask: (dv.getUint32(12, true) & ~UNBLOCKABLE) >>> 0 };
    if ((next.flags & ~SA_KNOWN) !== 0) return err(E.INVALID_ARG);
    if (next.handler > SIG_IGN) {
      const h = next.handler < BigInt(USER_END) ? Number(next.handler) : -1;
      if (h < USER_BASE || h % 4 !== 0 || ((p.as.findVma(h)?.prot ?? 0) & PROT_EXEC) === 0) return err(E.INVALID_ARG);
      const r = ensureTrampoline(p.as);
      if (r < 0) return err(r);
    }
  }
  if (oldPtr !== 0) {
    const r = copyOut(p.as, oldPtr, encodeAction(p.sigActions.get(sig)));
    if (r < 0) return err(r);
  }
  if (next) {
    if (next.handler === SIG_DFL && next.flags === 0 && next.mask === 0) p.sigActions.delete(sig);
    else p.sigActions.set(sig, next);
    // Setting "ignore" (or a default that ignores) discards what is pending (POSIX).
    if (disposition(p, sig) === "ignore") {
      p.sigPending &= ~bit(sig);
      for (const x of p.tasks) x.sigPending &= ~bit(sig);
    }
  }
  return ok();
}

/** SIGPROCMASK(how, set*, old*): see the header. Unblocked pending signals are delivered on return to EL0. */
export function sigprocmask(t: Task, how: number, setPtr: number, oldPtr: number): Result {
  const as = t.process.as;
  let set: number | undefined;
  if (setPtr !== 0) {
    if (how !== SIG_BLOCK && how !== SIG_UNBLOCK && how !== SIG_SETMASK) return err(E.INVALID_ARG);
    const raw = copyIn(as, setPtr, 4);
    if (typeof raw === "number") return err(raw);
    set = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, true);
  }
  if (oldPtr !== 0) {
    const r = copyOut(as, oldPtr, Uint8Array.of(t.sigMask & 0xff, (t.sigMask >>> 8) & 0xff, (t.sigMask >>> 16) & 0xff, t.sigMask >>> 24));
    if (r < 0) return err(r);
  }
  if (set !== undefined) {
    const m = how === SIG_BLOCK ? t.sigMask | set : how === SIG_UNBLOCK ? t.sigMask & ~set : set;
    t.sigMask = (m & ~UNBLOCKABLE) >>> 0;
  }
  return ok(t.sigMask);
}

/** SIGPENDING(set*): signals pending for `t` (its own and its process's). */
export function sigpending(t: Task, setPtr: number): Result {
  const pending = (t.sigPending | t.process.sigPending) >>> 0;
  if (setPtr !== 0) {
    const r = copyOut(t.process.as, setPtr, Uint8Array.of(pending & 0xff, (pending >>> 8) & 0xff, (pending >>> 16) & 0xff, pending >>> 24));
    if (r < 0) return err(r);
  }
  return ok(pending);
}

/** FORK: the child's main task keeps the parent's dispositions and the forking task's mask; nothing pending. */
export function inheritSignals(parent: Task, child: Task): void {
  for (const [sig, a] of parent.process.sigActions) child.process.sigActions.set(sig, { ...a });
  child.sigMask = parent.sigMask;
}

// --- Delivery ------------------------------------------------------------------------------

/** The fault's signal, when its process has an unblocked handler for it: pend it on `t` and return true. */
export function faultToSignal(k: Kernel, t: Task, exit: ExitKind): boolean {
  const sigOf: Partial<Record<ExitKind, number>> = {
    [ExitKind.Abort]: SIG.SEGV,
    [ExitKind.Alignment]: SIG.BUS,
    [ExitKind.Undefined]: SIG.ILL,
    [ExitKind.SysRegTrap]: SIG.ILL,
    [ExitKind.Brk]: SIG.TRAP,
  };
  const sig = sigOf[exit];
  if (sig === undefined || t.cpu < 0 || disposition(t.process, sig) !== "handler" || (t.sigMask & bit(sig)) !== 0) return false;
  const c = k.machine.cpus[t.cpu].state;
  t.sigPending = (t.sigPending | bit(sig)) >>> 0;
  t.sigFaultAddr = exit === ExitKind.Abort || exit === ExitKind.Alignment ? c.far : BigInt(c.pc);
  return true;
}

/**
 * Kernel.onExit's hook, for the task `t` about to return to EL0 on `cpu`
 * (loaded there): take pending unblocked signals; ignore, terminate, or
 * push a frame and enter a handler (one per return). Returns "killed" when
 * `t`'s process ended (the CPU must pick again), "handler", or "none".
 */
export function deliverSignals(k: Kernel, cpu: number, t: Task): "killed" | "handler" | "none" {
  const p = t.process;
  for (;;) {
    if (p.state !== "live" || t.state !== "running") return "none";
    const ready = ((t.sigPending | p.sigPending) & ~t.sigMask) >>> 0;
    if (ready === 0) return "none";
    const own = (t.sigPending & ~t.sigMask) >>> 0;
    const from = own !== 0 ? own : ready;
    const sig = 32 - Math.clz32(from & -from);
    const b = bit(sig);
    const fault = (t.sigPending & b) !== 0 ? t.sigFaultAddr : 0n;
    if (t.sigPending & b) t.sigPending = (t.sigPending & ~b) >>> 0;
    else p.sigPending = (p.sigPending & ~b) >>> 0;
    const d = disposition(p, sig);
    if (d === "ignore") continue;
    if (d === "terminate") {
      terminate(k, p, sig);
      return "killed";
    }
    if (!enterHandler(k, cpu, t, sig, fault)) {
      terminate(k, p, SIG.SEGV, ` (cannot push the frame for ${signalName(sig)})`);
      return "killed";
    }
    return "handler";
  }
}

/** Push the frame for `sig` and point the CPU at its handler. False when the stack cannot take the frame. */
function enterHandler(k: Kernel, cpu: number, t: Task, sig: number, fault: bigint): boolean {
  const p = t.process;
  const a = p.sigActions.get(sig)!;
  const c = k.machine.cpus[cpu].state;
  const sp = c.x[31] < BigInt(USER_END) ? Number(c.x[31]) : -1;
  const frameSp = Math.floor((sp - FRAME_SIZE) / 16) * 16;
  if (frameSp < USER_BASE) return false;
  const bytes = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(FRAME.magic, FRAME_MAGIC, true);
  for (let i = 0; i < 31; i++) dv.setBigUint64(FRAME.x + 8 * i, c.x[i], true);
  dv.setBigUint64(FRAME.sp, c.x[31], true);
  dv.setBigUint64(FRAME.pc, BigInt(c.pc), true);
  dv.setUint32(FRAME.nzcv, c.nzcv >>> 0, true);
  dv.setUint32(FRAME.fpcr, c.fpcr >>> 0, true);
  dv.setUint32(FRAME.fpsr, c.fpsr >>> 0, true);
  dv.setUint32(FRAME.mask, t.sigMask >>> 0, true);
  dv.setUint32(FRAME.signum, sig, true);
  bytes.set(c.vb, FRAME.v);
  dv.setBigUint64(FRAME.fault, fault, true);
  if (copyOut(p.as, frameSp, bytes) < 0 || ensureTrampoline(p.as) < 0) return false;
  c.x[0] = BigInt(sig);
  c.x[1] = fault;
  c.x[2] = BigInt(frameSp);
  c.x[30] = BigInt(TRAMPOLINE_VA);
  c.x[31] = BigInt(frameSp);
  c.pc = Number(a.handler);
  t.sigMask = ((t.sigMask | a.mask | (a.flags & SA_NODEFER ? 0 : bit(sig))) & ~UNBLOCKABLE) >>> 0;
  if (a.flags & SA_RESETHAND) p.sigActions.delete(sig);
  t.sigFrames.push(frameSp);
  if (t.sigFrames.length > MAX_FRAMES) t.sigFrames.shift();
  return true;
}

/**
 * SIGRETURN from task `t` on its CPU: validate the frame at SP and restore
 * it (every register, the mask). A bad frame ends the process as an
 * uncaught SIGSEGV. Returns GONE: x0-x3 are the frame's, not a status.
 */
export function sigreturn(k: Kernel, t: Task): Outcome {
  if (t.cpu < 0 || k.current[t.cpu] !== t) return err(E.INVALID_ARG); // only a running task can return from a handler
  const c = k.machine.cpus[t.cpu].state;
  const sp = c.x[31] < BigInt(USER_END) ? Number(c.x[31]) : -1;
  const bad = (why: string): Outcome => {
    terminate(k, t.process, SIG.SEGV, ` (bad signal frame at sp=0x${c.x[31].toString(16)}: ${why})`);
    return GONE;
  };
  const at = t.sigFrames.lastIndexOf(sp);
  if (at < 0) return bad("no signal frame was pushed there");
  t.sigFrames.length = at; // this frame and any stale inner ones are done
  const raw = copyIn(t.process.as, sp, FRAME_SIZE);
  if (typeof raw === "number") return bad("unreadable");
  const dv = new DataView(raw.buffer, raw.byteOffset, FRAME_SIZE);
  if (dv.getBigUint64(FRAME.magic, true) !== FRAME_MAGIC) return bad("magic");
  if (!validSig(dv.getUint32(FRAME.signum, true))) return bad("signal number");
  const pc = dv.getBigUint64(FRAME.pc, true);
  const newSp = dv.getBigUint64(FRAME.sp, true);
  const nzcv = dv.getUint32(FRAME.nzcv, true);
  if (pc < BigInt(USER_BASE) || pc >= BigInt(USER_END) || pc % 4n !== 0n) return bad("pc");
  if (newSp < BigInt(USER_BASE) || newSp > BigInt(USER_END) || newSp % 16n !== 0n) return bad("sp");
  if ((nzcv & 0x0fff_ffff) !== 0) return bad("pstate");
  for (let i = 0; i < 31; i++) c.x[i] = dv.getBigUint64(FRAME.x + 8 * i, true);
  c.x[31] = newSp;
  c.pc = Number(pc);
  c.nzcv = nzcv;
  c.fpcr = dv.getUint32(FRAME.fpcr, true) & 0x07ff_9f00; // architected FPCR bits only
  c.fpsr = dv.getUint32(FRAME.fpsr, true) & 0xf800_009f;
  c.vb.set(raw.subarray(FRAME.v, FRAME.v + 512));
  t.sigMask = (dv.getUint32(FRAME.mask, true) & ~UNBLOCKABLE) >>> 0;
  return GONE;
}

// --- Inspection ----------------------------------------------------------------------------

export interface SignalSnapshot {
  pid: number;
  /** Non-default dispositions. */
  actions: { sig: number; name: string; handler: string; flags: number; mask: number }[];
  pending: number;
  tasks: { tid: number; mask: number; pending: number; frames: string[] }[];
  trampoline: string;
}

/** `p`'s signal state for the inspection API (plain JSON). */
export function snapshot(p: Process): SignalSnapshot {
  return {
    pid: p.pid,
    actions: [...p.sigActions].sort((x, y) => x[0] - y[0]).map(([sig, a]) => ({
      sig,
      name: signalName(sig),
      handler: a.handler === SIG_DFL ? "default" : a.handler === SIG_IGN ? "ignore" : "0x" + a.handler.toString(16),
      flags: a.flags,
      mask: a.mask >>> 0,
    })),
    pending: p.sigPending >>> 0,
    tasks: p.tasks.map((x) => ({ tid: x.tid, mask: x.sigMask >>> 0, pending: x.sigPending >>> 0, frames: x.sigFrames.map((f) => "0x" + f.toString(16)) })),
    trampoline: "0x" + TRAMPOLINE_VA.toString(16),
  };
}

/** Every signal set bit, for masks typed in notebooks: setOf(SIG.INT, SIG.TERM). */
export function setOf(...sigs: number[]): number {
  return sigs.reduce((m, s) => (validSig(s) ? m | bit(s) : m), 0) >>> 0 & ALL;
}
