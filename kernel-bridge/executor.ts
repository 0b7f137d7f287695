// The cell executor: a Session owns one ViperDOS kernel (booted with the
// defaults on first use) and runs a cell's lines. Until the shell exists,
// only magics (%name args) run; any other line is an error that lists them.
// Output goes to the sinks the caller passes in, so nothing here touches a
// socket (tests pass fakes). Long work runs in slices of at most SLICE_MS of
// wall time with the event loop turning in between, so heartbeats and
// interrupt_request stay live; an interrupt aborts `signal`.

import { Kernel } from "../viperdos/kernel/kernel.js";
import type { ErrorContent, MimeBundle } from "./protocol.js";
import { findMagic, MAGICS, MagicError, magicHelp, tokenize } from "./magics.js";

/** Where a running cell's output goes (tslab's habit: injected, never a socket). */
export interface OutputSinks {
  /** Text on the cell's stdout or stderr, as it appears. */
  writeStream(name: "stdout" | "stderr", text: string): void;
  /** A rich display (display_data); text/plain is always present. */
  writeDisplay(data: MimeBundle, metadata?: Record<string, unknown>): void;
}

export type ExecuteOutcome = { status: "ok"; result?: MimeBundle } | ({ status: "error" } & ErrorContent);

/** What the request handlers need from an executor (handlers.ts). */
export interface CellExecutor {
  /** Run `code`; resolves (never rejects) with the outcome. An aborted `signal` ends it with ename "Interrupted". */
  execute(code: string, sinks: OutputSinks, signal: AbortSignal): Promise<ExecuteOutcome>;
  /** Completions of the word before `cursorPos` (magic names for now). */
  complete(code: string, cursorPos: number): { matches: string[]; cursor_start: number; cursor_end: number };
  /** Help for the magic under `cursorPos`, or undefined. */
  inspect(code: string, cursorPos: number): MimeBundle | undefined;
  /** is_complete_request's status for `code`. */
  isComplete(code: string): "complete" | "incomplete" | "invalid" | "unknown";
  /** Release the machine (shutdown). */
  shutdown(): void;
}

/** Longest stretch (wall ms) the machine runs before the event loop gets a turn. */
export const SLICE_MS = 20;

export interface MachineConfig {
  cpus: number;
  ramMiB: number;
  seed: number;
}

export const DEFAULT_MACHINE: MachineConfig = { cpus: 4, ramMiB: 128, seed: 1 };

/** Thrown by work that noticed an aborted signal. */
export class Interrupted extends Error {
  constructor() {
    super("the cell was interrupted");
    this.name = "Interrupted";
  }
}

/** One notebook's machine and kernel. */
export class Session {
  kernel: Kernel | undefined;
  config: MachineConfig = { ...DEFAULT_MACHINE };
  /** Cells run so far (for snapshots). */
  cells = 0;
  private consoleSink: ((text: string) => void) | undefined;
  private decoder = new TextDecoder();

  /** Send the guest console (UART) to `sink` until the returned function is called. */
  attachConsole(sink: (text: string) => void): () => void {
    this.consoleSink = sink;
    return () => {
      if (this.consoleSink === sink) this.consoleSink = undefined;
    };
  }

  /**
   * Build a fresh machine with `config`, boot the kernel and let every CPU
   * take its first ticks (10 ms virtual); the boot log goes to the console
   * sink. The previous machine, if any, is dropped.
   */
  boot(config: MachineConfig = this.config): Kernel {
    this.config = { ...config };
    this.decoder = new TextDecoder();
    const k = new Kernel({
      cpus: config.cpus,
      ramMiB: config.ramMiB,
      seed: config.seed,
      onConsole: (b) => this.consoleSink?.(this.decoder.decode(b, { stream: true })),
    });
    this.kernel = k;
    k.boot();
    k.runUntil(k.machine.now() + 10_000_000);
    return k;
  }

  /** The kernel, booting one with the current config first if there is none. */
  ensureKernel(): Kernel {
    return this.kernel ?? this.boot();
  }

  /** Plain data for notebooks and tests. */
  snapshot() {
    return { booted: this.kernel !== undefined, config: { ...this.config }, cells: this.cells, virtualNs: this.kernel?.machine.now() ?? 0 };
  }
}

function errorOutcome(ename: string, evalue: string, extra: string[] = []): ExecuteOutcome {
  return { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`, ...extra] };
}

/** A line that is neither blank nor a comment nor a magic (the shell's, later). */
function isShellLine(line: string): boolean {
  const t = line.trim();
  return t !== "" && !t.startsWith("#") && !t.startsWith("%");
}

/** The executor over one Session: magics now, shell lines when the shell exists. */
export class MagicExecutor implements CellExecutor {
  constructor(readonly session = new Session()) {}

  async execute(code: string, sinks: OutputSinks, signal: AbortSignal): Promise<ExecuteOutcome> {
    this.session.cells++;
    const lines = code.split("\n");
    const shell = lines.filter(isShellLine);
    if (shell.length > 0) {
      return errorOutcome("ShellNotAvailable", `the ViperDOS shell is not available yet, so "${shell[0].trim()}" cannot run; use the magics`, magicHelp().split("\n"));
    }
    let result: MimeBundle | undefined;
    for (const line of lines) {
      const t = line.trim();
      if (!t.startsWith("%")) continue;
      if (signal.aborted) return errorOutcome("Interrupted", "the cell was interrupted");
      const words = tokenize(t.slice(1));
      if (typeof words === "string") return errorOutcome("UsageError", words);
      const [name, ...args] = words;
      const magic = findMagic(name ?? "");
      if (!magic) return errorOutcome("UsageError", `unknown magic %${name ?? ""}`, magicHelp().split("\n"));
      try {
        if (args.includes("--help") || args.includes("-h")) {
          sinks.writeStream("stdout", magic.usage + "\n");
          continue;
        }
        result = (await magic.run({ session: this.session, args, sinks, signal })) ?? result;
      } catch (e) {
        if (e instanceof Interrupted) return errorOutcome("Interrupted", e.message);
        if (e instanceof MagicError) return errorOutcome(e.ename, e.message, e.details);
        const err = e instanceof Error ? e : new Error(String(e));
        // A broken kernel invariant: report it with the stack; the machine may be inconsistent now.
        return errorOutcome("KernelBridgeError", `%${name} failed: ${err.message}`, [
          ...(err.stack ?? "").split("\n").slice(1),
          "the machine may be in an inconsistent state; %boot starts a fresh one",
        ]);
      }
    }
    return { status: "ok", result };
  }

  complete(code: string, cursorPos: number) {
    const before = code.slice(0, cursorPos);
    const m = /%?[A-Za-z_]*$/.exec(before)!;
    const word = m[0];
    const start = cursorPos - word.length;
    const lineStart = before.lastIndexOf("\n") + 1;
    if (!word.startsWith("%") && before.slice(lineStart, start).trim() !== "") return { matches: [], cursor_start: cursorPos, cursor_end: cursorPos };
    const prefix = word.replace(/^%/, "");
    const matches = MAGICS.filter((g) => g.name.startsWith(prefix)).map((g) => "%" + g.name);
    return { matches, cursor_start: start, cursor_end: cursorPos };
  }

  inspect(code: string, cursorPos: number): MimeBundle | undefined {
    const lineStart = code.lastIndexOf("\n", Math.max(0, cursorPos - 1)) + 1;
    const m = /^\s*%([A-Za-z_]+)/.exec(code.slice(lineStart));
    const g = m ? findMagic(m[1]) : undefined;
    return g ? { "text/plain": g.usage } : undefined;
  }

  isComplete(code: string): "complete" | "incomplete" {
    return code.endsWith("\\") ? "incomplete" : "complete";
  }

  shutdown(): void {
    this.session.kernel = undefined;
  }

  /** Plain data for inspection. */
  snapshot() {
    return this.session.snapshot();
  }
}
