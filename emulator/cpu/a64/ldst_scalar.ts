// Loads and stores other than the Advanced SIMD structure forms (Arm ARM
// C4.1.66, op0 = x1x0): single registers (GPR and SIMD&FP) in every
// addressing mode, pairs, literal loads, prefetch, unprivileged forms,
// exclusives, load-acquire/store-release, and the FEAT_LSE atomics.
//
// Field map of the groups handled here (bit 26 = V, SIMD&FP register):
//
//   31 30 29    24 23 22 21 20  16 15 14  10 9   5 4   0
//  | size| 001000 |o2| L|o1|  Rs  |o0| Rt2  | Rn  | Rt  |  exclusive / ordered / CAS
//  | opc | 011 V00|         imm19                  | Rt  |  LDR (literal), PRFM (literal)
//  | opc | 101 V0 |mode| L|   imm7   |  Rt2  | Rn  | Rt  |  pairs; mode 00 LDNP/STNP,
//                                                          01 post, 10 offset, 11 pre
//  | size| 111 V01| opc |         imm12       | Rn  | Rt  |  unsigned scaled offset
//  | size| 111 V00| opc |0|   imm9   | ty  | Rn  | Rt  |  ty 00 LDUR, 01 post, 10 LDTR, 11 pre
//  | size| 111 V00| opc |1|  Rm |option|S|10| Rn  | Rt  |  register offset
//  | size| 111 000| A R |1|  Rs |o3| opc |00| Rn  | Rt  |  LSE atomics, SWP, LDAPR
//  | size| 011001 | opc |0|   imm9   | 00  | Rn  | Rt  |  LDAPUR/STLUR (FEAT_LRCPC2)
//
// Code generation: every access goes through the Mmu's split-address fast
// paths with the address expression inline
// (`x[3] = m.ld64((s64[0] = (x[1] + 16n), s32[0]), s32[1]);`). Address sums
// may leave [0, 2^64) (a negative offset, a wrap); the store into the
// BigUint64Array scratch reduces them modulo 2^64, so no masking is emitted. Loads land in the register
// file only after every access of the instruction has succeeded; writeback
// comes last, so a fault leaves every register unchanged (memory written by a
// faulting multi-part store may be partially updated, which the architecture
// permits; pairs crossing a page are probed first so even that cannot happen).
//
// CONSTRAINED UNPREDICTABLE cases follow qemu-aarch64 (checked against it):
//   - load with writeback and Rt (or Rt2) == Rn: the writeback value wins;
//   - store with writeback and Rt == Rn: the original Rn is stored;
//   - LDP/LDPSW (GPR) with Rt == Rt2: Rt's value (the first) wins;
//     LDP St/Dt/Qt and LDXP with Rt == Rt2: the second value wins;
//   - STXR/STXP with Rs == Rt or Rs == Rn: the original values are used.
//
// The exclusive monitor is this CPU's local monitor (c.exclusiveAddr holds
// the physical address, c.exclusiveSize the byte count); a store-exclusive
// succeeds only if LDXR marked the same PA and size, and always clears it.
// CPUs interleave in one JS thread, so LSE atomics are single-copy atomic
// by construction; they read, then write back (the old value when a CAS
// compare fails, so write permission is checked as the Arm ARM requires).
//
// Deliberately not handled (UNDEFINED) -- see UNHANDLED below.

import type { BlockBuilder } from "../builder.js";
import { bits, InsnPattern, pattern, sext, UnhandledPattern } from "./table.js";

/** Bytes moved by one register transfer. */
type Bytes = 1 | 2 | 4 | 8 | 16;

/** What one register of a load/store moves, decoded from size:V:opc. */
interface Transfer {
  /** SIMD&FP register (V = 1) rather than a general-purpose one. */
  fp: boolean;
  bytes: Bytes;
  load: boolean;
  /** GPR loads: sign-extend the loaded value. */
  signed: boolean;
  /** GPR sign-extending loads: to Xt (true) or Wt (false). */
  dst64: boolean;
}

const PRFM = "prfm" as const;

// --- Value and address expressions ----------------------------------------------

/** BigInt literal for a (possibly negative) JS integer. */
function big(v: number): string {
  return `${v}n`;
}

/** `base` + `off` as a BigInt expression, constant folded (also into a `(x[n] ± k)` base). */
function plus(base: string, off: number): string {
  const inner = /^\((x\[\d+\]|t\d+) ([+-]) (\d+)n\)$/.exec(base);
  if (inner) return plus(inner[1], off + (inner[2] === "+" ? 1 : -1) * Number(inner[3]));
  if (off === 0) return base;
  return off > 0 ? `(${base} + ${big(off)})` : `(${base} - ${big(-off)})`;
}

/** Mask of the low `bytes` bytes, as a BigInt literal. */
function maskLit(bytes: number): string {
  return bytes >= 8 ? "0xffffffffffffffffn" : `0x${((1n << BigInt(bytes * 8)) - 1n).toString(16)}n`;
}

/** Xr truncated to `bytes` bytes, unsigned BigInt ("0n" for XZR). */
function regBits(b: BlockBuilder, bytes: number, r: number): string {
  if (r === 31) return "0n";
  return bytes >= 8 ? `x[${r}]` : `BigInt.asUintN(${bytes * 8}, x[${r}])`;
}

// Accesses use the Mmu's split-address fast paths (m.ld64(lo, hi), ...): the
// address BigInt is reduced modulo 2^64 and split into uint32 halves through
// the CPU's scratch array (BlockBuilder.addrArgs), so no BigInt crosses the call.

/**
 * Load expression yielding a BigInt that a store into x[] turns into the
 * architectural result (a negative BigInt wraps to its 64-bit pattern).
 */
function gprLoadExpr(b: BlockBuilder, tr: Transfer, addr: string): string {
  const args = b.addrArgs(addr);
  switch (tr.bytes) {
    case 8:
      return `m.ld64(${args})`;
    case 4:
      return tr.signed ? `BigInt(m.ld32(${args}) | 0)` : `BigInt(m.ld32(${args}))`;
    default: {
      const w = tr.bytes * 8;
      const raw = `m.ld${w}(${args})`;
      if (!tr.signed) return `BigInt(${raw})`;
      const sh = 32 - w;
      // Sign-extend to 32 bits; to 64 via a negative BigInt, or keep W zero-extended.
      return tr.dst64 ? `BigInt((${raw} << ${sh}) >> ${sh})` : `BigInt(((${raw} << ${sh}) >> ${sh}) >>> 0)`;
    }
  }
}

/** Unsigned BigInt load of 1..8 bytes (for atomics and FP scalars). */
function loadBig(b: BlockBuilder, bytes: number, addr: string): string {
  const args = b.addrArgs(addr);
  return bytes === 8 ? `m.ld64(${args})` : `BigInt(m.ld${bytes * 8}(${args}))`;
}

/** Store statement for a BigInt value already truncated to `bytes` bytes. */
function storeBig(b: BlockBuilder, bytes: number, addr: string, value: string): string {
  const args = b.addrArgs(addr);
  // The value argument is evaluated after both address halves were read.
  return bytes === 8 ? `m.st64(${args}, ${value});` : `m.st${bytes * 8}(${args}, ${b.low32(value)});`;
}

/** Store statement of GPR t's low `bytes` bytes at `addr` (narrow stores truncate the low word). */
function gprStore(b: BlockBuilder, bytes: number, t: number, addr: string): string {
  const args = b.addrArgs(addr);
  if (bytes === 8) return `m.st64(${args}, ${b.x(t)});`;
  return `m.st${bytes * 8}(${args}, ${t === 31 ? "0" : b.low32(`x[${t}]`)});`;
}

/** Statements storing SIMD&FP register t's low `bytes` bytes at `addr` (a name or simple expression). */
function fpStore(b: BlockBuilder, bytes: Bytes, t: number, addr: string): string {
  const args = b.addrArgs(addr);
  switch (bytes) {
    case 1: return `m.st8(${args}, ${b.view("vb")}[${t * 16}]);`;
    case 2: return `m.st16(${args}, ${b.view("vh")}[${t * 8}]);`;
    case 4: return `m.st32(${args}, ${b.view("vw")}[${t * 4}]);`;
    case 8: return `m.st64(${args}, ${b.view("vd")}[${t * 2}]);`;
    case 16:
      return `m.st64(${args}, ${b.view("vd")}[${t * 2}]); m.st64(${b.addrArgs(plus(addr, 8))}, vd[${t * 2 + 1}]);`;
  }
}

/** Statements setting SIMD&FP register t to the BigInt `lo` (and `hi`), zeroing the rest. */
function fpSet(b: BlockBuilder, t: number, lo: string, hi = "0n"): string {
  const vd = b.view("vd");
  return `${vd}[${t * 2}] = ${lo}; ${vd}[${t * 2 + 1}] = ${hi};`;
}

/** Emit a Q load into Vt: both halves into temporaries first, so a fault changes nothing. */
function fpLoadQ(b: BlockBuilder, t: number, addr: string): void {
  const lo = temp(b, loadBig(b, 8, addr));
  const hi = temp(b, loadBig(b, 8, plus(addr, 8)));
  b.emit(fpSet(b, t, lo, hi));
}

/** Statement probing a store of `len` bytes at `a` (a name or simple expression) when it crosses a page. */
function probeCrossing(b: BlockBuilder, a: string, len: number): string {
  return `if ((${b.low32(a)} & 0xfff) > ${4096 - len}) m.probeWrite(BigInt.asUintN(64, ${a}), ${len});`;
}

/** Declare a temporary = expr, return its name (temporaries are block-level). */
function temp(b: BlockBuilder, expr: string): string {
  const t = b.tmp();
  b.emit(`const ${t} = ${expr};`);
  return t;
}

// --- Decoding size:V:opc ----------------------------------------------------------

/**
 * The transfer of a single-register load/store (Arm ARM C4.1.66 "Load/store
 * register" tables), PRFM for the prefetch slot, or undefined if unallocated.
 */
function singleTransfer(size: number, v: number, opc: number): Transfer | typeof PRFM | undefined {
  if (v) {
    if (opc & 2) {
      if (size !== 0) return undefined;
      return { fp: true, bytes: 16, load: (opc & 1) === 1, signed: false, dst64: false };
    }
    return { fp: true, bytes: (1 << size) as Bytes, load: (opc & 1) === 1, signed: false, dst64: false };
  }
  const bytes = (1 << size) as Bytes;
  switch (opc) {
    case 0: return { fp: false, bytes, load: false, signed: false, dst64: false };
    case 1: return { fp: false, bytes, load: true, signed: false, dst64: false };
    case 2:
      if (size === 3) return PRFM;
      return { fp: false, bytes, load: true, signed: true, dst64: true };
    default:
      if (size >= 2) return undefined;
      return { fp: false, bytes, load: true, signed: true, dst64: false };
  }
}

/** log2 of the transfer size: the scale of imm12 and of register offsets. */
function scaleOf(tr: Transfer): number {
  return Math.log2(tr.bytes);
}

// --- Single register: the common emitter ------------------------------------------

type Mode = "offset" | "pre" | "post";

/**
 * Emit one single-register transfer. `off` is the address offset: a number
 * (immediate) or a BigInt expression (register offset, never written back).
 * Pre-index accesses base+off and writes it back; post-index accesses base
 * and writes back base+off.
 */
function emitSingle(b: BlockBuilder, tr: Transfer, t: number, n: number, mode: Mode, off: number | string): void {
  const base = b.xOrSp(n);
  const offAddr = typeof off === "number" ? plus(base, off) : `(${base} + ${off})`;
  const addr = mode === "post" ? base : offAddr;
  const wb = mode !== "offset";
  b.beforeMemory();
  if (tr.fp) {
    if (!tr.load && tr.bytes === 16) b.emit(probeCrossing(b, addr, 16));
    if (!tr.load) b.emit(fpStore(b, tr.bytes, t, addr));
    else if (tr.bytes === 16) fpLoadQ(b, t, addr);
    else b.emit(fpSet(b, t, loadBig(b, tr.bytes, addr)));
  } else if (!tr.load) {
    b.emit(gprStore(b, tr.bytes, t, addr));
  } else {
    const e = gprLoadExpr(b, tr, addr);
    // Rt == Rn with writeback: the written-back address wins (as qemu).
    if (t === 31 || (wb && t === n)) b.emit(`${e};`);
    else b.emit(`x[${t}] = ${e};`);
  }
  if (wb) b.setXOrSp(n, offAddr);
}

// --- Emitters: single register -------------------------------------------------------

/** LDR/STR (immediate, unsigned offset), PRFM (immediate). */
function LDST_uimm(b: BlockBuilder, insn: number): boolean {
  const tr = singleTransfer(bits(insn, 30, 2), bits(insn, 26, 1), bits(insn, 22, 2));
  if (!tr) return false;
  if (tr === PRFM) return true; // a hint: never faults
  emitSingle(b, tr, bits(insn, 0, 5), bits(insn, 5, 5), "offset", bits(insn, 10, 12) << scaleOf(tr));
  return true;
}

/** LDUR/STUR, post-index, LDTR/STTR (unprivileged = normal at EL0), pre-index, PRFUM. */
function LDST_imm9(b: BlockBuilder, insn: number): boolean {
  const ty = bits(insn, 10, 2);
  const v = bits(insn, 26, 1);
  const tr = singleTransfer(bits(insn, 30, 2), v, bits(insn, 22, 2));
  if (!tr) return false;
  if (tr === PRFM) return ty === 0; // PRFUM; the other forms are unallocated
  if (ty === 2 && v) return false; // no unprivileged SIMD&FP forms
  const mode: Mode = ty === 1 ? "post" : ty === 3 ? "pre" : "offset";
  emitSingle(b, tr, bits(insn, 0, 5), bits(insn, 5, 5), mode, sext(bits(insn, 12, 9), 9));
  return true;
}

/** LDR/STR (register): Rm extended by option (UXTW, LSL, SXTW, SXTX), shifted by the size when S. */
function LDST_reg(b: BlockBuilder, insn: number): boolean {
  const option = bits(insn, 13, 3);
  if ((option & 2) === 0) return false; // option<1> = 0 is unallocated
  const tr = singleTransfer(bits(insn, 30, 2), bits(insn, 26, 1), bits(insn, 22, 2));
  if (!tr) return false;
  if (tr === PRFM) return true;
  const m = bits(insn, 16, 5);
  const shift = bits(insn, 12, 1) ? scaleOf(tr) : 0;
  let ext: string;
  if (m === 31) ext = "0n";
  else if (option === 0b010) ext = `BigInt.asUintN(32, x[${m}])`; // UXTW
  else if (option === 0b110) ext = `BigInt.asIntN(32, x[${m}])`; // SXTW
  // LSL/UXTX and SXTX: equal modulo 2^64; the signed view keeps a "negative"
  // offset's sum inside [0, 2^64), on the Mmu fast path.
  else ext = `xs[${m}]`;
  const off = shift && m !== 31 ? `(${ext} << ${shift}n)` : ext;
  emitSingle(b, tr, bits(insn, 0, 5), bits(insn, 5, 5), "offset", off);
  return true;
}

/** LDR (literal) W/X/S/D/Q, LDRSW (literal), PRFM (literal). */
function LDR_lit(b: BlockBuilder, insn: number): boolean {
  const opc = bits(insn, 30, 2);
  const v = bits(insn, 26, 1);
  const t = bits(insn, 0, 5);
  if (opc === 3) return v === 0; // PRFM (literal): a hint; V=1 is unallocated
  const addr = big(b.pc + sext(bits(insn, 5, 19), 19) * 4);
  let tr: Transfer;
  if (v) tr = { fp: true, bytes: (4 << opc) as Bytes, load: true, signed: false, dst64: false };
  else tr = { fp: false, bytes: opc === 1 ? 8 : 4, load: true, signed: opc === 2, dst64: true };
  b.beforeMemory();
  if (tr.fp) {
    if (tr.bytes === 16) fpLoadQ(b, t, addr);
    else b.emit(fpSet(b, t, loadBig(b, tr.bytes, addr)));
  } else {
    const e = gprLoadExpr(b, tr, addr);
    b.emit(t === 31 ? `${e};` : `x[${t}] = ${e};`);
  }
  return true;
}

// --- Pairs ---------------------------------------------------------------------------------

/** LDP/STP/LDPSW/LDNP/STNP, GPR and SIMD&FP, signed offset / pre / post. */
function LDST_pair(b: BlockBuilder, insn: number): boolean {
  const opc = bits(insn, 30, 2);
  const v = bits(insn, 26, 1);
  const mode = bits(insn, 23, 2); // 00 no-allocate, 01 post, 10 offset, 11 pre
  const load = bits(insn, 22, 1) === 1;
  const t = bits(insn, 0, 5);
  const n = bits(insn, 5, 5);
  const t2 = bits(insn, 10, 5);
  if (opc === 3) return false;
  let tr: Transfer;
  if (v) {
    tr = { fp: true, bytes: (4 << opc) as Bytes, load, signed: false, dst64: false };
  } else {
    if (opc === 1 && (!load || mode === 0)) return false; // STGP (FEAT_MTE); no LDNPSW
    tr = { fp: false, bytes: opc === 2 ? 8 : 4, load, signed: opc === 1, dst64: true };
  }
  const size = tr.bytes;
  const off = sext(bits(insn, 15, 7), 7) * size;
  const base = b.xOrSp(n);
  const wb = mode === 1 || mode === 3;
  b.beforeMemory();
  const a = mode === 1 || off === 0 ? base : temp(b, plus(base, off));
  const a2 = plus(a, size);
  if (!load) {
    b.emit(probeCrossing(b, a, 2 * size));
    if (tr.fp) {
      b.emit(fpStore(b, tr.bytes, t, a));
      b.emit(fpStore(b, tr.bytes, t2, a2));
    } else {
      b.emit(gprStore(b, size, t, a));
      b.emit(gprStore(b, size, t2, a2));
    }
  } else if (tr.fp) {
    if (size === 16) {
      const [l1, h1, l2, h2] = [0, 8, 16, 24].map((o) => temp(b, loadBig(b, 8, plus(a, o))));
      // Rt == Rt2: the second value wins (qemu), so Rt is written first.
      b.emit(fpSet(b, t, l1, h1));
      b.emit(fpSet(b, t2, l2, h2));
    } else {
      const v1 = temp(b, loadBig(b, size, a));
      const v2 = temp(b, loadBig(b, size, a2));
      b.emit(fpSet(b, t, v1)); // Rt == Rt2: the second value wins (qemu)
      b.emit(fpSet(b, t2, v2));
    }
  } else {
    const v1 = temp(b, gprLoadExpr(b, tr, a));
    const v2 = temp(b, gprLoadExpr(b, tr, a2));
    // Rt == Rt2: the first value wins; Rt/Rt2 == Rn with writeback: writeback wins.
    if (!(wb && t2 === n)) b.setX(t2, v2);
    if (!(wb && t === n)) b.setX(t, v1);
  }
  // Pre-index writes back the address already computed.
  if (wb) b.setXOrSp(n, mode === 3 ? a : plus(base, off));
  return true;
}

// --- Exclusives and ordered accesses ------------------------------------------------------

/** Alignment check of `addr` (a temp) to `bytes`: misaligned exclusives/ordered accesses fault. */
function checkAlign(b: BlockBuilder, addr: string, bytes: number, write: boolean): void {
  if (bytes > 1) b.emit(`if ((${b.low32(addr)} & ${bytes - 1}) !== 0) m.alignmentFault(${addr}, ${write});`);
}

/** LDXR/LDAXR (B/H/W/X): load and mark the PA in the local monitor. */
function LDXR(b: BlockBuilder, insn: number): boolean {
  const bytes = 1 << bits(insn, 30, 2);
  const t = bits(insn, 0, 5);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, bytes, false);
  const pa = temp(b, `m.translate(${a}, "read")`);
  const v = temp(b, loadBig(b, bytes, a));
  b.emit(`c.exclusiveAddr = ${pa}; c.exclusiveSize = ${bytes};`);
  b.setX(t, v);
  return true;
}

/** LDXP/LDAXP (W/X): load a pair, mark the whole 2*size bytes. */
function LDXP(b: BlockBuilder, insn: number): boolean {
  const size = insn >>> 30 === 3 ? 8 : 4;
  const t = bits(insn, 0, 5);
  const t2 = bits(insn, 10, 5);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, 2 * size, false);
  const pa = temp(b, `m.translate(${a}, "read")`);
  const v1 = temp(b, loadBig(b, size, a));
  const v2 = temp(b, loadBig(b, size, plus(a, size)));
  b.emit(`c.exclusiveAddr = ${pa}; c.exclusiveSize = ${2 * size};`);
  // Rt == Rt2: the second value wins (qemu).
  b.setX(t, v1);
  b.setX(t2, v2);
  return true;
}

/**
 * Shared tail of STXR/STXP: translate for write (faults first), test the
 * monitor, run `stores` on success, clear the monitor, set Ws = 0 / 1.
 */
function storeExclusive(b: BlockBuilder, a: string, bytes: number, s: number, stores: string[]): void {
  const pa = temp(b, `m.translate(${a}, "write")`);
  const ok = temp(b, `c.exclusiveAddr === ${pa} && c.exclusiveSize === ${bytes}`);
  b.emit(`if (${ok}) { ${stores.join(" ")} }`);
  b.emit("c.exclusiveAddr = -1;");
  b.setX(s, `(${ok} ? 0n : 1n)`);
}

/** STXR/STLXR (B/H/W/X). */
function STXR(b: BlockBuilder, insn: number): boolean {
  const bytes = 1 << bits(insn, 30, 2);
  const s = bits(insn, 16, 5);
  const t = bits(insn, 0, 5);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, bytes, true);
  // Read Rt before Ws is written (Rs == Rt stores the original value, as qemu).
  const v = temp(b, regBits(b, bytes, t));
  storeExclusive(b, a, bytes, s, [storeBig(b, bytes, a, v)]);
  return true;
}

/** STXP/STLXP (W/X). */
function STXP(b: BlockBuilder, insn: number): boolean {
  const size = insn >>> 30 === 3 ? 8 : 4;
  const s = bits(insn, 16, 5);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, 2 * size, true);
  const v1 = temp(b, regBits(b, size, bits(insn, 0, 5)));
  const v2 = temp(b, regBits(b, size, bits(insn, 10, 5)));
  storeExclusive(b, a, 2 * size, s, [storeBig(b, size, a, v1), storeBig(b, size, plus(a, size), v2)]);
  return true;
}

/** LDAR/LDLAR (B/H/W/X) and LDAPR: an aligned plain load (one thread: ordering is free). */
function emitLoadAcquire(b: BlockBuilder, insn: number): void {
  const bytes = 1 << bits(insn, 30, 2);
  const t = bits(insn, 0, 5);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, bytes, false);
  const e = loadBig(b, bytes, a);
  b.emit(t === 31 ? `${e};` : `x[${t}] = ${e};`);
}

function LDAR(b: BlockBuilder, insn: number): boolean {
  emitLoadAcquire(b, insn);
  return true;
}

/** STLR/STLLR (B/H/W/X): an aligned plain store. */
function STLR(b: BlockBuilder, insn: number): boolean {
  const bytes = 1 << bits(insn, 30, 2);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, bytes, true);
  b.emit(gprStore(b, bytes, bits(insn, 0, 5), a));
  return true;
}

/**
 * LDAPUR/LDAPURSB.../STLUR (FEAT_LRCPC2): LDUR/STUR with ordering, which one
 * thread gets for free; natural alignment is still required (no FEAT_LSE2).
 */
function LDAPUR(b: BlockBuilder, insn: number): boolean {
  const tr = singleTransfer(bits(insn, 30, 2), 0, bits(insn, 22, 2));
  if (!tr || tr === PRFM) return false;
  const t = bits(insn, 0, 5);
  b.beforeMemory();
  const a = temp(b, plus(b.xOrSp(bits(insn, 5, 5)), sext(bits(insn, 12, 9), 9)));
  checkAlign(b, a, tr.bytes, !tr.load);
  if (!tr.load) b.emit(gprStore(b, tr.bytes, t, a));
  else b.emit(t === 31 ? `${gprLoadExpr(b, tr, a)};` : `x[${t}] = ${gprLoadExpr(b, tr, a)};`);
  return true;
}

// --- LSE atomics ---------------------------------------------------------------------------

/** CAS/CASA/CASL/CASAL (B/H/W/X): Rs = old; memory = Rt if old == Rs. */
function CAS(b: BlockBuilder, insn: number): boolean {
  const bytes = 1 << bits(insn, 30, 2);
  const s = bits(insn, 16, 5);
  const t = bits(insn, 0, 5);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, bytes, true);
  const cmp = temp(b, regBits(b, bytes, s));
  const nv = temp(b, regBits(b, bytes, t));
  const old = temp(b, loadBig(b, bytes, a));
  // A failed compare writes the old value back: the Arm ARM checks CAS as a store either way.
  b.emit(storeBig(b, bytes, a, `(${old} === ${cmp} ? ${nv} : ${old})`));
  b.setX(s, old);
  return true;
}

/** CASP/CASPA/CASPL/CASPAL (W/X): compare-and-swap an even/odd register pair. */
function CASP(b: BlockBuilder, insn: number): boolean {
  const size = bits(insn, 30, 1) ? 8 : 4;
  const s = bits(insn, 16, 5);
  const t = bits(insn, 0, 5);
  if (s & 1 || t & 1) return false; // odd first register: UNDEFINED
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, 2 * size, true);
  const c1 = temp(b, regBits(b, size, s));
  const c2 = temp(b, regBits(b, size, s + 1));
  const n1 = temp(b, regBits(b, size, t));
  const n2 = temp(b, regBits(b, size, t + 1));
  const o1 = temp(b, loadBig(b, size, a));
  const o2 = temp(b, loadBig(b, size, plus(a, size)));
  const eq = temp(b, `${o1} === ${c1} && ${o2} === ${c2}`);
  b.emit(storeBig(b, size, a, `(${eq} ? ${n1} : ${o1})`));
  b.emit(storeBig(b, size, plus(a, size), `(${eq} ? ${n2} : ${o2})`));
  b.setX(s, o1);
  b.setX(s + 1, o2);
  return true;
}

/**
 * LD<op> (ADD, CLR, EOR, SET, SMAX, SMIN, UMAX, UMIN), SWP, and LDAPR, all
 * sizes and orderings; ST<op> is LD<op> with Rt = XZR.
 */
function ATOMIC(b: BlockBuilder, insn: number): boolean {
  const o3 = bits(insn, 15, 1);
  const opc = bits(insn, 12, 3);
  const s = bits(insn, 16, 5);
  if (o3) {
    if (opc === 0b100 && bits(insn, 22, 2) === 0b10 && s === 31) {
      emitLoadAcquire(b, insn); // LDAPR (FEAT_LRCPC)
      return true;
    }
    if (opc !== 0) return false; // LD64B/ST64B, RCpc3, ... not implemented
  }
  const bytes = 1 << bits(insn, 30, 2);
  const t = bits(insn, 0, 5);
  b.beforeMemory();
  const a = temp(b, b.xOrSp(bits(insn, 5, 5)));
  checkAlign(b, a, bytes, true);
  const sv = temp(b, regBits(b, bytes, s));
  const old = temp(b, loadBig(b, bytes, a));
  const top = `0x${(1n << BigInt(bytes * 8 - 1)).toString(16)}n`;
  // Signed order = unsigned order with the sign bit flipped.
  const sgn = (v: string) => `(${v} ^ ${top})`;
  let r: string;
  if (o3) r = sv; // SWP
  else {
    switch (opc) {
      case 0: r = `BigInt.asUintN(${bytes * 8}, ${old} + ${sv})`; break; // ADD
      case 1: r = `(${old} & (${sv} ^ ${maskLit(bytes)}))`; break; // CLR
      case 2: r = `(${old} ^ ${sv})`; break; // EOR
      case 3: r = `(${old} | ${sv})`; break; // SET
      case 4: r = `(${sgn(old)} >= ${sgn(sv)} ? ${old} : ${sv})`; break; // SMAX
      case 5: r = `(${sgn(old)} <= ${sgn(sv)} ? ${old} : ${sv})`; break; // SMIN
      case 6: r = `(${old} >= ${sv} ? ${old} : ${sv})`; break; // UMAX
      default: r = `(${old} <= ${sv} ? ${old} : ${sv})`; break; // UMIN
    }
  }
  b.emit(storeBig(b, bytes, a, r));
  b.setX(t, old);
  return true;
}

// --- The table -----------------------------------------------------------------------------

export const LDST_SCALAR: InsnPattern[] = [
  // Exclusive / ordered / compare-and-swap: size 001000 o2 L o1 Rs o0 Rt2 Rn Rt.
  pattern("STXR", "xx 001000 0 0 0 xxxxx x xxxxx xxxxx xxxxx", STXR), // incl. STLXR
  pattern("LDXR", "xx 001000 0 1 0 xxxxx x xxxxx xxxxx xxxxx", LDXR), // incl. LDAXR
  pattern("STXP", "1x 001000 0 0 1 xxxxx x xxxxx xxxxx xxxxx", STXP), // incl. STLXP
  pattern("LDXP", "1x 001000 0 1 1 xxxxx x xxxxx xxxxx xxxxx", LDXP), // incl. LDAXP
  pattern("CASP", "0x 001000 0 x 1 xxxxx x 11111 xxxxx xxxxx", CASP),
  pattern("STLR", "xx 001000 1 0 0 xxxxx x xxxxx xxxxx xxxxx", STLR), // incl. STLLR
  pattern("LDAR", "xx 001000 1 1 0 xxxxx x xxxxx xxxxx xxxxx", LDAR), // incl. LDLAR
  pattern("CAS", "xx 001000 1 x 1 xxxxx x 11111 xxxxx xxxxx", CAS),
  pattern("LDAPUR", "xx 011001 xx 0 xxxxxxxxx 00 xxxxx xxxxx", LDAPUR), // incl. STLUR, LDAPURS*
  // Literal.
  pattern("LDR_lit", "xx 011 x 00 xxxxxxxxxxxxxxxxxxx xxxxx", LDR_lit),
  // Pairs.
  pattern("LDST_pair", "xx 101 x 0 xx x xxxxxxx xxxxx xxxxx xxxxx", LDST_pair),
  // Single register.
  pattern("LDST_uimm", "xx 111 x 01 xx xxxxxxxxxxxx xxxxx xxxxx", LDST_uimm),
  pattern("ATOMIC", "xx 111 0 00 xx 1 xxxxx x xxx 00 xxxxx xxxxx", ATOMIC),
  pattern("LDST_reg", "xx 111 x 00 xx 1 xxxxx xxx x 10 xxxxx xxxxx", LDST_reg),
  pattern("LDST_imm9", "xx 111 x 00 xx 0 xxxxxxxxx xx xxxxx xxxxx", LDST_imm9),
];

function unhandled(name: string, bitsStr: string, reason: string): UnhandledPattern {
  const p = pattern(name, bitsStr, () => false);
  return { name, mask: p.mask, value: p.value, reason };
}

/** Encodings of this group left UNDEFINED on purpose. */
export const LDST_SCALAR_UNHANDLED: UnhandledPattern[] = [
  unhandled("LDRAA/LDRAB", "11 111 0 00 x x 1 xxxxxxxxx x 1 xxxxx xxxxx", "pointer authentication (FEAT_PAuth) not implemented"),
  unhandled("STGP", "01 101 0 0 xx 0 xxxxxxx xxxxx xxxxx xxxxx", "memory tagging (FEAT_MTE) not implemented"),
  unhandled("MTE tags", "11 011001 xx 1 xxxxxxxxx xx xxxxx xxxxx", "memory tagging (FEAT_MTE) not implemented"),
  unhandled("ST64B/ST64BV", "11 111 0 00 0 0 1 xxxxx 1 0x1 00 xxxxx xxxxx", "FEAT_LS64 not implemented"),
  unhandled("ST64BV0", "11 111 0 00 0 0 1 xxxxx 1 010 00 xxxxx xxxxx", "FEAT_LS64 not implemented"),
  unhandled("LD64B", "11 111 0 00 0 0 1 11111 1 101 00 xxxxx xxxxx", "FEAT_LS64 not implemented"),
];
