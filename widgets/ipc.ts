// IPC latency plot (%bench ipc): the distribution of channel round-trip
// latency per message size, from real samples taken by the guest program
// viperdos/user/bench/ipclat.c (CNTVCT_EL0 read at EL0 around each round
// trip, so the clock is the guest's virtual time). A box plot per size
// (min-max whiskers) plus a table of percentiles.

import { escapeHtml, htmlTable, textTable, type Cell, type MimeBundle } from "./bundle.js";
import { chartBundle, VEGALITE_SCHEMA, type VegaLiteSpec } from "./chart.js";

export interface IpcLatencyInput {
  /** Round-trip samples in virtual ns, per message size in bytes. */
  series: { size: number; samplesNs: number[] }[];
  /** CPUs of the machine the measurement ran on. */
  cpus: number;
  /** Host wall ms the whole measurement took (reported beside, never instead of, virtual figures). */
  wallMs?: number;
}

/**
 * Parse ipclat's console output: lines "ipclat size=S i=K ns=T". Returns
 * the samples in order, and whether the "ipclat done" line was seen.
 */
export function parseIpclat(text: string): { samplesNs: number[]; done: boolean; error?: string } {
  const samplesNs: number[] = [];
  let done = false;
  let error: string | undefined;
  for (const l of text.split("\n")) {
    const m = /^ipclat size=\d+ i=\d+ ns=(\d+)\s*$/.exec(l.trim());
    if (m) samplesNs.push(Number(m[1]));
    else if (/^ipclat done /.test(l.trim())) done = true;
    else if (/^ipclat(: | error=)/.test(l.trim())) error = l.trim();
  }
  return { samplesNs, done, error };
}

/** The q-quantile (0..1) of sorted `xs` by nearest rank; NaN when empty. */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, min: s[0] ?? NaN, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s.at(-1) ?? NaN, mean };
}

const us = (ns: number) => +(ns / 1000).toFixed(3);

/** Box plot spec: x = message size, y = round-trip latency in virtual µs. */
export function ipcLatencySpec(input: IpcLatencyInput): VegaLiteSpec {
  const values = input.series.flatMap((s) => s.samplesNs.map((ns) => ({ size: s.size, latency_us: ns / 1000 })));
  return {
    $schema: VEGALITE_SCHEMA,
    title: { text: "Channel IPC round-trip latency", subtitle: `clock: virtual time (guest CNTVCT_EL0); ${input.cpus} CPU${input.cpus === 1 ? "" : "s"}` },
    width: 420,
    data: { values },
    mark: { type: "boxplot", extent: "min-max" },
    encoding: {
      x: { field: "size", type: "ordinal", title: "message size (bytes)", sort: input.series.map((s) => s.size) },
      y: { field: "latency_us", type: "quantitative", title: "round trip, virtual time (µs)", scale: { zero: true } },
    },
  };
}

/** %bench ipc's bundle: the box plot (vega-lite + SVG) and a percentile table per size, all in virtual µs. */
export async function ipcLatencyPlot(input: IpcLatencyInput): Promise<MimeBundle> {
  const headers = ["size (bytes)", "samples", "min µs", "p50 µs", "p90 µs", "p99 µs", "max µs", "mean µs"];
  const rows: Cell[][] = input.series.map((s) => {
    const t = stats(s.samplesNs);
    return [s.size, t.n, us(t.min), us(t.p50), us(t.p90), us(t.p99), us(t.max), us(t.mean)];
  });
  const note =
    `Round-trip latency in virtual time (the guest's CNTVCT_EL0), ${input.cpus} CPU${input.cpus === 1 ? "" : "s"}` +
    (input.wallMs !== undefined ? `; the measurement took ${input.wallMs.toFixed(0)} ms wall time on the host` : "");
  const title = "IPC round trip per message size (virtual time)";
  return chartBundle(ipcLatencySpec(input), `${title}\n${textTable(headers, rows)}\n${note}`, htmlTable(headers, rows, title) + `<p>${escapeHtml(note)}</p>`);
}
