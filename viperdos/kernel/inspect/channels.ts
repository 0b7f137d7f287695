// Channels between processes for notebooks (%channels): every channel
// endpoint some live process holds a handle to, paired with its peer, with
// the holders of each end, message counters and the queued messages. Plain
// data; taking it changes nothing.

import type { Kernel } from "../kernel.js";
import { ChannelEndpoint } from "../ipc/channel.js";

export interface ChannelEndSnapshot {
  /** Kernel object id of the endpoint. */
  id: number;
  /** Who holds it: pid, process name, handle value (hex) and rights mask. */
  holders: { pid: number; name: string; handle: string; rights: number }[];
  sent: number;
  received: number;
  /** Messages waiting in this end's inbox (sent by the peer), oldest first. */
  queued: { bytes: number; handles: number }[];
  closed: boolean;
}

export interface ChannelsSnapshot {
  /** One row per channel: its two ends (b null when no live process holds the peer). */
  channels: { a: ChannelEndSnapshot; b: ChannelEndSnapshot | null; peerClosed: boolean }[];
}

/** Every channel held by a live process, each pair once (ordered by the smaller endpoint id). */
export function inspectChannels(k: Kernel): ChannelsSnapshot {
  const ends = new Map<number, { ep: ChannelEndpoint; snap: ChannelEndSnapshot }>();
  const endOf = (ep: ChannelEndpoint) => {
    let e = ends.get(ep.id);
    if (!e) {
      e = { ep, snap: { id: ep.id, holders: [], sent: ep.sent, received: ep.received, queued: ep.inbox.map((m) => ({ bytes: m.bytes.length, handles: m.caps.length })), closed: ep.destroyed } };
      ends.set(ep.id, e);
    }
    return e;
  };
  for (const p of k.processes()) {
    if (p.state !== "live") continue;
    for (const h of p.handles.list()) {
      if (h.kind !== "channel") continue;
      const o = p.handles.objectOf(h.handle);
      if (!(o instanceof ChannelEndpoint)) continue;
      endOf(o).snap.holders.push({ pid: p.pid, name: p.name, handle: "0x" + h.handle.toString(16), rights: h.rights });
    }
  }
  const seen = new Set<number>();
  const channels: ChannelsSnapshot["channels"] = [];
  for (const { ep, snap } of [...ends.values()].sort((x, y) => x.ep.id - y.ep.id)) {
    if (seen.has(ep.id)) continue;
    seen.add(ep.id);
    seen.add(ep.peer.id);
    const peer = ends.get(ep.peer.id);
    channels.push({ a: snap, b: peer ? peer.snap : null, peerClosed: ep.peerClosed });
  }
  return { channels };
}
