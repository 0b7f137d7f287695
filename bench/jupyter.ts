// The Jupyter kernel's figures (issue 7), measured from outside as a front
// end sees them, over ZeroMQ with signed messages (kernel-bridge/wire.ts):
//   jupyter.start_to_kernel_info  spawn `node dist/kernel-bridge/main.js -f CONN`
//                                 to the kernel_info_reply (target <= 1.5 s)
//   jupyter.shell_cell            execute_request "Echo hi" to status idle,
//                                 machine already booted (target <= 30 ms)
//   jupyter.pt_cell               "%pt pages" on a process with 100 resident
//                                 heap pages (kernel-bridge/programs/pages.c)
//                                 to status idle (target <= 100 ms)
// All wall clock (the host's); medians.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import * as zmq from "zeromq";
import { childMessage, decodeMessage, encodeMessage, Signer } from "../kernel-bridge/wire.js";
import type { ConnectionInfo, JupyterMessage } from "../kernel-bridge/protocol.js";
import { median, type Emit } from "./report.js";

const MAIN = fileURLToPath(new URL("../kernel-bridge/main.js", import.meta.url));

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => res(s));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A kernel process and a client on its shell and iopub sockets. */
class Client {
  private readonly waiters = new Map<string, { type: string; resolve: (m: JupyterMessage) => void }[]>();
  readonly iopubLog: JupyterMessage[] = [];
  private constructor(readonly proc: ChildProcess, readonly shell: zmq.Dealer, readonly iopub: zmq.Subscriber, readonly signer: Signer, readonly dir: string) {}

  /** Spawn a kernel on fresh ports and connect; resolves at once (the sockets connect in the background). */
  static async start(): Promise<Client> {
    const [shell, iopub, stdin, control, hb] = await freePorts(5);
    const key = randomUUID();
    const info: ConnectionInfo = { transport: "tcp", ip: "127.0.0.1", shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, key, signature_scheme: "hmac-sha256" };
    const dir = mkdtempSync(join(tmpdir(), "vd-bench-jupyter-"));
    const file = join(dir, "kernel.json");
    writeFileSync(file, JSON.stringify(info));
    const proc = spawn(process.execPath, [MAIN, "-f", file], { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr?.resume();
    const d = new zmq.Dealer();
    const sub = new zmq.Subscriber();
    d.connect(`tcp://127.0.0.1:${shell}`);
    sub.connect(`tcp://127.0.0.1:${iopub}`);
    sub.subscribe();
    const c = new Client(proc, d, sub, new Signer("hmac-sha256", key), dir);
    void c.pump(d, false);
    void c.pump(sub, true);
    return c;
  }

  private async pump(sock: zmq.Dealer | zmq.Subscriber, isIopub: boolean): Promise<void> {
    try {
      for await (const frames of sock) {
        const r = decodeMessage(frames, this.signer);
        if (!r.ok) continue;
        if (isIopub) this.iopubLog.push(r.msg);
        const key = r.msg.parent_header.msg_id ?? "";
        const ws = this.waiters.get(key) ?? [];
        for (const w of ws.filter((x) => x.type === r.msg.header.msg_type || (x.type === "idle" && r.msg.header.msg_type === "status" && r.msg.content.execution_state === "idle"))) {
          ws.splice(ws.indexOf(w), 1);
          w.resolve(r.msg);
        }
      }
    } catch {
      // socket closed
    }
  }

  /** Send `type` on shell; resolves with the first message of `until` ("idle" = status idle) answering it. */
  request(type: string, content: Record<string, unknown>, until: string): Promise<JupyterMessage> {
    const m = childMessage(undefined, type, "bench", content);
    const p = new Promise<JupyterMessage>((resolve, reject) => {
      const list = this.waiters.get(m.header.msg_id) ?? [];
      list.push({ type: until, resolve });
      this.waiters.set(m.header.msg_id, list);
      setTimeout(() => reject(new Error(`bench jupyter: no ${until} for ${type} in 60 s`)), 60_000).unref();
    });
    void this.shell.send(encodeMessage(m, this.signer));
    return p;
  }

  /** Run `code`; resolves at status idle with the cell's iopub messages. */
  async cell(code: string): Promise<JupyterMessage[]> {
    const before = this.iopubLog.length;
    const idle = await this.request("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, "idle");
    return this.iopubLog.slice(before).filter((m) => m.parent_header.msg_id === idle.parent_header.msg_id);
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.request("shutdown_request", { restart: false }, "shutdown_reply"), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // the kernel is killed below anyway
    }
    this.proc.kill("SIGKILL");
    this.shell.close();
    this.iopub.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const text = (msgs: JupyterMessage[], type: string) => msgs.filter((m) => m.header.msg_type === type).map((m) => String(m.content.text ?? (m.content.data as Record<string, unknown> | undefined)?.["text/plain"] ?? "")).join("");

/** The three figures; `reps` kernel starts, `cells` timed cells of each kind. */
export async function benchJupyter(emit: Emit, reps = 3, cells = 20): Promise<void> {
  const starts: number[] = [];
  let c: Client | undefined;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const k = await Client.start();
    await k.request("kernel_info_request", {}, "kernel_info_reply");
    starts.push(performance.now() - t0);
    if (i < reps - 1) await k.close();
    else c = k;
  }
  emit({ name: "jupyter.start_to_kernel_info", value: median(starts), unit: "ms", clock: "wall", note: `spawn to kernel_info_reply, median of ${reps}; target <= 1500 ms` });
  try {
    const warm = await c!.cell("Echo warm");
    if (text(warm, "stream") !== "warm\n") throw new Error(`bench jupyter: Echo printed ${JSON.stringify(text(warm, "stream"))}`);
    const echoes: number[] = [];
    for (let i = 0; i < cells; i++) {
      const t0 = performance.now();
      const out = await c!.cell("Echo hi");
      echoes.push(performance.now() - t0);
      if (text(out, "stream") !== "hi\n") throw new Error("bench jupyter: Echo hi printed something else");
    }
    emit({ name: "jupyter.shell_cell", value: median(echoes), unit: "ms", clock: "wall", note: `execute_request "Echo hi" to idle, median of ${cells}; target <= 30 ms` });
    const run = await c!.cell("%run --for 200 pages 100 600000");
    if (!/pages: 100 heap pages resident/.test(text(run, "stream"))) throw new Error(`bench jupyter: pages did not start: ${text(run, "stream")} ${text(run, "error")}`);
    const pts: number[] = [];
    for (let i = 0; i < cells; i++) {
      const t0 = performance.now();
      const out = await c!.cell("%pt pages");
      pts.push(performance.now() - t0);
      if (!/L0 table/.test(text(out, "display_data"))) throw new Error("bench jupyter: %pt showed no tables");
    }
    emit({ name: "jupyter.pt_cell", value: median(pts), unit: "ms", clock: "wall", note: `"%pt pages" (100 resident heap pages) to idle, median of ${cells}; target <= 100 ms` });
  } finally {
    await c!.close();
  }
}
