// The translator: decodes a basic block of A64 code once, compiles it into a
// JavaScript function, caches it, and runs blocks until the CPU leaves EL0.
//
// Blocks are cached by the physical address of their first instruction
// (shared by all CPUs) and looked up through a small per-CPU direct-mapped
// cache keyed by VA, flushed whenever the MMU's translation context changes.
// A write to a physical page holding compiled code invalidates the page's
// blocks (the MMU never gives such pages a fast write slot).

import { PhysicalBus, RAM_BASE } from "../bus.js";
import { GUEST_EXCEPTION, Mmu } from "../mmu/mmu.js";
import { BlockBuilder, CompileContext } from "./builder.js";
import { decode } from "./a64/decode.js";
import { CpuState, ExitKind } from "./state.js";

/** Longest basic block we translate (instructions). */
export const MAX_BLOCK_INSNS = 64;
/** Executions after which a block is recompiled as the entry of a region. */
export const REGION_THRESHOLD = 2000;
/** Most basic blocks in one region. */
export const MAX_REGION_BLOCKS = 48;

type BlockFn = (c: CpuState, m: Mmu) => void;

export interface Block {
  va: number;
  pa: number;
  fn: BlockFn;
  insns: number;
  valid: boolean;
  /**
   * Chaining: the last two successors seen, valid while the MMU generation
   * they were linked under is current (a TLB flush or context switch unlinks).
   */
  next0: Block | undefined;
  next1: Block | undefined;
  linkGen: number;
  /** Executions counted by runEl0 (until promoted to a region). */
  hits: number;
  /** This block's function is a region: it may run several blocks per call. */
  region: boolean;
}

export interface TranslatorStats {
  blocksCompiled: number;
  regionsCompiled: number;
  insnsTranslated: number;
  invalidations: number;
}

export class Translator {
  private readonly blocks = new Map<number, Block>();
  private readonly pageBlocks = new Map<number, Block[]>();
  private readonly mmus: Mmu[] = [];
  readonly stats: TranslatorStats = { blocksCompiled: 0, regionsCompiled: 0, insnsTranslated: 0, invalidations: 0 };
  /** Debug/inspection hook: called with each newly compiled block and its JS source. */
  onCompile: ((block: Block, source: string) => void) | undefined = undefined;

  constructor(readonly bus: PhysicalBus) {
    bus.onCodeWrite = (page) => this.invalidatePage(page);
  }

  /** Register a CPU's MMU so new code pages drop its fast write slots. */
  attach(m: Mmu): void {
    this.mmus.push(m);
  }

  /** The block starting at `pc` for the CPU of `m` (translating it if needed). */
  blockAt(m: Mmu, pc: number): Block {
    const pa = m.fetchPa(pc);
    const b = this.blocks.get(pa);
    if (b && b.va === pc && b.valid) return b;
    return this.translate(m, pc, pa);
  }

  private translate(m: Mmu, pc: number, pa: number): Block {
    if (!this.bus.isRam(pa, 4)) return m.raiseAbort(BigInt(pc), "exec", 0x10);
    const b = this.build(pc, pa);
    const fn = b.compile() as BlockFn;
    const block: Block = { va: pc, pa, fn, insns: b.translated, valid: true, next0: undefined, next1: undefined, linkGen: -1, hits: 0, region: false };
    this.onCompile?.(block, b.source());
    this.register(block);
    this.stats.blocksCompiled++;
    this.stats.insnsTranslated += b.translated;
    return block;
  }

  /** Enter `block` in the caches and in its page's invalidation list. */
  private register(block: Block): void {
    const pa = block.pa;
    this.blocks.set(pa, block);
    const page = (pa - RAM_BASE) >>> 12;
    let list = this.pageBlocks.get(page);
    if (!list) {
      list = [];
      this.pageBlocks.set(page, list);
      for (const mm of this.mmus) mm.flushWriteFast();
    }
    list.push(block);
    this.bus.codePages[page] = Math.min(0xffff, list.length);
  }

  /**
   * Recompile a hot block as a region: the basic blocks reachable from it by
   * direct branches on the same page, in one function whose loop dispatches
   * on c.pc (a `switch`), so loops spanning several blocks run without
   * returning to runEl0. Returns the region's Block (entry = `hot.va`).
   */
  promote(m: Mmu, hot: Block): Block {
    hot.hits = -Infinity; // never again, whatever happens
    const pageVa = hot.va - (hot.va & 0xfff);
    const pagePa = hot.pa - (hot.pa & 0xfff);
    const ctx = new CompileContext();
    const cases: string[] = [];
    const seen = new Set<number>([hot.va]);
    const queue = [hot.va];
    while (queue.length > 0 && cases.length < MAX_REGION_BLOCKS) {
      const va = queue.shift()!;
      const b = this.build(va, pagePa + (va - pageVa), ctx);
      cases.push(`case ${va}: {`, `c.blockStart = ${va};`, ...b.body(), "}");
      for (const s of b.successors) {
        if (s - (s & 0xfff) === pageVa && !seen.has(s)) {
          seen.add(s);
          queue.push(s);
        }
      }
    }
    const body = ["for (;;) {", "switch (c.pc) {", ...cases, "default: return;", "}", "}"];
    const fn = ctx.compile(`region_${hot.va.toString(16)}`, body) as BlockFn;
    const region: Block = { ...hot, fn, next0: undefined, next1: undefined, linkGen: -1, hits: -Infinity, region: true };
    this.onCompile?.(region, [...ctx.prologue(), ...body].join("\n"));
    hot.valid = false;
    this.register(region);
    this.stats.regionsCompiled++;
    return region;
  }

  /** Translate the basic block at `pc` (physical `pa`) into a builder. */
  private build(pc: number, pa: number, ctx?: CompileContext): BlockBuilder {
    const b = new BlockBuilder(pc, ctx);
    let off = pa - RAM_BASE;
    for (;;) {
      const insn = this.bus.ram32[off >>> 2];
      const p = decode(insn);
      if (!p || p.emit(b, insn) === false) b.undefinedInsn();
      if (b.ended) break;
      b.advance();
      off += 4;
      if (b.count >= MAX_BLOCK_INSNS || (b.pc & 0xfff) === 0) {
        b.endAtBoundary();
        break;
      }
    }
    return b;
  }

  /** Drop every block on RAM page `page` (its code was written). */
  invalidatePage(page: number): void {
    const list = this.pageBlocks.get(page);
    if (!list) return;
    for (const b of list) {
      b.valid = false;
      if (this.blocks.get(b.pa) === b) this.blocks.delete(b.pa);
    }
    this.pageBlocks.delete(page);
    this.bus.codePages[page] = 0;
    this.stats.invalidations++;
  }

  /** Drop all translated code. */
  flushAll(): void {
    for (const page of [...this.pageBlocks.keys()]) this.invalidatePage(page);
  }

  /** Debug: the JS source a block at `pc` compiles to. */
  sourceFor(m: Mmu, pc: number): string {
    return this.build(pc, m.fetchPa(pc)).source();
  }
}

/**
 * Run `c` at EL0 until it takes an exception or retires `budget` more
 * instructions (checked between blocks, so it may overshoot by < one block).
 * Returns the exit kind; ESR/FAR/PC in `c` describe an exception.
 * Never throws for anything the guest does.
 */
export function runEl0(t: Translator, c: CpuState, m: Mmu, budget: number): ExitKind {
  const limit = c.retired + budget;
  c.runLimit = limit;
  c.exit = ExitKind.None;
  let block: Block | undefined;
  let prev = c.resumeFrom as Block | undefined;
  c.resumeFrom = undefined;
  try {
    for (;;) {
      if (c.retired >= limit) {
        c.resumeFrom = prev;
        return ExitKind.Budget;
      }
      if (c.irqLine && !c.irqMasked) {
        c.resumeFrom = prev;
        return ExitKind.Irq;
      }
      // Follow a chain link when the previous block has seen this successor
      // under the current translation regime; else look the block up.
      const pc = c.pc;
      block = undefined;
      if (prev !== undefined && prev.linkGen === m.generation) {
        const n0 = prev.next0;
        if (n0 !== undefined && n0.va === pc && n0.valid) block = n0;
        else {
          const n1 = prev.next1;
          if (n1 !== undefined && n1.va === pc && n1.valid) block = n1;
        }
      }
      if (block === undefined) {
        block = t.blockAt(m, pc);
        if (prev !== undefined) {
          if (prev.linkGen !== m.generation) {
            prev.linkGen = m.generation;
            prev.next0 = block;
            prev.next1 = undefined;
          } else {
            prev.next1 = prev.next0;
            prev.next0 = block;
          }
        }
      }
      if (!block.region && ++block.hits >= REGION_THRESHOLD) {
        block = t.promote(m, block);
        if (prev !== undefined) prev.linkGen = -1;
      }
      c.blockStart = block.va;
      block.fn(c, m);
      if (c.exit !== ExitKind.None) {
        c.resumeFrom = block; // an SVC ends its block: the kernel returns to its successor
        return c.exit;
      }
      prev = block;
    }
  } catch (e) {
    if (e === GUEST_EXCEPTION) {
      // A fault inside a block (c.pc = the faulting instruction) or at fetch.
      // c.blockStart is the start of the basic block that faulted (regions update it).
      if (block !== undefined && c.pc >= c.blockStart) c.retired += (c.pc - c.blockStart) / 4;
      return c.exit;
    }
    c.hostError = e instanceof Error ? `${e.message}` : String(e);
    c.esr = 1 << 25;
    c.exit = ExitKind.Undefined;
    return c.exit;
  }
}
