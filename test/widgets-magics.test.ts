// The magics that route through widgets/, on a real machine: %pt before and
// after demand paging and COW (notebooks/programs/cowdemo.c driven by
// %advance), %mem --chart, %sched --timeline, %caps's derivation tree, and
// %bench ipc measuring real round trips; bad arguments are usage errors.

import { describe, expect, test } from "vitest";
import { MagicExecutor, type OutputSinks } from "../kernel-bridge/executor.js";
import type { MimeBundle } from "../kernel-bridge/protocol.js";
import { checkChartSpec, VEGALITE_MIME } from "../widgets/chart.js";
import { MAGICS } from "../kernel-bridge/magics.js";

function collect() {
  const out = { stdout: "", displays: [] as MimeBundle[] };
  const sinks: OutputSinks = {
    writeStream: (_n, t) => void (out.stdout += t),
    writeDisplay: (d) => void out.displays.push(d),
  };
  return { out, sinks };
}

const never = new AbortController().signal;

function counters(text: string) {
  const m = /faults (\d+), zero-fills (\d+), file loads \d+, COW copies (\d+)/.exec(text)!;
  return { faults: Number(m[1]), zeroFills: Number(m[2]), cowCopies: Number(m[3]) };
}

describe("magics through widgets", () => {
  test("%pt shows demand paging, then COW marks, then COW copies (cowdemo + %advance)", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    expect(await ex.execute("%boot --cpus 2 --mem 32", sinks, never)).toMatchObject({ status: "ok" });
    const run = await ex.execute("%run --for 50 cowdemo", sinks, never);
    expect(run).toMatchObject({ status: "ok" });
    const pid = run.status === "ok" ? Number(/pid (\d+) \(cowdemo\)/.exec(String(run.result?.["text/plain"]))?.[1]) : NaN;
    const pt = async () => {
      out.displays.length = 0;
      expect(await ex.execute(`%pt ${pid}`, sinks, never)).toMatchObject({ status: "ok" });
      return out.displays[0];
    };
    const before = await pt();
    expect(before["text/html"]).toContain("<details");
    const c0 = counters(before["text/plain"]);
    expect(await ex.execute("%advance 100", sinks, never)).toMatchObject({ status: "ok" });
    const touched = counters((await pt())["text/plain"]);
    expect(touched.zeroFills - c0.zeroFills).toBeGreaterThanOrEqual(8);
    expect(await ex.execute("%advance 100", sinks, never)).toMatchObject({ status: "ok" });
    const forked = await pt();
    expect(forked["text/plain"]).toMatch(/ cow /);
    expect(forked["text/html"]).toContain("vd-cow");
    expect(await ex.execute("%advance 100", sinks, never)).toMatchObject({ status: "ok" });
    const copied = counters((await pt())["text/plain"]);
    expect(copied.cowCopies).toBeGreaterThanOrEqual(4);
    expect(out.stdout).toContain("cowdemo: parent wrote 4 heap pages");
    out.displays.length = 0;
    expect(await ex.execute(`%mem --chart\n%sched --timeline\n%caps ${pid}`, sinks, never)).toMatchObject({ status: "ok" });
    const [memChart, timeline, caps] = out.displays;
    for (const chart of [memChart, timeline]) {
      expect(checkChartSpec(chart[VEGALITE_MIME])).toEqual([]);
      expect(chart["image/svg+xml"]).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    expect(JSON.stringify(timeline[VEGALITE_MIME])).toContain("virtual time (ms)");
    expect(timeline["text/plain"]).toMatch(/cowdemo/);
    expect(caps["text/plain"]).toContain("Derivation tree");
    expect(await ex.execute("%mem --pie", sinks, never)).toMatchObject({ status: "error", ename: "UsageError" });
    expect(await ex.execute("%advance soon", sinks, never)).toMatchObject({ status: "error", ename: "UsageError" });
  }, 90_000);

  test("%bench ipc plots real per-size round trips in virtual time", async () => {
    const ex = new MagicExecutor();
    const { sinks } = collect();
    const r = await ex.execute("%bench ipc --sizes 8,4096 --iters 20", sinks, never);
    expect(r).toMatchObject({ status: "ok" });
    if (r.status !== "ok" || !r.result) throw new Error("no result");
    expect(checkChartSpec(r.result[VEGALITE_MIME])).toEqual([]);
    const values = (r.result[VEGALITE_MIME] as { data: { values: { size: number; latency_us: number }[] } }).data.values;
    expect(values.filter((v) => v.size === 8)).toHaveLength(20);
    expect(values.filter((v) => v.size === 4096)).toHaveLength(20);
    expect(values.every((v) => v.latency_us > 0)).toBe(true);
    expect(r.result["text/plain"]).toMatch(/virtual time/);
    expect(ex.snapshot().booted).toBe(false); // measured in its own machine
    for (const bad of ["%bench", "%bench ipc --sizes 0", "%bench ipc --sizes 8,x", "%bench ipc --iters 0", "%bench ipc --sizes 9000", "%bench ipc --cpus 9", "%bench ipc extra"]) {
      expect(await ex.execute(bad, sinks, never), bad).toMatchObject({ status: "error", ename: "UsageError" });
    }
  }, 90_000);

  test("%fs: a program's inode and block map, a directory's records; %journal sees a file written by the shell commit", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    expect(await ex.execute("%fs C:hello.prg", sinks, never)).toMatchObject({ status: "ok" });
    const file = out.displays[0]["text/plain"];
    expect(file).toMatch(/C:hello\.prg: inode \d+ on D1 \(\/c\/hello\.prg\), file/);
    const size = Number(/size\s+(\d+)/.exec(file)![1]);
    expect(size).toBeGreaterThan(4096);
    expect(file).toMatch(new RegExp(`blocks\\s+${Math.ceil(size / 4096)}\\b`));
    expect(out.displays[0]["text/html"]).toContain("viperdos-blocks");
    expect(await ex.execute("%fs C:", sinks, never)).toMatchObject({ status: "ok" });
    expect(out.displays[1]["text/plain"]).toMatch(/Directory records[\s\S]*hello\.prg/);
    expect(await ex.execute("%fs C:nope", sinks, never)).toMatchObject({ status: "error", ename: "NotFound", evalue: expect.stringMatching(/no such file/) });
    expect(await ex.execute("%fs", sinks, never)).toMatchObject({ status: "error", ename: "UsageError" });

    out.displays.length = 0;
    expect(await ex.execute("%journal", sinks, never)).toMatchObject({ status: "ok" });
    const before = out.displays[0]["text/plain"];
    expect(before).toMatch(/Journals \(kernel writer\)/);
    const txns = (t: string) => Number(new RegExp(`^D1\\s+USER\\s+\\d+\\s+\\d+\\s+(\\d+)`, "m").exec(t)![1]);
    expect(await ex.execute("Copy C:hello.prg T:copy", sinks, never)).toMatchObject({ status: "ok" });
    expect(await ex.execute("%journal\n%fs T:copy", sinks, never)).toMatchObject({ status: "ok" });
    expect(txns(out.displays[1]["text/plain"])).toBeGreaterThan(txns(before));
    expect(out.displays[1]["text/plain"]).toMatch(/Last transaction per volume/);
    expect(out.displays[2]["text/plain"]).toMatch(new RegExp(`size\\s+${size}\\b`));
  }, 60_000);

  test("%channels, %trace on/off, %pt by name and --va, %caps by name; --help on every magic", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    expect(await ex.execute("%run --for 5 spin 100000", sinks, never)).toMatchObject({ status: "ok" });
    out.displays.length = 0;
    expect(await ex.execute("%channels\n%pt spin\n%caps spin\n%pt spin --va 0x0", sinks, never)).toMatchObject({ status: "ok" });
    const [chans, pt, caps, walk] = out.displays;
    expect(chans["text/plain"]).toMatch(/^Channels \(\d+\)/);
    expect(pt["text/plain"]).toMatch(/spin/);
    expect(caps["text/plain"]).toMatch(/Capabilities of pid \d+ \(spin\)/);
    expect(walk["text/plain"]).toMatch(/Walk of 0x0 in pid \d+ \(spin\)[\s\S]*fault/);
    const text = /pc (0x[0-9a-f]+)/.exec(pt["text/plain"])?.[1];
    if (text) {
      out.displays.length = 0;
      expect(await ex.execute(`%pt spin --va ${text}`, sinks, never)).toMatchObject({ status: "ok" });
      expect(out.displays[0]["text/plain"]).toMatch(/-> PA 0x[0-9a-f]+, EL0 r-x/);
    }
    expect(await ex.execute("%pt nosuch", sinks, never)).toMatchObject({ status: "error", ename: "NotFound" });
    expect(await ex.execute("%pt spin --va zz", sinks, never)).toMatchObject({ status: "error", ename: "UsageError" });

    const k = ex.session.kernel!;
    const r = await ex.execute("%trace off", sinks, never);
    expect(r).toMatchObject({ status: "ok" });
    const lastKept = () => JSON.stringify(k.trace.events(5).map(({ seq: _seq, ...e }) => e));
    const kept = lastKept();
    const hash = k.trace.hash();
    expect(await ex.execute("%advance 20", sinks, never)).toMatchObject({ status: "ok" });
    expect(lastKept()).toBe(kept); // nothing kept while off
    expect(k.trace.hash()).not.toBe(hash); // the running hash still covers every event
    expect(await ex.execute("%trace on\n%advance 20", sinks, never)).toMatchObject({ status: "ok" });
    expect(lastKept()).not.toBe(kept);
    expect(await ex.execute("%trace maybe", sinks, never)).toMatchObject({ status: "error", ename: "UsageError" });

    for (const g of MAGICS) {
      out.stdout = "";
      expect(await ex.execute(`%${g.name} --help`, sinks, never), g.name).toMatchObject({ status: "ok" });
      expect(out.stdout, g.name).toContain(`%${g.name}`);
    }
  }, 60_000);
});
