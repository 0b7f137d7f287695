// The kernel's event trace (%trace show): the last events as a table and
// the running hash (same seed + same inputs => the same hash). Input:
// inspectTrace(k, n).

import type { TraceEvent } from "../viperdos/kernel/inspect/trace.js";
import { tablesBundle, type MimeBundle } from "./bundle.js";

export interface TraceInput {
  hash: string | number;
  total: number;
  events: TraceEvent[];
}

/** The last events, oldest first, with the running hash (html starts with <table). */
export function traceTable(t: TraceInput): MimeBundle {
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
