// Scheduling classes selected from user space (SCHED_SETPARAM 0xE5 /
// SCHED_GETPARAM 0xE7, ours): a C program checks the round trips, every
// error path and each class's behaviour on a CPU of its own; here the
// kernel side is checked too (the struct codec and the scheduler's view).

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { runProgram } from "../viperdos/kernel/boot.js";
import { decodeSchedParam, encodeSchedParam, POLICY_CODES, SCHED_PARAM_SIZE } from "../viperdos/kernel/sched/params.js";
import { SYS, syscallByNumber } from "../viperdos/kernel/syscall/table.js";

function guest(file: string): Uint8Array {
  const name = file.replace(/\.c$/, "");
  return new Uint8Array(readFileSync(buildGuest({ name, sources: [`viperdos/user/tests/${file}`], opt: "-O2", os: "viperdos" })));
}

function struct(policy: number, priority: number, rt = 0n, dl = 0n, per = 0n): Uint8Array {
  const b = new Uint8Array(SCHED_PARAM_SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, policy, true);
  dv.setUint32(4, priority, true);
  dv.setBigUint64(8, rt, true);
  dv.setBigUint64(16, dl, true);
  dv.setBigUint64(24, per, true);
  return b;
}

describe("sched params codec", () => {
  it("numbers the calls at 0xE5/0xE7 as ours", () => {
    expect(SYS.SCHED_SETPARAM).toBe(0xe5);
    expect(SYS.SCHED_GETPARAM).toBe(0xe7);
    expect(syscallByNumber(0xe5)?.origin).toBe("ours");
  });

  it("decodes each policy and rejects bad ones", () => {
    expect(decodeSchedParam(struct(1, 10))).toEqual({ policy: "fifo", priority: 10 });
    expect(decodeSchedParam(struct(2, 200, 5n))).toEqual({ policy: "rr", priority: 200 });
    expect(decodeSchedParam(struct(6, 128, 1n, 2n, 3n))).toEqual({ policy: "deadline", priority: 128, deadline: { runtimeNs: 1, deadlineNs: 2, periodNs: 3 } });
    expect(decodeSchedParam(struct(3, 128))).toBe(-2);
    expect(decodeSchedParam(struct(0, 256))).toBe(-2);
    expect(decodeSchedParam(struct(6, 128, 0n, 2n, 3n))).toBe(-2);
    expect(decodeSchedParam(struct(6, 128, 1n, 2n, 1n << 50n))).toBe(-2);
    expect(decodeSchedParam(new Uint8Array(8))).toBe(-2);
  });

  it("encodes what it decodes", () => {
    const b = encodeSchedParam({ policy: "deadline", priority: 7, deadline: { runtimeNs: 1, deadlineNs: 2, periodNs: 3, absDeadlineNs: 0, remainingNs: 0, replenishAtNs: null, misses: 0 } });
    expect(b).toEqual(struct(POLICY_CODES.deadline, 7, 1n, 2n, 3n));
    expect(encodeSchedParam({ policy: "fair", priority: 128, deadline: null })).toEqual(struct(0, 128));
  });
});

describe("scheduling classes from user space", () => {
  it("vd-schedpolicy: round trips, error paths, FIFO/RR/deadline behaviour", () => {
    const out: number[] = [];
    const r = runProgram("vd-schedpolicy", guest("vd-schedpolicy.c"), { cpus: 4, onConsole: (b) => out.push(...b) });
    const text = Buffer.from(out).toString("utf8");
    expect(text).toContain("schedpolicy: ok");
    expect(r.exitCode).toBe(0);
    // Every child is gone: no reservation is left in the scheduler.
    expect(r.kernel.sched.snapshot().deadlineUtilisation).toBe(0);
  }, 60_000);
});
