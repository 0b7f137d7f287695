// The TCP stack: demultiplexes segments to connections and listeners,
// answers segments for nothing with RST (RFC 9293 3.10.7.1), bounds the SYN
// backlog, hands out ephemeral ports and ISNs (RFC 6528), and drives the
// connections' timers from the virtual time it is given. See api.ts for the
// contract; the engine is pure (no host timers, no kernel imports).

import {
  TCP_ANY, TCP_ERR,
  type CongestionControlName, type TcpConn, type TcpConnOptions, type TcpConnectOptions, type TcpCounters, type TcpEnv,
  type TcpListener, type TcpListenerSnapshot, type TcpStackApi, type TcpStackOptions, type TcpStackSnapshot,
} from "./api.js";
import { isCongestionControlName } from "./cc/index.js";
import { connConfig, resolveConfig, type TcpConfig } from "./config.js";
import { Connection, type ConnHost } from "./conn.js";
import { IsnGenerator } from "./isn.js";
import { SynCookies } from "./syncookie.js";
import { ACK, RST, SYN, parseSegment, segmentLength, seqAdd, serializeSegment, type TcpSegment } from "./segment.js";

const EPHEMERAL_LOW = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_LOW;
const MAX_BACKLOG = 1024;

function isU32(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}
function isPort(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= 0xffff;
}
/** Connections by 4-tuple. The two ports select a bucket (a number key: no string
 *  built per segment), the addresses select within it. */
class ConnTable {
  private readonly buckets = new Map<number, Connection[]>();
  /** Every connection, for timers and snapshots. */
  readonly all = new Set<Connection>();

  get(localIp: number, localPort: number, remoteIp: number, remotePort: number): Connection | undefined {
    const b = this.buckets.get(localPort * 65536 + remotePort);
    if (!b) return undefined;
    for (const c of b) if (c.localIp === localIp && c.remoteIp === remoteIp) return c;
    return undefined;
  }

  add(c: Connection): void {
    const k = c.localPort * 65536 + c.remotePort;
    const b = this.buckets.get(k);
    if (b) b.push(c);
    else this.buckets.set(k, [c]);
    this.all.add(c);
  }

  remove(c: Connection): void {
    if (!this.all.delete(c)) return;
    const k = c.localPort * 65536 + c.remotePort;
    const b = this.buckets.get(k)!;
    b.splice(b.indexOf(c), 1);
    if (b.length === 0) this.buckets.delete(k);
  }
}

/** A passive open (TcpListener). */
class Listener implements TcpListener {
  readonly acceptQueue: Connection[] = [];
  readonly synReceived = new Set<Connection>();
  synDropped = 0;
  closed = false;
  private readonly cbs = new Set<(ev: "acceptable") => void>();

  constructor(
    private readonly stack: TcpStack,
    readonly localIp: number,
    readonly localPort: number,
    readonly backlog: number,
    readonly cfg: TcpConfig,
  ) {}

  accept(): TcpConn | undefined {
    return this.acceptQueue.shift();
  }

  on(cb: (ev: "acceptable") => void): () => void {
    this.cbs.add(cb);
    return () => this.cbs.delete(cb);
  }

  /** Room for one more half-open connection (the backlog bounds both queues). */
  hasRoom(): boolean {
    return !this.closed && this.acceptQueue.length < this.backlog && this.synReceived.size < Math.max(2 * this.backlog, 8);
  }

  enqueue(c: Connection): void {
    this.synReceived.delete(c);
    if (this.closed) {
      c.abort(this.stack.now());
      return;
    }
    this.acceptQueue.push(c);
    this.stack.defer(() => {
      for (const cb of [...this.cbs]) cb("acceptable");
    });
  }

  close(nowNs: number): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.removeListener(this);
    for (const c of [...this.acceptQueue, ...this.synReceived]) c.abort(nowNs);
    this.acceptQueue.length = 0;
    this.synReceived.clear();
  }

  snapshot(): TcpListenerSnapshot {
    return {
      localIp: this.localIp,
      localPort: this.localPort,
      backlog: this.backlog,
      acceptQueue: this.acceptQueue.length,
      synReceived: this.synReceived.size,
      synDropped: this.synDropped,
      cc: this.cfg.cc,
    };
  }
}

export class TcpStack implements TcpStackApi {
  private cfg: TcpConfig;
  private readonly isnGen: IsnGenerator;
  private readonly cookies: SynCookies;
  private readonly conns = new ConnTable();
  private readonly listeners = new Map<string, Listener>();
  private nowNs = 0;
  private nextId = 1;
  private halfOpen = 0;
  private readonly deferred: (() => void)[] = [];
  private flushing = false;
  private readonly host: ConnHost;
  readonly counters: TcpCounters = {
    segmentsIn: 0, segmentsOut: 0, badChecksum: 0, malformed: 0, noConnection: 0, resetsSent: 0, resetsReceived: 0,
    challengeAcks: 0, challengeAcksSuppressed: 0, activeOpens: 0, passiveOpens: 0, synDropped: 0, synCookiesSent: 0, synCookiesAccepted: 0, retransmits: 0, failedConnects: 0,
  };

  /** env: output and a seeded random source; opts: stack defaults (api.ts TcpStackOptions). */
  constructor(private readonly env: TcpEnv, opts: TcpStackOptions = {}) {
    this.cfg = resolveConfig(opts);
    this.isnGen = new IsnGenerator(() => env.random32());
    this.cookies = new SynCookies(() => env.random32());
    this.host = {
      output: (src, dst, seg) => this.env.output(src, dst, seg),
      now: () => this.nowNs,
      defer: (cb) => this.defer(cb),
      flush: () => this.flush(),
      closed: (c) => this.connClosed(c),
      established: (c) => this.connEstablished(c),
      count: (what) => { this.counters[what]++; },
      challengeAckAllowed: () => this.challengeAckAllowed(),
    };
  }

  get defaultCc(): CongestionControlName {
    return this.cfg.cc;
  }
  /** Set the default for new connections (unknown names are ignored). */
  set defaultCc(name: CongestionControlName) {
    if (isCongestionControlName(name)) this.cfg = { ...this.cfg, cc: name };
  }

  /** The latest virtual time seen. */
  now(): number {
    return this.nowNs;
  }

  private tick(nowNs: number): void {
    if (Number.isFinite(nowNs) && nowNs > this.nowNs) this.nowNs = nowNs;
  }

  defer(cb: () => void): void {
    this.deferred.push(cb);
  }

  /** Run deferred event callbacks (never nested; a callback may call back into the engine). */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let cb = this.deferred.shift(); cb; cb = this.deferred.shift()) cb();
    } finally {
      this.flushing = false;
    }
  }

  /** RFC 5961 7: at most challengeAckLimit challenge ACKs per virtual second, stack-wide. */
  private challengeWindowStart = -Infinity;
  private challengesInWindow = 0;

  private challengeAckAllowed(): boolean {
    if (this.nowNs - this.challengeWindowStart >= 1_000_000_000) {
      this.challengeWindowStart = this.nowNs;
      this.challengesInWindow = 0;
    }
    if (this.challengesInWindow >= this.cfg.challengeAckLimit) {
      this.counters.challengeAcksSuppressed++;
      return false;
    }
    this.challengesInWindow++;
    this.counters.challengeAcks++;
    return true;
  }

  // --- segments in ---

  input(src: number, dst: number, segment: Uint8Array, nowNs: number): void {
    this.tick(nowNs);
    this.counters.segmentsIn++;
    const seg = parseSegment(src >>> 0, dst >>> 0, segment);
    if (typeof seg === "string") {
      if (seg === "bad checksum") this.counters.badChecksum++;
      else this.counters.malformed++;
      return;
    }
    if (seg.srcPort === 0 || seg.dstPort === 0) {
      this.counters.malformed++;
      return;
    }
    const conn = this.conns.get(dst >>> 0, seg.dstPort, src >>> 0, seg.srcPort);
    if (conn) {
      conn.input(seg, this.nowNs);
    } else if ((seg.flags & (SYN | ACK | RST)) === SYN) {
      this.passiveOpen(src >>> 0, dst >>> 0, seg);
    } else if (!this.openFromCookie(src >>> 0, dst >>> 0, seg)) {
      this.counters.noConnection++;
      this.replyReset(src >>> 0, dst >>> 0, seg);
    }
    this.flush();
  }

  private findListener(ip: number, port: number): Listener | undefined {
    return this.listeners.get(`${ip}:${port}`) ?? this.listeners.get(`${TCP_ANY}:${port}`) ?? this.listeners.get(`${TCP_ANY}:${TCP_ANY}`);
  }

  private passiveOpen(src: number, dst: number, syn: TcpSegment): void {
    const l = this.findListener(dst, syn.dstPort);
    if (!l) {
      this.counters.noConnection++;
      this.replyReset(src, dst, syn);
      return;
    }
    if (!l.hasRoom() || this.halfOpen >= this.cfg.synBacklogLimit) {
      if (this.cfg.synCookies && !l.closed) {
        this.sendCookie(src, dst, syn, l);
        return;
      }
      // SYN flood or slow accept(): drop; a real peer retransmits its SYN.
      l.synDropped++;
      this.counters.synDropped++;
      return;
    }
    const c = new Connection(this.nextId++, this.host, l.cfg, dst, syn.dstPort, src, syn.srcPort);
    c.parent = l;
    l.synReceived.add(c);
    this.halfOpen++;
    this.conns.add(c);
    this.counters.passiveOpens++;
    c.openPassive(syn, this.isnGen.isn(dst, syn.dstPort, src, syn.srcPort, this.nowNs), this.nowNs);
  }

  /** A stateless SYN,ACK whose ISN is a cookie (syncookie.ts). */
  private sendCookie(src: number, dst: number, syn: TcpSegment, l: Listener): void {
    const { isn, mss } = this.cookies.make(dst, syn.dstPort, src, syn.srcPort, syn.seq, syn.options.mss ?? 536, this.nowNs);
    const synAck: TcpSegment = {
      srcPort: syn.dstPort, dstPort: syn.srcPort, seq: isn, ack: seqAdd(syn.seq, 1), flags: SYN | ACK,
      window: Math.min(l.cfg.rcvBuf, 0xffff), urgent: 0, options: { mss: Math.min(mss, this.cfg.mss) }, payload: new Uint8Array(0),
    };
    this.counters.synCookiesSent++;
    this.counters.segmentsOut++;
    this.env.output(dst, src, serializeSegment(dst, src, synAck));
  }

  /** An ACK for no connection may complete a cookie handshake. Returns true when it did. */
  private openFromCookie(src: number, dst: number, seg: TcpSegment): boolean {
    if ((seg.flags & (SYN | ACK | RST)) !== ACK || !this.cfg.synCookies) return false;
    const l = this.findListener(dst, seg.dstPort);
    if (!l || l.closed || l.acceptQueue.length >= l.backlog) return false;
    const iss = seqAdd(seg.ack, -1);
    const mss = this.cookies.check(dst, seg.dstPort, src, seg.srcPort, seqAdd(seg.seq, -1), iss, this.nowNs);
    if (mss === undefined) return false;
    const c = new Connection(this.nextId++, this.host, l.cfg, dst, seg.dstPort, src, seg.srcPort);
    c.parent = l;
    this.conns.add(c);
    this.counters.passiveOpens++;
    this.counters.synCookiesAccepted++;
    c.openFromCookie(seg, iss, Math.min(mss, l.cfg.mss), this.nowNs);
    c.input(seg, this.nowNs); // the ACK may carry data
    return true;
  }

  /** RST for a segment that reaches no connection (RFC 9293 3.10.7.1). */
  private replyReset(src: number, dst: number, seg: TcpSegment): void {
    if (seg.flags & RST) return;
    const rst: TcpSegment = seg.flags & ACK
      ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: RST, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0) }
      : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: seqAdd(seg.seq, segmentLength(seg)), flags: RST | ACK, window: 0, urgent: 0, options: {}, payload: new Uint8Array(0) };
    this.counters.resetsSent++;
    this.counters.segmentsOut++;
    this.env.output(dst, src, serializeSegment(dst, src, rst));
  }

  icmpError(src: number, dst: number, quoted: Uint8Array, kind: "host-unreachable" | "net-unreachable" | "port-unreachable", nowNs: number): void {
    this.tick(nowNs);
    if (!(quoted instanceof Uint8Array) || quoted.length < 8) return;
    const sport = (quoted[0]! << 8) | quoted[1]!;
    const dport = (quoted[2]! << 8) | quoted[3]!;
    const c = this.conns.get(src >>> 0, sport, dst >>> 0, dport);
    if (!c || c.state !== "SYN-SENT") return;
    c.fail(kind === "port-unreachable" ? TCP_ERR.CONN_REFUSED : kind === "net-unreachable" ? TCP_ERR.NET_UNREACHABLE : TCP_ERR.HOST_UNREACHABLE);
    this.flush();
  }

  // --- opens ---

  connect(localIp: number, remoteIp: number, remotePort: number, nowNs: number, opts: TcpConnectOptions = {}): TcpConn | number {
    this.tick(nowNs);
    if (!isU32(localIp) || !isU32(remoteIp) || remoteIp === 0 || !isPort(remotePort) || remotePort === 0) return TCP_ERR.INVALID_ARG;
    if (opts.cc !== undefined && !isCongestionControlName(opts.cc)) return TCP_ERR.INVALID_ARG;
    let localPort = opts.localPort ?? 0;
    if (!isPort(localPort)) return TCP_ERR.INVALID_ARG;
    if (localPort !== 0) {
      if (this.conns.get(localIp, localPort, remoteIp, remotePort)) return TCP_ERR.ADDR_IN_USE;
    } else {
      localPort = this.ephemeralPort(localIp, remoteIp, remotePort);
      if (localPort === 0) return TCP_ERR.NO_RESOURCE;
    }
    const c = new Connection(this.nextId++, this.host, connConfig(this.cfg, opts), localIp, localPort, remoteIp, remotePort);
    this.conns.add(c);
    this.counters.activeOpens++;
    c.openActive(this.isnGen.isn(localIp, localPort, remoteIp, remotePort, this.nowNs), this.nowNs);
    this.flush();
    return c;
  }

  private ephemeralPort(localIp: number, remoteIp: number, remotePort: number): number {
    const start = this.env.random32() % EPHEMERAL_COUNT;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const p = EPHEMERAL_LOW + ((start + i) % EPHEMERAL_COUNT);
      if (this.listeners.has(`${localIp}:${p}`) || this.listeners.has(`${TCP_ANY}:${p}`)) continue;
      if (!this.conns.get(localIp, p, remoteIp, remotePort)) return p;
    }
    return 0;
  }

  listen(ip: number, port: number, backlog: number, opts: TcpConnOptions = {}): TcpListener | number {
    if (!isU32(ip) || !isPort(port) || !Number.isInteger(backlog) || backlog < 1) return TCP_ERR.INVALID_ARG;
    if (opts.cc !== undefined && !isCongestionControlName(opts.cc)) return TCP_ERR.INVALID_ARG;
    const key = `${ip >>> 0}:${port}`;
    if (this.listeners.has(key)) return TCP_ERR.ADDR_IN_USE;
    const l = new Listener(this, ip >>> 0, port, Math.min(backlog, MAX_BACKLOG), connConfig(this.cfg, opts));
    this.listeners.set(key, l);
    return l;
  }

  /** Listener.close(): forget it. */
  removeListener(l: Listener): void {
    const key = `${l.localIp}:${l.localPort}`;
    if (this.listeners.get(key) === l) this.listeners.delete(key);
  }

  // --- connection life cycle (ConnHost) ---

  private connClosed(c: Connection): void {
    this.conns.remove(c);
    const l = c.parent as Listener | undefined;
    if (l && l.synReceived.delete(c)) this.halfOpen--;
    if (l) {
      const i = l.acceptQueue.indexOf(c);
      if (i >= 0) l.acceptQueue.splice(i, 1);
    }
  }

  private connEstablished(c: Connection): void {
    const l = c.parent as Listener | undefined;
    if (!l) return;
    if (l.synReceived.has(c)) this.halfOpen--; // (a cookie connection never was half-open)
    l.enqueue(c);
  }

  // --- timers ---

  nextTimerNs(): number | undefined {
    let t: number | undefined;
    for (const c of this.conns.all) {
      const x = c.nextTimerNs();
      if (x !== undefined && (t === undefined || x < t)) t = x;
    }
    return t;
  }

  onTimer(nowNs: number): void {
    this.tick(nowNs);
    for (const c of [...this.conns.all]) {
      const t = c.nextTimerNs();
      if (t !== undefined && t <= this.nowNs) c.onTimer(this.nowNs);
    }
    this.flush();
  }

  // --- inspection ---

  connections(): TcpConn[] {
    return [...this.conns.all];
  }

  snapshot(): TcpStackSnapshot {
    return {
      defaultCc: this.cfg.cc,
      counters: { ...this.counters },
      listeners: [...this.listeners.values()].map((l) => l.snapshot()),
      connections: [...this.conns.all].map((c) => c.snapshot()),
    };
  }
}
