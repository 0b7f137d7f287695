// The kernel event trace: a bounded ring of events stamped with virtual time
// (syscalls, context switches, faults, IRQs, process life), plus a running
// hash of every event ever recorded, so two runs can be compared bit for bit
// (same images + seed + input => equal hashes) even after the ring wrapped.
//
// Recording is cheap: numbers only (no strings, no allocation when the ring
// is full); names are attached when a snapshot is taken.

export enum TraceKind {
  /** One per syscall, when its handler returns: a = number, b = status (or SYSCALL_TRACE_BLOCKED / _GONE). */
  Syscall = 1,
  /** No longer recorded (Syscall carries the status); the number stays reserved. */
  SyscallReturn = 2,
  Switch = 3,
  PageFault = 4,
  Irq = 5,
  Spawn = 6,
  Exit = 7,
  Kill = 8,
  Block = 9,
  Wake = 10,
}

export interface TraceEvent {
  seq: number;
  /** Virtual time, ns. */
  t: number;
  cpu: number;
  kind: keyof typeof TraceKind;
  /** Task id involved (0 = none). */
  task: number;
  /** Kind-specific: syscall number/result, fault address, IRQ id, next task... */
  a: number;
  b: number;
}

/** Syscall event's b when the task blocked (the SVC re-executes on wake). */
export const SYSCALL_TRACE_BLOCKED = 1;
/** Syscall event's b when the calling task no longer exists (exit, exec). */
export const SYSCALL_TRACE_GONE = 2;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Low 32-bit word of a field (two's complement for negatives), as the hash takes it. */
function lo32(v: number): number {
  return v >>> 0 === v ? v : v % 4294967296 >>> 0;
}

/** High 32-bit word of a field (0 for small non-negative integers). */
function hi32(v: number): number {
  return v >>> 0 === v ? 0 : Math.floor(v / 4294967296) >>> 0;
}

export class Trace {
  private readonly t: Float64Array;
  private readonly f: Int32Array; // cpu, kind, task, a(lo), b(lo) per event
  private readonly extra: Float64Array; // a, b as doubles (addresses need 48 bits)
  private next = 0;
  private count = 0;
  private h1 = FNV_OFFSET;
  private h2 = FNV_OFFSET ^ 0x5bd1e995;
  /** Events stored in the ring (the last `pending` before `next`) and not yet folded into the hash. */
  private pending = 0;
  /** Events ever recorded (the ring keeps the last `capacity`). */
  total = 0;
  enabled = true;

  constructor(readonly capacity = 65536) {
    this.t = new Float64Array(capacity);
    this.f = new Int32Array(capacity * 3);
    this.extra = new Float64Array(capacity * 2);
  }

  /**
   * Record one event; `a` and `b` are exact up to 2^53. Recording only stores
   * numbers; the hash takes stored events in batches (before the ring
   * overwrites them, or when asked), so each record stays a few stores.
   */
  record(t: number, cpu: number, kind: TraceKind, task: number, a = 0, b = 0): void {
    this.total++;
    if (!this.enabled) {
      // Not kept in the ring, but the hash still covers it, in order.
      this.flush();
      this.mix(t, cpu, kind, task, a, b);
      return;
    }
    if (this.pending === this.capacity) this.flush(); // the slot about to be reused is not hashed yet
    const i = this.next;
    this.t[i] = t;
    this.f[3 * i] = cpu;
    this.f[3 * i + 1] = kind;
    this.f[3 * i + 2] = task;
    this.extra[2 * i] = a;
    this.extra[2 * i + 1] = b;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.count < this.capacity) this.count++;
    this.pending++;
  }

  /** Fold the stored events not yet hashed into the running hash, oldest first. */
  private flush(): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    let i = (this.next - n + this.capacity) % this.capacity;
    for (let k = 0; k < n; k++) {
      this.mix(this.t[i], this.f[3 * i], this.f[3 * i + 1], this.f[3 * i + 2], this.extra[2 * i], this.extra[2 * i + 1]);
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
  }

  /** One event into the hash, field by field. */
  private mix(t: number, cpu: number, kind: number, task: number, a: number, b: number): void {
    this.fold(t);
    this.fold(cpu);
    this.fold(kind);
    this.fold(task);
    this.fold(a);
    this.fold(b);
  }

  /** One field: two 32-bit FNV-1a lanes over its low and high words (in opposite orders). */
  private fold(v: number): void {
    const lo = lo32(v);
    const hi = hi32(v);
    this.h1 = Math.imul(Math.imul(this.h1 ^ lo, FNV_PRIME) ^ hi, FNV_PRIME) >>> 0;
    this.h2 = Math.imul(Math.imul(this.h2 ^ hi, FNV_PRIME) ^ lo, FNV_PRIME) >>> 0;
  }

  /** The running hash of all events, as 16 hex digits. */
  hash(): string {
    this.flush();
    return this.h1.toString(16).padStart(8, "0") + this.h2.toString(16).padStart(8, "0");
  }

  /** The last `limit` events held in the ring, oldest first. */
  events(limit = this.capacity): TraceEvent[] {
    const n = Math.min(limit, this.count);
    const out: TraceEvent[] = [];
    const first = (this.next - n + this.capacity) % this.capacity;
    const firstSeq = this.total - n;
    for (let k = 0; k < n; k++) {
      const i = (first + k) % this.capacity;
      out.push({
        seq: firstSeq + k,
        t: this.t[i],
        cpu: this.f[3 * i],
        kind: TraceKind[this.f[3 * i + 1]] as keyof typeof TraceKind,
        task: this.f[3 * i + 2],
        a: this.extra[2 * i],
        b: this.extra[2 * i + 1],
      });
    }
    return out;
  }

  clear(): void {
    this.flush(); // the hash keeps covering what the ring forgets
    this.next = 0;
    this.count = 0;
  }
}
