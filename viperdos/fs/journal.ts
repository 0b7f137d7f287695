// The ViperFS write-ahead journal: reading its state, replaying committed
// transactions, and writing new ones (host tools, tests, later the kernel).
//
// The journal is 16 blocks before the backup superblock: a header block,
// then a data area of 15 blocks from header.start_block. Between head and
// tail (block offsets into the data area) lie transactions, each
//   descriptor (state ACTIVE, later COMMITTED) | num_blocks data | commit
// written in that order; the header's tail moves past a transaction only
// after its commit block and the descriptor's COMMITTED state are written
// (upstream journal.cpp). At mount, every COMMITTED transaction whose commit
// block carries the same sequence and whose data blocks match their CRC-32s
// is copied to its home blocks; then head = tail = 0.

import {
  BLOCK_SIZE, crc32, decodeJournalCommit, decodeJournalDescriptor, decodeJournalHeader, encodeJournalCommit,
  encodeJournalDescriptor, encodeJournalHeader, FsError, JOURNAL_BLOCKS, JOURNAL_MAGIC, JOURNAL_VERSION,
  journalDescriptorCount, journalStartOf, JournalHeader, MAX_JOURNAL_TXN_BLOCKS, Superblock, TXN,
} from "./format.js";
import type { BlockDevice } from "./image.js";

export type JournalStateKind = "absent" | "clean" | "committed" | "garbage";

export interface JournalTxnInfo {
  /** Offset of the descriptor in the data area. */
  pos: number;
  sequence: number;
  /** Home blocks the transaction writes. */
  targets: number[];
  /** "committed" will be replayed; "uncommitted" and "torn" are ignored. */
  status: "committed" | "uncommitted" | "torn";
}

export interface JournalState {
  kind: JournalStateKind;
  /** Block of the journal header. */
  start: number;
  header: JournalHeader | undefined;
  transactions: JournalTxnInfo[];
  /** Why the journal is garbage (empty otherwise). */
  problems: string[];
}

/** A fresh, empty journal header for `sb`. */
export function emptyJournalHeader(sb: Superblock): JournalHeader {
  const js = journalStartOf(sb);
  return { magic: JOURNAL_MAGIC, version: JOURNAL_VERSION, sequence: 0, startBlock: js + 1, numBlocks: JOURNAL_BLOCKS - 1, head: 0, tail: 0 };
}

/**
 * Read the journal of the volume `sb` describes. Never throws: unreadable or
 * inconsistent journals come back as kind "garbage" with reasons. "absent"
 * means an all-zero header block (upstream's mkfs writes no journal).
 */
export function readJournal(dev: BlockDevice, sb: Superblock): JournalState {
  const start = journalStartOf(sb);
  const st: JournalState = { kind: "clean", start, header: undefined, transactions: [], problems: [] };
  const garbage = (why: string): JournalState => {
    st.kind = "garbage";
    st.problems.push(why);
    return st;
  };
  if (start <= sb.dataStart || sb.totalBlocks > dev.blockCount) {
    st.kind = "absent";
    return st;
  }
  const hb = dev.readBlock(start);
  if (hb.every((x) => x === 0)) {
    st.kind = "absent";
    return st;
  }
  const h = decodeJournalHeader(hb);
  st.header = h;
  if (h.magic !== JOURNAL_MAGIC) return garbage(`journal header at block ${start} has magic 0x${h.magic.toString(16)}, not JRNL`);
  if (h.version !== JOURNAL_VERSION) return garbage(`journal version ${h.version}, expected ${JOURNAL_VERSION}`);
  if (h.startBlock !== start + 1 || h.numBlocks !== JOURNAL_BLOCKS - 1) {
    return garbage(`journal data area ${h.startBlock}+${h.numBlocks} is not ${start + 1}+${JOURNAL_BLOCKS - 1}`);
  }
  if (h.head > h.tail || h.tail > h.numBlocks) return garbage(`journal head ${h.head} / tail ${h.tail} out of range 0..${h.numBlocks}`);
  for (let pos = h.head; pos < h.tail; ) {
    const db = dev.readBlock(h.startBlock + pos);
    const d = decodeJournalDescriptor(db);
    const n = journalDescriptorCount(db);
    if (d.magic !== JOURNAL_MAGIC) return garbage(`journal descriptor at block ${h.startBlock + pos} has bad magic`);
    if (d.state === TXN.INVALID || d.state > TXN.COMPLETE) return garbage(`journal descriptor at block ${h.startBlock + pos} has state ${d.state}`);
    if (n > MAX_JOURNAL_TXN_BLOCKS || pos + n + 2 > h.tail) {
      return garbage(`journal transaction at offset ${pos} (${n} blocks) runs past the tail ${h.tail}`);
    }
    const bad = d.records.find((r) => r.block >= start || r.block >= sb.totalBlocks);
    if (bad) return garbage(`journal transaction ${d.sequence} targets block ${bad.block}, outside the file system`);
    const info: JournalTxnInfo = { pos, sequence: d.sequence, targets: d.records.map((r) => r.block), status: "uncommitted" };
    if (d.state === TXN.COMMITTED) {
      const c = decodeJournalCommit(dev.readBlock(h.startBlock + pos + 1 + n));
      const sumsOk = d.records.every((r, i) => crc32(dev.readBlock(h.startBlock + pos + 1 + i)) === r.checksum);
      info.status = c.magic === JOURNAL_MAGIC && c.sequence === d.sequence && sumsOk ? "committed" : "torn";
    }
    st.transactions.push(info);
    pos += n + 2;
  }
  if (st.transactions.some((t) => t.status === "committed")) st.kind = "committed";
  return st;
}

/**
 * Apply every committed transaction to its home blocks, then mark the
 * journal empty (head = tail = 0). Returns how many were applied. Throws
 * FsError if the journal is garbage (a mount must then refuse or ignore it).
 */
export function replayJournal(dev: BlockDevice, sb: Superblock): number {
  const st = readJournal(dev, sb);
  if (st.kind === "garbage") throw new FsError(`journal: ${st.problems.join("; ")}`);
  if (st.kind === "absent" || !st.header) return 0;
  const h = st.header;
  let applied = 0;
  for (const t of st.transactions) {
    if (t.status !== "committed") continue;
    t.targets.forEach((home, i) => dev.writeBlock(home, dev.readBlock(h.startBlock + t.pos + 1 + i)));
    applied++;
  }
  if (h.head !== 0 || h.tail !== 0) dev.writeBlock(st.start, encodeJournalHeader({ ...h, head: 0, tail: 0 }));
  return applied;
}

/**
 * Log `writes` (home block -> 4096 bytes) as one committed transaction,
 * without writing the home blocks (the caller checkpoints them later; a crash
 * before that is repaired by replay). Writes happen in upstream's order:
 * descriptor ACTIVE, data, commit, descriptor COMMITTED, header. If the data
 * area is too full, committed transactions are first replayed and the
 * journal emptied. Returns the transaction's sequence number.
 * Errors (FsError): no usable journal, more blocks than fit (13), a home
 * block inside the journal or beyond the file system.
 */
export function commitTransaction(dev: BlockDevice, sb: Superblock, writes: Map<number, Uint8Array>, timestamp = 0): number {
  let st = readJournal(dev, sb);
  if (st.kind === "absent" || st.kind === "garbage" || !st.header) throw new FsError(`journal: no usable journal (${st.kind})`);
  const n = writes.size;
  if (n === 0 || n > Math.min(MAX_JOURNAL_TXN_BLOCKS, JOURNAL_BLOCKS - 3)) throw new FsError(`journal: a transaction holds 1..${JOURNAL_BLOCKS - 3} blocks, not ${n}`);
  for (const [home, data] of writes) {
    if (!Number.isSafeInteger(home) || home < 0 || home >= st.start) throw new FsError(`journal: home block ${home} outside the file system`);
    if (data.length !== BLOCK_SIZE) throw new FsError(`journal: block ${home} data is ${data.length} bytes`);
  }
  if (st.header.tail + n + 2 > st.header.numBlocks) {
    replayJournal(dev, sb);
    st = readJournal(dev, sb);
  }
  const h = st.header!;
  const pos = h.tail;
  const seq = h.sequence;
  const records = [...writes].map(([block, data]) => ({ block, checksum: crc32(data) }));
  const desc = { magic: JOURNAL_MAGIC, state: TXN.ACTIVE, sequence: seq, timestamp, records };
  dev.writeBlock(h.startBlock + pos, encodeJournalDescriptor(desc));
  [...writes.values()].forEach((data, i) => dev.writeBlock(h.startBlock + pos + 1 + i, data));
  dev.writeBlock(h.startBlock + pos + 1 + n, encodeJournalCommit({ magic: JOURNAL_MAGIC, sequence: seq, checksum: 0 }));
  dev.writeBlock(h.startBlock + pos, encodeJournalDescriptor({ ...desc, state: TXN.COMMITTED }));
  dev.writeBlock(st.start, encodeJournalHeader({ ...h, sequence: seq + 1, tail: pos + n + 2 }));
  return seq;
}
