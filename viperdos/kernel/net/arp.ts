// The ARP cache (RFC 826, with the timers of RFC 1122 2.3.2.1): IPv4
// address -> MAC, entries expire after `ttlNs`; an address being resolved
// holds a bounded queue of IP packets waiting for the answer, and the
// request is repeated every `retryNs` up to `retries` times before the
// queue is dropped (the owner is told, so a ping can fail with
// HOST_UNREACHABLE).
//
// Time is virtual ns passed in by the caller (the NetStack); the cache
// itself owns no timers: the stack asks `nextDeadline()` and calls
// `tick(now)`.

export interface ArpEntry {
  mac: Uint8Array;
  expiresNs: number;
}

interface Pending {
  packets: Uint8Array[];
  tries: number;
  nextTryNs: number;
}

export interface ArpOptions {
  /** Lifetime of a learned entry (default 60 s virtual). */
  ttlNs?: number;
  /** Interval between requests for an unresolved address (default 1 s). */
  retryNs?: number;
  /** Requests before giving up (default 3). */
  retries?: number;
  /** Packets queued per unresolved address (default 8; older ones dropped). */
  queueLimit?: number;
  /** Cached entries (default 256; the oldest-expiring is evicted). */
  maxEntries?: number;
  /** Addresses being resolved at once (default 32). */
  maxPending?: number;
}

export interface ArpCounters {
  requestsSent: number;
  repliesSent: number;
  requestsReceived: number;
  repliesReceived: number;
  resolveFailures: number;
  queuedDropped: number;
  expired: number;
}

export interface ArpSnapshotEntry {
  ip: number;
  mac: string;
  expiresInNs: number;
}

export class ArpCache {
  readonly ttlNs: number;
  readonly retryNs: number;
  readonly retries: number;
  readonly queueLimit: number;
  readonly maxEntries: number;
  readonly maxPending: number;
  private readonly entries = new Map<number, ArpEntry>();
  private readonly pending = new Map<number, Pending>();
  readonly counters: ArpCounters = { requestsSent: 0, repliesSent: 0, requestsReceived: 0, repliesReceived: 0, resolveFailures: 0, queuedDropped: 0, expired: 0 };

  /**
   * `sendRequest(ip)` broadcasts a who-has; `flush(ip, mac, packets)` sends
   * queued packets once resolved; `failed(ip, packets)` reports a gave-up
   * resolution.
   */
  constructor(
    private readonly sendRequest: (ip: number) => void,
    private readonly flush: (ip: number, mac: Uint8Array, packets: Uint8Array[]) => void,
    private readonly failed: (ip: number, packets: Uint8Array[]) => void,
    opts: ArpOptions = {},
  ) {
    this.ttlNs = opts.ttlNs ?? 60e9;
    this.retryNs = opts.retryNs ?? 1e9;
    this.retries = opts.retries ?? 3;
    this.queueLimit = opts.queueLimit ?? 8;
    this.maxEntries = opts.maxEntries ?? 256;
    this.maxPending = opts.maxPending ?? 32;
  }

  /** The MAC of `ip` if cached and fresh at `now`; an expired entry is removed. */
  lookup(ip: number, now: number): Uint8Array | undefined {
    const e = this.entries.get(ip);
    if (!e) return undefined;
    if (e.expiresNs <= now) {
      this.entries.delete(ip);
      this.counters.expired++;
      return undefined;
    }
    return e.mac;
  }

  /**
   * Record ip -> mac (from a reply, or from a request addressed to us:
   * RFC 826's merge). Sends any packets waiting for `ip`.
   */
  learn(ip: number, mac: Uint8Array, now: number): void {
    if (ip === 0 || (mac[0] & 1) !== 0) return; // no entries for 0.0.0.0 or group MACs
    if (!this.entries.has(ip) && this.entries.size >= this.maxEntries) this.evictOne();
    this.entries.set(ip, { mac: mac.slice(0, 6), expiresNs: now + this.ttlNs });
    const p = this.pending.get(ip);
    if (p) {
      this.pending.delete(ip);
      this.flush(ip, mac, p.packets);
    }
  }

  /** True when `ip` has a (possibly stale) entry: RFC 826 updates only known senders. */
  has(ip: number): boolean {
    return this.entries.has(ip);
  }

  private evictOne(): void {
    let victim: number | undefined;
    let soonest = Infinity;
    for (const [ip, e] of this.entries) if (e.expiresNs < soonest) { soonest = e.expiresNs; victim = ip; }
    if (victim !== undefined) this.entries.delete(victim);
  }

  /**
   * Queue `packet` (an IP datagram) for `ip`, starting a resolution if none
   * is running. Returns false (packet dropped) when too many resolutions run.
   */
  enqueue(ip: number, packet: Uint8Array, now: number): boolean {
    let p = this.pending.get(ip);
    if (!p) {
      if (this.pending.size >= this.maxPending) {
        this.counters.queuedDropped++;
        return false;
      }
      p = { packets: [], tries: 1, nextTryNs: now + this.retryNs };
      this.pending.set(ip, p);
      this.counters.requestsSent++;
      this.sendRequest(ip);
    }
    if (p.packets.length >= this.queueLimit) {
      p.packets.shift();
      this.counters.queuedDropped++;
    }
    p.packets.push(packet);
    return true;
  }

  /** Earliest time tick() has work (a retry or a give-up), or undefined. */
  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const p of this.pending.values()) if (t === undefined || p.nextTryNs < t) t = p.nextTryNs;
    return t;
  }

  /** Retry or give up resolutions due at `now`. */
  tick(now: number): void {
    for (const [ip, p] of [...this.pending]) {
      if (p.nextTryNs > now) continue;
      if (p.tries >= this.retries) {
        this.pending.delete(ip);
        this.counters.resolveFailures++;
        this.failed(ip, p.packets);
        continue;
      }
      p.tries++;
      p.nextTryNs = now + this.retryNs;
      this.counters.requestsSent++;
      this.sendRequest(ip);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Fresh entries at `now` (expired ones are dropped first). */
  snapshot(now: number, fmt: (mac: Uint8Array) => string): ArpSnapshotEntry[] {
    for (const [ip, e] of [...this.entries]) if (e.expiresNs <= now) { this.entries.delete(ip); this.counters.expired++; }
    return [...this.entries].sort((a, b) => a[0] - b[0]).map(([ip, e]) => ({ ip, mac: fmt(e.mac), expiresInNs: e.expiresNs - now }));
  }
}
