// Processes and tasks (threads). A Process owns an address space, a
// capability table and its tasks; a Task is one thread of execution with its
// saved registers, known to the scheduler by its id.

import type { AddressSpace } from "../mm/vm.js";
import type { HandleTable } from "../cap/handles.js";
import type { ShmObject } from "../ipc/shm.js";
import { TaskContext } from "../arch/context.js";
import type { SigAction } from "./signals.js";

export type TaskState = "ready" | "running" | "blocked" | "exited";

/** Why a blocked task waits; the syscall is re-executed when it wakes. */
export type WaitReason =
  | { kind: "child"; pid: number }
  | { kind: "sleep"; untilNs: number }
  | { kind: "console" }
  | { kind: "join"; tid: number }
  | { kind: "poll"; untilNs: number }
  /** IRQ_WAIT (drivers/user-device.ts); a timeout is a sleep-queue entry, the deadline in Task.deadlineNs. */
  | { kind: "irq"; intid: number };

export class Task {
  readonly ctx = new TaskContext();
  state: TaskState = "ready";
  /** CPU the task is loaded on while running, else -1. */
  cpu = -1;
  wait: WaitReason | undefined = undefined;
  /** Deadline of a pending timed syscall (SLEEP, POLL_WAIT): set on first entry, cleared on completion. */
  deadlineNs: number | undefined = undefined;
  exitCode = 0;
  syscalls = 0;
  faults = 0;
  /** Threads (proc/threads.ts): nobody will join it (THREAD_DETACH); THREAD_EXIT's value. */
  detached = false;
  retval = 0n;
  /** Signals (proc/signals.ts), bit (sig - 1): blocked; pending for this task alone (faults). */
  sigMask = 0;
  sigPending = 0;
  /** User SPs of the signal frames pushed and not yet returned from (innermost last). */
  sigFrames: number[] = [];
  /** FAR of the fault behind a pending synchronous signal (the handler's x1). */
  sigFaultAddr = 0n;
  /** Cancels a pending wake-up registration (poll) before the syscall re-executes. */
  cancelWait: (() => void) | undefined = undefined;
  /** POLL_WAIT's wake-up callback for this task, made once (syscall/ipc.ts) instead of per call. */
  pollWake: (() => void) | undefined = undefined;

  constructor(
    readonly tid: number,
    readonly process: Process,
  ) {}
}

export class Process {
  readonly tasks: Task[] = [];
  readonly children = new Set<Process>();
  state: "live" | "zombie" | "reaped" = "live";
  exitCode = 0;
  /** How the process ended: "exit" or a fault report. */
  endReason = "";
  pgid: number;
  sid: number;
  /** Signal dispositions by number (absent: default) and process-directed pending signals (proc/signals.ts). */
  readonly sigActions = new Map<number, SigAction>();
  sigPending = 0;
  /** The parent's handle to this process's bootstrap channel (returned by TASK_SPAWN). */
  bootstrapPeer: number | undefined = undefined;
  /** Shared memory mapped in this process, by start address (SHM_MAP/SHM_UNMAP). */
  readonly shmMappings = new Map<number, ShmObject>();

  constructor(
    readonly pid: number,
    public parent: Process | undefined,
    public name: string,
    public as: AddressSpace,
    readonly handles: HandleTable,
    /** The argument string GET_ARGS returns. */
    public args: string,
  ) {
    this.pgid = parent?.pgid ?? pid;
    this.sid = parent?.sid ?? pid;
  }

  get mainTask(): Task {
    return this.tasks[0];
  }
}
