// Crash consistency of the kernel's journaled ViperFS (VIPERDOS.md: "a crash
// at any write leaves a consistent file system"). The workload crashload.c
// runs on a machine whose user disk records every block write and flush;
// the harness then builds the image a power cut would leave after every
// prefix of the write log, and for each, seeded drops/reorderings of the
// 512-byte sectors written since the last flush (the device's crashImage).
// Each image is mounted with journal replay (plus the superblock re-sync the
// kernel's mount does after a replay), must be fsck-clean, and its tree must
// be the state after the last step whose "STEP n" marker (printed after
// FSYNC) was reached, or after the step in progress: every fsynced file
// intact, nothing half done. The expected trees come from a host-side model
// of the same steps; the final disk must equal the model's last state.

import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { Kernel } from "../viperdos/kernel/kernel.js";
import type { Process } from "../viperdos/kernel/proc/process.js";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { fsck } from "../viperdos/fs/fsck.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { Volume } from "../viperdos/fs/volume.js";
import { BLOCK_SIZE, MODE, crc32, journalStartOf } from "../viperdos/fs/format.js";
import type { VirtioBlk } from "../emulator/devices/virtio-blk.js";
import { readJournal } from "../viperdos/fs/journal.js";
import { BlockCache, type BlockDriver } from "../viperdos/kernel/fs/blockcache.js";
import { Vfs } from "../viperdos/kernel/fs/vfs.js";

type Op = { kind: "write"; n: number; data: Uint8Array } | { kind: "flush" };

/** A driver over a MemoryImage that logs writes and flushes (the kernel's mount path, on the host). */
class LogDriver implements BlockDriver {
  ops: Op[] = [];
  constructor(readonly img: MemoryImage) {}
  get blockCount() { return this.img.blockCount; }
  readBlock(n: number) { return this.img.readBlock(n); }
  writeBlock(n: number, d: Uint8Array) { this.ops.push({ kind: "write", n, data: d.slice() }); this.img.writeBlock(n, d); return 0; }
  flush() { this.ops.push({ kind: "flush" }); return 0; }
}

/** `base` after ops[0..cut): writes up to the last flush land; later ones as 512-byte sectors, a seeded subset in a seeded order (all, in order, without a seed). */
function opsCrashImage(base: Uint8Array, ops: Op[], cut: number, seed?: number): Uint8Array {
  const img = base.slice();
  const prefix = ops.slice(0, cut);
  const last = prefix.map((o) => o.kind).lastIndexOf("flush");
  for (const o of prefix.slice(0, last + 1)) if (o.kind === "write") img.set(o.data, o.n * BLOCK_SIZE);
  const pending = prefix.slice(last + 1).filter((o): o is Extract<Op, { kind: "write" }> => o.kind === "write");
  const sectors = pending.flatMap((o) => Array.from({ length: BLOCK_SIZE / 512 }, (_, i) => ({ at: o.n * BLOCK_SIZE + i * 512, data: o.data.subarray(i * 512, i * 512 + 512) })));
  if (seed === undefined) {
    for (const x of sectors) img.set(x.data, x.at);
    return img;
  }
  let r = seed >>> 0 || 1;
  const next = (n: number): number => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) >>> 8) % n;
  for (let i = sectors.length - 1; i > 0; i--) {
    const j = next(i + 1);
    [sectors[i], sectors[j]] = [sectors[j], sectors[i]];
  }
  for (const x of sectors.slice(0, next(sectors.length + 1))) img.set(x.data, x.at);
  return img;
}

/** path -> file bytes, or "dir". */
type Tree = Map<string, Uint8Array | "dir">;

const pattern = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => 97 + ((i * 7 + seed) % 26));
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
};

function file(t: Tree, p: string): Uint8Array {
  const v = t.get(p);
  if (!(v instanceof Uint8Array)) throw new Error(`model: ${p} is not a file`);
  return v;
}

function renameTree(t: Tree, from: string, to: string): void {
  for (const [p, v] of [...t]) {
    if (p === from || p.startsWith(from + "/")) {
      t.delete(p);
      t.set(to + p.slice(from.length), v);
    }
  }
}

/** crashload.c's steps on the host, in order (step n is STEPS[n - 1]). */
const STEPS: ((t: Tree) => void)[] = [
  (t) => t.set("/w", "dir"),
  (t) => t.set("/w/a", new Uint8Array(0)),
  (t) => t.set("/w/a", pattern(5000, 1)),
  (t) => t.set("/w/b", new Uint8Array(0)),
  (t) => t.set("/w/b", pattern(300, 2)),
  (t) => t.set("/w/a", concat(file(t, "/w/a"), pattern(9000, 3))),
  (t) => t.set("/w/d", "dir"),
  (t) => renameTree(t, "/w/b", "/w/d/b2"),
  (t) => t.set("/w/c", new Uint8Array(0)),
  (t) => t.set("/w/c", pattern(20000, 4)),
  (t) => t.delete("/w/a"),
  (t) => t.set("/w/c", concat(file(t, "/w/c"), pattern(100, 5))),
  (t) => renameTree(t, "/w/d", "/w/e"),
  (t) => t.set("/w/e/f", new Uint8Array(0)),
  (t) => t.set("/w/e/f", pattern(4096, 6)),
  (t) => t.delete("/w/e/b2"),
  (t) => t.set("/w/c", new Uint8Array(0)),
  (t) => t.set("/w/c", pattern(7000, 7)),
  (t) => renameTree(t, "/w/e/f", "/w/f"),
  (t) => t.delete("/w/e"),
];

/** The whole tree of a mounted volume. */
function walk(vol: Volume): Tree {
  const t: Tree = new Map();
  const visit = (dir: string): void => {
    for (const e of vol.list(dir)) {
      if (e.name === "." || e.name === "..") continue;
      const p = (dir === "/" ? "" : dir) + "/" + e.name;
      if ((e.mode & MODE.TYPE_MASK) === MODE.DIR) {
        t.set(p, "dir");
        visit(p);
      } else t.set(p, vol.readData(e.inode));
    }
  };
  visit("/");
  return t;
}

/** A canonical text of a tree (contents by length and CRC-32), for comparing states. */
function treeKey(t: Tree): string {
  return [...t].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, v]) => (v === "dir" ? `${p}/` : `${p}:${v.length}:${crc32(v)}`)).join("\n");
}

interface Workload {
  dev: VirtioBlk;
  /** marks[n]: write-log length when "STEP n" appeared (marks[0]: before the program started). */
  marks: number[];
  /** states[n]: the model's tree after step n. */
  states: Tree[];
  keys: string[];
  output: string;
  exitCode: number | undefined;
}

/** Run crashload.c on a fresh user disk; `journal` false zeroes the journal (the kernel then writes in place). */
function runWorkload(journal = true): Workload {
  const prg = new Uint8Array(readFileSync(buildGuest({ name: "vd-crashload", sources: ["viperdos/user/tests/crashload.c"], opt: "-O2", os: "viperdos" })));
  const user = buildImage({ size: 2 << 20, label: "USER", dirs: ["t", "s"], files: new Map([["s/startup", new TextEncoder().encode("echo hi\n")]]) });
  if (!journal) {
    const sb = Volume.open(new MemoryImage(user), { replay: false }).sb;
    user.fill(0, journalStartOf(sb) * BLOCK_SIZE, (journalStartOf(sb) + 1) * BLOCK_SIZE);
  }
  const marks: number[] = [];
  let output = "";
  let line = "";
  let k: Kernel | undefined = undefined;
  k = new Kernel({
    cpus: 1,
    disks: { user },
    onConsole: (bytes) => {
      for (const b of bytes) {
        if (b !== 10) {
          line += String.fromCharCode(b);
          continue;
        }
        const m = /^STEP (\d+)$/.exec(line);
        if (m && k) marks[Number(m[1])] = k.disks.user!.writeLog().length;
        output += line + "\n";
        line = "";
      }
    },
  });
  k.boot();
  const dev = k.disks.user!;
  marks[0] = dev.writeLog().length;
  const p = k.spawn("crashload", prg, "");
  if (typeof p === "number") throw new Error(`spawn: ${p}`);
  let ended = false;
  k.onProcessExit = (q: Process) => {
    if (q === p) ended = true;
  };
  k.runUntil(30e9, () => ended);
  const initial = walk(Volume.open(new MemoryImage(user.slice())));
  const states = [initial];
  for (const step of STEPS) {
    const t: Tree = new Map(states[states.length - 1]);
    step(t);
    states.push(t);
  }
  return { dev, marks, states, keys: states.map(treeKey), output: output + line, exitCode: ended ? p.exitCode : undefined };
}

interface CheckResult {
  checked: number;
  replayed: number;
  failures: string[];
  /** How often each step index was the state found. */
  seen: Map<number, number>;
}

/** Steps known durable at a cut after `cut` log entries: the last marker reached. */
function durableAt(w: Workload, cut: number): number {
  let d = 0;
  for (let n = 0; n < w.marks.length; n++) if (w.marks[n] !== undefined && w.marks[n] <= cut) d = n;
  return d;
}

/** Check one crash image: mount (replay as told), fsck, tree is state d or d+1, fsynced files intact. */
function checkImage(w: Workload, img: Uint8Array, cut: number, label: string, r: CheckResult, replay = true): void {
  r.checked++;
  const fail = (why: string): void => {
    if (r.failures.length < 20) r.failures.push(`${label}: ${why}`);
    else if (r.failures.length === 20) r.failures.push("...");
  };
  let vol: Volume;
  try {
    vol = Volume.open(new MemoryImage(img), { replay });
    if (vol.replayed > 0) {
      vol.sync(); // as the kernel's mount does after a replay
      r.replayed++;
    }
  } catch (e) {
    return fail(`mount: ${(e as Error).message}`);
  }
  const rep = fsck(img);
  if (!rep.clean) return fail(`fsck: ${rep.problems.slice(0, 3).join("; ")}`);
  let tree: Tree;
  try {
    tree = walk(vol);
  } catch (e) {
    return fail(`walk: ${(e as Error).message}`);
  }
  const d = durableAt(w, cut);
  const key = treeKey(tree);
  const j = key === w.keys[d] ? d : d + 1 < w.keys.length && key === w.keys[d + 1] ? d + 1 : -1;
  if (j < 0) {
    const other = w.keys.indexOf(key);
    return fail(`tree is ${other >= 0 ? `the state after step ${other}` : "no state of the workload"}, but step ${d} was durable`);
  }
  r.seen.set(j, (r.seen.get(j) ?? 0) + 1);
  // Every file of the durable state that the step in progress does not touch: present, exactly its bytes.
  const next = w.states[Math.min(d + 1, w.states.length - 1)];
  for (const [p, v] of w.states[d]) {
    if (v === "dir" || next.get(p) !== v) continue;
    const got = tree.get(p);
    if (!(got instanceof Uint8Array) || !Buffer.from(got).equals(Buffer.from(v))) return fail(`fsynced file ${p} lost or changed`);
  }
}

const MAX_STATES = Number(process.env.CRASH_STATES_MAX ?? 2400);

describe("crash consistency of the journaled ViperFS (crashload.c)", () => {
  let w: Workload;
  beforeAll(() => {
    w = runWorkload();
  }, 60_000);

  it("the workload runs to the end and the disk ends in the model's last state", () => {
    expect(w.output).toContain("crashload: ok");
    expect(w.output).not.toContain("FAIL");
    expect(w.exitCode).toBe(0);
    expect(w.marks.length).toBe(STEPS.length + 1);
    expect(w.marks.every((m, i) => i === 0 || m > w.marks[i - 1])).toBe(true);
    const img = w.dev.currentImage();
    expect(fsck(img).problems).toEqual([]);
    expect(treeKey(walk(Volume.open(new MemoryImage(img.slice()))))).toBe(w.keys[STEPS.length]);
    // Writes went through the journal: flushes separate the phases of each transaction.
    const flushes = w.dev.writeLog().filter((e) => e.kind === "flush").length;
    expect(flushes).toBeGreaterThanOrEqual(3 * STEPS.length);
  });

  it("every prefix of the write log, and seeded reorderings since the last flush, mount to a clean tree the workload passed through", () => {
    const log = w.dev.writeLog();
    const r: CheckResult = { checked: 0, replayed: 0, failures: [], seen: new Map() };
    // Cuts with writes after their last flush: only those can be reordered.
    const pendingCuts: number[] = [];
    let sinceFlush = 0;
    for (let cut = 0; cut <= log.length; cut++) {
      checkImage(w, w.dev.crashImage(cut), cut, `cut ${cut}`, r);
      if (cut < log.length) sinceFlush = log[cut].kind === "flush" ? 0 : sinceFlush + 1;
      if (sinceFlush > 0 && cut + 1 <= log.length) pendingCuts.push(cut + 1);
    }
    const perCut = Math.max(1, Math.ceil((MAX_STATES - r.checked) / Math.max(1, pendingCuts.length)));
    for (const cut of pendingCuts) {
      for (let s = 0; s < perCut; s++) {
        const seed = cut * 1000 + s + 1;
        checkImage(w, w.dev.crashImage(cut, seed), cut, `cut ${cut} seed ${seed}`, r);
      }
    }
    console.log(`crash states checked: ${r.checked} (${log.length} log entries, ${pendingCuts.length} cuts reordered ${perCut}x, ` +
      `${r.replayed} mounts replayed the journal; states found: ${[...r.seen].sort((a, b) => a[0] - b[0]).map(([k, n]) => `${k}:${n}`).join(" ")})`);
    expect(r.failures).toEqual([]);
    expect(r.checked).toBeGreaterThanOrEqual(Math.min(MAX_STATES, 2000));
    expect(r.replayed).toBeGreaterThan(0); // cuts between commit and checkpoint were exercised
    expect(r.seen.size).toBe(STEPS.length + 1); // every state of the workload was seen at some cut
  }, 120_000);

  it("recovery is crash-safe too: crashing the kernel's mount-time replay leaves the same recovered tree", () => {
    const log = w.dev.writeLog();
    let checked = 0;
    let recoveries = 0;
    const failures: string[] = [];
    for (let cut = 1; cut <= log.length; cut += 3) {
      const crashed = w.dev.crashImage(cut);
      const sb = Volume.open(new MemoryImage(crashed.slice()), { replay: false }).sb;
      if (readJournal(new MemoryImage(crashed), sb).kind !== "committed") continue;
      recoveries++;
      const want = treeKey(walk(Volume.open(new MemoryImage(crashed.slice()))));
      const drv = new LogDriver(new MemoryImage(crashed.slice()));
      const m = new Vfs().mount("D1", new BlockCache(drv));
      expect(typeof m).not.toBe("number");
      for (let c = 0; c <= drv.ops.length; c++) {
        for (const seed of [undefined, 1, 2, 3, 4]) {
          checked++;
          const img = opsCrashImage(crashed, drv.ops, c, seed === undefined ? undefined : cut * 100 + c * 10 + seed);
          try {
            const vol = Volume.open(new MemoryImage(img));
            if (vol.replayed > 0) vol.sync();
            const rep = fsck(img);
            if (!rep.clean) failures.push(`cut ${cut} mount op ${c} seed ${seed}: fsck ${rep.problems[0]}`);
            else if (treeKey(walk(vol)) !== want) failures.push(`cut ${cut} mount op ${c} seed ${seed}: tree differs`);
          } catch (e) {
            failures.push(`cut ${cut} mount op ${c} seed ${seed}: ${(e as Error).message}`);
          }
        }
      }
    }
    console.log(`crash states checked during recovery: ${checked} (${recoveries} crashed images needing replay)`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(recoveries).toBeGreaterThan(10);
  }, 60_000);

  it("the checker catches in-place writes without a journal (control: the same workload, journal zeroed)", () => {
    const bare = runWorkload(false);
    expect(bare.output).toContain("crashload: ok");
    const r: CheckResult = { checked: 0, replayed: 0, failures: [], seen: new Map() };
    const log = bare.dev.writeLog();
    for (let cut = 1; cut <= log.length; cut++) {
      if (log[cut - 1].kind === "flush") continue;
      for (let s = 1; s <= 3; s++) checkImage(bare, bare.dev.crashImage(cut, cut * 10 + s), cut, `cut ${cut} seed ${s}`, r);
    }
    expect(r.failures.length).toBeGreaterThan(0);
  }, 60_000);

  it("the checker catches a mount that ignores the journal (control)", () => {
    const r: CheckResult = { checked: 0, replayed: 0, failures: [], seen: new Map() };
    const log = w.dev.writeLog();
    for (let cut = 0; cut <= log.length; cut++) checkImage(w, w.dev.crashImage(cut), cut, `cut ${cut}`, r, false);
    expect(r.failures.length).toBeGreaterThan(0);
  });
});
