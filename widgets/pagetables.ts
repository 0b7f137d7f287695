// Page-table tree (%pt PID): the VMAs and the translation tables walked
// from TTBR0 in guest RAM, level 0 to 3. Each table is a collapsible
// <details> whose entries show the VA they map, the descriptor, and for a
// page: the frame, EL0 permissions (rwx), COW / shared marks and the frame's
// reference count. Input: inspectPageTables(k, pid).

import type { AddressSpaceSnapshot, PageTableEntrySnapshot } from "../viperdos/kernel/mm/vm.js";
import { escapeHtml, htmlTable, textTable, type Cell, type MimeBundle } from "./bundle.js";

export type PageTablesInput = AddressSpaceSnapshot & { pid: number; name: string };

type Table = AddressSpaceSnapshot["tables"][number];

function marks(e: PageTableEntrySnapshot): string[] {
  return [e.cow ? "cow" : "", e.shared ? "shared" : "", e.refs !== undefined ? `refs ${e.refs}` : ""].filter(Boolean);
}

/** The tree as indented text, one line per table and per valid entry. */
export function pageTableText(pt: PageTablesInput): string {
  const lines: string[] = [];
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
        lines.push(`${pad}[${e.index}] va ${e.va} -> ${e.kind} ${e.frame} ${[e.perms, ...marks(e)].filter(Boolean).join(" ")}`);
      }
    }
  };
  walk(pt.root, 1);
  return lines.join("\n");
}

const BADGE = {
  cow: "background:#fde0c5;color:#8a4b00",
  shared: "background:#d6e4ff;color:#123c8a",
} as const;

function badge(kind: keyof typeof BADGE): string {
  return `<span class="vd-${kind}" style="${BADGE[kind]};border-radius:3px;padding:0 3px;font-size:85%">${kind.toUpperCase()}</span>`;
}

function leafRow(e: PageTableEntrySnapshot): string {
  const m = [e.cow ? badge("cow") : "", e.shared ? badge("shared") : ""].join(" ");
  return `<tr><td style="text-align:right">${e.index}</td><td><code>${escapeHtml(e.va)}</code></td><td>${escapeHtml(e.kind)}</td><td><code>${escapeHtml(e.frame ?? "")}</code></td><td><code>${escapeHtml(e.perms ?? "")}</code></td><td>${m}</td><td style="text-align:right">${e.refs ?? ""}</td><td><code>${escapeHtml(e.descriptor)}</code></td></tr>`;
}

/** One table as <details>: nested tables for table descriptors, a row per page. */
function tableHtml(t: Table, byPa: Map<string, Table>, open: boolean): string {
  const leaves = t.entries.filter((e) => e.kind !== "table");
  const cow = leaves.filter((e) => e.cow).length;
  const summary = `L${t.level} table @ <code>${escapeHtml(t.pa)}</code> (va base <code>${escapeHtml(t.vaBase)}</code>): ${t.entries.length} valid entries${leaves.length ? `, ${leaves.length} pages${cow ? `, ${cow} COW` : ""}` : ""}`;
  const children = t.entries
    .filter((e) => e.kind === "table")
    .map((e) => {
      const next = byPa.get(e.next!);
      return `<li>[${e.index}] va <code>${escapeHtml(e.va)}</code> &rarr; ${next ? tableHtml(next, byPa, open) : `table <code>${escapeHtml(e.next ?? "")}</code> (not walked)`}</li>`;
    })
    .join("");
  const rows = leaves.length
    ? `<table class="viperdos"><thead><tr><th>index</th><th>va</th><th>kind</th><th>frame</th><th>EL0</th><th>marks</th><th>refs</th><th>descriptor</th></tr></thead><tbody>${leaves.map(leafRow).join("")}</tbody></table>`
    : "";
  return `<details${open ? " open" : ""}><summary>${summary}</summary><div style="margin-left:1.2em">${children ? `<ul style="list-style:none;padding-left:0">${children}</ul>` : ""}${rows}</div></details>`;
}

/**
 * %pt's bundle: VMAs, the table tree (text: indented lines; html: nested
 * <details>, the upper levels open) and the fault counters.
 */
export function pageTableTree(pt: PageTablesInput): MimeBundle {
  const vmaRows: Cell[][] = pt.vmas.map((v) => [v.start, v.end, v.pages, v.prot, v.kind, v.backing]);
  const vmaHeaders = ["start", "end", "pages", "prot", "kind", "backing"];
  const c = pt.counters;
  const note = `faults ${c.faults}, zero-fills ${c.zeroFills}, file loads ${c.fileLoads}, COW copies ${c.cowCopies}, segv ${c.segv}`;
  const head = `pid ${pt.pid} (${pt.name}): TTBR0 ${pt.ttbr0}, ASID ${pt.asid}, ${pt.residentPages} resident pages, ${pt.tablePages} table pages`;
  const byPa = new Map(pt.tables.map((t) => [t.pa, t]));
  const root = byPa.get(pt.root);
  const treeHtml = root ? tableHtml(root, byPa, pt.tables.length <= 12) : "<p>(no tables: address space destroyed)</p>";
  return {
    "text/plain": `VMAs\n${textTable(vmaHeaders, vmaRows)}\n\nPage tables\n${head}\n${pageTableText(pt)}\n\n${note}`,
    "text/html":
      htmlTable(vmaHeaders, vmaRows, `pid ${pt.pid} (${pt.name}) VMAs`) +
      `<details open><summary><b>Page tables</b>: ${escapeHtml(head)}</summary>${treeHtml}</details><p>${escapeHtml(note)}</p>`,
  };
}

/** One address's walk (%pt --va ADDR): each level's table, index, descriptor and kind, then the PA and EL0 permissions or the fault. */
export function addressWalk(pid: number, name: string, w: { va: string; ok: boolean; pa?: string; el0?: string; fault?: string; steps: { level: number; table: string; index: number; descriptor: string; kind: string }[] }): MimeBundle {
  const headers = ["level", "table", "index", "descriptor", "kind"];
  const rows: Cell[][] = w.steps.map((s) => [`L${s.level}`, s.table, s.index, s.descriptor, s.kind]);
  const verdict = w.ok ? `${w.va} -> PA ${w.pa}, EL0 ${w.el0}` : `${w.va}: ${w.fault}`;
  const title = `Walk of ${w.va} in pid ${pid} (${name})`;
  return {
    "text/plain": `${title}\n${textTable(headers, rows)}\n${verdict}`,
    "text/html": htmlTable(headers, rows, title) + `<p><b>${escapeHtml(verdict)}</b></p>`,
  };
}
