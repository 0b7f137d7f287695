// The path JupyterLab takes: @jupyterlab/services (the front end's own
// client library, with `ws` as its WebSocket in Node) drives our kernel
// through Debian's jupyter-server (REST + the kernel channels WebSocket),
// started by this test on 127.0.0.1 with a temporary token and a temporary
// JUPYTER_PATH holding our kernelspec. A session on the "viperdos" kernel
// runs magics and shell lines, is interrupted mid-cell, restarted (the
// machine is gone afterwards) and shut down.
// Needs python3-jupyter-server (scripts/browser-deps.sh) and the build in dist/.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelManager, ServerConnection, SessionManager, type Kernel, type KernelMessage, type Session } from "@jupyterlab/services";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { installKernelSpec } from "../kernel-bridge/install.js";

const ROOT = join(import.meta.dirname, "..");
const DIST = join(ROOT, "dist");
const PY = "/usr/bin/python3";

let work = "";
let server: ChildProcess | undefined;
let serverLog = "";
let settings: ServerConnection.ISettings;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  const probe = spawnSync(PY, ["-c", "import jupyter_server"], { encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`Debian's jupyter-server is missing; run scripts/browser-deps.sh\n${probe.stderr}`);
  // The kernelspec runs the compiled kernel of dist/ (scripts/setup.sh builds it before the tests).
  if (!existsSync(join(DIST, "kernel-bridge", "main.js"))) throw new Error("dist/ is not built: run scripts/setup.sh");
  work = mkdtempSync(join(tmpdir(), "vd-jserver-"));
  installKernelSpec({ kind: "prefix", dir: work }, join(DIST, "kernel-bridge", "main.js"));

  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const args = ["-m", "jupyter_server", "--no-browser", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0", `--ServerApp.token=${token}`, `--ServerApp.root_dir=${work}`];
  if (process.getuid?.() === 0) args.push("--allow-root");
  server = spawn(PY, args, {
    env: { ...process.env, JUPYTER_PATH: join(work, "share", "jupyter"), JUPYTER_CONFIG_DIR: join(work, "config"), JUPYTER_RUNTIME_DIR: join(work, "runtime"), JUPYTER_DATA_DIR: join(work, "data") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (b: Buffer) => (serverLog += b.toString()));
  server.stderr!.on("data", (b: Buffer) => (serverLog += b.toString()));
  settings = ServerConnection.makeSettings({
    baseUrl: `http://127.0.0.1:${port}/`,
    wsUrl: `ws://127.0.0.1:${port}/`,
    token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until || server.exitCode !== null) throw new Error(`jupyter-server did not start:\n${serverLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 200_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const gone = new Promise((r) => server!.on("exit", r));
    server.kill("SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (server.exitCode === null) server.kill("SIGKILL");
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Ran {
  reply: KernelMessage.IExecuteReplyMsg["content"];
  iopub: KernelMessage.IIOPubMessage[];
}

/** Execute `code` on `kernel`; resolves with the reply content and every iopub message of the request. */
async function run(kernel: Kernel.IKernelConnection, code: string): Promise<Ran> {
  const iopub: KernelMessage.IIOPubMessage[] = [];
  const future = kernel.requestExecute({ code, stop_on_error: true });
  future.onIOPub = (m) => void iopub.push(m);
  const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
  return { reply: reply.content, iopub };
}

const types = (r: Ran) => r.iopub.map((m) => m.header.msg_type);
const streamed = (r: Ran) => r.iopub.filter((m) => m.header.msg_type === "stream").map((m) => (m.content as { text: string }).text).join("");
const bundles = (r: Ran) => r.iopub.filter((m) => m.header.msg_type === "display_data" || m.header.msg_type === "execute_result").map((m) => (m.content as { data: Record<string, unknown> }).data);

describe("@jupyterlab/services through Debian's jupyter-server", () => {
  test("kernelspecs list viperdos", async () => {
    const r = await ServerConnection.makeRequest(`${settings.baseUrl}api/kernelspecs`, {}, settings);
    const specs = (await r.json()) as { kernelspecs: Record<string, { spec: { display_name: string; language: string } }> };
    expect(specs.kernelspecs.viperdos?.spec).toMatchObject({ display_name: "ViperDOS", language: "viperdos" });
  });

  test("a session: %mem, Echo hi, errors, interrupt, restart, shutdown", async () => {
    const kernelManager = new KernelManager({ serverSettings: settings });
    const sessions = new SessionManager({ kernelManager, serverSettings: settings });
    let session: Session.ISessionConnection | undefined;
    try {
      session = await sessions.startNew({ path: "lab.ipynb", type: "notebook", name: "lab.ipynb", kernel: { name: "viperdos" } });
      const kernel = session.kernel!;
      expect(kernel.name).toBe("viperdos");
      const info = await kernel.info;
      expect(info).toMatchObject({ protocol_version: "5.3", implementation: "viperdos-lab", language_info: { name: "viperdos" } });

      // %mem boots the machine on first use (the boot log streams), then shows the memory view.
      const mem = await run(kernel, "%mem");
      expect(mem.reply).toMatchObject({ status: "ok", execution_count: 1 });
      expect(types(mem)).toEqual(expect.arrayContaining(["status", "execute_input", "stream", "display_data"]));
      expect(streamed(mem)).toContain("ViperDOS");
      const view = bundles(mem)[0];
      expect(Object.keys(view)).toEqual(expect.arrayContaining(["text/plain", "text/html"]));
      expect(view["text/html"]).toContain("<table");
      expect(view["text/plain"]).toMatch(/total\s+32768/);

      // A shell line is typed into vinit; only the command's output comes back (no echo, prompt or rc note).
      const echo = await run(kernel, "Echo hi");
      expect(echo.reply).toMatchObject({ status: "ok" });
      expect(types(echo)).toEqual(["status", "execute_input", "stream", "status"]);
      expect(echo.iopub[2].content).toMatchObject({ name: "stdout", text: "hi\n" });
      const failing = await run(kernel, "Type SYS:nothing-here");
      expect(failing.reply).toMatchObject({ status: "error", ename: "ShellError" });

      // A chart carries vega-lite with an SVG fallback.
      const chart = bundles(await run(kernel, "%mem --chart"))[0];
      expect(Object.keys(chart)).toEqual(expect.arrayContaining(["text/plain", "text/html", "application/vnd.vegalite.v5+json", "image/svg+xml"]));

      // A user's mistake is an error reply with a readable traceback, not a dead kernel.
      const bad = await run(kernel, "%pt 999");
      expect(bad.reply).toMatchObject({ status: "error", ename: "NotFound" });
      expect(types(bad)).toContain("error");

      // Interrupt a long cell: the reply says Interrupted, the program's output streamed, the kernel goes on.
      const iopub: KernelMessage.IIOPubMessage[] = [];
      const long = kernel.requestExecute({ code: "%run spin 600000" });
      long.onIOPub = (m) => void iopub.push(m);
      const until = Date.now() + 30_000;
      while (!iopub.some((m) => m.header.msg_type === "stream") && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      await kernel.interrupt();
      const reply = (await long.done.catch((e: unknown) => (e as { msg?: KernelMessage.IExecuteReplyMsg }).msg ?? e)) as KernelMessage.IExecuteReplyMsg;
      expect(reply.content).toMatchObject({ status: "error", ename: "Interrupted" });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(iopub.filter((m) => m.header.msg_type === "stream").map((m) => (m.content as { text: string }).text).join("")).toContain("spin: 600000 ms");
      const after = await run(kernel, "%sched");
      expect(after.reply.status).toBe("ok");

      // Restart: a new kernel process, counts from 1 again, the machine boots afresh on first use.
      await kernel.restart();
      await kernel.info;
      const fresh = await run(kernel, "%mem");
      expect(fresh.reply).toMatchObject({ status: "ok", execution_count: 1 });
      expect(streamed(fresh)).toContain("ViperDOS");
    } finally {
      if (session) await session.shutdown();
      const left = (await (await ServerConnection.makeRequest(`${settings.baseUrl}api/kernels`, {}, settings)).json()) as unknown[];
      expect(left).toEqual([]);
      sessions.dispose();
      kernelManager.dispose();
    }
  }, 120_000);
});
