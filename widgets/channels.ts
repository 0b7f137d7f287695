// Channels between processes (%channels): one row per channel with who
// holds each end (pid, name, handle), messages sent and received, and what
// waits in each inbox; the HTML adds a diagram (processes as boxes, a
// channel as a line between the processes holding its ends).
// Input: inspectChannels(k) (viperdos/kernel/inspect/channels.ts).

import type { ChannelEndSnapshot, ChannelsSnapshot } from "../viperdos/kernel/inspect/channels.js";
import { escapeHtml, htmlTable, textTable, type Cell, type MimeBundle } from "./bundle.js";

const holders = (e: ChannelEndSnapshot | null) => (e ? e.holders.map((h) => `${h.pid} ${h.name} ${h.handle}`).join(", ") || "(none)" : "(no live holder)");
const queued = (e: ChannelEndSnapshot | null) => (e ? (e.queued.length ? `${e.queued.length} (${e.queued.reduce((n, m) => n + m.bytes, 0)} B)` : "0") : "-");

/** An SVG: each process holding a channel end as a box, one line per channel between the holders of its ends. */
export function channelDiagram(s: ChannelsSnapshot): string {
  const procs = new Map<number, string>();
  for (const c of s.channels) for (const e of [c.a, c.b]) for (const h of e?.holders ?? []) procs.set(h.pid, h.name);
  const pids = [...procs.keys()].sort((a, b) => a - b);
  if (pids.length === 0) return "";
  const W = 130, H = 40, gap = 40;
  const width = pids.length * (W + gap) + gap;
  const x = (pid: number) => gap + pids.indexOf(pid) * (W + gap) + W / 2;
  const lines: string[] = [];
  s.channels.forEach((c, i) => {
    const from = c.a.holders[0]?.pid;
    const to = c.b?.holders[0]?.pid;
    if (from === undefined || to === undefined) return;
    const y = 30 + H;
    if (from === to) {
      lines.push(`<path d="M${x(from) - 10},${y} q10,${30 + 10 * i} 20,0" fill="none" stroke="#555"/>`);
      return;
    }
    const bend = 30 + 14 * i;
    lines.push(`<path d="M${x(from)},${y} C${x(from)},${y + bend} ${x(to)},${y + bend} ${x(to)},${y}" fill="none" stroke="#555"><title>channel ${c.a.id} - ${c.b!.id}: ${c.a.sent} / ${c.b!.sent} sent</title></path>`);
  });
  const boxes = pids.map((pid) => `<g><rect x="${x(pid) - W / 2}" y="30" width="${W}" height="${H}" rx="6" fill="#e8f0fe" stroke="#1f77b4"/><text x="${x(pid)}" y="55" text-anchor="middle" font-family="sans-serif" font-size="12">${escapeHtml(`${pid} ${procs.get(pid)}`)}</text></g>`);
  const height = 30 + H + 40 + 14 * s.channels.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="${gap}" y="18" font-family="sans-serif" font-size="12">Channels between processes</text>${lines.join("")}${boxes.join("")}</svg>`;
}

/** %channels as a bundle: text/plain table; text/html table plus the diagram. */
export function channelsView(s: ChannelsSnapshot): MimeBundle {
  const headers = ["channel", "end A held by", "A sent", "A inbox", "end B held by", "B sent", "B inbox", "state"];
  const rows: Cell[][] = s.channels.map((c) => [
    `${c.a.id}-${c.b?.id ?? "?"}`, holders(c.a), c.a.sent, queued(c.a), holders(c.b), c.b?.sent ?? null, queued(c.b), c.peerClosed ? "peer closed" : "open",
  ]);
  const title = `Channels (${s.channels.length})`;
  if (rows.length === 0) return { "text/plain": `${title}\nno live process holds a channel`, "text/html": `<p><b>${title}</b>: no live process holds a channel</p>` };
  return { "text/plain": `${title}\n${textTable(headers, rows)}`, "text/html": htmlTable(headers, rows, title) + channelDiagram(s) };
}
