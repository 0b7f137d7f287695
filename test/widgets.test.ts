// widgets/: pure snapshot -> MIME bundle functions. Synthetic snapshots for
// the shapes that matter (COW pages, derivation chains, open timeline
// segments, hostile names) and a real kernel's snapshot for memory and run
// queues. Charts: the spec passes checkChartSpec (which itself rejects
// broken specs) and the SVG fallback is a non-empty <svg>.

import { describe, expect, test } from "vitest";
import { Kernel } from "../viperdos/kernel/kernel.js";
import { inspectKernel } from "../viperdos/kernel/inspect/index.js";
import {
  capabilityTable,
  checkChartSpec,
  derivationForest,
  ipcLatencyPlot,
  ipcLatencySpec,
  memoryChart,
  memoryTables,
  pageTableTree,
  parseIpclat,
  quantile,
  rightsString,
  runQueues,
  schedulingTimeline,
  snapshot,
  traceTable,
  VEGALITE_MIME,
  VEGALITE_SCHEMA,
  type CapsInput,
  type MimeBundle,
  type PageTablesInput,
  type TimelineInput,
} from "../widgets/index.js";

function expectChart(b: MimeBundle) {
  expect(Object.keys(b).sort()).toEqual(["application/vnd.vegalite.v5+json", "image/svg+xml", "text/html", "text/plain"]);
  expect(checkChartSpec(b[VEGALITE_MIME])).toEqual([]);
  const svg = b["image/svg+xml"] as string;
  expect(svg).toMatch(/^<svg[^>]*width="\d+"[\s\S]*<\/svg>$/);
  expect(svg).toMatch(/<path|<rect/);
  expect(b["text/html"]).toContain("<svg");
  JSON.parse(JSON.stringify(b)); // a bundle crosses the wire as JSON
}

const kernel = (() => {
  const k = new Kernel({ cpus: 2, ramMiB: 32, seed: 1 });
  k.boot();
  k.runUntil(k.machine.now() + 5_000_000);
  return k;
})();

describe("memory", () => {
  const s = inspectKernel(kernel);
  test("tables keep the old shape (html starts with <table) and count pages", () => {
    const b = memoryTables(s);
    expect(b["text/html"]).toMatch(/^<table/);
    expect(b["text/plain"]).toMatch(/total\s+8192/);
    expect(b["text/plain"]).toMatch(/virtual time \d+\.\d{3} ms/);
  });
  test("chart: free/used/reserved bars whose pages add up, in the SVG too", async () => {
    const b = await memoryChart(s);
    expectChart(b);
    const v = (b[VEGALITE_MIME] as { data: { values: { state: string; pages: number }[] } }).data.values;
    expect(v.map((x) => x.state)).toEqual(["free", "used", "reserved"]);
    expect(v.reduce((a, x) => a + x.pages, 0)).toBe(s.memory.pmm.totalPages);
    expect(b["image/svg+xml"]).toContain("reserved");
  });
});

describe("scheduler", () => {
  test("run queues: one row per CPU", () => {
    const b = runQueues(inspectKernel(kernel));
    expect(b["text/plain"].split("\n").filter((l) => /^\s+[01]\s+idle/.test(l))).toHaveLength(2);
  });
  const input: TimelineInput = {
    timeline: {
      capacity: 100,
      dropped: 3,
      segments: [
        { cpu: 0, task: 1, startNs: 0, endNs: 2_000_000 },
        { cpu: 1, task: 2, startNs: 1_000_000, endNs: 1_500_000 },
        { cpu: 0, task: 2, startNs: 2_000_000, endNs: null },
      ],
    },
    nowNs: 4_000_000,
    cpuCount: 2,
    processes: [{ tasks: [{ tid: 1 }], name: "init" }, { tasks: [{ tid: 2 }], name: "<b>evil</b>" }] as unknown as TimelineInput["processes"],
  };
  test("timeline: a Gantt over virtual time (ms); open segments end at now; names escaped", async () => {
    const b = await schedulingTimeline(input);
    expectChart(b);
    const spec = b[VEGALITE_MIME] as { encoding: { x: { title: string } }; data: { values: { start: number; end: number; task: string }[] } };
    expect(spec.encoding.x.title).toBe("virtual time (ms)");
    expect(spec.data.values.at(-1)).toMatchObject({ start: 2, end: 4, task: "2 (<b>evil</b>)" });
    expect(b["image/svg+xml"]).toContain("virtual time (ms)");
    expect(b["image/svg+xml"]).not.toContain("<b>evil</b>");
    expect(b["text/plain"]).toMatch(/1 \(init\)\s+CPU 0\s+2/);
    expect(b["text/plain"]).toContain("3 older segments dropped");
  });
  test("timeline: only the latest maxSegments are drawn", async () => {
    const b = await schedulingTimeline({ ...input, maxSegments: 1 });
    expect((b[VEGALITE_MIME] as { data: { values: unknown[] } }).data.values).toHaveLength(1);
    expect(b["text/plain"]).toContain("the oldest 2 not shown");
  });
});

const pt: PageTablesInput = {
  pid: 3, name: "a<b", asid: 5, root: "0x1000", ttbr0: "0x5000000001000", destroyed: false, heapStart: "0x500000", brk: "0x502000",
  residentPages: 2, tablePages: 4,
  vmas: [{ start: "0x400000", end: "0x402000", pages: 2, prot: "rw-", kind: "heap" as never, backing: "zero-fill" }],
  tables: [
    { level: 0, pa: "0x1000", vaBase: "0x0", entries: [{ index: 0, va: "0x0", descriptor: "0x2003", kind: "table", next: "0x2000" }] },
    { level: 1, pa: "0x2000", vaBase: "0x0", entries: [{ index: 0, va: "0x0", descriptor: "0x3003", kind: "table", next: "0x3000" }] },
    { level: 2, pa: "0x3000", vaBase: "0x0", entries: [{ index: 2, va: "0x400000", descriptor: "0x4003", kind: "table", next: "0x4000" }] },
    {
      level: 3, pa: "0x4000", vaBase: "0x400000",
      entries: [
        { index: 0, va: "0x400000", descriptor: "0x40a000f43", kind: "page", frame: "0x40a00000", perms: "r--", cow: true, shared: false, refs: 2 },
        { index: 1, va: "0x401000", descriptor: "0x40a01f43", kind: "page", frame: "0x40a01000", perms: "rw-", cow: false, shared: true, refs: 1 },
      ],
    },
  ],
  counters: { faults: 4, zeroFills: 2, fileLoads: 0, cowCopies: 1, segv: 0 } as never,
  lastSegv: null,
};

describe("page tables", () => {
  test("text: the walk from the root, levels 0..3, with COW / shared marks and refs", () => {
    const t = pageTableTree(pt)["text/plain"];
    expect(t).toMatch(/L0 table @ 0x1000[\s\S]*L1 table @ 0x2000[\s\S]*L2 table @ 0x3000[\s\S]*L3 table @ 0x4000/);
    expect(t).toContain("[0] va 0x400000 -> page 0x40a00000 r-- cow refs 2");
    expect(t).toContain("[1] va 0x401000 -> page 0x40a01000 rw- shared refs 1");
    expect(t).toContain("COW copies 1");
  });
  test("html: nested <details> per table, badges, escaped names", () => {
    const h = pageTableTree(pt)["text/html"] as string;
    expect(h.match(/<details/g)).toHaveLength(5); // the section + 4 tables
    expect(h).toContain("vd-cow");
    expect(h).toContain("vd-shared");
    expect(h).toContain("a&lt;b");
    expect(h).toContain("2 pages, 1 COW");
  });
  test("a destroyed address space has no tree but still renders", () => {
    const b = pageTableTree({ ...pt, tables: [], destroyed: true });
    expect(b["text/html"]).toContain("no tables");
  });
});

const caps: CapsInput = {
  pid: 1, name: "init", owner: 1, bounding: 0x1fff, boundingNames: ["READ"], limits: [{ resource: "handles", limit: 64, used: 3 }] as never,
  handles: [
    { handle: 0x10000, index: 0, generation: 1, kind: "channel", objectId: 7, rights: 0xc3, rightsNames: [], node: 10, parentNode: null },
    { handle: 0x10001, index: 1, generation: 1, kind: "channel", objectId: 7, rights: 0x01, rightsNames: [], node: 11, parentNode: 10 },
    { handle: 0x20002, index: 2, generation: 2, kind: "shm", objectId: 9, rights: 0x03, rightsNames: [], node: 12, parentNode: 99 },
  ],
  edges: [{ parent: 10, child: 11 }, { parent: 99, child: 12 }],
} as never;

describe("capabilities", () => {
  test("rights as bits in bit order", () => {
    expect(rightsString(0)).toBe("-------------");
    expect(rightsString(0x1 | 0x2 | 0x40 | 0x80)).toBe("rw----Dt-----");
    expect(rightsString(0x1fff)).toBe("rwxlcdDtsTvim");
  });
  test("derivation forest: derived under parent; outside parents grouped", () => {
    const f = derivationForest(caps);
    expect(f).toHaveLength(2);
    expect(f[0].label).toMatch(/^0x10000 channel #7/);
    expect(f[0].children.map((c) => c.label)).toEqual([expect.stringMatching(/^0x10001 channel #7 \[r-/)]);
    expect(f[1].label).toBe("node 99 (not in this table)");
  });
  test("bundle: table, tree and limits in text and html", () => {
    const b = capabilityTable(caps);
    expect(b["text/plain"]).toContain("Capabilities of pid 1 (init)");
    expect(b["text/plain"]).toMatch(/Derivation tree\n0x10000 .*\n {2}└ 0x10001/);
    expect(b["text/html"]).toMatch(/<ul><li><code>0x10000[^<]*<\/code><ul><li><code>0x10001/);
    expect(b["text/plain"]).toMatch(/0x10001 .* node 99|node 99/);
  });
});

describe("trace", () => {
  test("events as a table with the hash", () => {
    const b = traceTable({ hash: 0xbeef, total: 10, events: [{ seq: 9, t: 100, cpu: 0, kind: "Switch" as never, task: 1, a: 2, b: 0 }] });
    expect(b["text/html"]).toMatch(/^<table/);
    expect(b["text/plain"]).toContain("last 1 of 10 events");
    expect(b["text/plain"]).toContain("running hash 0xbeef");
  });
});

describe("IPC latency", () => {
  test("parseIpclat reads samples, the done line and errors", () => {
    expect(parseIpclat("junk\nipclat size=8 i=0 ns=2400\nipclat size=8 i=1 ns=2384\nipclat done size=8 iters=2 freq=62500000\n")).toEqual({ samplesNs: [2400, 2384], done: true, error: undefined });
    expect(parseIpclat("ipclat error=-300\n")).toMatchObject({ samplesNs: [], done: false, error: "ipclat error=-300" });
  });
  test("quantile by nearest rank", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.9)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
  test("box plot per size; axis names the virtual clock; table of percentiles", async () => {
    const input = { series: [{ size: 8, samplesNs: [2000, 3000, 2500] }, { size: 4096, samplesNs: [4000, 5000] }], cpus: 1, wallMs: 12 };
    const b = await ipcLatencyPlot(input);
    expectChart(b);
    const spec = ipcLatencySpec(input) as { encoding: { y: { title: string } } };
    expect(spec.encoding.y.title).toMatch(/virtual time/);
    expect(b["text/plain"]).toMatch(/\n\s*8\s+3\s+2\s+2\.5\s+3\s+3\s+3\s+2\.5/);
    expect(b["text/plain"]).toContain("12 ms wall time");
  });
});

describe("checkChartSpec", () => {
  const good = { $schema: VEGALITE_SCHEMA, data: { values: [{ a: 1, b: 2 }] }, mark: "bar", encoding: { x: { field: "a", type: "quantitative", title: "virtual time (ms)" }, y: { field: "b", type: "quantitative", title: "b" } } };
  test("accepts a good spec and rejects each kind of breakage", () => {
    expect(checkChartSpec(good)).toEqual([]);
    expect(checkChartSpec(null)).toEqual(["spec is not an object"]);
    expect(checkChartSpec({ ...good, $schema: "v4" }).join()).toMatch(/\$schema/);
    expect(checkChartSpec({ ...good, data: { values: 3 } }).join()).toMatch(/data.values/);
    expect(checkChartSpec({ ...good, mark: undefined }).join()).toMatch(/no mark/);
    expect(checkChartSpec({ ...good, encoding: { ...good.encoding, y: { field: "zz", type: "quantitative", title: "y" } } }).join()).toMatch(/"zz" is not in the data/);
    expect(checkChartSpec({ ...good, encoding: { ...good.encoding, x: { field: "a", type: "quantitative", title: "a" } } }).join()).toMatch(/clock/);
    expect(checkChartSpec({ ...good, encoding: { ...good.encoding, y: { field: "b", type: "quantitative" } } }).join()).toMatch(/y has no title/);
    expect(checkChartSpec({ ...good, mark: "no-such-mark" }).join()).toMatch(/vega-lite/);
  });
  test("module snapshot is plain data", () => {
    expect(JSON.parse(JSON.stringify(snapshot())).views).toContain("pageTableTree");
  });
});
