// BlockBuilder: what an instruction emitter writes into. Each A64 instruction
// emitter appends JavaScript statements for its semantics; the translator
// joins a basic block of them into one function (see translate.ts).
//
// The generated function has this environment:
//   c      the CpuState
//   m      the Mmu (r8..r64, w8..w64, translate, ...)
//   x, xs  c.x (BigUint64Array, X0..X30 and SP in slot 31) and its signed view
//   vb vh vw vd vf32 vf64   views of the SIMD&FP registers (declared on use)
//   h0..hN host helper functions registered with `helper()`
// Values in x are BigInt; a store into x wraps modulo 2^64 by itself.
//
// Flags are "deferred": a flag-setting instruction records a recipe (its
// operands in temporaries). A condition in the same block is evaluated
// straight from the recipe (CMP; B.LT compiles to one comparison). Where the
// flags can be observed later (before anything that may leave the block, and
// at its end) the recipe's operands are stored into c.flagOps and NZCV is
// computed only if somebody reads c.nzcv (lazy flags: 5x faster loops).

import { ExitKind, FLAG_C, FLAG_N, FLAG_V, FLAG_Z, FLAGS_32, FLAGS_ADD, FLAGS_CARRY, FLAGS_LOGIC, FLAGS_SUB } from "./state.js";

export type FlagKind = "add" | "sub" | "logic";

interface FlagRecipe {
  kind: FlagKind;
  size: 32 | 64;
  /** Temporaries (BigInt) holding the unsigned operands and the truncated result. */
  a: string;
  b: string;
  r: string;
  /** Carry-in temporary for ADCS/SBCS ("" when none). */
  carry: string;
}

const VIEW_NAMES = ["vb", "vh", "vw", "vd", "vf32", "vf64"] as const;
export type VectorView = (typeof VIEW_NAMES)[number];

/**
 * What the blocks of one compiled function share: helper constants, the
 * register views and scratch arrays the prologue must declare. A region
 * (several blocks in one function, see translate.ts) shares one context.
 */
export class CompileContext {
  readonly helpers: unknown[] = [];
  readonly helperNames = new Map<unknown, string>();
  readonly views = new Set<VectorView>();
  usesFlagOps = false;
  usesScratch = false;

  /** Declarations every block body may rely on. */
  prologue(): string[] {
    const out = ["const x = c.x, xs = c.xs;"];
    if (this.usesFlagOps) out.push("const fl = c.flagOps;");
    if (this.usesScratch) out.push("const s64 = c.scratch64, s32 = c.scratch32;");
    for (const v of VIEW_NAMES) if (this.views.has(v)) out.push(`const ${v} = c.${v};`);
    return out;
  }

  /** Compile `body` (which may use the prologue's names) into a function (c, m) => void. */
  compile(name: string, body: string[]): (c: unknown, m: unknown) => void {
    const names = this.helpers.map((_, i) => `h${i}`);
    const consts = names.length ? `const ${names.map((n, i) => `${n} = H[${i}]`).join(", ")};` : "";
    const src = `${consts}\nreturn function ${name}(c, m) {\n${[...this.prologue(), ...body].join("\n")}\n};`;
    return new Function("H", src)(this.helpers) as (c: unknown, m: unknown) => void;
  }
}

export const MASK64 = "0xffffffffffffffffn";
export const MASK32 = "0xffffffffn";

export class BlockBuilder {
  readonly startPc: number;
  /** VA of the instruction being translated. */
  pc: number;
  /** Instructions translated so far (including the current one once it is done). */
  count = 0;
  /** Instructions in the finished block, its terminator included. */
  translated = 0;
  /** Set by control-flow emitters: the block ends after this instruction. */
  ended = false;
  private readonly lines: string[] = [];
  private temps = 0;
  readonly ctx: CompileContext;
  /**
   * Region mode: this block is one case of a multi-block function. Its end
   * sets c.pc and `continue`s the region's dispatch loop instead of returning.
   */
  readonly inRegion: boolean;
  /** Static successors (direct branch targets and fall-throughs), for region building. */
  readonly successors: number[] = [];
  /** Pending flag recipe not yet materialised into c.nzcv. */
  private recipe: FlagRecipe | undefined;
  /** Flags known to be in c.nzcv already. */
  private flagsClean = true;
  /** The block ends with a branch to its own start: wrap the body in a loop. */
  private selfLoop = false;

  constructor(startPc: number, ctx?: CompileContext) {
    this.startPc = startPc;
    this.pc = startPc;
    this.inRegion = ctx !== undefined;
    this.ctx = ctx ?? new CompileContext();
  }

  // --- Code and names -----------------------------------------------------------

  /** Append one JS statement. */
  emit(line: string): void {
    this.lines.push(line);
  }

  /** A fresh local name; declare it yourself with const/let. */
  tmp(prefix = "t"): string {
    return `${prefix}${this.temps++}`;
  }

  /** Make a host function (or any value) callable from generated code; returns its name. */
  helper(fn: unknown): string {
    let name = this.ctx.helperNames.get(fn);
    if (!name) {
      name = `h${this.ctx.helpers.length}`;
      this.ctx.helpers.push(fn);
      this.ctx.helperNames.set(fn, name);
    }
    return name;
  }

  /** Name of a SIMD&FP register view, declared in the prologue on first use. */
  view(v: VectorView): string {
    this.ctx.views.add(v);
    return v;
  }

  // --- General-purpose registers ---------------------------------------------------

  /** Xr as BigInt; register 31 reads as zero (XZR). */
  x(r: number): string {
    return r === 31 ? "0n" : `x[${r}]`;
  }

  /** Xr or SP for r = 31. */
  xOrSp(r: number): string {
    return `x[${r}]`;
  }

  /** Xr as a signed BigInt; 31 is zero. */
  sx(r: number): string {
    return r === 31 ? "0n" : `xs[${r}]`;
  }

  /** Wr zero-extended, as BigInt; 31 is zero. */
  w(r: number): string {
    return r === 31 ? "0n" : `(x[${r}] & ${MASK32})`;
  }

  /** Wr or WSP, zero-extended. */
  wOrSp(r: number): string {
    return `(x[${r}] & ${MASK32})`;
  }

  /** Xr = expr (wraps modulo 2^64); a write to XZR is discarded. */
  setX(r: number, expr: string): void {
    if (r !== 31) this.emit(`x[${r}] = ${expr};`);
  }

  /** Xr/SP = expr. */
  setXOrSp(r: number, expr: string): void {
    this.emit(`x[${r}] = ${expr};`);
  }

  /** Wr = expr mod 2^32, zero-extended into Xr; XZR discards. */
  setW(r: number, expr: string): void {
    if (r !== 31) this.emit(`x[${r}] = (${expr}) & ${MASK32};`);
  }

  /** Wr/WSP = expr mod 2^32. */
  setWOrSp(r: number, expr: string): void {
    this.emit(`x[${r}] = (${expr}) & ${MASK32};`);
  }

  /** Read register r at `size` bits (32: W, 64: X), XZR for 31. */
  reg(size: 32 | 64, r: number): string {
    return size === 64 ? this.x(r) : this.w(r);
  }

  /** Write register r at `size` bits, XZR discards. */
  setReg(size: 32 | 64, r: number, expr: string): void {
    if (size === 64) this.setX(r, expr);
    else this.setW(r, expr);
  }

  // --- Flags ---------------------------------------------------------------------

  /**
   * Record flags of an ADD/SUB/logical result. `a`, `b`, `r` must be names of
   * temporaries holding unsigned BigInts of `size` bits (r already truncated).
   * For logical ops pass a = b = r. `carry` is the carry-in temp of ADCS/SBCS
   * (a BigInt 0n/1n), or "".
   */
  setFlags(kind: FlagKind, size: 32 | 64, a: string, b: string, r: string, carry = ""): void {
    this.recipe = { kind, size, a, b, r, carry };
    this.flagsClean = false;
  }

  /** Set NZCV from an explicit JS number expression (bits 31..28). */
  setNzcv(expr: string): void {
    this.recipe = undefined;
    this.emit(`c.nzcv = ${expr};`);
    this.flagsClean = true;
  }

  /** A JS number expression for NZCV, materialising deferred flags. */
  nzcv(): string {
    this.materializeFlags();
    return "c.nzcv";
  }

  /**
   * Record the pending recipe in c.flagOps/c.flagKind so c.nzcv can compute
   * NZCV when somebody reads it (cheap: a few stores, no flag arithmetic).
   */
  materializeFlags(): void {
    if (this.flagsClean || !this.recipe) return;
    const f = this.recipe;
    let kind = f.kind === "add" ? FLAGS_ADD : f.kind === "sub" ? FLAGS_SUB : FLAGS_LOGIC;
    if (f.size === 32) kind |= FLAGS_32;
    let carry = "";
    if (f.carry) {
      kind |= FLAGS_CARRY;
      carry = ` fl[3] = ${f.carry};`;
    }
    this.ctx.usesFlagOps = true;
    this.emit(`fl[0] = ${f.a}; fl[1] = ${f.b}; fl[2] = ${f.r};${carry} c.flagKind = ${kind};`);
    this.flagsClean = true;
  }

  /**
   * JS boolean expression for condition code `cond` (Arm ARM C1.2.4).
   * Uses the deferred recipe when there is one, else c.nzcv.
   */
  cond(cond: number): string {
    const inv = (cond & 1) === 1 && cond !== 15;
    const base = this.condBase(cond >> 1);
    return inv ? `!(${base})` : base;
  }

  private condBase(op: number): string {
    const f = this.recipe;
    if (op === 7) return "true";
    // Signed views through BigInt.asIntN: V8 lowers it to int64 (measured
    // ~40x faster than comparing against 0x8000...n or XOR-ing the sign bit).
    const signed = (v: string) => (f ? `BigInt.asIntN(${f.size}, ${v})` : v);
    if (f && !f.carry && f.kind === "add") {
      switch (op) {
        case 0: return `${f.r} === 0n`; // EQ
        case 1: return `${f.r} < ${f.a}`; // CS: the sum wrapped
        case 2: return `${signed(f.r)} < 0n`; // MI
      }
    }
    if (f && !f.carry && f.kind !== "add") {
      if (f.kind === "sub") {
        switch (op) {
          case 0: return `${f.a} === ${f.b}`; // EQ
          case 1: return `${f.a} >= ${f.b}`; // CS: no borrow
          case 2: return `${signed(f.r)} < 0n`; // MI
          case 4: return `${f.a} > ${f.b}`; // HI
          case 5: return `${signed(f.a)} >= ${signed(f.b)}`; // GE
          case 6: return `${signed(f.a)} > ${signed(f.b)}`; // GT
        }
      } else {
        // logic: C = V = 0
        switch (op) {
          case 0: return `${f.r} === 0n`;
          case 1: return "false";
          case 2: return `${signed(f.r)} < 0n`;
          case 3: return "false";
          case 4: return "false"; // HI needs C
          case 5: return `${signed(f.r)} >= 0n`; // GE: N == V(0)
          case 6: return `${signed(f.r)} > 0n`; // GT
        }
      }
    }
    const nz = this.nzcv();
    switch (op) {
      case 0: return `(${nz} & ${FLAG_Z}) !== 0`;
      case 1: return `(${nz} & ${FLAG_C}) !== 0`;
      case 2: return `(${nz} & ${FLAG_N}) !== 0`;
      case 3: return `(${nz} & ${FLAG_V}) !== 0`;
      case 4: return `(${nz} & ${FLAG_C | FLAG_Z}) === ${FLAG_C}`;
      case 5: return `((${nz} >>> 31) === ((${nz} >>> 28) & 1))`;
      default: return `((${nz} & ${FLAG_Z}) === 0 && (${nz} >>> 31) === ((${nz} >>> 28) & 1))`;
    }
  }

  // --- Memory and exits ------------------------------------------------------------

  /**
   * Call before emitting anything that may fault (memory access, helper that
   * can raise): makes c.pc and c.nzcv precise for the exception.
   */
  beforeMemory(): void {
    this.materializeFlags();
    this.emit(`c.pc = ${this.pc};`);
  }

  /** End the block with a jump to a constant target. */
  branch(target: number): void {
    this.successors.push(target);
    this.finish(`c.pc = ${target};`);
  }

  /**
   * End the block with a conditional jump. A jump back to the block's own
   * start becomes a loop inside the generated function (no dispatch per
   * iteration), leaving it when the run's budget is spent or an IRQ is
   * pending.
   */
  branchCond(condExpr: string, target: number, fallthrough: number): void {
    this.successors.push(target, fallthrough);
    if (target === this.startPc && !this.inRegion) {
      const k = this.tmp("k");
      this.emit(`const ${k} = ${condExpr};`);
      this.materializeFlags();
      this.emit(`c.retired += ${this.count + 1};`);
      this.emit(`if (${k}) { if (c.retired < c.runLimit && !c.irqLine) continue; c.pc = ${target}; } else c.pc = ${fallthrough};`);
      this.emit("return;");
      this.ended = true;
      this.selfLoop = true;
      return;
    }
    this.finish(`c.pc = (${condExpr}) ? ${target} : ${fallthrough};`);
  }

  /** End the block with a jump to a BigInt register value. */
  branchReg(expr: string): void {
    this.finish(`c.pc = ${this.num(expr)};`);
  }

  /**
   * A JS number expression for the BigInt `expr` taken modulo 2^64 (exact
   * below 2^53). Prefer it to Number(): it avoids a V8 runtime call.
   */
  num(expr: string): string {
    this.ctx.usesScratch = true;
    return `(s64[0] = ${expr}, s32[1] * 4294967296 + s32[0])`;
  }

  /**
   * Arguments "lo, hi" for the Mmu's split-address fast paths (m.ld8..ld64,
   * m.st8..st64) from a BigInt address expression (taken modulo 2^64).
   */
  addrArgs(expr: string): string {
    this.ctx.usesScratch = true;
    return `(s64[0] = ${expr}, s32[0]), s32[1]`;
  }

  /** A JS number expression for the low 32 bits of the BigInt `expr` (unsigned). */
  low32(expr: string): string {
    this.ctx.usesScratch = true;
    return `(s64[0] = ${expr}, s32[0])`;
  }

  /**
   * End the block with an exception or exit. `retire`: whether this
   * instruction counts as executed (SVC, WFI yes; UNDEFINED, BRK no).
   */
  raise(kind: ExitKind, esr: number, resumePc: number, retire: boolean): void {
    this.materializeFlags();
    this.finish(`c.esr = ${esr >>> 0}; c.exit = ${kind}; c.pc = ${resumePc};`, true, retire);
  }

  /** UNDEFINED: EC 0 with the PC at this instruction. */
  undefinedInsn(): void {
    this.raise(ExitKind.Undefined, (0 << 26) | (1 << 25), this.pc, false);
  }

  /** End the block at the next sequential instruction (block size limit, ISB, ...). */
  endSequential(): void {
    this.successors.push(this.pc + 4);
    this.finish(`c.pc = ${this.pc + 4};`);
  }

  /** End the block before the current instruction (size limit or page end); call after advance(). */
  endAtBoundary(): void {
    this.materializeFlags();
    this.successors.push(this.pc);
    this.emit(`c.retired += ${this.count};`);
    this.emit(`c.pc = ${this.pc};`);
    this.translated = this.count;
    this.regionTail(false);
    this.ended = true;
  }

  private finish(pcStmt: string, exits = false, retireThis = true): void {
    this.materializeFlags();
    const retired = this.count + (retireThis ? 1 : 0);
    if (retired > 0) this.emit(`c.retired += ${retired};`);
    this.translated = this.count + 1;
    this.emit(pcStmt);
    this.regionTail(exits);
    this.ended = true;
  }

  /** In a region, go round the dispatch loop unless the run must stop. */
  private regionTail(exits: boolean): void {
    if (!this.inRegion) return;
    this.emit(exits ? "return;" : "if (c.retired < c.runLimit && !c.irqLine) continue; return;");
  }

  /** Called by the translator after each instruction's emitter ran. */
  advance(): void {
    this.count++;
    this.pc += 4;
  }

  // --- Output -------------------------------------------------------------------------

  /** The statements of this block (without the prologue). */
  body(): string[] {
    return this.selfLoop ? ["for (;;) {", ...this.lines, "}"] : this.lines;
  }

  /** The JS source of the block, prologue included (for debugging and golden tests). */
  source(): string {
    return [...this.ctx.prologue(), ...this.body()].join("\n");
  }

  /** Compile to a function (c, m) => void. */
  compile(): (c: unknown, m: unknown) => void {
    return this.ctx.compile(`block_${this.startPc.toString(16)}`, this.body());
  }
}
