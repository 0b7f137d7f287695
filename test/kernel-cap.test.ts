// Capabilities: error codes, handle encoding and generations, kind/rights
// checks, derive/revoke across tables, the bounding set and resource limits.

import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALL_ERRORS, E, cName, errorMessage, errorName } from "../viperdos/kernel/errors.js";
import { HandleTable, HANDLE_SLOTS, handleGeneration, handleIndex, makeHandle, moveHandle } from "../viperdos/kernel/cap/handles.js";
import { IdSource, KernelObject } from "../viperdos/kernel/cap/objects.js";
import { ResourceLimits, Resource } from "../viperdos/kernel/cap/limits.js";
import { ALL_RIGHTS, Rights, rightsNames } from "../viperdos/kernel/cap/rights.js";

class Thing extends KernelObject {
  released = 0;
  constructor(kind = "file", ids = new IdSource()) {
    super(kind, ids);
  }
  protected override onLastRelease(): void {
    this.released++;
  }
}

const { READ, WRITE, DERIVE, TRANSFER, EXECUTE } = Rights;
const RW = READ | WRITE;

// VIPERDOS.md, "Error codes" paragraph (our spec), as code -> phrase.
const SPEC_ERRORS: [number, string][] = [
  [0, "OK"], [-1, "unknown"], [-2, "invalid argument"], [-3, "out of memory"], [-4, "not found"],
  [-5, "already exists"], [-6, "permission denied"], [-7, "not supported"], [-8, "busy"], [-9, "timeout"],
  [-100, "invalid handle"], [-101, "handle closed"], [-102, "wrong handle type"], [-200, "task exited"],
  [-201, "task not found"], [-300, "would block"], [-301, "channel closed"], [-302, "message too large"],
  [-400, "poll set full"], [-500, "I/O error"], [-501, "no resource"],
];

describe("errors.ts", () => {
  it("has every code of VIPERDOS.md with a name and a message", () => {
    for (const [code] of SPEC_ERRORS) {
      expect(ALL_ERRORS.some((e) => e.code === code), `code ${code}`).toBe(true);
      expect(errorName(code)).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(errorMessage(code).length).toBeGreaterThan(3);
    }
  });

  it("matches the spec's list when the shared spec is present", () => {
    const path = "/work/shared/VIPERDOS.md";
    if (!existsSync(path)) return;
    const text = readFileSync(path, "utf8").replace(/\s+/g, " ");
    const para = text.slice(text.indexOf("Error codes:"), text.indexOf("Give every code a name"));
    const codes = [...para.matchAll(/(?:^|[\s;:,])(?:−|-)?(\d+) /g)].map((m) => (m[1] === "0" ? 0 : -Number(m[1])));
    expect(codes.length).toBeGreaterThanOrEqual(21);
    expect(codes).toContain(-302);
    for (const c of codes.filter((c) => c > -502)) expect(errorName(c), `code ${c}`).not.toMatch(/^ERROR_/);
  });

  it("E and ALL_ERRORS agree, codes and names are unique, FS >= -599 and network -6xx", () => {
    expect(Object.keys(E).length).toBe(ALL_ERRORS.length);
    for (const info of ALL_ERRORS) expect((E as Record<string, number>)[info.name]).toBe(info.code);
    expect(new Set(ALL_ERRORS.map((e) => e.code)).size).toBe(ALL_ERRORS.length);
    expect(E.NOT_DIR).toBe(-502);
    expect(E.CONN_REFUSED).toBe(-600);
    expect(cName(ALL_ERRORS[3])).toBe("VERR_NO_MEMORY");
  });

  it.each([
    [-300, "WOULD_BLOCK"], [-6, "PERMISSION"], [-101, "HANDLE_CLOSED"], [-12345, "ERROR_-12345"],
  ])("errorName(%i) = %s", (code, name) => {
    expect(errorName(code)).toBe(name);
  });

  it("unknown codes give a message, never throw", () => {
    expect(errorMessage(-777)).toBe("unknown error -777");
  });
});

describe("handle encoding", () => {
  it.each([
    [0, 0, 0], [5, 0, 5], [0, 1, 0x0100_0000], [255, 0xff, 0xff00_00ff],
  ])("index %i gen %i -> %s", (index, gen, h) => {
    expect(makeHandle(index, gen)).toBe(h);
    expect(handleIndex(h)).toBe(index);
    expect(handleGeneration(h)).toBe(gen);
  });

  it("the first handle of a fresh table is 0 (bootstrap channel)", () => {
    const t = new HandleTable();
    expect(t.insert(new Thing("channel"), RW)).toBe(0);
  });

  it("handles are never negative, even with generation >= 128", () => {
    const t = new HandleTable();
    let h = 0;
    for (let i = 0; i < 200; i++) {
      h = t.insert(new Thing(), RW);
      expect(t.close(h)).toBe(0);
    }
    expect(h).toBe(makeHandle(0, 199));
    expect(h).toBeGreaterThan(0);
  });
});

describe("HandleTable.get", () => {
  function setup() {
    const t = new HandleTable();
    const obj = new Thing("file");
    const h = t.insert(obj, RW);
    return { t, obj, h };
  }

  it.each([
    ["valid", (h: number) => h, undefined, 0, "ok"],
    ["index out of range", () => makeHandle(300, 0), undefined, 0, E.INVALID_HANDLE],
    ["never-used slot", () => makeHandle(7, 0), undefined, 0, E.INVALID_HANDLE],
    ["wrong generation", (h: number) => makeHandle(handleIndex(h), 3), undefined, 0, E.INVALID_HANDLE],
    ["negative", () => -5, undefined, 0, E.INVALID_HANDLE],
    ["not an integer", () => 1.5, undefined, 0, E.INVALID_HANDLE],
    ["console pseudo-handle", () => 0xffff0001, undefined, 0, E.INVALID_HANDLE],
    ["wrong kind", (h: number) => h, "channel", 0, E.WRONG_TYPE],
    ["missing rights", (h: number) => h, "file", EXECUTE, E.PERMISSION],
    ["right kind and rights", (h: number) => h, "file", READ, "ok"],
  ] as const)("%s", (_name, handleOf, kind, need, want) => {
    const { t, obj, h } = setup();
    const r = t.get(handleOf(h), kind, need);
    if (want === "ok") {
      expect(typeof r).toBe("object");
      expect((r as { object: KernelObject }).object).toBe(obj);
    } else {
      expect(r).toBe(want);
    }
  });

  it("closed handle: -101 until the slot is reused, then -100 (generation)", () => {
    const { t, obj, h } = setup();
    expect(t.close(h)).toBe(0);
    expect(obj.released).toBe(1);
    expect(t.get(h)).toBe(E.HANDLE_CLOSED);
    expect(t.close(h)).toBe(E.HANDLE_CLOSED);
    const h2 = t.insert(new Thing(), RW);
    expect(handleIndex(h2)).toBe(handleIndex(h));
    expect(handleGeneration(h2)).toBe(handleGeneration(h) + 1);
    expect(t.get(h)).toBe(E.INVALID_HANDLE);
    expect(typeof t.get(h2)).toBe("object");
  });

  it("query returns kind, rights and generation; list enumerates", () => {
    const { t, h } = setup();
    const h2 = t.insert(new Thing("timer"), READ);
    expect(t.query(h)).toEqual({ kind: "file", rights: RW, generation: 0 });
    expect(t.query(makeHandle(9, 0))).toBe(E.INVALID_HANDLE);
    expect(t.list().map((x) => [x.handle, x.kind, x.rights])).toEqual([[h, "file", RW], [h2, "timer", READ]]);
  });

  it("table of 256 slots: the 257th insert fails with -501", () => {
    const t = new HandleTable();
    for (let i = 0; i < HANDLE_SLOTS; i++) expect(t.insert(new Thing(), READ)).toBe(i);
    const extra = new Thing();
    expect(t.insert(extra, READ)).toBe(E.NO_RESOURCE);
    expect(extra.refcount).toBe(0);
  });

  it("refcount counts handles; the object goes with the last one", () => {
    const t = new HandleTable();
    const obj = new Thing();
    const h = t.insert(obj, RW | DERIVE);
    const d = t.derive(h, READ) as number;
    expect(obj.refcount).toBe(2);
    t.close(h);
    expect(obj.released).toBe(0);
    t.close(d);
    expect(obj.released).toBe(1);
    expect(obj.destroyed).toBe(true);
  });
});

describe("derive and revoke", () => {
  it.each([
    ["subset", RW | DERIVE, READ, "ok"],
    ["equal", RW | DERIVE, RW | DERIVE, "ok"],
    ["widening refused", READ | DERIVE, RW, E.PERMISSION],
    ["without DERIVE", RW, READ, E.PERMISSION],
    ["undefined bits", RW | DERIVE, 0x8000, E.INVALID_ARG],
  ] as const)("%s", (_n, have, ask, want) => {
    const t = new HandleTable();
    const h = t.insert(new Thing(), have);
    const d = t.derive(h, ask);
    if (want === "ok") {
      expect(d).toBeGreaterThan(0);
      expect((t.query(d) as { rights: number }).rights).toBe(ask);
    } else expect(d).toBe(want);
  });

  it("derive of a stale handle fails -100/-101", () => {
    const t = new HandleTable();
    const h = t.insert(new Thing(), ALL_RIGHTS);
    t.close(h);
    expect(t.derive(h, READ)).toBe(E.HANDLE_CLOSED);
    expect(t.derive(makeHandle(4, 0), READ)).toBe(E.INVALID_HANDLE);
  });

  it("revoke closes a subtree across two tables, including a moved handle, not siblings above", () => {
    const ids = new IdSource();
    const a = new HandleTable({ owner: "A", ids });
    const b = new HandleTable({ owner: "B", ids });
    const obj = new Thing("file", ids);
    const root = a.insert(obj, ALL_RIGHTS);
    const mid = a.derive(root, READ | DERIVE | TRANSFER);
    const leaf = a.derive(mid, READ | TRANSFER);
    const sibling = a.derive(root, READ);
    const moved = moveHandle(a, leaf, b);
    expect(moved).toBe(0);
    expect(a.get(leaf)).toBe(E.HANDLE_CLOSED);
    // B derives further from what it got: still in the subtree of `mid`.
    const leafRights = (b.query(moved) as { rights: number }).rights;
    expect(leafRights).toBe(READ | TRANSFER);
    const snapB = b.snapshot();
    expect(snapB.edges.length).toBe(1);
    expect(snapB.edges[0].parent).toBe(a.snapshot().handles.find((x) => x.handle === mid)!.node);

    expect(a.revoke(mid)).toBe(0);
    expect(a.get(mid)).toBe(E.HANDLE_CLOSED);
    expect(b.get(moved)).toBe(E.HANDLE_CLOSED);
    expect(typeof a.get(root)).toBe("object");
    expect(typeof a.get(sibling)).toBe("object");
    expect(obj.refcount).toBe(2);
    expect(b.count).toBe(0);
  });

  it("close re-links children to the grandparent so revoke still reaches them", () => {
    const t = new HandleTable();
    const root = t.insert(new Thing(), ALL_RIGHTS);
    const mid = t.derive(root, READ | DERIVE);
    const leaf = t.derive(mid, READ);
    t.close(mid);
    expect(t.snapshot().handles.find((x) => x.handle === leaf)!.parentNode).toBe(t.snapshot().handles[0].node);
    t.revoke(root);
    expect(t.count).toBe(0);
  });

  it("revoke of a bad handle returns the error", () => {
    expect(new HandleTable().revoke(makeHandle(1, 1))).toBe(E.INVALID_HANDLE);
  });
});

describe("bounding set", () => {
  it("insert clamps to the bound; derive beyond it is refused; dropBound only shrinks", () => {
    const t = new HandleTable({ bounding: RW | DERIVE });
    const h = t.insert(new Thing(), ALL_RIGHTS);
    expect((t.query(h) as { rights: number }).rights).toBe(RW | DERIVE);
    expect(t.dropBound(WRITE)).toBe(READ | DERIVE);
    expect(t.derive(h, RW)).toBe(E.PERMISSION); // handle has WRITE, bound does not
    expect(t.derive(h, READ)).toBeGreaterThan(0);
    expect(t.dropBound(0x4000_0000)).toBe(E.INVALID_ARG);
    expect(t.dropBound(0)).toBe(READ | DERIVE); // dropping nothing never grows
    expect(rightsNames(t.bounding)).toEqual(["READ", "DERIVE"]);
  });

  it("a handle moved into a table is clamped to that table's bound", () => {
    const a = new HandleTable();
    const b = new HandleTable({ bounding: READ });
    const h = a.insert(new Thing(), RW | TRANSFER);
    const nh = moveHandle(a, h, b);
    expect((b.query(nh) as { rights: number }).rights).toBe(READ);
  });

  it("moveHandle needs TRANSFER", () => {
    const a = new HandleTable();
    const h = a.insert(new Thing(), RW);
    expect(moveHandle(a, h, new HandleTable())).toBe(E.PERMISSION);
    expect(typeof a.get(h)).toBe("object");
  });
});

describe("resource limits", () => {
  it.each([
    ["lower", Resource.HANDLES, 10, 0],
    ["same", Resource.HANDLES, 256, 0],
    ["raise refused", Resource.HANDLES, 300, E.PERMISSION],
    ["negative", Resource.TASKS, -1, E.INVALID_ARG],
    ["unknown resource", 9, 1, E.INVALID_ARG],
  ])("setrlimit %s", (_n, res, value, want) => {
    const l = new ResourceLimits();
    expect(l.set(res, value)).toBe(want);
  });

  it("a lowered HANDLES limit stops inserts with -501 and can never be raised again", () => {
    const t = new HandleTable();
    expect(t.limits.set(Resource.HANDLES, 2)).toBe(0);
    t.insert(new Thing(), READ);
    const h = t.insert(new Thing(), READ);
    expect(t.insert(new Thing(), READ)).toBe(E.NO_RESOURCE);
    expect(t.limits.set(Resource.HANDLES, 3)).toBe(E.PERMISSION);
    t.close(h);
    expect(t.insert(new Thing(), READ)).toBeGreaterThanOrEqual(0);
    expect(t.limits.usage(Resource.HANDLES)).toBe(2);
  });

  it("memory charges in pages and bytes; over the limit is -3; inherit copies limits", () => {
    const l = new ResourceLimits({ [Resource.MEMORY_PAGES]: 2 });
    expect(l.chargeBytes(100)).toBe(0);
    expect(l.usage(Resource.MEMORY_PAGES)).toBe(1);
    expect(l.charge(Resource.MEMORY_PAGES, 2)).toBe(E.NO_MEMORY);
    expect(l.charge(Resource.MEMORY_PAGES, 1)).toBe(0);
    expect(l.charge(Resource.TASKS, 65)).toBe(E.NO_RESOURCE);
    expect(l.get(99)).toBe(E.INVALID_ARG);
    const child = l.inherit();
    expect(child.get(Resource.MEMORY_PAGES)).toBe(2);
    expect(child.usage(Resource.MEMORY_PAGES)).toBe(0);
  });
});

describe("snapshot", () => {
  it("is JSON-serialisable and names rights", () => {
    const t = new HandleTable({ owner: "pid 1" });
    const h = t.insert(new Thing("channel"), RW | DERIVE);
    t.derive(h, READ);
    const s = JSON.parse(JSON.stringify(t.snapshot()));
    expect(s.owner).toBe("pid 1");
    expect(s.handles[0].rightsNames).toEqual(["READ", "WRITE", "DERIVE"]);
    expect(s.edges).toEqual([{ parent: s.handles[0].node, child: s.handles[1].node }]);
    expect(s.limits[1]).toEqual({ resource: "HANDLES", limit: 256, used: 2 });
  });
});
