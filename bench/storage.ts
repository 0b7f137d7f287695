// Storage benchmarks (issue 5): fsbench.c (viperdos/user/bench/) runs as
// process 1 on the real kernel with sys.img and a 16 MiB user.img, and the
// VFS mount on the host. Wall figures are slopes between two counts (as in
// bench/kernel.ts: per-operation wall = (wall(N2) - wall(N1)) / (N2 - N1)
// over whole runProgram runs, best of BENCH_REPS, so boot, load and set-up
// cancel); virtual figures are slopes of the guest's TIME_NOW_NS deltas.
//
//   storage.read_4k_cached   READ of a 4 KiB file whose block is cached (with
//                            one LSEEK per READ); target <= 10 us wall
//   storage.read_4k_cold     READ of a 4 KiB block never read before: the task
//                            blocks until the disk's interrupt delivers it
//   storage.seq_read         64 KiB READs of a cold file, MB/s
//   storage.seq_write        64 KiB WRITEs to a new file then FSYNC, MB/s
//   storage.create_fsync     OPEN(O_CREAT) + 100-byte WRITE + FSYNC + CLOSE, files/s
//   storage.mount            VFS mount of user.img (superblock, journal check,
//                            root), host wall; storage.mount_replay: the same
//                            with a committed transaction left in the journal
//                            (a crash after the commit point) to replay.
//
// Virtual figures: our virtio-blk completes a request at its notify, so the
// device costs no virtual time; virtual figures count the CPU work of the
// kernel and the guest only (which is why the MB/s are huge).

import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { BLOCK_SIZE } from "../viperdos/fs/format.js";
import { BlockCache, type BlockDriver } from "../viperdos/kernel/fs/blockcache.js";
import { O, Vfs, type Location, type Mount } from "../viperdos/kernel/fs/vfs.js";
import { median, type Emit } from "./report.js";

const COLD_BYTES = 16 << 20;
let image: Uint8Array | undefined;
let disks: { sys: Uint8Array; user: Uint8Array } | undefined;

function fsbench(): Uint8Array {
  image ??= new Uint8Array(readFileSync(buildGuest({ name: "vd-fsbench", sources: ["viperdos/user/bench/fsbench.c"], opt: "-O2", os: "viperdos" })));
  return image;
}

/** sys.img (2 MiB) and user.img (48 MiB, t/cold.bin of 16 MiB), built once. */
function benchDisks(): { sys: Uint8Array; user: Uint8Array } {
  disks ??= {
    sys: buildImage({ size: 2 << 20, label: "SYS", files: new Map([["vinit.sys", new TextEncoder().encode("VSYS")]]) }),
    user: buildImage({
      size: 48 << 20, label: "USER", dirs: ["c", "s", "t"],
      files: new Map([["t/cold.bin", coldBytes()]]),
    }),
  };
  return disks;
}

function coldBytes(): Uint8Array {
  const b = new Uint8Array(COLD_BYTES);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7) & 0xff;
  return b;
}

interface Run { wallMs: number; virtualNs: number; bytes: number; n: number }

/** One fsbench run; throws with the console text when it fails. */
function runOnce(args: string): Run {
  const out: number[] = [];
  const img = fsbench();
  const r = runProgram("fsbench", img, { cpus: 1, args, disks: benchDisks(), onConsole: (b) => out.push(...b), limitNs: 600e9 });
  const text = Buffer.from(out).toString("utf8");
  const m = /fsbench (\S+) n=(\d+) bytes=(\d+) virtual_ns=(\d+)/.exec(text);
  if (r.exitCode !== 0 || !m) throw new Error(`fsbench ${args}: exit ${String(r.exitCode)} (${r.reason})\n${text.slice(-800)}`);
  return { wallMs: r.wallMs, n: Number(m[2]), bytes: Number(m[3]), virtualNs: Number(m[4]) };
}

function best(args: string, reps: number): Run {
  let b: Run | undefined;
  for (let i = 0; i < reps; i++) {
    const r = runOnce(args);
    if (!b || r.wallMs < b.wallMs) b = r;
  }
  return b!;
}

/** Per-operation wall and virtual microseconds, and bytes per operation, between counts n1 < n2. */
function slope(mode: string, n1: number, n2: number, reps: number): { wallUs: number; virtualUs: number; bytesPerOp: number } {
  const a = best(`${mode} ${n1}`, reps);
  const b = best(`${mode} ${n2}`, reps);
  const d = n2 - n1;
  return { wallUs: ((b.wallMs - a.wallMs) * 1000) / d, virtualUs: (b.virtualNs - a.virtualNs) / 1000 / d, bytesPerOp: (b.bytes - a.bytes) / d };
}

class MemDriver implements BlockDriver {
  ops: ({ n: number; data: Uint8Array } | "flush")[] = [];
  constructor(readonly img: MemoryImage) {}
  get blockCount() { return this.img.blockCount; }
  readBlock(n: number) { return this.img.readBlock(n); }
  writeBlock(n: number, d: Uint8Array) { this.ops.push({ n, data: d.slice() }); this.img.writeBlock(n, d); return 0; }
  flush() { this.ops.push("flush"); return 0; }
}

let scratch: Uint8Array | undefined;

/** Wall ms of mounting `bytes` through the kernel's VFS (a fresh cache each time; the image is copied into a reused buffer first, so no 48 MiB allocation lands in the timing). */
function mountMs(bytes: Uint8Array): number {
  if (scratch?.length !== bytes.length) scratch = new Uint8Array(bytes.length);
  scratch.set(bytes);
  const img = new MemoryImage(scratch);
  const t0 = performance.now();
  const m = new Vfs().mount("D1", new BlockCache(new MemDriver(img)));
  const ms = performance.now() - t0;
  if (typeof m === "number") throw new Error(`mount failed (${m})`);
  return ms;
}

/**
 * user.img as a crash right after a transaction's commit point leaves it:
 * the create of a file with a directory entry, journaled; the device log is
 * replayed up to the second flush of the transaction (journal header with
 * the transaction committed, home blocks not yet written). Returns the
 * image and how many blocks the transaction logged.
 */
function imageNeedingReplay(base: Uint8Array): { bytes: Uint8Array; logged: number } {
  const img = new MemoryImage(base.slice());
  const drv = new MemDriver(img);
  const vfs = new Vfs();
  const m = vfs.mount("D1", new BlockCache(drv)) as Mount;
  drv.ops = [];
  const f = vfs.open(vfs.resolve(undefined, "D1:t/replayed") as Location, O.WRONLY | O.CREAT);
  if (typeof f === "number") throw new Error(`create failed (${f})`);
  const out = base.slice();
  let flushes = 0;
  for (const op of drv.ops) {
    if (op === "flush") {
      if (++flushes === 2) break;
    } else out.set(op.data, op.n * BLOCK_SIZE);
  }
  return { bytes: out, logged: m.journal!.snapshot().last?.logged.length ?? 0 };
}

export function benchStorage(emit: Emit, reps = Number(process.env.BENCH_REPS ?? 3)): void {
  // Counts are large so that the difference between two runs dominates the host's noise.
  const cached = slope("cached", 1000, 41_000, reps);
  emit({ name: "storage.read_4k_cached", value: cached.wallUs, unit: "us", clock: "wall", note: "READ 4 KiB of a cached file (+1 LSEEK), slope; target <= 10 us (upstream ~150 us via its file server)" });
  emit({ name: "storage.read_4k_cached", value: cached.virtualUs, unit: "us", clock: "virtual" });
  const cold = slope("cold", 128, 2048, reps);
  emit({ name: "storage.read_4k_cold", value: cold.wallUs, unit: "us", clock: "wall", note: "READ 4 KiB never read before: task blocks until the virtio-blk interrupt" });
  emit({ name: "storage.read_4k_cold", value: cold.virtualUs, unit: "us", clock: "virtual" });
  const mbps = (s: { wallUs: number; virtualUs: number; bytesPerOp: number }, clock: "wall" | "virtual") =>
    s.bytesPerOp / (clock === "wall" ? s.wallUs : s.virtualUs); // bytes per us = MB/s
  const sr = slope("seqread", 16, 240, reps);
  emit({ name: "storage.seq_read", value: mbps(sr, "wall"), unit: "MB/s", clock: "wall", note: "64 KiB READs of a cold file" });
  emit({ name: "storage.seq_read", value: mbps(sr, "virtual"), unit: "MB/s", clock: "virtual" });
  const sw = slope("seqwrite", 16, 400, reps);
  emit({ name: "storage.seq_write", value: mbps(sw, "wall"), unit: "MB/s", clock: "wall", note: "64 KiB WRITEs (one journal transaction each) + FSYNC" });
  emit({ name: "storage.seq_write", value: mbps(sw, "virtual"), unit: "MB/s", clock: "virtual" });
  const cr = slope("create", 20, 420, reps);
  emit({ name: "storage.create_fsync", value: 1e6 / cr.wallUs, unit: "files/s", clock: "wall", note: "OPEN(O_CREAT) + WRITE 100 B + FSYNC + CLOSE" });
  emit({ name: "storage.create_fsync", value: 1e6 / cr.virtualUs, unit: "files/s", clock: "virtual" });
  const user = benchDisks().user;
  const crashed = imageNeedingReplay(user);
  const plainMs: number[] = [];
  const replayMs: number[] = [];
  for (let i = 0; i < 21; i++) {
    // Interleaved, so JIT warm-up and load fall on both alike.
    plainMs.push(mountMs(user));
    replayMs.push(mountMs(crashed.bytes));
  }
  const plain = median(plainMs);
  const replay = median(replayMs);
  emit({ name: "storage.mount", value: plain, unit: "ms", clock: "wall", note: "48 MiB user.img, clean journal (median of 21)" });
  emit({ name: "storage.mount_replay", value: replay, unit: "ms", clock: "wall", note: `same image with 1 committed transaction (${crashed.logged} blocks) to replay` });
}
