// Socket objects: what a socket handle names in a process's capability table
// (kind "socket"), over the TCP engine (net/tcp/api.ts) and the UDP layer of
// the network stack (net/stack.ts).
//
// A SocketObject is either a stream socket (TCP) or a datagram socket (UDP).
// A stream socket moves through
//
//   new --bind--> bound --listen--> listening          (accept gives connected sockets)
//   new|bound --connect--> connecting --established--> connected --close--> closed
//                                     \--refused/reset/timeout--> failed
//
// Readiness for poll (ipc/poll.ts; level-triggered):
//   READ 0x1     recv would not return -300: bytes, end of stream or an error
//                waiting; a listener with a connection to accept; a datagram queued
//   WRITE 0x2    connected and the send buffer has room (after a short send,
//                until the engine says "writable"); a UDP socket always
//   NETWORK 0x10 the connection's state changed: connect finished (either
//                way), or the peer closed or reset it; cleared when the program
//                next sends, receives or asks SOCKET_POLL (a failed socket keeps it)
// Every change is announced through notifyWatchers(), which wakes poll sets
// and tasks blocked in SOCKET_CONNECT/SEND (syscall/net.ts).
//
// Errors are errors.ts codes; nothing a user program or a peer does throws.

import { E } from "../errors.js";
import { KernelObject, type IdSource } from "../cap/objects.js";
import { PollEvent } from "../ipc/events.js";
import { CONGESTION_CONTROLS, type CongestionControlName, type TcpConn, type TcpConnEvent, type TcpListener, type TcpStackApi, type TcpTraceSample } from "./tcp/api.js";

/** Congestion-control algorithms the TCP engine offers. */
export type CongestionControl = CongestionControlName;
export const CC_NAMES: readonly CongestionControl[] = CONGESTION_CONTROLS;

/** The TCP engine as the socket layer uses it (net/tcp/api.ts). */
export type TcpStackLike = Pick<TcpStackApi, "connect" | "listen">;

/** A received UDP datagram. */
export interface Datagram {
  srcIp: number;
  srcPort: number;
  data: Uint8Array;
}

export interface UdpLike {
  /** Bind ip:port (port 0: ephemeral); returns the port or a negative error. */
  bind(ip: number, port: number, onDatagram: (d: Datagram) => void): number;
  unbind(port: number): void;
  sendTo(srcPort: number, dstIp: number, dstPort: number, data: Uint8Array): number;
}

/** The stack below sockets, as this layer uses it. */
export interface SocketStack {
  readonly tcp: TcpStackLike;
  readonly udp?: UdpLike;
  /** The interface address (host-order u32). */
  readonly localIp: number;
  now(): number;
}

/** Ephemeral ports for sockets bound to port 0 (RFC 6335 dynamic range). */
export const EPHEMERAL_FIRST = 49152;
export const EPHEMERAL_LAST = 65535;

/** Queued datagrams per UDP socket (more are dropped and counted). */
export const UDP_QUEUE_LIMIT = 64;

/** TCP states in which the peer's FIN has arrived (recv reaches end of stream). */
const FIN_SEEN = new Set<string>(["CLOSE-WAIT", "LAST-ACK", "CLOSING", "TIME-WAIT"]);

export type SocketState = "new" | "bound" | "listening" | "connecting" | "connected" | "closed" | "failed";
export type SocketProto = "tcp" | "udp";

/** System-wide socket settings and the list of live sockets (SOCKET_INFO, %net). */
export class SocketRegistry {
  defaultCc: CongestionControl = "newreno";
  /** Record per-connection traces for new sockets' connections (off: to measure what tracing costs). */
  traceEnabled = true;
  readonly live = new Set<SocketObject>();
  /** Connections of closed sockets, newest last (at most ARCHIVE_LIMIT), so their traces stay inspectable. */
  private readonly closedConns: TcpConn[] = [];

  /** Remember a closed socket's connection (for %tcp trace after the program ended). */
  remember(conn: TcpConn): void {
    if (this.closedConns.includes(conn)) return;
    this.closedConns.push(conn);
    if (this.closedConns.length > ARCHIVE_LIMIT) this.closedConns.shift();
  }

  /** Traces of remembered connections: { id, label, samples } (copies). */
  get archive(): { id: number; label: string; samples: TcpTraceSample[] }[] {
    return this.closedConns.map((c) => {
      const s = c.snapshot();
      return { id: c.id, label: `${s.local} -> ${s.remote} (${s.cc})`, samples: c.trace() };
    });
  }
}

/** Closed connections a registry remembers. */
export const ARCHIVE_LIMIT = 32;

/** Plain view of one socket (SOCKET_INFO, %net). */
export interface SocketSnapshot {
  id: number;
  proto: SocketProto;
  state: SocketState;
  tcpState: string | null;
  localIp: number;
  localPort: number;
  remoteIp: number;
  remotePort: number;
  cc: CongestionControl;
  nonblocking: boolean;
  error: number;
  bytesSent: number;
  bytesReceived: number;
  queuedDatagrams: number;
  droppedDatagrams: number;
  ready: number;
  conn: unknown;
}

export class SocketObject extends KernelObject {
  override readonly waitable = true;
  state: SocketState = "new";
  localIp = 0;
  localPort = 0;
  remoteIp = 0;
  remotePort = 0;
  cc: CongestionControl;
  nodelay = false;
  nonblocking = false;
  /** Sticky error of a failed connect or a reset (negative), else 0. */
  error = 0;
  conn: TcpConn | undefined;
  listener: TcpListener | undefined;
  bytesSent = 0;
  bytesReceived = 0;
  /** The engine refused part of the last send (wait for "writable"). */
  private sendBlocked = false;
  private peerClosed = false;
  /**
   * A connection state change (established, closed, reset) is waiting to be
   * seen: the NETWORK event. The next send, receive or SOCKET_POLL sees it
   * (observeState), so a waiter does not spin on an old change.
   */
  private stateChanged = false;
  /** Bytes taken from the engine that did not reach the user yet (a failed copy-out). */
  private rxPending: Uint8Array | undefined;
  private readonly datagrams: Datagram[] = [];
  droppedDatagrams = 0;

  constructor(
    readonly proto: SocketProto,
    readonly stack: SocketStack,
    readonly registry: SocketRegistry,
    ids?: IdSource,
  ) {
    super("socket", ids);
    this.cc = registry.defaultCc;
    registry.live.add(this);
  }

  /** An accepted connection as a connected socket. */
  static fromAccepted(parent: SocketObject, conn: TcpConn, ids?: IdSource): SocketObject {
    const s = new SocketObject("tcp", parent.stack, parent.registry, ids);
    s.cc = conn.cc;
    s.state = "connected";
    s.localIp = conn.localIp;
    s.localPort = conn.localPort;
    s.remoteIp = conn.remoteIp;
    s.remotePort = conn.remotePort;
    s.attach(conn);
    return s;
  }

  private attach(conn: TcpConn): void {
    this.conn = conn;
    conn.on((ev) => this.onConnEvent(ev));
  }

  private onConnEvent(ev: TcpConnEvent): void {
    if (this.destroyed) return;
    switch (ev) {
      case "established":
        if (this.state === "connecting") {
          this.state = "connected";
          this.stateChanged = true;
        }
        break;
      case "writable":
        this.sendBlocked = false;
        break;
      case "readable":
        break;
      case "closed":
        this.peerClosed = true;
        this.stateChanged = true;
        if (this.conn && this.conn.error !== 0) {
          this.error = this.conn.error;
          this.state = "failed";
        } else if (this.state === "connecting") {
          this.state = "failed";
          if (this.error === 0) this.error = E.CONN_REFUSED;
        }
        break;
      case "reset":
        this.peerClosed = true;
        this.stateChanged = true;
        this.error = this.state === "connecting" ? E.CONN_REFUSED : E.CONN_RESET;
        this.state = "failed";
        break;
    }
    this.notifyWatchers();
  }

  /** The program has seen the socket's state: clear the NETWORK event (a failed socket keeps it). */
  observeState(): void {
    this.stateChanged = false;
  }

  /** Tell pollers and blocked tasks that readiness may have changed. */
  changed(): void {
    this.notifyWatchers();
  }

  override readyEvents(): number {
    let ev = 0;
    if (this.proto === "udp") {
      ev |= PollEvent.WRITE;
      if (this.datagrams.length > 0) ev |= PollEvent.READ;
      return ev;
    }
    if (this.state === "listening") return this.listenerReady() ? PollEvent.READ : 0;
    if (this.rxPending || this.error !== 0 || this.peerClosed || this.connReadable()) ev |= PollEvent.READ;
    if (this.state === "connected" && !this.sendBlocked && (this.conn?.sendSpace ?? 0) > 0) ev |= PollEvent.WRITE;
    if (this.stateChanged || this.state === "failed") ev |= PollEvent.NETWORK;
    return ev;
  }

  private pendingAccept: TcpConn | undefined;
  private listenerReady(): boolean {
    if (this.pendingAccept) return true;
    this.pendingAccept = this.listener?.accept();
    return this.pendingAccept !== undefined;
  }

  /** recv() would return bytes, end of stream or an error now. */
  private connReadable(): boolean {
    const c = this.conn;
    if (!c) return false;
    return c.readableBytes > 0 || c.error !== 0 || FIN_SEEN.has(c.state);
  }

  /** Bytes waiting to be received (SOCKET_POLL). */
  rxAvailable(): number {
    if (this.proto === "udp") return this.datagrams[0]?.data.length ?? 0;
    return (this.rxPending?.length ?? 0) + (this.conn?.readableBytes ?? 0);
  }

  /** SOCKET_BIND: local ip:port (host order; 0 = any). Returns 0, -8 busy (not new), -604 in use. */
  bind(ip: number, port: number): number {
    if (this.state !== "new") return E.BUSY;
    if (port < 0 || port > 0xffff) return E.INVALID_ARG;
    if (this.proto === "udp") {
      const udp = this.stack.udp;
      if (!udp) return E.NOT_SUPPORTED;
      const r = udp.bind(ip, port, (d) => this.onDatagram(d));
      if (r < 0) return r;
      this.localPort = r;
    } else {
      const taken = (p: number) => [...this.registry.live].some((s) => s !== this && s.proto === "tcp" && s.localPort === p && s.state !== "closed" && s.state !== "failed");
      if (port === 0) {
        // An ephemeral port (not the engine's wildcard listener, which port 0 would mean there).
        let p = EPHEMERAL_FIRST + (this.id % (EPHEMERAL_LAST - EPHEMERAL_FIRST + 1));
        for (let tries = 0; taken(p) && tries <= EPHEMERAL_LAST - EPHEMERAL_FIRST; tries++) p = p === EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
        if (taken(p)) return E.NO_RESOURCE;
        port = p;
      } else if (taken(port)) {
        return E.ADDR_IN_USE;
      }
      this.localPort = port;
    }
    this.localIp = ip;
    this.state = "bound";
    return E.OK;
  }

  /** SOCKET_LISTEN: start accepting on the bound port. Returns 0 or an error (-603 not bound, -7 UDP). */
  listen(backlog: number): number {
    if (this.proto !== "tcp") return E.NOT_SUPPORTED;
    if (this.state !== "bound") return this.state === "listening" ? E.OK : E.NOT_CONNECTED;
    const l = this.stack.tcp.listen(this.localIp, this.localPort, Math.max(1, Math.min(backlog || 16, 128)), { cc: this.cc, trace: this.registry.traceEnabled, nodelay: this.nodelay });
    if (typeof l === "number") return l;
    this.listener = l;
    this.state = "listening";
    l.on(() => this.notifyWatchers());
    return E.OK;
  }

  /** SOCKET_ACCEPT: the next established connection as a new socket, or -300. */
  accept(ids?: IdSource): SocketObject | number {
    if (this.state !== "listening") return E.INVALID_ARG;
    const conn = this.pendingAccept ?? this.listener?.accept();
    this.pendingAccept = undefined;
    if (!conn) return E.WOULD_BLOCK;
    return SocketObject.fromAccepted(this, conn, ids);
  }

  /**
   * SOCKET_CONNECT, first step: start the handshake. Returns 0 (started:
   * wait for state "connected"/"failed"), -608 already connected, or the
   * engine's error.
   */
  connect(ip: number, port: number): number {
    if (this.proto !== "tcp") return this.connectUdp(ip, port);
    if (this.state === "connected") return E.ALREADY_CONNECTED;
    if (this.state === "connecting") return E.OK;
    if (this.state !== "new" && this.state !== "bound") return E.INVALID_ARG;
    if (port <= 0 || port > 0xffff || ip === 0) return E.INVALID_ARG;
    // Source address: the bound one, else loopback for 127/8 (as the stack routes it), else the interface's.
    const src = this.localIp || (ip >>> 24 === 127 ? ip : this.stack.localIp);
    const r = this.stack.tcp.connect(src, ip, port, this.stack.now(), { cc: this.cc, localPort: this.localPort || undefined, trace: this.registry.traceEnabled, nodelay: this.nodelay });
    if (typeof r === "number") return r;
    this.remoteIp = ip;
    this.remotePort = port;
    this.localIp = src;
    this.localPort = r.localPort;
    this.state = "connecting";
    this.attach(r);
    if (r.state === "ESTABLISHED") this.state = "connected";
    return E.OK;
  }

  /** A UDP "connect": remember the default peer. */
  private connectUdp(ip: number, port: number): number {
    if (port <= 0 || port > 0xffff) return E.INVALID_ARG;
    if (this.state === "new") {
      const b = this.bind(0, 0);
      if (b < 0) return b;
    }
    this.remoteIp = ip;
    this.remotePort = port;
    return E.OK;
  }

  /**
   * Bytes SOCKET_SEND can queue now: the connection's free send buffer
   * (Infinity for UDP and for sockets whose send would fail anyway, so the
   * call reaches send() and reports the error).
   */
  sendRoom(): number {
    if (this.proto !== "tcp" || this.state !== "connected" || !this.conn) return Infinity;
    return this.conn.sendSpace;
  }

  /** SOCKET_SEND: bytes queued (0 when the buffer is full), or an error (-603, -601). */
  send(bytes: Uint8Array): number {
    this.stateChanged = false;
    if (this.proto === "udp") return this.remotePort ? this.sendTo(bytes, this.remoteIp, this.remotePort) : E.NOT_CONNECTED;
    if (this.state === "failed") return this.error || E.CONN_RESET;
    if (this.state !== "connected" || !this.conn) return E.NOT_CONNECTED;
    const n = this.conn.send(bytes, this.stack.now());
    if (n < 0) return n;
    if (n < bytes.length) this.sendBlocked = true;
    this.bytesSent += n;
    return n;
  }

  /**
   * SOCKET_RECV, engine side: up to `max` bytes, "eof", or a negative error
   * (-300 none yet, -603 not connected, -601 reset).
   */
  recv(max: number): Uint8Array | "eof" | number {
    this.stateChanged = false;
    if (this.proto === "udp") {
      const d = this.datagrams.shift();
      return d ? d.data.subarray(0, max) : E.WOULD_BLOCK;
    }
    if (this.rxPending) {
      const out = this.rxPending.subarray(0, max);
      this.rxPending = out.length < this.rxPending.length ? this.rxPending.subarray(out.length) : undefined;
      return out;
    }
    if (this.state === "failed" && this.error !== 0 && !this.conn) return this.error;
    if (!this.conn) return this.state === "listening" ? E.INVALID_ARG : E.NOT_CONNECTED;
    const r = this.conn.recv(max);
    if (r === undefined) {
      if (this.conn.error !== 0) return this.conn.error;
      if (this.state === "failed") return this.error || E.CONN_RESET;
      if (this.conn.state === "CLOSED" || this.conn.state === "TIME-WAIT") return "eof";
      return E.WOULD_BLOCK;
    }
    if (r === "eof") return "eof";
    this.bytesReceived += r.length;
    return r;
  }

  /** Put back bytes recv() returned that could not be copied to the user. */
  unrecv(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.rxPending = this.rxPending ? concat(bytes, this.rxPending) : bytes.slice();
  }

  /** SOCKET_SENDTO (UDP): bytes sent, or an error (-2 too large, -7 not UDP). */
  sendTo(bytes: Uint8Array, ip: number, port: number): number {
    if (this.proto !== "udp") return E.NOT_SUPPORTED;
    const udp = this.stack.udp;
    if (!udp) return E.NOT_SUPPORTED;
    if (bytes.length > 1472) return E.MSG_TOO_LARGE;
    if (port <= 0 || port > 0xffff) return E.INVALID_ARG;
    if (this.state === "new") {
      const b = this.bind(0, 0);
      if (b < 0) return b;
    }
    const r = udp.sendTo(this.localPort, ip, port, bytes);
    if (r < 0) return r;
    this.bytesSent += bytes.length;
    return bytes.length;
  }

  /** SOCKET_RECVFROM (UDP): the next datagram or -300. */
  recvFrom(): Datagram | number {
    if (this.proto !== "udp") return E.NOT_SUPPORTED;
    const d = this.datagrams.shift();
    if (!d) return E.WOULD_BLOCK;
    this.bytesReceived += d.data.length;
    return d;
  }

  private onDatagram(d: Datagram): void {
    if (this.destroyed) return;
    if (this.datagrams.length >= UDP_QUEUE_LIMIT) {
      this.droppedDatagrams++;
      return;
    }
    this.datagrams.push({ srcIp: d.srcIp, srcPort: d.srcPort, data: d.data.slice() });
    this.notifyWatchers();
  }

  /** SOCKET_SETOPT congestion control for this socket (and its connection, if any). */
  setCongestionControl(name: CongestionControl): number {
    if (this.proto !== "tcp") return E.NOT_SUPPORTED;
    this.cc = name;
    this.conn?.setCongestionControl(name);
    return E.OK;
  }

  /** Half close (SOCKET_SETOPT SHUTDOWN): FIN after the queued data; receiving goes on. */
  shutdownWrite(): number {
    if (this.proto !== "tcp") return E.NOT_SUPPORTED;
    if (!this.conn || (this.state !== "connected" && this.state !== "connecting")) return E.NOT_CONNECTED;
    this.conn.shutdownWrite(this.stack.now());
    return E.OK;
  }

  /** SOCKET_CLOSE: orderly close (FIN) of a connection; a listener stops listening. */
  close(): void {
    this.shutdown(false);
  }

  private shutdown(abort: boolean): void {
    const now = this.stack.now();
    if (this.conn) this.registry.remember(this.conn);
    if (this.conn && this.state !== "closed") {
      if (abort) this.conn.abort(now);
      else this.conn.close(now);
    }
    if (this.listener) {
      // A connection poll already took from the accept queue goes the way of the queued ones: reset.
      this.pendingAccept?.abort(now);
      this.pendingAccept = undefined;
      this.listener.close?.(now);
      this.listener = undefined;
    }
    if (this.proto === "udp" && this.localPort !== 0) this.stack.udp?.unbind(this.localPort);
    if (this.state !== "failed") this.state = "closed";
    this.registry.live.delete(this);
  }

  protected override onLastRelease(): void {
    // The last handle went without SOCKET_CLOSE: close it as close(2) does.
    if (this.registry.live.has(this)) this.shutdown(false);
  }

  /** Plain JSON view. */
  info(): SocketSnapshot {
    return {
      id: this.id,
      proto: this.proto,
      state: this.state,
      tcpState: this.conn?.state ?? (this.state === "listening" ? "LISTEN" : null),
      localIp: this.localIp,
      localPort: this.localPort,
      remoteIp: this.remoteIp,
      remotePort: this.remotePort,
      cc: this.cc,
      nonblocking: this.nonblocking,
      error: this.error,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      queuedDatagrams: this.datagrams.length,
      droppedDatagrams: this.droppedDatagrams,
      ready: this.destroyed ? 0 : this.readyEvents(),
      conn: this.conn?.snapshot() ?? null,
    };
  }

  override describe(): Record<string, unknown> {
    const { id: _id, conn: _conn, ...rest } = this.info();
    return rest;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** "10.0.2.15" for a host-order u32. */
export function ipToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join(".");
}

/** Host-order u32 for "a.b.c.d", or undefined. */
export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Syscall u32 (network byte order as stored: first octet in the low byte) -> host order. */
export function ipFromWire(v: number): number {
  return (((v & 0xff) << 24) | (((v >>> 8) & 0xff) << 16) | (((v >>> 16) & 0xff) << 8) | ((v >>> 24) & 0xff)) >>> 0;
}

/** Host order -> syscall u32 (network byte order as stored). */
export const ipToWire = ipFromWire;

/** Syscall u16 port in network byte order -> host order. */
export function portFromWire(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}
export const portToWire = portFromWire;
