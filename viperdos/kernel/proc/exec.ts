// Program images for TASK_SPAWN_SHM and exec (REPLACE): reading an ELF out
// of a shared memory object's frames, finding a program by path, and
// replacing a process's image in place.
//
// What REPLACE keeps and what it drops (our rules, POSIX exec where the spec
// is silent):
//   kept      pid, parent, children, process group and session, the calling
//             task (same tid; its registers start afresh), the listed
//             capability handles (same handle values), the bounding set and
//             resource limits, file descriptors (fd I/O 0x40 calls), pending
//             signals and the signal mask, signal dispositions set to ignore
//   dropped   every other handle (closed), the old address space (its
//             frames, shared memory and device mappings, DMA buffers, IRQ
//             registrations), the process's other threads (ended), signal
//             handlers (back to the default action)
// Everything that can fail (lookups, the ELF checks, the new address space)
// is done before the first change, so an error leaves the caller intact.

import { AddressSpace, asidAllocatorFor } from "../mm/vm.js";
import { loadElf } from "../mm/elf.js";
import { PAGE } from "../mm/layout.js";
import { E } from "../errors.js";
import { findProgram } from "../fs/vfs.js";
import { SGI_RESCHEDULE, type Kernel } from "../kernel.js";
import { TraceKind } from "../inspect/trace.js";
import type { ShmObject } from "../ipc/shm.js";
import type { PhysicalBus } from "../../../emulator/bus.js";
import type { Process, Task } from "./process.js";
import { SIG_IGN } from "./signals.js";
import { releaseProcessDevices } from "../drivers/user-device.js";

/** At most this many handles may be listed to survive REPLACE (a handle table has 256 slots). */
export const MAX_REPLACE_KEEP = 256;

/**
 * The bytes [offset, offset + length) of `shm`, gathered from its physical
 * frames in guest RAM (a copy: later writes to the object do not change a
 * program already started). Returns the bytes or -2 when the range is empty
 * or not inside the object.
 */
export function readShmImage(bus: PhysicalBus, shm: ShmObject, offset: number, length: number): Uint8Array | number {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0) return E.INVALID_ARG;
  if (offset + length > shm.size) return E.INVALID_ARG;
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const at = offset + done;
    const frame = shm.frames[Math.floor(at / PAGE)];
    const inPage = at % PAGE;
    const take = Math.min(PAGE - inPage, length - done);
    out.set(bus.readBytes(frame + inPage, take), done);
    done += take;
  }
  return out;
}

/**
 * The ELF image a path names, searched as TASK_SPAWN does: the mounted file
 * system (path, C:name, C:name.prg) relative to `p`, then the boot image
 * (path, its base name, with .prg/.elf/.sys). Undefined when not found.
 */
export function findProgramImage(k: Kernel, p: Process, path: string): Uint8Array | undefined {
  const fromDisk = findProgram(k.vfs, p, path);
  if (fromDisk) return fromDisk;
  const base = path.replace(/^[A-Za-z0-9]+:/, "").replace(/^.*\//, "");
  for (const key of [path, base, `${base}.prg`, `${base}.elf`, `${base}.sys`]) {
    const image = k.bootfs.get(key);
    if (image) return image;
  }
  return undefined;
}

/**
 * REPLACE: load `image` into a fresh address space and make it `t`'s
 * process's image (see the header for what survives). Precondition: `t` is
 * running on its CPU (it is in a syscall). Returns 0 when replaced (t now
 * starts at the new entry point; the syscall must not write results), or,
 * with nothing changed: -100/-101 when a listed handle is not open, -2 for
 * a malformed ELF (reason logged), -3 out of memory.
 */
export function replaceImage(k: Kernel, t: Task, image: Uint8Array, name: string, args: string, keep: readonly number[]): number {
  const p = t.process;
  for (const h of keep) {
    const e = p.handles.query(h);
    if (typeof e === "number") return e;
  }
  const as = AddressSpace.create(k.pmm, k.machine.cpus.map((c) => c.mmu), asidAllocatorFor(k.pmm));
  if (typeof as === "number") return as;
  const img = loadElf(as, image, name);
  if (!img.ok) {
    as.destroy();
    k.log(`replace ${name}: ${img.reason}`);
    return img.error;
  }
  const sp = as.mapStack();
  if (sp < 0) {
    as.destroy();
    return sp;
  }
  // Point of no return.
  endSiblings(k, t);
  const kept = new Set(keep);
  for (const item of p.handles.list()) if (!kept.has(item.handle)) p.handles.close(item.handle);
  releaseProcessDevices(k, p);
  for (const shm of p.shmMappings.values()) shm.detachMapping();
  p.shmMappings.clear();
  for (const [sig, act] of [...p.sigActions]) if (act.handler !== SIG_IGN) p.sigActions.delete(sig);
  t.sigFrames = [];
  t.sigPending = 0;
  t.deadlineNs = undefined;
  t.cancelWait?.();
  t.cancelWait = undefined;
  const old = p.as;
  p.as = as;
  p.name = name;
  p.args = args;
  const mc = k.machine.cpus[t.cpu];
  const ctx = t.ctx;
  ctx.x.fill(0n);
  ctx.v.fill(0);
  ctx.nzcv = 0;
  ctx.fpcr = 0;
  ctx.fpsr = 0;
  ctx.tpidr = 0n;
  ctx.pc = img.entry;
  ctx.x[31] = BigInt(sp);
  ctx.restore(mc.state);
  as.activate(mc.state, mc.mmu);
  old.destroy();
  k.trace.record(k.machine.now(), t.cpu, TraceKind.Spawn, t.tid, p.pid);
  return E.OK;
}

/** End every task of `t`'s process but `t` (exec keeps only the caller); CPUs running them re-pick. */
function endSiblings(k: Kernel, t: Task): void {
  for (const s of [...t.process.tasks]) {
    if (s === t || s.state === "exited") continue;
    const cpu = s.cpu;
    k.exitTask(s, 0);
    if (cpu >= 0 && cpu !== t.cpu) k.gic.sendSgi(t.cpu, SGI_RESCHEDULE, 1 << cpu);
  }
  t.process.tasks.splice(0, t.process.tasks.length, t);
}
