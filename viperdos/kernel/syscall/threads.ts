// Syscall handlers for threads (THREAD_* 0xB0-0xB4, proc/threads.ts) and
// signals (SIG* and KILL 0x90-0x94, proc/signals.ts). The ABI of each call,
// its errors and our extensions are in those modules' headers.
import { SYS } from "./table.js";
import { err, i32, i64, n, ok, u32, type HandlerTable } from "./abi.js";
import { createThread, detachThread, exitThread, joinThread } from "../proc/threads.js";
import { kill, sigaction, sigpending, sigprocmask, sigreturn } from "../proc/signals.js";

export const THREAD_HANDLERS: HandlerTable = [
  // --- threads ----------------------------------------------------------------------------
  [SYS.THREAD_CREATE, (k, t, a) => {
    const r = createThread(k, t, a[0], a[1], a[2], a[3]);
    return typeof r === "number" ? err(r) : ok(r.tid);
  }],
  [SYS.THREAD_EXIT, (k, t, a) => exitThread(k, t, a[0])],
  [SYS.THREAD_JOIN, (k, t, a) => joinThread(k, t, u32(a[0]))],
  [SYS.THREAD_DETACH, (_k, t, a) => detachThread(t, u32(a[0]))],
  [SYS.THREAD_SELF, (_k, t) => ok(t.tid)],

  // --- signals ----------------------------------------------------------------------------
  [SYS.SIGACTION, (_k, t, a) => sigaction(t, i32(a[0]), n(a[1]), n(a[2]))],
  [SYS.SIGPROCMASK, (_k, t, a) => sigprocmask(t, i32(a[0]), n(a[1]), n(a[2]))],
  [SYS.SIGRETURN, (k, t) => sigreturn(k, t)],
  [SYS.KILL, (k, t, a) => kill(k, t, i64(a[0]), i32(a[1]))],
  [SYS.SIGPENDING, (_k, t, a) => sigpending(t, n(a[0]))],
];
