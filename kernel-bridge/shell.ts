// Shell lines of a cell: typed into the guest's vinit on the serial console,
// the machine run in wall-time slices until the next prompt, the output
// streamed as it appears with the shell's echo of the line, its `[rc N]`
// note and the prompt taken out (ANSI escapes pass through: JupyterLab,
// Notebook and VS Code render colours). The return code decides the cell:
//
//   OK 0 / WARN 5 (any rc < 10)  the cell goes on (a WARN adds a note on stderr)
//   ERROR 10 / FAIL 20 (>= 10)   the cell stops there with ename "ShellError"
//                                and evalue Why's message (AmigaDOS's FailAt 10)
//
// Interrupting: the console has no line discipline, so the bridge plays the
// tty driver's part: Ctrl+C becomes SIGINT to the shell's running programs
// (SIGKILL if they are alive SIGINT_GRACE_MS later), or the Ctrl+C byte when
// the shell (or its pager) is reading the console; the cell ends
// "Interrupted" once the prompt is back, so the shell stays usable.

import type { Kernel } from "../viperdos/kernel/kernel.js";
import type { Process } from "../viperdos/kernel/proc/process.js";
import { ConsoleSession } from "../viperdos/kernel/console/session.js";
import { SIG, sendSignal } from "../viperdos/kernel/proc/signals.js";
import type { Gateway } from "../emulator/net/gateway.js";
import { HostPacer } from "../emulator/net/user-net.js";

/** Longest stretch (wall ms) the machine runs before the event loop gets a turn. */
export const SHELL_SLICE_MS = 20;
/** Wall ms an interrupted program gets to die of SIGINT before SIGKILL. */
export const SIGINT_GRACE_MS = 500;
/** vinit's line buffer (LINE_MAX_LEN 512, with its NUL). */
export const MAX_LINE = 511;
/** A prompt: `<cwd>> ` at the end of the output, cwd starting with an assign. */
const PROMPT_AT_END = /(?:^|\n)([A-Za-z0-9_]+:[^\n]*> )$/;
const RC_LINE = /^\[rc (-?\d+)\]$/;

/** How one typed line ended. */
export interface ShellLineResult {
  /** vinit's return code (0 when it printed none). */
  rc: number;
  /** "prompt": back at the prompt; "interrupted": after Ctrl+C; "input": the command waited for console input (it was interrupted); "ended": the shell exited; "stuck": nothing can happen any more. */
  end: "prompt" | "interrupted" | "input" | "ended" | "stuck";
  /** The prompt that came back (e.g. "SYS:> "), when one did. */
  prompt?: string;
  /** Everything the line printed (echo, rc note and prompt removed). */
  output: string;
}

/**
 * Splits the console text of one typed line into what the user should see:
 * drops the echo (up to the first newline), holds back a partial last line
 * that could be the prompt and a trailing `[rc N]` line until it knows.
 */
export class EchoFilter {
  private echoDone = false;
  private pending = "";
  private shown = "";
  constructor(private readonly emit: (text: string) => void) {}

  /** Console text as it arrives. */
  push(text: string): void {
    if (!this.echoDone) {
      const nl = text.indexOf("\n");
      if (nl < 0) return;
      this.echoDone = true;
      text = text.slice(nl + 1);
    }
    this.pending += text;
    this.release(false);
  }

  /** Emit all but the last partial line and a last `[rc N]` line; with `partial`, emit everything unless the tail looks like a prompt. */
  release(partial: boolean): void {
    let cut = this.pending.lastIndexOf("\n") + 1;
    const tail = this.pending.slice(cut);
    if (partial && tail !== "" && !PROMPT_AT_END.test("\n" + tail)) cut = this.pending.length;
    else {
      // The last complete line "[rc N]" stays until it is known not to be the shell's note.
      const m = /(?:^|\n)(\[rc -?\d+\]\n)$/.exec(this.pending.slice(0, cut));
      if (m) cut -= m[1].length;
    }
    if (cut > 0) this.out(this.pending.slice(0, cut));
    this.pending = this.pending.slice(cut);
  }

  /** At the end of the line: the rc and prompt, with the rest emitted. */
  finish(atPrompt: boolean): { rc: number; prompt?: string } {
    let rc = 0;
    let prompt: string | undefined;
    let rest = this.pending;
    if (atPrompt) {
      const p = PROMPT_AT_END.exec(rest);
      if (p) {
        prompt = p[1];
        rest = rest.slice(0, rest.length - prompt.length);
      }
      const lines = rest.split("\n");
      // rest now ends with "\n" (or is empty): the line before that may be the rc note
      if (lines.length >= 2 && lines[lines.length - 1] === "") {
        const r = RC_LINE.exec(lines[lines.length - 2]);
        if (r) {
          rc = Number(r[1]);
          lines.splice(lines.length - 2, 1);
          rest = lines.join("\n");
        }
      }
    }
    this.pending = "";
    if (rest) this.out(rest);
    return { rc, prompt };
  }

  /** Text held back so far (a partial line, a prompt). */
  pendingText(): string {
    return this.pending;
  }

  /** Everything emitted so far. */
  text(): string {
    return this.shown;
  }

  private out(t: string): void {
    this.shown += t;
    this.emit(t);
  }
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** Clean a cell line for typing: tabs to blanks (a Tab would complete), other control characters out. Returns an error message when it does not fit. */
export function typedLine(line: string): string | { error: string } {
  // eslint-disable-next-line no-control-regex
  const t = line.replace(/\t/g, " ").replace(/[\x00-\x1f\x7f]/g, "");
  if (new TextEncoder().encode(t).length > MAX_LINE) return { error: `line longer than vinit's ${MAX_LINE} bytes` };
  return t;
}

/** The guest shell (vinit, process 1 of the machine) and how to type into it. */
export class GuestShell {
  private ended = false;
  /** The machine's user-mode gateway, if it has a network: lines wait for the host while the guest does. */
  gateway: Gateway | undefined;
  readonly console: ConsoleSession;
  /** The prompt last seen (e.g. "SYS:> "). */
  prompt = "";

  private constructor(private readonly k: Kernel, readonly proc: Process) {
    this.console = new ConsoleSession(k, proc, () => this.ended);
  }

  /**
   * Start SYS:vinit.sys on a booted kernel with disks and run it to its
   * first prompt (S:startup runs first). The kernel's onProcessExit is
   * taken. Returns an error message when vinit cannot start.
   */
  static start(k: Kernel, budgetMs = 60_000): GuestShell | string {
    const p = k.spawnPath("SYS:vinit.sys", "", undefined, "vinit");
    if (typeof p === "number") return `cannot start SYS:vinit.sys (error ${p})`;
    const sh = new GuestShell(k, p);
    k.onProcessExit = (q) => {
      if (q === p) sh.ended = true;
    };
    const t0 = performance.now();
    while (!sh.ended && !sh.console.waitingForInput()) {
      if (performance.now() - t0 > budgetMs) return `vinit did not reach its prompt in ${budgetMs} ms`;
      if (k.runUntil(k.machine.now() + 1e9, () => sh.ended || sh.console.waitingForInput()) === "idle") break;
    }
    if (sh.ended) return "vinit ended during start-up";
    return sh;
  }

  /** True once vinit has exited (EndShell). */
  hasEnded(): boolean {
    return this.ended;
  }

  /** Live processes started by the shell (its descendants): the foreground job. */
  foreground(): Process[] {
    return this.k.processes().filter((p) => {
      if (p.state !== "live" || p === this.proc) return false;
      for (let q = p.parent; q; q = q.parent) if (q === this.proc) return true;
      return false;
    });
  }

  /** Plain data for inspection. */
  snapshot() {
    return { pid: this.proc.pid, ended: this.ended, prompt: this.prompt, foreground: this.foreground().map((p) => ({ pid: p.pid, name: p.name })), console: this.console.snapshot() };
  }

  /**
   * Type `line` (already cleaned by typedLine) and run the machine in wall
   * slices until the prompt is back, streaming the output through `emit`
   * (attachConsole routes the console to `feed`). `signal` aborted means
   * Ctrl+C (see the file comment). `onSlice` runs between slices (live views).
   * With `readInput` (the request allowed stdin), a program waiting for
   * console input gets the line the front end returns; without, it is
   * stopped with Ctrl+C and the result says "input".
   */
  async runLine(line: string, attach: (feed: (text: string) => void) => () => void, emit: (text: string) => void, signal: AbortSignal, onSlice?: () => Promise<void>, readInput?: (prompt: string, password: boolean) => Promise<string>): Promise<ShellLineResult> {
    const k = this.k;
    const filter = new EchoFilter(emit);
    const detach = attach((t) => filter.push(t));
    let interruptedAt: number | undefined;
    let why: "interrupted" | "input" | undefined;
    let end: ShellLineResult["end"] = "prompt";
    const pacer = new HostPacer(k.machine, this.gateway);
    try {
      k.typeInput(line + "\n");
      for (;;) {
        if (this.ended) {
          end = "ended";
          break;
        }
        const fg = this.foreground();
        if (signal.aborted && interruptedAt === undefined) {
          interruptedAt = performance.now();
          why ??= "interrupted";
          this.ctrlC(fg);
        } else if (interruptedAt !== undefined && fg.length > 0 && performance.now() - interruptedAt > SIGINT_GRACE_MS) {
          for (const p of fg) sendSignal(k, p, SIG.KILL, 0);
        }
        if (this.console.waitingForInput()) {
          const atPrompt = fg.length === 0 && PROMPT_AT_END.test("\n" + filter.pendingText());
          if (atPrompt) break;
          if (interruptedAt === undefined && readInput) {
            // A program reads the console: ask the front end for a line (input_request) and type it.
            try {
              const line = await readInput("", false);
              k.typeInput(line.replace(/\r?\n$/, "") + "\n");
              continue;
            } catch {
              // interrupted while waiting: Ctrl+C below
            }
          }
          if (interruptedAt === undefined) {
            // A program (or the pager) waits for a key a cell cannot type: treat as Ctrl+C.
            why = signal.aborted ? "interrupted" : "input";
            interruptedAt = performance.now();
            this.ctrlC(fg);
          }
        }
        const deadline = performance.now() + SHELL_SLICE_MS;
        // The wall-clock slice is a pause (taken between rounds): slicing never changes the run. So
        // is the guest waiting on a host socket: then the host's answer (or HOST_WAIT_MS) resumes it.
        const r = k.runUntil(pacer.begin(k.machine.now()), () => this.ended || this.console.waitingForInput(), () => performance.now() >= deadline || pacer.pauseForHost());
        if (pacer.waiting) {
          if (!this.console.waitingForInput()) filter.release(true);
          await pacer.wait();
          continue;
        }
        if (r === "idle" && !this.console.waitingForInput() && !this.ended) {
          end = "stuck";
          break;
        }
        if (!this.console.waitingForInput()) filter.release(true);
        if (onSlice) await onSlice();
        await yieldToEventLoop();
      }
    } finally {
      detach();
    }
    const f = filter.finish(end === "prompt");
    if (f.prompt) this.prompt = f.prompt;
    if (end === "prompt" && why) end = why;
    return { rc: f.rc, end, prompt: f.prompt, output: filter.text() };
  }

  /** Ctrl+C: SIGINT to the running programs, or the Ctrl+C byte to whoever reads the console. */
  private ctrlC(fg: Process[]): void {
    if (fg.length > 0) for (const p of fg) sendSignal(this.k, p, SIG.INT, 0);
    else this.k.typeInput("\x03");
  }
}
