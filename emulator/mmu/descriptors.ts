// VMSAv8-64 stage-1 translation table descriptors, 4 KiB granule
// (Arm ARM D8.3 "Translation table descriptor formats"). Shared by the MMU
// (emulator/mmu/walk.ts) and the kernel's page-table code, so both read and
// write the one architectural format.
//
//  63 62:61  60   59   58:55  54   53   52  51   47 ........ 12  11 10 9:8 7:6 5  4:2      1 0
// +--+-----+----+----+------+----+----+---+---+------------------+--+--+---+---+--+--------+-+-+
// |NS|APTbl|UXNT|PXNT| SW   |UXN |PXN |Con|DBM| output address   |nG|AF|SH |AP |NS|AttrIndx|T|V|
// +--+-----+----+----+------+----+----+---+---+------------------+--+--+---+---+--+--------+-+-+
//  table-only bits (63:59)      leaf-only attribute bits (54:52, 11:2)
//
// bit 0 (V) valid; bit 1 (T): at levels 0-2, 1 = table, 0 = block (levels 1-2
// only); at level 3, 1 = page (0 is reserved = invalid).

export const DESC_VALID = 1n << 0n;
export const DESC_TABLE = 1n << 1n; // also "page" at level 3
export const DESC_ATTRINDX_SHIFT = 2n;
export const DESC_AP_EL0 = 1n << 6n; // AP[1]: EL0 may access
export const DESC_AP_RO = 1n << 7n; // AP[2]: read-only
export const DESC_SH_INNER = 3n << 8n;
export const DESC_AF = 1n << 10n;
export const DESC_NG = 1n << 11n;
export const DESC_PXN = 1n << 53n;
export const DESC_UXN = 1n << 54n;
/** Software-defined bits 58:55; ViperDOS uses 55 for copy-on-write, 56 for shared. */
export const DESC_SW_COW = 1n << 55n;
export const DESC_SW_SHARED = 1n << 56n;
export const TABLE_PXN = 1n << 59n;
export const TABLE_UXN = 1n << 60n;
export const TABLE_AP_NO_EL0 = 1n << 61n;
export const TABLE_AP_RO = 1n << 62n;
export const DESC_ADDR_MASK = 0x0000_ffff_ffff_f000n;

export type DescriptorKind = "invalid" | "table" | "block" | "page";

/** What a descriptor at `level` (0..3) is. */
export function descriptorKind(desc: bigint, level: number): DescriptorKind {
  if ((desc & DESC_VALID) === 0n) return "invalid";
  const t = (desc & DESC_TABLE) !== 0n;
  if (level === 3) return t ? "page" : "invalid";
  if (t) return "table";
  return level === 0 ? "invalid" : "block";
}

/** Output (or next-table) physical address of a descriptor. */
export function descriptorAddress(desc: bigint): number {
  return Number(desc & DESC_ADDR_MASK);
}

/** Index into the table at `level` for virtual address `va`. */
export function tableIndex(va: bigint, level: number): number {
  return Number((va >> BigInt(39 - 9 * level)) & 0x1ffn);
}

/** Bytes one entry maps at `level`: 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
export function levelSpan(level: number): number {
  return 2 ** (39 - 9 * level);
}

export interface LeafAttrs {
  /** EL0 may access (AP[1]). */
  user: boolean;
  /** Writes allowed (not AP[2]). */
  writable: boolean;
  /** Unprivileged execute-never. */
  uxn: boolean;
  /** Privileged execute-never. */
  pxn: boolean;
  /** Access flag. */
  af: boolean;
  /** Not global: tagged with the ASID. */
  ng: boolean;
  attrIndx: number;
  cow: boolean;
  shared: boolean;
}

export function decodeLeaf(desc: bigint): LeafAttrs {
  return {
    user: (desc & DESC_AP_EL0) !== 0n,
    writable: (desc & DESC_AP_RO) === 0n,
    uxn: (desc & DESC_UXN) !== 0n,
    pxn: (desc & DESC_PXN) !== 0n,
    af: (desc & DESC_AF) !== 0n,
    ng: (desc & DESC_NG) !== 0n,
    attrIndx: Number((desc >> DESC_ATTRINDX_SHIFT) & 7n),
    cow: (desc & DESC_SW_COW) !== 0n,
    shared: (desc & DESC_SW_SHARED) !== 0n,
  };
}

export interface LeafOptions {
  user?: boolean;
  writable?: boolean;
  executable?: boolean;
  attrIndx?: number;
  global?: boolean;
  cow?: boolean;
  shared?: boolean;
  /** Leave AF clear so the first access faults (for access tracking). */
  noAccessFlag?: boolean;
}

/** Build a level-3 page descriptor for physical page `pa`. */
export function makePageDescriptor(pa: number, o: LeafOptions = {}): bigint {
  return makeLeaf(pa, o) | DESC_TABLE;
}

/** Build a level-1/2 block descriptor for physical `pa` (aligned to the level's span). */
export function makeBlockDescriptor(pa: number, o: LeafOptions = {}): bigint {
  return makeLeaf(pa, o);
}

function makeLeaf(pa: number, o: LeafOptions): bigint {
  let d = (BigInt(pa) & DESC_ADDR_MASK) | DESC_VALID | DESC_SH_INNER;
  d |= BigInt(o.attrIndx ?? 0) << DESC_ATTRINDX_SHIFT;
  if (o.user ?? true) d |= DESC_AP_EL0;
  if (!(o.writable ?? true)) d |= DESC_AP_RO;
  if (!(o.executable ?? false)) d |= DESC_UXN | DESC_PXN;
  else d |= DESC_PXN; // user code is never kernel-executable
  if (!o.noAccessFlag) d |= DESC_AF;
  if (!(o.global ?? false)) d |= DESC_NG;
  if (o.cow) d |= DESC_SW_COW;
  if (o.shared) d |= DESC_SW_SHARED;
  return d;
}

/** Build a table descriptor pointing at the next-level table at `pa`. */
export function makeTableDescriptor(pa: number): bigint {
  return (BigInt(pa) & DESC_ADDR_MASK) | DESC_VALID | DESC_TABLE;
}

// --- Fault status codes (DFSC/IFSC, Arm ARM D17.2.37 ISS encoding) -----------
export const FSC_ADDR_SIZE = 0x00; // + level
export const FSC_TRANSLATION = 0x04; // + level
export const FSC_ACCESS_FLAG = 0x08; // + level
export const FSC_PERMISSION = 0x0c; // + level
export const FSC_ALIGNMENT = 0x21;
export const FSC_EXTERNAL = 0x10; // synchronous external abort (bus error)

export function faultName(fsc: number): string {
  const level = fsc & 3;
  switch (fsc & 0x3c) {
    case FSC_ADDR_SIZE: return `address size fault, level ${level}`;
    case FSC_TRANSLATION: return `translation fault, level ${level}`;
    case FSC_ACCESS_FLAG: return `access flag fault, level ${level}`;
    case FSC_PERMISSION: return `permission fault, level ${level}`;
  }
  if (fsc === FSC_ALIGNMENT) return "alignment fault";
  if (fsc === FSC_EXTERNAL) return "synchronous external abort";
  return `fault status 0x${fsc.toString(16)}`;
}
