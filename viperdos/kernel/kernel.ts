// The Kernel object: owns the machine and every kernel subsystem, boots it
// (drivers, boot log) and runs it by handling each CPU's exits from EL0
// (machine.run hooks). See DESIGN.md for the parts and their contracts.

import { Machine } from "../../emulator/machine.js";
import { ExitKind } from "../../emulator/cpu/state.js";
import { RAM_BASE } from "../../emulator/bus.js";
import { defaultCostModel, type CostModel } from "./arch/cost.js";
import { GicDriver, INTID_SPURIOUS } from "./arch/gic.js";
import { INTID_UART, UartConsole } from "./console/uart.js";
import { probeVirtio, type VirtioDeviceInfo } from "./drivers/virtio-probe.js";
import { SYSCALL_TRACE_BLOCKED, SYSCALL_TRACE_GONE, Trace, TraceKind } from "./inspect/trace.js";
import { Pmm } from "./mm/pmm.js";
import { AddressSpace, asidAllocatorFor } from "./mm/vm.js";
import { loadElf } from "./mm/elf.js";
import { HandleTable } from "./cap/handles.js";
import { Scheduler } from "./sched/index.js";
import { faultName } from "../../emulator/mmu/descriptors.js";
import { E } from "./errors.js";
import { Process, Task, type WaitReason } from "./proc/process.js";
import { BLOCK, dispatchSyscall, type Outcome, type Result } from "./syscall/dispatch.js";
import { deliverSignals, faultToSignal, inheritSignals, sendSignal, SIG } from "./proc/signals.js";
import { IdSource, type Watcher } from "./cap/objects.js";
import { TimerService } from "./ipc/timer.js";
import type { ConsoleSource } from "./ipc/poll.js";
import type { FrameAllocator } from "./ipc/shm.js";
import { channelCreate } from "./ipc/channel.js";
import { GuestMessageStore } from "./ipc/msgbuf.js";
import { moveHandle } from "./cap/handles.js";
import type { EventHandle } from "../../emulator/clock.js";
import { VirtioBlk } from "../../emulator/devices/virtio-blk.js";
import { VirtioBlkDriver } from "./drivers/virtio-blk.js";
import { BlockCache } from "./fs/blockcache.js";
import { findProgram, Vfs } from "./fs/vfs.js";
import type { VirtioNet } from "../../emulator/devices/virtio-net.js";
import { attachNic, startNetwork, type KernelNet, type NicConfig } from "./net/attach.js";
import { forkDevices, releaseProcessDevices } from "./drivers/user-device.js";

export const KERNEL_VERSION = "0.1";
/** Scheduler tick: 1 kHz (VIPERDOS.md). */
export const TICK_HZ = 1000;
/** EL1 physical timer PPI. */
export const INTID_PHYS_TIMER = 30;
/** The 62.5 MHz counter ticks per scheduler tick. */
const COUNTER_HZ = 62_500_000;
const TICKS_PER_SCHED_TICK = BigInt(COUNTER_HZ / TICK_HZ);

export interface KernelOptions {
  /** 1..4 CPUs (default 4). */
  cpus?: number;
  /** RAM in MiB (default 128). */
  ramMiB?: number;
  /** Seed of every random device (default 1). */
  seed?: number;
  /** RTC reading at virtual time 0, seconds since 1970 (default: a fixed date, for determinism). */
  rtcEpochSeconds?: number;
  /** Serial console output. */
  onConsole?: (bytes: Uint8Array) => void;
  /**
   * Disk images (bytes or a host file path) attached as virtio-blk devices
   * before boot; the kernel mounts `sys` at SYS:/D0: and `user` at D1: with
   * C: S: L: T: CERTS: (fs/vfs.ts). The images themselves are never modified
   * (the device keeps a copy-on-write overlay: `kernel.disks.sys.currentImage()`).
   */
  disks?: { sys?: Uint8Array | string; user?: Uint8Array | string };
  /** Attach a virtio-net NIC (MAC default 52:54:00:12:34:56); plug it into a wire with `kernel.nic.connect` or emulator/net/gateway.ts. */
  nic?: boolean | NicConfig;
}

/** SGI used to ask another CPU to reschedule. */
export const SGI_RESCHEDULE = 0;
/** Pages reserved for the kernel at the bottom of RAM (none of its data lives there yet; kept for the boot image). */
const KERNEL_RESERVED_BYTES = 1 << 20;

/** A fixed default RTC epoch (2026-01-01T00:00:00Z) keeps runs reproducible. */
export const DEFAULT_RTC_EPOCH = 1_767_225_600;

export interface PerCpu {
  /** Scheduler ticks taken on this CPU. */
  ticks: number;
  /** Interrupts taken on this CPU. */
  irqs: number;
}

/**
 * X`i` = `v` modulo 2^64. A number (an integer of magnitude < 2^53) is
 * written as two 32-bit words, two's complement, with no BigInt; a bigint
 * through the BigUint64Array store (which wraps modulo 2^64 itself).
 */
function setReg(x: BigUint64Array, x32: Uint32Array, i: number, v: number | bigint): void {
  if (typeof v === "bigint") {
    x[i] = v;
    return;
  }
  if (!Number.isSafeInteger(v)) {
    x[i] = BigInt(v); // as before: a non-integer result is a kernel bug and throws here
    return;
  }
  x32[2 * i] = v % 4294967296 >>> 0;
  x32[2 * i + 1] = Math.floor(v / 4294967296) >>> 0;
}

export class Kernel {
  readonly machine: Machine;
  readonly gic: GicDriver;
  readonly console: UartConsole;
  readonly trace = new Trace();
  readonly cost: CostModel = defaultCostModel();
  readonly percpu: PerCpu[];
  readonly pmm: Pmm;
  readonly sched: Scheduler;
  devices: VirtioDeviceInfo[] = [];
  booted = false;
  /** Programs available to TASK_SPAWN until the file system exists (the boot image). */
  readonly bootfs = new Map<string, Uint8Array>();
  /** Task running on each CPU (undefined: idle). */
  readonly current: (Task | undefined)[];
  /** Set when a CPU must pick a task after the exit being handled. */
  private readonly needResched: boolean[];
  private readonly procs = new Map<number, Process>();
  private readonly tasks = new Map<number, Task>();
  private nextPid = 1;
  private nextTid = 1;
  /** Kernel object ids: one source per kernel, so ids (and snapshots naming them) repeat run to run. */
  readonly ids = new IdSource();
  /** Timer objects' alarms, driven by one machine clock event. */
  readonly timers: TimerService;
  /** The console as a pollable source (CONSOLE event while input is pending). */
  readonly consoleSource: ConsoleSource;
  /** Frames for shared memory objects, from the PMM with reference counts. */
  readonly frameAllocator: FrameAllocator;
  /** Channel message payloads, in slab objects in guest RAM. */
  readonly messages: GuestMessageStore;
  private readonly consoleWatchers = new Set<Watcher>();
  private timerEvent: EventHandle | undefined = undefined;
  /** Called when a process ends (after it became a zombie). */
  onProcessExit: ((p: Process) => void) | undefined = undefined;
  /** Mounted volumes, assigns, descriptors (fs/vfs.ts). */
  readonly vfs: Vfs;
  /** The disk device models attached from opts.disks (host side: images, write logs). */
  readonly disks: { sys?: VirtioBlk; user?: VirtioBlk } = {};
  /** Block drivers started at boot, by role. */
  readonly blockDrivers: { sys?: VirtioBlkDriver; user?: VirtioBlkDriver } = {};
  /** Device interrupt handlers by INTID (drivers register at boot). */
  readonly irqHandlers = new Map<number, () => void>();
  private readonly diskSlots: { sys?: number; user?: number } = {};
  /** The NIC device model from opts.nic (host side: plug it into a Link). */
  nic: VirtioNet | undefined;
  /** The network (driver + NetStack) started at boot when a NIC is present. */
  net: KernelNet | undefined;

  constructor(readonly opts: KernelOptions = {}) {
    this.machine = new Machine({
      cpus: opts.cpus ?? 4,
      ramMiB: opts.ramMiB ?? 128,
      seed: opts.seed ?? 1,
      rtcEpochSeconds: opts.rtcEpochSeconds ?? DEFAULT_RTC_EPOCH,
      onUartByte: opts.onConsole ? (b: number) => opts.onConsole!(Uint8Array.of(b)) : undefined,
    });
    this.gic = new GicDriver(this.machine);
    this.console = new UartConsole(this.machine);
    this.percpu = this.machine.cpus.map(() => ({ ticks: 0, irqs: 0 }));
    this.pmm = new Pmm(this.machine.bus);
    this.pmm.reserve(RAM_BASE, KERNEL_RESERVED_BYTES);
    this.sched = new Scheduler(this.machine.cpus.length);
    this.current = this.machine.cpus.map(() => undefined);
    this.needResched = this.machine.cpus.map(() => false);
    this.regWords = this.machine.cpus.map((mc) => new Uint32Array(mc.state.x.buffer, mc.state.x.byteOffset, mc.state.x.length * 2));
    this.timers = new TimerService({
      now: () => this.machine.now(),
      setAlarm: (deadline) => {
        this.machine.clock.cancel(this.timerEvent);
        this.timerEvent = deadline === null ? undefined : this.machine.clock.schedule(deadline, () => this.timers.expire());
      },
    });
    this.consoleSource = {
      readyEvents: () => (this.console.input.length > 0 ? 0x8 : 0),
      watch: (w) => {
        this.consoleWatchers.add(w);
        return () => this.consoleWatchers.delete(w);
      },
    };
    const pmm = this.pmm;
    this.messages = new GuestMessageStore(pmm);
    this.frameAllocator = { alloc: () => pmm.alloc(), ref: (pa) => pmm.ref(pa), unref: (pa) => void pmm.unref(pa) };
    this.vfs = new Vfs(this.ids);
    for (const role of ["sys", "user"] as const) {
      const image = opts.disks?.[role];
      if (image === undefined) continue;
      const dev = new VirtioBlk({ image, serial: `viperdos-${role}` });
      this.disks[role] = dev;
      this.diskSlots[role] = this.machine.attachVirtio(dev);
    }
    if (opts.nic) this.attachNet(typeof opts.nic === "object" ? opts.nic : {});
  }

  /** Attach a virtio-net NIC before boot (addresses for the stack in `cfg`); returns the device to plug into a wire. */
  attachNet(cfg: NicConfig = {}): VirtioNet {
    if (this.booted) throw new Error("Kernel.attachNet: attach the NIC before boot");
    this.nic = attachNic(this, cfg);
    return this.nic;
  }

  /** Start the block drivers of the attached disks and mount their volumes (boot). */
  private mountDisks(): void {
    for (const role of ["sys", "user"] as const) {
      const info = this.devices.find((d) => d.slot === this.diskSlots[role]);
      if (!info) continue;
      const drv = VirtioBlkDriver.init(this.machine, this.pmm, info);
      if (typeof drv === "string") {
        this.log(drv);
        continue;
      }
      this.blockDrivers[role] = drv;
      this.irqHandlers.set(drv.intid, () => drv.onInterrupt());
      this.gic.enable(drv.intid, 0);
      const name = role === "sys" ? "SYS" : "D1";
      const m = this.vfs.mount(name, new BlockCache(drv));
      if (typeof m === "number") {
        this.log(`virtio-blk: slot ${info.slot}: ${drv.blockCount} blocks, no ViperFS volume mounted (error ${m}): ${this.vfs.mountProblems.get(name) ?? "unknown reason"}`);
        continue;
      }
      const assigns = [...this.vfs.assigns].filter(([, l]) => l.mount === m).map(([a]) => `${a}:`).join(" ");
      this.log(`virtio-blk: slot ${info.slot}: ${drv.blockCount} blocks, ViperFS "${m.vol.sb.label}" mounted as ${assigns}`);
    }
  }

  /** Kernel log line on the serial console, stamped with virtual time like dmesg. */
  log(msg: string): void {
    const t = this.machine.now() / 1e9;
    this.console.write(`[${t.toFixed(6).padStart(12)}] ${msg}\n`);
  }

  /** Bring up drivers and every CPU's tick, printing the boot log. */
  boot(): void {
    if (this.booted) throw new Error("Kernel.boot: already booted");
    const m = this.machine;
    this.console.init();
    this.console.write(`\nViperDOS ${KERNEL_VERSION} (ViperDOS Lab, TypeScript kernel on an emulated AArch64 virt machine)\n`);
    this.gic.init();
    const ramBytes = m.bus.ramSize;
    this.log(`cpu: ${m.cpus.length} x AArch64 (Cortex-A72 class) at 1 GHz virtual, generic timer ${COUNTER_HZ / 1e6} MHz`);
    this.log(`mem: ${ramBytes / 2 ** 20} MiB RAM at 0x${RAM_BASE.toString(16)} (${ramBytes / 4096} pages of 4 KiB)`);
    this.log(`gic: GICv2 distributor 0x08000000, CPU interface 0x08010000, ${this.gic.lines} interrupt lines`);
    this.log(`uart: PL011 at 0x09000000 (INTID ${INTID_UART}), console`);
    this.log(`rtc: PL031 at 0x09010000: ${this.rtcDate().toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")}`);
    this.devices = probeVirtio(m);
    for (const d of this.devices) {
      this.log(`virtio-mmio: slot ${d.slot} at 0x${d.base.toString(16)} (INTID ${d.intid}): ${d.name}`);
    }
    this.mountDisks();
    this.net = startNetwork(this);
    this.gic.enable(INTID_UART, 0);
    for (let cpu = 0; cpu < m.cpus.length; cpu++) {
      this.gic.enable(INTID_PHYS_TIMER, cpu);
      // Without this the reschedule IPI stays pending but never signalled: a task woken for an idle CPU waited for its next tick.
      this.gic.enable(SGI_RESCHEDULE, cpu);
      this.armTick(cpu);
    }
    const ps = this.pmm.stats();
    this.log(`pmm: ${ps.freePages} of ${ps.totalPages} pages free (${ps.totalPages - ps.freePages} reserved)`);
    this.log(`sched: tick ${TICK_HZ} Hz on ${m.cpus.length} CPUs`);
    this.booted = true;
  }

  /** Wall-clock date the RTC reports now (seconds resolution). */
  rtcDate(): Date {
    const secs = this.machine.bus.read32(0x0901_0000);
    return new Date(secs * 1000);
  }

  /** Program CPU `cpu`'s physical timer for the next scheduler tick. */
  private armTick(cpu: number): void {
    const t = this.machine.cpus[cpu].timer.phys;
    const now = this.machine.counter(cpu);
    t.writeCval(now - (now % TICKS_PER_SCHED_TICK) + TICKS_PER_SCHED_TICK);
    t.writeCtl(1); // ENABLE, not masked
  }

  /**
   * Handle IRQs pending on `cpu`: acknowledge each at the GIC, dispatch it,
   * and signal end of interrupt. Returns the number handled.
   */
  handleIrqs(cpu: number): number {
    let n = 0;
    for (;;) {
      const { intid, raw } = this.gic.acknowledge(cpu);
      if (intid === INTID_SPURIOUS) break;
      n++;
      this.percpu[cpu].irqs++;
      this.trace.record(this.machine.now(), cpu, TraceKind.Irq, 0, intid);
      if (intid === INTID_PHYS_TIMER) {
        this.percpu[cpu].ticks++;
        this.armTick(cpu);
        this.machine.charge(cpu, this.cost.timerTick);
        const now = this.machine.now();
        for (const id of this.sched.expired(now)) this.wakeTask(this.tasks.get(id), cpu);
        if (this.sched.tick(cpu, now).preempt) this.needResched[cpu] = true;
      } else if (intid === INTID_UART) {
        if (this.console.onInterrupt() > 0) {
          this.wakeWaiters((w) => w.kind === "console", cpu);
          for (const w of [...this.consoleWatchers]) w();
        }
      } else if (intid === SGI_RESCHEDULE) {
        this.needResched[cpu] = true;
      } else {
        this.irqHandlers.get(intid)?.();
      }
      this.gic.endOfInterrupt(cpu, raw);
    }
    return n;
  }

  // --- Exceptions from EL0 ------------------------------------------------------------

  /** The machine's exit hook for CPU `cpu`: handle the exception, then reschedule if needed. */
  onExit(cpu: number, exit: ExitKind): void {
    this.machine.charge(cpu, this.cost.exceptionEntry);
    const t = this.current[cpu];
    const c = this.machine.cpus[cpu].state;
    switch (exit) {
      case ExitKind.Irq:
        this.handleIrqs(cpu);
        break;
      case ExitKind.Svc:
        if (t) this.handleSvc(cpu, t);
        break;
      case ExitKind.Abort:
        if (t) this.handleAbort(cpu, t);
        break;
      case ExitKind.Wfi:
        if (t) this.yieldTask(t);
        break;
      case ExitKind.None:
      case ExitKind.Budget:
        break;
      default:
        if (t) this.killForFault(t, exit);
    }
    if (c.hostError !== undefined && t) {
      const msg = c.hostError;
      c.hostError = undefined;
      this.killProcess(t.process, `internal emulator error at pc=0x${c.pc.toString(16)}: ${msg}`);
    }
    const cur = this.current[cpu];
    if (this.needResched[cpu] || cur === undefined || cur.state !== "running") this.schedule(cpu);
    // Signals are delivered as a task returns to EL0; a default action may end its process: pick again.
    for (let r = this.current[cpu]; r && deliverSignals(this, cpu, r) === "killed"; r = this.current[cpu]) this.schedule(cpu);
  }

  /**
   * One SVC: x8 = number, x0-x5 = arguments, results into x0-x3. One trace
   * event per syscall, recorded when the handler returns: a = number, b =
   * status, or SYSCALL_TRACE_BLOCKED / SYSCALL_TRACE_GONE (inspect/trace.ts).
   */
  private handleSvc(cpu: number, t: Task): void {
    const c = this.machine.cpus[cpu].state;
    const x = c.x;
    const x32 = this.regWords[cpu];
    const num = x32[16]; // W8: the low word of X8 (little-endian), read without a BigInt
    t.syscalls++;
    this.machine.charge(cpu, this.cost.syscall);
    // The arguments are the live register file (abi.ts: a handler reads a[0..5] before it changes
    // any register): a BigInt is made only for an argument a handler reads, not six per call.
    const out: Outcome = dispatchSyscall(this, t, num, x as unknown as readonly bigint[]);
    if (out === BLOCK) {
      c.pc -= 4; // re-execute the SVC when the task wakes
      this.trace.record(this.machine.now(), cpu, TraceKind.Syscall, t.tid, num, SYSCALL_TRACE_BLOCKED);
      return;
    }
    if (out === "gone") {
      this.trace.record(this.machine.now(), cpu, TraceKind.Syscall, t.tid, num, SYSCALL_TRACE_GONE);
      return;
    }
    this.setResult(c, x32, out);
    this.trace.record(this.machine.now(), cpu, TraceKind.Syscall, t.tid, num, out.s);
  }

  /** Per CPU, X0-X30 as 32-bit words (a view of CpuState.x): syscall number and number results without BigInts. */
  private readonly regWords: Uint32Array[];

  private setResult(c: { x: BigUint64Array }, x32: Uint32Array, r: Result): void {
    setReg(c.x, x32, 0, r.s);
    if (r.r1 !== undefined) setReg(c.x, x32, 1, r.r1);
    if (r.r2 !== undefined) setReg(c.x, x32, 2, r.r2);
    if (r.r3 !== undefined) setReg(c.x, x32, 3, r.r3);
  }

  private handleAbort(cpu: number, t: Task): void {
    const c = this.machine.cpus[cpu].state;
    const ec = c.esr >>> 26;
    const access = ec === 0x20 ? "exec" : (c.esr >>> 6) & 1 ? "write" : "read";
    const va = Number(c.far > BigInt(Number.MAX_SAFE_INTEGER) ? -1n : c.far);
    t.faults++;
    this.trace.record(this.machine.now(), cpu, TraceKind.PageFault, t.tid, Math.max(va, 0), access === "write" ? 1 : 0);
    if (va >= 0 && t.process.as.handleFault(va, access) === "handled") {
      this.machine.charge(cpu, this.cost.pageFault);
      return;
    }
    this.killForFault(t, ExitKind.Abort);
  }

  /** A fatal exception: kill the process with a report naming the fault and the failing walk. */
  private killForFault(t: Task, exit: ExitKind): void {
    if (faultToSignal(this, t, exit)) return; // the process handles the fault's signal (proc/signals.ts)
    const c = this.machine.cpus[t.cpu].state;
    const kinds: Partial<Record<ExitKind, string>> = {
      [ExitKind.Abort]: "segmentation fault",
      [ExitKind.Undefined]: "undefined instruction",
      [ExitKind.Brk]: "breakpoint",
      [ExitKind.Alignment]: "alignment fault",
      [ExitKind.SysRegTrap]: "trapped system register access",
    };
    let report = `${kinds[exit] ?? ExitKind[exit]} at pc=0x${c.pc.toString(16)}`;
    if (exit === ExitKind.Abort || exit === ExitKind.Alignment) {
      const va = Number(c.far & 0xffff_ffff_ffffn);
      report += `, addr=0x${c.far.toString(16)} (${faultName(c.esr & 0x3f)}, ${(c.esr >>> 26) === 0x20 ? "fetch" : (c.esr >>> 6) & 1 ? "write" : "read"})`;
      const w = t.process.as.walkVa(va);
      report += `; walk: ${w.steps.map((s) => `L${s.level}[${s.index}]=${s.descriptor}`).join(" ")}${w.ok ? "" : ` -> ${w.fault}`}`;
    } else {
      report += `, esr=0x${(c.esr >>> 0).toString(16)}`;
    }
    this.killProcess(t.process, report);
  }

  // --- Processes --------------------------------------------------------------------------

  /** The process with `pid`, if it exists (live or zombie). */
  process(pid: number): Process | undefined {
    return this.procs.get(pid);
  }

  /** Every live task, by id (TASK_LIST). */
  allTasks(): Task[] {
    return [...this.tasks.values()].sort((a, b) => a.tid - b.tid);
  }

  /** Every process (for the inspection API). */
  processes(): Process[] {
    return [...this.procs.values()];
  }

  /**
   * Start a program from an ELF image: a new address space, capability
   * table and main task, made runnable. Returns the process or a negative
   * error (-2 malformed ELF with the reason logged, -3 out of memory).
   */
  spawn(name: string, image: Uint8Array, args: string, parent?: Process): Process | number {
    const as = AddressSpace.create(this.pmm, this.machine.cpus.map((c) => c.mmu), asidAllocatorFor(this.pmm));
    if (typeof as === "number") return as;
    const img = loadElf(as, image, name);
    if (!img.ok) {
      as.destroy();
      this.log(`spawn ${name}: ${img.reason}`);
      return img.error;
    }
    const sp = as.mapStack();
    if (sp < 0) {
      as.destroy();
      return sp;
    }
    const pid = this.nextPid++;
    const p = new Process(pid, parent, name, as, new HandleTable({ owner: `pid ${pid}`, ids: this.ids, bounding: parent?.handles.bounding }), args);
    parent?.children.add(p);
    this.vfs.inheritOnSpawn(parent, p);
    if (parent) {
      // The bootstrap channel: the child's end is its handle 0, the parent keeps the other.
      const ch = channelCreate(p.handles, this.ids);
      if (typeof ch !== "number") {
        const mine = moveHandle(p.handles, ch.handle1, parent.handles);
        p.bootstrapPeer = mine < 0 ? undefined : mine;
      }
    }
    const t = new Task(this.nextTid++, p);
    t.ctx.pc = img.entry;
    t.ctx.x[31] = BigInt(sp);
    p.tasks.push(t);
    this.procs.set(pid, p);
    this.tasks.set(t.tid, t);
    this.trace.record(this.machine.now(), 0, TraceKind.Spawn, t.tid, pid);
    this.makeRunnable(t);
    return p;
  }

  /** TASK_SPAWN by path: the mounted file system first (path, C:name, C:name.prg; fs/vfs.ts findProgram), then the boot image. */
  spawnPath(path: string, args: string, parent: Process | undefined, name = path): Process | number {
    const fromDisk = findProgram(this.vfs, parent, path);
    if (fromDisk) return this.spawn(name.replace(/^.*[/:]/, ""), fromDisk, args, parent);
    const base = path.replace(/^[A-Za-z0-9]+:/, "").replace(/^.*\//, "");
    for (const key of [path, base, `${base}.prg`, `${base}.elf`, `${base}.sys`]) {
      const image = this.bootfs.get(key);
      if (image) return this.spawn(name.replace(/^.*[/:]/, ""), image, args, parent);
    }
    return E.NOT_FOUND;
  }

  /** FORK: copy-on-write copy of `t`'s process; the child's main task resumes after the SVC with x0 = 0. */
  forkProcess(t: Task): Process | number {
    const parent = t.process;
    const as = parent.as.fork();
    if (typeof as === "number") return as;
    const pid = this.nextPid++;
    const p = new Process(pid, parent, parent.name, as, new HandleTable({ owner: `pid ${pid}`, ids: this.ids, bounding: parent?.handles.bounding }), parent.args);
    parent.children.add(p);
    this.vfs.inheritOnFork(parent, p);
    forkDevices(this, parent, p);
    const child = new Task(this.nextTid++, p);
    child.ctx.save(this.machine.cpus[t.cpu].state);
    child.ctx.x[0] = 0n; // status OK
    child.ctx.x[1] = 0n; // the child sees pid 0
    inheritSignals(t, child);
    p.tasks.push(child);
    this.procs.set(pid, p);
    this.tasks.set(child.tid, child);
    this.trace.record(this.machine.now(), t.cpu, TraceKind.Spawn, child.tid, pid);
    this.makeRunnable(child);
    return p;
  }

  /** End process `p` (TASK_EXIT or a fatal fault): free its memory and handles, wake its parent. */
  exitProcess(p: Process, code: number, reason: string): void {
    if (p.state !== "live") return;
    for (const t of p.tasks) {
      if (t.state === "exited") continue;
      this.sched.remove(t.tid, this.machine.now());
      if (t.cpu >= 0) {
        this.current[t.cpu] = undefined;
        this.needResched[t.cpu] = true;
        if (t.cpu !== this.machine.gic.currentCpu) this.kick(t.cpu, this.machine.gic.currentCpu); // a sibling thread runs there now
      }
      t.state = "exited";
      t.cpu = -1;
      this.tasks.delete(t.tid);
      this.trace.record(this.machine.now(), 0, TraceKind.Exit, t.tid, code >>> 0);
    }
    p.exitCode = code;
    p.endReason = reason;
    p.handles.closeAll();
    this.vfs.closeAll(p);
    releaseProcessDevices(this, p);
    p.as.destroy();
    for (const shm of p.shmMappings.values()) shm.detachMapping();
    p.shmMappings.clear();
    p.state = "zombie";
    // Orphans: a zombie child is reaped now; a live one when it exits.
    for (const child of [...p.children]) {
      if (child.state === "zombie") this.reap(child);
      child.parent = undefined;
    }
    this.onProcessExit?.(p);
    if (p.parent?.state === "live") sendSignal(this, p.parent, SIG.CHLD, 0); // ignored unless handled
    if (p.parent) this.wakeWaiters((w, task) => w.kind === "child" && task.process === p.parent && (w.pid === -1 || w.pid === p.pid), 0);
    else this.reap(p);
  }

  /** Kill `p` after a fatal fault, with the report on the console. */
  killProcess(p: Process, report: string): void {
    this.log(`pid ${p.pid} (${p.name}): ${report}; killed`);
    this.trace.record(this.machine.now(), 0, TraceKind.Kill, p.mainTask?.tid ?? 0, p.pid);
    this.exitProcess(p, -1, report);
  }

  /** Forget a zombie (its parent collected the status, or it had none). */
  reap(p: Process): void {
    if (p.state !== "zombie") return;
    p.state = "reaped";
    p.parent?.children.delete(p);
    this.procs.delete(p.pid);
  }

  // --- Blocking, waking, scheduling ----------------------------------------------------------

  /** Block `t` until `reason` is satisfied; its syscall re-executes on wake. */
  blockOn(t: Task, reason: WaitReason): typeof BLOCK {
    t.wait = reason;
    t.state = "blocked";
    const until = reason.kind === "sleep" || reason.kind === "poll" ? reason.untilNs : Infinity;
    if (until !== Infinity) this.sched.sleepUntil(t.tid, until, this.machine.now());
    else this.sched.block(t.tid, this.machine.now());
    this.trace.record(this.machine.now(), Math.max(t.cpu, 0), TraceKind.Block, t.tid, 0);
    return BLOCK;
  }

  /** SLEEP: block until `ns` from the first call (re-execution keeps the same deadline). */
  sleep(t: Task, ns: number): Outcome {
    if (ns < 0) return { s: E.INVALID_ARG };
    if (ns === 0) {
      this.yieldTask(t);
      return { s: 0 };
    }
    const now = this.machine.now();
    if (t.deadlineNs === undefined) t.deadlineNs = now + ns;
    if (now >= t.deadlineNs) {
      t.deadlineNs = undefined;
      return { s: 0 };
    }
    return this.blockOn(t, { kind: "sleep", untilNs: t.deadlineNs });
  }

  /** TASK_YIELD: the task goes behind its peers; its CPU picks again. */
  yieldTask(t: Task): void {
    if (t.cpu < 0) return;
    this.sched.yield(t.cpu, this.machine.now());
    this.needResched[t.cpu] = true;
  }

  /** Wake a blocked task (its CPU is told to reschedule if it should run now). */
  wakeTask(t: Task | undefined, fromCpu: number): void {
    if (!t || t.state !== "blocked") return;
    t.state = "ready";
    t.wait = undefined;
    const r = this.sched.wake(t.tid, this.machine.now());
    this.trace.record(this.machine.now(), fromCpu, TraceKind.Wake, t.tid, 0);
    if (typeof r === "number") return;
    if (r.preempt || this.current[r.cpu] === undefined) this.kick(r.cpu, fromCpu);
  }

  wakeWaiters(match: (w: WaitReason, t: Task) => boolean, fromCpu: number): void {
    for (const t of [...this.tasks.values()]) if (t.state === "blocked" && t.wait && match(t.wait, t)) this.wakeTask(t, fromCpu);
  }

  /** A new task (thread) of live process `p`: `init` sets its registers, then it is made runnable. */
  addTask(p: Process, init: (t: Task) => void): Task {
    const t = new Task(this.nextTid++, p);
    init(t);
    p.tasks.push(t);
    this.tasks.set(t.tid, t);
    this.trace.record(this.machine.now(), 0, TraceKind.Spawn, t.tid, p.pid);
    this.makeRunnable(t);
    return t;
  }

  /** End one task (THREAD_EXIT) without ending its process; the caller ends the process after its last task. */
  exitTask(t: Task, code: number): void {
    if (t.state === "exited") return;
    this.sched.remove(t.tid, this.machine.now());
    if (t.cpu >= 0) {
      this.current[t.cpu] = undefined;
      this.needResched[t.cpu] = true;
    }
    t.state = "exited";
    t.cpu = -1;
    t.wait = undefined;
    t.exitCode = code;
    this.tasks.delete(t.tid);
    this.trace.record(this.machine.now(), 0, TraceKind.Exit, t.tid, code >>> 0);
  }

  private makeRunnable(t: Task): void {
    t.state = "ready";
    const cpu = this.sched.add({ id: t.tid }, this.machine.now());
    if (cpu >= 0 && this.current[cpu] === undefined) this.kick(cpu, cpu);
  }

  /** Priority or affinity changed: the affected CPUs re-pick at their next exit. */
  afterSchedChange(t: Task): void {
    for (const cpu of this.sched.reschedCpus()) this.kick(cpu, Math.max(t.cpu, 0));
  }

  setPriority(t: Task, tid: number, prio: number): Result {
    const r = this.sched.setPriority(tid || t.tid, prio);
    if (r < 0) return { s: this.tasks.has(tid || t.tid) ? E.INVALID_ARG : E.TASK_NOT_FOUND };
    this.afterSchedChange(t);
    return { s: 0 };
  }

  /** Ask `cpu` to reschedule: directly if it is handling an exit now (or idle), else by SGI. */
  private kick(cpu: number, fromCpu: number): void {
    this.needResched[cpu] = true;
    if (this.machine.isIdle(cpu) || cpu !== fromCpu) this.gic.sendSgi(fromCpu, SGI_RESCHEDULE, 1 << cpu);
  }

  /** Pick what `cpu` runs next and switch to it (or idle the CPU). */
  private schedule(cpu: number): void {
    this.needResched[cpu] = false;
    const mc = this.machine.cpus[cpu];
    const prev = this.current[cpu];
    const now = this.machine.now();
    const nextId = this.sched.pick(cpu, now);
    const next = nextId === undefined ? undefined : this.tasks.get(nextId);
    if (next === prev && prev !== undefined) {
      prev.state = "running";
      return;
    }
    if (prev && prev.state !== "exited") {
      prev.ctx.save(mc.state);
      if (prev.state === "running") prev.state = "ready";
      prev.cpu = -1;
    }
    this.current[cpu] = next;
    if (!next) {
      this.machine.idle(cpu);
      return;
    }
    next.state = "running";
    next.cpu = cpu;
    next.ctx.restore(mc.state);
    next.process.as.activate(mc.state, mc.mmu);
    this.machine.charge(cpu, this.cost.contextSwitch);
    this.trace.record(now, cpu, TraceKind.Switch, next.tid, prev?.tid ?? 0);
    this.machine.wake(cpu);
  }

  // --- Console and randomness ------------------------------------------------------------------

  /** Bytes a program writes to fd 1/2 go to the serial console. */
  consoleWrite(bytes: Uint8Array): void {
    this.console.write(bytes);
  }

  /** Host input typed into the serial console. */
  typeInput(bytes: Uint8Array | string): void {
    this.machine.uart.pushInput(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
  }

  /** `len` random bytes from the machine's seeded generator. */
  random(len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.machine.rng.fill(out);
    return out;
  }

  /**
   * Run until virtual time `untilNs`, until `stop()` is true, or until nothing
   * can happen. `stop` is for guest conditions (checked after every exit);
   * `pause` for host ones such as a wall-clock slice (checked only between
   * rounds, so slicing a run never changes it: RunHooks.shouldPause).
   */
  runUntil(untilNs: number, stop?: () => boolean, pause?: () => boolean): string {
    return this.machine.run({ onExit: (cpu, exit) => this.onExit(cpu, exit), shouldStop: stop, shouldPause: pause }, { untilNs });
  }
}
