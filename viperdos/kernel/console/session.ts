// A console session: the shell process on a kernel, run in slices between
// host input events (keys typed in a terminal, a pipe, a notebook cell).

import type { Kernel } from "../kernel.js";
import type { Process } from "../proc/process.js";

/**
 * The shell's process on a kernel, run in slices between host input events.
 * waitingForInput(): every CPU idle (no interrupt pending), no console input and a
 * task (the shell or a program it runs) blocked reading the console —
 * nothing can happen until a key arrives.
 */
export class ConsoleSession {
  constructor(private readonly k: Kernel, private readonly shell: Process, private readonly ended: () => boolean) {}

  waitingForInput(): boolean {
    const k = this.k;
    if (k.machine.uart.pendingInput > 0 || k.console.input.length > 0) return false;
    // An idle CPU with its interrupt line high (e.g. the UART's receive interrupt) runs next round.
    if (!k.machine.quiescent()) return false;
    // The shell, or a program it runs, reads the console.
    return this.k.allTasks().some((t) => t.state === "blocked" && t.wait?.kind === "console");
  }

  /** Plain data for inspection: is the shell waiting for a key, has it ended, bytes not yet read. */
  snapshot(): { waitingForInput: boolean; ended: boolean; pendingInput: number; shellPid: number } {
    return {
      waitingForInput: this.waitingForInput(),
      ended: this.ended(),
      pendingInput: this.k.machine.uart.pendingInput + this.k.console.input.length,
      shellPid: this.shell.pid,
    };
  }

  /** Run until the shell ends or waits for console input. Returns true when the shell ended. */
  runToWait(): boolean {
    while (!this.ended() && !this.waitingForInput()) {
      const why = this.k.runUntil(this.k.machine.now() + 1e9, () => this.ended() || this.waitingForInput());
      if (why === "idle") break; // nothing can ever happen again (every task blocked, no event pending)
    }
    return this.ended();
  }
}

