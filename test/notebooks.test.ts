// The course notebooks (notebooks/*.ipynb) executed by a real Jupyter client:
// Debian's nbconvert (`python3 -m nbconvert --to notebook --execute`)
// starting our kernel from a kernelspec installed into a temporary prefix
// (JUPYTER_PATH points at its share/jupyter). Each must run with no error
// output and show the MIME types its views promise: HTML trees and tables,
// vega-lite charts with their SVG fallback. A cell tagged raises-exception
// (a lesson about a failing command) must show exactly one error instead.
// Needs python3-nbconvert (scripts/jupyter-deps.sh installs Debian's Jupyter clients).

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { executeNotebook, joined, kernelspecPrefix, removePrefix, VL, type Output, type RunCell } from "./support/notebook.js";

let work = "";
beforeAll(() => {
  work = kernelspecPrefix("notebooks");
}, 180_000);
afterAll(() => removePrefix(work));

const execute = (name: string) => executeNotebook(work, name);

function outputsOf(cells: RunCell[], source: string): Output[] {
  const c = cells.find((x) => x.source === source);
  if (!c) throw new Error(`no cell ${source}`);
  return c.outputs;
}

const rich = (os: Output[]) => os.filter((o) => o.output_type === "display_data" || o.output_type === "execute_result");
const stream = (name: string) => (os: Output[]) => os.filter((o) => o.output_type === "stream" && o.name === name).map((o) => joined(o.text)).join("");
const stdout = stream("stdout");
const stderr = stream("stderr");

/** No error output, except in cells tagged raises-exception (each of which must have one). */
function expectNoErrors(cells: RunCell[]): void {
  const errors = cells.filter((c) => !c.expectsError).flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => `${c.source}: ${o.ename}: ${o.evalue}`));
  expect(errors).toEqual([]);
  for (const c of cells.filter((x) => x.expectsError)) expect(c.outputs.filter((o) => o.output_type === "error"), c.source).toHaveLength(1);
}

function expectChart(o: Output | undefined): void {
  expect(o?.data && Object.keys(o.data)).toEqual(expect.arrayContaining(["text/plain", "text/html", VL, "image/svg+xml"]));
  expect(joined(o!.data!["image/svg+xml"] as string | string[])).toMatch(/^<svg[\s\S]+<\/svg>/);
}

describe("notebooks executed by nbconvert", () => {
  test("01-boot-and-shell: boot log, shell commands, a program, return codes and Why, the trace", () => {
    const { cells, ms } = execute("01-boot-and-shell.ipynb");
    expectNoErrors(cells);
    expect(ms).toBeLessThan(60_000);
    const boot = stdout(outputsOf(cells, "%boot"));
    expect(boot).toContain("cpu: 4 x AArch64");
    expect(boot).toMatch(/ViperFS "SYS" mounted as SYS:/);
    expect(boot).toContain("sched: tick 1000 Hz on 4 CPUs");
    expect(stdout(outputsOf(cells, "Version\nDate\nAvail"))).toMatch(/^ViperDOS [\s\S]*\d{4}-\d\d-\d\d [\s\S]*Memory: total 131072 KiB/);
    expect(stdout(outputsOf(cells, "Assign"))).toMatch(/^\s+C\s+D1:c$/m);
    expect(stdout(outputsOf(cells, "Dir C:"))).toMatch(/countdown\.prg[\s\S]*hello\.prg/);
    expect(stdout(outputsOf(cells, "hello one two"))).toContain("arg 2: two");
    expect(stdout(outputsOf(cells, "countdown 5"))).toBe("5\n4\n3\n2\n1\ncountdown: done, exiting with status 0\n");
    // WARN: a note on stderr, the cell goes on; Why names the program.
    const warn = outputsOf(cells, "countdown 2 5\nEcho the cell went on after the warning");
    expect(stderr(warn)).toMatch(/rc 5: WARN/);
    expect(stdout(warn)).toContain("the cell went on after the warning");
    const whys = cells.filter((c) => c.source === "Why").map((c) => stdout(c.outputs));
    expect(whys[0]).toBe("countdown returned 5\n");
    // ERROR (the notebook's last cell, since an error stops Run All): the cell stops with the shell's message.
    const failed = outputsOf(cells, "Type S:no-such-file\nEcho this line is not reached");
    expect(failed.find((o) => o.output_type === "error")).toMatchObject({ ename: "ShellError", evalue: expect.stringMatching(/S:no-such-file: object not found.*rc 10/) });
    expect(stdout(failed)).not.toContain("not reached");
    const trace = rich(outputsOf(cells, "countdown 1\n%trace show 25"))[0];
    expect(Object.keys(trace.data!)).toEqual(expect.arrayContaining(["text/plain", "text/html"]));
    expect(joined(trace.data!["text/plain"] as string)).toMatch(/Exit[\s\S]*running hash [0-9a-f]{16}/);
    const timeline = rich(outputsOf(cells, "%sched --timeline"))[0];
    expectChart(timeline);
    expect(JSON.stringify(timeline.data![VL])).toContain("vinit");
    expect(joined(rich(outputsOf(cells, "%help"))[0].data!["text/plain"] as string)).toContain("%trace");
  }, 150_000);

  test("02-memory-and-page-tables: demand paging and COW visible through %pt", () => {
    const { cells, ms } = execute("02-memory-and-page-tables.ipynb");
    expectNoErrors(cells);
    expect(ms).toBeLessThan(60_000);
    // %pt's tree is a display_data; a cell's "%advance" line gives its execute_result. PID 1 is vinit, cowdemo PID 2.
    const trees = cells.filter((c) => c.source.endsWith("%pt 2")).map((c) => c.outputs.filter((o) => o.output_type === "display_data"));
    expect(trees.map((t) => t.length)).toEqual([1, 1, 1, 1]);
    for (const [o] of trees) expect(joined(o.data?.["text/html"] as string)).toContain("<details");
    const withCow = trees.map(([o]) => joined(o.data?.["text/plain"] as string));
    expect(withCow[0]).not.toMatch(/ cow /);
    expect(withCow[2]).toMatch(/ cow /);
    expect(stdout(outputsOf(cells, "%run --for 50 cowdemo"))).toContain("cowdemo: heap of 8 pages");
    expectChart(rich(outputsOf(cells, "%mem --chart"))[0]);
    const tl = rich(outputsOf(cells, "%sched --timeline"))[0];
    expectChart(tl);
    expect(JSON.stringify(tl.data![VL])).toContain("virtual time (ms)");
  }, 150_000);

  test("03-scheduler: run queues, slices, priorities, CPU- vs IO-bound, affinity; four timelines", () => {
    const { cells, ms } = execute("03-scheduler.ipynb");
    expectNoErrors(cells);
    expect(ms).toBeLessThan(60_000);
    // Mid-run, CPU 0 runs one pinned hog while the other waits in its fair queue; CPU 1 idles.
    const queues = joined(rich(outputsOf(cells, "%sched"))[0].data!["text/plain"] as string);
    expect(queues).toMatch(/^\s+0\s+\d+ \(schedmix\)\s+[2-9]\s/m);
    expect(queues).toMatch(/^\s+1\s+idle\s+0/m);
    // Equal priorities: an even share of CPU 0 (10 ms slices, so within one slice of half).
    const pair = /A \(prio 128\) ([\d.]+) ms and B \(prio 128\) ([\d.]+) ms/.exec(stdout(outputsOf(cells, "%advance 150")));
    expect(pair).not.toBeNull();
    expect(Math.abs(Number(pair![1]) - Number(pair![2]))).toBeLessThanOrEqual(10.5);
    // A higher priority gets most of CPU 0, the lower one is not starved.
    const prio = /A got (\d+)%/.exec(stdout(outputsOf(cells, "%boot --cpus 2 --mem 64\n%run schedmix pair 20 240")));
    expect(Number(prio?.[1])).toBeGreaterThan(66);
    expect(Number(prio?.[1])).toBeLessThan(100);
    // The real-time ticker is never later than the tick's granularity; the fair one at most a slice (10 ms) and a tick.
    const late = (src: string) => /latency avg ([\d.]+) ms, max ([\d.]+) ms/.exec(stdout(outputsOf(cells, src)))!.slice(1).map(Number);
    const [, fairMax] = late("%boot --cpus 2 --mem 64\n%run schedmix mix fair");
    const [rrAvg, rrMax] = late("%run schedmix mix rr");
    expect(rrMax).toBeLessThanOrEqual(1.2);
    expect(rrAvg).toBeLessThanOrEqual(rrMax);
    expect(fairMax).toBeLessThanOrEqual(11.2);
    // Two CPUs finish four hogs in about half the time one CPU takes.
    const done = (src: string) => Number(/done at ([\d.]+) ms/.exec(stdout(outputsOf(cells, src)))![1]);
    const both = done("%boot --cpus 2 --mem 64\n%run schedmix spread 4 3");
    const one = done("%run schedmix spread 4 1");
    expect(one / both).toBeGreaterThan(1.8);
    const timelines = cells.filter((c) => c.source === "%sched --timeline").map((c) => rich(c.outputs)[0]);
    expect(timelines).toHaveLength(4);
    for (const t of timelines) {
      expectChart(t);
      expect(JSON.stringify(t.data![VL])).toContain("virtual time (ms)");
    }
  }, 150_000);

  test("04-capabilities-and-ipc: ipc runs, %caps shows the derivation tree, %bench ipc plots", () => {
    const { cells, ms } = execute("04-capabilities-and-ipc.ipynb");
    expectNoErrors(cells);
    expect(ms).toBeLessThan(60_000);
    expect(stdout(outputsOf(cells, "%run ipc"))).toContain("ipc: ok");
    const caps = rich(outputsOf(cells, "%caps capdemo"))[0];
    expect(joined(caps.data?.["text/html"] as string)).toMatch(/Derivation tree[\s\S]*<ul><li>[\s\S]*<ul><li>[\s\S]*<ul><li>/);
    const bench = rich(outputsOf(cells, "%bench ipc --sizes 8,64,512,4096 --iters 100"));
    expect(bench.map((o) => o.output_type)).toEqual(["execute_result"]);
    expectChart(bench[0]);
    const values = (bench[0].data![VL] as { data: { values: { size: number }[] } }).data.values;
    expect(new Set(values.map((v) => v.size))).toEqual(new Set([8, 64, 512, 4096]));
    expect(values).toHaveLength(400);
  }, 150_000);

  test("05-file-system: inode and blocks with %fs, a transaction with %journal, crashes before and after the commit point", () => {
    const { cells, ms } = execute("05-file-system.ipynb");
    expectNoErrors(cells);
    expect(ms).toBeLessThan(60_000);
    const text = (o: Output | undefined) => joined(o?.data?.["text/plain"] as string | string[]);
    const html = (o: Output | undefined) => joined(o?.data?.["text/html"] as string | string[]);
    const dirs = cells.filter((c) => c.source === "%fs T:").map((c) => rich(c.outputs)[0]);
    expect(dirs).toHaveLength(2);
    expect(text(dirs[0])).not.toContain("notes.txt");
    expect(text(dirs[1])).toMatch(/\d+\s+1\s+notes\.txt/);
    for (const d of dirs) expect(html(d)).toContain("<table");
    const notes = text(rich(outputsOf(cells, "%fs T:notes.txt"))[0]);
    expect(notes).toMatch(/^size\s+10000$/m);
    expect(notes).toMatch(/^blocks\s+3$/m);
    // The %%ts cell plots one Copy's disk writes: two transactions, each copies -> commit -> home blocks -> header emptied.
    const ts = cells.find((c) => c.source.startsWith("%%ts"))!;
    const plot = rich(ts.outputs).find((o) => o.output_type === "display_data");
    expectChart(plot);
    const writes = text(plot).split("\n").filter((l) => /^\d+: block/.test(l)).map((l) => l.replace(/^\d+: block \d+ \((.*)\)$/, "$1"));
    expect(writes.filter((w) => w === "journal header")).toHaveLength(4); // commit + empty, twice
    expect(writes[0]).toBe("journal copies");
    expect(writes.indexOf("home block")).toBeGreaterThan(writes.indexOf("journal header"));
    expect(text(rich(ts.outputs).find((o) => o.output_type === "execute_result"))).toMatch(/^\d+ writes, \d+ flushes$/);
    const journals = cells.filter((c) => c.source === "%journal").map((c) => text(rich(c.outputs)[0]));
    expect(journals[0]).toMatch(/Last transaction[\s\S]*D1\s+\d+\s+0 1 \d+/);
    // Before the commit point: nothing to replay, the file keeps its first two writes.
    const before = outputsOf(cells, "%crash --before-commit");
    expect(text(rich(before).find((o) => o.output_type === "display_data"))).toContain("nothing to replay");
    expect(text(rich(before).find((o) => o.output_type === "execute_result"))).toBe("the mount of D1: replayed 0 journal transactions");
    expect(stdout(before)).toContain('ViperFS "USER" mounted as D1:');
    expect(text(rich(outputsOf(cells, "%fs T:lost.txt"))[0])).toMatch(/^size\s+8192$/m);
    // After it: one committed transaction on the crashed disk, replayed at mount; the copy is whole.
    const after = outputsOf(cells, "%crash");
    expect(text(rich(after).find((o) => o.output_type === "display_data"))).toMatch(/\bcommitted\n[\s\S]*the next mount replays/);
    expect(text(rich(after).find((o) => o.output_type === "execute_result"))).toBe("the mount of D1: replayed 1 journal transaction");
    const saved = outputsOf(cells, "Type T:saved.txt\n%fs T:saved.txt");
    expect(stdout(saved)).toContain("# S:startup");
    expect(text(rich(saved)[0])).toMatch(/^size\s+106$/m);
    expect(journals.at(-1)).toMatch(/^D1\s+clean/m);
  }, 150_000);
});
