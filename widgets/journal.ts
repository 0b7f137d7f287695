// The journal of each mounted volume (%journal): the kernel writer's
// counters and its last transaction (blocks logged through the journal and
// written in place, ordered, before the commit), and the journal as it is
// on the disk now: its state (clean / committed = would be replayed at the
// next mount / garbage) and every transaction found with its status.
// Input: inspectJournal(k) (viperdos/kernel/inspect/fs.ts).

import type { JournalSnapshot } from "../viperdos/kernel/inspect/fs.js";
import { tablesBundle, type Cell, type MimeBundle, type TableSection } from "./bundle.js";

const list = (xs: number[], max = 16) => (xs.length > max ? `${xs.slice(0, max).join(" ")} ... (${xs.length})` : xs.join(" ") || "-");

/** %journal as tables (text/plain and text/html). */
export function journalView(j: JournalSnapshot): MimeBundle {
  const secs: TableSection[] = [];
  secs.push({
    title: "Journals (kernel writer)",
    headers: ["volume", "label", "header block", "next seq", "transactions", "rolled back", "unjournaled", "logged blocks", "ordered blocks", "flushes", "dirty in cache"],
    rows: j.mounts.map((m): Cell[] => {
      const w = m.writer;
      return [m.volume, m.label, w?.start ?? null, w?.sequence ?? null, w?.transactions ?? null, w?.rolledBack ?? null, w?.unjournaled ?? null, w?.loggedBlocks ?? null, w?.orderedBlocks ?? null, w?.flushes ?? null, m.cache.dirty.length];
    }),
  });
  const last = j.mounts.filter((m) => m.writer?.last);
  if (last.length) {
    secs.push({
      title: "Last transaction per volume",
      headers: ["volume", "sequence", "logged (home blocks)", "ordered (data in place)"],
      rows: last.map((m) => [m.volume, m.writer!.last!.sequence, list(m.writer!.last!.logged), list(m.writer!.last!.ordered)]),
    });
  }
  const rows: Cell[][] = [];
  for (const m of j.mounts) {
    const d = m.onDisk;
    if (!d) rows.push([m.volume, "no disk", null, null, "-", "-"]);
    else if ("error" in d) rows.push([m.volume, "unreadable", null, null, "-", d.error]);
    else if (d.transactions.length === 0) rows.push([m.volume, d.kind, d.header?.sequence ?? null, null, "-", d.problems.join("; ") || "-"]);
    else for (const t of d.transactions) rows.push([m.volume, d.kind, d.header?.sequence ?? null, t.sequence, t.status, `${list(t.targets)}${d.problems.length ? "; " + d.problems.join("; ") : ""}`]);
  }
  secs.push({ title: "On disk now", headers: ["volume", "journal", "header seq", "txn seq", "txn status", "home blocks / problems"], rows });
  return tablesBundle(secs, "A committed transaction on disk is replayed at the next mount; uncommitted and torn ones are ignored.");
}
