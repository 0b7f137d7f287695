// Comms (messaging spec "Custom Messages"): the front end opens a comm on a
// target the kernel offers; each comm_msg it sends gets an answer comm_msg on
// iopub with the same comm_id. The kernel offers "viperdos.inspect": the
// request { request: NAME, ...args } is answered { request, ok: true,
// snapshot } or { request, ok: false, error } with a plain JSON snapshot of
// the inspection API. An open on an unknown target is answered comm_close
// (the spec's way to refuse). Snapshots never boot a machine.

import type { Session } from "./executor.js";
import { inspectHandles, inspectKernel, inspectPageTables, inspectTrace, walkAddress } from "../viperdos/kernel/inspect/index.js";
import { inspectJournal, inspectPath, listDirectory } from "../viperdos/kernel/inspect/fs.js";
import { inspectChannels } from "../viperdos/kernel/inspect/channels.js";

export const INSPECT_TARGET = "viperdos.inspect";

type Args = Record<string, unknown>;

const num = (a: Args, key: string): number | string => {
  const v = a[key];
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : `"${key}" must be a non-negative integer`;
};
const str = (a: Args, key: string): string | { error: string } => (typeof a[key] === "string" && a[key] !== "" ? (a[key] as string) : { error: `"${key}" must be a non-empty string` });

/** The requests "viperdos.inspect" answers: name -> snapshot of the session's machine (or an error message). */
export const INSPECT_REQUESTS: Record<string, (s: Session, a: Args) => unknown> = {
  session: (s) => s.snapshot(),
  kernel: (s) => (s.kernel ? inspectKernel(s.kernel) : { error: "no machine yet (run a cell first)" }),
  pagetables: (s, a) => {
    const pid = num(a, "pid");
    if (typeof pid === "string") return { error: pid };
    return (s.kernel && inspectPageTables(s.kernel, pid)) ?? { error: `no live process ${pid}` };
  },
  handles: (s, a) => {
    const pid = num(a, "pid");
    if (typeof pid === "string") return { error: pid };
    return (s.kernel && inspectHandles(s.kernel, pid)) ?? { error: `no live process ${pid}` };
  },
  walk: (s, a) => {
    const pid = num(a, "pid");
    const va = num(a, "va");
    if (typeof pid === "string" || typeof va === "string") return { error: typeof pid === "string" ? pid : va };
    return (s.kernel && walkAddress(s.kernel, pid, va)) ?? { error: `no live process ${pid}` };
  },
  trace: (s, a) => {
    const limit = a.limit === undefined ? 100 : num(a, "limit");
    if (typeof limit === "string") return { error: limit };
    return s.kernel ? inspectTrace(s.kernel, Math.min(limit, 65536)) : { error: "no machine yet" };
  },
  channels: (s) => (s.kernel ? inspectChannels(s.kernel) : { error: "no machine yet" }),
  journal: (s) => (s.kernel ? inspectJournal(s.kernel) : { error: "no machine yet" }),
  path: (s, a) => {
    const p = str(a, "path");
    if (typeof p !== "string") return p;
    return s.kernel ? inspectPath(s.kernel, p, s.shell?.proc.pid) : { error: "no machine yet" };
  },
  dir: (s, a) => {
    const p = str(a, "path");
    if (typeof p !== "string") return p;
    return s.kernel ? listDirectory(s.kernel, p, s.shell?.proc.pid) : { error: "no machine yet" };
  },
};

/**
 * Answer one "viperdos.inspect" message's data. Never throws: a bad request
 * (not an object, unknown name, bad arguments) or a failing snapshot is an
 * { ok: false, error } answer.
 */
export function answerInspect(s: Session, data: unknown): Record<string, unknown> {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { ok: false, error: "data must be an object { request, ... }" };
  const a = data as Args;
  const name = a.request;
  const fn = typeof name === "string" ? INSPECT_REQUESTS[name] : undefined;
  if (!fn) return { request: name ?? null, ok: false, error: `unknown request; requests: ${Object.keys(INSPECT_REQUESTS).join(", ")}` };
  try {
    const snap = fn(s, a);
    if (typeof snap === "object" && snap !== null && "error" in snap && Object.keys(snap).length === 1) return { request: name, ok: false, error: (snap as { error: string }).error };
    // Through JSON: what the front end gets is plain data, as the test sees it.
    return { request: name, ok: true, snapshot: JSON.parse(JSON.stringify(snap)) as unknown };
  } catch (e) {
    return { request: name, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
