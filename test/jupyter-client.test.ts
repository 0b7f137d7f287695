// The kernel against real clients: Debian's jupyter_client (KernelManager
// starting our kernel from its kernelspec) and nbclient executing a
// notebook, plus our sockets driven by zeromq peers (bad signatures and
// garbage are dropped, the kernel keeps answering, heartbeat echoes).
// Needs python3-jupyter-client and python3-nbclient (scripts/jupyter-deps.sh).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zmq from "zeromq";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { installKernelSpec } from "../kernel-bridge/install.js";
import { kernelMain } from "./support/notebook.js";
import { KernelSockets } from "../kernel-bridge/sockets.js";
import { KernelHandlers } from "../kernel-bridge/handlers.js";
import { MagicExecutor } from "../kernel-bridge/executor.js";
import type { ConnectionInfo } from "../kernel-bridge/protocol.js";
import { childMessage, decodeMessage, encodeMessage, Signer } from "../kernel-bridge/wire.js";

const PY = "/usr/bin/python3";

/** pids of kernels the clients started (printed by the scripts), killed on teardown in any case. */
const kernelPids: number[] = [];
let work = "";

function killKernels(): void {
  for (const pid of kernelPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function python(script: string, env: Record<string, string>, timeoutMs = 90_000) {
  const r = spawnSync(PY, ["-c", script], { env: { ...process.env, ...env }, encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL" });
  for (const m of (r.stderr ?? "").matchAll(/KERNEL_PID (\d+)/g)) kernelPids.push(Number(m[1]));
  return r;
}

beforeAll(() => {
  const probe = spawnSync(PY, ["-c", "import jupyter_client, nbclient, nbformat"], { encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`Debian's Jupyter clients are missing; run scripts/jupyter-deps.sh\n${probe.stderr}`);
  // The kernelspec runs the compiled kernel in dist/ (scripts/setup.sh builds it; test/support/notebook.ts).
  work = mkdtempSync(join(tmpdir(), "vd-jupyter-"));
  installKernelSpec({ kind: "prefix", dir: work }, kernelMain());
}, 150_000);

afterAll(() => {
  killKernels();
  if (work) rmSync(work, { recursive: true, force: true });
});

const CLIENT = String.raw`
import sys, time, json
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="viperdos")
km.start_kernel()
print("KERNEL_PID", km.provisioner.pid, file=sys.stderr, flush=True)
kc = km.client(); kc.start_channels()
out = {}
try:
    kc.wait_for_ready(timeout=30)
    out["info"] = kc.kernel_info(reply=True, timeout=10)["content"]
    def run(code, timeout=60):
        msgs = []
        rep = kc.execute_interactive(code, output_hook=lambda m: msgs.append({"type": m["msg_type"], "content": m["content"]}), timeout=timeout)
        return {"reply": rep["content"], "iopub": msgs}
    for c in ["%help", "%boot --cpus 2", "%mem", "Echo hi", "nosuchcommand"]:
        out[c] = run(c)
    msgs = []
    mid = kc.execute("spin 600000")
    time.sleep(2)
    t0 = time.time()
    km.interrupt_kernel()
    rep = kc.get_shell_msg(timeout=30)
    out["interrupt"] = {"reply": rep["content"], "parent": rep["parent_header"]["msg_id"] == mid, "seconds": time.time() - t0}
    while True:
        try:
            m = kc.get_iopub_msg(timeout=1)
        except Exception:
            break
        if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "stream":
            msgs.append(m["content"]["text"])
    out["interrupt"]["streamed"] = "".join(msgs)
    out["after"] = run("%sched --queues")
    out["ts"] = run("%%ts\nconst x: number = 6 * 7;\nconsole.log('x is', x);\nx")
    out["complete"] = kc.complete("Type C:hel", 10, reply=True, timeout=10)["content"]
    out["inspect"] = kc.inspect("%fs C:x", 2, reply=True, timeout=10)["content"]
    out["watch"] = run("%watch clock")
    out["advance"] = run("%advance 20ms")
    kc.shell_channel.send(kc.session.msg("comm_open", {"comm_id": "c1", "target_name": "viperdos.inspect", "data": {}}))
    req = kc.session.msg("comm_msg", {"comm_id": "c1", "data": {"request": "kernel"}})
    kc.shell_channel.send(req)
    deadline = time.time() + 15
    while time.time() < deadline and "comm" not in out:
        m = kc.get_iopub_msg(timeout=10)
        if m["msg_type"] == "comm_msg" and m["parent_header"].get("msg_id") == req["header"]["msg_id"]:
            out["comm"] = m["content"]
    out["comm_info"] = kc.comm_info(reply=True, timeout=10)["content"]
    asked = []
    def answer(msg):
        asked.append(msg["content"])
        kc.input("teal")
    msgs = []
    rep = kc.execute_interactive("ask colour?", allow_stdin=True, stdin_hook=answer, output_hook=lambda m: msgs.append({"type": m["msg_type"], "content": m["content"]}), timeout=60)
    out["stdin"] = {"reply": rep["content"], "asked": asked, "iopub": msgs}
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    out["alive_after_shutdown"] = km.is_alive()
print(json.dumps(out))
`;

const NOTEBOOK = String.raw`
import sys, json, nbformat
from nbclient import NotebookClient
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(c) for c in ["%help", "%boot --cpus 1 --mem 64", "%mem", "Echo from a notebook", "%%ts\n1 + 1"]]
client = NotebookClient(nb, kernel_name="viperdos", timeout=60)
client.on_notebook_start = lambda notebook: print("KERNEL_PID", client.km.provisioner.pid, file=sys.stderr, flush=True)
client.execute()
print(json.dumps(nb))
`;

describe("real Jupyter clients", () => {
  test("jupyter_client: kernel_info, magics, shell lines, a ShellError, interrupt of a guest program, %%ts, complete, inspect, update_display_data, comms, stdin, shutdown", () => {
    const r = python(CLIENT, { JUPYTER_PATH: join(work, "share", "jupyter") });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out.info).toMatchObject({ protocol_version: "5.3", implementation: "viperdos-lab", language_info: { name: "viperdos", file_extension: ".vsh" } });

    const help = out["%help"];
    expect(help.reply).toMatchObject({ status: "ok", execution_count: 1 });
    const types = help.iopub.map((m: { type: string }) => m.type);
    expect(types).toEqual(["status", "execute_input", "display_data", "status"]);
    expect(help.iopub[2].content.data["text/plain"]).toContain("%trace");

    const boot = out["%boot --cpus 2"];
    expect(boot.reply.status).toBe("ok");
    const log = boot.iopub.filter((m: { type: string }) => m.type === "stream").map((m: { content: { text: string } }) => m.content.text).join("");
    expect(log).toContain("cpu: 2 x AArch64");

    const mem = out["%mem"].iopub.find((m: { type: string }) => m.type === "display_data");
    expect(mem.content.data["text/html"]).toContain("<table");
    expect(mem.content.data["text/plain"]).toMatch(/total\s+32768/);

    const echo = out["Echo hi"];
    expect(echo.reply.status).toBe("ok");
    expect(echo.iopub.filter((m: { type: string }) => m.type === "stream").map((m: { content: { text: string } }) => m.content.text).join("")).toBe("hi\n");
    expect(out["nosuchcommand"].reply).toMatchObject({ status: "error", ename: "ShellError" });
    expect(out["nosuchcommand"].iopub.find((m: { type: string }) => m.type === "error").content.evalue).toMatch(/unknown command/);

    expect(out.interrupt).toMatchObject({ parent: true, reply: { status: "error", ename: "Interrupted" } });
    expect(out.interrupt.seconds).toBeLessThan(5);
    expect(out.interrupt.streamed).toContain("spin: 600000 ms");
    expect(out.after.reply.status).toBe("ok");

    expect(out.ts.reply.status).toBe("ok");
    expect(out.ts.iopub.filter((m: { type: string }) => m.type === "stream").map((m: { content: { text: string } }) => m.content.text).join("")).toBe("x is 42\n");
    expect(out.ts.iopub.find((m: { type: string }) => m.type === "execute_result").content.data["text/plain"]).toBe("42");
    expect(out.complete).toMatchObject({ status: "ok", matches: ["C:hello.prg"], cursor_start: 5, cursor_end: 10 });
    expect(out.inspect).toMatchObject({ status: "ok", found: true });
    expect(out.inspect.data["text/plain"]).toMatch(/^%fs PATH/);
    const shown = out.watch.iopub.find((m: { type: string }) => m.type === "display_data");
    const displayId = shown.content.transient.display_id;
    expect(displayId).toMatch(/^viperdos-clock-/);
    const updates = out.advance.iopub.filter((m: { type: string }) => m.type === "update_display_data");
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.every((m: { content: { transient: { display_id: string } } }) => m.content.transient.display_id === displayId)).toBe(true);
    expect(out.comm).toMatchObject({ comm_id: "c1", data: { request: "kernel", ok: true } });
    expect(out.comm.data.snapshot.processes.map((p: { name: string }) => p.name)).toContain("vinit");
    expect(out.comm_info).toMatchObject({ status: "ok", comms: { c1: { target_name: "viperdos.inspect" } } });
    expect(out.stdin.reply.status).toBe("ok");
    expect(out.stdin.asked).toEqual([{ prompt: "", password: false }]);
    expect(out.stdin.iopub.filter((m: { type: string }) => m.type === "stream").map((m: { content: { text: string } }) => m.content.text).join("")).toBe("colour? teal\nhello, teal\n");
    expect(out.alive_after_shutdown).toBe(false);
  }, 100_000);

  test("nbclient executes a notebook", () => {
    const r = python(NOTEBOOK, { JUPYTER_PATH: join(work, "share", "jupyter") });
    expect(r.status, r.stderr).toBe(0);
    const nb = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const outputs = nb.cells.map((c: { outputs: { output_type: string }[] }) => c.outputs.map((o) => o.output_type));
    expect(outputs).toEqual([["display_data"], ["stream"], ["display_data"], ["stream"], ["execute_result"]]);
    expect(nb.cells[2].outputs[0].data["text/plain"]).toMatch(/total\s+16384/);
    expect(nb.cells[3].outputs[0].text).toBe("from a notebook\n");
    expect(nb.cells[4].outputs[0].data["text/plain"]).toBe("2");
    expect(nb.cells.map((c: { execution_count: number }) => c.execution_count)).toEqual([1, 2, 3, 4, 5]);
  }, 100_000);
});

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((res) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => res(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

describe("sockets with zeromq peers", () => {
  test("bad signature and garbage are dropped; a good request is answered; heartbeat echoes", async () => {
    const [shell, iopub, stdin, control, hb] = await freePorts(5);
    const info: ConnectionInfo = { transport: "tcp", ip: "127.0.0.1", shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, key: "secret", signature_scheme: "hmac-sha256" };
    const logs: string[] = [];
    const sockets = await KernelSockets.open(info, (s) => logs.push(s));
    const handlers = new KernelHandlers(sockets, new MagicExecutor(), "kernel-session");
    sockets.listen((ch, m) => handlers.dispatch(ch, m));
    const dealer = new zmq.Dealer();
    const req = new zmq.Request();
    dealer.receiveTimeout = 3000;
    req.receiveTimeout = 3000;
    try {
      dealer.connect(`tcp://127.0.0.1:${shell}`);
      req.connect(`tcp://127.0.0.1:${hb}`);
      const good = new Signer("hmac-sha256", "secret");
      const bad = new Signer("hmac-sha256", "wrong");
      const msg = (id: string) => {
        const m = childMessage(undefined, "kernel_info_request", "client", {});
        m.header.msg_id = id;
        return m;
      };
      await dealer.send([Buffer.from("no delimiter at all")]);
      await dealer.send(encodeMessage(msg("forged"), bad));
      await dealer.send(encodeMessage(msg("genuine"), good));
      const reply = decodeMessage(await dealer.receive(), good);
      expect(reply.ok).toBe(true);
      if (reply.ok) {
        expect(reply.msg.header.msg_type).toBe("kernel_info_reply");
        expect(reply.msg.parent_header).toHaveProperty("msg_id", "genuine");
      }
      expect(sockets.dropped).toBe(2);
      expect(sockets.snapshot()).toMatchObject({ ip: "127.0.0.1", shell_port: shell, signed: true, dropped: 2 });
      expect(JSON.stringify(sockets.snapshot())).not.toContain("secret");
      expect(logs.join("\n")).toMatch(/bad signature/);
      await req.send("ping");
      expect((await req.receive())[0].toString()).toBe("ping");
      dealer.receiveTimeout = 300;
      await expect(dealer.receive()).rejects.toThrow(); // nothing else was answered
    } finally {
      dealer.close();
      req.close();
      await sockets.close();
    }
  }, 30_000);
});
