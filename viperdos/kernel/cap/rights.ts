// Capability rights: the bit values of VIPERDOS.md ("Capabilities").
// A handle carries a rights mask; operations check a needed mask against it.

export const Rights = {
  READ: 0x1,
  WRITE: 0x2,
  EXECUTE: 0x4,
  LIST: 0x8,
  CREATE: 0x10,
  DELETE: 0x20,
  DERIVE: 0x40,
  TRANSFER: 0x80,
  SPAWN: 0x100,
  TRAVERSE: 0x200,
  DEVICE: 0x400,
  IRQ: 0x800,
  DMA: 0x1000,
} as const;

export type RightName = keyof typeof Rights;

/** Every defined right: the initial bounding set of the first process. */
export const ALL_RIGHTS = Object.values(Rights).reduce((a, b) => a | b, 0);

/** Rights a freshly created IPC object's handle gets (before the bounding set). */
export const IPC_DEFAULT_RIGHTS = Rights.READ | Rights.WRITE | Rights.DERIVE | Rights.TRANSFER;

/** True when every bit of `need` is in `have`. */
export function hasRights(have: number, need: number): boolean {
  return (have & need) === need;
}

/** True when `mask` uses only defined right bits (and is a non-negative u32). */
export function validRights(mask: number): boolean {
  return Number.isInteger(mask) && mask >= 0 && (mask & ~ALL_RIGHTS) === 0;
}

/** Names of the bits set in `mask`, in bit order (for snapshots and `Caps`). */
export function rightsNames(mask: number): RightName[] {
  return (Object.keys(Rights) as RightName[]).filter((n) => (mask & Rights[n]) !== 0);
}

/** Rights as text for people: "READ|WRITE|TRANSFER", or "NONE". */
export function rightsString(mask: number): string {
  const names = rightsNames(mask);
  return names.length === 0 ? "NONE" : names.join("|");
}
