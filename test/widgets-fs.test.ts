// widgets fs.ts, journal.ts, channels.ts, addressWalk: pure functions over
// synthetic snapshots (holes, double-indirect pointers, deleted directory
// records, dirty blocks, torn journal transactions, channels with one end
// unheld, hostile names escaped).

import { describe, expect, test } from "vitest";
import { addressWalk, blockRuns, channelDiagram, channelsView, fileView, journalView, modeString } from "../widgets/index.js";
import type { FsPathSnapshot, JournalSnapshot } from "../viperdos/kernel/inspect/fs.js";
import type { ChannelsSnapshot } from "../viperdos/kernel/inspect/channels.js";

const inode = { inodeNum: 9, mode: 0x8006, uid: 0, gid: 0, size: 5 * 4096, blocks: 4, atime: 0, mtime: 0, ctime: 0, direct: [100, 101, 0, 200, 201, 0, 0, 0, 0, 0, 0, 0], indirect: 0, doubleIndirect: 0, tripleIndirect: 0, generation: 1, flags: 0, links: 1 };

const file: FsPathSnapshot = {
  path: "T:<b>x", volume: "D1", volumePath: "/t/<b>x", ino: 9, type: "file", inode,
  blockMap: [{ logical: 0, physical: 100 }, { logical: 1, physical: 101 }, { logical: 2, physical: 0 }, { logical: 3, physical: 200 }, { logical: 4, physical: 201 }],
  pointerBlocks: [{ role: "double-indirect", block: 300 }], dirRecords: null, dirtyInCache: [201],
};

describe("fileView", () => {
  test("runs coalesce consecutive blocks and holes", () => {
    expect(blockRuns(file.blockMap)).toEqual([{ logical: 0, physical: 100, count: 2 }, { logical: 2, physical: 0, count: 1 }, { logical: 3, physical: 200, count: 2 }]);
    expect(blockRuns([{ logical: 0, physical: 5 }, { logical: 1, physical: 7 }])).toHaveLength(2); // not contiguous on disk
  });

  test("mode letters", () => {
    expect(modeString(0x8006)).toBe("-rw-");
    expect(modeString(0x4007)).toBe("drwx");
    expect(modeString(0xa004)).toBe("lr--");
  });

  test("file: inode, runs, pointer blocks, dirty note; names escaped in HTML", () => {
    const b = fileView(file);
    expect(b["text/plain"]).toMatch(/inode 9 on D1/);
    expect(b["text/plain"]).toMatch(/0\.\.1\s+100\.\.101\s+2/);
    expect(b["text/plain"]).toMatch(/2\s+hole\s+1/);
    expect(b["text/plain"]).toMatch(/double-indirect\s+300/);
    expect(b["text/plain"]).toMatch(/blocks 201 are dirty/);
    expect(b["text/html"]).not.toContain("<b>x");
    expect(b["text/html"]).toContain("&lt;b&gt;x");
    expect((b["text/html"] as string).match(/outline:2px/g)).toHaveLength(1); // block 201 marked
  });

  test("directory: records with deleted ones and slack", () => {
    const dir: FsPathSnapshot = { ...file, type: "directory", dirtyInCache: [], pointerBlocks: [], blockMap: [{ logical: 0, physical: 36 }], dirRecords: [
      { block: 36, logical: 0, offset: 0, inode: 3, recLen: 16, nameLen: 1, fileType: 2, name: ".", deleted: false, slack: 0 },
      { block: 36, logical: 0, offset: 16, inode: 0, recLen: 24, nameLen: 0, fileType: 0, name: "", deleted: true, slack: 24 },
      { block: 36, logical: 0, offset: 40, inode: 12, recLen: 4056, nameLen: 5, fileType: 1, name: "hello", deleted: false, slack: 4040 },
    ] };
    const t = fileView(dir)["text/plain"];
    expect(t).toMatch(/Directory records/);
    expect(t).toMatch(/36\s+16\s+24\s+\(free\)/);
    expect(t).toMatch(/hello\s+4040/);
    expect(t).toMatch(/nothing of this file is pending/);
  });
});

describe("journalView", () => {
  test("writer counters, last transaction, on-disk transactions with their status, unreadable journals", () => {
    const j: JournalSnapshot = {
      mounts: [
        { volume: "D1", label: "USER", writer: { start: 2031, sequence: 4, transactions: 3, rolledBack: 0, unjournaled: 0, loggedBlocks: 9, orderedBlocks: 2, flushes: 6, last: { sequence: 3, logged: [1, 2, 40], ordered: [130] } }, onDisk: { kind: "committed", start: 2031, header: { magic: 1, version: 1, sequence: 3, startBlock: 2032, numBlocks: 15, head: 0, tail: 4 }, transactions: [{ pos: 0, sequence: 3, targets: [1, 2, 40], status: "committed" }, { pos: 4, sequence: 4, targets: [41], status: "torn" }], problems: [] }, cache: { dirty: [41], holdDirty: false } },
        { volume: "SYS", label: "SYS", writer: null, onDisk: { error: "bad superblock" }, cache: { dirty: [], holdDirty: false } },
      ],
      assigns: [],
    };
    const t = journalView(j)["text/plain"];
    expect(t).toMatch(/^D1\s+USER\s+2031\s+4\s+3\s+0\s+0\s+9\s+2\s+6\s+1$/m);
    expect(t).toMatch(/D1\s+3\s+1 2 40\s+130/);
    expect(t).toMatch(/D1\s+committed\s+3\s+3\s+committed\s+1 2 40/);
    expect(t).toMatch(/D1\s+committed\s+3\s+4\s+torn\s+41/);
    expect(t).toMatch(/SYS\s+unreadable.*bad superblock/);
  });
});

describe("channelsView", () => {
  const end = (id: number, holders: { pid: number; name: string }[], queued = 0) => ({ id, holders: holders.map((h) => ({ ...h, handle: "0x10", rights: 15 })), sent: id, received: 0, queued: Array.from({ length: queued }, () => ({ bytes: 8, handles: 0 })), closed: false });
  test("a channel between two processes, one with its peer unheld; diagram boxes; the empty case", () => {
    const s: ChannelsSnapshot = { channels: [
      { a: end(5, [{ pid: 2, name: "srv<1>" }]), b: end(6, [{ pid: 3, name: "client" }], 2), peerClosed: false },
      { a: end(7, [{ pid: 3, name: "client" }]), b: null, peerClosed: true },
    ] };
    const b = channelsView(s);
    expect(b["text/plain"]).toMatch(/^Channels \(2\)/);
    expect(b["text/plain"]).toMatch(/5-6\s+2 srv<1> 0x10\s+5\s+0\s+3 client 0x10\s+6\s+2 \(16 B\)\s+open/);
    expect(b["text/plain"]).toMatch(/7-\?.*\(no live holder\).*peer closed/);
    const svg = channelDiagram(s);
    expect(svg.match(/<rect/g)).toHaveLength(2);
    expect(svg).toContain("srv&lt;1&gt;");
    expect(channelsView({ channels: [] })["text/plain"]).toMatch(/no live process holds a channel/);
  });
});

describe("addressWalk", () => {
  test("a mapped address and a fault", () => {
    const ok = addressWalk(4, "spin", { va: "0x400000", ok: true, pa: "0x8123000", el0: "r-x", steps: [{ level: 0, table: "0x1000", index: 0, descriptor: "0x2003", kind: "table" }] });
    expect(ok["text/plain"]).toMatch(/Walk of 0x400000 in pid 4 \(spin\)[\s\S]*L0\s+0x1000[\s\S]*-> PA 0x8123000, EL0 r-x/);
    const bad = addressWalk(4, "spin", { va: "0x0", ok: false, fault: "translation fault, level 1", steps: [] });
    expect(bad["text/plain"]).toMatch(/0x0: translation fault, level 1/);
  });
});
