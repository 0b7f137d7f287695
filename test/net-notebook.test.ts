// notebooks/06-tcp-congestion.ipynb executed by a real Jupyter client
// (Debian's nbconvert, as test/notebooks.test.ts does for the others): two
// ViperDOS machines through a bottleneck, iperf runs with NewReno and CUBIC,
// random loss; the cwnd charts must come from those runs (vega-lite + SVG,
// virtual time, loss/recovery events), with the transfers checksummed.
// Needs python3-nbconvert (scripts/jupyter-deps.sh).

import { afterAll, beforeAll, expect, test } from "vitest";
import { executeNotebook, joined, kernelspecPrefix, removePrefix, VL } from "./support/notebook.js";

const NB = "06-tcp-congestion.ipynb";
let work = "";
beforeAll(() => {
  work = kernelspecPrefix("net-notebook");
}, 180_000);
afterAll(() => removePrefix(work));

test("06-tcp-congestion: slow start, fast recovery, NewReno vs CUBIC and random loss, plotted from real runs", () => {
  const { cells, ms } = executeNotebook(work, NB, 120);
  const errors = cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${c.source}: ${o.ename}: ${o.evalue}`));
  expect(errors).toEqual([]);
  expect(ms).toBeLessThan(120_000);
  const of = (src: string) => cells.find((c) => c.source === src)?.outputs ?? [];
  const stdout = (src: string) => of(src).filter((o) => o.output_type === "stream").map((o) => joined(o.text)).join("");
  const rich = (src: string) => of(src).filter((o) => o.output_type === "execute_result" || o.output_type === "display_data");

  // The lab diagram.
  const lab = rich("%topology new alice bob --bottleneck bob --delay 10 --bw 20 --queue 40")[0];
  expect(joined(lab.data?.["image/svg+xml"])).toMatch(/^<svg[\s\S]*alice[\s\S]*bob[\s\S]*<\/svg>$/);
  expect(joined(lab.data?.["text/plain"])).toMatch(/bob .*10 ms, 20 Mbit\/s, queue 40 packets/);

  // Every transfer arrived intact, at most the bottleneck's rate.
  for (const src of cells.map((c) => c.source).filter((s) => s.startsWith("%topology run alice iperf"))) {
    const text = stdout(src);
    expect(text, src).toMatch(/\[alice\] iperf: server received \d+ bytes, fnv1a 0x[0-9a-f]{8}: match/);
    const mbit = Number(/\[bob\] iperf server: .*\(([\d.]+) Mbit\/s\)/.exec(text)?.[1]);
    expect(mbit, src).toBeGreaterThan(1);
    expect(mbit, src).toBeLessThanOrEqual(20);
  }

  // The charts: vega-lite + SVG, virtual time, from the runs' own traces.
  const charts = cells.filter((c) => c.source.startsWith("%tcp trace")).map((c) => rich(c.source)[0]);
  expect(charts).toHaveLength(3);
  for (const ch of charts) {
    expect(Object.keys(ch.data!)).toEqual(expect.arrayContaining(["text/plain", "text/html", VL, "image/svg+xml"]));
    expect(JSON.stringify(ch.data![VL])).toContain("virtual time");
  }
  type Row = { run: string; t_ms: number; kbytes: number; series: string; event: string };
  const rows = (i: number) => (charts[i].data![VL] as { data: { values: Row[] } }).data.values;
  // NewReno on the bottleneck: slow start overflows the queue, fast recovery follows, ssthresh is set.
  const nr = rows(0);
  expect(nr.some((v) => v.series === "event" && v.event === "fast-retransmit")).toBe(true);
  expect(nr.some((v) => v.series === "event" && v.event === "recovery-exit")).toBe(true);
  expect(nr.some((v) => v.series === "ssthresh")).toBe(true);
  const cw = nr.filter((v) => v.series === "cwnd").map((v) => v.kbytes);
  expect(Math.max(...cw)).toBeGreaterThan(4 * cw[0]);
  // NewReno against CUBIC: two runs on one chart, each with its own label.
  const both = rows(1);
  const runs = [...new Set(both.map((v) => v.run))];
  expect(runs).toHaveLength(2);
  expect(runs[0]).toMatch(/newreno/);
  expect(runs[1]).toMatch(/cubic/);
  // Random loss: losses detected.
  expect(rows(2).some((v) => v.series === "event" && (v.event === "loss" || v.event === "rto"))).toBe(true);
  expect(stdout("%topology run bob netstat")).toMatch(/\[bob\] tcp\s+\*:5201\s+\*:\*\s+LISTEN/);
}, 300_000);
