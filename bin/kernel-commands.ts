// `viperdos boot` and `viperdos run`: the ViperDOS kernel on the emulated
// machine, from the command line.

import { readFileSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { parseElf } from "../viperdos/kernel/mm/elf.js";

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

function out(fd: number, s: string | Uint8Array): void {
  const b = typeof s === "string" ? new TextEncoder().encode(s) : s;
  for (let at = 0; at < b.length; ) {
    try {
      at += writeSync(fd, b, at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      return;
    }
  }
}

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
  summary: "boot ViperDOS on the emulated machine and print the boot log",
  usage: [
    "usage: viperdos boot [--cpus N] [--mem MIB] [--seed S]",
    "",
    "Builds the virt machine, starts the kernel and prints its boot log on the",
    "serial console (stdout). Until the file system and the shell exist there",
    "is no init program, so the machine powers off after booting.",
    "",
    ...MACHINE_OPTIONS,
  ].join("\n"),
  run(args) {
    const m = parseMachineArgs(args);
    if (typeof m === "string" || m.rest.length > 0) {
      out(2, `boot: ${typeof m === "string" ? m : "unexpected arguments"}\n${this.usage}\n`);
      return 2;
    }
    const k = new Kernel({ cpus: m.cpus, ramMiB: m.ramMiB, seed: m.seed, onConsole: (b) => out(1, b) });
    k.boot();
    k.runUntil(10_000_000); // 10 ms of virtual time: every CPU takes its first ticks
    k.log("no init program yet (the shell arrives with the file system); powering off");
    return 0;
  },
};

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
