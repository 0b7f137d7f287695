// The shell's figures (issue 6): boot to the `SYS:> ` prompt, a built-in
// command's round trip from typed line to next prompt, and `hello` (Run of a
// small program from C:), on the real disks (build/images) and the default
// 4-CPU machine: wall clock, with the virtual time the guest saw beside it.
// Then the figures the benchmark programs on C: print (ctxbench, ipcbench,
// fiobench), which are virtual time measured in the guest with TIME_NOW_NS.

import { Kernel } from "../viperdos/kernel/kernel.js";
import { ConsoleSession } from "../viperdos/kernel/console/session.js";
import { buildBootImages } from "../viperdos/tools/images.js";
import { median, type Emit } from "./report.js";

interface Booted {
  k: Kernel;
  session: ConsoleSession;
  out: () => string;
}

function bootShell(images: { sys: string; user: string }): Booted {
  let text = "";
  const k = new Kernel({ onConsole: (b) => (text += Buffer.from(b).toString("latin1")), disks: images });
  k.boot();
  const shell = k.spawnPath("SYS:vinit.sys", "", undefined, "vinit");
  if (typeof shell === "number") throw new Error(`bench shell: cannot start vinit (${shell})`);
  let ended = false;
  k.onProcessExit = (p) => {
    if (p === shell) ended = true;
  };
  return { k, session: new ConsoleSession(k, shell, () => ended), out: () => text };
}

export function benchShell(emit: Emit, reps = 5): void {
  const images = buildBootImages();
  const boots: number[] = [];
  const bootVirtual: number[] = [];
  const echoes: number[] = [];
  const echoVirtual: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const b = bootShell(images);
    b.session.runToWait();
    boots.push(performance.now() - t0);
    bootVirtual.push(b.k.machine.now());
    if (!b.out().endsWith("SYS:> ")) throw new Error(`bench shell: no prompt after boot: ${JSON.stringify(b.out().slice(-80))}`);
    for (let j = 0; j < 20; j++) {
      const before = b.out().length;
      const v0 = b.k.machine.now();
      const t1 = performance.now();
      b.k.typeInput("Echo hi\n");
      b.session.runToWait();
      echoes.push(performance.now() - t1);
      echoVirtual.push(b.k.machine.now() - v0);
      if (!b.out().slice(before).includes("hi\n")) throw new Error("bench shell: Echo printed nothing");
    }
  }
  const runs: number[] = [];
  const runVirtual: number[] = [];
  const b = bootShell(images);
  b.session.runToWait();
  for (let j = 0; j < 10; j++) {
    const before = b.out().length;
    const v0 = b.k.machine.now();
    const t1 = performance.now();
    b.k.typeInput("hello\n");
    b.session.runToWait();
    runs.push(performance.now() - t1);
    runVirtual.push(b.k.machine.now() - v0);
    if (!b.out().slice(before).includes("Hello from ViperDOS!")) throw new Error("bench shell: hello printed nothing");
  }
  emit({ name: "shell.boot_to_prompt", value: median(boots), unit: "ms", clock: "wall", note: `median of ${reps}, 4 CPUs, sys.img + user.img; target <= 150 ms` });
  emit({ name: "shell.boot_to_prompt", value: median(bootVirtual) / 1e6, unit: "ms", clock: "virtual" });
  emit({ name: "shell.echo_round_trip", value: median(echoes), unit: "ms", clock: "wall", note: "typed 'Echo hi' to the next prompt; target <= 5 ms" });
  emit({ name: "shell.echo_round_trip", value: median(echoVirtual) / 1e3, unit: "us", clock: "virtual" });
  emit({ name: "shell.run_hello", value: median(runs), unit: "ms", clock: "wall", note: "typed 'hello' (C:hello.prg: load, run, exit) to the next prompt; upstream ~35 ms" });
  emit({ name: "shell.run_hello", value: median(runVirtual) / 1e3, unit: "us", clock: "virtual" });
  benchPrograms(emit, b);
}

/** The figures the guest benchmark programs print, as "<name>.<figure>" (virtual time, 4 CPUs). */
function benchPrograms(emit: Emit, b: Booted): void {
  const run = (line: string): string => {
    const before = b.out().length;
    b.k.typeInput(`${line}\n`);
    b.session.runToWait();
    const out = b.out().slice(before);
    if (out.includes("[rc ")) throw new Error(`bench shell: ${line} failed: ${out}`);
    return out;
  };
  const pick = (out: string, re: RegExp, what: string): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`bench shell: no ${what} in ${JSON.stringify(out)}`);
    return Number(m[1]);
  };
  const ctx = run("ctxbench 5000");
  emit({ name: "prog.ctxbench.yield", value: pick(ctx, /yield alone +([\d.]+) ns/, "yield"), unit: "ns", clock: "virtual", note: "TASK_YIELD with no other task on the CPU" });
  emit({ name: "prog.ctxbench.switch", value: pick(ctx, /switch +([\d.]+) ns/, "switch"), unit: "ns", clock: "virtual", note: "TASK_YIELD ping-pong of two processes on CPU 0" });
  const ipc = run("ipcbench 500");
  for (const size of [8, 512, 8192]) {
    const rt = pick(ipc, new RegExp(`size +${size} bytes: round trip ([\\d.]+) us`), `ipc ${size}`);
    emit({ name: `prog.ipcbench.rt_${size}`, value: rt, unit: "us", clock: "virtual", note: `channel ping-pong of ${size}-byte messages between two processes` });
  }
  const fio = run("fiobench 1024 64");
  emit({ name: "prog.fiobench.write", value: pick(fio, /sequential write +([\d.]+) MB\/s/, "write"), unit: "MB/s", clock: "virtual", note: "1 MiB in 4 KiB writes + fsync, T:" });
  emit({ name: "prog.fiobench.read", value: pick(fio, /sequential read +([\d.]+) MB\/s/, "read"), unit: "MB/s", clock: "virtual" });
  emit({ name: "prog.fiobench.small_files", value: pick(fio, /fsync +([\d.]+) files\/s/, "files"), unit: "files/s", clock: "virtual", note: "create + 100 B write + fsync + close; the cost model charges no disk time" });
}
