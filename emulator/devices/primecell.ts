// PrimeCell identification registers shared by Arm's AMBA peripherals:
// PeriphID0-3 at 0xFE0-0xFEC and PCellID0-3 (0x0D, 0xF0, 0x05, 0xB1) at
// 0xFF0-0xFFC, one byte per word.

const PCELL_ID = [0x0d, 0xf0, 0x05, 0xb1];

/**
 * The ID register at `offset` for a peripheral whose PeriphID0-3 bytes are
 * `periphId`, or undefined if `offset` is not an ID register.
 */
export function primeCellId(offset: number, periphId: readonly number[]): number | undefined {
  if (offset < 0xfe0 || offset > 0xffc || (offset & 3) !== 0) return undefined;
  const i = (offset - 0xfe0) >>> 2;
  return i < 4 ? periphId[i] : PCELL_ID[i - 4];
}
