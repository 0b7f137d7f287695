// Memory statistics (%mem): physical pages, buddy free lists, slab caches,
// per-process residency as tables; and the page split (free / used /
// reserved) plus slab bytes as a bar chart. Input: inspectKernel(k).

import type { KernelSnapshot } from "../viperdos/kernel/inspect/index.js";
import { tablesBundle, textTable, virtualMs, type MimeBundle } from "./bundle.js";
import { chartBundle, VEGALITE_SCHEMA, type VegaLiteSpec } from "./chart.js";

/** The part of inspectKernel() this widget reads. */
export type MemoryInput = Pick<KernelSnapshot, "clock" | "memory" | "processes">;

const KiB = (pages: number) => `${(pages * 4).toLocaleString("en-US")} KiB`;

/** Tables: physical memory, buddy free blocks per order, slab caches, processes. html starts with <table. */
export function memoryTables(s: MemoryInput): MimeBundle {
  const p = s.memory.pmm;
  return tablesBundle(
    [
      {
        title: `Physical memory (${p.ramBytes / 2 ** 20} MiB at ${p.ramBase}, 4 KiB pages)`,
        headers: ["pages", "count", "size"],
        rows: [
          ["total", p.totalPages, KiB(p.totalPages)],
          ["free", p.freePages, KiB(p.freePages)],
          ["used", p.usedPages, KiB(p.usedPages)],
          ["reserved", p.reservedPages, KiB(p.reservedPages)],
        ],
      },
      {
        title: "Buddy allocator: free blocks per order",
        headers: ["order", "block", "free blocks"],
        rows: p.runsByOrder.map((n, o) => [o, KiB(2 ** o), n]),
      },
      {
        title: "Slab caches",
        headers: ["cache", "object bytes", "slabs", "in use", "free", "bytes held", "bytes in use"],
        rows: s.memory.slabs.map((c) => [c.name, c.objectSize, c.slabs, c.inUse, c.freeObjects, c.bytesHeld, c.bytesInUse]),
      },
      {
        title: "Processes",
        headers: ["pid", "name", "state", "asid", "resident pages", "brk", "VMAs"],
        rows: s.processes.map((q) => [q.pid, q.name, q.state, q.memory.asid, q.memory.residentPages, q.memory.brk, q.memory.vmas]),
      },
    ],
    `allocations ${p.counters.allocs}, frees ${p.counters.frees}, failures ${p.counters.failures}; virtual time ${virtualMs(s.clock.virtualNs)}`,
  );
}

/**
 * The page split as three disjoint parts adding up to the total: free,
 * used (allocated at run time) and reserved (kernel image, boot tables,
 * device windows). The PMM's usedPages counts reserved pages too, so they
 * are subtracted here.
 */
export function pageSplit(s: MemoryInput): { state: "free" | "used" | "reserved"; pages: number }[] {
  const p = s.memory.pmm;
  return [
    { state: "free", pages: p.freePages },
    { state: "used", pages: p.usedPages - p.reservedPages },
    { state: "reserved", pages: p.reservedPages },
  ];
}

/** The vega-lite spec of the page split: one horizontal bar per state, pages on the x axis. */
export function memoryChartSpec(s: MemoryInput): VegaLiteSpec {
  const values = pageSplit(s).map((x) => ({ ...x, mib: (x.pages * 4) / 1024 }));
  return {
    $schema: VEGALITE_SCHEMA,
    title: { text: "Physical memory (4 KiB pages)", subtitle: `snapshot at virtual time ${virtualMs(s.clock.virtualNs)} (guest clock)` },
    width: 420,
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "state", type: "nominal", sort: ["free", "used", "reserved"], title: "page state" },
      x: { field: "pages", type: "quantitative", title: "pages" },
      color: { field: "state", type: "nominal", scale: { domain: ["free", "used", "reserved"], range: ["#4c9f70", "#d95f02", "#7570b3"] }, legend: null },
    },
  };
}

/** Chart bundle (vega-lite + SVG + html) of the page split; text/plain carries the numbers and the slab totals. */
export async function memoryChart(s: MemoryInput): Promise<MimeBundle> {
  const p = s.memory.pmm;
  const held = s.memory.slabs.reduce((a, c) => a + c.bytesHeld, 0);
  const used = s.memory.slabs.reduce((a, c) => a + c.bytesInUse, 0);
  const text =
    textTable(["state", "pages", "size"], pageSplit(s).map((x) => [x.state, x.pages, KiB(x.pages)])) +
    `\nof ${p.totalPages} pages (used excludes reserved); slabs: ${held} bytes held, ${used} in use; virtual time ${virtualMs(s.clock.virtualNs)}`;
  return chartBundle(memoryChartSpec(s), text);
}
