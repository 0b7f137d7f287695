// TCP congestion-window charts (%tcp trace CONN, the TCP notebook): cwnd and
// ssthresh over virtual time from a connection's trace (net/tcp/api.ts
// TcpTraceSample), with loss and recovery events marked as points. Several
// traces (NewReno vs CUBIC) can share one chart, one colour per run.
// Pure functions of plain JSON; the chart is vega-lite with an SVG fallback.

import { chartBundle, VEGALITE_SCHEMA, type VegaLiteSpec } from "./chart.js";
import { htmlTable, textTable, type Cell, type MimeBundle } from "./bundle.js";

/** One sample as the engine records it (the fields this view reads). */
export interface TraceSampleView {
  tNs: number;
  cwnd: number;
  ssthresh: number;
  srttNs?: number;
  inFlight?: number;
  retransmits?: number;
  event?: string;
}

export interface TraceRun {
  /** Legend label ("newreno", "conn 3 10.0.2.15:49152 -> 10.0.2.16:5201"). */
  label: string;
  samples: TraceSampleView[];
}

/** ssthresh at or above this is "not set yet" (the engine's initial 0x7FFFFFFF) and is not drawn. */
const SSTHRESH_UNSET = 0x40000000;
/** Most points drawn per series (longer traces are thinned, keeping every event). */
const MAX_POINTS = 2000;

interface Row {
  run: string;
  t_ms: number;
  kbytes: number;
  series: string;
  event: string;
}

function thin(samples: TraceSampleView[]): TraceSampleView[] {
  if (samples.length <= MAX_POINTS) return samples;
  const step = samples.length / MAX_POINTS;
  const out: TraceSampleView[] = [];
  let next = 0;
  samples.forEach((s, i) => {
    if (i >= next || s.event) {
      out.push(s);
      if (i >= next) next += step;
    }
  });
  return out;
}

/** The chart rows: one per sample per series, plus one per event. */
export function traceRows(runs: TraceRun[]): Row[] {
  const rows: Row[] = [];
  for (const r of runs) {
    const t0 = r.samples[0]?.tNs ?? 0;
    for (const s of thin(r.samples)) {
      const t = (s.tNs - t0) / 1e6;
      rows.push({ run: r.label, t_ms: t, kbytes: s.cwnd / 1024, series: "cwnd", event: "" });
      if (s.ssthresh < SSTHRESH_UNSET) rows.push({ run: r.label, t_ms: t, kbytes: s.ssthresh / 1024, series: "ssthresh", event: "" });
      if (s.event && s.event !== "established") rows.push({ run: r.label, t_ms: t, kbytes: s.cwnd / 1024, series: "event", event: s.event });
    }
  }
  return rows;
}

/** A vega-lite spec: cwnd (solid) and ssthresh (dashed) per run, events as shaped points. */
export function tcpTraceSpec(runs: TraceRun[], title = "TCP congestion window"): VegaLiteSpec {
  const rows = traceRows(runs);
  const x = { field: "t_ms", type: "quantitative" as const, title: "virtual time (ms) since the first sample" };
  const y = { field: "kbytes", type: "quantitative" as const, title: "KiB" };
  return {
    $schema: VEGALITE_SCHEMA,
    title: { text: title, subtitle: "cwnd (solid) and ssthresh (dashed) over virtual time; points: loss and recovery events" },
    width: 560,
    height: 260,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "datum.series !== 'event'" }],
        mark: { type: "line", interpolate: "step-after" },
        encoding: {
          x,
          y,
          color: { field: "run", type: "nominal", title: "run" },
          strokeDash: { field: "series", type: "nominal", title: "series", sort: ["cwnd", "ssthresh"] },
          detail: { field: "series", type: "nominal" },
        },
      },
      {
        transform: [{ filter: "datum.series === 'event'" }],
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x,
          y,
          shape: { field: "event", type: "nominal", title: "event" },
          color: { field: "run", type: "nominal", title: "run" },
          tooltip: [{ field: "event", type: "nominal" }, { field: "t_ms", type: "quantitative" }],
        },
      },
    ],
  } as VegaLiteSpec;
}

/** Per-run summary: samples, peak cwnd, events by kind, retransmissions. */
export function traceSummary(runs: TraceRun[]): { headers: string[]; rows: Cell[][] } {
  const headers = ["run", "samples", "duration (ms, virtual)", "peak cwnd (KiB)", "final cwnd (KiB)", "losses", "fast retransmits", "RTOs", "retransmits"];
  const rows = runs.map((r) => {
    const s = r.samples;
    const count = (e: string) => s.filter((x) => x.event === e).length;
    const last = s[s.length - 1];
    return [
      r.label,
      s.length,
      s.length ? +((last.tNs - s[0].tNs) / 1e6).toFixed(3) : 0,
      +(Math.max(0, ...s.map((x) => x.cwnd)) / 1024).toFixed(1),
      last ? +(last.cwnd / 1024).toFixed(1) : 0,
      count("loss"),
      count("fast-retransmit"),
      count("rto"),
      last?.retransmits ?? 0,
    ] as Cell[];
  });
  return { headers, rows };
}

/** The chart bundle for one or more traces (vega-lite + SVG + the summary table as text). */
export async function tcpTraceBundle(runs: TraceRun[], title?: string): Promise<MimeBundle> {
  const { headers, rows } = traceSummary(runs);
  return chartBundle(tcpTraceSpec(runs, title), `${title ?? "TCP congestion window"} (virtual time)\n${textTable(headers, rows)}`, htmlTable(headers, rows));
}
