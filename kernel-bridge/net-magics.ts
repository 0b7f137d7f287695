// The network magics: %topology (build and drive a multi-machine lab),
// %link (show or change a link), %net (interfaces, ARP, sockets) and %tcp
// (connections, congestion-control choice, cwnd traces as charts).
//
// magics.ts registers them with one line, passing its MagicError class
// (`...netMagics(MagicError)`), so this module imports only types from
// magics.ts and there is no import cycle. A session's lab lives beside its
// Session (a WeakMap): %topology new replaces it; without a lab, %net and
// %tcp look at the session's own machine.

import type { Magic, MagicContext } from "./magics.js";
import type { Session } from "./executor.js";
import type { MimeBundle } from "./protocol.js";
import { textBundle, tablesBundle, type Cell } from "../widgets/bundle.js";
import { linkBundle, topologyBundle } from "../widgets/topology.js";
import { tcpTraceBundle } from "../widgets/tcp.js";
import type { LinkParams } from "../emulator/net/link.js";
import type { Kernel } from "../viperdos/kernel/kernel.js";
import { ipToString } from "../viperdos/kernel/net/socket.js";
import { socketRegistry } from "../viperdos/kernel/syscall/net.js";
import { connectionTraces, LAB_PROGRAMS, labGateway, netOf, ViperLab, type LabRun } from "./net-lab.js";

type MagicErrorCtor = new (message: string, ename?: string, details?: string[]) => Error;

const labs = new WeakMap<Session, ViperLab>();

/** The lab of a session, if %topology new built one. */
export function labOf(s: Session): ViperLab | undefined {
  return labs.get(s);
}

/** Link options of %link and %topology new: name -> [LinkParams field, scale to the field's unit, min, max]. */
const LINK_OPTS: Record<string, [keyof LinkParams, number, number, number]> = {
  delay: ["delayNs", 1e6, 0, 10_000],
  bw: ["bandwidthBps", 1e6, 0, 100_000],
  queue: ["queueLimit", 1, 1, 1_000_000],
  loss: ["lossRate", 1, 0, 1],
  reorder: ["reorderRate", 1, 0, 1],
  dup: ["duplicateRate", 1, 0, 1],
  "reorder-delay": ["reorderDelayNs", 1e6, 0, 10_000],
};

/** Parse "--delay 20 --bw 10 ..." (numbers may be fractional) into LinkParams; unknown words are returned. */
function parseLinkOptions(args: string[], fail: (msg: string) => Error): { params: Partial<LinkParams>; rest: string[]; up?: boolean; dir: "aToB" | "bToA" | "both" } {
  const params: Partial<LinkParams> = {};
  const rest: string[] = [];
  let up: boolean | undefined;
  let dir: "aToB" | "bToA" | "both" = "both";
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      rest.push(a);
      continue;
    }
    const name = a.slice(2);
    if (name === "up" || name === "down") {
      up = name === "up";
      continue;
    }
    if (name === "unlimited") {
      Object.assign(params, { bandwidthBps: 0, queueLimit: Infinity });
      continue;
    }
    if (name === "dir") {
      const v = args[++i];
      if (v !== "to" && v !== "from" && v !== "both") throw fail("--dir takes to, from or both (to: machine -> switch)");
      dir = v === "to" ? "aToB" : v === "from" ? "bToA" : "both";
      continue;
    }
    const spec = LINK_OPTS[name];
    if (!spec) throw fail(`unknown option ${a}`);
    const v = Number(args[++i]);
    if (args[i] === undefined || !Number.isFinite(v)) throw fail(`${a} needs a number`);
    if (v < spec[2] || v > spec[3]) throw fail(`${a} must be ${spec[2]}..${spec[3]}`);
    (params as Record<string, number>)[spec[0]] = v * spec[1];
    if (name === "queue") params.queueUnit = "packets";
  }
  return { params, rest, up, dir };
}

const TOPOLOGY_USAGE = [
  "%topology new NAME NAME... [--gateway] [--seed S] [--bottleneck NAME --delay MS --bw MBIT --queue N --loss P ...]",
  "%topology [show]                 the lab as a diagram and tables",
  "%topology start NAME PROGRAM [ARGS...]   start a program (iperf, ping, netstat, nslookup, fetch) in the background",
  "%topology run [--for MS] NAME PROGRAM [ARGS...]   run one and wait for it (virtual MS limit, default 60000)",
  "%topology advance MS             let the whole lab run MS of virtual time",
  "%topology console NAME           what machine NAME printed so far",
  "",
  "Builds several ViperDOS machines (10.0.2.15, .16, ... in order) on one switch; each",
  "machine's link to the switch carries its delay, bandwidth, queue and loss (%link).",
  "The --bottleneck machine's link gets the link options. Machines run in lockstep.",
  "--gateway adds the user-mode gateway (10.0.2.2, DNS 10.0.2.3) reaching the host's 127.0.0.0/8.",
].join("\n");

const LINK_USAGE = [
  "%link [NAME] [--delay MS] [--bw MBIT] [--queue PACKETS] [--loss P] [--reorder P] [--dup P]",
  "      [--reorder-delay MS] [--unlimited] [--up|--down] [--dir to|from|both]",
  "",
  "Without options: the link's parameters and counters (every link without NAME).",
  "With options: change the link while the lab runs (frames in flight keep their times).",
  "Rates: P in 0..1; --bw 0 means unlimited; --dir to = machine -> switch only.",
].join("\n");

const NET_USAGE = "%net [NAME]\n\nThe machine's interface (address, MAC, counters), ARP cache and sockets with TCP state and cwnd.\nNAME: a lab machine (default: the session's machine, or the lab's first).";

const TCP_USAGE = [
  "%tcp list [--machine NAME]                   connections (live and closed) with their ids",
  "%tcp trace CONN [CONN...] [--machine NAME]   cwnd and ssthresh over virtual time (chart); CONN: an id, 'last' or 'last-N'",
  "%tcp cc newreno|cubic [--machine NAME]      the system-wide congestion control for new sockets",
].join("\n");

/** The kernel a network magic looks at: --machine NAME / NAME in the lab, else the session's. */
function targetKernel(ctx: MagicContext, name: string | undefined, fail: (m: string) => Error): { k: Kernel; label: string } {
  const lab = labs.get(ctx.session);
  if (lab) {
    const n = name ?? lab.topology.specs[0].name;
    try {
      return { k: lab.kernel(n), label: n };
    } catch (e) {
      throw fail((e as Error).message);
    }
  }
  if (name) throw fail(`no lab: build one with %topology new`);
  return { k: ctx.session.ensureKernel(), label: "session" };
}

function takeOpt(args: string[], opt: string): { value: string | undefined; rest: string[] } {
  const i = args.indexOf(opt);
  if (i < 0) return { value: undefined, rest: args };
  return { value: args[i + 1], rest: [...args.slice(0, i), ...args.slice(i + 2)] };
}

/** Stream each machine's console into the cell while `f` runs. */
async function withLabConsole<T>(ctx: MagicContext, lab: ViperLab, f: () => Promise<T>): Promise<T> {
  const prev = lab.spec.onConsole;
  // Console bytes come one at a time: prefix each line (not each write) with its machine's name.
  const midLine = new Map<string, boolean>();
  lab.spec.onConsole = (name, text) => {
    let out = "";
    for (const ch of text) {
      if (!midLine.get(name)) out += `[${name}] `;
      out += ch;
      midLine.set(name, ch !== "\n");
    }
    ctx.sinks.writeStream("stdout", out);
  };
  try {
    return await f();
  } finally {
    lab.spec.onConsole = prev;
  }
}

function netBundle(k: Kernel, label: string): MimeBundle {
  const stack = netOf(k) as { snapshot?: () => Record<string, unknown> } | undefined;
  const snap = (stack?.snapshot?.() ?? {}) as Record<string, unknown>;
  const sections = [];
  const ifaces = (snap.interfaces as Record<string, unknown>[] | undefined) ?? (snap.interface ? [snap.interface as Record<string, unknown>] : []);
  if (ifaces.length) {
    const keys = [...new Set(ifaces.flatMap((i) => Object.keys(i)))].filter((key) => typeof ifaces[0][key] !== "object" || ifaces[0][key] === null);
    sections.push({ title: `Interfaces (${label})`, headers: keys, rows: ifaces.map((i) => keys.map((key) => cellOf(i[key]))) });
  }
  const arp = (snap.arp as Record<string, unknown>[] | undefined) ?? [];
  if (arp.length) {
    const keys = Object.keys(arp[0]);
    sections.push({ title: "ARP cache", headers: keys, rows: arp.map((e) => keys.map((key) => cellOf(e[key]))) });
  }
  const socks = [...socketRegistry(k).live].map((s) => s.info());
  sections.push({
    title: "Sockets",
    headers: ["id", "proto", "local", "remote", "state", "tcp", "cwnd", "ssthresh", "srtt ms", "cc", "sent", "received"],
    rows: socks.map((s) => {
      const c = (s.conn ?? {}) as { cwnd?: number; ssthresh?: number; srttNs?: number };
      return [
        s.id, s.proto, `${ipToString(s.localIp)}:${s.localPort}`, s.remotePort ? `${ipToString(s.remoteIp)}:${s.remotePort}` : "*", s.state, s.tcpState,
        c.cwnd ?? null, c.ssthresh !== undefined && c.ssthresh < 0x7fffffff ? c.ssthresh : null, c.srttNs !== undefined ? +(c.srttNs / 1e6).toFixed(3) : null, s.proto === "tcp" ? s.cc : null,
        s.bytesSent, s.bytesReceived,
      ] as Cell[];
    }),
  });
  const note = stack ? undefined : "this machine has no network stack (no NIC attached)";
  return tablesBundle(sections, note);
}

function cellOf(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  return JSON.stringify(v);
}

/** The network magics, built with the bridge's MagicError class. */
export function netMagics(MagicError: MagicErrorCtor): Magic[] {
  const usageError = (usage: string) => (msg: string) => new MagicError(msg, "UsageError", usage.split("\n"));

  const topology: Magic = {
    name: "topology",
    summary: "build and drive a multi-machine network lab (machines, switch, links)",
    usage: TOPOLOGY_USAGE,
    async run(ctx) {
      const fail = usageError(TOPOLOGY_USAGE);
      const [cmd = "show", ...args] = ctx.args;
      const lab = labs.get(ctx.session);
      if (cmd === "new") {
        const withGateway = args.includes("--gateway");
        const seedOpt = takeOpt(args.filter((a) => a !== "--gateway"), "--seed");
        const bn = takeOpt(seedOpt.rest, "--bottleneck");
        const { params, rest } = parseLinkOptions(bn.rest, fail);
        if (rest.length === 0) throw fail("name at least one machine");
        if (bn.value !== undefined && !rest.some((r) => r.toLowerCase() === bn.value!.toLowerCase())) throw fail(`--bottleneck ${bn.value} is not one of the machines`);
        const seed = seedOpt.value === undefined ? 1 : Number(seedOpt.value);
        if (!Number.isInteger(seed) || seed < 0) throw fail("--seed needs a non-negative integer");
        lab?.dispose();
        let next: ViperLab;
        try {
          next = new ViperLab({
            seed,
            gateway: withGateway ? labGateway() : undefined,
            machines: rest.map((name, i) => ({ name, seed: seed + i, link: bn.value?.toLowerCase() === name.toLowerCase() ? params : undefined })),
          });
        } catch (e) {
          if (e instanceof RangeError) throw fail(e.message);
          throw e;
        }
        labs.set(ctx.session, next);
        next.runFor(10e6);
        return topologyBundle(next.snapshot());
      }
      if (!lab) throw fail("no lab yet: %topology new NAME NAME ...");
      if (cmd === "show") return topologyBundle(lab.snapshot());
      if (cmd === "console") {
        if (!args[0]) throw fail("console NAME");
        try {
          lab.kernel(args[0]);
        } catch (e) {
          throw fail((e as Error).message);
        }
        return textBundle(lab.console(args[0]));
      }
      if (cmd === "advance") {
        const ms = Number(args[0]);
        if (!(ms > 0 && ms <= 3_600_000)) throw fail("advance MS (1..3600000)");
        const t0 = performance.now();
        await withLabConsole(ctx, lab, async () => {
          const until = lab.topology.now() + ms * 1e6;
          while (lab.topology.now() < until && !ctx.signal.aborted) {
            const deadline = performance.now() + 20;
            lab.topology.runUntil(until, () => performance.now() >= deadline);
            await new Promise<void>((r) => setImmediate(r));
          }
        });
        return textBundle(`lab advanced ${ms} ms virtual (wall ${(performance.now() - t0).toFixed(0)} ms); lab time ${(lab.topology.now() / 1e6).toFixed(3)} ms`);
      }
      if (cmd === "start" || cmd === "run") {
        const forOpt = takeOpt(args, "--for");
        const [name, program, ...pargs] = forOpt.rest;
        if (!name || !program) throw fail(`${cmd} NAME PROGRAM [ARGS...]`);
        if (!(LAB_PROGRAMS as readonly string[]).includes(program)) throw fail(`unknown program ${program} (known: ${LAB_PROGRAMS.join(", ")})`);
        let r: LabRun;
        try {
          r = lab.start(name, program, pargs.join(" "));
        } catch (e) {
          throw new MagicError((e as Error).message, e instanceof RangeError ? "UsageError" : "SpawnError");
        }
        if (cmd === "start") {
          lab.runFor(1e6);
          return textBundle(`started ${program} on ${name} (pid ${r.process.pid})`);
        }
        const limitMs = forOpt.value === undefined ? 60_000 : Number(forOpt.value);
        if (!(limitMs > 0)) throw fail("--for MS needs a positive number");
        const v0 = lab.topology.now();
        const t0 = performance.now();
        const done = await withLabConsole(ctx, lab, () => lab.runUntilExit([r], limitMs * 1e6, { signal: ctx.signal }));
        const times = `virtual ${((lab.topology.now() - v0) / 1e6).toFixed(3)} ms, wall ${(performance.now() - t0).toFixed(0)} ms`;
        return textBundle(done ? `${program} on ${name} exited with status ${r.process.exitCode} (${times})` : `${program} on ${name} still running (${times})`);
      }
      throw fail(`unknown subcommand ${cmd}`);
    },
  };

  const link: Magic = {
    name: "link",
    summary: "show or change a lab link (delay, bandwidth, queue, loss, ...)",
    usage: LINK_USAGE,
    run(ctx) {
      const fail = usageError(LINK_USAGE);
      const lab = labs.get(ctx.session);
      if (!lab) throw fail("no lab: build one with %topology new NAME NAME ...");
      const { params, rest, up, dir } = parseLinkOptions(ctx.args, fail);
      if (rest.length > 1) throw fail(`unexpected argument ${rest[1]}`);
      const name = rest[0];
      if (!name) {
        if (Object.keys(params).length || up !== undefined) throw fail("name the link to change");
        return topologyBundle(lab.snapshot());
      }
      const l = lab.topology.link(name);
      if (!l) throw fail(`no link ${name} (links: ${lab.topology.linkNames().join(", ")})`);
      if (Object.keys(params).length) {
        const why = lab.topology.setLink(name, params, dir);
        if (why) throw fail(why);
      }
      if (up !== undefined) l.up = up;
      return linkBundle(l.snapshot());
    },
  };

  const net: Magic = {
    name: "net",
    summary: "network interfaces, ARP cache and sockets",
    usage: NET_USAGE,
    run(ctx) {
      const fail = usageError(NET_USAGE);
      if (ctx.args.length > 1) throw fail(`unexpected argument ${ctx.args[1]}`);
      const { k, label } = targetKernel(ctx, ctx.args[0], fail);
      return netBundle(k, label);
    },
  };

  const tcp: Magic = {
    name: "tcp",
    summary: "TCP connections, congestion control, cwnd traces (chart)",
    usage: TCP_USAGE,
    async run(ctx) {
      const fail = usageError(TCP_USAGE);
      const m = takeOpt(ctx.args, "--machine");
      const [cmd, ...args] = m.rest;
      const { k, label } = targetKernel(ctx, m.value, fail);
      if (cmd === "list") {
        const traces = connectionTraces(k);
        return tablesBundle([
          {
            title: `TCP connections (${label})`,
            headers: ["id", "connection", "samples", "last cwnd"],
            rows: traces.map((t) => [t.id, t.label, t.samples.length, t.samples[t.samples.length - 1]?.cwnd ?? null]),
          },
        ]);
      }
      if (cmd === "cc") {
        const name = args[0];
        if (name !== "newreno" && name !== "cubic") throw fail("cc newreno|cubic");
        socketRegistry(k).defaultCc = name;
        const t = netOf(k)?.tcp as { defaultCc?: string } | undefined;
        if (t) t.defaultCc = name;
        return textBundle(`${label}: new sockets use ${name}`);
      }
      if (cmd === "trace") {
        if (args.length === 0) throw fail("trace CONN (an id from %tcp list, or 'last')");
        const all = connectionTraces(k);
        const runs = args.map((a) => {
          const back = /^last(?:-(\d+))?$/.exec(a);
          const t = back ? all[all.length - 1 - Number(back[1] ?? 0)] : all.find((x) => String(x.id) === a);
          if (!t) throw fail(`no connection ${a} on ${label} (ids: ${all.map((x) => x.id).join(", ") || "none"})`);
          return { label: `${t.id}: ${t.label}`, samples: t.samples };
        });
        return tcpTraceBundle(runs, `TCP congestion window (${label})`);
      }
      throw fail(`expected list, trace or cc`);
    },
  };

  return [topology, link, net, tcp];
}
