// The TCP engine's public contract (issue 8, N8B): the types and the API the
// network stack (net/stack.ts), the socket layer (net/socket.ts) and the
// notebook code against. The engine itself lives beside this file; import the
// class from "./stack.js":
//
//   import { TcpStack } from "viperdos/kernel/net/tcp/stack.js";
//   const tcp = new TcpStack({ output: (src, dst, seg) => ip.send(6, src, dst, seg), random32 }, { cc: "cubic" });
//   ip.onProtocol(6, (src, dst, seg) => tcp.input(src, dst, seg, nowNs()));
//   timers: after every call into the engine, (re)arm one timer at tcp.nextTimerNs()
//           and call tcp.onTimer(now) when it fires.
//
// The engine is PURE: no kernel or machine imports, no host timers, no
// Date.now. Time is passed in as virtual nanoseconds (a number; 2^53 ns is
// ~104 days, far beyond any run). IPv4 addresses are u32 numbers in HOST
// order (10.0.2.15 === 0x0a00020f). Segments are the TCP header + payload,
// with the checksum over the RFC 9293 section 3.1 pseudo-header.
//
// Errors are negative numbers with the values of viperdos/kernel/errors.ts
// (TCP_ERR below mirrors them; a test keeps the two in step). Nothing a peer
// sends and nothing a caller passes makes the engine throw.

/** What the engine needs from the layer below. */
export interface TcpEnv {
  /** Send one segment (header+payload, checksum filled) from src to dst (host-order u32). */
  output(src: number, dst: number, segment: Uint8Array): void;
  /** 32 random bits, seeded by the caller (ISN secret key, ephemeral ports). */
  random32(): number;
}

/** Congestion-control algorithms: RFC 5681 + RFC 6582 NewReno, RFC 9438 CUBIC. */
export type CongestionControlName = "newreno" | "cubic";
export const CONGESTION_CONTROLS: readonly CongestionControlName[] = ["newreno", "cubic"];

/** Connection states, spelled as in RFC 9293 section 3.3.2. */
export type TcpState =
  | "CLOSED" | "LISTEN" | "SYN-SENT" | "SYN-RECEIVED" | "ESTABLISHED"
  | "FIN-WAIT-1" | "FIN-WAIT-2" | "CLOSE-WAIT" | "CLOSING" | "LAST-ACK" | "TIME-WAIT";

/** Error codes the engine returns or records (values of errors.ts). */
export const TCP_ERR = {
  INVALID_ARG: -2,
  NO_MEMORY: -3,
  TIMEOUT: -9,
  WOULD_BLOCK: -300,
  NO_RESOURCE: -501,
  CONN_REFUSED: -600,
  CONN_RESET: -601,
  HOST_UNREACHABLE: -602,
  NOT_CONNECTED: -603,
  ADDR_IN_USE: -604,
  NET_UNREACHABLE: -606,
  CONN_ABORTED: -607,
} as const;

/** Wildcard address / port for listen() (0.0.0.0 and port 0: match anything). */
export const TCP_ANY = 0;

/** ssthresh before the first loss (RFC 5681 "arbitrarily high"); JSON-safe. */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;

/** Per-connection settings; every field optional (stack defaults apply). */
export interface TcpConnOptions {
  /** Congestion control for this connection (default: the stack's). */
  cc?: CongestionControlName;
  /** Disable Nagle (TCP_NODELAY). Default false (Nagle on). */
  nodelay?: boolean;
  /** Send buffer size in bytes (default 256 KiB). */
  sndBuf?: number;
  /** Receive buffer size in bytes (default 256 KiB); sets the advertised window. */
  rcvBuf?: number;
  /** Record the per-connection trace (default: the stack's traceEnabled). */
  trace?: boolean;
}

/** connect() extras. */
export interface TcpConnectOptions extends TcpConnOptions {
  /** Local port; absent or 0: an ephemeral port (49152..65535). */
  localPort?: number;
}

/** Stack-wide settings; every field optional. Times in virtual ns. */
export interface TcpStackOptions extends TcpConnOptions {
  /** Our MSS to advertise (default 1460: 1500-byte MTU). */
  mss?: number;
  /** Offer (and accept) window scaling and SACK (default true each), and RFC 7323
   *  timestamps with PAWS (default false: 12 bytes per segment). */
  windowScaling?: boolean;
  sack?: boolean;
  timestamps?: boolean;
  /** Initial window in segments; default RFC 5681 (min(4*MSS, max(2*MSS, 4380)) bytes). */
  initialCwndSegments?: number;
  /** Maximum segment lifetime: TIME_WAIT lasts 2*MSL. Default 30 s. */
  mslNs?: number;
  /** RFC 6298 bounds: min RTO default 200 ms, max 60 s, initial 1 s. */
  minRtoNs?: number;
  maxRtoNs?: number;
  initialRtoNs?: number;
  /** Delayed-ACK timeout (<= 200 ms; default 40 ms). */
  delayedAckNs?: number;
  /** SYN (re)transmissions before connect fails with TIMEOUT (default 6). */
  synRetries?: number;
  /** Retransmissions of one segment before the connection is dropped (default 12). */
  maxRetransmits?: number;
  /** Half-open (SYN-RECEIVED) connections across all listeners (default 256). */
  synBacklogLimit?: number;
  /** Samples kept per connection trace (a ring; default 4096). */
  traceCapacity?: number;
  /** Out-of-order segments kept per connection (default 256). */
  reassemblyLimit?: number;
  /** Default for TcpConnOptions.trace (default true). */
  traceEnabled?: boolean;
  /** Answer SYNs with SYN cookies (RFC 4987) when a listener's backlog is full (default true);
   *  false: such SYNs are dropped. Connections opened from a cookie have no WS/SACK/timestamps. */
  synCookies?: boolean;
  /** Challenge ACKs (RFC 5961 7) the whole stack sends per virtual second (default 1000). */
  challengeAckLimit?: number;
}

/** Events a connection announces to its owner (level changes, not counts). */
export type TcpConnEvent =
  | "established" // the handshake finished (either side)
  | "readable"    // bytes or end-of-stream became available to recv()
  | "writable"    // room appeared in the send buffer after a short send()
  | "closed"      // the connection reached CLOSED (graceful or failed: see .error)
  | "reset";      // the peer reset it (also followed by "closed")

/** Events marked in the trace. */
export type TcpTraceEvent =
  | "established"
  | "loss"             // a loss was detected (dupacks/SACK or timeout)
  | "fast-retransmit"  // a retransmission triggered by dupacks/SACK
  | "recovery-enter"   // fast recovery began (cwnd, ssthresh reduced)
  | "partial-ack"      // NewReno partial ACK inside recovery (RFC 6582)
  | "recovery-exit"    // fast recovery ended (recover point acknowledged)
  | "rto"              // the retransmission timer expired
  | "zero-window"      // the peer advertised a zero window (persist begins)
  | "window-open";     // the window reopened

/** One trace sample. Times in virtual ns, windows in bytes. */
export interface TcpTraceSample {
  tNs: number;
  cwnd: number;
  ssthresh: number;
  srttNs: number;
  rttvarNs: number;
  rtoNs: number;
  inFlight: number;
  /** Retransmitted segments so far (cumulative). */
  retransmits: number;
  event?: TcpTraceEvent;
}

/** Plain JSON view of a connection. */
export interface TcpConnSnapshot {
  id: number;
  state: TcpState;
  localIp: number;
  localPort: number;
  remoteIp: number;
  remotePort: number;
  /** "a.b.c.d:port" forms, for people. */
  local: string;
  remote: string;
  cc: CongestionControlName;
  nodelay: boolean;
  error: number;
  /** Effective send MSS (bytes of payload per segment). */
  mss: number;
  cwnd: number;
  ssthresh: number;
  srttNs: number;
  rttvarNs: number;
  rtoNs: number;
  inFlight: number;
  inRecovery: boolean;
  sndUna: number;
  sndNxt: number;
  /** Peer's window (bytes, scaled). */
  sndWnd: number;
  rcvNxt: number;
  /** Our advertised window (bytes). */
  rcvWnd: number;
  sndWscale: number;
  rcvWscale: number;
  sackOk: boolean;
  timestampsOk: boolean;
  sendQueued: number;
  recvQueued: number;
  outOfOrderSegments: number;
  segmentsSent: number;
  segmentsReceived: number;
  bytesAcked: number;
  bytesReceived: number;
  retransmits: number;
  rtoExpirations: number;
  fastRetransmits: number;
}

/** One open connection (TcpStack.connect or TcpListener.accept). */
export interface TcpConn {
  readonly id: number;
  readonly state: TcpState;
  readonly localIp: number;
  readonly localPort: number;
  readonly remoteIp: number;
  readonly remotePort: number;
  /** 0, or why the connection failed: CONN_REFUSED, CONN_RESET, TIMEOUT, CONN_ABORTED, *_UNREACHABLE. */
  readonly error: number;
  readonly cc: CongestionControlName;
  /** Bytes recv() can return now. */
  readonly readableBytes: number;
  /** Free bytes in the send buffer. */
  readonly sendSpace: number;

  /** Queue bytes for sending. Returns bytes accepted (0 when full), or a negative
   *  error (NOT_CONNECTED before/after the connection, or after shutdownWrite). Allowed in SYN-SENT. */
  send(bytes: Uint8Array, nowNs: number): number;
  /** Take up to max in-order bytes; "eof" once the peer's FIN is reached and the
   *  data is drained; undefined when nothing is there yet (or the connection failed: see error). */
  recv(max: number): Uint8Array | "eof" | undefined;
  /** Send FIN after the queued data (half close). Idempotent. */
  shutdownWrite(nowNs: number): void;
  /** Graceful close: FIN after queued data; unread received data makes it an abort (RFC 9293 3.10.4 / RFC 2525).
   *  In SYN-SENT with nothing queued the connection is simply dropped; with data queued
   *  the handshake completes, the data goes out, then the FIN. */
  close(nowNs: number): void;
  /** Send RST (if synchronized) and drop to CLOSED with CONN_ABORTED. */
  abort(nowNs: number): void;
  setCongestionControl(name: CongestionControlName): void;
  setNoDelay(on: boolean): void;
  /** The trace ring, oldest first (copies). */
  trace(): TcpTraceSample[];
  /** Subscribe to events; returns an unsubscribe function. */
  on(cb: (ev: TcpConnEvent) => void): () => void;
  snapshot(): TcpConnSnapshot;
}

export interface TcpListenerSnapshot {
  localIp: number;
  localPort: number;
  backlog: number;
  /** Established connections waiting for accept(). */
  acceptQueue: number;
  /** Half-open connections of this listener. */
  synReceived: number;
  synDropped: number;
  cc: CongestionControlName;
}

/** A passive open. A listener on TCP_ANY ip and port catches every SYN no other listener takes. */
export interface TcpListener {
  readonly localIp: number;
  readonly localPort: number;
  /** The next established connection, or undefined. */
  accept(): TcpConn | undefined;
  /** "acceptable": a connection entered the accept queue. Returns an unsubscribe function. */
  on(cb: (ev: "acceptable") => void): () => void;
  /** Stop listening; queued, unaccepted connections are reset. */
  close(nowNs: number): void;
  snapshot(): TcpListenerSnapshot;
}

/** Stack-wide counters (RFC 4022-like). */
export interface TcpCounters {
  segmentsIn: number;
  segmentsOut: number;
  badChecksum: number;
  malformed: number;
  noConnection: number;
  resetsSent: number;
  resetsReceived: number;
  challengeAcks: number;
  /** Challenge ACKs not sent because of challengeAckLimit. */
  challengeAcksSuppressed: number;
  activeOpens: number;
  passiveOpens: number;
  synDropped: number;
  /** SYN,ACKs sent with a cookie (backlog full), and handshakes completed from one. */
  synCookiesSent: number;
  synCookiesAccepted: number;
  retransmits: number;
  failedConnects: number;
}

export interface TcpStackSnapshot {
  defaultCc: CongestionControlName;
  counters: TcpCounters;
  listeners: TcpListenerSnapshot[];
  connections: TcpConnSnapshot[];
}

/** What TcpStack (./stack.js) implements. */
export interface TcpStackApi {
  /** Feed one received segment (src/dst host-order u32). Never throws; bad segments are counted and dropped. */
  input(src: number, dst: number, segment: Uint8Array, nowNs: number): void;
  /** ICMP destination-unreachable quoting one of our segments (RFC 5927 policy: fails a
   *  connection only while in SYN-SENT, with HOST_UNREACHABLE, NET_UNREACHABLE or, for
   *  port-unreachable, CONN_REFUSED). src/dst: the quoted datagram's source (our address) and
   *  destination; quoted: the quoted TCP header bytes (at least 8; shorter is ignored). */
  icmpError(src: number, dst: number, quoted: Uint8Array, kind: "host-unreachable" | "net-unreachable" | "port-unreachable", nowNs: number): void;
  /** Active open. Returns the connection (in SYN-SENT, "established" follows) or
   *  ADDR_IN_USE / NO_RESOURCE / INVALID_ARG. */
  connect(localIp: number, remoteIp: number, remotePort: number, nowNs: number, opts?: TcpConnectOptions): TcpConn | number;
  /** Passive open on ip:port (TCP_ANY for either). backlog: accept-queue length (1..1024).
   *  Returns ADDR_IN_USE when the same ip:port already listens, INVALID_ARG for bad values. */
  listen(ip: number, port: number, backlog: number, opts?: TcpConnOptions): TcpListener | number;
  /** The earliest virtual time the engine wants onTimer(), or undefined for none. */
  nextTimerNs(): number | undefined;
  /** Run every timer due at nowNs (retransmission, delayed ACK, persist, TIME_WAIT, ...). */
  onTimer(nowNs: number): void;
  /** The stack default for new connections. */
  defaultCc: CongestionControlName;
  /** Live connections (not yet CLOSED), including TIME_WAIT. */
  connections(): TcpConn[];
  snapshot(): TcpStackSnapshot;
}
