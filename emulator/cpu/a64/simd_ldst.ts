// Advanced SIMD load/store structures (Arm ARM C4.1.66, C7.2 LD1..ST4):
// multiple structures (LD1-LD4/ST1-ST4), single structure to one lane, and
// load-and-replicate (LD1R-LD4R), each with an optional post-index by an
// immediate (Rm = 31: the number of bytes transferred) or by Xm.
//
// A fault leaves memory and registers as they were: loads read all their
// bytes into a buffer before writing any register, and a store that crosses
// a page probes both pages first. Memory is read/written in address order
// through the buffer and (de)interleaved.

import type { BlockBuilder } from "../builder.js";
import type { Mmu } from "../../mmu/mmu.js";
import type { CpuState } from "../state.js";
import { bits, InsnPattern, pattern } from "./table.js";

const buf = new ArrayBuffer(64);
const buf8 = new Uint8Array(buf);
const buf64 = new BigUint64Array(buf);

const BUF_VIEWS = [buf8, new Uint16Array(buf), new Uint32Array(buf), buf64];

/** Any of the typed views (element i read and written as the view's own type). */
type LaneView = { [i: number]: number | bigint };


/**
 * Read `len` bytes (a multiple of 8, or fewer than 8) at va into buf, in
 * address order. (An access that runs past 2^64 is not wrapped: such
 * addresses are outside every translation regime and fault.)
 */
function readBytes(m: Mmu, va: bigint, len: number): void {
  let a = va;
  if (len % 8 === 0) {
    for (let k = 0; k < len / 8; k++, a += 8n) buf64[k] = m.r64(a);
  } else {
    for (let k = 0; k < len; k++, a += 1n) buf8[k] = m.r8(a);
  }
}

/** Write `len` bytes of buf to va. */
function writeBytes(m: Mmu, va: bigint, len: number): void {
  let a = va;
  if (len % 8 === 0) {
    for (let k = 0; k < len / 8; k++, a += 8n) m.w64(a, buf64[k]);
  } else {
    for (let k = 0; k < len; k++, a += 1n) m.w8(a, buf8[k]);
  }
}

/**
 * Make a store of `len` bytes at va all-or-nothing. Within one page the
 * first write faults if any would (same page, same permissions), so only a
 * page-crossing store needs an explicit probe of both pages. Loads need
 * none: they read everything into `buf` before any register changes.
 */
function probeStore(m: Mmu, va: bigint, len: number): void {
  if (Number(va & 0xfffn) + len > 0x1000) m.probeWrite(va, len);
}

/**
 * LD1-4/ST1-4 (multiple structures). `rpt` registers groups of `selem`
 * interleaved elements of 1 << esz bytes; `bytes` = 8 (D) or 16 (Q) per
 * register. Element e of structure member s in repetition r sits at
 * ((r * elements + e) * selem + s) << esz bytes from va, in V(t + r + s).
 */
export function ldstMulti(c: CpuState, m: Mmu, va: bigint, t: number, rpt: number, selem: number, esz: number, bytes: number, load: boolean): void {
  const total = rpt * selem * bytes;
  const elements = bytes >> esz;
  if (load) readBytes(m, va, total);
  else probeStore(m, va, total);
  if (selem === 1) {
    // LD1/ST1: each register is `bytes` consecutive bytes; copy 64 bits at a time.
    const halves = bytes / 8;
    for (let r = 0; r < rpt; r++) {
      const reg = (t + r) & 31;
      for (let h = 0; h < halves; h++) {
        if (load) c.vd[2 * reg + h] = buf64[r * halves + h];
        else buf64[r * halves + h] = c.vd[2 * reg + h];
      }
      if (load && halves === 1) c.vd[2 * reg + 1] = 0n;
    }
    if (!load) writeBytes(m, va, total);
    return;
  }
  // Copy whole elements through same-sized views of the register file and the buffer.
  const cv: LaneView = [c.vb, c.vh, c.vw, c.vd][esz];
  const bv: LaneView = BUF_VIEWS[esz];
  const per = 16 >> esz;
  for (let r = 0; r < rpt; r++) {
    for (let s = 0; s < selem; s++) {
      const reg = (t + r + s) & 31;
      for (let e = 0; e < elements; e++) {
        const off = (r * elements + e) * selem + s;
        if (load) cv[reg * per + e] = bv[off];
        else bv[off] = cv[reg * per + e];
      }
      if (load && bytes === 8) c.vd[2 * reg + 1] = 0n;
    }
  }
  if (!load) writeBytes(m, va, total);
}

/**
 * Single structure: lane `index` of V(t..t+selem-1) from/to consecutive
 * elements at va; with `replicate`, each loaded element fills every lane of
 * its register (LDnR; `bytes` 8 zeroes the upper half).
 */
export function ldstSingle(c: CpuState, m: Mmu, va: bigint, t: number, selem: number, esz: number, index: number, replicate: boolean, bytes: number, load: boolean): void {
  const eb = 1 << esz;
  const total = selem * eb;
  if (load) readBytes(m, va, total);
  else probeStore(m, va, total);
  for (let s = 0; s < selem; s++) {
    const reg = (t + s) & 31;
    if (load && replicate) {
      for (let lane = 0; lane < bytes >> esz; lane++) {
        for (let k = 0; k < eb; k++) c.vb[16 * reg + lane * eb + k] = buf8[s * eb + k];
      }
      if (bytes === 8) c.vd[2 * reg + 1] = 0n;
    } else {
      for (let k = 0; k < eb; k++) {
        if (load) c.vb[16 * reg + index * eb + k] = buf8[s * eb + k];
        else buf8[s * eb + k] = c.vb[16 * reg + index * eb + k];
      }
    }
  }
  if (!load) writeBytes(m, va, total);
}

/** Emit the access and, for post-indexed forms, the base writeback. */
function emitAccess(b: BlockBuilder, insn: number, post: boolean, total: number, helperCall: (va: string) => string): void {
  const rn = bits(insn, 5, 5), rm = bits(insn, 16, 5);
  b.beforeMemory();
  const va = b.tmp("va");
  b.emit(`const ${va} = ${b.xOrSp(rn)};`);
  b.emit(helperCall(va) + ";");
  if (post) b.setXOrSp(rn, rm === 31 ? `${va} + ${total}n` : `${va} + ${b.x(rm)}`);
}

//  31 30 29     23 22 21    16 15    12 11  10 9   5 4   0
//  |0| Q|0 0 1 1 0 0 P| L| 0 | Rm/0  | opcode | size |  Rn |  Rt |
const MULTI_LAYOUT: Record<number, [rpt: number, selem: number]> = {
  0b0000: [1, 4],
  0b0010: [4, 1],
  0b0100: [1, 3],
  0b0110: [3, 1],
  0b0111: [1, 1],
  0b1000: [1, 2],
  0b1010: [2, 1],
};

/** LD1-LD4/ST1-ST4 multiple structures, no offset (post = false) or post-indexed. */
function emitMulti(post: boolean) {
  return (b: BlockBuilder, insn: number): boolean => {
    const q = bits(insn, 30, 1), load = bits(insn, 22, 1) === 1;
    const opcode = bits(insn, 12, 4), size = bits(insn, 10, 2);
    const rt = bits(insn, 0, 5);
    const layout = MULTI_LAYOUT[opcode];
    if (!layout) return false;
    const [rpt, selem] = layout;
    if (size === 3 && q === 0 && selem > 1) return false;
    const bytes = q ? 16 : 8;
    const total = rpt * selem * bytes;
    if (selem === 1) {
      emitLd1St1(b, insn, post, rt, rpt, bytes, load);
      return true;
    }
    const h = b.helper(ldstMulti);
    emitAccess(b, insn, post, total, (va) => `${h}(c, m, ${va}, ${rt}, ${rpt}, ${selem}, ${size}, ${bytes}, ${load})`);
    return true;
  };
}

/**
 * LD1/ST1 of 1-4 whole registers, inline: 64-bit accesses at va, va+8, ...
 * Loads go to temporaries before any register is written; a store probes
 * first when it crosses a page (see probeStore).
 */
function emitLd1St1(b: BlockBuilder, insn: number, post: boolean, rt: number, rpt: number, bytes: number, load: boolean): void {
  const rn = bits(insn, 5, 5), rm = bits(insn, 16, 5);
  const total = rpt * bytes;
  const halves = bytes / 8;
  b.beforeMemory();
  const v = b.view("vd");
  const va = b.tmp("va");
  b.emit(`const ${va} = ${b.xOrSp(rn)};`);
  const addr = (k: number) => (k === 0 ? va : `(${va} + ${8 * k}n) & 0xffffffffffffffffn`);
  if (load) {
    const ts: string[] = [];
    for (let k = 0; k < rpt * halves; k++) {
      const t = b.tmp();
      ts.push(t);
      b.emit(`const ${t} = m.r64(${addr(k)});`);
    }
    for (let r = 0; r < rpt; r++) {
      const reg = (rt + r) & 31;
      b.emit(`${v}[${2 * reg}] = ${ts[r * halves]}; ${v}[${2 * reg + 1}] = ${halves === 2 ? ts[r * halves + 1] : "0n"};`);
    }
  } else {
    b.emit(`if (Number(${va} & 0xfffn) + ${total} > 4096) m.probeWrite(${va}, ${total});`);
    for (let k = 0; k < rpt * halves; k++) {
      const reg = (rt + Math.floor(k / halves)) & 31;
      b.emit(`m.w64(${addr(k)}, ${v}[${2 * reg + (k % halves)}]);`);
    }
  }
  if (post) b.setXOrSp(rn, rm === 31 ? `${va} + ${total}n` : `${va} + ${b.x(rm)}`);
}

//  31 30 29     23 22 21 20  16 15  13 12 11 10 9   5 4   0
//  |0| Q|0 0 1 1 0 1 P| L| R| Rm/0 |opcode| S| size |  Rn |  Rt |
/** LD1-4/ST1-4 single structure and LD1R-LD4R, no offset or post-indexed. */
function emitSingle(post: boolean) {
  return (b: BlockBuilder, insn: number): boolean => {
    const q = bits(insn, 30, 1), load = bits(insn, 22, 1) === 1, r = bits(insn, 21, 1);
    const opcode = bits(insn, 13, 3), s = bits(insn, 12, 1), size = bits(insn, 10, 2);
    const rt = bits(insn, 0, 5);
    let scale = opcode >> 1;
    const selem = (((opcode & 1) << 1) | r) + 1;
    let index = 0;
    let replicate = false;
    switch (scale) {
      case 3:
        if (!load || s === 1) return false;
        scale = size;
        replicate = true;
        break;
      case 0:
        index = (q << 3) | (s << 2) | size;
        break;
      case 1:
        if ((size & 1) === 1) return false;
        index = (q << 2) | (s << 1) | (size >> 1);
        break;
      default:
        if ((size & 2) !== 0) return false;
        if ((size & 1) === 0) index = (q << 1) | s;
        else {
          if (s === 1) return false;
          index = q;
          scale = 3;
        }
    }
    const total = selem << scale;
    const h = b.helper(ldstSingle);
    emitAccess(b, insn, post, total, (va) => `${h}(c, m, ${va}, ${rt}, ${selem}, ${scale}, ${index}, ${replicate}, ${q ? 16 : 8}, ${load})`);
    return true;
  };
}

export const SIMD_LDST: InsnPattern[] = [
  pattern("LDST_multiple", "0x00 1100 0x00 0000 xxxx xxxx xxxx xxxx", emitMulti(false)),
  pattern("LDST_multiple_post", "0x00 1100 1x0x xxxx xxxx xxxx xxxx xxxx", emitMulti(true)),
  pattern("LDST_single", "0x00 1101 0xx0 0000 xxxx xxxx xxxx xxxx", emitSingle(false)),
  pattern("LDST_single_post", "0x00 1101 1xxx xxxx xxxx xxxx xxxx xxxx", emitSingle(true)),
];
