// Poll event bits (VIPERDOS.md, "IPC"): what a waitable object can be ready for.

export const PollEvent = {
  READ: 0x1,
  WRITE: 0x2,
  TIMER: 0x4,
  CONSOLE: 0x8,
  NETWORK: 0x10,
} as const;

export const ALL_POLL_EVENTS = 0x1f;

/** The console pseudo-handle: poll on it for CONSOLE (input pending). */
export const CONSOLE_HANDLE = 0xffff_0001;
