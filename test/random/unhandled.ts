// The encodings our decoder leaves UNDEFINED on purpose: every group module
// in emulator/cpu/a64 exports an UnhandledPattern[] with the reason. A
// random case that qemu executes but we refuse, and whose word matches one
// of these, is a documented gap rather than a bug.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { UnhandledPattern } from "../../emulator/cpu/a64/table.js";

function isUnhandledList(v: unknown): v is UnhandledPattern[] {
  return Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === "object" && p !== null && "mask" in p && "value" in p && "reason" in p);
}

/** Every exported UnhandledPattern of the A64 group modules (found by scanning the folder). */
export async function loadUnhandled(): Promise<UnhandledPattern[]> {
  const dir = join(process.cwd(), "emulator", "cpu", "a64");
  const out: UnhandledPattern[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".ts") || f.endsWith(".test.ts")) continue;
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isUnhandledList(v)) out.push(...v);
  }
  return out;
}

/** The documented pattern `word` falls under, if any. */
export function unhandledFor(list: UnhandledPattern[], word: number): UnhandledPattern | undefined {
  return list.find((p) => ((word & p.mask) >>> 0) === p.value);
}
