// Capability table (%caps PID): every open handle with its rights as bits
// (one column per right of VIPERDOS.md "Capabilities", bit 0 first), and the
// derivation tree (a derived handle under the capability it came from; a
// parent held by another process shows as "node N, not in this table").
// Input: inspectHandles(k, pid).

import type { HandleTableSnapshot } from "../viperdos/kernel/cap/handles.js";
import { Rights, type RightName } from "../viperdos/kernel/cap/rights.js";
import { escapeHtml, htmlTable, textTable, type Cell, type MimeBundle } from "./bundle.js";

export type CapsInput = HandleTableSnapshot & { pid: number; name: string };

/** Column letters for the rights, in bit order (READ = bit 0). */
export const RIGHT_LETTERS: Record<RightName, string> = {
  READ: "r", WRITE: "w", EXECUTE: "x", LIST: "l", CREATE: "c", DELETE: "d", DERIVE: "D",
  TRANSFER: "t", SPAWN: "s", TRAVERSE: "T", DEVICE: "v", IRQ: "i", DMA: "m",
};

const RIGHT_NAMES = Object.keys(Rights) as RightName[];

/** A rights mask as one letter per bit in bit order, "-" for a clear bit (e.g. "rw----Dt-----"). */
export function rightsString(mask: number): string {
  return RIGHT_NAMES.map((n) => ((mask & Rights[n]) !== 0 ? RIGHT_LETTERS[n] : "-")).join("");
}

const hexHandle = (h: number) => "0x" + h.toString(16);

interface TreeNode {
  label: string;
  children: TreeNode[];
}

/** The derivation forest: roots are handles without a parent, or grouped under a parent outside this table. */
export function derivationForest(h: CapsInput): TreeNode[] {
  const byNode = new Map(h.handles.map((x) => [x.node, x]));
  const nodes = new Map<number, TreeNode>();
  const label = (x: CapsInput["handles"][number]) => `${hexHandle(x.handle)} ${x.kind} #${x.objectId} [${rightsString(x.rights)}]`;
  for (const x of h.handles) nodes.set(x.node, { label: label(x), children: [] });
  const roots: TreeNode[] = [];
  const outside = new Map<number, TreeNode>();
  for (const x of h.handles) {
    const n = nodes.get(x.node)!;
    if (x.parentNode === null) roots.push(n);
    else if (byNode.has(x.parentNode)) nodes.get(x.parentNode)!.children.push(n);
    else {
      let o = outside.get(x.parentNode);
      if (!o) {
        o = { label: `node ${x.parentNode} (not in this table)`, children: [] };
        outside.set(x.parentNode, o);
        roots.push(o);
      }
      o.children.push(n);
    }
  }
  return roots;
}

function treeText(ns: TreeNode[], depth = 0): string[] {
  return ns.flatMap((n) => [`${"  ".repeat(depth)}${depth ? "└ " : ""}${n.label}`, ...treeText(n.children, depth + 1)]);
}

function treeHtml(ns: TreeNode[]): string {
  return `<ul>${ns.map((n) => `<li><code>${escapeHtml(n.label)}</code>${n.children.length ? treeHtml(n.children) : ""}</li>`).join("")}</ul>`;
}

/** %caps's bundle: handle table with rights bits, derivation tree, resource limits, bounding set. */
export function capabilityTable(h: CapsInput): MimeBundle {
  const parentOf = new Map(h.handles.map((x) => [x.node, x.handle]));
  const letters = RIGHT_NAMES.map((n) => RIGHT_LETTERS[n]).join("");
  const headers = ["handle", "index", "gen", "kind", "object", `rights (${letters})`, "mask", "derived from"];
  const rows: Cell[][] = h.handles.map((x) => [
    hexHandle(x.handle),
    x.index,
    x.generation,
    x.kind,
    x.objectId,
    rightsString(x.rights),
    "0x" + x.rights.toString(16),
    x.parentNode === null ? null : parentOf.has(x.parentNode) ? hexHandle(parentOf.get(x.parentNode)!) : `node ${x.parentNode}`,
  ]);
  const title = `Capabilities of pid ${h.pid} (${h.name})`;
  const key = RIGHT_NAMES.map((n) => `${RIGHT_LETTERS[n]}=${n}`).join(" ");
  const limitHeaders = ["resource", "limit", "used"];
  const limitRows: Cell[][] = h.limits.map((l) => [l.resource, l.limit, l.used]);
  const forest = derivationForest(h);
  const bounding = `bounding set: ${h.boundingNames.join(" ") || "(empty)"} [${rightsString(h.bounding)}]`;
  const text = [
    title,
    textTable(headers, rows),
    `rights bits: ${key}`,
    "",
    "Derivation tree",
    ...(forest.length ? treeText(forest) : ["(no handles)"]),
    "",
    "Resource limits",
    textTable(limitHeaders, limitRows),
    "",
    bounding,
  ].join("\n");
  const html =
    htmlTable(headers, rows, title) +
    `<p style="font-size:85%">rights bits: ${escapeHtml(key)}</p>` +
    `<details open><summary><b>Derivation tree</b></summary>${forest.length ? treeHtml(forest) : "<p>(no handles)</p>"}</details>` +
    htmlTable(limitHeaders, limitRows, "Resource limits") +
    `<p>${escapeHtml(bounding)}</p>`;
  return { "text/plain": text, "text/html": html };
}
