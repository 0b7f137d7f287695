// Random instruction differential test: for each instruction class, draw
// random valid encodings and random starting states (seeded), run them on
// qemu-aarch64 and on our CPU, and require identical final states.
//
//   RANDOM_INSN_COUNT    encodings per class (default 2000)
//   RANDOM_INSN_SEED     seed (default 1); a failure reproduces with the same seed and count
//   RANDOM_INSN_CLASSES  comma-separated subset of classes to run
//   RANDOM_INSN_MODE     "direct" (default: bodies alone) or "full" (our CPU also runs the stub's prologue/epilogue)
//
// Every class runs and prints a summary line; only the classes in CHECKED
// must show zero differences (a class joins CHECKED once its implementation
// has landed and its differences are fixed). A case qemu runs but our CPU
// refuses as UNDEFINED, whose word is listed in an UnhandledPattern[] of
// emulator/cpu/a64 (a deliberate, documented gap), is counted apart and does
// not fail the class. The full report of each class goes to
// build/random-insn/<class>.txt.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { UnhandledPattern } from "../emulator/cpu/a64/table.js";
import { CaseDiff, diffBatch, formatReport, SIG } from "./support/diff.js";
import { CLASSES, drawCases } from "./random/index.js";
import { loadUnhandled, unhandledFor } from "./random/unhandled.js";

/** Classes whose differences fail the test. */
const CHECKED = new Set<string>([
  "dp_imm", "dp_reg", "ldst", "seq", "seq_mem", "loop", "ldst_fault", "ldst_edge",
  "fp", "fp_half_cvt", "simd", "simd_scalar", "simd_extra", "simd_ldst",
]);

const COUNT = Number(process.env.RANDOM_INSN_COUNT ?? 2000);
const SEED = Number(process.env.RANDOM_INSN_SEED ?? 1);
const ONLY = process.env.RANDOM_INSN_CLASSES?.split(",").map((s) => s.trim());
const MODE = process.env.RANDOM_INSN_MODE === "full" ? "full" : "direct";
const BATCH = 300;
const REPORT_DIR = join(process.cwd(), "build", "random-insn");

function classSeed(name: string): number {
  let h = SEED >>> 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h;
}

/** Is this difference exactly "we raised UNDEFINED where qemu ran", on a documented encoding? */
function documentedGap(d: CaseDiff, words: number[], list: UnhandledPattern[]): UnhandledPattern | undefined {
  if (d.fields.length !== 1 || d.fields[0].field !== "signal" || d.fields[0].qemu !== "none") return undefined;
  if (!d.fields[0].ours.startsWith(`${SIG.ILL} `)) return undefined;
  const k = d.oursFaultPc === undefined ? 0 : (d.oursFaultPc - d.bodyAddr) / 4;
  return k >= 0 && k < words.length ? unhandledFor(list, words[k]) : undefined;
}

describe("random instructions vs qemu-aarch64", () => {
  let unhandled: UnhandledPattern[] = [];
  beforeAll(async () => {
    unhandled = await loadUnhandled();
  });
  for (const cls of CLASSES) {
    if (ONLY && !ONLY.includes(cls.name)) continue;
    it(`${cls.name}: ${COUNT} random encodings agree`, () => {
      const cases = drawCases(cls, COUNT, classSeed(cls.name));
      const diffs: (CaseDiff & { template: string })[] = [];
      const gaps = new Map<string, number>();
      const reports: string[] = [];
      let qemuFaults = 0;
      for (let start = 0; start < cases.length; start += BATCH) {
        const batch = cases.slice(start, start + BATCH);
        const r = diffBatch(batch, { mode: MODE, resetEdge: cls.edgeBase !== undefined });
        qemuFaults += r.qemuFaults;
        const real = r.diffs.filter((d) => {
          const gap = documentedGap(d, batch[d.index].words, unhandled);
          if (gap) gaps.set(gap.name, (gaps.get(gap.name) ?? 0) + 1);
          return !gap;
        });
        for (const d of real) diffs.push({ ...d, index: d.index + start, template: batch[d.index].template });
        if (real.length) reports.push(`--- cases ${start}..${start + batch.length - 1} (indices within the batch)\n${formatReport(real)}`);
      }
      const byTemplate = new Map<string, number>();
      for (const d of diffs) byTemplate.set(d.template, (byTemplate.get(d.template) ?? 0) + 1);
      const tally = [...byTemplate].map(([t, n]) => `${t} ${n}`).join(", ");
      const checked = CHECKED.has(cls.name);
      const gapText = gaps.size ? `, ${[...gaps.values()].reduce((a, b) => a + b, 0)} documented-unhandled (${[...gaps].map(([g, n]) => `${g} ${n}`).join(", ")})` : "";
      console.log(`random-insn ${cls.name}: ${cases.length} compared, ${diffs.length} differences${tally ? ` (${tally})` : ""}${gapText}, ${qemuFaults} faulted on qemu${checked ? "" : " [not checked yet]"}`);
      mkdirSync(REPORT_DIR, { recursive: true });
      writeFileSync(join(REPORT_DIR, `${cls.name}.txt`), `seed ${SEED} count ${COUNT}\n${tally}${gapText}\n${reports.join("\n")}\n`);
      // Random cases are drawn never to fault (except in the faulting class); faults mean a generator bug.
      if (cls.faultAt !== undefined) expect(qemuFaults).toBeGreaterThan(cases.length * 0.9);
      else if (!cls.edgeBase) expect(qemuFaults).toBe(0);
      if (checked) expect(reports.join("\n").slice(0, 4000)).toBe("");
    });
  }
});
