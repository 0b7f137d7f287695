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
// has landed and its differences are fixed). The full report of each class
// goes to build/random-insn/<class>.txt.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CaseDiff, diffBatch } from "./support/diff.js";
import { CLASSES } from "./random/index.js";
import { drawCases } from "./random/index.js";

/** Classes whose differences fail the test. */
const CHECKED = new Set<string>(["dp_imm", "dp_reg", "ldst", "seq", "seq_mem", "simd", "simd_ldst"]);

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

describe("random instructions vs qemu-aarch64", () => {
  for (const cls of CLASSES) {
    if (ONLY && !ONLY.includes(cls.name)) continue;
    it(`${cls.name}: ${COUNT} random encodings agree`, () => {
      const cases = drawCases(cls, COUNT, classSeed(cls.name));
      const diffs: (CaseDiff & { template: string })[] = [];
      const reports: string[] = [];
      let qemuFaults = 0;
      for (let start = 0; start < cases.length; start += BATCH) {
        const batch = cases.slice(start, start + BATCH);
        const r = diffBatch(batch, { mode: MODE });
        qemuFaults += r.qemuFaults;
        for (const d of r.diffs) diffs.push({ ...d, index: d.index + start, template: batch[d.index].template });
        if (r.report) reports.push(`--- cases ${start}..${start + batch.length - 1} (indices within the batch)\n${r.report}`);
      }
      const byTemplate = new Map<string, number>();
      for (const d of diffs) byTemplate.set(d.template, (byTemplate.get(d.template) ?? 0) + 1);
      const tally = [...byTemplate].map(([t, n]) => `${t} ${n}`).join(", ");
      const checked = CHECKED.has(cls.name);
      console.log(`random-insn ${cls.name}: ${cases.length} compared, ${diffs.length} differences, ${qemuFaults} faulted on qemu${tally ? ` (${tally})` : ""}${checked ? "" : " [not checked yet]"}`);
      mkdirSync(REPORT_DIR, { recursive: true });
      writeFileSync(join(REPORT_DIR, `${cls.name}.txt`), `seed ${SEED} count ${COUNT}\n${tally}\n${reports.join("\n")}\n`);
      // Random cases are drawn never to fault; faults mean a generator bug.
      expect(qemuFaults).toBe(0);
      if (checked) expect(reports.join("\n").slice(0, 4000)).toBe("");
    });
  }
});
