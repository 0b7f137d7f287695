// Syscall handlers for sockets, DNS, ping and network statistics
// (socket group 0x50-0x5E, NET_STATS 0xE1, PING 0xE2; table.ts), over the
// socket objects of net/socket.ts and the kernel's network stack.
//
// Conventions (table.ts header): IPv4 addresses are u32 in network byte
// order as stored in memory (first octet in the low byte), ports u16 in
// network byte order; inside the kernel both are host-order numbers.
// A socket is a handle (kind "socket", rights READ|WRITE|DERIVE|TRANSFER).
//
// Blocking: SOCKET_CONNECT blocks until established or failed; SOCKET_SEND
// blocks while the send buffer is full and nothing was queued yet (a
// NONBLOCK socket returns -300 instead); SOCKET_RECV and SOCKET_ACCEPT never
// block (-300: poll the handle for READ); DNS_RESOLVE and PING block until
// answered or timed out. A blocked call re-executes when the socket (or
// the pending operation) changes, as POLL_WAIT does.
//
// User-visible structures (viperdos/user/include/viperdos/net.h):
//   struct vd_sockaddr    { u32 ip; u16 port; u16 pad; }                         8 bytes
//   struct vd_socket_info (64 bytes, SOCKET_INFO):
//     0 u32 id; 4 u8 proto (1 TCP, 2 UDP); 5 u8 state (SOCKET_STATES);
//     6 u8 tcp_state (TCP_STATES, RFC 9293 order); 7 u8 cc (0 NewReno, 1 CUBIC);
//     8 u32 local_ip; 12 u16 local_port; 14 u16 remote_port; 16 u32 remote_ip;
//     20 u32 cwnd; 24 u32 ssthresh (0xFFFFFFFF: infinite); 28 u32 srtt_us;
//     32 u32 rto_ms; 36 u32 retransmits; 40 u64 bytes_sent; 48 u64 bytes_received;
//     56 u32 in_flight; 60 i32 error
//   struct vd_net_stats (96 bytes, NET_STATS):
//     0 u32 ip; 4 u32 netmask; 8 u32 gateway; 12 u32 dns; 16 u8 mac[6]; 22 u16 link_up;
//     24 u64 rx_packets; 32 u64 tx_packets; 40 u64 rx_bytes; 48 u64 tx_bytes;
//     56 u64 rx_dropped; 64 u64 tcp_segments_out; 72 u64 tcp_retransmits;
//     80 u32 sockets; 84 u32 arp_entries; 88 u64 reserved
// SOCKET_POLL *flags: READABLE 0x1, WRITABLE 0x2, CLOSED 0x4 (peer closed,
// reset or failed), ERROR 0x8 (a sticky error is waiting).

import { E } from "../errors.js";
import { SYS } from "./table.js";
import { copyIn, copyInString, copyOut, writeU32 } from "../mm/uaccess.js";
import { IPC_DEFAULT_RIGHTS } from "../cap/rights.js";
import { PollEvent } from "../ipc/events.js";
import {
  CC_NAMES, ipFromWire, ipToWire, portFromWire, portToWire, SocketObject, SocketRegistry,
  type SocketSnapshot, type SocketStack,
} from "../net/socket.js";
import type { Kernel } from "../kernel.js";
import type { Task } from "../proc/process.js";
import { err, i32, n, ok, u32, type HandlerTable, type Outcome } from "./abi.js";

export const SOCKADDR_SIZE = 8;
export const SOCKET_INFO_SIZE = 64;
export const NET_STATS_SIZE = 96;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCKOPT = { CONGESTION: 1, NODELAY: 2, NONBLOCK: 3, SHUTDOWN: 4 } as const;
export const SOCKET_POLL_FLAGS = { READABLE: 0x1, WRITABLE: 0x2, CLOSED: 0x4, ERROR: 0x8 } as const;
export const SOCKET_STATES = ["new", "bound", "listening", "connecting", "connected", "closed", "failed"] as const;
export const TCP_STATES = [
  "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
] as const;
/** Longest host name DNS_RESOLVE accepts (RFC 1035: 253 characters). */
const MAX_HOSTNAME = 253;
/** Largest single SOCKET_SEND/RECV copy. */
const MAX_IO = 1 << 20;

// --- The kernel's network, as seen from here -----------------------------------------------

/** Interface counters and configuration (NET_STATS, %net). */
export interface NetStatsView {
  ip: number; netmask: number; gateway: number; dns: number; mac: Uint8Array | string; linkUp: boolean;
  rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxDropped: number;
  tcpSegmentsOut: number; tcpRetransmits: number; arpEntries: number;
}

/** What these handlers need from the kernel's network stack (net/stack.ts, adapted in netServices). */
export interface NetServices extends SocketStack {
  /** Resolve an A record; `done` gets a host-order address or a negative error. */
  resolve(name: string, done: (r: number) => void): void;
  /** ICMP echo; `done` gets the round trip in ns or a negative error (-9 timeout). */
  ping(ip: number, timeoutMs: number, done: (r: number) => void): void;
  stats(): NetStatsView;
}

const registries = new WeakMap<object, SocketRegistry>();

/** The system-wide socket registry of kernel `k` (live sockets, default congestion control). */
export function socketRegistry(k: Kernel): SocketRegistry {
  let r = registries.get(k);
  if (!r) registries.set(k, (r = new SocketRegistry()));
  return r;
}

/**
 * The network services of kernel `k`, or undefined when it has no network
 * (no NIC attached): every network call then returns -606 (NET_UNREACHABLE).
 * The stack is looked up structurally (`k.net`) so the kernel owns its wiring.
 */
export function netServices(k: Kernel): NetServices | undefined {
  const net = (k as unknown as { netServices?: () => NetServices | undefined }).netServices;
  if (typeof net === "function") return net.call(k);
  return (k as unknown as { net?: { services?: () => NetServices } }).net?.services?.();
}

// --- Blocking helpers --------------------------------------------------------------------------

/** A pending asynchronous operation of a task (DNS, ping): started once, answered once. */
interface PendingOp {
  key: string;
  result: number | undefined;
}
const pending = new WeakMap<Task, PendingOp>();

/** Block `t` until `s` changes (or untilNs); the syscall re-executes on wake. */
function waitOnSocket(k: Kernel, t: Task, s: SocketObject, untilNs = Infinity): Outcome {
  const wake = (t.pollWake ??= () => k.wakeTask(t, Math.max(t.cpu, 0)));
  t.cancelWait?.();
  let unwatch: (() => void) | undefined = undefined;
  unwatch = s.watch(() => {
    unwatch?.();
    t.cancelWait = undefined;
    wake();
  });
  t.cancelWait = unwatch;
  return k.blockOn(t, { kind: "poll", untilNs });
}

/** Run an asynchronous operation for `t` once; block until it answers; returns its result on re-execution. */
function asyncOp(k: Kernel, t: Task, key: string, start: (done: (r: number) => void) => void, deadlineNs: number): Outcome | { result: number } {
  const p = pending.get(t);
  if (p && p.key === key) {
    if (p.result !== undefined) {
      pending.delete(t);
      t.deadlineNs = undefined;
      return { result: p.result };
    }
    if (k.machine.now() >= (t.deadlineNs ?? Infinity)) {
      pending.delete(t);
      t.deadlineNs = undefined;
      return { result: E.TIMEOUT };
    }
    return k.blockOn(t, { kind: "poll", untilNs: t.deadlineNs ?? Infinity });
  }
  const op: PendingOp = { key, result: undefined };
  pending.set(t, op);
  t.deadlineNs = deadlineNs;
  start((r) => {
    if (op.result !== undefined) return;
    op.result = r;
    if (pending.get(t) === op) k.wakeTask(t, Math.max(t.cpu, 0));
  });
  if (op.result !== undefined) {
    pending.delete(t);
    t.deadlineNs = undefined;
    return { result: op.result };
  }
  return k.blockOn(t, { kind: "poll", untilNs: deadlineNs });
}

// --- Handlers --------------------------------------------------------------------------------

function getSocket(t: Task, h: number): SocketObject | number {
  return t.process.handles.getObject(h, SocketObject);
}

function newSocket(k: Kernel, t: Task, type: number): Outcome {
  const net = netServices(k);
  if (!net) return err(E.NET_UNREACHABLE);
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM) return err(E.INVALID_ARG);
  if (type === SOCK_DGRAM && !net.udp) return err(E.NOT_SUPPORTED);
  const s = new SocketObject(type === SOCK_STREAM ? "tcp" : "udp", net, socketRegistry(k), k.ids);
  const h = t.process.handles.insert(s, IPC_DEFAULT_RIGHTS);
  if (h < 0) {
    s.close();
    return err(h);
  }
  return ok(h);
}

function connect(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const s = getSocket(t, u32(a[0]));
  if (typeof s === "number") return err(s);
  if (s.state === "connecting") {
    // Re-executed after a wake: still waiting?
    return s.nonblocking ? err(E.WOULD_BLOCK) : waitOnSocket(k, t, s);
  }
  const mine = connectedBy.get(t) === s;
  if (mine) connectedBy.delete(t);
  if (s.state === "failed") return err(s.error || E.CONN_REFUSED);
  if (s.state === "connected" && mine) return ok(); // the blocked call's re-execution
  const r = s.connect(ipFromWire(u32(a[1])), portFromWire(Number(a[2] & 0xffffn)));
  if (r < 0) return err(r);
  if (s.proto === "udp" || s.state === "connected") return ok();
  connectedBy.set(t, s);
  return s.nonblocking ? err(E.WOULD_BLOCK) : waitOnSocket(k, t, s);
}
/** The socket a task's blocked SOCKET_CONNECT is for (its re-execution then returns 0). */
const connectedBy = new WeakMap<Task, SocketObject>();

function send(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const s = getSocket(t, u32(a[0]));
  if (typeof s === "number") return err(s);
  const len = Math.min(n(a[2]), MAX_IO);
  if (len < 0) return err(E.INVALID_ARG);
  if (len === 0) return ok(0);
  // Copy in only what the send buffer can take now. With no room, one byte still goes to the
  // engine: its refusal (a short send) is what makes it announce "writable" later.
  const bytes = copyIn(t.process.as, n(a[1]), Math.min(len, Math.max(s.sendRoom(), 1)));
  if (typeof bytes === "number") return err(bytes);
  const r = s.send(bytes);
  if (r < 0) return err(r);
  if (r === 0) return s.nonblocking ? err(E.WOULD_BLOCK) : waitOnSocket(k, t, s);
  return ok(r);
}

function recv(_k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const s = getSocket(t, u32(a[0]));
  if (typeof s === "number") return err(s);
  const len = Math.min(n(a[2]), MAX_IO);
  if (len < 0) return err(E.INVALID_ARG);
  if (len === 0) return ok(0);
  const r = s.recv(len);
  if (r === "eof") return ok(0);
  if (typeof r === "number") return err(r);
  const c = copyOut(t.process.as, n(a[1]), r);
  if (c < 0) {
    s.unrecv(r);
    return err(c);
  }
  return ok(r.length);
}

function socketPoll(_k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const s = getSocket(t, u32(a[0]));
  if (typeof s === "number") return err(s);
  const ev = s.readyEvents();
  let flags = 0;
  if (ev & PollEvent.READ) flags |= SOCKET_POLL_FLAGS.READABLE;
  if (ev & PollEvent.WRITE) flags |= SOCKET_POLL_FLAGS.WRITABLE;
  const tcpState = s.conn?.state ?? "";
  if (s.state === "failed" || s.state === "closed" || /CLOSE_WAIT|CLOSED|LAST_ACK|TIME_WAIT/.test(tcpState)) flags |= SOCKET_POLL_FLAGS.CLOSED;
  if (s.error !== 0) flags |= SOCKET_POLL_FLAGS.ERROR;
  s.observeState();
  if (a[1] !== 0n) {
    const r = writeU32(t.process.as, n(a[1]), flags);
    if (r < 0) return err(r);
  }
  if (a[2] !== 0n) {
    const r = writeU32(t.process.as, n(a[2]), Math.min(s.rxAvailable(), 0xffff_ffff));
    if (r < 0) return err(r);
  }
  return ok(flags, s.rxAvailable());
}

function accept(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const s = getSocket(t, u32(a[0]));
  if (typeof s === "number") return err(s);
  const c = s.accept(k.ids);
  if (typeof c === "number") return err(c);
  const h = t.process.handles.insert(c, IPC_DEFAULT_RIGHTS);
  if (h < 0) {
    c.close();
    return err(h);
  }
  return ok(h, ipToWire(c.remoteIp), portToWire(c.remotePort));
}

function sendTo(_k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const s = getSocket(t, u32(a[0]));
  if (typeof s === "number") return err(s);
  const len = n(a[2]);
  if (len < 0 || len > MAX_IO) return err(E.INVALID_ARG);
  const bytes = copyIn(t.process.as, n(a[1]), len);
  if (typeof bytes === "number") return err(bytes);
  const r = s.sendTo(bytes, ipFromWire(u32(a[3])), portFromWire(Number(a[4] & 0xffffn)));
  return r < 0 ? err(r) : ok(r);
}

function recvFrom(_k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const s = getSocket(t, u32(a[0]));
  if (typeof s === "number") return err(s);
  const len = n(a[2]);
  if (len < 0) return err(E.INVALID_ARG);
  const d = s.recvFrom();
  if (typeof d === "number") return err(d);
  const take = d.data.subarray(0, Math.min(len, d.data.length));
  const c = take.length ? copyOut(t.process.as, n(a[1]), take) : 0;
  if (c < 0) return err(c);
  if (a[3] !== 0n) {
    const sa = new Uint8Array(SOCKADDR_SIZE);
    const dv = new DataView(sa.buffer);
    dv.setUint32(0, ipToWire(d.srcIp), true);
    dv.setUint16(4, portToWire(d.srcPort), true);
    const r = copyOut(t.process.as, n(a[3]), sa);
    if (r < 0) return err(r);
  }
  return ok(take.length);
}

function setOpt(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const sock = i32(a[0]);
  const opt = u32(a[1]);
  const value = u32(a[2]);
  if (opt === SOCKOPT.CONGESTION) {
    const name = CC_NAMES[value];
    if (!name) return err(E.INVALID_ARG);
    if (sock === -1) {
      socketRegistry(k).defaultCc = name;
      const tcp = netServices(k)?.tcp as { setDefaultCongestionControl?: (n: string) => void } | undefined;
      tcp?.setDefaultCongestionControl?.(name);
      return ok();
    }
    const s = getSocket(t, sock >>> 0);
    if (typeof s === "number") return err(s);
    const r = s.setCongestionControl(name);
    return r < 0 ? err(r) : ok();
  }
  const s = getSocket(t, sock >>> 0);
  if (typeof s === "number") return err(s);
  if (opt === SOCKOPT.NODELAY) {
    s.nodelay = value !== 0;
    (s.conn as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(s.nodelay);
    return ok();
  }
  if (opt === SOCKOPT.SHUTDOWN) {
    const r = s.shutdownWrite();
    return r < 0 ? err(r) : ok();
  }
  if (opt === SOCKOPT.NONBLOCK) {
    s.nonblocking = value !== 0;
    return ok();
  }
  return err(E.INVALID_ARG);
}

/** The numbers SOCKET_INFO reports for a socket's connection (0 when unknown). */
function connFigures(s: SocketSnapshot): { cwnd: number; ssthresh: number; srttUs: number; rtoMs: number; retransmits: number; inFlight: number } {
  const c = (s.conn ?? {}) as Record<string, unknown>;
  const num = (...keys: string[]) => {
    for (const key of keys) {
      const v = c[key];
      if (typeof v === "number" && Number.isFinite(v)) return v;
    }
    return 0;
  };
  const ss = c.ssthresh;
  return {
    cwnd: num("cwnd"),
    ssthresh: typeof ss === "number" && Number.isFinite(ss) ? ss : 0xffff_ffff,
    srttUs: Math.round(num("srttNs", "srtt") / (c.srttNs !== undefined ? 1000 : 1)),
    rtoMs: Math.round(num("rtoNs", "rto") / (c.rtoNs !== undefined ? 1e6 : 1)),
    retransmits: num("retransmits", "retransmissions"),
    inFlight: num("inFlight", "bytesInFlight"),
  };
}

/** struct vd_socket_info bytes for one socket. */
export function encodeSocketInfo(s: SocketSnapshot, out: Uint8Array, at: number): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const f = connFigures(s);
  const clamp = (v: number) => Math.max(0, Math.min(0xffff_ffff, Math.round(v)));
  dv.setUint32(at, s.id, true);
  out[at + 4] = s.proto === "tcp" ? SOCK_STREAM : SOCK_DGRAM;
  out[at + 5] = SOCKET_STATES.indexOf(s.state);
  const ts = TCP_STATES.indexOf((s.tcpState ?? "CLOSED").replace(/-/g, "_").toUpperCase() as (typeof TCP_STATES)[number]);
  out[at + 6] = ts < 0 ? 0 : ts;
  out[at + 7] = CC_NAMES.indexOf(s.cc);
  dv.setUint32(at + 8, ipToWire(s.localIp), true);
  dv.setUint16(at + 12, portToWire(s.localPort), true);
  dv.setUint16(at + 14, portToWire(s.remotePort), true);
  dv.setUint32(at + 16, ipToWire(s.remoteIp), true);
  dv.setUint32(at + 20, clamp(f.cwnd), true);
  dv.setUint32(at + 24, clamp(f.ssthresh), true);
  dv.setUint32(at + 28, clamp(f.srttUs), true);
  dv.setUint32(at + 32, clamp(f.rtoMs), true);
  dv.setUint32(at + 36, clamp(f.retransmits), true);
  dv.setBigUint64(at + 40, BigInt(Math.max(0, s.bytesSent)), true);
  dv.setBigUint64(at + 48, BigInt(Math.max(0, s.bytesReceived)), true);
  dv.setUint32(at + 56, clamp(f.inFlight), true);
  dv.setInt32(at + 60, s.error, true);
}

function socketInfo(k: Kernel, t: Task, a: readonly bigint[]): Outcome {
  const socks = [...socketRegistry(k).live].sort((x, y) => x.id - y.id);
  if (a[0] === 0n) return ok(socks.length);
  const take = socks.slice(0, Math.max(0, Math.min(u32(a[1]), 256)));
  const out = new Uint8Array(take.length * SOCKET_INFO_SIZE);
  take.forEach((s, i) => encodeSocketInfo(s.info(), out, i * SOCKET_INFO_SIZE));
  const r = take.length ? copyOut(t.process.as, n(a[0]), out) : 0;
  return r < 0 ? err(r) : ok(take.length);
}

function macBytes(m: Uint8Array | string): Uint8Array {
  if (typeof m !== "string") return m.subarray(0, 6);
  return Uint8Array.from(m.split(/[:-]/).slice(0, 6).map((h) => parseInt(h, 16) || 0));
}

/** struct vd_net_stats bytes. */
export function encodeNetStats(s: NetStatsView, sockets: number): Uint8Array {
  const out = new Uint8Array(NET_STATS_SIZE);
  const dv = new DataView(out.buffer);
  const u64 = (at: number, v: number) => dv.setBigUint64(at, BigInt(Math.max(0, Math.floor(v || 0))), true);
  dv.setUint32(0, ipToWire(s.ip), true);
  dv.setUint32(4, ipToWire(s.netmask), true);
  dv.setUint32(8, ipToWire(s.gateway), true);
  dv.setUint32(12, ipToWire(s.dns), true);
  out.set(macBytes(s.mac), 16);
  dv.setUint16(22, s.linkUp ? 1 : 0, true);
  u64(24, s.rxPackets);
  u64(32, s.txPackets);
  u64(40, s.rxBytes);
  u64(48, s.txBytes);
  u64(56, s.rxDropped);
  u64(64, s.tcpSegmentsOut);
  u64(72, s.tcpRetransmits);
  dv.setUint32(80, sockets, true);
  dv.setUint32(84, s.arpEntries >>> 0, true);
  return out;
}

export const NET_HANDLERS: HandlerTable = [
  [SYS.SOCKET_CREATE, (k, t) => newSocket(k, t, SOCK_STREAM)],
  [SYS.SOCKET_OPEN, (k, t, a) => newSocket(k, t, u32(a[0]))],
  [SYS.SOCKET_CONNECT, connect],
  [SYS.SOCKET_SEND, send],
  [SYS.SOCKET_RECV, recv],
  [SYS.SOCKET_CLOSE, (_k, t, a) => {
    const h = u32(a[0]);
    const s = getSocket(t, h);
    if (typeof s === "number") return err(s);
    s.close();
    const r = t.process.handles.close(h);
    return r < 0 ? err(r) : ok();
  }],
  [SYS.SOCKET_POLL, socketPoll],
  [SYS.SOCKET_BIND, (_k, t, a) => {
    const s = getSocket(t, u32(a[0]));
    if (typeof s === "number") return err(s);
    const r = s.bind(ipFromWire(u32(a[1])), portFromWire(Number(a[2] & 0xffffn)));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.SOCKET_LISTEN, (_k, t, a) => {
    const s = getSocket(t, u32(a[0]));
    if (typeof s === "number") return err(s);
    const r = s.listen(u32(a[1]));
    return r < 0 ? err(r) : ok();
  }],
  [SYS.SOCKET_ACCEPT, accept],
  [SYS.SOCKET_SENDTO, sendTo],
  [SYS.SOCKET_RECVFROM, recvFrom],
  [SYS.SOCKET_SETOPT, setOpt],
  [SYS.SOCKET_INFO, socketInfo],
  [SYS.DNS_RESOLVE, (k, t, a) => {
    const net = netServices(k);
    if (!net) return err(E.NET_UNREACHABLE);
    const name = copyInString(t.process.as, n(a[0]), MAX_HOSTNAME + 1);
    if (typeof name === "number") return err(name);
    if (name.length === 0 || name.length > MAX_HOSTNAME) return err(E.INVALID_ARG);
    const r = asyncOp(k, t, `dns:${name}`, (done) => net.resolve(name, done), k.machine.now() + 10e9);
    if (typeof r === "string" || !("result" in r)) return r;
    if (r.result < 0) return err(r.result);
    const w = writeU32(t.process.as, n(a[1]), ipToWire(r.result));
    return w < 0 ? err(w) : ok(ipToWire(r.result));
  }],
  [SYS.PING, (k, t, a) => {
    const net = netServices(k);
    if (!net) return err(E.NET_UNREACHABLE);
    const ip = ipFromWire(u32(a[0]));
    const timeoutMs = Math.max(1, Math.min(u32(a[1]) || 1000, 60_000));
    const r = asyncOp(k, t, `ping:${ip}`, (done) => net.ping(ip, timeoutMs, done), k.machine.now() + timeoutMs * 1e6 + 1);
    if (typeof r === "string" || !("result" in r)) return r;
    return r.result < 0 ? err(r.result) : ok(Math.max(1, Math.round(r.result / 1000)));
  }],
  [SYS.NET_STATS, (k, t, a) => {
    const net = netServices(k);
    if (!net) return err(E.NET_UNREACHABLE);
    const bytes = encodeNetStats(net.stats(), socketRegistry(k).live.size);
    const r = copyOut(t.process.as, n(a[0]), bytes);
    return r < 0 ? err(r) : ok();
  }],
];
