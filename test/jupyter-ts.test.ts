// %%ts cells (kernel-bridge/tscell.ts): TypeScript against the live machine,
// top-level await, declarations persisting across cells, the last
// expression as the result, display() of widgets, console to stdout,
// syntax and runtime errors with the cell's own line numbers, interrupt.

import { describe, expect, test } from "vitest";
import { MagicExecutor, type OutputSinks } from "../kernel-bridge/executor.js";
import { decodeMappings } from "../kernel-bridge/tscell.js";
import { VEGALITE_MIME } from "../widgets/chart.js";

function collect() {
  const out = { stdout: "", stderr: "", displays: [] as Record<string, unknown>[] };
  const sinks: OutputSinks = { writeStream: (n, t) => void (out[n] += t), writeDisplay: (d) => void out.displays.push(d) };
  return { out, sinks };
}
const never = new AbortController().signal;

describe("%%ts cells", () => {
  test("types erased, top-level await, persistence, result, console, inspect and widgets in scope", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    const r1 = await ex.execute(
      ["%%ts", "interface Sample { ms: number; ticks: number }", "const samples: Sample[] = [];", "for (let i = 0; i < 3; i++) {", "  await advance(5);", "  samples.push({ ms: i, ticks: inspect.inspectKernel(kernel).cpus[0].ticks });", "}", "console.log('n', samples.length);", "samples.length"].join("\n"),
      sinks,
      never,
    );
    expect(r1).toEqual({ status: "ok", result: { "text/plain": "3" } });
    expect(out.stdout).toBe("n 3\n");
    const r2 = await ex.execute("%%ts\nsamples.map((s) => s.ticks).every((t, i, a) => i === 0 || t >= a[i - 1])", sinks, never);
    expect(r2).toEqual({ status: "ok", result: { "text/plain": "true" } });
    const r3 = await ex.execute("%%ts\nconst snap = inspect.inspectKernel(kernel);\nawait display(memoryChart(snap));\ndisplay(runQueues(snap));\nfunction twice(x: number) { return 2 * x }", sinks, never);
    expect(r3).toEqual({ status: "ok", result: undefined });
    expect(out.displays).toHaveLength(2);
    expect(out.displays[0][VEGALITE_MIME]).toBeDefined();
    expect(out.displays[1]["text/html"]).toMatch(/<table/);
    expect(await ex.execute("%%ts\ntwice(21)", sinks, never)).toEqual({ status: "ok", result: { "text/plain": "42" } });
    const sh = await ex.execute('%%ts\nconst r = await sh("Echo from ts");\nr.output.trim() + " rc " + r.rc', sinks, never);
    expect(sh).toEqual({ status: "ok", result: { "text/plain": "from ts rc 0" } });
  }, 60_000);

  test("syntax errors point at the cell line; runtime errors give a traceback in TypeScript lines", async () => {
    const ex = new MagicExecutor();
    const { sinks } = collect();
    const syn = await ex.execute("%%ts\nconst a = 1;\nconst b = (;\n", sinks, never);
    expect(syn).toMatchObject({ status: "error", ename: "SyntaxError" });
    if (syn.status === "error") expect(syn.traceback.join("\n")).toMatch(/cell-\d+\.ts:3:\d+: Expression expected/);
    const run = await ex.execute("%%ts\ntype T = { x: number };\n\nfunction boom(t: T): never {\n  throw new RangeError('bad ' + t.x);\n}\nboom({ x: 7 });", sinks, never);
    expect(run).toMatchObject({ status: "error", ename: "RangeError", evalue: "bad 7" });
    if (run.status === "error") {
      const tb = run.traceback.join("\n");
      expect(tb).toMatch(/line 5, in boom\n\s+throw new RangeError/);
      expect(tb).toMatch(/line 7\n\s+boom\(\{ x: 7 \}\)/);
    }
    expect(await ex.execute("%%js\n1", sinks, never)).toMatchObject({ status: "error", ename: "UsageError" });
  }, 30_000);

  test("interrupting a cell that awaits stops it; the context stays usable", async () => {
    const ex = new MagicExecutor();
    const { sinks } = collect();
    const ac = new AbortController();
    const p = ex.execute("%%ts\nlet n = 0;\nwhile (true) { await advance(1); n++; }", sinks, ac.signal);
    setTimeout(() => ac.abort(), 300);
    expect(await p).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(await ex.execute("%%ts\n1 + 1", sinks, never)).toEqual({ status: "ok", result: { "text/plain": "2" } });
  }, 30_000);

  test("is_complete: open brackets, strings and comments make a %%ts cell incomplete", () => {
    const ex = new MagicExecutor();
    expect(ex.isComplete("%%ts\nfor (let i = 0; i < 3; i++) {")).toBe("incomplete");
    expect(ex.isComplete("%%ts\nconst s = `a\n")).toBe("incomplete");
    expect(ex.isComplete("%%ts\n/* note")).toBe("incomplete");
    expect(ex.isComplete("%%ts\nconst x = '}'; // {\nf(x)")).toBe("complete");
    expect(ex.isComplete("%%ts\nf(])")).toBe("invalid");
    expect(ex.isComplete("Echo a \\")).toBe("incomplete");
    expect(ex.isComplete("Echo a")).toBe("complete");
  });

  test("decodeMappings reads VLQ segments", () => {
    // "AAAA" = [0,0,0,0]; "CAAC" = [1,0,0,1]; next line "AACA" = [0,0,1,0] (source line +1)
    expect(decodeMappings("AAAA,CAAC;AACA")).toEqual([[[0, 0, 0], [1, 0, 1]], [[0, 1, 1]]]);
  });
});
