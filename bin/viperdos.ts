// The one command-line entry point (bin/viperdos execs this file). Each
// subcommand is a row of the table below: name, summary, usage, handler.
// Exit status: the handler's; 2 for usage errors.

import { readFileSync, readSync } from "node:fs";
import { out } from "./io.js";
import { ElfError } from "../emulator/linux-user/elf.js";
import { runLinuxElf, RunElfResult } from "../emulator/linux-user/process.js";
import { buildGuest, GuestBuildError } from "../viperdos/tools/build-guest.js";
import { bootCommand, runCommand } from "./kernel-commands.js";
import { fsCommand, fsckCommand, mkfsCommand } from "./fs-commands.js";
import { kernelCommand } from "./jupyter-commands.js";

interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit status. */
  run(args: string[]): number;
}

/** Copy bytes to a host file descriptor in full (pipes: short writes, EAGAIN). */
const writeAll = (fd: number, b: Uint8Array): void => out(fd, b);

/** Host stdin for the guest, read on demand (blocking, like a real read(2)). */
function readStdin(max: number): Uint8Array {
  const buf = Buffer.alloc(Math.min(max, 65536));
  for (;;) {
    try {
      const n = readSync(0, buf, 0, buf.length, null);
      return buf.subarray(0, n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      if (code === "EOF") return new Uint8Array(0);
      throw e;
    }
  }
}

function stderrLine(s: string): void {
  writeAll(2, new TextEncoder().encode(s + "\n"));
}

function printStats(r: RunElfResult): void {
  const mips = r.wallMs > 0 ? r.retired / r.wallMs / 1000 : 0;
  stderrLine(
    `run-elf: ${r.retired} instructions, virtual time ${(r.virtualNs / 1e6).toFixed(3)} ms, ` +
      `wall ${r.wallMs.toFixed(1)} ms, ${mips.toFixed(1)} MIPS, ${r.residentPages} pages resident`,
  );
}

/** Run an ELF with the host's stdio; returns the exit status (2 for a bad file). */
function runElfFile(path: string, argv: string[], stats: boolean, maxInsns?: number): number {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    stderrLine(`run-elf: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return 2;
  }
  try {
    const r = runLinuxElf(bytes, argv, {
      stdout: (b) => writeAll(1, b),
      stderr: (b) => writeAll(2, b),
      stdin: readStdin,
      maxInsns,
    });
    if (stats) printStats(r);
    return r.status;
  } catch (e) {
    if (e instanceof ElfError) {
      stderrLine(`run-elf: ${path}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

const runElf: Command = {
  name: "run-elf",
  summary: "run a static AArch64 Linux executable on the emulator",
  usage: [
    "usage: viperdos run-elf [--stats] [--max-insns N] FILE [ARGS...]",
    "",
    "Runs FILE (a static AArch64 ELF) at EL0 with a Linux system-call layer,",
    "like qemu-aarch64. The guest's stdout/stderr go to ours; its exit status",
    "is ours. A malformed or non-AArch64 file exits 2; a guest fault prints",
    "'run-elf: <kind> at pc=...' and exits 139.",
    "",
    "  --stats          print instructions retired, virtual time and MIPS on stderr",
    "  --max-insns N    stop the guest after N instructions (exit 124)",
  ].join("\n"),
  run(args) {
    let stats = false;
    let maxInsns: number | undefined;
    let i = 0;
    for (; i < args.length; i++) {
      if (args[i] === "--stats") stats = true;
      else if (args[i] === "--max-insns" && i + 1 < args.length && /^\d+$/.test(args[i + 1])) maxInsns = Number(args[++i]);
      else if (args[i] === "--") {
        i++;
        break;
      } else if (args[i].startsWith("--")) {
        stderrLine(`run-elf: unknown option ${args[i]}\n${this.usage}`);
        return 2;
      } else break;
    }
    if (i >= args.length) {
      stderrLine(this.usage);
      return 2;
    }
    return runElfFile(args[i], args.slice(i), stats, maxInsns);
  },
};

const demo: Command = {
  name: "demo",
  summary: "build and run the demo guest program (primes, a Mandelbrot set)",
  usage: ["usage: viperdos demo [--stats]", "", "Builds viperdos/user/programs/demo.c with clang and runs it on the emulator."].join("\n"),
  run(args) {
    if (args.some((a) => a !== "--stats")) {
      stderrLine(this.usage);
      return 2;
    }
    let path: string;
    try {
      path = buildGuest({ name: "demo", sources: ["viperdos/user/programs/demo.c"], opt: "-O2" });
    } catch (e) {
      if (e instanceof GuestBuildError) {
        stderrLine(e.message);
        return 1;
      }
      throw e;
    }
    return runElfFile(path, ["demo"], args.includes("--stats"));
  },
};

const help: Command = {
  name: "help",
  summary: "list the commands, or show one command's usage",
  usage: "usage: viperdos help [COMMAND]",
  run(args) {
    if (args.length > 0) {
      const c = COMMANDS.find((x) => x.name === args[0]);
      if (!c) {
        stderrLine(`viperdos: unknown command '${args[0]}'\n${overview()}`);
        return 2;
      }
      console.log(c.usage);
      return 0;
    }
    console.log(overview());
    return 0;
  },
};

const COMMANDS: Command[] = [bootCommand, runCommand, kernelCommand, runElf, demo, mkfsCommand, fsckCommand, fsCommand, help];

function overview(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: viperdos <command> [args...]     (viperdos <command> --help for details)",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
  ].join("\n");
}

/** Dispatch `argv` (without node and script) to a subcommand; returns the exit status. */
export function main(argv: string[]): number {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    stderrLine(`viperdos: unknown command '${name}'\n${overview()}`);
    return 2;
  }
  if (rest[0] === "--help" || rest[0] === "-h") {
    console.log(cmd.usage);
    return 0;
  }
  return cmd.run(rest);
}

process.exitCode = main(process.argv.slice(2));
