// Task calls beyond the core set in dispatch.ts: scheduling classes from
// user space (SCHED_SETPARAM 0xE5 / SCHED_GETPARAM 0xE7, ours), spawning from
// an ELF image in a shared memory object (TASK_SPAWN_SHM 0xC) and exec
// (REPLACE 0xF). The work is in sched/params.ts and proc/exec.ts; these
// handlers read the arguments, check rights, and map the errors.
//
// Who may change a task's scheduling parameters: the task's own process, or
// any ancestor process of it (a parent tunes the children it started, as a
// shell's `nice`/`chrt` would). Anyone may read them. Any other task: -6.

import { E } from "../errors.js";
import { SYS } from "./table.js";
import { copyIn, copyInString, copyOut } from "../mm/uaccess.js";
import type { Kernel } from "../kernel.js";
import type { Process, Task } from "../proc/process.js";
import { err, GONE, n, ok, u32, type HandlerTable, type Outcome } from "./abi.js";
import { decodeSchedParam, encodeSchedParam, SCHED_PARAM_SIZE } from "../sched/params.js";
import { ShmObject } from "../ipc/shm.js";
import { Rights } from "../cap/rights.js";
import { findProgramImage, readShmImage, replaceImage, MAX_REPLACE_KEEP } from "../proc/exec.js";

/** The live task `tid` (0 = the caller), or undefined. */
function taskById(k: Kernel, caller: Task, tid: number): Task | undefined {
  if (tid === 0) return caller;
  return k.allTasks().find((t) => t.tid === tid);
}

/** True when `p` is `ancestor` or one of its descendants. */
function isSelfOrDescendant(p: Process, ancestor: Process): boolean {
  for (let q: Process | undefined = p; q; q = q.parent) if (q === ancestor) return true;
  return false;
}

/** SCHED_SETPARAM(task_id, param): -2 bad struct/pointer, -6 not ours, -8 admission refused, -201 no task. */
function schedSetParam(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const tid = u32(a[0]);
  const ptr = n(a[1]);
  const target = taskById(k, t, tid);
  if (!target || target.state === "exited") return err(E.TASK_NOT_FOUND);
  if (!isSelfOrDescendant(target.process, t.process)) return err(E.PERMISSION);
  const bytes = copyIn(t.process.as, ptr, SCHED_PARAM_SIZE);
  if (typeof bytes === "number") return err(bytes);
  const p = decodeSchedParam(bytes);
  if (typeof p === "number") return err(p);
  const r = k.sched.setPolicy(target.tid, p.policy, { priority: p.priority, deadline: p.deadline }, k.machine.now());
  if (r < 0) return err(r);
  k.afterSchedChange(t);
  return ok();
}

/** SCHED_GETPARAM(task_id, param): -2 bad pointer, -201 no task. */
function schedGetParam(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const target = taskById(k, t, u32(a[0]));
  const info = target ? k.sched.info(target.tid) : E.TASK_NOT_FOUND;
  if (typeof info === "number") return err(E.TASK_NOT_FOUND);
  const r = copyOut(t.process.as, n(a[1]), encodeSchedParam(info));
  return r < 0 ? err(r) : ok();
}

/**
 * TASK_SPAWN_SHM(shm, offset, length, name, args): the ELF is read from the
 * object's frames (READ right needed); results as TASK_SPAWN. Errors: handle
 * errors (-100/-101/-102, -6 without READ), -2 range outside the object or
 * a malformed ELF (every loader check applies), -3 out of memory.
 */
function taskSpawnShm(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const table = t.process.handles;
  const shm = table.getObject(u32(a[0]), ShmObject, Rights.READ);
  if (typeof shm === "number") return err(shm);
  const image = readShmImage(k.machine.bus, shm, n(a[1]), n(a[2]));
  if (typeof image === "number") return err(image);
  const name = a[3] === 0n ? "shm-image" : copyInString(t.process.as, n(a[3]), 64);
  if (typeof name === "number") return err(name);
  const args = a[4] === 0n ? "" : copyInString(t.process.as, n(a[4]), 4096);
  if (typeof args === "number") return err(args);
  const p = k.spawn(name, image, args, t.process);
  if (typeof p === "number") return err(p);
  return ok(p.pid, p.mainTask.tid, p.bootstrapPeer ?? 0xffff_ffff);
}

/**
 * REPLACE(path, keep, keep_count, args): exec. On success the call does not
 * return (the new image starts); on error the caller continues with the
 * code: -2 bad pointer/count or malformed ELF, -4 no such program, -100/-101
 * a listed handle is not open, -3 out of memory.
 */
function replace(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const as = t.process.as;
  const path = copyInString(as, n(a[0]), 256);
  if (typeof path === "number") return err(path);
  const count = u32(a[2]);
  if (count > MAX_REPLACE_KEEP) return err(E.INVALID_ARG);
  const keep: number[] = [];
  if (count > 0) {
    const raw = copyIn(as, n(a[1]), 4 * count);
    if (typeof raw === "number") return err(raw);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
    for (let i = 0; i < count; i++) keep.push(dv.getUint32(4 * i, true));
  }
  const args = a[3] === 0n ? "" : copyInString(as, n(a[3]), 4096);
  if (typeof args === "number") return err(args);
  const image = findProgramImage(k, t.process, path);
  if (!image) return err(E.NOT_FOUND);
  const r = replaceImage(k, t, image, path.replace(/^.*[/:]/, ""), args, keep);
  return r < 0 ? err(r) : GONE;
}

export const TASK_EXTRA_HANDLERS: HandlerTable = [
  [SYS.SCHED_SETPARAM, schedSetParam],
  [SYS.SCHED_GETPARAM, schedGetParam],
  [SYS.TASK_SPAWN_SHM, taskSpawnShm],
  [SYS.REPLACE, replace],
];
