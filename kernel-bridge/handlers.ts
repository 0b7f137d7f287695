// The request handlers (spec: "Messages on the shell (ROUTER/DEALER)
// channel", "control channel"), one method per request type. They speak to
// the world through a Transport (send a message on a channel) and to the
// machine through a CellExecutor, so tests drive them with fakes.
//
// Executions go through one queue, one at a time, in arrival order.
// interrupt_request (control) aborts the running cell's AbortSignal; the
// executor stops at its next slice and the queue goes on. After a failed
// cell, the requests already queued with stop_on_error are answered
// "aborted" (ipykernel's behaviour, which nbclient relies on).

import type { CellExecutor, ExecuteOutcome, OutputSinks } from "./executor.js";
import { PROTOCOL_VERSION, type Channel, type JupyterMessage, type MimeBundle } from "./protocol.js";
import { childMessage } from "./wire.js";
import { KERNEL_VERSION } from "../viperdos/kernel/kernel.js";

/** How handlers send (sockets.ts in the kernel, an array in tests). */
export interface Transport {
  send(channel: Channel, msg: JupyterMessage): void | Promise<void>;
}

export const IMPLEMENTATION = "viperdos-lab";
export const IMPLEMENTATION_VERSION = "0.1.0";

export const LANGUAGE_INFO = {
  name: "viperdos",
  version: KERNEL_VERSION,
  mimetype: "text/x-viperdos",
  file_extension: ".vsh",
  pygments_lexer: "bash",
  codemirror_mode: "shell",
};

/** A comm target: answers each comm_msg's data with the data of a reply comm_msg (never throws). */
export type CommTarget = (data: unknown) => Record<string, unknown>;

export interface HandlerOptions {
  /** Comm targets the kernel offers, by target_name. */
  commTargets?: Record<string, CommTarget>;
  /** Called after shutdown_reply is sent (main.ts closes the sockets and exits). */
  onShutdown?: (restart: boolean) => void;
  log?: (s: string) => void;
}

interface QueuedExecution {
  msg: JupyterMessage;
  /** The abort generation when it was queued (see abortQueued). */
  generation: number;
}

/** Coalesces a cell's stream text into few messages: flushed before displays, at the end, and once per event-loop turn. */
class StreamBuffer {
  private text: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  private scheduled = false;
  constructor(private readonly emit: (name: "stdout" | "stderr", text: string) => void) {}
  write(name: "stdout" | "stderr", text: string): void {
    this.text[name] += text;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
  flush(): void {
    this.scheduled = false;
    for (const name of ["stdout", "stderr"] as const) {
      if (this.text[name]) {
        const t = this.text[name];
        this.text[name] = "";
        this.emit(name, t);
      }
    }
  }
}

export class KernelHandlers {
  executionCount = 0;
  private queue: QueuedExecution[] = [];
  private running: { msg: JupyterMessage; abort: AbortController } | undefined;
  private draining = false;
  /** Bumped after a failed cell: queued requests from older generations with stop_on_error are aborted. */
  private generation = 0;
  private abortBelow = 0;
  private shuttingDown = false;
  private readonly log: (s: string) => void;
  /** The running cell's pending input_request, answered by input_reply on stdin. */
  private pendingInput: { resolve: (v: string) => void; reject: (e: Error) => void } | undefined;
  /** Open comms: comm_id -> target_name. */
  private readonly comms = new Map<string, string>();

  constructor(
    private readonly transport: Transport,
    private readonly executor: CellExecutor,
    readonly session: string,
    private readonly opts: HandlerOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
  }

  /** Plain data for inspection. */
  snapshot() {
    return {
      executionCount: this.executionCount,
      queued: this.queue.map((q) => q.msg.header.msg_id),
      running: this.running?.msg.header.msg_id ?? null,
      shuttingDown: this.shuttingDown,
    };
  }

  private send(channel: Channel, msg: JupyterMessage): void {
    void Promise.resolve(this.transport.send(channel, msg)).catch((e: unknown) => this.log(`send on ${channel} failed: ${String(e)}`));
  }

  private iopub(parent: JupyterMessage | undefined, type: string, content: Record<string, unknown>): void {
    this.send("iopub", childMessage(parent, type, this.session, content));
  }

  private reply(channel: Channel, parent: JupyterMessage, type: string, content: Record<string, unknown>): void {
    this.send(channel, childMessage(parent, type, this.session, content));
  }

  /** Status "starting" on iopub, once at start-up. */
  announceStarting(): void {
    this.iopub(undefined, "status", { execution_state: "starting" });
  }

  /**
   * Route one decoded request. Unknown types are logged and ignored (the
   * spec allows that). Never throws for a client's message.
   */
  dispatch(channel: Channel, msg: JupyterMessage): void {
    const type = msg.header.msg_type;
    if (this.shuttingDown && type !== "shutdown_request") return;
    if (type === "input_reply" && channel === "stdin") {
      const p = this.pendingInput;
      this.pendingInput = undefined;
      if (p) p.resolve(typeof msg.content.value === "string" ? msg.content.value : "");
      else this.log("input_reply without an input_request: dropped");
      return;
    }
    if (type === "execute_request" && channel === "shell") {
      this.queue.push({ msg, generation: this.generation });
      void this.drain();
      return;
    }
    const handler: ((m: JupyterMessage, ch: Channel) => void) | undefined = {
      kernel_info_request: this.kernelInfo,
      is_complete_request: this.isComplete,
      complete_request: this.complete,
      inspect_request: this.inspect,
      comm_info_request: this.commInfo,
      comm_open: this.commOpen,
      comm_msg: this.commMsg,
      comm_close: this.commClose,
      history_request: this.history,
      shutdown_request: this.shutdown,
      interrupt_request: this.interrupt,
    }[type];
    if (!handler) {
      this.log(`${channel}: ignoring ${type}`);
      return;
    }
    this.iopub(msg, "status", { execution_state: "busy" });
    handler.call(this, msg, channel);
    this.iopub(msg, "status", { execution_state: "idle" });
  }

  kernelInfo(msg: JupyterMessage, channel: Channel): void {
    this.reply(channel, msg, "kernel_info_reply", {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: IMPLEMENTATION,
      implementation_version: IMPLEMENTATION_VERSION,
      language_info: LANGUAGE_INFO,
      banner: `ViperDOS Lab ${IMPLEMENTATION_VERSION}: the ViperDOS kernel ${KERNEL_VERSION} on an emulated AArch64 machine. Type %help for the magics.`,
      help_links: [],
      debugger: false,
    });
  }

  isComplete(msg: JupyterMessage, channel: Channel): void {
    const code = typeof msg.content.code === "string" ? msg.content.code : "";
    const status = this.executor.isComplete(code);
    this.reply(channel, msg, "is_complete_reply", status === "incomplete" ? { status, indent: "" } : { status });
  }

  complete(msg: JupyterMessage, channel: Channel): void {
    const code = typeof msg.content.code === "string" ? msg.content.code : "";
    const pos = typeof msg.content.cursor_pos === "number" ? Math.max(0, Math.min(code.length, msg.content.cursor_pos)) : code.length;
    const c = this.executor.complete(code, pos);
    this.reply(channel, msg, "complete_reply", { status: "ok", ...c, metadata: {} });
  }

  inspect(msg: JupyterMessage, channel: Channel): void {
    const code = typeof msg.content.code === "string" ? msg.content.code : "";
    const pos = typeof msg.content.cursor_pos === "number" ? Math.max(0, Math.min(code.length, msg.content.cursor_pos)) : code.length;
    const data = this.executor.inspect(code, pos);
    this.reply(channel, msg, "inspect_reply", { status: "ok", found: data !== undefined, data: data ?? {}, metadata: {} });
  }

  commInfo(msg: JupyterMessage, channel: Channel): void {
    const want = typeof msg.content.target_name === "string" ? msg.content.target_name : undefined;
    const comms: Record<string, { target_name: string }> = {};
    for (const [id, target] of this.comms) if (want === undefined || want === target) comms[id] = { target_name: target };
    this.reply(channel, msg, "comm_info_reply", { status: "ok", comms });
  }

  /** comm_open from the front end: kept when the target exists, else answered comm_close. */
  commOpen(msg: JupyterMessage): void {
    const id = msg.content.comm_id;
    const target = msg.content.target_name;
    if (typeof id !== "string" || id === "" || typeof target !== "string") return this.log("comm_open without comm_id/target_name: dropped");
    if (!this.opts.commTargets?.[target]) {
      this.iopub(msg, "comm_close", { comm_id: id, data: { error: `no comm target ${target}` } });
      return;
    }
    this.comms.set(id, target);
    if (msg.content.data && typeof msg.content.data === "object" && Object.keys(msg.content.data).length > 0) this.commMsg(msg);
  }

  /** comm_msg on an open comm: the target's answer goes back on iopub with the same comm_id. */
  commMsg(msg: JupyterMessage): void {
    const id = msg.content.comm_id;
    const target = typeof id === "string" ? this.comms.get(id) : undefined;
    const fn = target ? this.opts.commTargets?.[target] : undefined;
    if (!fn) return this.log(`comm_msg for unknown comm ${String(id)}: dropped`);
    let data: Record<string, unknown>;
    try {
      data = fn(msg.content.data);
    } catch (e) {
      data = { ok: false, error: String(e) };
    }
    this.iopub(msg, "comm_msg", { comm_id: id, data });
  }

  commClose(msg: JupyterMessage): void {
    const id = msg.content.comm_id;
    if (typeof id === "string") this.comms.delete(id);
  }

  history(msg: JupyterMessage, channel: Channel): void {
    this.reply(channel, msg, "history_reply", { status: "ok", history: [] });
  }

  /** Abort the running cell, if any (interrupt_request, or SIGINT from a launcher). */
  interruptRunning(): void {
    this.running?.abort.abort();
  }

  interrupt(msg: JupyterMessage, channel: Channel): void {
    this.interruptRunning();
    this.reply(channel, msg, "interrupt_reply", { status: "ok" });
  }

  shutdown(msg: JupyterMessage, channel: Channel): void {
    const restart = msg.content.restart === true;
    this.shuttingDown = true;
    this.running?.abort.abort();
    this.queue = [];
    this.executor.shutdown();
    this.reply(channel, msg, "shutdown_reply", { status: "ok", restart });
    this.opts.onShutdown?.(restart);
  }

  /** Run queued executions one at a time, in order. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.shuttingDown) {
        const q = this.queue.shift()!;
        await this.execute(q);
      }
    } finally {
      this.draining = false;
    }
  }

  /** One execute_request: busy, execute_input, outputs, execute_result or error, reply, idle. */
  private async execute(q: QueuedExecution): Promise<void> {
    const msg = q.msg;
    const c = msg.content;
    const code = typeof c.code === "string" ? c.code : "";
    const silent = c.silent === true;
    const storeHistory = c.store_history === undefined ? !silent : c.store_history === true && !silent;
    const stopOnError = c.stop_on_error === undefined ? true : c.stop_on_error === true;
    this.iopub(msg, "status", { execution_state: "busy" });
    if (stopOnError && q.generation < this.abortBelow) {
      this.reply("shell", msg, "execute_reply", { status: "aborted", execution_count: this.executionCount });
      this.iopub(msg, "status", { execution_state: "idle" });
      return;
    }
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) this.iopub(msg, "execute_input", { code, execution_count: count });
    const streams = new StreamBuffer((name, text) => {
      if (!silent) this.iopub(msg, "stream", { name, text });
    });
    const sinks: OutputSinks = {
      writeStream: (name, text) => streams.write(name, text),
      writeDisplay: (data: MimeBundle, metadata = {}, displayId?: string) => {
        streams.flush();
        if (!silent) this.iopub(msg, "display_data", { data, metadata, transient: displayId ? { display_id: displayId } : {} });
      },
      updateDisplay: (displayId: string, data: MimeBundle, metadata = {}) => {
        streams.flush();
        if (!silent) this.iopub(msg, "update_display_data", { data, metadata, transient: { display_id: displayId } });
      },
    };
    const abort = new AbortController();
    if (c.allow_stdin === true) {
      sinks.readInput = (prompt, password) => {
        streams.flush();
        return new Promise<string>((resolve, reject) => {
          if (abort.signal.aborted) return reject(new Error("interrupted"));
          this.pendingInput = { resolve, reject };
          abort.signal.addEventListener("abort", () => {
            if (this.pendingInput?.resolve === resolve) this.pendingInput = undefined;
            reject(new Error("interrupted"));
          }, { once: true });
          this.reply("stdin", msg, "input_request", { prompt, password });
        });
      };
    }
    this.running = { msg, abort };
    let outcome: ExecuteOutcome;
    try {
      outcome = await this.executor.execute(code, sinks, abort.signal);
    } catch (e) {
      // Executors should not throw; if one does, the cell fails and the kernel lives on.
      outcome = { status: "error", ename: "KernelBridgeError", evalue: String(e), traceback: [String(e)] };
    } finally {
      this.running = undefined;
    }
    streams.flush();
    if (outcome.status === "ok") {
      if (outcome.result && !silent) this.iopub(msg, "execute_result", { execution_count: count, data: outcome.result, metadata: {} });
      this.reply("shell", msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: {}, payload: [] });
    } else {
      const err = { ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback };
      if (!silent) this.iopub(msg, "error", err);
      this.reply("shell", msg, "execute_reply", { status: "error", execution_count: count, ...err });
      if (stopOnError) this.abortBelow = ++this.generation;
    }
    this.iopub(msg, "status", { execution_state: "idle" });
  }
}
