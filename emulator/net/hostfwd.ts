// TCP through the gateway (gateway.ts): NAT of the guest's connections to
// host sockets, and port forwarding from the host into the guest.
//
// Outbound (guest connects to 10.0.2.2:P or an allowed address): a fresh
// SYN is held while the gateway opens a host net.Socket to the mapped
// address (10.0.2.2 -> 127.0.0.1). Connected: the SYN goes into the
// gateway's own TcpStack, whose wildcard listener (any address, any port)
// completes the handshake as the guest's peer; the accepted connection and
// the host socket are spliced. Refused, unreachable or not allowed: the
// guest gets a RST, as from a closed port.
// Inbound (hostfwd): a server on 127.0.0.1:hostPort; each host connection
// makes the gateway's TcpStack connect from 10.0.2.2 to guestIp:guestPort,
// spliced the same way.
//
// Splice: host bytes go into conn.send (the rest is held and the host
// socket paused until "writable"); conn bytes go to socket.write (reading
// stops while the host socket's buffer is full, so the TCP window closes:
// end-to-end backpressure). End of stream either way becomes a half close
// on the other side; a reset or a host error aborts the other side.
// The TcpStack's timers run on the gateway's clock (one event, re-armed
// after every call into the engine).

import net from "node:net";
import type { Gateway, GatewayOptions } from "./gateway.js";
import { TCP_ANY, type TcpConn, type TcpListener, type TcpStackApi, type TcpStackSnapshot } from "../../viperdos/kernel/net/tcp/api.js";
import { defaultTcpEngine } from "../../viperdos/kernel/net/tcp-engine.js";
import { foldChecksum, IPPROTO_TCP, ipString, ipv4, parseIpv4, pseudoHeaderSum, rd16, rd32, sumWords, wr16, wr32 } from "../../viperdos/kernel/net/wire.js";
import type { EventHandle } from "../clock.js";

/** One port forward: host 127.0.0.1:hostPort (0: any free port) -> guestIp:guestPort. */
export interface HostForward {
  hostPort: number;
  guestPort: number;
  /** Default 10.0.2.15. */
  guestIp?: string;
}

export interface TcpNatConnSnapshot {
  guest: string;
  host: string;
  direction: "outbound" | "hostfwd";
  state: string;
  bytesToGuest: number;
  bytesToHost: number;
}

export interface TcpNatSnapshot {
  engine: boolean;
  pendingConnects: number;
  refused: number;
  resetsSent: number;
  forwards: { hostPort: number; guest: string }[];
  connections: TcpNatConnSnapshot[];
  stack: TcpStackSnapshot | null;
}

interface Splice {
  conn: TcpConn;
  socket: net.Socket;
  direction: "outbound" | "hostfwd";
  host: string;
  toGuest: Uint8Array[];
  hostEnded: boolean;
  shutdownSent: boolean;
  hostBlocked: boolean;
  done: boolean;
  bytesToGuest: number;
  bytesToHost: number;
}

/** The gateway's address (gateway.ts GATEWAY_IP; repeated to keep the import one-way). */
const GATEWAY_IP = ipv4(10, 0, 2, 2);
/** Wall time a connected host socket waits for the guest to finish its handshake. */
const ACCEPT_TIMEOUT_MS = 30_000;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const TCP_FIN = 0x01;

/** A fixed-seed generator per gateway (its TCP ISNs and ports repeat run to run). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
}

export class TcpNat {
  readonly tcp: TcpStackApi | undefined;
  private readonly listener: TcpListener | undefined;
  private readonly pending = new Map<string, { seg: Uint8Array; src: number; dst: number; socket: net.Socket }>();
  /** Host sockets whose guest connection the listener is about to accept. */
  private readonly toAccept = new Map<string, net.Socket>();
  private readonly splices = new Set<Splice>();
  private readonly servers: { server: net.Server; fwd: HostForward; port: number }[] = [];
  private timer: EventHandle | undefined;
  private timerAt = Infinity;
  refused = 0;
  resetsSent = 0;
  /** Resolves when every hostfwd server listens. */
  readonly ready: Promise<void>;

  constructor(private readonly gw: Gateway, opts: GatewayOptions) {
    const make = opts.tcp ?? ((env) => defaultTcpEngine(env, opts.tcpOptions));
    this.tcp = make({
      output: (src, dst, seg) => gw.sendIp(IPPROTO_TCP, src, dst, seg),
      random32: opts.random32 ?? lcg(0x2545f491),
    });
    const l = this.tcp.listen(TCP_ANY, TCP_ANY, 1024);
    if (typeof l !== "number") {
      this.listener = l;
      l.on(() => this.acceptAll());
    }
    this.ready = Promise.all((opts.hostfwd ?? []).map((f) => this.forward(f))).then(() => undefined);
    this.ready.catch(() => {}); // a caller that never awaits `ready` must not crash the process

  }

  private now(): number {
    return this.gw.clock.now();
  }

  /** Run `f` against the engine, then re-arm its timer. */
  private engine(f: (tcp: TcpStackApi) => void): void {
    if (!this.tcp) return;
    f(this.tcp);
    this.rearm();
  }

  private rearm(): void {
    const t = this.tcp?.nextTimerNs() ?? Infinity;
    if (t === this.timerAt) return;
    this.gw.clock.cancel(this.timer);
    this.timerAt = t;
    this.timer = t === Infinity ? undefined : this.gw.clock.schedule(t, (now) => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.engine((tcp) => tcp.onTimer(now));
    });
  }

  /** A TCP segment from the guest (IP checksum already checked). */
  input(src: number, dst: number, seg: Uint8Array, quote: Uint8Array): void {
    void quote;
    if (seg.length < 20) return this.gw.drop("tcp-truncated");
    const flags = seg[13];
    const fresh = (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN && !this.hasConn(src, rd16(seg, 0), dst, rd16(seg, 2));
    // The common case (data and ACKs of a spliced connection) builds no key.
    if (!fresh && (this.pending.size === 0 || !this.pending.has(`${src}:${rd16(seg, 0)}>${dst}:${rd16(seg, 2)}`))) {
      return this.engine((tcp) => tcp.input(src, dst, seg, this.now()));
    }
    if (!fresh) return; // the host connect is still under way
    const key = `${src}:${rd16(seg, 0)}>${dst}:${rd16(seg, 2)}`;
    const host = this.gw.hostAddressFor(dst);
    if (!this.tcp || host === undefined || rd16(seg, 2) === 0 || rd16(seg, 0) === 0) {
      this.refused++;
      return this.reset(src, dst, seg);
    }
    const held = this.pending.get(key);
    if (held) {
      held.seg = seg.slice();
      return;
    }
    const socket = net.connect({ host: ipString(host), port: rd16(seg, 2), allowHalfOpen: true }); // half-close passes through
    const p = { seg: seg.slice(), src, dst, socket };
    this.pending.set(key, p);
    socket.once("connect", () => {
      this.pending.delete(key);
      this.toAccept.set(key, socket);
      // The guest may never finish its handshake: do not keep the host socket for ever.
      setTimeout(() => {
        if (this.toAccept.get(key) !== socket) return;
        this.toAccept.delete(key);
        socket.destroy();
      }, ACCEPT_TIMEOUT_MS).unref();
      this.engine((tcp) => tcp.input(p.src, p.dst, p.seg, this.now()));
      this.gw.hostActivity();
    });
    socket.once("error", () => {
      if (this.pending.get(key) !== p) return;
      this.pending.delete(key);
      this.refused++;
      this.reset(p.src, p.dst, p.seg);
      this.gw.hostActivity();
    });
  }

  private hasConn(src: number, sport: number, dst: number, dport: number): boolean {
    for (const c of this.tcp?.connections() ?? []) {
      if (c.remoteIp === src && c.remotePort === sport && c.localIp === dst && c.localPort === dport) return true;
    }
    return false;
  }

  /** RST for a segment nobody will take (RFC 9293 3.10.7.1). */
  private reset(src: number, dst: number, seg: Uint8Array): void {
    const flags = seg[13];
    if (flags & TCP_RST) return;
    const off = (seg[12] >> 4) * 4;
    const dataLen = Math.max(0, seg.length - off);
    const r = new Uint8Array(20);
    wr16(r, 0, rd16(seg, 2));
    wr16(r, 2, rd16(seg, 0));
    if (flags & TCP_ACK) {
      wr32(r, 4, rd32(seg, 8));
      r[13] = TCP_RST;
    } else {
      wr32(r, 8, (rd32(seg, 4) + dataLen + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0);
      r[13] = TCP_RST | TCP_ACK;
    }
    r[12] = 5 << 4;
    wr16(r, 16, foldChecksum(sumWords(r, 0, 20, pseudoHeaderSum(dst, src, IPPROTO_TCP, 20))));
    this.resetsSent++;
    this.gw.sendIp(IPPROTO_TCP, dst, src, r);
  }

  private acceptAll(): void {
    for (let c = this.listener?.accept(); c; c = this.listener?.accept()) {
      const key = `${c.remoteIp}:${c.remotePort}>${c.localIp}:${c.localPort}`;
      const socket = this.toAccept.get(key);
      this.toAccept.delete(key);
      if (!socket) {
        c.abort(this.now());
        continue;
      }
      this.splice(c, socket, "outbound", `${socket.remoteAddress}:${socket.remotePort}`);
    }
  }

  /**
   * Add a forward while running: resolves with the host port listening on
   * 127.0.0.1; rejects (with the forward named) for a bad guest address or
   * a host port that cannot be bound.
   */
  async addForward(f: HostForward): Promise<number> {
    await this.forward(f);
    return this.servers[this.servers.length - 1].port;
  }

  private forward(f: HostForward): Promise<void> {
    const guestIp = parseIpv4(f.guestIp ?? "10.0.2.15");
    if (guestIp === undefined || f.guestPort <= 0 || f.guestPort > 0xffff) return Promise.reject(new RangeError(`hostfwd: bad guest address ${f.guestIp}:${f.guestPort}`));
    // allowHalfOpen: a host client that finishes sending still gets the guest's reply.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      let conn: TcpConn | number = -1;
      this.engine((tcp) => { conn = tcp.connect(GATEWAY_IP, guestIp, f.guestPort, this.now()); });
      if (typeof conn === "number") {
        socket.destroy();
        return;
      }
      this.splice(conn, socket, "hostfwd", `${socket.remoteAddress}:${socket.remotePort}`);
      this.gw.hostActivity();
    });
    const entry = { server, fwd: f, port: 0 };
    this.servers.push(entry);
    return new Promise((resolve, reject) => {
      server.on("error", (e: Error) => {
        const i = this.servers.indexOf(entry);
        if (i >= 0 && entry.port === 0) this.servers.splice(i, 1); // never listened: not a forward
        reject(new Error(`hostfwd 127.0.0.1:${f.hostPort} -> ${f.guestIp ?? "10.0.2.15"}:${f.guestPort}: ${e.message}`));
      });
      server.listen(f.hostPort, "127.0.0.1", () => {
        const a = server.address();
        entry.port = typeof a === "object" && a ? a.port : f.hostPort;
        resolve();
      });
    });
  }

  /** Host ports of the forwards (after `ready`), in the order given. */
  forwardPorts(): number[] {
    return this.servers.map((s) => s.port);
  }

  private splice(conn: TcpConn, socket: net.Socket, direction: Splice["direction"], host: string): void {
    const s: Splice = { conn, socket, direction, host, toGuest: [], hostEnded: false, shutdownSent: false, hostBlocked: false, done: false, bytesToGuest: 0, bytesToHost: 0 };
    this.splices.add(s);
    const finish = (): void => {
      if (s.done) return;
      s.done = true;
      this.splices.delete(s);
    };
    socket.on("data", (buf: Buffer) => {
      s.toGuest.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.length).slice());
      this.engine(() => this.pumpToGuest(s));
      if (s.toGuest.length > 0) socket.pause();
      this.gw.hostActivity();
    });
    socket.on("end", () => {
      s.hostEnded = true;
      this.engine(() => this.pumpToGuest(s));
      this.gw.hostActivity();
    });
    socket.on("drain", () => {
      s.hostBlocked = false;
      this.engine(() => this.drainToHost(s));
      this.gw.hostActivity();
    });
    socket.on("error", () => {
      if (!s.done) this.engine(() => conn.abort(this.now()));
      finish();
      this.gw.hostActivity();
    });
    socket.on("close", () => {
      if (!s.done && !s.hostEnded) this.engine(() => conn.abort(this.now()));
      this.gw.hostActivity();
    });
    conn.on((ev) => {
      if (ev === "readable") this.drainToHost(s);
      else if (ev === "writable") this.pumpToGuest(s);
      else if (ev === "reset") {
        socket.destroy();
        finish();
      } else if (ev === "closed") {
        this.drainToHost(s);
        if (conn.error !== 0) socket.destroy();
        else socket.end();
        finish();
      }
    });
    this.drainToHost(s);
  }

  private pumpToGuest(s: Splice): void {
    while (s.toGuest.length > 0) {
      const chunk = s.toGuest[0];
      const n = s.conn.send(chunk, this.now());
      if (n < 0) {
        s.toGuest.length = 0;
        break;
      }
      s.bytesToGuest += n;
      if (n < chunk.length) {
        s.toGuest[0] = chunk.subarray(n);
        return;
      }
      s.toGuest.shift();
    }
    if (!s.socket.destroyed) s.socket.resume();
    if (s.hostEnded && !s.shutdownSent) {
      s.shutdownSent = true;
      s.conn.shutdownWrite(this.now());
    }
  }

  private drainToHost(s: Splice): void {
    while (!s.hostBlocked && !s.socket.destroyed) {
      const r = s.conn.recv(65536);
      if (r === undefined) return;
      if (r === "eof") {
        s.socket.end();
        return;
      }
      s.bytesToHost += r.length;
      if (!s.socket.write(r)) s.hostBlocked = true;
    }
  }

  /** Host operations the guest may be waiting for: connects under way, open splices. */
  outstanding(): number {
    return this.pending.size + this.toAccept.size + this.splices.size;
  }

  /** Close every server and host socket. */
  async close(): Promise<void> {
    this.gw.clock.cancel(this.timer);
    for (const p of this.pending.values()) p.socket.destroy();
    this.pending.clear();
    for (const s of this.toAccept.values()) s.destroy();
    this.toAccept.clear();
    for (const s of this.splices) s.socket.destroy();
    this.splices.clear();
    await Promise.all(this.servers.map((e) => new Promise<void>((r) => e.server.close(() => r()))));
  }

  snapshot(): TcpNatSnapshot {
    return {
      engine: this.tcp !== undefined,
      pendingConnects: this.pending.size,
      refused: this.refused,
      resetsSent: this.resetsSent,
      forwards: this.servers.map((e) => ({ hostPort: e.port, guest: `${e.fwd.guestIp ?? "10.0.2.15"}:${e.fwd.guestPort}` })),
      connections: [...this.splices].map((s) => {
        const c = s.conn.snapshot();
        return { guest: c.remote === undefined ? "" : `${c.remote} -> ${c.local}`, host: s.host, direction: s.direction, state: c.state, bytesToGuest: s.bytesToGuest, bytesToHost: s.bytesToHost };
      }),
      stack: this.tcp?.snapshot() ?? null,
    };
  }
}
