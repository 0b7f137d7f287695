// A file's inode, block map and directory records (%fs PATH): the inode's
// fields, the logical -> physical map coalesced into runs, the pointer
// blocks, an HTML strip of the blocks (data, pointer, hole, dirty in the
// cache), and for a directory every record of every block with deleted
// records and slack. Input: inspectPath(k, path) (viperdos/kernel/inspect/fs.ts).

import type { FsPathSnapshot } from "../viperdos/kernel/inspect/fs.js";
import { escapeHtml, htmlTable, textTable, type Cell, type MimeBundle } from "./bundle.js";

/** Consecutive logical blocks on consecutive physical blocks as runs ("extents"). */
export function blockRuns(map: FsPathSnapshot["blockMap"]): { logical: number; physical: number; count: number }[] {
  const runs: { logical: number; physical: number; count: number }[] = [];
  for (const b of map) {
    const last = runs.at(-1);
    const contiguous = last && last.logical + last.count === b.logical && (b.physical === 0 ? last.physical === 0 : last.physical !== 0 && last.physical + last.count === b.physical);
    if (contiguous) last.count++;
    else runs.push({ logical: b.logical, physical: b.physical, count: 1 });
  }
  return runs;
}

const MODE_TYPE: Record<number, string> = { 0x8000: "-", 0x4000: "d", 0xa000: "l" };

/** "drwx" style: the type letter then the owner's read/write/execute bits (ViperFS keeps rwx in bits 2..0). */
export function modeString(mode: number): string {
  return (MODE_TYPE[mode & 0xf000] ?? "?") + (mode & 4 ? "r" : "-") + (mode & 2 ? "w" : "-") + (mode & 1 ? "x" : "-");
}

function sections(s: FsPathSnapshot): { title: string; headers: string[]; rows: Cell[][] }[] {
  const i = s.inode;
  const out = [
    {
      title: `${s.path}: inode ${s.ino} on ${s.volume} (${s.volumePath}), ${s.type}`,
      headers: ["field", "value"],
      rows: [
        ["mode", `${modeString(i.mode)} (0x${i.mode.toString(16)})`],
        ["size", i.size],
        ["blocks", i.blocks],
        ["links", i.links],
        ["generation", i.generation],
        ["mtime", i.mtime],
        ["direct", i.direct.join(" ")],
        ["indirect", i.indirect],
        ["double indirect", i.doubleIndirect],
        ...(i.inlineTarget !== undefined ? [["fast symlink target", i.inlineTarget] as Cell[]] : []),
      ] as Cell[][],
    },
    {
      title: "Block map (runs of consecutive blocks; physical 0 = hole)",
      headers: ["logical", "physical", "blocks"],
      rows: blockRuns(s.blockMap).map((r) => [r.count > 1 ? `${r.logical}..${r.logical + r.count - 1}` : String(r.logical), r.physical === 0 ? "hole" : r.count > 1 ? `${r.physical}..${r.physical + r.count - 1}` : String(r.physical), r.count]),
    },
  ];
  if (s.pointerBlocks.length) out.push({ title: "Pointer blocks", headers: ["role", "block"], rows: s.pointerBlocks.map((p) => [p.role, p.block]) });
  if (s.dirRecords) {
    out.push({
      title: "Directory records",
      headers: ["block", "offset", "rec_len", "inode", "type", "name", "slack"],
      rows: s.dirRecords.map((r) => [r.block, r.offset, r.recLen, r.deleted ? "(free)" : r.inode, r.deleted ? "-" : r.fileType, r.name, r.slack]),
    });
  }
  return out;
}

/** The blocks as a strip of squares: data, pointer blocks, holes; dirty ones outlined. */
export function blockStripHtml(s: FsPathSnapshot, max = 256): string {
  const dirty = new Set(s.dirtyInCache);
  const sq = (colour: string, title: string, block: number) =>
    `<span title="${escapeHtml(title)}" style="display:inline-block;width:10px;height:10px;margin:1px;background:${colour};${dirty.has(block) ? "outline:2px solid #d62728;" : ""}"></span>`;
  const cells = s.blockMap.slice(0, max).map((b) => (b.physical === 0 ? sq("#ddd", `logical ${b.logical}: hole`, 0) : sq("#1f77b4", `logical ${b.logical} -> block ${b.physical}`, b.physical)));
  const ptrs = s.pointerBlocks.map((p) => sq("#ff7f0e", `${p.role}: block ${p.block}`, p.block));
  const more = s.blockMap.length > max ? ` <i>(+${s.blockMap.length - max} more)</i>` : "";
  return `<div class="viperdos-blocks"><b>Blocks</b> <span style="color:#1f77b4">data</span> / <span style="color:#ff7f0e">pointer</span> / <span style="color:#999">hole</span>${s.dirtyInCache.length ? ' / <span style="color:#d62728">dirty in cache</span>' : ""}<br>${cells.join("")}${ptrs.length ? " | " + ptrs.join("") : ""}${more}</div>`;
}

/** %fs PATH as a bundle: text/plain tables, text/html tables with the block strip. */
export function fileView(s: FsPathSnapshot): MimeBundle {
  const secs = sections(s);
  const note = s.dirtyInCache.length
    ? `On-disk view; blocks ${s.dirtyInCache.join(", ")} are dirty in the block cache (newer than shown).`
    : "On-disk view (the disk's current image; nothing of this file is pending in the cache).";
  return {
    "text/plain": secs.map((x) => `${x.title}\n${textTable(x.headers, x.rows)}`).join("\n\n") + `\n\n${note}`,
    "text/html": secs.map((x, n) => htmlTable(x.headers, x.rows, x.title) + (n === 1 ? blockStripHtml(s) : "")).join("\n") + `<p>${escapeHtml(note)}</p>`,
  };
}
