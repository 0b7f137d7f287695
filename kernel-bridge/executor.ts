// The cell executor: a Session owns one ViperDOS machine (booted with the
// defaults on first use, vinit at its prompt) and runs a cell's lines:
// `%name args` lines are magics (magics.ts), `#` lines comments, any other
// line is typed into the guest shell (shell.ts: rc >= 10 stops the cell with
// ShellError). A cell whose first line is `%%ts` is TypeScript (tscell.ts).
// Output goes to the sinks the caller passes in, so nothing here touches a
// socket (tests pass fakes). Long work runs in slices of at most SLICE_MS of
// wall time with the event loop turning in between, so heartbeats and
// interrupt_request stay live; an interrupt aborts `signal`.

import { Kernel } from "../viperdos/kernel/kernel.js";
import type { ErrorContent, MimeBundle } from "./protocol.js";
import { findMagic, MagicError, magicHelp, tokenize } from "./magics.js";
import { GuestShell, typedLine, type ShellLineResult } from "./shell.js";
import { notebookImages } from "./images.js";
import { TsCells, tsCompleteness } from "./tscell.js";
import { complete, inspectAt } from "./complete.js";
import { LiveViews } from "./live.js";
import type { Gateway } from "../emulator/net/gateway.js";
import type { HostForward } from "../emulator/net/hostfwd.js";
import { attachUserNet } from "../emulator/net/user-net.js";

/** Where a running cell's output goes (tslab's habit: injected, never a socket). */
export interface OutputSinks {
  /** Text on the cell's stdout or stderr, as it appears. */
  writeStream(name: "stdout" | "stderr", text: string): void;
  /** A rich display (display_data); text/plain is always present. With `displayId` it can be updated later. */
  writeDisplay(data: MimeBundle, metadata?: Record<string, unknown>, displayId?: string): void;
  /** Replace the display shown with `displayId` (update_display_data); absent where updates cannot go. */
  updateDisplay?(displayId: string, data: MimeBundle, metadata?: Record<string, unknown>): void;
  /** Ask the front end for a line (input_request); present only when the request allowed stdin. Rejects on interrupt. */
  readInput?(prompt: string, password: boolean): Promise<string>;
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
  /** A virtio-net NIC on the user-mode gateway (emulator/net/user-net.ts); off unless `%boot --net`. */
  net?: boolean;
  /** Port forwards 127.0.0.1:hostPort -> guest port (with net). */
  hostfwd?: HostForward[];
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
  /** The guest shell (vinit) of the current machine; undefined when it could not start (shellError says why). */
  shell: GuestShell | undefined;
  shellError: string | undefined;
  /** Views updated in place while cells run the machine (live.ts). */
  readonly live = new LiveViews();
  /** The user-mode gateway of a machine booted with `net` (host sockets; closed at the next boot or shutdown). */
  gateway: Gateway | undefined;
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
   * Build a fresh machine with `config` and the notebook disks (images.ts),
   * boot the kernel and run vinit to its first prompt; the boot log and
   * S:startup's output go to the console sink. Without disks (no clang to
   * build them) the kernel still boots, with no shell (shellError says why).
   * The previous machine, if any, is dropped. `withDisks` replaces the
   * notebook disks (e.g. %crash's crashed images).
   */
  boot(config: MachineConfig = this.config, withDisks?: { sys: string | Uint8Array; user: string | Uint8Array }): Kernel {
    this.config = { ...config };
    void this.gateway?.close(); // the previous machine's host sockets and forwarded ports
    this.gateway = undefined;
    this.decoder = new TextDecoder();
    this.shell = undefined;
    this.shellError = undefined;
    this.live.clear();
    let disks: { sys: string | Uint8Array; user: string | Uint8Array } | undefined = withDisks;
    if (!disks) try {
      const built = notebookImages();
      disks = { sys: built.sys, user: built.user };
      if (built.stale) this.consoleSink?.(`[viperdos-kernel: ${built.stale}]\n`);
    } catch (e) {
      this.shellError = `cannot build the boot disks: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
    }
    const k = new Kernel({
      cpus: config.cpus,
      ramMiB: config.ramMiB,
      seed: config.seed,
      disks,
      nic: config.net === true,
      onConsole: (b) => this.consoleSink?.(this.decoder.decode(b, { stream: true })),
    });
    this.kernel = k;
    if (k.nic) this.gateway = attachUserNet(k.nic, k.machine.clock, config.hostfwd);
    k.boot();
    if (disks) {
      const sh = GuestShell.start(k);
      if (typeof sh === "string") this.shellError = sh;
      else {
        this.shell = sh;
        sh.gateway = this.gateway;
      }
    } else k.runUntil(k.machine.now() + 10_000_000);
    return k;
  }

  /** The kernel, booting one with the current config first if there is none. */
  ensureKernel(): Kernel {
    return this.kernel ?? this.boot();
  }

  /** Plain data for notebooks and tests. */
  snapshot() {
    return {
      booted: this.kernel !== undefined,
      config: { ...this.config },
      cells: this.cells,
      virtualNs: this.kernel?.machine.now() ?? 0,
      shell: this.shell?.snapshot() ?? null,
      shellError: this.shellError ?? null,
      live: this.live.snapshot(),
    };
  }
}

function errorOutcome(ename: string, evalue: string, extra: string[] = []): ExecuteOutcome {
  return { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`, ...extra] };
}

/** Return codes from this one up stop the cell (vinit's ERROR 10, FAIL 20; AmigaDOS's FailAt). */
export const FAIL_AT = 10;

/**
 * Type one shell line into the session's machine (booting it first) and
 * stream its output to stdout. Resolves with the line's result, or an error
 * outcome for a cell (no shell, line too long, interrupted, shell gone).
 * rc >= FAIL_AT gives ShellError with Why's message; a WARN goes to stderr.
 */
export async function runShellLine(session: Session, line: string, sinks: OutputSinks, signal: AbortSignal): Promise<{ result: ShellLineResult } | ExecuteOutcome> {
  session.ensureKernel();
  const sh = session.shell;
  if (!sh) return errorOutcome("ShellNotAvailable", `the guest shell is not running: ${session.shellError ?? "unknown reason"}`, ["magics still work: %help"]);
  if (sh.hasEnded()) return errorOutcome("ShellEnded", "the shell has ended (EndShell); %boot starts a fresh machine");
  const typed = typedLine(line.trim());
  if (typeof typed !== "string") return errorOutcome("UsageError", typed.error);
  const attach = (feed: (t: string) => void) => session.attachConsole(feed);
  const r = await sh.runLine(typed, attach, (t) => sinks.writeStream("stdout", t), signal, () => session.live.tick(session.kernel, sinks), sinks.readInput);
  if (r.end === "interrupted") return errorOutcome("Interrupted", `the cell was interrupted (Ctrl+C) during: ${typed}`);
  if (r.end === "input") return errorOutcome("InputNeeded", `${typed}: the command waited for console input, which this front end cannot give (no stdin); it was stopped with Ctrl+C`);
  if (r.end === "stuck") return errorOutcome("MachineStuck", `${typed}: every task is blocked and no event is pending`, ["%boot starts a fresh machine"]);
  if (r.end === "ended") sinks.writeStream("stderr", "[the shell has ended; %boot starts a fresh machine]\n");
  if (r.rc >= FAIL_AT) {
    const why = await sh.runLine("Why", attach, () => {}, new AbortController().signal);
    const message = why.output.trim() || `rc ${r.rc}`;
    const level = r.rc >= 20 ? "FAIL" : "ERROR";
    return errorOutcome("ShellError", `${message} (${level}, rc ${r.rc})`, [`in: ${typed}`]);
  }
  if (r.rc > 0) sinks.writeStream("stderr", `[rc ${r.rc}: WARN]\n`);
  return { result: r };
}

/** Join lines ending in a backslash with the next (is_complete's "incomplete"). */
function logicalLines(code: string): string[] {
  const out: string[] = [];
  let acc = "";
  for (const line of code.split("\n")) {
    if (line.endsWith("\\")) acc += line.slice(0, -1) + " ";
    else {
      out.push(acc + line);
      acc = "";
    }
  }
  if (acc) out.push(acc);
  return out;
}

export const TS_CELL_USAGE = [
  "%%ts",
  "",
  "The rest of the cell is TypeScript (types erased, not checked), run with top-level",
  "await in a context that persists across %%ts cells (top-level declarations carry over).",
  "In scope: machine, kernel, session, inspect (inspectKernel, inspectPageTables,",
  "inspectHandles, inspectTrace, walkAddress, inspectPath, inspectJournal, inspectChannels...),",
  "widgets and each widget function (memoryTables, schedulingTimeline, ipcLatencyPlot, ...),",
  "display(bundleOrValue), console.log, await advance(ms), await sh(\"Echo hi\") -> { rc, output },",
  "await sleep(ms), require(\"node:...\"). The last expression is the cell's result.",
  "Interrupt stops the cell at its next await (a synchronous loop: SIGINT).",
].join("\n");

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** Run the session's machine `ms` of virtual time in wall slices; Interrupted on abort. */
export async function advanceMachine(session: Session, ms: number, signal: AbortSignal, sinks?: OutputSinks): Promise<{ virtualMs: number; wallMs: number }> {
  if (!Number.isFinite(ms) || ms < 0 || ms > 3_600_000) throw new RangeError(`advance: ${ms} ms is not within 0..3600000`);
  const k = session.ensureKernel();
  const until = k.machine.now() + ms * 1e6;
  const t0 = performance.now();
  while (k.machine.now() < until) {
    if (signal.aborted) throw new Interrupted();
    const deadline = performance.now() + SLICE_MS;
    k.runUntil(until, undefined, () => performance.now() >= deadline); // a pause: slicing never changes the run
    if (sinks) await session.live.tick(k, sinks);
    await yieldToEventLoop();
  }
  return { virtualMs: ms, wallMs: performance.now() - t0 };
}

/** The executor over one Session: magics, shell lines and %%ts cells. */
export class MagicExecutor implements CellExecutor {
  readonly ts: TsCells;

  constructor(readonly session = new Session()) {
    this.ts = new TsCells(session, {
      advance: (ms, io) => advanceMachine(session, ms, io.signal, io.sinks),
      sh: async (line, io) => {
        const r = await runShellLine(session, line, io.sinks, io.signal);
        if ("status" in r) throw Object.assign(new Error(r.status === "error" ? r.evalue : "failed"), { name: r.status === "error" ? r.ename : "ShellError" });
        return { rc: r.result.rc, output: r.result.output };
      },
    });
  }

  async execute(code: string, sinks: OutputSinks, signal: AbortSignal): Promise<ExecuteOutcome> {
    this.session.cells++;
    try {
      return await this.executeCell(code, sinks, signal);
    } finally {
      // The live views show the state the cell ended in.
      await this.session.live.tick(this.session.kernel, sinks, true).catch(() => {});
    }
  }

  private async executeCell(code: string, sinks: OutputSinks, signal: AbortSignal): Promise<ExecuteOutcome> {
    const first = /^\s*%%(\S+)(.*)(?:\n|$)/.exec(code);
    if (first) {
      if (first[1] !== "ts") return errorOutcome("UsageError", `unknown cell magic %%${first[1]}; the one cell magic is %%ts`, TS_CELL_USAGE.split("\n"));
      if (/--help|-h\b/.test(first[2])) {
        sinks.writeStream("stdout", TS_CELL_USAGE + "\n");
        return { status: "ok" };
      }
      // Blank lines keep the TypeScript line numbers those of the cell.
      return this.ts.run("\n" + code.slice(first[0].length), sinks, signal);
    }
    let result: MimeBundle | undefined;
    for (const line of logicalLines(code)) {
      const t = line.trim();
      if (t === "" || t.startsWith("#")) continue;
      if (signal.aborted) return errorOutcome("Interrupted", "the cell was interrupted");
      if (!t.startsWith("%")) {
        try {
          const r = await runShellLine(this.session, t, sinks, signal);
          if ("status" in r) return r;
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          return errorOutcome("KernelBridgeError", `${t}: ${err.message}`, [...(err.stack ?? "").split("\n").slice(1), "the machine may be in an inconsistent state; %boot starts a fresh one"]);
        }
        continue;
      }
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
    return complete(this.session, code, cursorPos, () => this.ts.names());
  }

  inspect(code: string, cursorPos: number): MimeBundle | undefined {
    const help = inspectAt(this.session, code, cursorPos);
    const text = help === "%%ts: see %%ts --help" ? TS_CELL_USAGE : help;
    return text === undefined ? undefined : { "text/plain": text };
  }

  isComplete(code: string): "complete" | "incomplete" | "invalid" {
    const ts = /^\s*%%ts\b[^\n]*\n?/.exec(code);
    if (ts) return tsCompleteness(code.slice(ts[0].length));
    return code.endsWith("\\") ? "incomplete" : "complete";
  }

  shutdown(): void {
    this.session.kernel = undefined;
    void this.session.gateway?.close();
    this.session.gateway = undefined;
  }

  /** Plain data for inspection. */
  snapshot() {
    return this.session.snapshot();
  }
}
