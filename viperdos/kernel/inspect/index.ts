// The kernel's inspection API: plain, JSON-serialisable snapshots of what a
// notebook shows. Widgets are pure functions of these objects; nothing here
// hands out live kernel objects, and taking a snapshot changes nothing.
//
//   inspectKernel(k)          everything small: machine, memory, scheduler,
//                             processes (without page tables), trace summary
//   inspectPageTables(k, pid) one process's page tables walked from TTBR0 in
//                             guest RAM, with VMAs and counters
//   inspectHandles(k, pid)    one process's capability table with derivation edges
//   inspectTrace(k, limit)    the last `limit` trace events and the running hash
//   walkAddress(k, pid, va)   the MMU's own walk of one address (fault reports)
//   inspectUserDevices(k)     devices claimed by user-space drivers: mappings,
//                             IRQ lines (masked/pending/waiters), DMA buffers
//
// Addresses and 64-bit values are hex strings ("0x..."); times are virtual ns
// unless a field says otherwise.

import type { Kernel } from "../kernel.js";
import type { Process } from "../proc/process.js";
import { slabSnapshot } from "../mm/slab.js";
import { snapshot as signalSnapshot } from "../proc/signals.js";
import { userDevicesSnapshot } from "../drivers/user-device.js";

export interface ProcessSummary {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  name: string;
  state: string;
  exitCode: number;
  endReason: string;
  args: string;
  tasks: { tid: number; state: string; cpu: number; wait: string | null; syscalls: number; faults: number; pc: string }[];
  memory: { asid: number; residentPages: number; brk: string; vmas: number };
  handles: number;
  signals: ReturnType<typeof signalSnapshot> | null;
}

function summarize(k: Kernel, p: Process): ProcessSummary {
  const live = p.state === "live";
  const snap = live ? p.as.snapshot() : undefined;
  return {
    pid: p.pid,
    ppid: p.parent?.pid ?? 0,
    pgid: p.pgid,
    sid: p.sid,
    name: p.name,
    state: p.state,
    exitCode: p.exitCode,
    endReason: p.endReason,
    args: p.args,
    tasks: p.tasks.map((t) => ({
      tid: t.tid,
      state: t.state,
      cpu: t.cpu,
      wait: t.wait ? t.wait.kind : null,
      syscalls: t.syscalls,
      faults: t.faults,
      pc: "0x" + (t.cpu >= 0 ? k.machine.cpus[t.cpu].state.pc : t.ctx.pc).toString(16),
    })),
    memory: { asid: p.as.asid, residentPages: snap?.residentPages ?? 0, brk: snap?.brk ?? "0x0", vmas: snap?.vmas.length ?? 0 },
    handles: live ? p.handles.list().length : 0,
    signals: live ? signalSnapshot(p) : null,
  };
}

/** The whole kernel at a glance (small enough to take often). */
export function inspectKernel(k: Kernel) {
  const m = k.machine;
  return {
    clock: { virtualNs: m.now() },
    machine: { cpus: m.cpus.length, ramBytes: m.bus.ramSize, counters: m.counters() },
    cpus: m.cpus.map((c, i) => ({
      cpu: i,
      current: k.current[i]?.tid ?? null,
      idle: m.isIdle(i),
      ticks: k.percpu[i].ticks,
      irqs: k.percpu[i].irqs,
      retired: c.state.retired,
      tlb: { ...c.mmu.stats },
    })),
    memory: { pmm: k.pmm.snapshot(), slabs: slabSnapshot(k.pmm).caches },
    scheduler: k.sched.snapshot(),
    processes: k.processes().map((p) => summarize(k, p)),
    devices: k.devices,
    translator: { ...m.translator.stats },
    trace: { hash: k.trace.hash(), total: k.trace.total, enabled: k.trace.enabled },
    cost: { ...k.cost },
  };
}

export type KernelSnapshot = ReturnType<typeof inspectKernel>;

/** Page tables of process `pid` (walked in guest RAM), or undefined when it has none. */
export function inspectPageTables(k: Kernel, pid: number) {
  const p = k.process(pid);
  if (!p || p.state !== "live") return undefined;
  return { pid, name: p.name, ...p.as.snapshot() };
}

/** Capability table of process `pid` with derivation edges. */
export function inspectHandles(k: Kernel, pid: number) {
  const p = k.process(pid);
  if (!p || p.state !== "live") return undefined;
  return { pid, name: p.name, ...p.handles.snapshot() };
}

/** The last `limit` trace events and the running hash over all events. */
export function inspectTrace(k: Kernel, limit = 1000) {
  return { hash: k.trace.hash(), total: k.trace.total, events: k.trace.events(limit) };
}

/** The MMU's walk of `va` in process `pid`'s tables. */
export function walkAddress(k: Kernel, pid: number, va: number) {
  const p = k.process(pid);
  if (!p || p.state !== "live") return undefined;
  return p.as.walkVa(va);
}

/** Devices driven from user space (MAP_DEVICE, IRQ_*, DMA_*), by owning process. */
export function inspectUserDevices(k: Kernel) {
  return userDevicesSnapshot(k);
}
