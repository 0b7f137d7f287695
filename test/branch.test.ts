import { describe, expect, it } from "vitest";
import { runAsm, CODE_BASE } from "./support/snippet.js";
import { ExitKind } from "../emulator/cpu/state.js";

describe("branches and exceptions", () => {
  it("BL/RET link and return", () => {
    const r = runAsm(`
      bl f
      b done
    f: ret
    done: nop
    `);
    expect(r.exit).toBe(ExitKind.Brk);
    expect(r.cpu.x[30]).toBe(BigInt(CODE_BASE + 4));
    expect(r.cpu.pc).toBe(CODE_BASE + 16);
  });

  it("SVC reports its immediate and resumes after it", () => {
    const r = runAsm("svc #0x42");
    expect(r.exit).toBe(ExitKind.Svc);
    expect(r.cpu.esr >>> 26).toBe(0x15);
    expect(r.cpu.esr & 0xffff).toBe(0x42);
    expect(r.cpu.pc).toBe(CODE_BASE + 4);
  });

  it("CBZ/TBNZ take the right path", () => {
    const r = runAsm(`
      cbz x0, 1f
      brk #1
    1: tbnz x1, #63, 2f
      brk #2
    2: nop
    `, (c) => { c.x[0] = 0n; c.x[1] = 1n << 63n; });
    expect(r.cpu.esr & 0xffff).toBe(0);
  });

  it("an unallocated encoding is UNDEFINED with the PC at it", () => {
    const r = runAsm(".inst 0x00000000");
    expect(r.exit).toBe(ExitKind.Undefined);
    expect(r.cpu.pc).toBe(CODE_BASE);
  });
});
