// The scheduler's public surface (DESIGN.md "Scheduler"): import from here.

export { Scheduler, type TickResult, type WakeResult, type PolicyParams, type SchedulerSnapshot } from "./scheduler.js";
export { type SchedEntity, type SchedTaskSnapshot, type TaskState } from "./task.js";
export { type RunQueueSnapshot } from "./runqueue.js";
export { Timeline, type TimelineSegment, type TimelineSnapshot } from "./timeline.js";
export { simulate, type Behaviour, type SimOptions } from "./sim.js";
export {
  TICK_HZ,
  TICK_NS,
  PRIORITY_MIN,
  PRIORITY_MAX,
  PRIORITY_DEFAULT,
  QUEUE_LEVELS,
  SLICE_MS,
  SchedError,
  type SchedErrorCode,
  type Policy,
  type DeadlineParams,
  queueLevel,
  sliceNs,
  weightOf,
  niceOf,
} from "./policy.js";
