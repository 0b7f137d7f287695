// `viperdos boot` and `viperdos run`: the ViperDOS kernel on the emulated
// machine, from the command line.

import { readFileSync } from "node:fs";
import { out } from "./io.js";
import { ConsoleSession } from "../viperdos/kernel/console/session.js";
import { basename } from "node:path";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { parseElf } from "../viperdos/kernel/mm/elf.js";
import { buildBootImages } from "../viperdos/tools/images.js";
import type { Process } from "../viperdos/kernel/proc/process.js";
import { SIG, sendSignal } from "../viperdos/kernel/proc/signals.js";
import { attachGateway, NET_OPTIONS, parseNetArgs, runPipedWithHost } from "./boot-net.js";
import { HOST_WAIT_MS, HostPacer } from "../emulator/net/user-net.js";
import type { Gateway } from "../emulator/net/gateway.js";

export interface KernelCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): number;
}

interface MachineArgs {
  cpus: number;
  ramMiB: number;
  seed: number;
  rest: string[];
}

const MACHINE_OPTIONS = [
  "  --cpus N     CPUs, 1..4 (default 4)",
  "  --mem MIB    RAM in MiB (default 128)",
  "  --seed S     seed of every random device (default 1): same seed, same run",
];


/** Parse the machine options in front of the positional arguments; a string is a usage error. */
function parseMachineArgs(args: string[]): MachineArgs | string {
  const m: MachineArgs = { cpus: 4, ramMiB: 128, seed: 1, rest: [] };
  let i = 0;
  for (; i < args.length && args[i].startsWith("--"); i++) {
    const opt = args[i];
    if (opt === "--") {
      i++;
      break;
    }
    const v = args[i + 1];
    if (v === undefined || !/^\d+$/.test(v)) return `${opt} needs a number`;
    const num = Number(v);
    i++;
    if (opt === "--cpus") {
      if (num < 1 || num > 4) return "--cpus must be 1..4";
      m.cpus = num;
    } else if (opt === "--mem") {
      if (num < 16 || num > 2048) return "--mem must be 16..2048 MiB";
      m.ramMiB = num;
    } else if (opt === "--seed") m.seed = num;
    else return `unknown option ${opt}`;
  }
  m.rest = args.slice(i);
  return m;
}

export const bootCommand: KernelCommand = {
  name: "boot",
  summary: "boot ViperDOS to the vinit shell on the serial console",
  usage: [
    "usage: viperdos boot [--cpus N] [--mem MIB] [--seed S] [--no-net] [--hostfwd H:G]",
    "",
    "Boots the virt machine with build/images/sys.img (SYS:, D0:) and",
    "user.img (D1:, C: S: L: T: CERTS:), built by build-guest, and runs",
    "SYS:vinit.sys, the shell, as process 1 on the serial console.",
    "In a terminal, keys go to the guest raw; Ctrl+A X quits. Ctrl+C goes to",
    "whoever reads the console (the shell drops the line); a running program",
    "that does not read it is stopped with SIGINT (the shell says ***Break).",
    "With piped input the bytes are typed into the console; when they are",
    "used up and the shell waits for more, the machine powers off (exit 0):",
    "  printf 'Version\\nDir C:\\n' | viperdos boot",
    "EndShell in the shell also powers off.",
    "",
    ...MACHINE_OPTIONS,
    ...NET_OPTIONS,
  ].join("\n"),
  run(args) {
    const na = parseNetArgs(args);
    if (typeof na === "string") {
      out(2, `boot: ${na}\n${this.usage}\n`);
      return 2;
    }
    const m = parseMachineArgs(na.rest);
    if (typeof m === "string" || m.rest.length > 0) {
      out(2, `boot: ${typeof m === "string" ? m : "unexpected arguments"}\n${this.usage}\n`);
      return 2;
    }
    let images: { sys: string; user: string };
    try {
      images = buildBootImages();
    } catch (e) {
      out(2, `boot: cannot build the boot disks: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
    // libuv's raw mode keeps output post-processing (ONLCR), so \n needs no translation here.
    if (tty) process.stdin.setRawMode(true);
    const k = new Kernel({ cpus: m.cpus, ramMiB: m.ramMiB, seed: m.seed, onConsole: (b) => out(1, b), disks: { sys: images.sys, user: images.user }, nic: na.net });
    const gw = na.net ? attachGateway(k, na.hostfwd) : undefined;
    k.boot();
    const shell = k.spawnPath("SYS:vinit.sys", "", undefined, "vinit");
    if (typeof shell === "number") {
      if (tty) process.stdin.setRawMode(false);
      out(2, `boot: cannot start SYS:vinit.sys (error ${shell})\n`);
      return 2;
    }
    let ended = false;
    k.onProcessExit = (p) => {
      if (p === shell) ended = true;
    };
    const session = new ConsoleSession(k, shell, () => ended);
    if (!tty) {
      // Piped input: type it all, run until the shell ends or waits for input that will never come.
      let input: Uint8Array;
      try {
        input = new Uint8Array(readFileSync(0));
      } catch {
        input = new Uint8Array(0);
      }
      k.typeInput(input);
      const powerOff = (): void => {
        if (!ended) {
          out(1, "\n"); // the last prompt has no newline
          k.log("input exhausted; powering off");
        }
      };
      if (!gw) {
        session.runToWait();
        powerOff();
        return 0;
      }
      void runPipedWithHost(k, session, gw, () => ended)
        .then(powerOff)
        .finally(() => void gw.close());
      return 0;
    }
    runInteractive(k, session, shell, () => ended, gw);
    return 0;
  },
};

/** How far (virtual ns) the terminal lets virtual time lag the wall clock before re-anchoring (see runInteractive). */
const TTY_MAX_LAG_NS = 20_000_000;
/** Longest stretch (wall ms) the machine runs before the terminal's keys get a turn. */
const TTY_SLICE_MS = 20;
/** Wall ms a program stopped with Ctrl+C gets to die of SIGINT before SIGKILL. */
const TTY_SIGINT_GRACE_MS = 500;

/**
 * Raw terminal: keys to the guest, Ctrl+A X quits (Ctrl+A Ctrl+A sends one
 * Ctrl+A). The machine runs in wall slices, so keys are seen while a program
 * runs. Ctrl+C plays the tty driver's part: the byte goes to the guest when
 * the shell or a program is reading the console (vinit drops the line, edit
 * sees a key); when the shell's programs run without reading it, they get
 * SIGINT (SIGKILL if still alive TTY_SIGINT_GRACE_MS later).
 */
function runInteractive(k: Kernel, session: ConsoleSession, shell: Process, ended: () => boolean, gw?: Gateway): void {
  const stdin = process.stdin;
  let done = false;
  const finish = (why: string): void => {
    done = true;
    void gw?.close();
    stdin.setRawMode(false);
    stdin.pause();
    out(1, `\n[viperdos: ${why}]\n`);
    process.exitCode = 0;
  };
  /** The shell's descendants still alive (what a tty calls the foreground job). */
  const foreground = (): Process[] =>
    k.processes().filter((p) => {
      if (p.state !== "live" || p === shell) return false;
      for (let q = p.parent; q; q = q.parent) if (q === shell) return true;
      return false;
    });
  const readingConsole = (ps: Process[]): boolean => k.allTasks().some((t) => ps.includes(t.process) && t.state === "blocked" && t.wait?.kind === "console");
  let pumping = false;
  /** Run one slice; schedule the next while the guest is busy. */
  // In a terminal, virtual time does not run ahead of the wall clock while every CPU is idle: a
  // program's sleep or timeout lasts as long as it says, and a terminal's answer to a query (edit's
  // size request) arrives before the query times out, as on a real machine. A busy machine runs as
  // fast as it can; virtual time then lags, and the anchor moves up once the lag passes TTY_MAX_LAG_NS.
  let anchorWall = performance.now();
  let anchorVirtual = k.machine.now();
  const allowedNs = (): number => anchorVirtual + (performance.now() - anchorWall) * 1e6;
  const idleAhead = (): boolean => {
    const next = k.machine.clock.nextEventNs();
    return next !== undefined && next > allowedNs() && k.machine.quiescent();
  };
  const pacer = new HostPacer(k.machine, gw);
  const pump = (): void => {
    pumping = false;
    if (done) return;
    if (allowedNs() - k.machine.now() > TTY_MAX_LAG_NS) {
      anchorWall = performance.now();
      anchorVirtual = k.machine.now();
    }
    const deadline = performance.now() + TTY_SLICE_MS;
    while (!ended() && !session.waitingForInput() && performance.now() < deadline) {
      // The wall-clock slice is a pause (between rounds), so slicing never changes the run; so are
      // the guest waiting on a host socket (the host's answer or a short wall wait resumes it) and
      // an idle machine whose next event lies ahead of the wall clock.
      const why = k.runUntil(
        pacer.begin(k.machine.now()),
        () => ended() || session.waitingForInput(),
        () => performance.now() >= deadline || pacer.pauseForHost() || idleAhead(),
      );
      if (why === "idle" || pacer.stepping || pacer.waiting || idleAhead()) break; // nothing to do until a key, the host or the clock
    }
    if (ended()) return finish("shell ended, powered off");
    if (pacer.waiting && !pumping) {
      pumping = true;
      pacer.waitedElsewhere();
      setTimeout(pump, HOST_WAIT_MS);
    } else if (idleAhead() && !pumping) {
      pumping = true;
      const waitMs = ((k.machine.clock.nextEventNs() ?? 0) - allowedNs()) / 1e6;
      setTimeout(pump, Math.max(1, Math.min(TTY_SLICE_MS, waitMs)));
    } else if (!session.waitingForInput() && !pumping) {
      pumping = true;
      setImmediate(pump);
    }
  };
  gw?.onHostActivity(() => {
    if (!pumping && !done) pump();
  });
  const ctrlC = (): void => {
    const fg = foreground();
    if (fg.length === 0 || readingConsole(fg)) {
      k.typeInput("\x03");
      return;
    }
    const depth = (p: Process): number => (p.parent ? depth(p.parent) + 1 : 0);
    fg.sort((a, b) => depth(b) - depth(a)); // children first: their parent still waits for them
    for (const p of fg) sendSignal(k, p, SIG.INT, 0);
    setTimeout(() => {
      for (const p of fg) if (p.state === "live") sendSignal(k, p, SIG.KILL, 0);
      if (!pumping) pump();
    }, TTY_SIGINT_GRACE_MS);
  };
  let ctrlA = false;
  stdin.on("data", (chunk: Buffer) => {
    const keys: number[] = [];
    for (const b of chunk) {
      if (ctrlA) {
        ctrlA = false;
        if (b === 0x78 || b === 0x58) return finish("quit (Ctrl+A X), powered off");
        keys.push(b === 0x01 ? 0x01 : b);
        continue;
      }
      if (b === 0x01) ctrlA = true;
      else if (b === 0x03) {
        if (keys.length > 0) k.typeInput(Uint8Array.from(keys.splice(0)));
        ctrlC();
      } else keys.push(b);
    }
    if (keys.length > 0) k.typeInput(Uint8Array.from(keys));
    if (!pumping) pump();
  });
  stdin.resume();
  pump();
}

export const runCommand: KernelCommand = {
  name: "run",
  summary: "boot ViperDOS and run a program as the first user process",
  usage: [
    "usage: viperdos run [--cpus N] [--mem MIB] [--seed S] [--program NAME=FILE]... PROGRAM.elf [ARGS...]",
    "",
    "Boots the kernel and runs PROGRAM (a static AArch64 ViperDOS ELF, built",
    "with build-guest's os: \"viperdos\") as process 1; ARGS reach it through",
    "GET_ARGS. Its output appears on the serial console (stdout) after the boot",
    "log. Exits with the program's exit status; a program killed by a fault",
    "exits 139 after the kernel's report; a malformed file exits 2.",
    "",
    ...MACHINE_OPTIONS,
    "  --program NAME=FILE  put FILE in the boot image as NAME, for TASK_SPAWN",
  ].join("\n"),
  run(args) {
    // --program NAME=FILE options go first; the machine options parser sees the rest.
    const programs = new Map<string, Uint8Array>();
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === "--program") {
        const spec = args[++i] ?? "";
        const eq = spec.indexOf("=");
        if (eq <= 0) {
          out(2, `run: --program needs NAME=FILE\n${this.usage}\n`);
          return 2;
        }
        try {
          programs.set(spec.slice(0, eq), new Uint8Array(readFileSync(spec.slice(eq + 1))));
        } catch (e) {
          out(2, `run: cannot read ${spec.slice(eq + 1)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
          return 2;
        }
      } else rest.push(args[i]);
    }
    const m = parseMachineArgs(rest);
    if (typeof m === "string" || m.rest.length === 0) {
      out(2, `run: ${typeof m === "string" ? m : "missing PROGRAM"}\n${this.usage}\n`);
      return 2;
    }
    const [path, ...progArgs] = m.rest;
    let image: Uint8Array;
    try {
      image = new Uint8Array(readFileSync(path));
    } catch (e) {
      out(2, `run: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return 2;
    }
    const check = parseElf(image, path);
    if (!check.ok) {
      out(2, `run: ${path}: ${check.reason}\n`);
      return 2;
    }
    const r = runProgram(basename(path).replace(/\.[a-z]+$/, ""), image, {
      cpus: m.cpus,
      ramMiB: m.ramMiB,
      seed: m.seed,
      args: progArgs.join(" "),
      programs,
      onConsole: (b) => out(1, b),
    });
    if (r.exitCode === undefined) {
      out(2, `run: ${r.reason}\n`);
      return r.reason === "time limit" ? 124 : 2;
    }
    if (r.exitCode === -1) return 139;
    return r.exitCode & 0xff;
  },
};
