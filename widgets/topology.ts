// The network lab diagram (%topology): machines and the gateway around the
// switch, each link labelled with its delay, bandwidth, queue and loss, as an
// SVG drawing (text/html and image/svg+xml) and a text table. A pure function
// of a topology snapshot (emulator/net/topology.ts TopologySnapshot, or the
// same shape as plain JSON).

import { escapeHtml, htmlTable, textTable, type Cell, type MimeBundle } from "./bundle.js";

/** The parts of a link snapshot this view reads (one direction). */
interface LinkDirView {
  params: { delayNs: number; bandwidthBps: number; queueLimit: number | "unlimited"; queueUnit: string; lossRate: number; reorderRate: number; duplicateRate: number };
  counters: { sentPackets: number; deliveredPackets: number; droppedQueue: number; droppedRed: number; lost: number };
}

export interface TopologyView {
  nowNs: number;
  machines: { name: string; ip: string; mac: string; link: string }[];
  gateway: { name: string; link: string } | null;
  links: { name: string; up: boolean; aToB: LinkDirView; bToA: LinkDirView }[];
}

/** "10 Mbit/s", "unlimited". */
export function formatRate(bps: number): string {
  if (!bps) return "unlimited";
  if (bps >= 1e9) return `${+(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(2)} Mbit/s`;
  return `${+(bps / 1e3).toFixed(2)} kbit/s`;
}

/** One line describing a link direction: "20 ms, 10 Mbit/s, queue 50 packets, loss 1%". */
export function describeLinkDir(d: LinkDirView): string {
  const p = d.params;
  const parts = [`${+(p.delayNs / 1e6).toFixed(3)} ms`, formatRate(p.bandwidthBps), `queue ${p.queueLimit === "unlimited" || p.queueLimit === Infinity ? "unlimited" : `${p.queueLimit} ${p.queueUnit}`}`];
  if (p.lossRate) parts.push(`loss ${+(p.lossRate * 100).toFixed(3)}%`);
  if (p.reorderRate) parts.push(`reorder ${+(p.reorderRate * 100).toFixed(3)}%`);
  if (p.duplicateRate) parts.push(`dup ${+(p.duplicateRate * 100).toFixed(3)}%`);
  return parts.join(", ");
}

function linkRows(v: TopologyView): Cell[][] {
  return v.links.map((l) => [
    l.name,
    l.up ? "up" : "down",
    describeLinkDir(l.aToB),
    describeLinkDir(l.bToA),
    l.aToB.counters.sentPackets + l.bToA.counters.sentPackets,
    l.aToB.counters.droppedQueue + l.bToA.counters.droppedQueue + l.aToB.counters.droppedRed + l.bToA.counters.droppedRed,
    l.aToB.counters.lost + l.bToA.counters.lost,
  ]);
}

const LINK_HEADERS = ["link", "state", "to switch", "from switch", "frames", "queue drops", "lost"];

/** The diagram as an SVG document: the switch in the middle, nodes on a circle, labelled links. */
export function topologySvg(v: TopologyView): string {
  const nodes = [...v.machines.map((m) => ({ name: m.name, sub: m.ip, link: m.link, gw: false })), ...(v.gateway ? [{ name: v.gateway.name, sub: "10.0.2.2", link: v.gateway.link, gw: true }] : [])];
  const W = 640;
  const H = 420;
  const cx = W / 2;
  const cy = H / 2;
  const r = 150;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  nodes.forEach((nd, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(nodes.length, 1);
    const x = cx + r * Math.cos(a);
    const y = cy + r * Math.sin(a);
    const l = v.links.find((k) => k.name === nd.link);
    const label = l ? describeLinkDir(l.aToB) : "";
    parts.push(`<line x1="${cx}" y1="${cy}" x2="${x.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${l && !l.up ? "#c00" : "#555"}" stroke-width="2"${l && !l.up ? ' stroke-dasharray="6 4"' : ""}/>`);
    const mx = (cx + x) / 2;
    const my = (cy + y) / 2;
    parts.push(`<text x="${mx.toFixed(1)}" y="${(my - 4).toFixed(1)}" text-anchor="middle" fill="#036">${escapeHtml(label)}</text>`);
    parts.push(`<rect x="${(x - 55).toFixed(1)}" y="${(y - 18).toFixed(1)}" width="110" height="36" rx="6" fill="${nd.gw ? "#fde9c8" : "#dbe9f7"}" stroke="#333"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-weight="bold">${escapeHtml(nd.name)}</text>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${(y + 11).toFixed(1)}" text-anchor="middle">${escapeHtml(nd.sub)}</text>`);
  });
  parts.push(`<rect x="${cx - 40}" y="${cy - 14}" width="80" height="28" rx="4" fill="#eee" stroke="#333"/>`);
  parts.push(`<text x="${cx}" y="${cy + 4}" text-anchor="middle">switch0</text>`);
  parts.push(`<text x="8" y="${H - 8}" fill="#555">virtual time ${(v.nowNs / 1e6).toFixed(3)} ms; link labels: machine to switch</text>`);
  parts.push(`</svg>`);
  return parts.join("");
}

/** The %topology bundle: text table of machines and links, SVG diagram with HTML tables. */
export function topologyBundle(v: TopologyView): MimeBundle {
  const machineRows: Cell[][] = v.machines.map((m) => [m.name, m.ip, m.mac, m.link]);
  if (v.gateway) machineRows.push([v.gateway.name, "10.0.2.2 (DNS 10.0.2.3)", "-", v.gateway.link]);
  const text = [
    `Lab at virtual time ${(v.nowNs / 1e6).toFixed(3)} ms`,
    textTable(["node", "address", "mac", "link"], machineRows),
    "",
    textTable(LINK_HEADERS, linkRows(v)),
  ].join("\n");
  const svg = topologySvg(v);
  return {
    "text/plain": text,
    "text/html": `<figure class="viperdos-topology">${svg}</figure>` + htmlTable(["node", "address", "mac", "link"], machineRows, "Nodes") + htmlTable(LINK_HEADERS, linkRows(v), "Links"),
    "image/svg+xml": svg,
  };
}

/** The %link bundle for one link: parameters and counters of both directions. */
export function linkBundle(l: TopologyView["links"][number]): MimeBundle {
  const rows: Cell[][] = (["aToB", "bToA"] as const).map((d) => {
    const x = l[d];
    return [d === "aToB" ? "to switch" : "from switch", describeLinkDir(x), x.counters.sentPackets, x.counters.deliveredPackets, x.counters.droppedQueue + x.counters.droppedRed, x.counters.lost];
  });
  const headers = ["direction", "parameters", "sent", "delivered", "queue drops", "lost"];
  return {
    "text/plain": `link ${l.name} (${l.up ? "up" : "down"})\n${textTable(headers, rows)}`,
    "text/html": htmlTable(headers, rows, `link ${l.name} (${l.up ? "up" : "down"})`),
  };
}
