// The line magics (%name args): each a row with its usage text and a run
// function over the Session. Views are inspection snapshots rendered by
// widgets/ (through render.ts); %bench ipc measures in a fresh machine; %run spawns a built guest test program and runs the machine in
// wall-time slices (executor.ts SLICE_MS), streaming the console as it goes.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseHostForward } from "../emulator/net/user-net.js";
import type { HostForward } from "../emulator/net/hostfwd.js";
import { inspectHandles, inspectKernel, inspectPageTables, inspectTrace, walkAddress } from "../viperdos/kernel/inspect/index.js";
import { inspectJournal, inspectPath } from "../viperdos/kernel/inspect/fs.js";
import { inspectChannels } from "../viperdos/kernel/inspect/channels.js";
import { addressWalk } from "../widgets/pagetables.js";
import { fileView } from "../widgets/fs.js";
import { journalView } from "../widgets/journal.js";
import { channelsView } from "../widgets/channels.js";
import { SIG, sendSignal } from "../viperdos/kernel/proc/signals.js";
import { buildGuest, GuestBuildError, repoRoot } from "../viperdos/tools/build-guest.js";
import type { Process } from "../viperdos/kernel/proc/process.js";
import { advanceMachine, Interrupted, SLICE_MS, type OutputSinks, type Session } from "./executor.js";
import { LIVE_INTERVAL_MS, LIVE_VIEWS } from "./live.js";
import type { MimeBundle } from "./protocol.js";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { netMagics } from "./net-magics.js";
import { crashMagic } from "./crash.js";
import { handlesBundle, ipcLatencyPlot, memoryBundle, memoryChart, pageTablesBundle, parseIpclat, schedulerBundle, schedulingTimeline, textBundle, traceBundle } from "./render.js";

export interface MagicContext {
  session: Session;
  args: string[];
  sinks: OutputSinks;
  signal: AbortSignal;
}

export interface Magic {
  name: string;
  summary: string;
  usage: string;
  /** Runs the magic; a returned bundle becomes the cell's execute_result. Throws MagicError for the user's mistakes. */
  run(ctx: MagicContext): Promise<MimeBundle | void> | MimeBundle | void;
}

/** A failure to report as the cell's error (ename shown to the user). */
export class MagicError extends Error {
  constructor(
    message: string,
    readonly ename = "UsageError",
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = ename;
  }
}

/** Split a magic line into words; double or single quotes group. Returns an error message for an open quote. */
export function tokenize(s: string): string[] | string {
  const out: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|(\S+))/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[3] !== undefined && /["']/.test(m[3])) return `unbalanced quote in: ${s}`;
    out.push(m[1] ?? m[2] ?? m[3]);
    if (re.lastIndex >= s.length) break;
  }
  if (s.slice(re.lastIndex).trim() !== "") return `unbalanced quote in: ${s}`;
  return out;
}

/** Parse "--opt N" pairs in front of positionals; integers only, each within [lo, hi]. */
function parseOptions(args: string[], spec: Record<string, [number, number]>, usage: string): { opts: Record<string, number>; rest: string[] } {
  const opts: Record<string, number> = {};
  let i = 0;
  for (; i < args.length && args[i].startsWith("--"); i++) {
    const name = args[i].slice(2);
    const range = spec[name];
    if (!range) throw new MagicError(`unknown option ${args[i]}`, "UsageError", usage.split("\n"));
    const v = args[++i];
    if (v === undefined || !/^\d+$/.test(v)) throw new MagicError(`--${name} needs a number`, "UsageError", usage.split("\n"));
    const n = Number(v);
    if (n < range[0] || n > range[1]) throw new MagicError(`--${name} must be ${range[0]}..${range[1]}`, "UsageError", usage.split("\n"));
    opts[name] = n;
  }
  return { opts, rest: args.slice(i) };
}

/** True when `flag` is the only argument, false when there are none; a usage error otherwise. */
function takeFlag(args: string[], flag: string, usage: string): boolean {
  if (args.length === 0) return false;
  if (args.length === 1 && args[0] === flag) return true;
  throw new MagicError(`unexpected argument ${args.find((a) => a !== flag) ?? args[1]}`, "UsageError", usage.split("\n"));
}

/**
 * Run `fn` with the guest console streamed to the cell's stdout. A shell
 * prompt the console ends with (vinit at `SYS:> ` after a boot) is held back
 * and dropped at the end: the cell shows what happened, not the prompt.
 */
async function withConsole<T>(ctx: MagicContext, fn: () => T | Promise<T>): Promise<T> {
  let held = "";
  const detach = ctx.session.attachConsole((t) => {
    const all = held + t;
    // The console may arrive a byte at a time: hold a last line that could still become a prompt.
    const m = /(?:^|\n)([A-Za-z0-9_]+(?::[^\n]*)?)$/.exec(all);
    held = m ? m[1] : "";
    const out = all.slice(0, all.length - held.length);
    if (out) ctx.sinks.writeStream("stdout", out);
  });
  try {
    return await fn();
  } finally {
    detach();
    if (held && !/^[A-Za-z0-9_]+:[^\n]*> $/.test(held)) ctx.sinks.writeStream("stdout", held);
  }
}

// --- Guest programs -------------------------------------------------------------

const PROGRAM_DIRS = ["viperdos/user/tests", "kernel-bridge/programs", "notebooks/programs"];

/** Names of the guest programs %run knows (sources *.c in PROGRAM_DIRS), sorted. */
export function programNames(): string[] {
  const names = new Set<string>();
  for (const d of PROGRAM_DIRS) {
    const dir = join(repoRoot(), d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith(".c")) names.add(f.slice(0, -2));
  }
  return [...names].sort();
}

/** Build program `name` for ViperDOS (cached by build-guest) and return its image. */
function buildProgram(name: string): Uint8Array {
  const dir = PROGRAM_DIRS.find((d) => existsSync(join(repoRoot(), d, `${name}.c`)));
  if (!dir) throw new MagicError(`no program ${name}; known: ${programNames().join(" ")}`);
  try {
    return new Uint8Array(readFileSync(buildGuest({ name: `nb-${name}`, sources: [`${dir}/${name}.c`], opt: "-O2", os: "viperdos" })));
  } catch (e) {
    if (e instanceof GuestBuildError) throw new MagicError(`cannot build ${name}`, "BuildError", e.message.split("\n"));
    throw e;
  }
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** Wall ms an interrupted program gets to die of SIGINT before SIGKILL. */
const SIGINT_GRACE_MS = 500;

/**
 * Run the machine until `p` ends or `untilNs` (virtual), in slices of at most
 * SLICE_MS wall. On an aborted signal the process gets SIGINT (like ^C),
 * then SIGKILL after a grace period, and Interrupted is thrown.
 */
async function runProcess(ctx: MagicContext, p: Process, untilNs: number): Promise<"exited" | "time limit"> {
  const k = ctx.session.kernel!;
  let interruptedAt: number | undefined;
  while (p.state === "live") {
    if (ctx.signal.aborted && interruptedAt === undefined) {
      interruptedAt = performance.now();
      sendSignal(k, p, SIG.INT, 0);
    } else if (interruptedAt !== undefined && performance.now() - interruptedAt > SIGINT_GRACE_MS) {
      sendSignal(k, p, SIG.KILL, 0);
      break;
    }
    if (k.machine.now() >= untilNs) return "time limit";
    const deadline = performance.now() + SLICE_MS;
    k.runUntil(untilNs, () => p.state !== "live", () => performance.now() >= deadline);
    await ctx.session.live.tick(k, ctx.sinks);
    await yieldToEventLoop();
  }
  if (interruptedAt !== undefined) throw new Interrupted();
  return "exited";
}

// --- The table -------------------------------------------------------------------

const boot: Magic = {
  name: "boot",
  summary: "boot a fresh machine (shows the boot log)",
  usage: [
    "%boot [--cpus N] [--mem MIB] [--seed S] [--net [--hostfwd H:G]...]",
    "",
    "Builds a new virt machine and boots the ViperDOS kernel on it, replacing",
    "the session's machine. Defaults: 4 CPUs, 128 MiB, seed 1 (same seed, same run).",
    "--net adds a virtio-net card on the user-mode gateway, as QEMU's -nic user:",
    "the guest is 10.0.2.15, 10.0.2.2 is the host's 127.0.0.1, DNS 10.0.2.3; only",
    "the host's loopback range is reachable (ping, nslookup, Fetch, iperf).",
    "--hostfwd H:G forwards 127.0.0.1:H on the host to the guest's TCP port G.",
    "A run that talks to host sockets depends on when the host answers.",
  ].join("\n"),
  async run(ctx) {
    const usage = this.usage.split("\n");
    let net = false;
    const hostfwd: HostForward[] = [];
    const numeric: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i];
      if (a === "--net") net = true;
      else if (a === "--hostfwd") {
        const fwd = parseHostForward(ctx.args[++i] ?? "");
        if (!fwd) throw new MagicError("--hostfwd needs HOSTPORT:GUESTPORT (1..65535)", "UsageError", usage);
        hostfwd.push(fwd);
      } else numeric.push(a);
    }
    if (hostfwd.length > 0 && !net) throw new MagicError("--hostfwd needs --net", "UsageError", usage);
    const { opts, rest } = parseOptions(numeric, { cpus: [1, 4], mem: [16, 2048], seed: [0, 2 ** 31] }, this.usage);
    if (rest.length) throw new MagicError(`unexpected argument ${rest[0]}`, "UsageError", usage);
    await withConsole(ctx, () =>
      ctx.session.boot({ cpus: opts.cpus ?? 4, ramMiB: opts.mem ?? 128, seed: opts.seed ?? 1, net, hostfwd }),
    );
  },
};

const mem: Magic = {
  name: "mem",
  summary: "memory statistics: pages, buddy free lists, slabs, processes",
  usage: "%mem [--chart] [--live]\n\nPhysical memory, buddy allocator and slab caches, and each process's resident pages.\n--chart: the free/used/reserved pages as a bar chart instead.\n--live: keep the view updated while later cells run the machine (%watch mem).",
  async run(ctx) {
    const live = ctx.args.includes("--live");
    const chart = takeFlag(ctx.args.filter((a) => a !== "--live"), "--chart", this.usage);
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    if (live) return void (await ctx.session.live.watch(chart ? "memchart" : "mem", k, ctx.sinks));
    const s = inspectKernel(k);
    ctx.sinks.writeDisplay(chart ? await memoryChart(s) : memoryBundle(s));
  },
};

/** The scheduling timeline chart of the session's machine. */
async function timelineChart(k: Kernel) {
  const s = inspectKernel(k);
  const now = k.machine.now();
  return schedulingTimeline({ timeline: k.sched.timeline.snapshot(now), nowNs: now, cpuCount: s.scheduler.cpuCount, processes: s.processes });
}

const sched: Magic = {
  name: "sched",
  summary: "per-CPU run queues and the scheduling timeline chart",
  usage: [
    "%sched [--timeline | --queues] [--live]",
    "",
    "Each CPU's current task and queues (deadline, FIFO/RR by level, fair), every task,",
    "then the scheduling timeline: which task ran on which CPU when, as a Gantt chart",
    "over virtual time. --timeline: the chart only; --queues: the tables only.",
    "--live: the views stay updated in place while cells run the machine (%watch sched timeline).",
  ].join("\n"),
  async run(ctx) {
    const live = ctx.args.includes("--live");
    const args = ctx.args.filter((a) => a !== "--live");
    if (args.length > 1 || (args.length === 1 && !["--timeline", "--queues"].includes(args[0]))) {
      throw new MagicError(`unexpected argument ${args.find((a) => a !== "--timeline" && a !== "--queues") ?? args[1]}`, "UsageError", this.usage.split("\n"));
    }
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    if (live) {
      if (args[0] !== "--timeline") await ctx.session.live.watch("sched", k, ctx.sinks);
      if (args[0] !== "--queues") await ctx.session.live.watch("timeline", k, ctx.sinks);
      return;
    }
    if (args[0] !== "--timeline") ctx.sinks.writeDisplay(schedulerBundle(inspectKernel(k)));
    if (args[0] !== "--queues") ctx.sinks.writeDisplay(await timelineChart(k));
  },
};

/**
 * The live process `arg` names (a PID or a process name, the newest of that
 * name), or without `arg` the shell's running program, else the newest live
 * process that is not the shell, else the shell. Throws NotFound with the list.
 */
export function processArg(s: Session, arg: string | undefined, usage: string): Process {
  const live = (s.kernel?.processes() ?? []).filter((p) => p.state === "live");
  let p: Process | undefined;
  if (arg === undefined) p = s.shell?.foreground().at(-1) ?? live.filter((q) => q !== s.shell?.proc).at(-1) ?? live[0];
  else if (/^\d+$/.test(arg)) p = live.find((q) => q.pid === Number(arg));
  else p = live.filter((q) => q.name.toLowerCase() === arg.toLowerCase()).at(-1);
  if (!p) throw new MagicError(arg === undefined ? "no live process" : `no live process ${arg}`, "NotFound", [...liveList(s), "", ...usage.split("\n")]);
  return p;
}

/** Parse "0x..." or decimal as an address (< 2^53). */
function addressArg(v: string | undefined, usage: string): number {
  if (v === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(v)) throw new MagicError("--va needs an address (0x... or decimal)", "UsageError", usage.split("\n"));
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new MagicError(`--va ${v}: beyond 2^53`, "UsageError", usage.split("\n"));
  return n;
}

const pt: Magic = {
  name: "pt",
  summary: "page tables of a process (or one address's walk)",
  usage: [
    "%pt [PROCESS] [--va ADDR]",
    "",
    "The process's VMAs and its translation tables walked from TTBR0 in guest RAM",
    "(levels, descriptors, EL0 permissions, frames, COW and shared pages).",
    "PROCESS: a PID or a name; default: the program the shell runs, else the newest process.",
    "--va ADDR: the MMU's walk of one address instead (each level's descriptor, the PA or the fault).",
  ].join("\n"),
  async run(ctx) {
    let va: number | undefined;
    const rest: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      if (ctx.args[i] === "--va") va = addressArg(ctx.args[++i], this.usage);
      else if (ctx.args[i].startsWith("--")) throw new MagicError(`unknown option ${ctx.args[i]}`, "UsageError", this.usage.split("\n"));
      else rest.push(ctx.args[i]);
    }
    if (rest.length > 1) throw new MagicError(`unexpected argument ${rest[1]}`, "UsageError", this.usage.split("\n"));
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    const p = processArg(ctx.session, rest[0], this.usage);
    if (va !== undefined) {
      const w = walkAddress(k, p.pid, va);
      if (!w) throw new MagicError(`no live process ${p.pid}`, "NotFound", liveList(ctx.session));
      return void ctx.sinks.writeDisplay(addressWalk(p.pid, p.name, w));
    }
    const s = inspectPageTables(k, p.pid);
    if (!s) throw new MagicError(`no live process ${p.pid}`, "NotFound", liveList(ctx.session));
    ctx.sinks.writeDisplay(pageTablesBundle(s));
  },
};

const caps: Magic = {
  name: "caps",
  summary: "capability table of a process",
  usage: "%caps [PROCESS]\n\nThe process's handles with rights bits, the derivation tree, resource limits and bounding set.\nPROCESS: a PID or a name; default as %pt.",
  async run(ctx) {
    if (ctx.args.length > 1 || ctx.args[0]?.startsWith("--")) throw new MagicError(`unexpected argument ${ctx.args.at(-1)}`, "UsageError", this.usage.split("\n"));
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    const p = processArg(ctx.session, ctx.args[0], this.usage);
    const s = inspectHandles(k, p.pid);
    if (!s) throw new MagicError(`no live process ${p.pid}`, "NotFound", liveList(ctx.session));
    ctx.sinks.writeDisplay(handlesBundle(s));
  },
};

function liveList(s: Session): string[] {
  const live = s.kernel?.processes().filter((p) => p.state === "live") ?? [];
  return [live.length ? `live processes: ${live.map((p) => `${p.pid} (${p.name})`).join(", ")}` : "no live processes (start one with %run --for MS PROGRAM)"];
}

const trace: Magic = {
  name: "trace",
  summary: "the kernel's event trace: on, off, show",
  usage: [
    "%trace on|off|show [N]",
    "",
    "on / off: keep kernel events (context switches, syscalls, faults, IRQs) in the",
    "trace ring or not (on at boot; the running hash covers every event either way).",
    "show [N]: the last N kept events (default 20) and the hash (same seed, same hash).",
  ].join("\n"),
  async run(ctx) {
    const [sub, n, ...more] = ctx.args;
    const bad = () => new MagicError("expected: on, off or show [N]", "UsageError", this.usage.split("\n"));
    if (sub === "on" || sub === "off") {
      if (n !== undefined) throw bad();
      const k = await withConsole(ctx, () => ctx.session.ensureKernel());
      k.trace.enabled = sub === "on";
      return textBundle(`trace ${sub}: events are ${sub === "on" ? "kept" : "no longer kept"} (${k.trace.total} so far, hash ${k.trace.hash()})`);
    }
    if (sub !== "show" || more.length || (n !== undefined && !/^\d+$/.test(n))) throw bad();
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    ctx.sinks.writeDisplay(traceBundle(inspectTrace(k, n === undefined ? 20 : Number(n))));
  },
};

const channels: Magic = {
  name: "channels",
  summary: "channels between processes (holders, counters, queued messages)",
  usage: "%channels\n\nEvery channel a live process holds: who holds each end (pid, name, handle),\nmessages sent, what waits in each inbox; the HTML adds a diagram.",
  async run(ctx) {
    if (ctx.args.length) throw new MagicError(`unexpected argument ${ctx.args[0]}`, "UsageError", this.usage.split("\n"));
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    ctx.sinks.writeDisplay(channelsView(inspectChannels(k)));
  },
};

const fs: Magic = {
  name: "fs",
  summary: "a file's inode, block map and directory records",
  usage: [
    "%fs PATH",
    "",
    "The inode of PATH (an assign path such as C:hello.prg, SYS:, S:startup, or",
    "relative to the shell's current directory), its block map (logical -> physical,",
    "as runs), pointer blocks, and for a directory every record (deleted ones and",
    "slack included). Read from the disk as it is now; blocks still dirty in the",
    "block cache are named.",
  ].join("\n"),
  async run(ctx) {
    if (ctx.args.length !== 1) throw new MagicError("expected one PATH", "UsageError", this.usage.split("\n"));
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    const s = inspectPath(k, ctx.args[0], ctx.session.shell?.proc.pid);
    if ("error" in s) throw new MagicError(s.error, "NotFound");
    ctx.sinks.writeDisplay(fileView(s));
  },
};

const journal: Magic = {
  name: "journal",
  summary: "each volume's journal: transactions and their state",
  usage: "%journal\n\nPer mounted volume: the kernel journal writer's counters and last transaction\n(blocks logged, blocks written ordered), and the journal on disk now with each\ntransaction's status (committed ones are replayed at the next mount).",
  async run(ctx) {
    if (ctx.args.length) throw new MagicError(`unexpected argument ${ctx.args[0]}`, "UsageError", this.usage.split("\n"));
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    ctx.sinks.writeDisplay(journalView(inspectJournal(k)));
  },
};

const run: Magic = {
  name: "run",
  summary: "run a guest test program in the session's machine",
  usage: [
    "%run [--for MS] PROGRAM [ARGS...]",
    "",
    "Builds PROGRAM (viperdos/user/tests/, kernel-bridge/programs/ or notebooks/programs/PROGRAM.c)",
    "for ViperDOS, spawns it and streams its console output until it exits.",
    "--for MS stops after MS of virtual time and leaves it running (for %pt, %caps).",
    "Interrupting the cell sends it SIGINT (SIGKILL if it is still alive 0.5 s later).",
  ].join("\n"),
  async run(ctx) {
    const { opts, rest } = parseOptions(ctx.args, { for: [1, 3_600_000] }, this.usage);
    const [name, ...args] = rest;
    if (!name) throw new MagicError("missing PROGRAM", "UsageError", [...this.usage.split("\n"), "", `programs: ${programNames().join(" ")}`]);
    const image = buildProgram(name);
    return withConsole(ctx, async () => {
      const k = ctx.session.ensureKernel();
      for (const sib of programNames().filter((n) => n.startsWith(name + "_"))) k.bootfs.set(sib, buildProgram(sib));
      const p = k.spawn(name, image, args.join(" "));
      if (typeof p === "number") throw new MagicError(`cannot start ${name} (error ${p})`, "SpawnError");
      const v0 = k.machine.now();
      const t0 = performance.now();
      const how = await runProcess(ctx, p, opts.for !== undefined ? v0 + opts.for * 1e6 : Number.POSITIVE_INFINITY);
      const times = `virtual ${((k.machine.now() - v0) / 1e6).toFixed(3)} ms, wall ${(performance.now() - t0).toFixed(0)} ms`;
      if (how === "time limit") return textBundle(`pid ${p.pid} (${name}) still running after ${opts.for} ms (${times})`);
      return textBundle(`pid ${p.pid} (${name}) exited with status ${p.exitCode}${p.endReason && p.endReason !== "exit" ? ` (${p.endReason})` : ""} (${times})`);
    });
  },
};

// --- %bench ipc ---------------------------------------------------------------------

const BENCH_USAGE = [
  "%bench ipc [--sizes 8,64,512,4096] [--iters N] [--cpus N]",
  "",
  "Measures channel round-trip latency per message size: for each size, a fresh",
  "machine (--cpus, default 1, so the two processes switch directly; seed 1) runs",
  "viperdos/user/bench/ipclat.c, which times every round trip with CNTVCT_EL0",
  "(virtual time). Plots the distribution per size. Defaults: sizes 8,64,512,4096,",
  "100 iterations (1..4096); sizes 1..8192 bytes. The session's machine is untouched.",
].join("\n");

/** Parse "--sizes a,b,c": 1..8 sizes, each 1..8192. */
function parseSizes(v: string | undefined): number[] {
  if (v === undefined || !/^\d+(,\d+)*$/.test(v)) throw new MagicError("--sizes needs a comma-separated list of byte counts", "UsageError", BENCH_USAGE.split("\n"));
  const sizes = v.split(",").map(Number);
  if (sizes.length > 8 || sizes.some((n) => n < 1 || n > 8192)) throw new MagicError("--sizes: 1..8 sizes, each 1..8192 bytes", "UsageError", BENCH_USAGE.split("\n"));
  return sizes;
}

/**
 * Run ipclat SIZE ITERS on a fresh `cpus`-CPU kernel in wall slices; returns
 * the round-trip samples (virtual ns). Throws MagicError when the guest
 * fails, Interrupted when the cell is interrupted.
 */
async function ipclatRun(ctx: MagicContext, image: Uint8Array, size: number, iters: number, cpus: number): Promise<number[]> {
  const out: number[] = [];
  const k = new Kernel({ cpus, ramMiB: 64, seed: 1, onConsole: (b) => out.push(...b) });
  k.boot();
  k.bootfs.set("ipclat", image);
  const p = k.spawn("ipclat", image, `${size} ${iters}`);
  if (typeof p === "number") throw new MagicError(`cannot start ipclat (error ${p})`, "SpawnError");
  const limitNs = k.machine.now() + 60e9;
  while (p.state === "live" && k.machine.now() < limitNs) {
    if (ctx.signal.aborted) throw new Interrupted();
    const deadline = performance.now() + SLICE_MS;
    k.runUntil(limitNs, () => p.state !== "live", () => performance.now() >= deadline);
    await yieldToEventLoop();
  }
  const r = parseIpclat(Buffer.from(out).toString("utf8"));
  if (p.state === "live" || p.exitCode !== 0 || !r.done || r.samplesNs.length !== iters) {
    throw new MagicError(`ipclat ${size} ${iters} failed: ${r.error ?? (p.state === "live" ? "still running after 60 s virtual" : `exit status ${p.exitCode}`)}`, "BenchError");
  }
  return r.samplesNs;
}

const bench: Magic = {
  name: "bench",
  summary: "measure IPC round-trip latency per message size (plot)",
  usage: BENCH_USAGE,
  async run(ctx) {
    const [what, ...rest] = ctx.args;
    if (what !== "ipc") throw new MagicError("expected: ipc", "UsageError", BENCH_USAGE.split("\n"));
    let sizes = [8, 64, 512, 4096];
    const numeric: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === "--sizes") sizes = parseSizes(rest[++i]);
      else if (rest[i] === "--iters" || rest[i] === "--cpus") numeric.push(rest[i], rest[++i] ?? "");
      else throw new MagicError(`unexpected argument ${rest[i]}`, "UsageError", BENCH_USAGE.split("\n"));
    }
    const { opts } = parseOptions(numeric, { iters: [1, 4096], cpus: [1, 4] }, BENCH_USAGE);
    const iters = opts.iters ?? 100;
    const cpus = opts.cpus ?? 1;
    const image = buildBench("ipclat");
    const t0 = performance.now();
    const series = [];
    for (const size of sizes) series.push({ size, samplesNs: await ipclatRun(ctx, image, size, iters, cpus) });
    return ipcLatencyPlot({ series, cpus, wallMs: performance.now() - t0 });
  },
};

/** Build viperdos/user/bench/NAME.c (cached by build-guest). */
function buildBench(name: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(buildGuest({ name: `nb-${name}`, sources: [`viperdos/user/bench/${name}.c`], opt: "-O2", os: "viperdos" })));
  } catch (e) {
    if (e instanceof GuestBuildError) throw new MagicError(`cannot build ${name}`, "BuildError", e.message.split("\n"));
    throw e;
  }
}

const advance: Magic = {
  name: "advance",
  summary: "let the machine run for some virtual time (live views update)",
  usage: [
    "%advance MS[ms] [--live]",
    "",
    "Runs the session's machine for MS milliseconds of virtual time (1..3600000),",
    "streaming the console; live programs keep running. Interrupt to stop early.",
    "The live views (%watch, --live) update in place as it runs; --live with none",
    "watched adds the run queues (%watch sched) first.",
  ].join("\n"),
  async run(ctx) {
    const live = ctx.args.includes("--live");
    const rest = ctx.args.filter((a) => a !== "--live");
    const m = rest.length === 1 ? /^(\d+)(ms)?$/.exec(rest[0]) : null;
    const ms = m ? Number(m[1]) : NaN;
    if (!m || ms < 1 || ms > 3_600_000) throw new MagicError("expected MS (1..3600000), e.g. 200 or 200ms", "UsageError", this.usage.split("\n"));
    return withConsole(ctx, async () => {
      const k = ctx.session.ensureKernel();
      if (live && ctx.session.live.snapshot().watches.length === 0) await ctx.session.live.watch("sched", k, ctx.sinks);
      const r = await advanceMachine(ctx.session, ms, ctx.signal, ctx.sinks);
      return textBundle(`advanced ${ms} ms virtual (wall ${r.wallMs.toFixed(0)} ms); virtual time now ${(k.machine.now() / 1e6).toFixed(3)} ms`);
    });
  },
};

const watch: Magic = {
  name: "watch",
  summary: "views updated in place while the machine runs",
  usage: [
    "%watch VIEW... | %watch off [VIEW] | %watch list",
    "",
    "Shows each VIEW now and updates it in place (update_display_data) while later",
    "cells run the machine (%advance, shell lines, %run, advance() in %%ts), at most",
    `every ${LIVE_INTERVAL_MS} ms of wall time and when a cell ends. off: stop (all, or VIEW).`,
    `Views: ${Object.entries(LIVE_VIEWS).map(([n, v]) => `${n} (${v.summary})`).join(", ")}.`,
  ].join("\n"),
  async run(ctx) {
    const [first, ...more] = ctx.args;
    if (first === undefined) throw new MagicError("expected a VIEW, off or list", "UsageError", this.usage.split("\n"));
    if (first === "list") return textBundle(JSON.stringify(ctx.session.live.snapshot(), null, 1));
    if (first === "off") {
      if (more.length > 1) throw new MagicError(`unexpected argument ${more[1]}`, "UsageError", this.usage.split("\n"));
      return textBundle(`stopped ${ctx.session.live.unwatch(more[0])} live view(s)`);
    }
    const bad = ctx.args.find((v) => !LIVE_VIEWS[v]);
    if (bad) throw new MagicError(`unknown view ${bad}; views: ${Object.keys(LIVE_VIEWS).join(", ")}`, "UsageError", this.usage.split("\n"));
    const k = await withConsole(ctx, () => ctx.session.ensureKernel());
    for (const v of ctx.args) await ctx.session.live.watch(v, k, ctx.sinks);
  },
};

const help: Magic = {
  name: "help",
  summary: "list the magics",
  usage: "%help [MAGIC]\n\nThe magics with one line each, or one magic's usage.",
  run(ctx) {
    if (ctx.args.length > 0) {
      const g = findMagic(ctx.args[0].replace(/^%/, ""));
      if (!g) throw new MagicError(`unknown magic %${ctx.args[0]}`, "UsageError", magicHelp().split("\n"));
      ctx.sinks.writeDisplay(textBundle(g.usage));
      return;
    }
    ctx.sinks.writeDisplay(textBundle(magicHelp()));
  },
};

export const MAGICS: readonly Magic[] = [boot, mem, sched, pt, caps, channels, fs, journal, crashMagic(MagicError), trace, run, advance, watch, bench, ...netMagics(MagicError), help];

/** The magic called `name` (without %), if any. */
export function findMagic(name: string): Magic | undefined {
  return MAGICS.find((g) => g.name === name);
}

/** One line per magic, for %help and error messages. */
export function magicHelp(): string {
  const w = Math.max(...MAGICS.map((g) => g.name.length)) + 1;
  return [
    "Magics (each takes --help):",
    ...MAGICS.map((g) => `  ${("%" + g.name).padEnd(w)}  ${g.summary}`),
    "",
    "Other lines are typed into the ViperDOS shell (vinit; try Help, Dir C:, Version);",
    "a return code >= 10 (ERROR, FAIL) stops the cell with ShellError and Why's message.",
    "A cell whose first line is %%ts runs TypeScript with the live machine (%%ts --help).",
  ].join("\n");
}
