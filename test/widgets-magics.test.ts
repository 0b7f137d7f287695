// The magics that route through widgets/, on a real machine: %pt before and
// after demand paging and COW (notebooks/programs/cowdemo.c driven by
// %advance), %mem --chart, %sched --timeline, %caps's derivation tree, and
// %bench ipc measuring real round trips; bad arguments are usage errors.

import { describe, expect, test } from "vitest";
import { MagicExecutor, type OutputSinks } from "../kernel-bridge/executor.js";
import type { MimeBundle } from "../kernel-bridge/protocol.js";
import { checkChartSpec, VEGALITE_MIME } from "../widgets/chart.js";

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
    expect(await ex.execute("%run --for 50 cowdemo", sinks, never)).toMatchObject({ status: "ok" });
    const pt = async () => {
      out.displays.length = 0;
      expect(await ex.execute("%pt 1", sinks, never)).toMatchObject({ status: "ok" });
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
    expect(await ex.execute("%mem --chart\n%sched --timeline\n%caps 1", sinks, never)).toMatchObject({ status: "ok" });
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
});
