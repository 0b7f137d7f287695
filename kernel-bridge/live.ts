// Live views: a view (run queues, memory, ...) shown once with a display_id
// and then updated in place (update_display_data) while any cell runs the
// machine (%advance, shell lines, %run, %%ts advance()), at most every
// LIVE_INTERVAL_MS of wall time and once more when the cell ends. The views
// are pure widgets over inspection snapshots; a view whose process is gone
// says so instead of failing.

import { randomUUID } from "node:crypto";
import type { Kernel } from "../viperdos/kernel/kernel.js";
import type { MimeBundle } from "./protocol.js";
import { inspectKernel } from "../viperdos/kernel/inspect/index.js";
import { inspectJournal } from "../viperdos/kernel/inspect/fs.js";
import { inspectChannels } from "../viperdos/kernel/inspect/channels.js";
import { runQueues, schedulingTimeline } from "../widgets/sched.js";
import { memoryChart, memoryTables } from "../widgets/memory.js";
import { channelsView } from "../widgets/channels.js";
import { journalView } from "../widgets/journal.js";
import { textBundle } from "../widgets/bundle.js";

/** Wall ms between two updates of the live views. */
export const LIVE_INTERVAL_MS = 250;

/** The views %watch knows: name -> a renderer over the kernel (snapshot, then widget). */
export const LIVE_VIEWS: Record<string, { summary: string; render: (k: Kernel) => MimeBundle | Promise<MimeBundle> }> = {
  sched: { summary: "per-CPU run queues and tasks (%sched --queues)", render: (k) => runQueues(inspectKernel(k)) },
  timeline: {
    summary: "the scheduling timeline chart (%sched --timeline)",
    render: (k) => {
      const s = inspectKernel(k);
      const now = k.machine.now();
      return schedulingTimeline({ timeline: k.sched.timeline.snapshot(now), nowNs: now, cpuCount: s.scheduler.cpuCount, processes: s.processes });
    },
  },
  mem: { summary: "memory statistics (%mem)", render: (k) => memoryTables(inspectKernel(k)) },
  memchart: { summary: "the memory chart (%mem --chart)", render: (k) => memoryChart(inspectKernel(k)) },
  channels: { summary: "channels between processes (%channels)", render: (k) => channelsView(inspectChannels(k)) },
  journal: { summary: "the journals (%journal)", render: (k) => journalView(inspectJournal(k)) },
  clock: { summary: "virtual time and instructions retired", render: (k) => textBundle(`virtual time ${(k.machine.now() / 1e6).toFixed(3)} ms; instructions retired ${k.machine.cpus.reduce((n, c) => n + c.state.retired, 0)}`) },
};

/** Where live displays go (the running cell's sinks). */
export interface LiveSinks {
  writeDisplay(data: MimeBundle, metadata?: Record<string, unknown>, displayId?: string): void;
  updateDisplay?(displayId: string, data: MimeBundle, metadata?: Record<string, unknown>): void;
}

interface Watch {
  id: string;
  view: string;
  updates: number;
}

/** A session's live views. */
export class LiveViews {
  private watches: Watch[] = [];
  private lastUpdate = 0;
  private rendering = false;

  /** Show `view` now with a new display_id and keep it updated; returns the id. Throws for an unknown view. */
  async watch(view: string, k: Kernel, sinks: LiveSinks): Promise<string> {
    const v = LIVE_VIEWS[view];
    if (!v) throw new RangeError(`unknown view ${view}; views: ${Object.keys(LIVE_VIEWS).join(", ")}`);
    const w: Watch = { id: `viperdos-${view}-${randomUUID()}`, view, updates: 0 };
    sinks.writeDisplay(await v.render(k), { viperdos: { live: view } }, w.id);
    this.watches.push(w);
    return w.id;
  }

  /** Stop updating `view` (every view when undefined); returns how many stopped. */
  unwatch(view?: string): number {
    const before = this.watches.length;
    this.watches = view === undefined ? [] : this.watches.filter((w) => w.view !== view && w.id !== view);
    return before - this.watches.length;
  }

  /** Drop every view (a fresh machine: their displays stay as they were). */
  clear(): void {
    this.watches = [];
  }

  /**
   * Called between slices of a running machine: re-render every view and
   * send update_display_data, when LIVE_INTERVAL_MS has passed (or `force`).
   */
  async tick(k: Kernel | undefined, sinks: LiveSinks, force = false): Promise<void> {
    if (!k || this.watches.length === 0 || !sinks.updateDisplay || this.rendering) return;
    const now = performance.now();
    if (!force && now - this.lastUpdate < LIVE_INTERVAL_MS) return;
    this.lastUpdate = now;
    this.rendering = true;
    try {
      for (const w of this.watches) {
        sinks.updateDisplay(w.id, await LIVE_VIEWS[w.view].render(k), { viperdos: { live: w.view, update: ++w.updates } });
      }
    } finally {
      this.rendering = false;
    }
  }

  /** Plain data for inspection. */
  snapshot() {
    return { interval: LIVE_INTERVAL_MS, watches: this.watches.map((w) => ({ ...w })) };
  }
}
