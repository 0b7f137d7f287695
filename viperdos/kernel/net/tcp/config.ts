// Resolved settings of a stack / connection: TcpStackOptions with every
// default filled in and every value checked into a sane range.

import type { CongestionControlName, TcpStackOptions } from "./api.js";

const MS = 1_000_000;
const S = 1_000_000_000;

export interface TcpConfig {
  cc: CongestionControlName;
  nodelay: boolean;
  sndBuf: number;
  rcvBuf: number;
  trace: boolean;
  mss: number;
  windowScaling: boolean;
  sack: boolean;
  timestamps: boolean;
  initialCwndSegments: number | undefined;
  mslNs: number;
  minRtoNs: number;
  maxRtoNs: number;
  initialRtoNs: number;
  delayedAckNs: number;
  synRetries: number;
  maxRetransmits: number;
  synBacklogLimit: number;
  traceCapacity: number;
  reassemblyLimit: number;
  challengeAckLimit: number;
  synCookies: boolean;
}

function num(v: number | undefined, dflt: number, lo: number, hi: number): number {
  if (v === undefined || !Number.isFinite(v)) return dflt;
  return Math.max(lo, Math.min(hi, Math.floor(v)));
}

/** Fill defaults and clamp every field (never throws). */
export function resolveConfig(o: TcpStackOptions = {}, base?: TcpConfig): TcpConfig {
  const b = base;
  const minRtoNs = num(o.minRtoNs, b?.minRtoNs ?? 200 * MS, 1 * MS, 60 * S);
  const maxRtoNs = num(o.maxRtoNs, b?.maxRtoNs ?? 60 * S, minRtoNs, 600 * S);
  return {
    cc: o.cc === "cubic" || o.cc === "newreno" ? o.cc : b?.cc ?? "newreno",
    nodelay: o.nodelay ?? b?.nodelay ?? false,
    sndBuf: num(o.sndBuf, b?.sndBuf ?? 256 * 1024, 1024, 64 * 1024 * 1024),
    rcvBuf: num(o.rcvBuf, b?.rcvBuf ?? 256 * 1024, 1024, 64 * 1024 * 1024),
    trace: o.trace ?? o.traceEnabled ?? b?.trace ?? true,
    mss: num(o.mss, b?.mss ?? 1460, 64, 65495),
    windowScaling: o.windowScaling ?? b?.windowScaling ?? true,
    sack: o.sack ?? b?.sack ?? true,
    timestamps: o.timestamps ?? b?.timestamps ?? false,
    initialCwndSegments: o.initialCwndSegments !== undefined ? num(o.initialCwndSegments, 10, 1, 100) : b?.initialCwndSegments,
    mslNs: num(o.mslNs, b?.mslNs ?? 30 * S, 0, 600 * S),
    minRtoNs,
    maxRtoNs,
    initialRtoNs: num(o.initialRtoNs, b?.initialRtoNs ?? 1 * S, minRtoNs, maxRtoNs),
    delayedAckNs: num(o.delayedAckNs, b?.delayedAckNs ?? 40 * MS, 0, 200 * MS),
    synRetries: num(o.synRetries, b?.synRetries ?? 6, 0, 20),
    maxRetransmits: num(o.maxRetransmits, b?.maxRetransmits ?? 12, 1, 30),
    synBacklogLimit: num(o.synBacklogLimit, b?.synBacklogLimit ?? 256, 1, 65536),
    traceCapacity: num(o.traceCapacity, b?.traceCapacity ?? 4096, 1, 1 << 20),
    reassemblyLimit: num(o.reassemblyLimit, b?.reassemblyLimit ?? 256, 1, 65536),
    synCookies: o.synCookies ?? b?.synCookies ?? true,
    challengeAckLimit: num(o.challengeAckLimit, b?.challengeAckLimit ?? 1000, 1, 1_000_000),
  };
}

/** A connection's config: the stack's with per-connection overrides. */
export function connConfig(stack: TcpConfig, o: { cc?: string; nodelay?: boolean; sndBuf?: number; rcvBuf?: number; trace?: boolean } = {}): TcpConfig {
  return resolveConfig({
    cc: o.cc === "cubic" || o.cc === "newreno" ? o.cc : undefined,
    nodelay: o.nodelay,
    sndBuf: o.sndBuf,
    rcvBuf: o.rcvBuf,
    trace: o.trace,
  }, stack);
}
