// The syscall dispatcher: SVC #0 from EL0 arrives here with the number in x8
// and arguments in x0-x5 (the ABI types are in abi.ts). The core calls
// (task, time, console fds, process, memory, system) are handled in this
// file; IPC/capabilities in ipc.ts, threads and signals in threads.ts.
// Unknown numbers return -7. Handlers read user memory only through
// mm/uaccess (bad pointers give -2/-6, never a throw).

import { E } from "../errors.js";
import { SYS } from "../syscall/table.js";
import { copyIn, copyInString, copyOut, writeU32 } from "../mm/uaccess.js";
import type { Kernel } from "../kernel.js";
import type { Task } from "../proc/process.js";
import { err, GONE, i32, i64, n, ok, type Handler, type HandlerTable, type Outcome } from "./abi.js";
import { IPC_HANDLERS } from "./ipc.js";
import { THREAD_HANDLERS } from "./threads.js";
import { FS_HANDLERS, fileRead, fileWrite } from "./fs.js";
import { TASK_EXTRA_HANDLERS } from "./task-extra.js";
import { DEVICE_HANDLERS } from "./device.js";
import { NET_HANDLERS } from "./net.js";
import { DEVICE_LIST_HANDLERS } from "./device-list.js";

export { BLOCK, GONE, type Outcome, type Result, type Handler } from "./abi.js";

/** Largest single console write we accept at once. */
const MAX_WRITE = 1 << 20;
const CONSOLE_FDS = new Set([0, 1, 2]);
const WNOHANG = 1;

const CORE_HANDLERS: HandlerTable = [

  // --- task ---------------------------------------------------------------------------------
  [SYS.TASK_YIELD, (k, t) => (k.yieldTask(t), ok())],
  [SYS.TASK_EXIT, (k, t, a) => (k.exitProcess(t.process, i32(a[0]), "exit"), GONE)],
  [SYS.TASK_CURRENT, (_k, t) => ok(t.tid)],
  [SYS.TASK_SPAWN, (k, t, a) => {
    const path = copyInString(t.process.as, n(a[0]), 256);
    if (typeof path === "number") return err(path);
    const name = a[1] === 0n ? path : copyInString(t.process.as, n(a[1]), 64);
    if (typeof name === "number") return err(name);
    const args = a[2] === 0n ? "" : copyInString(t.process.as, n(a[2]), 4096);
    if (typeof args === "number") return err(args);
    const p = k.spawnPath(path, args, t.process, name);
    if (typeof p === "number") return err(p);
    return ok(p.pid, p.mainTask.tid, p.bootstrapPeer ?? 0xffff_ffff);
  }],
  [SYS.WAIT, (k, t, a) => waitChild(k, t, -1, a[0], 0)],
  [SYS.WAITPID, (k, t, a) => waitChild(k, t, i64(a[0]), a[1], Number(a[2] & 0xffffffffn))],
  [SYS.SBRK, (_k, t, a) => {
    const r = t.process.as.sbrk(i64(a[0]));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.FORK, (k, t) => {
    const child = k.forkProcess(t);
    return typeof child === "number" ? err(child) : ok(child.pid);
  }],
  [SYS.TASK_SET_PRIORITY, (k, t, a) => k.setPriority(t, Number(a[0]), Number(a[1]))],
  [SYS.TASK_GET_PRIORITY, (k, t, a) => {
    const p = k.sched.getPriority(Number(a[0]) || t.tid);
    return p < 0 ? err(E.TASK_NOT_FOUND) : ok(p);
  }],
  [SYS.SCHED_SETAFFINITY, (k, t, a) => {
    const r = k.sched.setAffinity(Number(a[0]) || t.tid, Number(a[1] & 0xffffffffn));
    return r < 0 ? err(r === -201 ? E.TASK_NOT_FOUND : E.INVALID_ARG) : (k.afterSchedChange(t), ok());
  }],
  [SYS.SCHED_GETAFFINITY, (k, t, a) => {
    const m = k.sched.getAffinity(Number(a[0]) || t.tid);
    return m < 0 ? err(E.TASK_NOT_FOUND) : ok(m);
  }],

  // --- time -----------------------------------------------------------------------------------
  [SYS.TIME_NOW, (k) => ok(Math.floor(k.machine.now() / 1e6))],
  [SYS.TIME_NOW_NS, (k) => ok(k.machine.now())],
  [SYS.SLEEP, (k, t, a) => k.sleep(t, n(a[0]) * 1e6)],
  [SYS.RTC_READ, (k) => ok(Math.floor(k.rtcDate().getTime() / 1000))],

  // --- console file descriptors (before the file system) ------------------------------------
  [SYS.WRITE, (k, t, a) => {
    const fd = i32(a[0]);
    if (fd >= 3) return fileWrite(k, t, a);
    if (fd !== 1 && fd !== 2) return err(CONSOLE_FDS.has(fd) ? E.PERMISSION : E.INVALID_HANDLE);
    const len = Math.min(n(a[2]), MAX_WRITE);
    if (len < 0) return err(E.INVALID_ARG);
    const bytes = copyIn(t.process.as, n(a[1]), len);
    if (typeof bytes === "number") return err(bytes);
    k.consoleWrite(bytes);
    return ok(bytes.length);
  }],
  [SYS.READ, (k, t, a) => {
    const fd = i32(a[0]);
    if (fd >= 3) return fileRead(k, t, a);
    if (fd !== 0) return err(CONSOLE_FDS.has(fd) ? E.PERMISSION : E.INVALID_HANDLE);
    const len = n(a[2]);
    if (len < 0) return err(E.INVALID_ARG);
    if (len === 0) return ok(0);
    const input = k.console.input;
    if (input.length === 0) return k.blockOn(t, { kind: "console" });
    const bytes = Uint8Array.from(input.slice(0, len));
    const r = copyOut(t.process.as, n(a[1]), bytes);
    if (r < 0) return err(r);
    input.splice(0, bytes.length);
    return ok(bytes.length);
  }],

  // --- process --------------------------------------------------------------------------------
  [SYS.GETPID, (_k, t) => ok(t.process.pid)],
  [SYS.GETPPID, (_k, t) => ok(t.process.parent?.pid ?? 0)],
  [SYS.GETPGID, (k, t, a) => withProcess(k, t, a[0], (p) => ok(p.pgid))],
  [SYS.GETSID, (k, t, a) => withProcess(k, t, a[0], (p) => ok(p.sid))],
  [SYS.SETSID, (_k, t) => {
    const p = t.process;
    if (p.pgid === p.pid) return err(E.PERMISSION); // a group leader cannot start a session
    p.sid = p.pid;
    p.pgid = p.pid;
    return ok(p.sid);
  }],
  [SYS.SETPGID, (k, t, a) => withProcess(k, t, a[0], (p) => {
    const pg = Number(a[1]) || p.pid;
    p.pgid = pg;
    return ok();
  })],
  [SYS.GET_ARGS, (_k, t, a) => {
    const text = new TextEncoder().encode(t.process.args);
    const len = n(a[1]);
    if (a[0] !== 0n && len > 0) {
      const out = new Uint8Array(Math.min(len, text.length + 1));
      out.set(text.subarray(0, out.length - 1));
      const r = copyOut(t.process.as, n(a[0]), out);
      if (r < 0) return err(r);
    }
    return ok(text.length);
  }],

  // --- memory -----------------------------------------------------------------------------------
  [SYS.MMAP, (_k, t, a) => {
    const flags = Number(a[3] & 0xffffffffn);
    if ((flags & 0x20) === 0 || i32(a[4]) !== -1) return err(E.NOT_SUPPORTED); // anonymous only, for now
    const r = t.process.as.mmap(n(a[1]), Number(a[2] & 7n));
    return r < 0 ? err(r) : ok(r);
  }],
  [SYS.MUNMAP, (_k, t, a) => {
    const r = t.process.as.munmap(n(a[0]), n(a[1]));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.MPROTECT, (_k, t, a) => {
    const r = t.process.as.mprotect(n(a[0]), n(a[1]), Number(a[2] & 7n));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.MEM_INFO, (k) => {
    const s = k.pmm.stats();
    return ok(s.totalPages * 4096, s.freePages * 4096, (s.totalPages - s.freePages) * 4096);
  }],

  // --- system and debug ---------------------------------------------------------------------
  [SYS.GETRANDOM, (k, t, a) => {
    const len = Math.min(n(a[1]), 256);
    if (len < 0) return err(E.INVALID_ARG);
    const bytes = k.random(len);
    const r = copyOut(t.process.as, n(a[0]), bytes);
    return r < 0 ? err(r) : ok(len);
  }],
  [SYS.CPU_COUNT, (k) => ok(k.machine.cpus.length)],
  [SYS.DEBUG_PRINT, (k, t, a) => {
    const s = copyInString(t.process.as, n(a[0]), 4096);
    if (typeof s === "number") return err(s);
    k.consoleWrite(new TextEncoder().encode(s));
    return ok();
  }],
  [SYS.PUTCHAR, (k, _t, a) => (k.consoleWrite(Uint8Array.of(Number(a[0] & 0xffn))), ok())],
  [SYS.GETCHAR, (k, t) => {
    const input = k.console.input;
    if (input.length === 0) return k.blockOn(t, { kind: "console" });
    return ok(input.shift()!);
  }],
  [SYS.UPTIME, (k) => ok(Math.floor(k.machine.now() / 1e6))],
  [SYS.TASK_LIST, (k, t, a) => {
    const tasks = k.allTasks();
    if (a[0] === 0n) return ok(tasks.length);
    const take = tasks.slice(0, Math.max(0, Number(a[1] & 0xffffffffn)));
    const out = new Uint8Array(take.length * TASK_INFO_SIZE);
    const dv = new DataView(out.buffer);
    take.forEach((task, i) => encodeTaskInfo(k, task, dv, i * TASK_INFO_SIZE, out));
    const r = copyOut(t.process.as, n(a[0]), out);
    return r < 0 ? err(r) : ok(take.length);
  }],
  [SYS.UNAME, (_k, t, a) => {
    const fields = ["ViperDOS", "viperdos-lab", KERNEL_RELEASE, "ViperDOS Lab TypeScript kernel", "aarch64"];
    const out = new Uint8Array(5 * 65);
    fields.forEach((f, i) => out.set(new TextEncoder().encode(f).subarray(0, 64), i * 65));
    const r = copyOut(t.process.as, n(a[0]), out);
    return r < 0 ? err(r) : ok();
  }],
];

/**
 * struct vd_task_info (72 bytes), as TASK_LIST writes it:
 *   u32 tid; u32 pid; u32 state (0 ready, 1 running, 2 blocked, 3 exited);
 *   i32 cpu (running on, or last ran on; -1 never); u32 priority; u32 affinity;
 *   u64 runtime_ns; u64 switches; char name[32] (NUL-padded).
 */
export const TASK_INFO_SIZE = 72;
const TASK_STATES = { ready: 0, running: 1, blocked: 2, exited: 3 } as const;
const KERNEL_RELEASE = "0.1";

function encodeTaskInfo(k: Kernel, task: Task, dv: DataView, at: number, out: Uint8Array): void {
  const info = k.sched.info(task.tid);
  const s = typeof info === "number" ? undefined : info;
  dv.setUint32(at, task.tid, true);
  dv.setUint32(at + 4, task.process.pid, true);
  dv.setUint32(at + 8, TASK_STATES[task.state], true);
  dv.setInt32(at + 12, task.cpu >= 0 ? task.cpu : (s?.lastCpu ?? -1), true);
  dv.setUint32(at + 16, s?.priority ?? 0, true);
  dv.setUint32(at + 20, s?.affinity ?? 0, true);
  dv.setBigUint64(at + 24, BigInt(Math.floor(s?.runtimeNs ?? 0)), true);
  dv.setBigUint64(at + 32, BigInt(s?.switches ?? 0), true);
  out.set(new TextEncoder().encode(task.process.name).subarray(0, 31), at + 40);
}

/** Every handler, by syscall number (a later table may not redefine a number). */
const HANDLERS = new Map<number, Handler>();
for (const table of [CORE_HANDLERS, IPC_HANDLERS, THREAD_HANDLERS, FS_HANDLERS, NET_HANDLERS, DEVICE_LIST_HANDLERS, TASK_EXTRA_HANDLERS, DEVICE_HANDLERS]) {
  for (const [num, h] of table) {
    if (HANDLERS.has(num)) throw new Error(`syscall dispatch: 0x${num.toString(16)} handled twice`);
    HANDLERS.set(num, h);
  }
}

/** Run `f` on process `pidArg` (0 = the caller). */
function withProcess(k: Kernel, t: Task, pidArg: bigint, f: (p: NonNullable<ReturnType<Kernel["process"]>>) => Outcome): Outcome {
  const pid = Number(pidArg);
  const p = pid === 0 ? t.process : k.process(pid);
  return p ? f(p) : err(E.TASK_NOT_FOUND);
}

/** WAIT/WAITPID: reap an exited child (pid -1: any), or block until one exits. */
function waitChild(k: Kernel, t: Task, pid: number, statusPtr: bigint, options: number): Outcome {
  const me = t.process;
  const candidates = [...me.children].filter((c) => pid === -1 || c.pid === pid);
  if (candidates.length === 0) return err(E.TASK_NOT_FOUND);
  const done = candidates.find((c) => c.state === "zombie");
  if (!done) {
    if (options & WNOHANG) return ok(0);
    return k.blockOn(t, { kind: "child", pid });
  }
  if (statusPtr !== 0n) {
    const r = writeU32(me.as, n(statusPtr), done.exitCode >>> 0);
    if (r < 0) return err(r);
  }
  k.reap(done);
  return ok(done.pid);
}

/** Dispatch the syscall of task `t` (registers already in the CPU). */
export function dispatchSyscall(k: Kernel, t: Task, num: number, args: readonly bigint[]): Outcome {
  const h = HANDLERS.get(num);
  if (!h) return err(E.NOT_SUPPORTED); // unknown, or known but not implemented here: -7 either way
  return h(k, t, args);
}

/** Numbers of the syscalls this kernel implements (for tests and the inspection API). */
export function implementedSyscalls(): number[] {
  return [...HANDLERS.keys()].sort((a, b) => a - b);
}
