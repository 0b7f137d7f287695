// Per-process resource limits (GETRLIMIT 0x76 / SETRLIMIT 0x77) and usage.
//
// VIPERDOS.md: "resource limits it can only lower". One value per resource
// (no soft/hard pair): setrlimit may lower a limit, never raise it (-6).
// Lowering below current usage is allowed; only new charges then fail.
// Resource numbers (our decision; the C header mirrors them):
//   0 MEMORY_PAGES  4 KiB pages charged: user frames (mm/), shm objects, and
//                   queued channel-message bytes (charged to the sender in
//                   bytes until received; see ipc/channel.ts)
//   1 HANDLES       open slots in the handle table (at most 256)
//   2 TASKS         live tasks (threads) of the process (proc/ charges them)
// Failing charges: MEMORY_PAGES -> -3 (NO_MEMORY); others -> -501 (NO_RESOURCE).

import { E } from "../errors.js";

export const PAGE_SIZE = 4096;

export const Resource = { MEMORY_PAGES: 0, HANDLES: 1, TASKS: 2 } as const;
export type ResourceId = (typeof Resource)[keyof typeof Resource];
export const RESOURCE_NAMES = ["MEMORY_PAGES", "HANDLES", "TASKS"] as const;

/** Defaults of a first process: 128 MiB worth of pages, the full table, 64 tasks. */
export const DEFAULT_LIMITS: Readonly<Record<ResourceId, number>> = { 0: 32768, 1: 256, 2: 64 };

export interface LimitSnapshot {
  resource: string;
  limit: number;
  used: number;
}

export class ResourceLimits {
  private readonly limit: number[];
  // Memory is tracked in bytes (messages are byte-sized); limit in pages.
  private readonly used: number[] = [0, 0, 0];

  constructor(initial: Partial<Record<ResourceId, number>> = {}) {
    this.limit = [0, 1, 2].map((r) => initial[r as ResourceId] ?? DEFAULT_LIMITS[r as ResourceId]);
  }

  /** A child's limits: a copy of this process's limits with zero usage. */
  inherit(): ResourceLimits {
    return new ResourceLimits({ 0: this.limit[0], 1: this.limit[1], 2: this.limit[2] });
  }

  /** getrlimit: returns the limit of `res`, or -2 for an unknown resource. */
  get(res: number): number {
    return validResource(res) ? this.limit[res] : E.INVALID_ARG;
  }

  /** Current usage of `res` (MEMORY_PAGES rounded up to pages), or -2. */
  usage(res: number): number {
    if (!validResource(res)) return E.INVALID_ARG;
    return res === Resource.MEMORY_PAGES ? Math.ceil(this.used[0] / PAGE_SIZE) : this.used[res];
  }

  /**
   * setrlimit: returns 0, -2 for an unknown resource or a negative/non-integer
   * value, -6 when `value` would raise the limit.
   */
  set(res: number, value: number): number {
    if (!validResource(res) || !Number.isInteger(value) || value < 0) return E.INVALID_ARG;
    if (value > this.limit[res]) return E.PERMISSION;
    this.limit[res] = value;
    return E.OK;
  }

  /** Charges `n` units of `res` (pages for MEMORY_PAGES); returns 0, -3 or -501 when over the limit. */
  charge(res: ResourceId, n: number): number {
    return res === Resource.MEMORY_PAGES ? this.chargeBytes(n * PAGE_SIZE) : this.chargeUnits(res, n);
  }

  /** Returns `n` units charged earlier. Precondition: they were charged (throws on underflow). */
  uncharge(res: ResourceId, n: number): void {
    if (res === Resource.MEMORY_PAGES) this.unchargeBytes(n * PAGE_SIZE);
    else this.take(res, n);
  }

  /** Charges `bytes` of memory against MEMORY_PAGES; returns 0 or -3. */
  chargeBytes(bytes: number): number {
    if (this.used[0] + bytes > this.limit[0] * PAGE_SIZE) return E.NO_MEMORY;
    this.used[0] += bytes;
    return E.OK;
  }

  /** Returns `bytes` charged by chargeBytes. */
  unchargeBytes(bytes: number): void {
    this.take(0, bytes);
  }

  private chargeUnits(res: ResourceId, n: number): number {
    if (this.used[res] + n > this.limit[res]) return E.NO_RESOURCE;
    this.used[res] += n;
    return E.OK;
  }

  private take(res: number, n: number): void {
    if (this.used[res] < n) throw new Error(`ResourceLimits.uncharge: ${RESOURCE_NAMES[res]} underflow`);
    this.used[res] -= n;
  }

  snapshot(): LimitSnapshot[] {
    return RESOURCE_NAMES.map((name, r) => ({ resource: name, limit: this.limit[r], used: this.usage(r) }));
  }
}

function validResource(res: number): res is ResourceId {
  return res === 0 || res === 1 || res === 2;
}
