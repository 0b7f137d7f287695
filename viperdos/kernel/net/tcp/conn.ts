// One TCP connection: the RFC 9293 state machine (section 3.10 "Event
// Processing"), with RFC 5961 checks on RST/SYN/ACK, RFC 7323 window
// scaling, RFC 2018 SACK, RFC 6298 retransmission timing, loss recovery per
// RFC 6582 (NewReno, without SACK) or RFC 6675 (with SACK), delayed ACKs,
// Nagle, the persist timer and TIME_WAIT.
//
//                       active open: SYN
//        CLOSED ----------------------------> SYN-SENT
//          | passive (listener)                 | rcv SYN,ACK: ACK      rcv SYN: SYN,ACK
//          v                                    v                       (simultaneous open)
//     SYN-RECEIVED --rcv ACK of SYN-----> ESTABLISHED <---- SYN-RECEIVED <---'
//                                         |          |
//                 close: FIN              |          | rcv FIN: ACK
//          FIN-WAIT-1 <-------------------'          '-------> CLOSE-WAIT --close: FIN--> LAST-ACK
//          |  rcv ACK of FIN   | rcv FIN: ACK                                              | rcv ACK of FIN
//          v                   v                                                           v
//     FIN-WAIT-2            CLOSING --rcv ACK of FIN--> TIME-WAIT --2*MSL--> CLOSED      CLOSED
//          '---- rcv FIN: ACK --------------------------^
//
// Sequence variables keep RFC 9293's names (SND.UNA -> sndUna ...). sndMax
// is the highest sequence number sent + 1; sndNxt may fall below it after a
// timeout (go-back-N from SND.UNA).

import {
  TCP_ERR, TCP_INFINITE_SSTHRESH,
  type CongestionControlName, type TcpConn, type TcpConnEvent, type TcpConnSnapshot, type TcpState, type TcpTraceEvent, type TcpTraceSample,
} from "./api.js";
import { ByteRing } from "./buffer.js";
import { MAX_WINDOW_FIELD, Receiver } from "./receiver.js";
import { makeController } from "./cc/index.js";
import type { CcWindows, CongestionController } from "./cc/types.js";
import type { TcpConfig } from "./config.js";
import { RttEstimator } from "./rtt.js";
import { DUP_THRESH, SackScoreboard } from "./sack.js";
import {
  ACK, FIN, PSH, RST, SYN,
  seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt, seqMax, serializeSegment,
  type TcpOptions, type TcpSegment,
} from "./segment.js";
import { TraceRing } from "./trace.js";

/** What a connection needs from its stack. */
export interface ConnHost {
  output(src: number, dst: number, segment: Uint8Array): void;
  /** The latest virtual time the stack has seen. */
  now(): number;
  /** Run cb after the current engine call (events never re-enter the engine mid-segment). */
  defer(cb: () => void): void;
  /** Run deferred callbacks now (end of a public call). */
  flush(): void;
  /** The connection reached CLOSED: forget it. */
  closed(conn: Connection): void;
  /** A passive connection became ESTABLISHED. */
  established(conn: Connection): void;
  count(what: "segmentsOut" | "retransmits" | "resetsSent" | "resetsReceived" | "challengeAcks" | "failedConnects"): void;
  /** May a challenge ACK go out now (RFC 5961 7 rate limit)? Counts it when yes. */
  challengeAckAllowed(): boolean;
}

const SYNCHRONIZED: ReadonlySet<TcpState> = new Set<TcpState>(["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"]);
const CAN_SEND: ReadonlySet<TcpState> = new Set<TcpState>(["ESTABLISHED", "CLOSE-WAIT", "FIN-WAIT-1", "CLOSING", "LAST-ACK"]);
const CAN_RECEIVE: ReadonlySet<TcpState> = new Set<TcpState>(["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2"]);
const MIN_PEER_MSS = 64;

function ipString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

export class Connection implements TcpConn {
  private _state: TcpState = "CLOSED";
  error = 0;
  private ctl: CongestionController;
  private readonly w: CcWindows & { mss: number };
  private readonly rtt: RttEstimator;
  private readonly traceRing: TraceRing | undefined;
  private readonly listeners = new Set<(ev: TcpConnEvent) => void>();
  private nodelay: boolean;

  // --- send side ---
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0;
  private sndWnd = 0;
  private maxSndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndWscale = 0;
  private readonly sndBuf: ByteRing;
  /** Sequence number of the first byte in sndBuf. */
  private bufSeq = 0;
  private finQueued = false;
  private finSeq = 0;
  private sendBlocked = false;

  // --- receive side ---
  private readonly rx: Receiver;
  /** In-order bytes since our last ACK (delayed ACK: ACK every second full segment). */
  private unackedBytes = 0;

  // --- negotiated options ---
  private sackOk = false;
  private tsOk = false;
  private tsRecent = 0;

  // --- loss recovery ---
  private dupAcks = 0;
  private inRecovery = false;
  /** RFC 6582 "recover": sndMax when recovery began (undefined before any). */
  private recover: number | undefined;
  /** RFC 6675 HighRxt: highest sequence retransmitted in this recovery + 1. */
  private highRxt = 0;
  private readonly scoreboard = new SackScoreboard();
  /** Karn: the one segment being timed. */
  private timing: { endSeq: number; sentNs: number } | undefined;

  // --- timers (virtual ns; undefined when not armed) ---
  private rtxAt: number | undefined;
  private delackAt: number | undefined;
  private persistAt: number | undefined;
  private persistBackoff = 0;
  private closeAt: number | undefined;
  /** Consecutive timeouts of the same data (or of the SYN). */
  private rtxCount = 0;
  private userClosed = false;

  // --- statistics ---
  private segmentsSent = 0;
  private segmentsReceived = 0;
  private bytesAcked = 0;
  private bytesReceived = 0;
  private retransmits = 0;
  private rtoExpirations = 0;
  private fastRetransmits = 0;

  /** The listener this passive connection will be queued on. */
  parent: { enqueue(c: Connection): void } | undefined;

  constructor(
    readonly id: number,
    private readonly host: ConnHost,
    readonly cfg: TcpConfig,
    readonly localIp: number,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
  ) {
    this.ctl = makeController(cfg.cc)!;
    this.nodelay = cfg.nodelay;
    this.w = { cwnd: cfg.mss, ssthresh: TCP_INFINITE_SSTHRESH, mss: cfg.mss };
    this.rtt = new RttEstimator(cfg.minRtoNs, cfg.maxRtoNs, cfg.initialRtoNs);
    this.traceRing = cfg.trace ? new TraceRing(cfg.traceCapacity) : undefined;
    this.sndBuf = new ByteRing(cfg.sndBuf);
    this.rx = new Receiver(cfg.rcvBuf, cfg.reassemblyLimit);
  }

  get state(): TcpState {
    return this._state;
  }
  get cc(): CongestionControlName {
    return this.ctl.name;
  }
  get readableBytes(): number {
    return this.rx.buf.length;
  }
  get sendSpace(): number {
    return this.finQueued || !this.isOpenForSend() ? 0 : this.sndBuf.free;
  }

  // ======================================================================
  // Opening
  // ======================================================================

  /** Active open: send SYN (state SYN-SENT). */
  openActive(iss: number, nowNs: number): void {
    this.initSend(iss);
    this._state = "SYN-SENT";
    this.sendSyn(nowNs);
  }

  /** Passive open from a listener's SYN: send SYN,ACK (state SYN-RECEIVED). */
  openPassive(syn: TcpSegment, iss: number, nowNs: number): void {
    this.initSend(iss);
    this.initReceive(syn);
    this.negotiate(syn.options);
    this.sndWnd = syn.window; // never scaled in a SYN
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = syn.seq;
    this._state = "SYN-RECEIVED";
    this.sendSyn(nowNs);
  }

  /** A handshake completed from a SYN cookie (stack.ts): ESTABLISHED at once, without
   *  window scaling, SACK or timestamps (nothing of the SYN's options was kept but the MSS). */
  openFromCookie(ack: TcpSegment, iss: number, mss: number, nowNs: number): void {
    this.initSend(iss);
    this.sndUna = this.sndNxt = this.sndMax = seqAdd(iss, 1);
    this.rx.start(seqAdd(ack.seq, -1));
    this.negotiate({ mss });
    this.rx.advertisedUnscaled(Math.min(this.rx.buf.free, MAX_WINDOW_FIELD)); // what the cookie SYN,ACK said
    this.sndWnd = ack.window;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = ack.seq;
    this.sndWl2 = ack.ack;
    this.becomeEstablished(nowNs);
  }

  private initSend(iss: number): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.bufSeq = seqAdd(iss, 1);
    this.sndWl2 = iss;
  }

  private initReceive(syn: TcpSegment): void {
    this.rx.start(syn.seq);
    if (syn.options.timestamp) this.tsRecent = syn.options.timestamp.value;
  }

  /** Agree on options from the peer's SYN (ours were offered per cfg). */
  private negotiate(o: TcpOptions): void {
    const peerMss = Math.max(MIN_PEER_MSS, o.mss ?? 536);
    if (this.cfg.windowScaling && o.windowScale !== undefined) {
      this.sndWscale = Math.min(o.windowScale, 14);
    } else {
      this.sndWscale = 0;
      this.rx.wscale = 0;
    }
    this.wsAgreed = this.cfg.windowScaling && o.windowScale !== undefined;
    this.sackOk = this.cfg.sack && o.sackPermitted === true;
    this.tsOk = this.cfg.timestamps && o.timestamp !== undefined;
    this.w.mss = Math.max(MIN_PEER_MSS - 12, Math.min(peerMss, this.cfg.mss) - (this.tsOk ? 12 : 0));
  }

  private sendSyn(nowNs: number): void {
    const passive = this._state === "SYN-RECEIVED";
    const o: TcpOptions = { mss: this.cfg.mss };
    if (passive ? this.wsAgreed : this.cfg.windowScaling) o.windowScale = this.rx.wscale;
    if (passive ? this.sackOk : this.cfg.sack) o.sackPermitted = true;
    if (passive ? this.tsOk : this.cfg.timestamps) o.timestamp = { value: this.tsVal(nowNs), echo: passive ? this.tsRecent : 0 };
    const flags = passive ? SYN | ACK : SYN;
    this.emit({ seq: this.iss, flags, payload: new Uint8Array(0), options: o, windowOverride: Math.min(this.rx.buf.free, MAX_WINDOW_FIELD) });
    if (seqLeq(this.sndMax, this.iss)) this.sndMax = seqAdd(this.iss, 1);
    this.sndNxt = seqAdd(this.iss, 1);
    if (this.rtxCount > 0) this.timing = undefined;
    else this.timing = { endSeq: seqAdd(this.iss, 1), sentNs: nowNs };
    this.rtxAt = nowNs + this.rtt.rtoNs;
  }

  /** Window scaling was agreed in SYN-RECEIVED (the peer offered it and we allow it). */
  private wsAgreed = false;

  // ======================================================================
  // Public API (TcpConn)
  // ======================================================================

  private isOpenForSend(): boolean {
    return this._state === "SYN-SENT" || this._state === "SYN-RECEIVED" || this._state === "ESTABLISHED" || this._state === "CLOSE-WAIT";
  }

  send(bytes: Uint8Array, nowNs: number): number {
    if (!this.isOpenForSend() || this.finQueued) return TCP_ERR.NOT_CONNECTED;
    if (!(bytes instanceof Uint8Array)) return TCP_ERR.INVALID_ARG;
    const n = this.sndBuf.push(bytes);
    if (n < bytes.length) this.sendBlocked = true;
    if (n > 0) this.trySend(nowNs);
    this.host.flush();
    return n;
  }

  recv(max: number): Uint8Array | "eof" | undefined {
    if (!(max > 0)) return undefined;
    const out = this.rx.read(max);
    if (out) {
      if ((CAN_RECEIVE.has(this._state) || this._state === "CLOSE-WAIT") && this.rx.windowUpdateDue(this.w.mss)) this.sendAck(this.host.now());
      this.host.flush();
      return out;
    }
    return this.rx.finReceived ? "eof" : undefined;
  }

  shutdownWrite(nowNs: number): void {
    if (this.finQueued || !this.isOpenForSend()) return;
    this.finQueued = true;
    this.finSeq = seqAdd(this.bufSeq, this.sndBuf.length);
    if (this._state === "ESTABLISHED") this._state = "FIN-WAIT-1";
    else if (this._state === "CLOSE-WAIT") this._state = "LAST-ACK";
    this.trySend(nowNs);
    this.host.flush();
  }

  close(nowNs: number): void {
    if (this._state === "CLOSED" || this._state === "TIME-WAIT") return;
    this.userClosed = true;
    if (this._state === "SYN-SENT" && this.sndBuf.length === 0) {
      this.enterClosed(0); // RFC 9293 3.10.4: nothing to deliver, delete the TCB
    } else if (this.rx.buf.length > 0 || this.rx.ooo.count > 0) {
      // Unread data: RFC 2525 2.17 - a reset tells the peer it was lost.
      this.abort(nowNs);
      return;
    } else {
      this.shutdownWrite(nowNs);
      if (this._state === "FIN-WAIT-2") this.closeAt = nowNs + 2 * this.cfg.mslNs;
    }
    this.host.flush();
  }

  abort(nowNs: number): void {
    if (this._state === "CLOSED") return;
    if (this._state !== "SYN-SENT" && this._state !== "TIME-WAIT") {
      this.emit({ seq: this.sndNxt, flags: RST | ACK, payload: new Uint8Array(0), nowNs });
      this.host.count("resetsSent");
    }
    this.rx.discardAll();
    this.enterClosed(this.error || TCP_ERR.CONN_ABORTED);
    this.host.flush();
  }

  setCongestionControl(name: CongestionControlName): void {
    if (name === this.ctl.name) return;
    const c = makeController(name);
    if (c) this.ctl = c; // the windows carry over; the new controller starts a fresh epoch
  }

  setNoDelay(on: boolean): void {
    this.nodelay = on;
    if (on) this.trySend(this.host.now());
    this.host.flush();
  }

  trace(): TcpTraceSample[] {
    return this.traceRing ? this.traceRing.samples() : [];
  }

  on(cb: (ev: TcpConnEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private announce(ev: TcpConnEvent): void {
    this.host.defer(() => {
      for (const cb of [...this.listeners]) cb(ev);
    });
  }

  snapshot(): TcpConnSnapshot {
    return {
      id: this.id,
      state: this._state,
      localIp: this.localIp,
      localPort: this.localPort,
      remoteIp: this.remoteIp,
      remotePort: this.remotePort,
      local: `${ipString(this.localIp)}:${this.localPort}`,
      remote: `${ipString(this.remoteIp)}:${this.remotePort}`,
      cc: this.ctl.name,
      nodelay: this.nodelay,
      error: this.error,
      mss: this.w.mss,
      cwnd: Math.round(this.w.cwnd),
      ssthresh: Math.round(Math.min(this.w.ssthresh, TCP_INFINITE_SSTHRESH)),
      srttNs: Math.round(this.rtt.srttNs),
      rttvarNs: Math.round(this.rtt.rttvarNs),
      rtoNs: this.rtt.rtoNs,
      inFlight: this.inFlight(),
      inRecovery: this.inRecovery,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndWnd: this.sndWnd,
      rcvNxt: this.rx.nxt,
      rcvWnd: this.rx.window,
      sndWscale: this.sndWscale,
      rcvWscale: this.rx.wscale,
      sackOk: this.sackOk,
      timestampsOk: this.tsOk,
      sendQueued: this.sndBuf.length,
      recvQueued: this.rx.buf.length,
      outOfOrderSegments: this.rx.ooo.count,
      segmentsSent: this.segmentsSent,
      segmentsReceived: this.segmentsReceived,
      bytesAcked: this.bytesAcked,
      bytesReceived: this.bytesReceived,
      retransmits: this.retransmits,
      rtoExpirations: this.rtoExpirations,
      fastRetransmits: this.fastRetransmits,
    };
  }

  /** Controller internals (for tests and the notebook). */
  ccState(): Record<string, number | string> {
    return { name: this.ctl.name, ...this.ctl.state() };
  }

  // ======================================================================
  // Segment arrival (RFC 9293 3.10.7)
  // ======================================================================

  /** Process one segment addressed to this connection. */
  input(seg: TcpSegment, nowNs: number): void {
    this.segmentsReceived++;
    switch (this._state) {
      case "CLOSED": case "LISTEN": return;
      case "SYN-SENT": this.inputSynSent(seg, nowNs); return;
      default: this.inputSynchronized(seg, nowNs);
    }
  }

  private inputSynSent(seg: TcpSegment, nowNs: number): void {
    const f = seg.flags;
    if (f & ACK) {
      if (seqLeq(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax)) {
        if (!(f & RST)) this.sendReset(seg.ack);
        return;
      }
    }
    if (f & RST) {
      if (f & ACK) {
        this.host.count("resetsReceived");
        this.host.count("failedConnects");
        this.enterClosed(TCP_ERR.CONN_REFUSED, true);
      }
      return;
    }
    if (!(f & SYN)) return;
    this.initReceive(seg);
    this.negotiate(seg.options);
    if (f & ACK) {
      this.sndUna = seg.ack;
      this.sampleRtt(seg.ack, nowNs);
      this.sndWnd = seg.window; // SYN windows are never scaled
      this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.becomeEstablished(nowNs);
      this.sendAck(nowNs);
      this.trySend(nowNs);
    } else {
      // Simultaneous open (RFC 9293 figure 7): SYN,ACK with our ISN.
      this._state = "SYN-RECEIVED";
      this.sndWnd = seg.window;
      this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sendSyn(nowNs);
    }
  }

  private becomeEstablished(nowNs: number): void {
    this._state = this.finQueued ? "FIN-WAIT-1" : "ESTABLISHED";
    this.rtxCount = 0;
    this.rtxAt = undefined;
    const mss = this.w.mss;
    this.w.cwnd = this.cfg.initialCwndSegments !== undefined
      ? this.cfg.initialCwndSegments * mss
      : Math.min(4 * mss, Math.max(2 * mss, 4380));
    if (this.rtoExpirations > 0) this.w.cwnd = mss; // RFC 5681 3.1: SYN lost
    this.record(nowNs, "established");
    this.announce("established");
    if (this.parent) this.host.established(this);
  }

  private inputSynchronized(seg: TcpSegment, nowNs: number): void {
    const f = seg.flags;
    // A retransmitted SYN while our SYN,ACK is unacknowledged: answer it again.
    if (this._state === "SYN-RECEIVED" && f & SYN && !(f & (ACK | RST)) && seg.seq === this.rx.irs) {
      this.sendSyn(nowNs);
      return;
    }
    // Simultaneous open: the peer's SYN,ACK repeats its SYN (old) and acknowledges ours (new).
    if (this._state === "SYN-RECEIVED" && !this.parent && (f & (SYN | ACK | RST)) === (SYN | ACK) && seg.seq === this.rx.irs) {
      this.inputSynchronized({ ...seg, seq: seqAdd(seg.seq, 1), flags: f & ~SYN }, nowNs);
      if (SYNCHRONIZED.has(this._state)) this.sendAck(nowNs);
      return;
    }
    // A SYN in a synchronized state, whatever its sequence number (RFC 5961 4.2): challenge ACK.
    if (f & SYN && !(f & RST) && this._state !== "SYN-RECEIVED") {
      this.challengeAck(nowNs);
      return;
    }
    // PAWS (RFC 7323 5.3): a timestamp older than TS.Recent marks an old duplicate.
    if (this.tsOk && seg.options.timestamp && !(f & RST) && seqLt(seg.options.timestamp.value, this.tsRecent)) {
      this.sendAck(nowNs);
      return;
    }
    if (!this.rx.acceptable(seg)) {
      if (this._state === "TIME-WAIT" && f & FIN && !(f & RST)) this.closeAt = nowNs + 2 * this.cfg.mslNs;
      if (!(f & RST)) this.sendAck(nowNs);
      return;
    }
    // RST (RFC 5961 3.2): exact match resets, anything else in the window gets a challenge ACK.
    if (f & RST) {
      if (seg.seq !== this.rx.nxt) {
        this.challengeAck(nowNs);
        return;
      }
      this.host.count("resetsReceived");
      if (this._state === "SYN-RECEIVED") {
        if (this.parent) this.enterClosed(0); // back to the listener: forget the half-open
        else { this.host.count("failedConnects"); this.enterClosed(TCP_ERR.CONN_REFUSED, true); }
      } else if (this._state === "CLOSING" || this._state === "LAST-ACK" || this._state === "TIME-WAIT") {
        this.enterClosed(0);
      } else {
        this.rx.discardAll();
        this.enterClosed(TCP_ERR.CONN_RESET, true);
      }
      return;
    }
    // Any other SYN in SYN-RECEIVED (not the first one repeated): challenge ACK too.
    if (f & SYN) {
      this.challengeAck(nowNs);
      return;
    }
    if (!(f & ACK)) return;
    if (this.tsOk && seg.options.timestamp && seqLeq(seg.seq, this.rx.nxt) && seqGeq(seg.options.timestamp.value, this.tsRecent)) {
      this.tsRecent = seg.options.timestamp.value;
    }

    if (this._state === "SYN-RECEIVED") {
      if (seqLeq(seg.ack, this.sndUna) || seqGt(seg.ack, this.sndMax)) {
        this.sendReset(seg.ack);
        return;
      }
      this.sndWnd = seg.window << this.sndWscale;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.becomeEstablished(nowNs);
    }
    if (!this.processAck(seg, nowNs)) return;
    if (this._state === "CLOSED") return;

    // Text (seventh) and FIN (eighth).
    if (seg.payload.length > 0 || f & FIN) this.processText(seg, nowNs);
    this.trySend(nowNs);
  }

  /** The fifth check: ACK field. Returns false when the segment must be dropped. */
  private processAck(seg: TcpSegment, nowNs: number): boolean {
    const ack = seg.ack;
    // RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.MAX].
    if (seqGt(ack, this.sndMax)) {
      this.sendAck(nowNs);
      return false;
    }
    if (seqLt(ack, seqAdd(this.sndUna, -Math.max(this.maxSndWnd, 1)))) {
      this.challengeAck(nowNs);
      return false;
    }
    const oldWnd = this.sndWnd;
    const sackChanged = this.sackOk && seg.options.sack ? this.scoreboard.update(seg.options.sack, this.sndUna, this.sndMax) : false;
    if (seqGt(ack, this.sndUna)) {
      this.onNewAck(ack, nowNs);
    } else if (ack === this.sndUna && seqLt(this.sndUna, this.sndNxt) && this.sndWnd > 0 && seg.payload.length === 0 && !(seg.flags & (SYN | FIN))
      && ((seg.window << this.sndWscale) === oldWnd || sackChanged)) {
      this.onDupAck(nowNs);
    }
    // Window update (SND.WL1/WL2 rule).
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLeq(this.sndWl2, ack))) {
      const wasZero = this.sndWnd === 0;
      this.sndWnd = seg.window << this.sndWscale;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (wasZero && this.sndWnd > 0 && this.persistAt !== undefined) {
        this.persistAt = undefined;
        this.persistBackoff = 0;
        this.record(nowNs, "window-open");
      }
    }
    // Our FIN acknowledged?
    const finAcked = this.finQueued && seqGeq(this.sndUna, seqAdd(this.finSeq, 1));
    switch (this._state) {
      case "FIN-WAIT-1":
        if (finAcked) {
          this._state = "FIN-WAIT-2";
          if (this.userClosed) this.closeAt = nowNs + 2 * this.cfg.mslNs; // orphan: bounded wait for the peer's FIN
        }
        break;
      case "CLOSING":
        if (finAcked) this.enterTimeWait(nowNs);
        return false;
      case "LAST-ACK":
        if (finAcked) this.enterClosed(0);
        return false;
      case "TIME-WAIT":
        if (seg.flags & FIN) {
          this.sendAck(nowNs);
          this.closeAt = nowNs + 2 * this.cfg.mslNs;
        }
        return false;
      default:
        break;
    }
    return true;
  }

  private onNewAck(ack: number, nowNs: number): void {
    const flightBefore = this.inFlight();
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    const dataAcked = Math.max(0, Math.min(seqDiff(this.bufSeq, ack), this.sndBuf.length));
    const acked = dataAcked; // SYN and FIN do not grow the window
    if (dataAcked > 0) {
      this.sndBuf.drop(dataAcked);
      this.bufSeq = seqAdd(this.bufSeq, dataAcked);
      this.bytesAcked += dataAcked;
      if (this.sendBlocked && this.sndBuf.free > 0 && !this.finQueued) {
        this.sendBlocked = false;
        this.announce("writable");
      }
    }
    this.scoreboard.advance(ack);
    this.sampleRtt(ack, nowNs);
    this.rtxCount = 0;
    this.dupAcks = 0;
    if (seqLt(this.highRxt, ack)) this.highRxt = ack;

    if (this.inRecovery) {
      if (seqGeq(ack, this.recover!)) {
        // Full acknowledgment: leave recovery (RFC 6582 3.2 step 3; RFC 6675 5).
        this.inRecovery = false;
        if (!this.sackOk) this.w.cwnd = Math.min(this.w.ssthresh, Math.max(this.inFlight(), this.w.mss) + this.w.mss);
        else this.w.cwnd = this.w.ssthresh;
        this.record(nowNs, "recovery-exit");
      } else if (!this.sackOk) {
        // Partial acknowledgment (RFC 6582 3.2 step 4): retransmit the next hole, deflate.
        this.retransmitAt(this.sndUna, nowNs);
        this.w.cwnd = Math.max(this.w.mss, this.w.cwnd - acked + (acked >= this.w.mss ? this.w.mss : 0));
        this.record(nowNs, "partial-ack");
      }
    } else if (flightBefore * 2 >= this.w.cwnd || this.w.cwnd < this.w.ssthresh && flightBefore + acked >= this.w.cwnd / 2) {
      // Grow only when the window was in use (RFC 7661 spirit: no growth while application-limited).
      this.ctl.onAck(this.w, acked, nowNs, this.rtt.srttNs);
    }
    this.rtxAt = seqGeq(this.sndUna, this.sndMax) ? undefined : nowNs + this.rtt.rtoNs;
    this.record(nowNs);
  }

  private onDupAck(nowNs: number): void {
    this.dupAcks++;
    if (this.inRecovery) {
      if (!this.sackOk) this.w.cwnd += this.w.mss; // RFC 6582 3.2 step 3: inflate
      return;
    }
    const lostBySack = this.sackOk && this.scoreboard.sackedAbove(this.sndUna) > (DUP_THRESH - 1) * this.w.mss;
    if (this.dupAcks < DUP_THRESH && !lostBySack) return;
    // RFC 6582 3.2 step 2: duplicates of data sent before the last recovery or
    // timeout (ACK below "recover") start no new recovery.
    if (this.recover !== undefined && seqLt(this.sndUna, this.recover)) return;
    this.enterRecovery(nowNs);
  }

  /** RFC 5681 FlightSize: data sent and not cumulatively acknowledged. */
  private flightSize(): number {
    return Math.max(0, seqDiff(this.sndUna, this.sndNxt));
  }

  private enterRecovery(nowNs: number): void {
    const flight = this.flightSize();
    this.record(nowNs, "loss");
    this.ctl.onCongestion(this.w, flight, nowNs);
    this.inRecovery = true;
    this.recover = this.sndMax;
    this.highRxt = this.sndUna;
    this.fastRetransmits++;
    this.record(nowNs, "recovery-enter");
    this.retransmitAt(this.sndUna, nowNs);
    if (!this.sackOk) this.w.cwnd = this.w.ssthresh + DUP_THRESH * this.w.mss;
    this.record(nowNs, "fast-retransmit");
    this.rtxAt = nowNs + this.rtt.rtoNs;
  }

  private sampleRtt(ack: number, nowNs: number): void {
    if (this.timing && seqGeq(ack, this.timing.endSeq)) {
      this.rtt.sample(nowNs - this.timing.sentNs);
      this.timing = undefined;
    }
  }

  /** Seventh and eighth steps: segment text and FIN (RFC 9293 3.10.7.4), and the ACK policy. */
  private processText(seg: TcpSegment, nowNs: number): void {
    if (!CAN_RECEIVE.has(this._state)) return;
    // After close() nobody reads: data is consumed and acknowledged, not kept.
    const a = this.rx.take(seg.seq, seg.payload, (seg.flags & FIN) !== 0, this.userClosed);
    if (a.outOfOrder) {
      this.sendAck(nowNs); // a duplicate ACK carrying SACK blocks, at once
      return;
    }
    this.bytesReceived += a.delivered;
    this.unackedBytes += a.delivered;
    if (a.delivered > 0 && !this.userClosed) this.announce("readable");
    if (a.finReached) {
      this.receiveFin(nowNs);
      return;
    }
    if (a.filledHole || this.unackedBytes >= 2 * this.w.mss || this.cfg.delayedAckNs === 0) this.sendAck(nowNs);
    else if (a.delivered > 0 && this.delackAt === undefined) this.delackAt = nowNs + this.cfg.delayedAckNs;
  }

  private receiveFin(nowNs: number): void {
    this.rx.consumeFin();
    this.announce("readable");
    switch (this._state) {
      case "ESTABLISHED": this._state = "CLOSE-WAIT"; break;
      case "FIN-WAIT-1":
        if (this.finQueued && seqGeq(this.sndUna, seqAdd(this.finSeq, 1))) this.enterTimeWait(nowNs);
        else this._state = "CLOSING";
        break;
      case "FIN-WAIT-2": this.enterTimeWait(nowNs); break;
      default: break;
    }
    this.sendAck(nowNs);
  }

  private enterTimeWait(nowNs: number): void {
    this._state = "TIME-WAIT";
    this.rtxAt = undefined;
    this.persistAt = undefined;
    this.delackAt = undefined;
    this.closeAt = nowNs + 2 * this.cfg.mslNs;
  }

  /** To CLOSED: cancel timers, drop queues, tell the owner and the stack. */
  private enterClosed(error: number, reset = false): void {
    if (this._state === "CLOSED") return;
    this._state = "CLOSED";
    if (error !== 0 && this.error === 0) this.error = error;
    this.rtxAt = this.delackAt = this.persistAt = this.closeAt = undefined;
    this.rx.ooo.clear();
    this.scoreboard.clear();
    if (reset) this.announce("reset");
    this.announce("closed");
    this.host.closed(this);
  }

  /** A failure the stack decided on (ICMP unreachable in SYN-SENT). */
  fail(error: number): void {
    if (this._state !== "SYN-SENT") return;
    this.host.count("failedConnects");
    this.enterClosed(error);
  }

  // ======================================================================
  // Sending
  // ======================================================================

  /** Bytes in the network: RFC 6675 "pipe" with SACK, else SND.NXT - SND.UNA. */
  inFlight(): number {
    const outstanding = Math.max(0, seqDiff(this.sndUna, this.sndNxt));
    if (!this.sackOk || this.scoreboard.isEmpty) return outstanding;
    let pipe = 0;
    for (const h of this.scoreboard.holes(this.sndUna, this.sndNxt, this.w.mss)) {
      const len = seqDiff(h.start, h.end);
      if (!h.lost) pipe += len;
      // Retransmitted bytes of the hole are in the network again.
      if (seqLt(h.start, this.highRxt)) pipe += seqDiff(h.start, seqLt(this.highRxt, h.end) ? this.highRxt : h.end);
    }
    return pipe;
  }

  private get bufEnd(): number {
    return seqAdd(this.bufSeq, this.sndBuf.length);
  }

  /** Send what the windows, Nagle and the state allow. */
  private trySend(nowNs: number): void {
    if (!CAN_SEND.has(this._state)) return;
    for (let guard = 0; guard < 100_000; guard++) {
      if (this.sackOk && this.inRecovery) {
        if (this.w.cwnd - this.inFlight() < this.w.mss) break;
        if (!this.sendNextSeg(nowNs)) break;
        continue;
      }
      if (!this.sendNewData(nowNs, false)) break;
    }
    this.armPersistIfStuck(nowNs);
  }

  /** Send one segment from SND.NXT if the rules allow; true when one was sent. */
  private sendNewData(nowNs: number, force: boolean): boolean {
    const queued = Math.max(0, seqDiff(this.sndNxt, this.bufEnd));
    const flight = this.inFlight();
    // Limited transmit (RFC 3042): the first two duplicate ACKs each let one new segment out.
    const limited = this.inRecovery ? 0 : Math.min(this.dupAcks, 2) * this.w.mss;
    const cwndRoom = Math.floor(this.w.cwnd) + limited - flight;
    const peerRoom = seqDiff(this.sndNxt, seqAdd(this.sndUna, this.sndWnd));
    if (queued === 0) {
      if (this.finQueued && seqLeq(this.sndNxt, this.finSeq)) {
        this.sendData(this.finSeq, 0, nowNs);
        return true;
      }
      return false;
    }
    const resend = seqLt(this.sndNxt, this.sndMax);
    let sackLimit = queued;
    if (resend && this.sackOk) {
      // Going back after a timeout: skip what the peer already holds.
      const r = this.scoreboard.rangeAtOrAfter(this.sndNxt);
      if (r && seqLeq(r.left, this.sndNxt)) {
        this.sndNxt = seqLt(r.right, this.sndMax) ? r.right : this.sndMax;
        return true;
      }
      if (r) sackLimit = Math.min(queued, seqDiff(this.sndNxt, r.left));
    }
    const room = force ? Math.max(1, peerRoom) : Math.min(cwndRoom, peerRoom);
    const len = Math.min(this.w.mss, room, queued, sackLimit);
    if (len <= 0) return false;
    const idle = flight === 0;
    const ok = force || resend || len === this.w.mss
      || (len === queued && (this.nodelay || idle || this.finQueued))
      || ((this.nodelay || idle) && len >= this.maxSndWnd / 2);
    if (!ok) return false;
    this.sendData(this.sndNxt, len, nowNs);
    return true;
  }

  /** RFC 6675 NextSeg() and send it: a lost hole, else new data, else any hole. */
  private sendNextSeg(nowNs: number): boolean {
    const highest = this.scoreboard.highest() ?? this.sndUna;
    // Holes below the highest SACKed byte; the tail above it is merely in flight.
    const holes = this.scoreboard.holes(this.sndUna, this.sndNxt, this.w.mss).filter((h) => seqLeq(h.end, highest));
    const pick = (lost: boolean) => {
      for (const h of holes) {
        if (lost && !h.lost) continue;
        const start = seqMax(h.start, this.highRxt);
        if (seqGeq(start, h.end)) continue;
        this.retransmitAt(start, nowNs, Math.min(this.w.mss, seqDiff(start, h.end)));
        return true;
      }
      return false;
    };
    return pick(true) || this.sendNewData(nowNs, false) || pick(false);
  }

  /** Retransmit up to one MSS from seq (data and/or FIN). */
  private retransmitAt(seq: number, nowNs: number, maxLen = this.w.mss): void {
    if (!CAN_SEND.has(this._state)) return;
    const avail = Math.max(0, seqDiff(seq, this.bufEnd));
    const len = Math.min(maxLen, avail);
    if (len === 0 && !(this.finQueued && seq === this.finSeq)) return;
    this.sendData(seq, len, nowNs);
    const end = seqAdd(seq, len);
    if (seqGt(end, this.highRxt)) this.highRxt = end;
  }

  /** Emit the data segment [seq, seq+len) (+FIN when it reaches finSeq); keeps SND.NXT/MAX and timers. */
  private sendData(seq: number, len: number, nowNs: number): void {
    const payload = this.sndBuf.peek(seqDiff(this.bufSeq, seq), len);
    let flags = ACK;
    let end = seqAdd(seq, len);
    if (this.finQueued && end === this.finSeq) {
      flags |= FIN;
      end = seqAdd(end, 1);
    }
    if (len > 0 && seqAdd(seq, len) === this.bufEnd) flags |= PSH;
    const isRetransmit = seqLt(seq, this.sndMax);
    if (isRetransmit) {
      if (seqGt(end, this.highRxt)) this.highRxt = end; // back in the pipe (RFC 6675 HighRxt)
      this.retransmits++;
      this.host.count("retransmits");
      this.timing = undefined; // Karn
    } else if (!this.timing && len > 0) {
      this.timing = { endSeq: end, sentNs: nowNs };
    }
    this.emit({ seq, flags, payload, nowNs });
    if (seqGt(end, this.sndNxt)) this.sndNxt = end;
    if (seqGt(end, this.sndMax)) this.sndMax = end;
    if (this.rtxAt === undefined) this.rtxAt = nowNs + this.rtt.rtoNs;
    this.persistAt = undefined;
    this.persistBackoff = 0;
  }

  private armPersistIfStuck(nowNs: number): void {
    const queued = seqDiff(this.sndNxt, this.bufEnd);
    if (queued <= 0 || this.inFlight() > 0 || seqLt(this.sndUna, this.sndMax) && this.sndWnd > 0) return;
    if (this.persistAt !== undefined) return;
    const interval = Math.min(this.rtt.rtoNs * 2 ** this.persistBackoff, this.cfg.maxRtoNs);
    this.persistAt = nowNs + interval;
    if (this.sndWnd === 0 && this.persistBackoff === 0) this.record(nowNs, "zero-window");
  }

  // --- ACKs and resets ---

  private sendAck(nowNs: number): void {
    this.emit({ seq: this.sndNxt, flags: ACK, payload: new Uint8Array(0), nowNs });
  }

  private challengeAck(nowNs: number): void {
    if (!this.host.challengeAckAllowed()) return;
    this.sendAck(nowNs);
  }

  private sendReset(seq: number): void {
    this.host.count("resetsSent");
    this.emit({ seq, flags: RST, payload: new Uint8Array(0), nowNs: this.host.now() });
  }

  private emit(s: { seq: number; flags: number; payload: Uint8Array; nowNs?: number; options?: TcpOptions; windowOverride?: number }): void {
    const nowNs = s.nowNs ?? this.host.now();
    const options: TcpOptions = s.options ?? {};
    const synchronized = !(s.flags & SYN) && (s.flags & ACK) !== 0;
    if (synchronized && this.tsOk) options.timestamp = { value: this.tsVal(nowNs), echo: this.tsRecent };
    if (synchronized && this.sackOk && this.rx.ooo.count > 0) options.sack = this.rx.sackBlocks(this.tsOk ? 3 : 4);
    let window = 0;
    if (s.windowOverride !== undefined) {
      window = s.windowOverride;
      if (s.flags & ACK) this.rx.advertisedUnscaled(window);
    } else if (!(s.flags & RST) || s.flags & ACK) {
      window = this.rx.advertise(this.w.mss);
    }
    const seg: TcpSegment = {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: s.seq,
      ack: s.flags & ACK ? this.rx.nxt : 0,
      flags: s.flags,
      window,
      urgent: 0,
      options,
      payload: s.payload,
    };
    if (s.flags & ACK) {
      this.delackAt = undefined;
      this.unackedBytes = 0;
    }
    this.segmentsSent++;
    this.host.count("segmentsOut");
    this.host.output(this.localIp, this.remoteIp, serializeSegment(this.localIp, this.remoteIp, seg));
  }

  private tsVal(nowNs: number): number {
    return Math.floor(nowNs / 1_000_000) >>> 0;
  }

  // ======================================================================
  // Timers
  // ======================================================================

  /** The earliest armed timer, or undefined. */
  nextTimerNs(): number | undefined {
    let t: number | undefined;
    for (const x of [this.rtxAt, this.delackAt, this.persistAt, this.closeAt]) {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    }
    return t;
  }

  /** Run the timers due at nowNs. */
  onTimer(nowNs: number): void {
    if (this.closeAt !== undefined && this.closeAt <= nowNs) {
      this.closeAt = undefined;
      if (this._state === "TIME-WAIT" || this._state === "FIN-WAIT-2") {
        this.enterClosed(0);
        return;
      }
    }
    if (this.delackAt !== undefined && this.delackAt <= nowNs) {
      this.delackAt = undefined;
      if (this._state !== "CLOSED") this.sendAck(nowNs);
    }
    if (this.rtxAt !== undefined && this.rtxAt <= nowNs) {
      this.rtxAt = undefined;
      this.onRetransmitTimeout(nowNs);
    }
    if (this.persistAt !== undefined && this.persistAt <= nowNs) {
      this.persistAt = undefined;
      this.onPersist(nowNs);
    }
  }

  private onRetransmitTimeout(nowNs: number): void {
    if (this._state === "SYN-SENT" || this._state === "SYN-RECEIVED") {
      this.rtxCount++;
      this.rtoExpirations++;
      if (this.rtxCount > this.cfg.synRetries) {
        if (!this.parent) this.host.count("failedConnects");
        this.enterClosed(this.parent ? 0 : TCP_ERR.TIMEOUT);
        return;
      }
      this.rtt.backoff();
      this.retransmits++;
      this.host.count("retransmits");
      this.sendSyn(nowNs);
      return;
    }
    if (!CAN_SEND.has(this._state) || seqGeq(this.sndUna, this.sndMax)) return;
    this.rtxCount++;
    this.rtoExpirations++;
    if (this.rtxCount > this.cfg.maxRetransmits) {
      this.emit({ seq: this.sndNxt, flags: RST | ACK, payload: new Uint8Array(0), nowNs });
      this.host.count("resetsSent");
      this.enterClosed(TCP_ERR.TIMEOUT);
      return;
    }
    // RFC 5681 (4) / RFC 6298 5.4-5.6: reduce once per loss episode, back off, go back to SND.UNA.
    if (this.rtxCount === 1) this.ctl.onRto(this.w, this.flightSize(), nowNs);
    else this.w.cwnd = this.w.mss;
    this.rtt.backoff();
    this.inRecovery = false;
    this.recover = this.sndMax;
    this.dupAcks = 0;
    // Keep SACK information through one timeout; a second in a row may mean the
    // peer reneged (RFC 2018 8), so forget it then.
    if (this.rtxCount >= 2) this.scoreboard.clear();
    this.sndNxt = this.sndUna;
    this.highRxt = this.sndUna;
    this.timing = undefined;
    this.record(nowNs, "rto");
    this.retransmitAt(this.sndUna, nowNs);
    this.rtxAt = nowNs + this.rtt.rtoNs;
  }

  private onPersist(nowNs: number): void {
    if (!CAN_SEND.has(this._state)) return;
    const queued = seqDiff(this.sndNxt, this.bufEnd);
    if (queued <= 0) return;
    if (this.sndWnd === 0) {
      // Zero-window probe: one byte of new data beyond the window (RFC 9293 3.8.6.1).
      const payload = this.sndBuf.peek(seqDiff(this.bufSeq, this.sndNxt), 1);
      this.emit({ seq: this.sndNxt, flags: ACK, payload, nowNs });
      const end = seqAdd(this.sndNxt, 1);
      if (seqGt(end, this.sndMax)) this.sndMax = end;
      this.persistBackoff++;
      const interval = Math.min(this.rtt.rtoNs * 2 ** this.persistBackoff, this.cfg.maxRtoNs);
      this.persistAt = nowNs + interval;
      return;
    }
    // A window too small for the sender-SWS rules and nothing in flight: send what fits.
    this.persistBackoff = 0;
    this.sendNewData(nowNs, true);
    this.trySend(nowNs);
  }

  // ======================================================================
  // Trace
  // ======================================================================

  private record(nowNs: number, event?: TcpTraceEvent): void {
    if (!this.traceRing) return;
    const s: TcpTraceSample = {
      tNs: nowNs,
      cwnd: Math.round(this.w.cwnd),
      ssthresh: Math.round(Math.min(this.w.ssthresh, TCP_INFINITE_SSTHRESH)),
      srttNs: Math.round(this.rtt.srttNs),
      rttvarNs: Math.round(this.rtt.rttvarNs),
      rtoNs: this.rtt.rtoNs,
      inFlight: this.inFlight(),
      retransmits: this.retransmits,
    };
    if (event) s.event = event;
    this.traceRing.push(s);
  }
}
