// Test harness for the TCP engine: a scripted peer (the test plays the other
// side segment by segment and inspects every segment the engine sends) and a
// tiny seeded link simulator joining two TcpStacks (delay, bottleneck rate
// with a drop-tail queue, loss, reordering).

import { TcpStack } from "../viperdos/kernel/net/tcp/stack.js";
import type { TcpStackOptions } from "../viperdos/kernel/net/tcp/api.js";
import {
  ACK, parseSegment, serializeSegment, tcpChecksum, type TcpSegment,
} from "../viperdos/kernel/net/tcp/segment.js";

export const MS = 1_000_000;
export const US = 1_000;
/** 10.0.2.15 (the engine under test) and 10.0.2.2 (the scripted peer). */
export const IP_A = 0x0a00020f;
export const IP_B = 0x0a000202;

/** xorshift32: a small seeded generator for tests. */
export function rng32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

export interface SentSegment extends TcpSegment {
  src: number;
  dst: number;
}

/** The engine under test at IP_A; the test speaks for IP_B. */
export class ScriptedPeer {
  readonly stack: TcpStack;
  readonly out: SentSegment[] = [];
  now = 0;

  constructor(opts: TcpStackOptions = {}, seed = 1) {
    this.stack = new TcpStack({
      output: (src, dst, bytes) => {
        if (tcpChecksum(src, dst, bytes) !== 0) throw new Error("engine sent a segment with a bad checksum");
        const s = parseSegment(src, dst, bytes);
        if (typeof s === "string") throw new Error(`engine sent a malformed segment: ${s}`);
        this.out.push({ ...s, payload: s.payload.slice(), src, dst });
      },
      random32: rng32(seed),
    }, opts);
  }

  /** Deliver a segment from the peer (IP_B) to the engine. */
  send(s: Partial<TcpSegment> & { srcPort: number; dstPort: number }): void {
    const seg: TcpSegment = {
      seq: 0, ack: 0, flags: ACK, window: 65535, urgent: 0, options: {}, payload: new Uint8Array(0), ...s,
    };
    this.stack.input(IP_B, IP_A, serializeSegment(IP_B, IP_A, seg), this.now);
  }

  /** The next segment the engine sent (fails when there is none). */
  take(): SentSegment {
    const s = this.out.shift();
    if (!s) throw new Error("expected a segment from the engine, none was sent");
    return s;
  }

  /** Drop everything sent so far; returns it. */
  drain(): SentSegment[] {
    return this.out.splice(0);
  }

  /** Advance virtual time by ns, firing the engine's timers on the way. */
  advance(ns: number): void {
    const end = this.now + ns;
    for (;;) {
      const t = this.stack.nextTimerNs();
      if (t === undefined || t > end) break;
      this.now = Math.max(this.now, t);
      this.stack.onTimer(this.now);
    }
    this.now = end;
  }
}


// ---------------------------------------------------------------------------
// Two engines over a simulated link
// ---------------------------------------------------------------------------

export interface LinkParams {
  /** One-way propagation delay. */
  delayNs: number;
  /** Bottleneck rate in bytes per second (0: unlimited). */
  rateBytesPerSec?: number;
  /** Drop-tail queue length in packets at the bottleneck. */
  queuePackets?: number;
  /** Random loss probability per packet. */
  loss?: number;
  /** Probability a packet is delayed by reorderNs extra (overtaken by later ones). */
  reorder?: number;
  reorderNs?: number;
  /** Packets to drop by their index on this direction (0-based), for scripted losses. */
  dropPackets?: readonly number[];
}

interface InFlight {
  at: number;
  order: number;
  to: "a" | "b";
  src: number;
  dst: number;
  bytes: Uint8Array;
}

/** One direction of the link: a bottleneck queue feeding a delay line. */
class Direction {
  private busyUntil = 0;
  private departures: number[] = [];
  dropped = 0;
  delivered = 0;
  private sent = 0;

  constructor(private readonly p: LinkParams, private readonly rand: () => number) {}

  /** When the packet arrives at the far end, or undefined when it is lost. */
  schedule(now: number, size: number): number | undefined {
    if (this.p.dropPackets?.includes(this.sent++)) {
      this.dropped++;
      return undefined;
    }
    this.departures = this.departures.filter((d) => d > now);
    if (this.p.queuePackets !== undefined && this.departures.length >= this.p.queuePackets) {
      this.dropped++;
      return undefined;
    }
    const rate = this.p.rateBytesPerSec ?? 0;
    const start = Math.max(now, this.busyUntil);
    const done = rate > 0 ? start + Math.ceil((size * 1e9) / rate) : start;
    this.busyUntil = done;
    this.departures.push(done);
    if (this.p.loss && this.rand() / 0x100000000 < this.p.loss) {
      this.dropped++;
      return undefined;
    }
    let at = done + this.p.delayNs;
    if (this.p.reorder && this.rand() / 0x100000000 < this.p.reorder) at += this.p.reorderNs ?? this.p.delayNs;
    this.delivered++;
    return at;
  }
}

/** Two TcpStacks (a at IP_A, b at IP_B) joined by a link; run() plays virtual time. */
export class TwoStacks {
  readonly a: TcpStack;
  readonly b: TcpStack;
  now = 0;
  private queue: InFlight[] = [];
  private order = 0;
  readonly ab: Direction;
  readonly ba: Direction;

  constructor(link: LinkParams, optsA: TcpStackOptions = {}, optsB: TcpStackOptions = {}, seed = 7, reverse?: LinkParams) {
    const rand = rng32(seed);
    this.ab = new Direction(link, rand);
    this.ba = new Direction(reverse ?? { delayNs: link.delayNs }, rand);
    this.a = new TcpStack({ output: (s, d, bytes) => this.transmit("b", s, d, bytes), random32: rng32(seed * 3 + 1) }, optsA);
    this.b = new TcpStack({ output: (s, d, bytes) => this.transmit("a", s, d, bytes), random32: rng32(seed * 5 + 2) }, optsB);
  }

  private transmit(to: "a" | "b", src: number, dst: number, bytes: Uint8Array): void {
    const at = (to === "b" ? this.ab : this.ba).schedule(this.now, bytes.length + 40);
    if (at === undefined) return;
    this.queue.push({ at, order: this.order++, to, src, dst, bytes: bytes.slice() });
  }

  /** Run until done() or untilNs; returns false on timeout. step runs after every event. */
  run(untilNs: number, done: () => boolean, step?: () => void): boolean {
    while (!done()) {
      let next = Infinity;
      for (const q of this.queue) if (q.at < next) next = q.at;
      const ta = this.a.nextTimerNs() ?? Infinity;
      const tb = this.b.nextTimerNs() ?? Infinity;
      const t = Math.min(next, ta, tb);
      if (t === Infinity || t > untilNs) return false;
      this.now = Math.max(this.now, t);
      if (next <= this.now) {
        let i = 0;
        for (let j = 1; j < this.queue.length; j++) {
          const q = this.queue[j]!;
          const best = this.queue[i]!;
          if (q.at < best.at || (q.at === best.at && q.order < best.order)) i = j;
        }
        const p = this.queue.splice(i, 1)[0]!;
        (p.to === "a" ? this.a : this.b).input(p.src, p.dst, p.bytes, this.now);
      }
      if (ta <= this.now) this.a.onTimer(this.now);
      if (tb <= this.now) this.b.onTimer(this.now);
      step?.();
    }
    return true;
  }
}

/** FNV-1a over bytes (a checksum for transfer tests). */
export function fnv1a(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

// ---------------------------------------------------------------------------
// Scripted connections
// ---------------------------------------------------------------------------

import type { TcpConn, TcpConnEvent, TcpStackOptions as StackOpts } from "../viperdos/kernel/net/tcp/api.js";
import { FIN, PSH, RST, SYN } from "../viperdos/kernel/net/tcp/segment.js";

export { ACK, FIN, PSH, RST, SYN };

/** The peer's side of one connection: ports and its next sequence numbers. */
export interface PeerConn {
  p: ScriptedPeer;
  conn: TcpConn;
  events: TcpConnEvent[];
  /** Our (the engine's) ISS and the peer's. */
  iss: number;
  irs: number;
  /** The peer's next sequence number to send and next expected from the engine. */
  peerSeq: number;
  peerAck: number;
  localPort: number;
  remotePort: number;
}

export const PEER_ISN = 1_000_000;

/** Active open from the engine (A:ephemeral -> B:80), completed by the peer with the given SYN,ACK options. */
export function establishActive(o: StackOpts = {}, synAckOptions: TcpOptionsLike = { mss: 1460, windowScale: 0, sackPermitted: true }, peerWindow = 65535): PeerConn {
  const p = new ScriptedPeer(o);
  const conn = p.stack.connect(IP_A, IP_B, 80, p.now);
  if (typeof conn === "number") throw new Error(`connect failed ${conn}`);
  const events: TcpConnEvent[] = [];
  conn.on((e) => events.push(e));
  const syn = p.take();
  p.now += 10 * MS;
  p.send({ srcPort: 80, dstPort: syn.srcPort, seq: PEER_ISN, ack: syn.seq + 1, flags: SYN | ACK, window: peerWindow, options: synAckOptions });
  const ack = p.take();
  if (ack.flags !== ACK) throw new Error(`expected ACK, got ${ack.flags}`);
  return { p, conn, events, iss: syn.seq, irs: PEER_ISN, peerSeq: PEER_ISN + 1, peerAck: syn.seq + 1, localPort: syn.srcPort, remotePort: 80 };
}

type TcpOptionsLike = TcpSegment["options"];

/** Passive open: the engine listens on A:80, the peer connects from B:40000. */
export function establishPassive(o: StackOpts = {}, synOptions: TcpOptionsLike = { mss: 1460, sackPermitted: true }): PeerConn {
  const p = new ScriptedPeer(o);
  const l = p.stack.listen(IP_A, 80, 4);
  if (typeof l === "number") throw new Error(`listen failed ${l}`);
  p.send({ srcPort: 40000, dstPort: 80, seq: PEER_ISN, flags: SYN, window: 65535, options: synOptions });
  const synAck = p.take();
  p.now += 10 * MS;
  p.send({ srcPort: 40000, dstPort: 80, seq: PEER_ISN + 1, ack: synAck.seq + 1, flags: ACK, window: 65535 });
  const conn = l.accept();
  if (!conn) throw new Error("nothing to accept");
  const events: TcpConnEvent[] = [];
  conn.on((e) => events.push(e));
  return { p, conn, events, iss: synAck.seq, irs: PEER_ISN, peerSeq: PEER_ISN + 1, peerAck: synAck.seq + 1, localPort: 80, remotePort: 40000 };
}

/** Send from the peer on an established PeerConn (seq/ack default to the peer's view; advances peerSeq). */
export function peerSend(c: PeerConn, s: Partial<TcpSegment> = {}): void {
  const payload = s.payload ?? new Uint8Array(0);
  const flags = s.flags ?? ACK;
  c.p.send({ srcPort: c.remotePort, dstPort: c.localPort, seq: c.peerSeq, ack: c.peerAck, window: 65535, ...s, flags, payload });
  if (s.seq === undefined) c.peerSeq = (c.peerSeq + payload.length + (flags & FIN ? 1 : 0)) >>> 0;
}

export function bytes(n: number, fill = 0x61): Uint8Array {
  return new Uint8Array(n).fill(fill);
}
