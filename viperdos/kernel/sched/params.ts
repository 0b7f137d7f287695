// The user-space view of a task's scheduling parameters: struct
// vd_sched_param as SCHED_SETPARAM (0xE5) / SCHED_GETPARAM (0xE7) carry it
// (both numbers ours; syscall/table.ts), and the policy codes.
//
//   struct vd_sched_param {          offset
//       u32 policy;                  0   0 fair, 1 FIFO, 2 RR, 6 deadline
//       u32 priority;                4   0 (highest) .. 255
//       u64 runtime_ns;              8   deadline only: CPU time per period
//       u64 deadline_ns;             16  deadline only: relative deadline
//       u64 period_ns;               24  deadline only: period
//   };                               32 bytes, little-endian
//
// The codes are Linux's SCHED_OTHER/FIFO/RR/DEADLINE values, so a program
// ported from Linux keeps its constants. For the non-deadline classes the
// three reservation fields are ignored on set and read back as 0.
//
// A new task (TASK_SPAWN, FORK, THREAD_CREATE) starts in the fair class at
// priority 128 whatever its creator's class: a reservation or a real-time
// class is never inherited (Linux's reset-on-fork behaviour), so a deadline
// task cannot multiply its reservation by forking past admission control.

import { type DeadlineParams, type Policy, SchedError, type SchedErrorCode } from "./policy.js";
import type { SchedTaskSnapshot } from "./task.js";

export const SCHED_PARAM_SIZE = 32;

/** Policy code (struct field) <-> class name. */
export const POLICY_CODES: Readonly<Record<Policy, number>> = { fair: 0, fifo: 1, rr: 2, deadline: 6 };

/** A reservation field is rejected above this (about 18 minutes): keeps sums exact in doubles. */
const MAX_NS = 2 ** 40;

export interface SchedParam {
  policy: Policy;
  priority: number;
  deadline?: DeadlineParams;
}

/** The class of a policy code, or undefined for an unknown code. */
export function policyOfCode(code: number): Policy | undefined {
  return (Object.keys(POLICY_CODES) as Policy[]).find((p) => POLICY_CODES[p] === code);
}

/**
 * Decodes a struct vd_sched_param (32 bytes). Returns the parameters or
 * INVALID_ARG (-2): unknown policy, priority above 255, or (deadline) a
 * reservation field of 0 or above 2^40 ns. runtime <= deadline <= period is
 * checked by the scheduler's admission (also -2).
 */
export function decodeSchedParam(bytes: Uint8Array): SchedParam | SchedErrorCode {
  if (bytes.length < SCHED_PARAM_SIZE) return SchedError.INVALID_ARG;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, SCHED_PARAM_SIZE);
  const policy = policyOfCode(dv.getUint32(0, true));
  const priority = dv.getUint32(4, true);
  if (policy === undefined || priority > 255) return SchedError.INVALID_ARG;
  if (policy !== "deadline") return { policy, priority };
  const f = [8, 16, 24].map((o) => dv.getBigUint64(o, true));
  if (f.some((v) => v === 0n || v > BigInt(MAX_NS))) return SchedError.INVALID_ARG;
  const [runtimeNs, deadlineNs, periodNs] = f.map(Number);
  return { policy, priority, deadline: { runtimeNs, deadlineNs, periodNs } };
}

/** Encodes a task's parameters (from its scheduler snapshot) as struct vd_sched_param. */
export function encodeSchedParam(s: Pick<SchedTaskSnapshot, "policy" | "priority" | "deadline">): Uint8Array {
  const out = new Uint8Array(SCHED_PARAM_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, POLICY_CODES[s.policy], true);
  dv.setUint32(4, s.priority, true);
  if (s.deadline) {
    dv.setBigUint64(8, BigInt(s.deadline.runtimeNs), true);
    dv.setBigUint64(16, BigInt(s.deadline.deadlineNs), true);
    dv.setBigUint64(24, BigInt(s.deadline.periodNs), true);
  }
  return out;
}
