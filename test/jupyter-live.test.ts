// Live views and comms through the request handlers with the real executor:
// %watch / --live give display_data with a display_id, later cells that run
// the machine send update_display_data for it; the "viperdos.inspect" comm
// answers snapshot requests, refuses unknown targets, and comm_info lists
// the open comms.

import { describe, expect, test } from "vitest";
import { KernelHandlers, type Transport } from "../kernel-bridge/handlers.js";
import { MagicExecutor } from "../kernel-bridge/executor.js";
import { answerInspect, INSPECT_TARGET } from "../kernel-bridge/comms.js";
import type { Channel, JupyterMessage } from "../kernel-bridge/protocol.js";
import { childMessage } from "../kernel-bridge/wire.js";

function setup() {
  const sent: { channel: Channel; msg: JupyterMessage }[] = [];
  const transport: Transport = { send: (channel, msg) => void sent.push({ channel, msg }) };
  const ex = new MagicExecutor();
  const h = new KernelHandlers(transport, ex, "k", { commTargets: { [INSPECT_TARGET]: (d) => answerInspect(ex.session, d) } });
  const request = (type: string, content: Record<string, unknown>, channel: Channel = "shell") => {
    const m = childMessage(undefined, type, "client", content);
    m.identities = [Buffer.from("peer")];
    h.dispatch(channel, m);
    return m.header.msg_id;
  };
  const of = (type: string, parent?: string) => sent.filter((s) => s.msg.header.msg_type === type && (parent === undefined || s.msg.parent_header.msg_id === parent)).map((s) => s.msg);
  const run = async (code: string) => {
    const id = request("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    for (let i = 0; i < 3000 && of("execute_reply", id).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    return { id, reply: of("execute_reply", id)[0]?.content };
  };
  return { sent, ex, request, of, run };
}

describe("live views", () => {
  test("%watch shows a view with a display_id; a later cell running the machine updates it in place", async () => {
    const t = setup();
    const w = await t.run("%watch clock");
    expect(w.reply).toMatchObject({ status: "ok" });
    const shown = t.of("display_data", w.id)[0];
    const displayId = (shown.content.transient as { display_id: string }).display_id;
    expect(displayId).toMatch(/^viperdos-clock-/);
    const v0 = Number(/virtual time ([\d.]+) ms/.exec(String((shown.content.data as Record<string, unknown>)["text/plain"]))![1]);
    const a = await t.run("%advance 50ms");
    expect(a.reply).toMatchObject({ status: "ok" });
    const updates = t.of("update_display_data", a.id);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect((updates.at(-1)!.content.transient as { display_id: string }).display_id).toBe(displayId);
    const v1 = Number(/virtual time ([\d.]+) ms/.exec(String((updates.at(-1)!.content.data as Record<string, unknown>)["text/plain"]))![1]);
    expect(v1).toBeGreaterThanOrEqual(v0 + 50);
    // Shell lines run the machine too.
    const e = await t.run("Echo hi");
    expect(t.of("update_display_data", e.id).length).toBeGreaterThanOrEqual(1);
    expect(await t.run("%watch off")).toMatchObject({ reply: { status: "ok" } });
    const after = await t.run("%advance 10");
    expect(t.of("update_display_data", after.id)).toEqual([]);
    expect((await t.run("%watch nosuch")).reply).toMatchObject({ status: "error", ename: "UsageError" });
  }, 60_000);

  test("%advance 300ms --live adds the run queues and updates them while it runs; %sched --live, %mem --live", async () => {
    const t = setup();
    const a = await t.run("%advance 300ms --live");
    expect(a.reply).toMatchObject({ status: "ok" });
    const shown = t.of("display_data", a.id);
    expect(shown).toHaveLength(1);
    const id = (shown[0].content.transient as { display_id: string }).display_id;
    expect(t.of("update_display_data", a.id).every((u) => (u.content.transient as { display_id: string }).display_id === id)).toBe(true);
    expect(t.of("update_display_data", a.id).length).toBeGreaterThanOrEqual(1);
    const s = await t.run("%sched --live\n%mem --live");
    expect(t.of("display_data", s.id).map((m) => (m.content.transient as { display_id: string }).display_id.split("-")[1])).toEqual(["sched", "timeline", "mem"]);
    expect(t.ex.session.live.snapshot().watches.map((w) => w.view)).toEqual(["sched", "sched", "timeline", "mem"]);
  }, 60_000);
});

describe("comms", () => {
  test("viperdos.inspect answers snapshot requests; bad requests get errors; unknown targets are closed; comm_info lists", async () => {
    const t = setup();
    t.request("comm_open", { comm_id: "c1", target_name: INSPECT_TARGET, data: {} });
    let id = t.request("comm_msg", { comm_id: "c1", data: { request: "kernel" } });
    expect(t.of("comm_msg", id)[0].content).toEqual({ comm_id: "c1", data: { request: "kernel", ok: false, error: "no machine yet (run a cell first)" } });
    expect(t.ex.session.kernel).toBeUndefined(); // a snapshot never boots
    await t.run("Echo hi");
    id = t.request("comm_msg", { comm_id: "c1", data: { request: "kernel" } });
    const ans = t.of("comm_msg", id)[0].content.data as { ok: boolean; snapshot: { clock: { virtualNs: number }; processes: { name: string }[] } };
    expect(ans.ok).toBe(true);
    expect(ans.snapshot.clock.virtualNs).toBeGreaterThan(0);
    expect(ans.snapshot.processes.map((p) => p.name)).toContain("vinit");
    id = t.request("comm_msg", { comm_id: "c1", data: { request: "path", path: "S:startup" } });
    expect(t.of("comm_msg", id)[0].content.data).toMatchObject({ ok: true, snapshot: { type: "file", volume: "D1" } });
    for (const [data, re] of [
      [{ request: "nosuch" }, /unknown request/],
      ["text", /must be an object/],
      [{ request: "pagetables", pid: -1 }, /"pid" must be/],
      [{ request: "pagetables", pid: 999 }, /no live process 999/],
      [{ request: "path" }, /"path" must be/],
    ] as const) {
      id = t.request("comm_msg", { comm_id: "c1", data });
      expect((t.of("comm_msg", id)[0].content.data as { ok: boolean; error: string }).error).toMatch(re);
    }
    id = t.request("comm_info_request", { target_name: INSPECT_TARGET });
    expect(t.of("comm_info_reply", id)[0].content).toEqual({ status: "ok", comms: { c1: { target_name: INSPECT_TARGET } } });
    id = t.request("comm_open", { comm_id: "c2", target_name: "jupyter.widget" });
    expect(t.of("comm_close", id)[0].content).toMatchObject({ comm_id: "c2" });
    t.request("comm_close", { comm_id: "c1", data: {} });
    id = t.request("comm_info_request", {});
    expect(t.of("comm_info_reply", id)[0].content).toEqual({ status: "ok", comms: {} });
    id = t.request("comm_msg", { comm_id: "c1", data: { request: "kernel" } });
    expect(t.of("comm_msg", id)).toEqual([]); // closed: dropped
    t.request("comm_open", { target_name: INSPECT_TARGET }); // malformed: dropped, no throw
  }, 60_000);
});

describe("stdin", () => {
  test("with allow_stdin a program reading the console gets the front end's line (input_request / input_reply)", async () => {
    const t = setup();
    const id = t.request("execute_request", { code: "ask colour?", silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true });
    for (let i = 0; i < 3000 && t.of("input_request", id).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const ask = t.sent.find((s) => s.msg.header.msg_type === "input_request" && s.msg.parent_header.msg_id === id)!;
    expect(ask.channel).toBe("stdin");
    expect(ask.msg.content).toEqual({ prompt: "", password: false });
    t.request("input_reply", { value: "teal" }, "stdin");
    for (let i = 0; i < 3000 && t.of("execute_reply", id).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(t.of("execute_reply", id)[0].content).toMatchObject({ status: "ok" });
    expect(t.of("stream", id).map((m) => m.content.text).join("")).toBe("colour? teal\nhello, teal\n");
    t.request("input_reply", { value: "stray" }, "stdin"); // no request pending: dropped
    expect((await t.run("Echo ok")).reply).toMatchObject({ status: "ok" });
  }, 60_000);

  test("an interrupt while waiting for input ends the cell Interrupted; without allow_stdin it is InputNeeded", async () => {
    const t = setup();
    const id = t.request("execute_request", { code: "ask", silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true });
    for (let i = 0; i < 3000 && t.of("input_request", id).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    t.request("interrupt_request", {}, "control");
    for (let i = 0; i < 3000 && t.of("execute_reply", id).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(t.of("execute_reply", id)[0].content).toMatchObject({ status: "error", ename: "Interrupted" });
    expect((await t.run("ask")).reply).toMatchObject({ status: "error", ename: "InputNeeded" });
    expect((await t.run("Echo ok")).reply).toMatchObject({ status: "ok" });
  }, 60_000);
});
