// KernelObject: the base of everything a handle can name (channel endpoints,
// poll sets, timers, shared memory, later tasks, files, sockets ...).
//
// Reference counting. `refcount` counts every kernel-side holder that keeps
// the object alive:
//   - each open handle-table slot naming it (HandleTable retains/releases),
//   - each mapping of it into an address space (shm: attach/detachMapping),
//   - each capability travelling inside a queued channel message (a handle
//     that left the sender's table but is not yet in the receiver's).
// When the count drops to 0, onLastRelease() runs once and the object is
// `destroyed`; DESIGN.md calls this hook onLastClose — same thing.
//
// Readiness. Objects that poll can watch set `waitable` and override
// readyEvents() (a mask of poll events: READ 0x1, WRITE 0x2, TIMER 0x4,
// CONSOLE 0x8, NETWORK 0x10); they call notifyWatchers() whenever readiness
// may have changed. Watchers are plain callbacks (poll sets, the scheduler).

/** Object kinds (DESIGN.md, "Capabilities"). Other parts may add their own strings. */
export type ObjectKind =
  | "channel" | "poll" | "timer" | "shm" | "task" | "process" | "file" | "dir"
  | "socket" | "tls" | "device" | "irq" | "dma" | "console" | (string & {});

/**
 * Source of object (and capability-node) ids. The Kernel should own one per
 * machine so that ids — and every snapshot and trace naming them — are the
 * same in every run; the default shared source is for tests and tools.
 */
export class IdSource {
  private nextId = 1;
  /** Returns the next id (1, 2, 3, ...). */
  next(): number {
    return this.nextId++;
  }
}

/** The shared default IdSource (used when a constructor is given none). */
export const defaultIds = new IdSource();

export type Watcher = () => void;

export abstract class KernelObject {
  readonly id: number;
  private refs = 0;
  private dead = false;
  /** An array, not a Set: notifying runs on every message, and a Set's iterator allocates. */
  private readonly watchers: Watcher[] = [];

  /** True when poll may watch this object (readyEvents()/watch are meaningful). */
  readonly waitable: boolean = false;

  constructor(readonly kind: ObjectKind, ids: IdSource = defaultIds) {
    this.id = ids.next();
  }

  /** Current number of holders (handles + mappings + in-flight messages). */
  get refcount(): number {
    return this.refs;
  }

  /** True once the last holder released the object; it must not be used again. */
  get destroyed(): boolean {
    return this.dead;
  }

  /**
   * Adds one holder. Precondition: not destroyed (a kernel bug otherwise:
   * throws with the function name).
   */
  retain(): void {
    if (this.dead) throw new Error(`KernelObject.retain: ${this.kind}#${this.id} already destroyed`);
    this.refs++;
  }

  /**
   * Drops one holder; at 0 runs onLastRelease() once and marks the object
   * destroyed. Precondition: refcount > 0 (throws otherwise: a kernel bug).
   */
  release(): void {
    if (this.refs <= 0) throw new Error(`KernelObject.release: ${this.kind}#${this.id} refcount underflow`);
    this.refs--;
    if (this.refs === 0) {
      this.dead = true;
      this.onLastRelease();
      this.notifyWatchers();
      this.watchers.length = 0;
    }
  }

  /** Hook: free what the object owns. Runs once, when the last holder goes. */
  protected onLastRelease(): void {}

  /** Poll events ready now (0 for objects that are not waitable). */
  readyEvents(): number {
    return 0;
  }

  /** Calls `w` whenever readiness may have changed; returns the unsubscribe function. */
  watch(w: Watcher): () => void {
    if (!this.watchers.includes(w)) this.watchers.push(w);
    return () => {
      const i = this.watchers.indexOf(w);
      if (i >= 0) this.watchers.splice(i, 1);
    };
  }

  /** Tells every watcher that readiness may have changed (a copy: watchers may unsubscribe). */
  protected notifyWatchers(): void {
    const n = this.watchers.length;
    if (n === 0) return;
    if (n === 1) {
      // The usual single watcher (one poll set): same as the copy below, without allocating it.
      this.watchers[0]();
      return;
    }
    for (const w of this.watchers.slice()) w();
  }

  /** Kind-specific plain data for snapshots (override to add fields). */
  describe(): Record<string, unknown> {
    return {};
  }

  /** JSON-serialisable view of the object for notebooks. */
  snapshot(): ObjectSnapshot {
    return { id: this.id, kind: this.kind, refcount: this.refs, destroyed: this.dead, ready: this.readyEvents(), ...this.describe() };
  }
}

export interface ObjectSnapshot {
  id: number;
  kind: string;
  refcount: number;
  destroyed: boolean;
  ready: number;
  [extra: string]: unknown;
}
