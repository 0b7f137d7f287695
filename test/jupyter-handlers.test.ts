// Request handlers and the magic executor with injected fakes: execution
// queue order, interrupt, stop_on_error, each request type's reply, and the
// magics over a real (small) machine.

import { describe, expect, test } from "vitest";
import { KernelHandlers, type Transport } from "../kernel-bridge/handlers.js";
import { MagicExecutor, type CellExecutor, type ExecuteOutcome, type OutputSinks } from "../kernel-bridge/executor.js";
import { MAGICS, tokenize } from "../kernel-bridge/magics.js";
import type { Channel, JupyterMessage } from "../kernel-bridge/protocol.js";
import { childMessage } from "../kernel-bridge/wire.js";

interface Sent {
  channel: Channel;
  msg: JupyterMessage;
}

function fakeTransport(): Transport & { sent: Sent[] } {
  const sent: Sent[] = [];
  return { sent, send: (channel, msg) => void sent.push({ channel, msg }) };
}

function request(type: string, content: Record<string, unknown> = {}): JupyterMessage {
  const m = childMessage(undefined, type, "client-session", content);
  m.identities = [Buffer.from("peer")];
  return m;
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A scripted executor: "sleep N" waits N ms (abortable), "fail" errors, anything else echoes. */
class ScriptExecutor implements CellExecutor {
  log: string[] = [];
  active = 0;
  maxActive = 0;
  async execute(code: string, sinks: OutputSinks, signal: AbortSignal): Promise<ExecuteOutcome> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.log.push(`start ${code}`);
    try {
      const m = /^sleep (\d+)$/.exec(code);
      if (m) {
        const aborted = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), Number(m[1]));
          signal.addEventListener("abort", () => (clearTimeout(t), resolve(true)));
        });
        if (aborted) return { status: "error", ename: "Interrupted", evalue: "interrupted", traceback: [] };
      }
      if (code === "fail") return { status: "error", ename: "Boom", evalue: "failed", traceback: ["Boom: failed"] };
      sinks.writeStream("stdout", `out ${code}\n`);
      return { status: "ok", result: { "text/plain": code } };
    } finally {
      this.active--;
      this.log.push(`end ${code}`);
    }
  }
  complete() {
    return { matches: ["%mem"], cursor_start: 0, cursor_end: 2 };
  }
  inspect() {
    return { "text/plain": "usage" };
  }
  isComplete(code: string) {
    return code.endsWith("\\") ? ("incomplete" as const) : ("complete" as const);
  }
  shutdown() {
    this.log.push("shutdown");
  }
}

function setup() {
  const t = fakeTransport();
  const ex = new ScriptExecutor();
  const shutdowns: boolean[] = [];
  const h = new KernelHandlers(t, ex, "kernel-session", { onShutdown: (r) => shutdowns.push(r) });
  const replies = (type: string) => t.sent.filter((s) => s.msg.header.msg_type === type);
  return { t, ex, h, shutdowns, replies };
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("until: timed out");
    await tick(2);
  }
}

describe("execution queue", () => {
  test("cells run one at a time in arrival order, each bracketed by busy/idle", async () => {
    const { h, ex, t, replies } = setup();
    for (const c of ["sleep 30", "a", "sleep 10", "b"]) h.dispatch("shell", request("execute_request", { code: c }));
    await until(() => replies("execute_reply").length === 4);
    expect(ex.maxActive).toBe(1);
    expect(ex.log).toEqual(["start sleep 30", "end sleep 30", "start a", "end a", "start sleep 10", "end sleep 10", "start b", "end b"]);
    expect(replies("execute_reply").map((s) => s.msg.content.execution_count)).toEqual([1, 2, 3, 4]);
    // Replies go back to the requester on shell with the request as parent.
    const r = replies("execute_reply")[1];
    expect(r.channel).toBe("shell");
    expect(r.msg.identities[0].toString()).toBe("peer");
    expect(r.msg.parent_header).toHaveProperty("msg_type", "execute_request");
    // iopub for cell "a": busy, execute_input, stream, execute_result, idle.
    const parentId = r.msg.parent_header.msg_id;
    const io = t.sent.filter((s) => s.channel === "iopub" && s.msg.parent_header.msg_id === parentId).map((s) => s.msg.header.msg_type);
    expect(io).toEqual(["status", "execute_input", "stream", "execute_result", "status"]);
  });

  test("interrupt_request aborts the running cell; the queue goes on", async () => {
    const { h, replies } = setup();
    h.dispatch("shell", request("execute_request", { code: "sleep 10000" }));
    h.dispatch("shell", request("execute_request", { code: "after", stop_on_error: false }));
    await tick(20);
    h.dispatch("control", request("interrupt_request"));
    expect(replies("interrupt_reply")[0].channel).toBe("control");
    await until(() => replies("execute_reply").length === 2);
    const [first, second] = replies("execute_reply").map((s) => s.msg.content);
    expect(first).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(second).toMatchObject({ status: "ok" });
  });

  test("after an error, queued cells with stop_on_error are aborted; later ones run", async () => {
    const { h, ex, replies, t } = setup();
    h.dispatch("shell", request("execute_request", { code: "fail" }));
    h.dispatch("shell", request("execute_request", { code: "queued" }));
    await until(() => replies("execute_reply").length === 2);
    h.dispatch("shell", request("execute_request", { code: "later" }));
    await until(() => replies("execute_reply").length === 3);
    expect(replies("execute_reply").map((s) => s.msg.content.status)).toEqual(["error", "aborted", "ok"]);
    expect(ex.log).not.toContain("start queued");
    const err = t.sent.find((s) => s.msg.header.msg_type === "error")!;
    expect(err.msg.content).toEqual({ ename: "Boom", evalue: "failed", traceback: ["Boom: failed"] });
  });

  test("silent cells do not count or publish outputs", async () => {
    const { h, replies, t } = setup();
    h.dispatch("shell", request("execute_request", { code: "quiet", silent: true }));
    await until(() => replies("execute_reply").length === 1);
    expect(replies("execute_reply")[0].msg.content.execution_count).toBe(0);
    expect(t.sent.some((s) => ["stream", "execute_input", "execute_result"].includes(s.msg.header.msg_type))).toBe(false);
  });
});

describe("other requests", () => {
  test("kernel_info_reply", () => {
    const { h, replies } = setup();
    h.dispatch("shell", request("kernel_info_request"));
    expect(replies("kernel_info_reply")[0].msg.content).toMatchObject({
      status: "ok",
      protocol_version: "5.3",
      implementation: "viperdos-lab",
      language_info: { name: "viperdos", mimetype: "text/x-viperdos", file_extension: ".vsh" },
      help_links: [],
    });
  });

  test("complete, inspect, is_complete, comm_info, history; bad content types do not throw", () => {
    const { h, replies } = setup();
    h.dispatch("shell", request("complete_request", { code: "%m", cursor_pos: 2 }));
    h.dispatch("shell", request("inspect_request", { code: "%mem", cursor_pos: 1 }));
    h.dispatch("shell", request("is_complete_request", { code: "%run \\" }));
    h.dispatch("shell", request("comm_info_request", {}));
    h.dispatch("shell", request("history_request", { hist_access_type: "tail", n: 10 }));
    h.dispatch("shell", request("complete_request", { code: 42, cursor_pos: "x" }));
    h.dispatch("shell", request("no_such_request"));
    expect(replies("complete_reply")[0].msg.content).toMatchObject({ status: "ok", matches: ["%mem"] });
    expect(replies("inspect_reply")[0].msg.content).toMatchObject({ found: true, data: { "text/plain": "usage" } });
    expect(replies("is_complete_reply")[0].msg.content).toEqual({ status: "incomplete", indent: "" });
    expect(replies("comm_info_reply")[0].msg.content).toEqual({ status: "ok", comms: {} });
    expect(replies("history_reply")[0].msg.content).toEqual({ status: "ok", history: [] });
    expect(replies("complete_reply")).toHaveLength(2);
  });

  test("shutdown_request echoes restart, stops the executor and ignores later requests", () => {
    const { h, ex, replies, shutdowns } = setup();
    h.dispatch("control", request("shutdown_request", { restart: true }));
    expect(replies("shutdown_reply")[0]).toMatchObject({ channel: "control", msg: { content: { status: "ok", restart: true } } });
    expect(shutdowns).toEqual([true]);
    expect(ex.log).toContain("shutdown");
    h.dispatch("shell", request("kernel_info_request"));
    expect(replies("kernel_info_reply")).toHaveLength(0);
  });
});

function collect() {
  const out = { stdout: "", displays: [] as Record<string, unknown>[] };
  const sinks: OutputSinks = { writeStream: (n, t) => void (out.stdout += t), writeDisplay: (d) => void out.displays.push(d) };
  return { out, sinks };
}

describe("magic executor", () => {
  const never = new AbortController().signal;

  test("tokenize groups quotes and reports open ones", () => {
    expect(tokenize(`run hello "a b" 'c'`)).toEqual(["run", "hello", "a b", "c"]);
    expect(tokenize(`run "open`)).toMatch(/unbalanced/);
  });

  test("blank and comment lines do nothing (nothing boots)", async () => {
    const ex = new MagicExecutor();
    expect(await ex.execute("# a comment\n\n   \n", collect().sinks, never)).toEqual({ status: "ok", result: undefined });
    expect(ex.session.kernel).toBeUndefined();
  });

  test.each([
    ["%nope", "UsageError", /unknown magic %nope/],
    ["%boot --cpus 9", "UsageError", /--cpus must be 1..4/],
    ["%boot --bogus 1", "UsageError", /unknown option/],
    ["%pt --bogus", "UsageError", /unknown option --bogus/],
    ["%pt 1 2", "UsageError", /unexpected argument 2/],
    ["%trace list", "UsageError", /expected: on, off or show/],
    ["%run nosuchprogram", "UsageError", /no program nosuchprogram/],
  ])("%s fails with %s", async (code, ename, re) => {
    const r = await new MagicExecutor().execute(code, collect().sinks, never);
    expect(r).toMatchObject({ status: "error", ename });
    if (r.status === "error") expect(r.evalue).toMatch(re);
  });

  test("an exception inside a magic becomes a KernelBridgeError; the next cell still runs", async () => {
    const ex = new MagicExecutor();
    const real = ex.session.ensureKernel.bind(ex.session);
    ex.session.ensureKernel = () => {
      throw new Error("Kernel.boot: invariant broken");
    };
    const r = await ex.execute("%mem", collect().sinks, never);
    expect(r).toMatchObject({ status: "error", ename: "KernelBridgeError", evalue: "%mem failed: Kernel.boot: invariant broken" });
    if (r.status === "error") expect(r.traceback.at(-1)).toMatch(/%boot starts a fresh one/);
    ex.session.ensureKernel = real;
    expect(await ex.execute("%help", collect().sinks, never)).toMatchObject({ status: "ok" });
    expect(ex.snapshot()).toMatchObject({ booted: false, cells: 2 });
  });

  test("--help prints usage; completion and inspection of magic names", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    expect(await ex.execute("%boot --help", sinks, never)).toEqual({ status: "ok", result: undefined });
    expect(out.stdout).toContain("%boot [--cpus N]");
    expect(ex.complete("%bo", 3)).toEqual({ matches: ["%boot"], cursor_start: 0, cursor_end: 3 });
    expect(ex.complete("%", 1).matches).toHaveLength(MAGICS.length + 1); // and %%ts
    expect(ex.complete("echo x", 6).matches).toEqual([]); // no machine yet: no paths
    expect(ex.inspect("%pt 3", 2)?.["text/plain"]).toMatch(/^%pt \[PROCESS\]/);
    expect(ex.inspect("hello", 2)).toBeUndefined();
  });

  test("%boot, %mem, %sched, %trace show on a real machine; %pt/%caps of a live program", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    expect(await ex.execute("%boot --cpus 2 --mem 32 --seed 7", sinks, never)).toMatchObject({ status: "ok" });
    expect(out.stdout).toContain("cpu: 2 x AArch64");
    expect(out.stdout).toContain("mem: 32 MiB RAM");
    expect(await ex.execute("%mem\n%sched --queues\n%trace show 3", sinks, never)).toMatchObject({ status: "ok" });
    expect(out.displays).toHaveLength(3);
    for (const d of out.displays) {
      expect(typeof d["text/plain"]).toBe("string");
      expect(d["text/html"]).toMatch(/^<table/);
    }
    expect(out.displays[0]["text/plain"]).toMatch(/total\s+8192/);
    expect((out.displays[1]["text/plain"] as string).split("\n").filter((l) => /^\s+[01]\s+idle/.test(l))).toHaveLength(2);
    const run = await ex.execute("%run --for 1 spin 100000", sinks, never);
    expect(run).toMatchObject({ status: "ok" });
    const pid = run.status === "ok" ? Number(/pid (\d+) \(spin\) still running after 1 ms/.exec(String(run.result?.["text/plain"]))?.[1]) : NaN;
    expect(pid).toBeGreaterThan(1); // vinit is pid 1
    out.displays.length = 0;
    expect(await ex.execute(`%pt ${pid}\n%caps ${pid}`, sinks, never)).toMatchObject({ status: "ok" });
    expect(out.displays[0]["text/plain"]).toMatch(/L0 table @ 0x/);
    expect(out.displays[0]["text/plain"]).toMatch(/text/);
    expect(out.displays[1]["text/plain"]).toMatch(new RegExp(`Capabilities of pid ${pid} \\(spin\\)`));
    expect(await ex.execute("%pt 99", sinks, never)).toMatchObject({ status: "error", ename: "NotFound" });
  }, 60_000);

  test("%run streams output; interrupting it kills the program with SIGINT and the kernel stays usable", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    await ex.execute("%boot --cpus 1", sinks, never);
    const ac = new AbortController();
    const started = Date.now();
    const pending = ex.execute("%run spin 600000", sinks, ac.signal);
    // The event loop keeps turning while the machine runs: timers fire on time.
    const t0 = performance.now();
    await tick(300);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(out.stdout).toContain("spin: 600000 ms"); // streamed before the end
    ac.abort();
    const r = await pending;
    expect(r).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(Date.now() - started).toBeLessThan(5000);
    const p = ex.session.kernel!.processes().find((q) => q.name === "spin");
    expect(p === undefined || p.state !== "live").toBe(true);
    if (p) expect(p.exitCode).toBe(128 + 2);
    const again = await ex.execute("%run hello x", sinks, never);
    expect(again).toMatchObject({ status: "ok" });
    if (again.status === "ok") expect(again.result?.["text/plain"]).toMatch(/hello\) exited with status 3/);
  }, 60_000);
});
