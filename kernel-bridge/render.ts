// Snapshot -> MIME bundle: small pure functions over the kernel's inspection
// API (viperdos/kernel/inspect). Each bundle has text/plain (terminals,
// nbconvert to text) and text/html (notebooks). They take plain data only,
// so they can move to widgets/ when the charts arrive. Times are the
// guest's virtual time unless a label says "wall".

import type { KernelSnapshot, ProcessSummary } from "../viperdos/kernel/inspect/index.js";
import type { AddressSpaceSnapshot } from "../viperdos/kernel/mm/vm.js";
import type { HandleTableSnapshot } from "../viperdos/kernel/cap/handles.js";
import type { TraceEvent } from "../viperdos/kernel/inspect/trace.js";
import type { MimeBundle } from "./protocol.js";

type Cell = string | number | boolean | null;

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function cellText(c: Cell): string {
  return c === null ? "-" : String(c);
}

/** A plain-text table: columns padded, numbers right-aligned. */
export function textTable(headers: string[], rows: Cell[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => cellText(r[i]).length)));
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => (typeof c === "number" ? cellText(c).padStart(w[i]) : cellText(c).padEnd(w[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

/** An HTML table with an optional caption; numbers right-aligned. */
export function htmlTable(headers: string[], rows: Cell[][], caption?: string): string {
  const td = (c: Cell) => `<td${typeof c === "number" ? ' style="text-align:right"' : ""}>${escapeHtml(cellText(c))}</td>`;
  return (
    `<table class="viperdos">` +
    (caption ? `<caption style="text-align:left"><b>${escapeHtml(caption)}</b></caption>` : "") +
    `<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map(td).join("")}</tr>`).join("")}</tbody></table>`
  );
}

/** Sections of titled tables as one bundle. */
export function tablesBundle(sections: { title: string; headers: string[]; rows: Cell[][] }[], note?: string): MimeBundle {
  const text = sections.map((s) => `${s.title}\n${textTable(s.headers, s.rows)}`).join("\n\n") + (note ? `\n\n${note}` : "");
  const html = sections.map((s) => htmlTable(s.headers, s.rows, s.title)).join("\n") + (note ? `<p>${escapeHtml(note)}</p>` : "");
  return { "text/plain": text, "text/html": html };
}

/** Preformatted text as a bundle (help, boot logs, trees). */
export function textBundle(text: string): MimeBundle {
  return { "text/plain": text, "text/html": `<pre>${escapeHtml(text)}</pre>` };
}

const KiB = (pages: number) => `${(pages * 4).toLocaleString("en-US")} KiB`;

/** %mem: physical pages, buddy free lists, slab caches, per-process residency. */
export function memoryBundle(s: KernelSnapshot): MimeBundle {
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
    `allocations ${p.counters.allocs}, frees ${p.counters.frees}, failures ${p.counters.failures}; virtual time ${(s.clock.virtualNs / 1e6).toFixed(3)} ms`,
  );
}

function taskLabel(procs: ProcessSummary[], tid: number | null): string {
  if (tid === null) return "idle";
  for (const p of procs) if (p.tasks.some((t) => t.tid === tid)) return `${tid} (${p.name})`;
  return String(tid);
}

/** %sched: per-CPU current task and run queues, and every scheduled task. */
export function schedulerBundle(s: KernelSnapshot): MimeBundle {
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
    `sleeping: ${sc.sleeping.length}, throttled: ${sc.throttled.length}; virtual time ${(sc.nowNs / 1e6).toFixed(3)} ms`,
  );
}

/** %pt: the VMAs and the table tree walked from TTBR0 (level 0..3). */
export function pageTablesBundle(pt: AddressSpaceSnapshot & { pid: number; name: string }): MimeBundle {
  const lines = [`pid ${pt.pid} (${pt.name}): TTBR0 ${pt.ttbr0}, ASID ${pt.asid}, ${pt.residentPages} resident pages, ${pt.tablePages} table pages`];
  const byPa = new Map(pt.tables.map((t) => [t.pa, t]));
  const walk = (pa: string, depth: number) => {
    const t = byPa.get(pa);
    if (!t) return;
    lines.push(`${"  ".repeat(depth)}L${t.level} table @ ${t.pa} (va base ${t.vaBase})`);
    for (const e of t.entries) {
      const pad = "  ".repeat(depth + 1);
      if (e.kind === "table") {
        lines.push(`${pad}[${e.index}] va ${e.va} -> table ${e.next}`);
        walk(e.next!, depth + 2);
      } else {
        const flags = [e.perms, e.cow ? "cow" : "", e.shared ? "shared" : "", e.refs !== undefined ? `refs ${e.refs}` : ""].filter(Boolean).join(" ");
        lines.push(`${pad}[${e.index}] va ${e.va} -> ${e.kind} ${e.frame} ${flags}`);
      }
    }
  };
  walk(pt.root, 1);
  const tree = lines.join("\n");
  const vmaRows: Cell[][] = pt.vmas.map((v) => [v.start, v.end, v.pages, v.prot, v.kind, v.backing]);
  const vmaHeaders = ["start", "end", "pages", "prot", "kind", "backing"];
  const c = pt.counters;
  const note = `faults ${c.faults}, zero-fills ${c.zeroFills}, file loads ${c.fileLoads}, COW copies ${c.cowCopies}, segv ${c.segv}`;
  return {
    "text/plain": `VMAs\n${textTable(vmaHeaders, vmaRows)}\n\nPage tables\n${tree}\n\n${note}`,
    "text/html": htmlTable(vmaHeaders, vmaRows, `pid ${pt.pid} (${pt.name}) VMAs`) + `<details open><summary>Page tables</summary><pre>${escapeHtml(tree)}</pre></details><p>${escapeHtml(note)}</p>`,
  };
}

/** %caps: the capability table with rights and derivation parents. */
export function handlesBundle(h: HandleTableSnapshot & { pid: number; name: string }): MimeBundle {
  const parentOf = new Map(h.handles.map((x) => [x.node, x.handle]));
  return tablesBundle(
    [
      {
        title: `Capabilities of pid ${h.pid} (${h.name})`,
        headers: ["handle", "index", "gen", "kind", "object", "rights", "derived from"],
        rows: h.handles.map((x) => [
          "0x" + x.handle.toString(16),
          x.index,
          x.generation,
          x.kind,
          x.objectId,
          x.rightsNames.join(" "),
          x.parentNode === null ? null : parentOf.has(x.parentNode) ? "0x" + parentOf.get(x.parentNode)!.toString(16) : `node ${x.parentNode}`,
        ]),
      },
      { title: "Resource limits", headers: ["resource", "limit", "used"], rows: h.limits.map((l) => [l.resource, l.limit, l.used]) },
    ],
    `bounding set: ${h.boundingNames.join(" ") || "(empty)"}`,
  );
}

/** %trace show: the last events and the running hash. */
export function traceBundle(t: { hash: string | number; total: number; events: TraceEvent[] }): MimeBundle {
  return tablesBundle(
    [
      {
        title: `Trace: last ${t.events.length} of ${t.total} events`,
        headers: ["seq", "t (virtual ns)", "cpu", "kind", "task", "a", "b"],
        rows: t.events.map((e) => [e.seq, e.t, e.cpu, e.kind, e.task, e.a, e.b]),
      },
    ],
    `running hash ${typeof t.hash === "number" ? "0x" + t.hash.toString(16) : t.hash}`,
  );
}
