// %crash: a simulated power cut in the middle of a ViperFS journal
// transaction, then the repair at the next mount. The user disk (D1:)
// records every completed write and flush (emulator/devices/virtio-blk.ts
// write log); crashImage(prefix) builds what a power cut after `prefix`
// entries leaves on the platter. We cut at the last transaction's commit
// point (viperdos/kernel/fs/journal-writer.ts step 4: the journal header's
// tail moves past the transaction, then FLUSH):
//
//   --after-commit (default)  just after that FLUSH, before the checkpoint
//                             writes the logged blocks home: the disk holds
//                             the old tree plus a committed transaction, and
//                             the mount replays it (the operation survives)
//   --before-commit           just before the header write: the transaction
//                             is in the journal area but not committed, so
//                             the mount ignores it (the operation is lost,
//                             the old tree is intact)
//
// The magic shows the journal found on the crashed disk, then boots a fresh
// machine from it (same configuration; sys.img as the old machine left it)
// with the boot log streamed, and says how many transactions the mount
// replayed. Like net-magics.ts, it takes MagicError as a parameter so it
// imports only types from magics.ts (no import cycle).

import type { BlkLogEntry } from "../emulator/devices/virtio-blk.js";
import { SECTOR_SIZE } from "../emulator/devices/virtio-blk.js";
import { BLOCK_SIZE, decodeJournalHeader, journalStartOf } from "../viperdos/fs/format.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { readJournal, type JournalState } from "../viperdos/fs/journal.js";
import { Volume } from "../viperdos/fs/volume.js";
import { tablesBundle } from "../widgets/bundle.js";
import type { Magic } from "./magics.js";
import type { MimeBundle } from "./protocol.js";

type MagicErrorCtor = new (message: string, ename?: string, details?: string[]) => Error;

export type CrashPoint = "after-commit" | "before-commit";

export interface CrashCut {
  /** Log entries that reached the disk. */
  prefix: number;
  /** Index of the commit write (the journal header write that made the journal non-empty). */
  commitAt: number;
  /** Sequence number of the journal after that commit. */
  sequence: number;
}

/**
 * Where to cut `log` for `point`, given the journal header's sector.
 * Returns undefined when no transaction committed in the log (nothing
 * written through the journal since the disk was attached).
 */
export function crashCut(log: readonly BlkLogEntry[], headerSector: number, point: CrashPoint): CrashCut | undefined {
  let commitAt = -1;
  let sequence = 0;
  log.forEach((e, i) => {
    if (e.kind !== "write") return;
    const sectors = e.data.length / SECTOR_SIZE;
    if (headerSector < e.sector || headerSector >= e.sector + sectors) return;
    const off = (headerSector - e.sector) * SECTOR_SIZE;
    const h = decodeJournalHeader(e.data.subarray(off, off + BLOCK_SIZE));
    if (h.head !== h.tail) {
      commitAt = i;
      sequence = h.sequence;
    }
  });
  if (commitAt < 0) return undefined;
  if (point === "before-commit") return { prefix: commitAt, commitAt, sequence };
  let flush = commitAt + 1;
  while (flush < log.length && log[flush].kind !== "flush") flush++;
  return { prefix: Math.min(flush + 1, log.length), commitAt, sequence };
}

/** The journal of a disk image (read only; nothing is replayed). Throws FsError for an image with no usable superblock. */
export function journalOfImage(image: Uint8Array): JournalState {
  const dev = new MemoryImage(image);
  return readJournal(dev, Volume.open(dev, { replay: false }).sb);
}

/** A journal state as a table bundle (kind, header, each transaction with its status). */
export function journalStateBundle(j: JournalState, title: string): MimeBundle {
  const h = j.header;
  return tablesBundle(
    [
      {
        title,
        headers: ["sequence", "descriptor at", "home blocks", "status"],
        rows: j.transactions.map((t) => [t.sequence, t.pos, t.targets.join(" "), t.status]),
      },
    ],
    `journal ${j.kind} (header block ${j.start}${h ? `, head ${h.head}, tail ${h.tail}, sequence ${h.sequence}` : ""})${j.problems.length ? "; " + j.problems.join("; ") : ""}` +
      (j.kind === "committed" ? ": the next mount replays the committed transactions" : ": nothing to replay"),
  );
}

const CRASH_USAGE = [
  "%crash [--after-commit | --before-commit]",
  "",
  "Cuts the power of the session's machine in the middle of the user disk's (D1:)",
  "last journal transaction, shows the journal left on the disk, then boots a",
  "fresh machine (same configuration) from what the disks hold. The mount replays",
  "committed transactions.",
  "  --after-commit   (default) just after the commit point (journal tail moved and",
  "                   flushed), before the blocks were written home: replayed",
  "  --before-commit  just before the commit point: ignored, the old tree stays",
].join("\n");

/** The %crash magic (registered in magics.ts's MAGICS). */
export function crashMagic(MagicError: MagicErrorCtor): Magic {
  return {
    name: "crash",
    summary: "cut the power mid-transaction, then reboot: the journal replays at mount",
    usage: CRASH_USAGE,
    async run(ctx) {
      const usage = CRASH_USAGE.split("\n");
      if (ctx.args.length > 1 || (ctx.args[0] !== undefined && ctx.args[0] !== "--after-commit" && ctx.args[0] !== "--before-commit")) {
        throw new MagicError(`unexpected argument ${ctx.args[0]}`, "UsageError", usage);
      }
      const point: CrashPoint = ctx.args[0] === "--before-commit" ? "before-commit" : "after-commit";
      const k = ctx.session.kernel;
      const disk = k?.disks.user;
      const sysDisk = k?.disks.sys;
      if (!k || !disk || !sysDisk) throw new MagicError("no machine with a user disk to crash; boot one first (%boot) and write a file", "NotFound", usage);
      const current = disk.currentImage();
      const sb = Volume.open(new MemoryImage(current), { replay: false }).sb;
      const headerSector = (journalStartOf(sb) * BLOCK_SIZE) / SECTOR_SIZE;
      const log = disk.writeLog();
      const cut = crashCut(log, headerSector, point);
      if (!cut) throw new MagicError("no journal transaction has committed on D1: since boot: write something first (e.g. Copy S:startup T:x)", "NothingToCrash", usage);
      const crashed = disk.crashImage(cut.prefix);
      const sys = sysDisk.currentImage();
      const j = journalOfImage(crashed);
      const last = j.transactions.at(-1);
      ctx.sinks.writeStream(
        "stdout",
        `power cut on D1: after ${cut.prefix} of ${log.length} logged writes and flushes, ${point === "after-commit" ? "just after" : "just before"} the last transaction's commit point` +
          (last ? ` (transaction ${last.sequence}, ${last.targets.length} home blocks)` : "") + "\n",
      );
      ctx.sinks.writeDisplay(journalStateBundle(j, "Journal on the crashed D1:"));
      ctx.sinks.writeStream("stdout", "booting a fresh machine from the crashed disks...\n");
      const detach = ctx.session.attachConsole((t) => ctx.sinks.writeStream("stdout", t));
      let k2;
      try {
        k2 = ctx.session.boot(ctx.session.config, { sys, user: crashed });
      } finally {
        detach();
      }
      const replayed = k2.vfs.mounts.get("D1")?.vol.replayed ?? 0;
      const text = `\nthe mount of D1: replayed ${replayed} journal transaction${replayed === 1 ? "" : "s"}`;
      return { "text/plain": text.trim(), "text/html": `<p>${text.trim()}</p>` };
    },
  };
}
