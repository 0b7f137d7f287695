// Benchmark figures: every figure names its clock ("wall" = host time,
// "virtual" = guest time) so nobody mistakes one for the other.

export interface Figure {
  name: string;
  value: number;
  unit: string;
  clock: "wall" | "virtual";
  /** Free-form context printed in human mode (not in JSON). */
  note?: string;
}

export type Emit = (f: Figure) => void;

/** A reporter printing either aligned text or one JSON object per line. */
export function reporter(json: boolean, out: (line: string) => void = (l) => process.stdout.write(l + "\n")): Emit {
  return (f) => {
    if (json) {
      out(JSON.stringify({ name: f.name, value: round(f.value), unit: f.unit, clock: f.clock }));
    } else {
      const v = round(f.value).toString().padStart(10);
      out(`${f.name.padEnd(34)} ${v} ${f.unit.padEnd(8)} [${f.clock}]${f.note ? `  ${f.note}` : ""}`);
    }
  };
}

function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return Number(v.toFixed(digits));
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
