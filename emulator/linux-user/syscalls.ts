// The Linux AArch64 system-call layer of the Linux-user harness. Calling
// convention (arm64 Linux ABI): SVC #0, number in X8, arguments in X0..X5,
// result (or -errno) in X0; every other register is preserved.
//
// Guest pointers are checked page by page against the process's VMAs: a bad
// pointer gives -EFAULT, never a host exception. Time is virtual (one
// nanosecond per retired instruction), randomness comes from a seeded PRNG,
// so a run is reproducible bit for bit.

import { CpuState, INSNS_PER_NS } from "../cpu/state.js";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "./address_space.js";
import { Rng } from "../rng.js";

export const SYS = {
  ioctl: 29,
  read: 63,
  write: 64,
  writev: 66,
  exit: 93,
  exit_group: 94,
  set_tid_address: 96,
  clock_gettime: 113,
  clock_getres: 114,
  rt_sigaction: 134,
  rt_sigprocmask: 135,
  uname: 160,
  brk: 214,
  munmap: 215,
  mmap: 222,
  mprotect: 226,
  getrandom: 278,
} as const;

export const EPERM = 1;
export const EBADF = 9;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EEXIST = 17;
export const EINVAL = 22;
export const ENOSYS = 38;

const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const PAGE = 4096;
const VA_LIMIT = 2 ** 48;
/** Where anonymous mappings go: downwards from here (below the stack). */
export const MMAP_TOP = 0x7f00_0000_0000;
/** The brk heap may grow at most this far. */
export const BRK_LIMIT = 1024 * 1024 * 1024;
/** CLOCK_REALTIME at virtual time 0: 2024-01-01T00:00:00Z. */
export const REALTIME_EPOCH_S = 1_704_067_200;

/** Where the process's output goes and its input comes from. */
export interface ProcessIo {
  stdout: (bytes: Uint8Array) => void;
  stderr: (bytes: Uint8Array) => void;
  /** Up to `max` bytes of standard input; empty at end of file. */
  stdin: (max: number) => Uint8Array;
}

/** Process state the system calls read and change. */
export class LinuxProcess {
  brkStart: number;
  brkCur: number;
  mmapNext = MMAP_TOP;
  /** Exit status once the process called exit/exit_group. */
  exitStatus: number | undefined = undefined;

  constructor(readonly cpu: CpuState, readonly space: AddressSpace, readonly io: ProcessIo, readonly rng: Rng, brkStart: number) {
    this.brkStart = brkStart;
    this.brkCur = brkStart;
  }

  /** Virtual nanoseconds since the process started. */
  virtualNs(): bigint {
    return BigInt(Math.floor(this.cpu.retired / INSNS_PER_NS));
  }
}

/** A guest pointer argument as a number, or -1 if it cannot be a user address. */
function ptr(v: bigint): number {
  return v < BigInt(VA_LIMIT) ? Number(v) : -1;
}

/** A size argument clamped to something we can allocate (sizes beyond 2^31 are never needed here). */
function size(v: bigint): number {
  return v > 0x7fff_ffffn ? -1 : Number(v);
}

function pageUp(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}

/**
 * Perform the system call in X8 with arguments X0..X5 and write its result
 * to X0. Does not touch any other register. Returns after exit/exit_group
 * with `p.exitStatus` set. Never throws for guest-controlled values
 * (OutOfMemory from the page allocator is the one exception).
 */
export function doSyscall(p: LinuxProcess): void {
  const c = p.cpu;
  const nr = c.x[8] < 0x10000n ? Number(c.x[8]) : -1;
  const a = [c.x[0], c.x[1], c.x[2], c.x[3], c.x[4], c.x[5]];
  const r = dispatch(p, nr, a);
  c.x[0] = BigInt.asUintN(64, BigInt(r));
}

function dispatch(p: LinuxProcess, nr: number, a: bigint[]): number {
  switch (nr) {
    case SYS.read: return sysRead(p, a[0], a[1], a[2]);
    case SYS.write: return sysWrite(p, a[0], a[1], a[2]);
    case SYS.writev: return sysWritev(p, a[0], a[1], a[2]);
    case SYS.exit:
    case SYS.exit_group:
      p.exitStatus = Number(a[0] & 0xffn);
      return 0;
    case SYS.brk: return sysBrk(p, a[0]);
    case SYS.mmap: return sysMmap(p, a[0], a[1], a[2], a[3]);
    case SYS.munmap: return sysMunmap(p, a[0], a[1]);
    case SYS.mprotect: return sysMprotect(p, a[0], a[1], a[2]);
    case SYS.clock_gettime: return sysClockGettime(p, a[0], a[1], false);
    case SYS.clock_getres: return sysClockGettime(p, a[0], a[1], true);
    case SYS.getrandom: return sysGetrandom(p, a[0], a[1]);
    default: return -ENOSYS;
  }
}

function output(p: LinuxProcess, fd: bigint): ((b: Uint8Array) => void) | undefined {
  if (fd === 1n) return p.io.stdout;
  if (fd === 2n) return p.io.stderr;
  return undefined;
}

function sysWrite(p: LinuxProcess, fd: bigint, buf: bigint, count: bigint): number {
  const out = output(p, fd);
  if (!out) return -EBADF;
  const n = size(count);
  if (n < 0) return -EINVAL;
  if (n === 0) return 0;
  // Like Linux: bytes before the first bad page are written; none -> EFAULT.
  const data = p.space.copyInPrefix(ptr(buf), n);
  if (data.length === 0) return -EFAULT;
  out(data);
  return data.length;
}

/** struct iovec { void *iov_base; size_t iov_len; } (16 bytes each). */
function sysWritev(p: LinuxProcess, fd: bigint, iov: bigint, iovcnt: bigint): number {
  const out = output(p, fd);
  if (!out) return -EBADF;
  if (iovcnt > 1024n) return -EINVAL;
  const cnt = Number(iovcnt);
  const vec = p.space.copyIn(ptr(iov), cnt * 16);
  if (!vec) return -EFAULT;
  const dv = new DataView(vec.buffer);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const n = size(dv.getBigUint64(i * 16 + 8, true));
    if (n < 0 || total + n > 0x7fff_ffff) return -EINVAL;
    if (n === 0) continue;
    // A bad segment ends the write; what came before it is still written (Linux).
    const d = p.space.copyInPrefix(ptr(dv.getBigUint64(i * 16, true)), n);
    if (d.length > 0) parts.push(d);
    total += d.length;
    if (d.length < n) {
      if (total === 0) return -EFAULT;
      break;
    }
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const d of parts) {
    all.set(d, at);
    at += d.length;
  }
  if (total > 0) out(all);
  return total;
}

function sysRead(p: LinuxProcess, fd: bigint, buf: bigint, count: bigint): number {
  if (fd !== 0n) return -EBADF;
  const n = size(count);
  if (n < 0) return -EINVAL;
  if (n === 0) return 0;
  // Check the buffer before consuming input, so EFAULT loses no bytes.
  if (!p.space.accessible(ptr(buf), n, "write")) return -EFAULT;
  const data = p.io.stdin(n);
  if (data.length > 0 && !p.space.copyOut(ptr(buf), data)) return -EFAULT;
  return data.length;
}

/** brk(addr): move the program break; returns the (possibly unchanged) break. */
function sysBrk(p: LinuxProcess, addr: bigint): number {
  const want = Number(addr > BigInt(VA_LIMIT) ? 0n : addr);
  if (want < p.brkStart || want > p.brkStart + BRK_LIMIT) return p.brkCur;
  const oldEnd = pageUp(p.brkCur);
  const newEnd = pageUp(want);
  if (newEnd > oldEnd) {
    if (!p.space.isFree(oldEnd, newEnd)) return p.brkCur;
    p.space.addVma(oldEnd, newEnd, PROT_READ | PROT_WRITE, "heap");
  } else if (newEnd < oldEnd) {
    p.space.removeRange(newEnd, oldEnd);
  }
  p.brkCur = want;
  return want;
}

/** mmap: anonymous private mappings only (pages arrive on first touch). */
function sysMmap(p: LinuxProcess, addr: bigint, length: bigint, prot: bigint, flags: bigint): number {
  const f = Number(flags & 0xffffffffn);
  const len = length > BigInt(VA_LIMIT) ? -1 : pageUp(Number(length));
  if (len <= 0) return -EINVAL;
  if (prot & ~7n) return -EINVAL;
  const type = f & (MAP_SHARED | MAP_PRIVATE);
  if (type !== MAP_PRIVATE) return type === MAP_SHARED ? -ENOSYS : -EINVAL;
  if (!(f & MAP_ANONYMOUS)) return -ENOSYS; // no files in the Linux-user harness
  const want = addr < BigInt(VA_LIMIT) ? Number(addr) : -1;
  let start: number;
  if (f & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (want < 0 || want % PAGE || want + len > VA_LIMIT || want === 0) return -EINVAL;
    if (!p.space.isFree(want, want + len)) {
      if (f & MAP_FIXED_NOREPLACE) return -EEXIST;
      p.space.removeRange(want, want + len);
    }
    start = want;
  } else if (want > 0 && want % PAGE === 0 && want + len <= MMAP_TOP && p.space.isFree(want, want + len)) {
    start = want;
  } else {
    start = p.mmapNext - len;
    while (start > 0 && !p.space.isFree(start, start + len)) start -= PAGE;
    if (start <= p.brkStart + BRK_LIMIT) return -ENOMEM;
    p.mmapNext = start;
  }
  p.space.addVma(start, start + len, Number(prot), "mmap");
  return start;
}

function sysMunmap(p: LinuxProcess, addr: bigint, length: bigint): number {
  const start = ptr(addr);
  const len = length > BigInt(VA_LIMIT) ? -1 : pageUp(Number(length));
  if (start < 0 || start % PAGE || len <= 0 || start + len > VA_LIMIT) return -EINVAL;
  p.space.removeRange(start, start + len);
  return 0;
}

function sysMprotect(p: LinuxProcess, addr: bigint, length: bigint, prot: bigint): number {
  const start = ptr(addr);
  const len = length > BigInt(VA_LIMIT) ? -1 : pageUp(Number(length));
  if (start < 0 || start % PAGE || len < 0 || prot & ~7n) return -EINVAL;
  if (len === 0) return 0;
  const pr = Number(prot) & (PROT_READ | PROT_WRITE | PROT_EXEC);
  return p.space.protectRange(start, start + len, pr) ? 0 : -ENOMEM;
}

/** clock_gettime/clock_getres: struct timespec { i64 tv_sec; i64 tv_nsec; }. */
function sysClockGettime(p: LinuxProcess, clock: bigint, ts: bigint, res: boolean): number {
  // CLOCK_REALTIME 0, MONOTONIC 1, PROCESS/THREAD_CPUTIME 2/3, MONOTONIC_RAW 4,
  // REALTIME_COARSE 5, MONOTONIC_COARSE 6, BOOTTIME 7.
  if (clock > 7n) return -EINVAL;
  let ns = res ? 1n : p.virtualNs();
  if (!res && (clock === 0n || clock === 5n)) ns += BigInt(REALTIME_EPOCH_S) * 1_000_000_000n;
  if (res && ts === 0n) return 0;
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setBigInt64(0, ns / 1_000_000_000n, true);
  dv.setBigInt64(8, ns % 1_000_000_000n, true);
  return p.space.copyOut(ptr(ts), out) ? 0 : -EFAULT;
}

function sysGetrandom(p: LinuxProcess, buf: bigint, count: bigint): number {
  const n = size(count);
  if (n < 0) return -EINVAL;
  const out = new Uint8Array(Math.min(n, 33554431)); // Linux caps one call at 32 MiB - 1
  p.rng.fill(out);
  return p.space.copyOut(ptr(buf), out) ? out.length : -EFAULT;
}
