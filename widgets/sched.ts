// Scheduling views: run queues per CPU (%sched) as tables, and the
// scheduling timeline (%sched --timeline) as a Gantt chart: one row per CPU,
// one bar per stretch a task ran there, virtual time on the x axis. Inputs:
// inspectKernel(k) and the scheduler's Timeline snapshot (sched/timeline.ts).

import type { KernelSnapshot, ProcessSummary } from "../viperdos/kernel/inspect/index.js";
import type { TimelineSnapshot } from "../viperdos/kernel/sched/timeline.js";
import { escapeHtml, tablesBundle, textTable, virtualMs, type MimeBundle } from "./bundle.js";
import { chartBundle, VEGALITE_SCHEMA, type VegaLiteSpec } from "./chart.js";

export type SchedulerInput = Pick<KernelSnapshot, "scheduler" | "processes">;

/** "tid (process name)", "idle" for null, the bare tid when no process owns it (kernel tasks). */
export function taskLabel(procs: ProcessSummary[], tid: number | null): string {
  if (tid === null) return "idle";
  for (const p of procs) if (p.tasks.some((t) => t.tid === tid)) return `${tid} (${p.name})`;
  return String(tid);
}

/** Run queues per CPU and every scheduled task, as tables (html starts with <table). */
export function runQueues(s: SchedulerInput): MimeBundle {
  const sc = s.scheduler;
  const ids = (xs: number[]) => (xs.length ? xs.join(" ") : "");
  return tablesBundle(
    [
      {
        title: `Run queues (${sc.cpuCount} CPUs, tick ${sc.tickHz} Hz)`,
        headers: ["cpu", "current", "load", "deadline", "fifo/rr by level", "fair", "switches", "busy ms", "idle ms"],
        rows: sc.cpus.map((q) => [
          q.cpu,
          taskLabel(s.processes, q.current),
          q.load,
          ids(q.queues.deadline),
          q.queues.rt.map((l, i) => (l.length ? `${i}:[${l.join(" ")}]` : "")).filter(Boolean).join(" "),
          ids(q.queues.fair),
          q.switches,
          +(q.busyNs / 1e6).toFixed(3),
          +(q.idleNs / 1e6).toFixed(3),
        ]),
      },
      {
        title: "Tasks",
        headers: ["tid", "policy", "prio", "state", "cpu", "affinity", "runtime ms", "switches", "migrations"],
        rows: sc.tasks.map((t) => [t.id, t.policy, t.priority, t.state, t.cpu, "0x" + t.affinity.toString(16), +(t.runtimeNs / 1e6).toFixed(3), t.switches, t.migrations]),
      },
    ],
    `sleeping: ${sc.sleeping.length}, throttled: ${sc.throttled.length}; virtual time ${virtualMs(sc.nowNs)}`,
  );
}

export interface TimelineInput {
  timeline: TimelineSnapshot;
  /** Virtual ns at the snapshot; open segments end here. */
  nowNs: number;
  cpuCount: number;
  processes: ProcessSummary[];
  /** Show at most this many of the latest segments (default 2000). */
  maxSegments?: number;
}

interface Bar {
  cpu: string;
  task: string;
  start: number;
  end: number;
}

function bars(t: TimelineInput): { bars: Bar[]; omitted: number } {
  const max = t.maxSegments ?? 2000;
  const segs = t.timeline.segments;
  const shown = segs.slice(Math.max(0, segs.length - max));
  return {
    omitted: segs.length - shown.length,
    bars: shown.map((s) => ({
      cpu: `CPU ${s.cpu}`,
      task: taskLabel(t.processes, s.task),
      start: s.startNs / 1e6,
      end: Math.max(s.startNs, s.endNs ?? t.nowNs) / 1e6,
    })),
  };
}

/** The Gantt spec: y = CPU, x..x2 = virtual time (ms), colour = task. */
export function timelineSpec(t: TimelineInput): VegaLiteSpec {
  const { bars: values } = bars(t);
  return {
    $schema: VEGALITE_SCHEMA,
    title: { text: "Scheduling timeline", subtitle: "clock: virtual time (the guest's); gaps are idle" },
    width: 560,
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "cpu", type: "nominal", title: "CPU", sort: Array.from({ length: t.cpuCount }, (_, i) => `CPU ${i}`) },
      x: { field: "start", type: "quantitative", title: "virtual time (ms)" },
      x2: { field: "end" },
      color: { field: "task", type: "nominal", title: "task" },
    },
  };
}

/** Chart bundle of the timeline; text/plain is the per-task, per-CPU run time table. */
export async function schedulingTimeline(t: TimelineInput): Promise<MimeBundle> {
  const { bars: bs, omitted } = bars(t);
  const total = new Map<string, number>();
  for (const b of bs) total.set(`${b.task}\u0000${b.cpu}`, (total.get(`${b.task}\u0000${b.cpu}`) ?? 0) + (b.end - b.start));
  const rows = [...total].map(([k, ms]) => [...k.split("\u0000"), +ms.toFixed(3)]);
  const note =
    `${bs.length} segments` +
    (omitted ? ` (the oldest ${omitted} not shown)` : "") +
    (t.timeline.dropped ? `; ${t.timeline.dropped} older segments dropped by the kernel's bounded timeline` : "") +
    `; virtual time ${virtualMs(t.nowNs)}`;
  const text = `Scheduling timeline (virtual time)\n${textTable(["task", "cpu", "ran (virtual ms)"], rows)}\n${note}`;
  return chartBundle(timelineSpec(t), text, `<p>${escapeHtml(note)}</p>`);
}
