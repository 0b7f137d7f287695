// The stub DNS resolver (RFC 1035 7, RFC 1123 6.1.3): A records from one
// server (10.0.2.3 under the gateway) over UDP port 53, with a cache
// honouring the answer's TTL (bounded), a short negative cache for
// NXDOMAIN, and retries with a timeout. Concurrent lookups of one name
// share a query. "localhost" and dotted quads are answered locally.
//
// Results are host-order addresses or negative errors: DNS_FAILURE (-605)
// for NXDOMAIN/SERVFAIL/no A record, TIMEOUT (-9) when every try went
// unanswered, INVALID_ARG (-2) for a malformed name.

import { E } from "../errors.js";
import { buildDnsQuery, DNS_PORT, DNS_TYPE_A, parseDns, RCODE, validDnsName } from "./dns.js";
import { parseIpv4 } from "./wire.js";
import type { Datagram } from "./socket.js";
import type { UdpLayer } from "./udp.js";

export interface ResolverOptions {
  /** Per-try timeout (default 1 s virtual). */
  timeoutNs?: number;
  /** Tries before TIMEOUT (default 3). */
  tries?: number;
  /** Cap on a cached answer's lifetime (default 1 h). */
  maxTtlNs?: number;
  /** Lifetime of a negative (NXDOMAIN) entry (default 30 s). */
  negativeTtlNs?: number;
  /** Cached names (default 128). */
  maxEntries?: number;
}

export interface ResolverHooks {
  now(): number;
  random32(): number;
  addAlarm(atNs: number, fire: () => void): number;
  cancelAlarm(id: number): void;
}

interface CacheEntry {
  result: number;
  expiresNs: number;
}

interface Query {
  name: string;
  id: number;
  tries: number;
  alarm: number;
  waiters: ((r: number) => void)[];
}

export interface ResolverCounters {
  queries: number;
  retries: number;
  answers: number;
  nxdomain: number;
  timeouts: number;
  cacheHits: number;
  badResponses: number;
}

export class DnsResolver {
  readonly timeoutNs: number;
  readonly tries: number;
  readonly maxTtlNs: number;
  readonly negativeTtlNs: number;
  readonly maxEntries: number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Query>();
  private port = 0;
  readonly counters: ResolverCounters = { queries: 0, retries: 0, answers: 0, nxdomain: 0, timeouts: 0, cacheHits: 0, badResponses: 0 };

  constructor(private readonly udp: UdpLayer, private readonly hooks: ResolverHooks, public server: number, opts: ResolverOptions = {}) {
    this.timeoutNs = opts.timeoutNs ?? 1e9;
    this.tries = opts.tries ?? 3;
    this.maxTtlNs = opts.maxTtlNs ?? 3600e9;
    this.negativeTtlNs = opts.negativeTtlNs ?? 30e9;
    this.maxEntries = opts.maxEntries ?? 128;
  }

  /**
   * Resolve `name` to an IPv4 address; `done` is called exactly once, maybe
   * synchronously (cache, literal), else when an answer or the last timeout comes.
   */
  resolve(name: string, done: (r: number) => void): void {
    const lit = parseIpv4(name);
    if (lit !== undefined) return done(lit);
    const key = name.toLowerCase().replace(/\.$/, "");
    if (key === "localhost") return done(0x7f000001);
    if (!validDnsName(key)) return done(E.INVALID_ARG);
    const now = this.hooks.now();
    const c = this.cache.get(key);
    if (c && c.expiresNs > now) {
      this.counters.cacheHits++;
      return done(c.result);
    }
    if (c) this.cache.delete(key);
    const q = this.inflight.get(key);
    if (q) {
      q.waiters.push(done);
      return;
    }
    if (this.port === 0) {
      const p = this.udp.bind(0, 0, (d) => this.onDatagram(d));
      if (p < 0) return done(p);
      this.port = p;
    }
    const query: Query = { name: key, id: this.hooks.random32() & 0xffff, tries: 0, alarm: -1, waiters: [done] };
    this.inflight.set(key, query);
    this.counters.queries++;
    this.send(query);
  }

  private send(q: Query): void {
    q.tries++;
    if (q.tries > 1) this.counters.retries++;
    this.udp.sendTo(this.port, this.server, DNS_PORT, buildDnsQuery(q.id, q.name));
    q.alarm = this.hooks.addAlarm(this.hooks.now() + this.timeoutNs, () => this.onTimeout(q));
  }

  private onTimeout(q: Query): void {
    if (this.inflight.get(q.name) !== q) return;
    if (q.tries < this.tries) return this.send(q);
    this.counters.timeouts++;
    this.finish(q, E.TIMEOUT, 0);
  }

  private finish(q: Query, result: number, ttlNs: number): void {
    this.inflight.delete(q.name);
    this.hooks.cancelAlarm(q.alarm);
    if (ttlNs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(q.name, { result, expiresNs: this.hooks.now() + ttlNs });
    }
    for (const w of q.waiters) w(result);
  }

  private onDatagram(d: Datagram): void {
    if (d.srcIp !== this.server || d.srcPort !== DNS_PORT) return void this.counters.badResponses++;
    const m = parseDns(d.data);
    if (!m || !m.response) return void this.counters.badResponses++;
    const qname = m.questions[0]?.name.toLowerCase();
    const q = qname !== undefined ? this.inflight.get(qname) : undefined;
    if (!q || q.id !== m.id) return void this.counters.badResponses++;
    if (m.rcode === RCODE.NXDOMAIN) {
      this.counters.nxdomain++;
      return this.finish(q, E.DNS_FAILURE, this.negativeTtlNs);
    }
    const a = m.answers.find((x) => x.type === DNS_TYPE_A && x.address !== undefined);
    if (m.rcode !== RCODE.NOERROR || !a) return this.finish(q, E.DNS_FAILURE, 0);
    this.counters.answers++;
    this.finish(q, a.address!, Math.min(a.ttl * 1e9, this.maxTtlNs));
  }

  /** Cached names at `now` with their results and remaining lifetimes. */
  snapshot(now: number): { name: string; result: number; expiresInNs: number }[] {
    return [...this.cache].filter(([, e]) => e.expiresNs > now).map(([name, e]) => ({ name, result: e.result, expiresInNs: e.expiresNs - now }));
  }

  /** Forget every cached answer. */
  flush(): void {
    this.cache.clear();
  }
}
