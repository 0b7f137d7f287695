// HandleTable: a process's capability table (VIPERDOS.md, "Capabilities";
// DESIGN.md, "Capabilities").
//
// Handle layout (u32, upstream's):
//
//   31        24 23                         0
//   +-----------+----------------------------+
//   | generation|          slot index        |
//   +-----------+----------------------------+
//
// The table has 256 slots, so a valid index is 0..255. Each slot keeps an
// 8-bit generation: 0 the first time the slot is used, incremented (mod 256)
// every time it is reused after a close. So the first handle of a fresh table
// is 0 — the bootstrap channel a parent hands to its child (VIPERDOS.md) — and
// a handle kept after close is rejected once its slot is reused (-100), or
// reported closed (-101) while the slot is still free. A new handle takes the
// lowest free slot. Handles are returned as non-negative numbers (>>> 0), so
// a result < 0 is always an error code.
//
// Derivation. Each open handle holds a Capability node: the object, the
// rights, and links to the node it was derived from and the nodes derived
// from it. Links are object references, not (table, handle) pairs, so they
// survive a handle moving to another process's table inside a channel
// message; revoke therefore reaches derived handles wherever they went.
// Closing a handle splices its children onto its parent (revoking an
// ancestor still reaches them); revoking closes the whole subtree.
//
// Bounding set: a rights ceiling for the process. insert() and received
// handles are clamped to it; derive() asking for rights outside it fails
// (-6). dropBound() only shrinks it; handles already held keep their rights.
//
// Reference counting: each Capability node holds one reference to its object
// from creation until it is closed, revoked, or dropped in flight.

import { E } from "../errors.js";
import { defaultIds, IdSource, KernelObject, type ObjectKind } from "./objects.js";
import { ResourceLimits, Resource, type LimitSnapshot } from "./limits.js";
import { ALL_RIGHTS, hasRights, rightsNames, Rights, validRights } from "./rights.js";

export const HANDLE_SLOTS = 256;
export const INDEX_BITS = 24;
export const INDEX_MASK = 0xff_ffff;
export const GENERATION_MASK = 0xff;

/** Builds a handle from a slot index and generation. */
export function makeHandle(index: number, generation: number): number {
  return (((generation & GENERATION_MASK) << INDEX_BITS) | (index & INDEX_MASK)) >>> 0;
}

/** Slot index of a handle (bits 23:0). */
export function handleIndex(h: number): number {
  return h & INDEX_MASK;
}

/** Generation of a handle (bits 31:24). */
export function handleGeneration(h: number): number {
  return (h >>> INDEX_BITS) & GENERATION_MASK;
}

/** Where a capability node currently lives. */
export type CapPlace =
  | { where: "table"; table: HandleTable; index: number }
  | { where: "inflight" } // inside a queued channel message
  | { where: "dead" }; // closed, revoked or dropped

/** A node of the derivation forest: one held capability to one object. */
export class Capability {
  readonly nodeId: number;
  readonly children = new Set<Capability>();
  place: CapPlace = { where: "dead" };

  constructor(
    readonly object: KernelObject,
    public rights: number,
    public parent: Capability | null,
    ids: IdSource,
  ) {
    this.nodeId = ids.next();
  }

  get alive(): boolean {
    return this.place.where !== "dead";
  }

  /**
   * Ends this node: unlinks it from the forest (children move to its parent),
   * releases its object reference and marks it dead. Idempotent.
   */
  kill(): void {
    if (!this.alive) return;
    const parent = this.parent;
    for (const child of this.children) {
      child.parent = parent;
      parent?.children.add(child);
    }
    this.children.clear();
    parent?.children.delete(this);
    this.parent = null;
    this.place = { where: "dead" };
    this.object.release();
  }
}

/** What get() returns for a valid handle. */
export interface HandleEntry {
  handle: number;
  index: number;
  generation: number;
  object: KernelObject;
  kind: ObjectKind;
  rights: number;
  cap: Capability;
}

export interface HandleQuery {
  kind: ObjectKind;
  rights: number;
  generation: number;
}

export interface HandleListItem {
  handle: number;
  kind: ObjectKind;
  rights: number;
  objectId: number;
}

export interface HandleSnapshot {
  handle: number;
  index: number;
  generation: number;
  kind: string;
  objectId: number;
  rights: number;
  rightsNames: string[];
  node: number;
  parentNode: number | null;
}

export interface HandleTableSnapshot {
  owner: string;
  bounding: number;
  boundingNames: string[];
  limits: LimitSnapshot[];
  handles: HandleSnapshot[];
  /** Derivation edges whose child is in this table (parent may be anywhere). */
  edges: { parent: number; child: number }[];
}

interface Slot {
  generation: number;
  cap: Capability | null; // null: closed (slot free)
}

export interface HandleTableOptions {
  /** Label for snapshots, e.g. "pid 3". */
  owner?: string;
  limits?: ResourceLimits;
  bounding?: number;
  ids?: IdSource;
}

export class HandleTable {
  readonly owner: string;
  readonly limits: ResourceLimits;
  private readonly ids: IdSource;
  private readonly slots: (Slot | undefined)[] = new Array(HANDLE_SLOTS);
  private bound: number;

  constructor(opts: HandleTableOptions = {}) {
    this.owner = opts.owner ?? "anonymous";
    this.limits = opts.limits ?? new ResourceLimits();
    this.ids = opts.ids ?? defaultIds;
    this.bound = (opts.bounding ?? ALL_RIGHTS) & ALL_RIGHTS;
  }

  /** DESIGN.md's name for `limits` (GETRLIMIT/SETRLIMIT act on it). */
  get rlimits(): ResourceLimits {
    return this.limits;
  }

  /** The bounding set (rights ceiling) of this process. */
  get bounding(): number {
    return this.bound;
  }

  /**
   * CAP_DROP_BOUND: removes `mask` from the bounding set. Returns the new
   * bounding set (>= 0) or -2 for undefined right bits. Never grows it.
   */
  dropBound(mask: number): number {
    if (!validRights(mask)) return E.INVALID_ARG;
    this.bound &= ~mask;
    return this.bound;
  }

  /**
   * Inserts a fresh root capability to `obj` with `rights` clamped to the
   * bounding set. Returns the handle, -2 for undefined right bits, or -501
   * when the table is full or the HANDLES limit is reached. Retains `obj`.
   */
  insert(obj: KernelObject, rights: number): number {
    if (!validRights(rights)) return E.INVALID_ARG;
    const cap = new Capability(obj, rights & this.bound, null, this.ids);
    const h = this.place(cap);
    if (h >= 0) obj.retain();
    return h;
  }

  /**
   * Looks `h` up. Returns the entry, or -100 (malformed, out of range, never
   * used, or stale generation), -101 (closed and not reused), -102 (`kind`
   * given and different), -6 (`needRights` not all held).
   */
  get(h: number, kind?: ObjectKind, needRights = 0): HandleEntry | number {
    const slot = this.lookup(h);
    if (typeof slot === "number") return slot;
    const cap = slot.cap!;
    if (kind !== undefined && cap.object.kind !== kind) return E.WRONG_TYPE;
    if (!hasRights(cap.rights, needRights)) return E.PERMISSION;
    return { handle: h >>> 0, index: handleIndex(h), generation: slot.generation, object: cap.object, kind: cap.object.kind, rights: cap.rights, cap };
  }

  /**
   * Like get() but checks the object's class: returns the object as `T`, or
   * the errors of get(); -102 when the object is not an instance of `cls`.
   */
  getObject<T extends KernelObject>(h: number, cls: abstract new (...args: never[]) => T, needRights = 0): T | number {
    // get()'s checks without building its entry object (this runs on every IPC syscall).
    const slot = this.lookup(h);
    if (typeof slot === "number") return slot;
    const cap = slot.cap!;
    if (!hasRights(cap.rights, needRights)) return E.PERMISSION;
    // Exact class first (one map check), instanceof only for subclasses.
    const o = cap.object;
    return o.constructor === cls || o instanceof cls ? (o as T) : E.WRONG_TYPE;
  }

  /** The object handle `h` names now, or undefined (bad, stale or closed handle). No rights check. */
  objectOf(h: number): KernelObject | undefined {
    const slot = this.lookup(h);
    return typeof slot === "number" ? undefined : slot.cap!.object;
  }

  /**
   * CAP_DERIVE: a new handle to the same object with `rights`, a subset of
   * the source's. Returns the handle; errors of get(); -6 when the source
   * lacks DERIVE or `rights` exceeds the source's rights or the bounding set;
   * -2 for undefined bits; -501 when no slot is free.
   */
  derive(h: number, rights: number): number {
    const e = this.get(h, undefined, Rights.DERIVE);
    if (typeof e === "number") return e;
    if (!validRights(rights)) return E.INVALID_ARG;
    if (!hasRights(e.rights, rights) || !hasRights(this.bound, rights)) return E.PERMISSION;
    const cap = new Capability(e.object, rights, e.cap, this.ids);
    const nh = this.place(cap);
    if (nh < 0) return nh;
    e.object.retain();
    e.cap.children.add(cap);
    return nh;
  }

  /** Closes `h` (handles derived from it stay, re-linked to its parent). Returns 0 or get()'s -100/-101. */
  close(h: number): number {
    const slot = this.lookup(h);
    if (typeof slot === "number") return slot;
    const cap = slot.cap!;
    this.vacate(slot);
    cap.kill();
    return E.OK;
  }

  /**
   * CAP_REVOKE: closes `h` and every capability derived from it,
   * transitively, in any table; derived capabilities travelling in channel
   * messages are dropped and never delivered. Returns 0 or -100/-101.
   */
  revoke(h: number): number {
    const e = this.get(h);
    if (typeof e === "number") return e;
    revokeSubtree(e.cap);
    return E.OK;
  }

  /** CAP_QUERY: returns {kind, rights, generation} or -100/-101. */
  query(h: number): HandleQuery | number {
    const e = this.get(h);
    if (typeof e === "number") return e;
    return { kind: e.kind, rights: e.rights, generation: e.generation };
  }

  /** CAP_LIST: every open handle in slot order. */
  list(): HandleListItem[] {
    const out: HandleListItem[] = [];
    this.forEachOpen((h, cap) => out.push({ handle: h, kind: cap.object.kind, rights: cap.rights, objectId: cap.object.id }));
    return out;
  }

  /** Number of open handles. */
  get count(): number {
    let n = 0;
    this.forEachOpen(() => n++);
    return n;
  }

  /** Number of distinct live objects of `kind` this table holds handles to. */
  countObjects(kind: ObjectKind): number {
    const seen = new Set<KernelObject>();
    this.forEachOpen((_h, cap) => cap.object.kind === kind && seen.add(cap.object));
    return seen.size;
  }

  /** True when `n` more handles can be placed now (free slots and HANDLES limit). */
  canAccept(n: number): boolean {
    let free = 0;
    if (n > 0) for (let i = 0; i < HANDLE_SLOTS; i++) if (this.slots[i]?.cap == null) free++;
    return free >= n && this.limits.usage(Resource.HANDLES) + n <= this.limits.get(Resource.HANDLES);
  }

  /**
   * Checks that every handle in `hs` may leave this table in a message:
   * valid, distinct, holding TRANSFER. Returns their nodes or the first
   * error (-100/-101, -2 for a duplicate, -6 without TRANSFER). No change.
   */
  checkTransfer(hs: readonly number[]): Capability[] | number {
    const caps: Capability[] = [];
    for (const h of hs) {
      const e = this.get(h, undefined, Rights.TRANSFER);
      if (typeof e === "number") return e;
      if (caps.includes(e.cap)) return E.INVALID_ARG;
      caps.push(e.cap);
    }
    return caps;
  }

  /** Moves nodes accepted by checkTransfer() out of the table (they keep their object reference). */
  detachForTransfer(caps: readonly Capability[]): void {
    for (const cap of caps) {
      const p = cap.place;
      if (p.where !== "table" || p.table !== this) throw new Error("HandleTable.detachForTransfer: node not in this table");
      this.vacate(this.slots[p.index]!);
      cap.place = { where: "inflight" };
    }
  }

  /**
   * Places an in-flight node into this table (rights clamped to the bounding
   * set). Returns the new handle or -501. Precondition: canAccept(1).
   */
  attachTransferred(cap: Capability): number {
    if (cap.place.where !== "inflight") throw new Error("HandleTable.attachTransferred: node not in flight");
    cap.rights &= this.bound;
    return this.place(cap);
  }

  /** Closes every handle (process exit). */
  closeAll(): void {
    for (let i = 0; i < HANDLE_SLOTS; i++) {
      const slot = this.slots[i];
      if (slot?.cap) {
        const cap = slot.cap;
        this.vacate(slot);
        cap.kill();
      }
    }
  }

  /** JSON-serialisable view: handles, derivation edges, bounding set, limits. */
  snapshot(): HandleTableSnapshot {
    const handles: HandleSnapshot[] = [];
    const edges: { parent: number; child: number }[] = [];
    this.forEachOpen((h, cap) => {
      handles.push({
        handle: h, index: handleIndex(h), generation: handleGeneration(h), kind: cap.object.kind,
        objectId: cap.object.id, rights: cap.rights, rightsNames: rightsNames(cap.rights),
        node: cap.nodeId, parentNode: cap.parent?.nodeId ?? null,
      });
      if (cap.parent) edges.push({ parent: cap.parent.nodeId, child: cap.nodeId });
    });
    return { owner: this.owner, bounding: this.bound, boundingNames: rightsNames(this.bound), limits: this.limits.snapshot(), handles, edges };
  }

  /** The handle of `cap` if it is open in this table, else -1 (for snapshots and tests). */
  handleOf(cap: Capability): number {
    const p = cap.place;
    return p.where === "table" && p.table === this ? makeHandle(p.index, this.slots[p.index]!.generation) : -1;
  }

  // ---- internals -------------------------------------------------------

  private lookup(h: number): Slot | number {
    if (!Number.isInteger(h) || h < 0 || h > 0xffff_ffff) return E.INVALID_HANDLE;
    const index = handleIndex(h);
    if (index >= HANDLE_SLOTS) return E.INVALID_HANDLE;
    const slot = this.slots[index];
    if (slot === undefined || slot.generation !== handleGeneration(h)) return E.INVALID_HANDLE;
    return slot.cap === null ? E.HANDLE_CLOSED : slot;
  }

  /** Puts `cap` in the lowest free slot; returns the handle or -501. */
  private place(cap: Capability): number {
    let index = -1;
    for (let i = 0; i < HANDLE_SLOTS; i++) {
      if (this.slots[i]?.cap == null) {
        index = i;
        break;
      }
    }
    if (index < 0) return E.NO_RESOURCE;
    if (this.limits.charge(Resource.HANDLES, 1) !== E.OK) return E.NO_RESOURCE;
    let slot = this.slots[index];
    if (slot === undefined) {
      slot = { generation: 0, cap: null };
      this.slots[index] = slot;
    } else {
      slot.generation = (slot.generation + 1) & GENERATION_MASK;
    }
    slot.cap = cap;
    cap.place = { where: "table", table: this, index };
    return makeHandle(index, slot.generation);
  }

  /** Frees a slot (keeps its generation) and returns the HANDLES charge; the node is not touched. */
  private vacate(slot: Slot): void {
    slot.cap = null;
    this.limits.uncharge(Resource.HANDLES, 1);
  }

  /** Called by revoke for nodes living in this table. */
  vacateNode(cap: Capability): void {
    const p = cap.place;
    if (p.where === "table" && p.table === this && this.slots[p.index]?.cap === cap) this.vacate(this.slots[p.index]!);
  }

  private forEachOpen(fn: (h: number, cap: Capability) => void): void {
    for (let i = 0; i < HANDLE_SLOTS; i++) {
      const slot = this.slots[i];
      if (slot?.cap) fn(makeHandle(i, slot.generation), slot.cap);
    }
  }
}

/**
 * Moves handle `h` from table `from` to table `to` (kernel-internal, e.g. the
 * bootstrap channel a parent gives a child at spawn, which lands at handle 0
 * of a fresh table). The node keeps its derivation links; rights are clamped
 * to `to`'s bounding set. Returns the new handle in `to`, or -100/-101,
 * -6 (no TRANSFER), -501 (`to` is full).
 */
export function moveHandle(from: HandleTable, h: number, to: HandleTable): number {
  const caps = from.checkTransfer([h]);
  if (typeof caps === "number") return caps;
  if (!to.canAccept(1)) return E.NO_RESOURCE;
  from.detachForTransfer(caps);
  return to.attachTransferred(caps[0]);
}

/**
 * Kills `root` and every node derived from it, wherever each lives: open
 * handles are closed in their tables; in-flight nodes are marked dead so the
 * receiver never gets them (their message drops them on delivery).
 */
export function revokeSubtree(root: Capability): void {
  const order: Capability[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const c = stack.pop()!;
    order.push(c);
    for (const child of c.children) stack.push(child);
  }
  // Leaves first, so kill() never re-links a doomed child onto a doomed parent's parent.
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order[i];
    if (c.place.where === "table") c.place.table.vacateNode(c);
    c.kill();
  }
}
