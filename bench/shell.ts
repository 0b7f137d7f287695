// The shell's figures (issue 6): boot to the `SYS:> ` prompt and a built-in
// command's round trip from typed line to next prompt, on the real disks
// (build/images) and the default 4-CPU machine. Wall clock, with the virtual
// time the guest saw beside it.

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
  emit({ name: "shell.boot_to_prompt", value: median(boots), unit: "ms", clock: "wall", note: `median of ${reps}, 4 CPUs, sys.img + user.img; target <= 150 ms` });
  emit({ name: "shell.boot_to_prompt", value: median(bootVirtual) / 1e6, unit: "ms", clock: "virtual" });
  emit({ name: "shell.echo_round_trip", value: median(echoes), unit: "ms", clock: "wall", note: "typed 'Echo hi' to the next prompt; target <= 5 ms" });
  emit({ name: "shell.echo_round_trip", value: median(echoVirtual) / 1e3, unit: "us", clock: "virtual" });
}
