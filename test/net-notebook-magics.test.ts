// The network magics through the cell executor (as a notebook runs them):
// %topology builds a lab and runs programs in it, %link shows and changes
// links (and refuses bad values with a usage error), %net lists a machine's
// interface and sockets, %tcp lists connections, plots traces, sets the
// congestion control; mistakes are UsageErrors, never crashes.
import { describe, expect, it } from "vitest";
import { MagicExecutor } from "../kernel-bridge/executor.js";
import type { MimeBundle } from "../kernel-bridge/protocol.js";

function sinks() {
  const out = { text: "", displays: [] as MimeBundle[] };
  return { out, sinks: { writeStream: (_n: "stdout" | "stderr", t: string) => void (out.text += t), writeDisplay: (d: MimeBundle) => void out.displays.push(d) } };
}

async function cell(ex: MagicExecutor, code: string) {
  const { out, sinks: s } = sinks();
  const r = await ex.execute(code, s, new AbortController().signal);
  return { r, out, plain: r.status === "ok" && r.result ? String(r.result["text/plain"]) : "" };
}

describe("network magics", () => {
  it("build a lab, run programs, show and change links, list and plot connections", async () => {
    const ex = new MagicExecutor();
    const none = await cell(ex, "%link");
    expect(none.r).toMatchObject({ status: "error", ename: "UsageError", evalue: expect.stringMatching(/no lab/) });

    const lab = await cell(ex, "%topology new alice bob --bottleneck bob --delay 5 --bw 50");
    expect(lab.plain).toMatch(/bob\s+10\.0\.2\.16/);
    expect(lab.plain).toMatch(/5 ms, 50 Mbit\/s/);

    expect((await cell(ex, "%link bob --loss 2")).r).toMatchObject({ status: "error", ename: "UsageError", evalue: "--loss must be 0..1" });
    expect((await cell(ex, "%link carol --loss 0.1")).r).toMatchObject({ status: "error", evalue: expect.stringMatching(/no link carol/) });
    expect((await cell(ex, "%link bob --delay")).r).toMatchObject({ status: "error", evalue: "--delay needs a number" });
    const changed = await cell(ex, "%link bob --queue 30 --dir from");
    expect(changed.plain).toMatch(/from switch\s+5 ms, 50 Mbit\/s, queue 30 packets/);
    expect(changed.plain).toMatch(/to switch\s+5 ms, 50 Mbit\/s, queue unlimited/);

    expect((await cell(ex, "%topology start bob iperf -s -k")).plain).toMatch(/started iperf on bob/);
    const run = await cell(ex, "%topology run alice iperf -c 10.0.2.16 -n 200000 -C cubic");
    expect(run.plain).toMatch(/iperf on alice exited with status 0/);
    expect(run.out.text).toMatch(/\[alice\] iperf: server received 200000 bytes, fnv1a 0x[0-9a-f]{8}: match/);
    expect((await cell(ex, "%topology run alice nosuch")).r).toMatchObject({ status: "error", evalue: expect.stringMatching(/unknown program nosuch/) });

    const list = await cell(ex, "%tcp list --machine alice");
    expect(list.plain).toMatch(/10\.0\.2\.15:\d+ -> 10\.0\.2\.16:5201 \(cubic\)/);
    const tr = await cell(ex, "%tcp trace last --machine alice");
    expect(tr.r.status).toBe("ok");
    expect(Object.keys((tr.r as { result: MimeBundle }).result)).toEqual(expect.arrayContaining(["application/vnd.vegalite.v5+json", "image/svg+xml"]));
    expect((await cell(ex, "%tcp trace 999 --machine alice")).r).toMatchObject({ status: "error", evalue: expect.stringMatching(/no connection 999/) });
    expect((await cell(ex, "%tcp cc reno --machine bob")).r).toMatchObject({ status: "error", ename: "UsageError" });
    expect((await cell(ex, "%tcp cc cubic --machine bob")).plain).toMatch(/new sockets use cubic/);

    const net = await cell(ex, "%net bob");
    expect(net.plain).toMatch(/10\.0\.2\.16\s+255\.255\.255\.0/);
    expect(net.plain).toMatch(/Sockets[\s\S]*tcp\s+0\.0\.0\.0:5201\s+\*\s+listening/);
    expect((await cell(ex, "%net carol")).r).toMatchObject({ status: "error", evalue: expect.stringMatching(/no machine carol/) });
  }, 60_000);

  it("a lab with the gateway resolves names and pings 10.0.2.2", async () => {
    const ex = new MagicExecutor();
    const lab = await cell(ex, "%topology new alice --gateway");
    expect(lab.plain).toMatch(/gateway\s+10\.0\.2\.2 \(DNS 10\.0\.2\.3\)/);
    const ns = await cell(ex, "%topology run alice nslookup gateway localhost");
    expect(ns.out.text).toMatch(/\[alice\] Name: +gateway\n\[alice\] Address: 10\.0\.2\.2/);
    expect(ns.out.text).toMatch(/\[alice\] Address: 127\.0\.0\.1/);
    const ping = await cell(ex, "%topology run alice ping gateway -c 2");
    expect(ping.out.text).toMatch(/2 sent, 2 received, 0% lost/);
  }, 30_000);
});
