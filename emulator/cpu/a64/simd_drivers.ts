// Lane loops shared by the integer Advanced SIMD emitters. Generated code
// calls these as helpers with constant register numbers and sizes; each one
// builds its result in the scratch register and commits it at the end, so
// a destination that is also a source reads the old value throughout.
//
// Parameters used throughout:
//   esz    log2 of the (source) element size in bytes
//   bytes  width of the operation: 8 (D form), 16 (Q form), or the element
//          size for a scalar instruction (the rest of Vd is zeroed)
//   signed whether lanes are read as signed (the U bit clear)
//   part   for the "2" forms (Q = 1) of widening/narrowing: which 64-bit half

import type { CpuState } from "../state.js";
import type { LaneOp, UnaryOp } from "./simd_ops.js";
import { clearScratch, commit, get, get64, getBig, getU, put, put64, sat, sat64, sd } from "./simd_lanes.js";

/** Vd[i] = op(Vn[i], Vm[mIdx < 0 ? i : mIdx], Vd[i]) for every lane (three-same and by-element). */
export function same3(c: CpuState, op: LaneOp, esz: number, bytes: number, signed: boolean, d: number, n: number, m: number, mIdx: number): void {
  clearScratch();
  const lanes = bytes >> esz;
  if (esz === 3) {
    for (let i = 0; i < lanes; i++) {
      put64(i, op.b(get64(c, n, i, signed), get64(c, m, mIdx < 0 ? i : mIdx, signed), c.vd[2 * d + i], signed));
    }
  } else {
    const bits = 8 << esz;
    for (let i = 0; i < lanes; i++) {
      put(i, esz, op.n(get(c, n, i, esz, signed), get(c, m, mIdx < 0 ? i : mIdx, esz, signed), bits, getU(c, d, i, esz), signed));
    }
  }
  commit(c, d, bytes);
}

/** Pairwise: lane i = op(x[2i], x[2i+1]) over the concatenation Vm:Vn (Vn low). */
export function pair3(c: CpuState, op: LaneOp, esz: number, bytes: number, signed: boolean, d: number, n: number, m: number): void {
  clearScratch();
  const lanes = bytes >> esz;
  const src = (j: number) => (j < lanes ? n : m);
  const idx = (j: number) => (j < lanes ? j : j - lanes);
  if (esz === 3) {
    for (let i = 0; i < lanes; i++) {
      const j = 2 * i;
      put64(i, op.b(get64(c, src(j), idx(j), signed), get64(c, src(j + 1), idx(j + 1), signed), 0n, signed));
    }
  } else {
    const bits = 8 << esz;
    for (let i = 0; i < lanes; i++) {
      const j = 2 * i;
      put(i, esz, op.n(get(c, src(j), idx(j), esz, signed), get(c, src(j + 1), idx(j + 1), esz, signed), bits, 0, signed));
    }
  }
  commit(c, d, bytes);
}

/** Vd[i] = op(Vn[i], Vd[i]) (two-register misc). */
export function misc2(c: CpuState, op: UnaryOp, esz: number, bytes: number, signed: boolean, d: number, n: number): void {
  clearScratch();
  const lanes = bytes >> esz;
  if (esz === 3) {
    for (let i = 0; i < lanes; i++) put64(i, op.b(get64(c, n, i, signed), c.vd[2 * d + i], signed));
  } else {
    const bits = 8 << esz;
    for (let i = 0; i < lanes; i++) put(i, esz, op.n(get(c, n, i, esz, signed), bits, getU(c, d, i, esz), signed));
  }
  commit(c, d, bytes);
}

/**
 * Widening three-different ops (SADDL, SMULL, SMLAL, SADDW, ...): 64 bits of
 * source lanes from half `part` become 128 bits of double-width lanes.
 * `wideN`: Vn is already double width (the ...W forms). `mIdx` >= 0 takes
 * Vm's element mIdx for every lane (by-element forms). `scalar`: one lane,
 * the rest of Vd cleared (SQDMULL Sd, Hn, Hm ...).
 */
export function long3(c: CpuState, op: LaneOp, esz: number, part: number, signed: boolean, d: number, n: number, m: number, wideN: boolean, mIdx: number, scalar = false): void {
  clearScratch();
  const lanes = scalar ? 1 : 8 >> esz;
  const base = part * lanes;
  const dsz = esz + 1;
  for (let i = 0; i < lanes; i++) {
    const mi = mIdx < 0 ? base + i : mIdx;
    if (dsz === 3) {
      const a = wideN ? get64(c, n, i, signed) : getBig(c, n, base + i, esz, signed);
      put64(i, op.b(a, getBig(c, m, mi, esz, signed), c.vd[2 * d + i], signed));
    } else {
      const a = wideN ? get(c, n, i, dsz, signed) : get(c, n, base + i, esz, signed);
      put(i, dsz, op.n(a, get(c, m, mi, esz, signed), 16 << esz, getU(c, d, i, dsz), signed));
    }
  }
  commit(c, d, scalar ? 2 << esz : 16);
}

/** Saturation of a narrowing op: none (truncate), to the signed range, to the unsigned range. */
export const enum NarrowSat {
  None = 0,
  Signed = 1,
  Unsigned = 2,
}

/**
 * Narrowing (XTN, SQXTN, SHRN, RSHRN, SQSHRN, ...): each double-width lane
 * of Vn, shifted right by `shift` (rounded if `round`), then truncated or
 * saturated, lands in half `part` of Vd; part 1 keeps Vd's low half.
 * `esz` is the destination element size; `lanes` is 1 for the scalar forms.
 */
export function narrow(c: CpuState, esz: number, part: number, srcSigned: boolean, d: number, n: number, shift: number, round: boolean, mode: NarrowSat, lanes: number): void {
  const keepLow = part === 1 ? c.vd[2 * d] : 0n;
  clearScratch();
  sd[0] = keepLow;
  const base = part * (8 >> esz);
  const bits = 8 << esz;
  for (let i = 0; i < lanes; i++) {
    if (esz === 2) {
      let v = get64(c, n, i, srcSigned);
      if (shift > 0) v = round ? (v + (1n << BigInt(shift - 1))) >> BigInt(shift) : v >> BigInt(shift);
      if (mode !== NarrowSat.None) v = sat64(v, 32, mode === NarrowSat.Signed);
      put(base + i, 2, Number(BigInt.asUintN(32, v)));
    } else {
      let v = get(c, n, i, esz + 1, srcSigned);
      if (shift > 0) v = Math.floor(round ? (v + 2 ** (shift - 1)) / 2 ** shift : v / 2 ** shift);
      if (mode !== NarrowSat.None) v = sat(v, bits, mode === NarrowSat.Signed);
      put(base + i, esz, v);
    }
  }
  commit(c, d, part === 1 ? 16 : 8);
}

/**
 * ADDHN/SUBHN (and RADDHN/RSUBHN when `round`): the high half of each
 * double-width Vn[i] +/- Vm[i] lands in half `part` of Vd (esz = narrow size).
 */
export function narrowHigh(c: CpuState, esz: number, part: number, d: number, n: number, m: number, sub: boolean, round: boolean): void {
  const keepLow = part === 1 ? c.vd[2 * d] : 0n;
  clearScratch();
  sd[0] = keepLow;
  const lanes = 8 >> esz;
  const bits = 8 << esz;
  for (let i = 0; i < lanes; i++) {
    if (esz === 2) {
      const a = get64(c, n, i, false), b = get64(c, m, i, false);
      const v = BigInt.asUintN(64, sub ? a - b : a + b) + (round ? 1n << 31n : 0n);
      put(part * lanes + i, 2, Number((v >> 32n) & 0xffffffffn));
    } else {
      const a = getU(c, n, i, esz + 1), b = getU(c, m, i, esz + 1);
      const wide = 2 ** (2 * bits);
      const v = (((sub ? a - b : a + b) % wide) + wide) % wide + (round ? 2 ** (bits - 1) : 0);
      put(part * lanes + i, esz, Math.floor(v / 2 ** bits));
    }
  }
  commit(c, d, part === 1 ? 16 : 8);
}

/** Across-lanes reductions (Arm ARM C4.1.95, "Advanced SIMD across lanes"). */
export const enum Across {
  AddV = 0,
  MaxV = 1,
  MinV = 2,
  AddLV = 3,
}

/** Reduce all lanes of Vn into element 0 of Vd (rest zeroed). Lanes are at most 32 bits. */
export function across(c: CpuState, kind: Across, esz: number, bytes: number, signed: boolean, d: number, n: number): void {
  const lanes = bytes >> esz;
  let acc = get(c, n, 0, esz, signed);
  for (let i = 1; i < lanes; i++) {
    const v = get(c, n, i, esz, signed);
    if (kind === Across.MaxV) acc = v > acc ? v : acc;
    else if (kind === Across.MinV) acc = v < acc ? v : acc;
    else acc += v;
  }
  clearScratch();
  if (kind === Across.AddLV) {
    if (esz === 2) put64(0, BigInt(acc));
    else put(0, esz + 1, acc);
  } else {
    put(0, esz, acc);
  }
  commit(c, d, 8);
}

/** SADDLP/UADDLP/SADALP/UADALP: adjacent pairs summed into double-width lanes. */
export function pairLong(c: CpuState, esz: number, bytes: number, signed: boolean, accumulate: boolean, d: number, n: number): void {
  clearScratch();
  const lanes = bytes >> (esz + 1);
  for (let i = 0; i < lanes; i++) {
    const s = get(c, n, 2 * i, esz, signed) + get(c, n, 2 * i + 1, esz, signed);
    if (esz === 2) put64(i, BigInt(s) + (accumulate ? c.vd[2 * d + i] : 0n));
    else put(i, esz + 1, s + (accumulate ? getU(c, d, i, esz + 1) : 0));
  }
  commit(c, d, bytes);
}

/** Shift-by-immediate kinds ("Advanced SIMD shift by immediate" opcodes). */
export const enum ShiftImm {
  Shr = 0,
  Sra = 1,
  Rshr = 2,
  Rsra = 3,
  Shl = 4,
  Sli = 5,
  Sri = 6,
  Qshl = 7,
  Qshlu = 8,
}

function shiftLane(kind: ShiftImm, v: number, acc: number, s: number, bits: number, signed: boolean): number {
  const p = 2 ** s;
  const lsh = () => (bits === 32 ? (v << s) >>> 0 : (v * p) % 2 ** bits);
  switch (kind) {
    case ShiftImm.Shr: return Math.floor(v / p);
    case ShiftImm.Sra: return acc + Math.floor(v / p);
    case ShiftImm.Rshr: return Math.floor((v + p / 2) / p);
    case ShiftImm.Rsra: return acc + Math.floor((v + p / 2) / p);
    case ShiftImm.Shl: return lsh();
    case ShiftImm.Sli: return lsh() + (acc % p);
    case ShiftImm.Sri: return s === bits ? acc : Math.floor(v / p) + (acc - (acc % 2 ** (bits - s)));
    case ShiftImm.Qshl: return sat(v * p, bits, signed);
    case ShiftImm.Qshlu: return sat(v * p, bits, false);
  }
}

function shiftLane64(kind: ShiftImm, v: bigint, acc: bigint, s: number, signed: boolean): bigint {
  const sb = BigInt(s);
  const half = s > 0 ? 1n << (sb - 1n) : 0n;
  const low = (1n << sb) - 1n;
  switch (kind) {
    case ShiftImm.Shr: return v >> sb;
    case ShiftImm.Sra: return acc + (v >> sb);
    case ShiftImm.Rshr: return (v + half) >> sb;
    case ShiftImm.Rsra: return acc + ((v + half) >> sb);
    case ShiftImm.Shl: return v << sb;
    case ShiftImm.Sli: return BigInt.asUintN(64, v << sb) | (acc & low);
    case ShiftImm.Sri: return s === 64 ? acc : (v >> sb) | (acc & ~(0xffffffffffffffffn >> sb));
    case ShiftImm.Qshl: return sat64(v << sb, 64, signed);
    case ShiftImm.Qshlu: return sat64(v << sb, 64, false);
  }
}

/** Same-width shift by immediate: Vd[i] = kind(Vn[i], Vd[i], shift). */
export function shiftImm(c: CpuState, kind: ShiftImm, esz: number, bytes: number, signed: boolean, d: number, n: number, shift: number): void {
  clearScratch();
  const lanes = bytes >> esz;
  if (esz === 3) {
    for (let i = 0; i < lanes; i++) put64(i, shiftLane64(kind, get64(c, n, i, signed), c.vd[2 * d + i], shift, signed));
  } else {
    const bits = 8 << esz;
    for (let i = 0; i < lanes; i++) put(i, esz, shiftLane(kind, get(c, n, i, esz, signed), getU(c, d, i, esz), shift, bits, signed));
  }
  commit(c, d, bytes);
}

/** SSHLL/USHLL (SXTL/UXTL when shift = 0) and SHLL: widen half `part` of Vn, then shift left. */
export function widenShift(c: CpuState, esz: number, part: number, signed: boolean, d: number, n: number, shift: number): void {
  clearScratch();
  const lanes = 8 >> esz;
  for (let i = 0; i < lanes; i++) {
    if (esz === 2) put64(i, getBig(c, n, part * lanes + i, 2, signed) << BigInt(shift));
    else put(i, esz + 1, get(c, n, part * lanes + i, esz, signed) * 2 ** shift);
  }
  commit(c, d, 16);
}

/** REV16/REV32/REV64: reverse `esz` elements inside each container of `contBytes`. */
export function rev(c: CpuState, esz: number, contBytes: number, bytes: number, d: number, n: number): void {
  clearScratch();
  const lanes = bytes >> esz;
  const flip = (contBytes >> esz) - 1;
  for (let i = 0; i < lanes; i++) put(i ^ flip, esz, getU(c, n, i, esz));
  commit(c, d, bytes);
}
