// complete_request / inspect_request content (kernel-bridge/complete.ts):
// magics and their options, process names for %pt/%caps, vinit commands and
// C: programs, guest paths with assigns, %%ts names; help for magics, shell
// commands and programs. Completion never boots a machine.

import { describe, expect, test } from "vitest";
import { MagicExecutor, type OutputSinks } from "../kernel-bridge/executor.js";

const sinks: OutputSinks = { writeStream: () => {}, writeDisplay: () => {} };
const never = new AbortController().signal;
const at = (ex: MagicExecutor, code: string) => ex.complete(code, code.length);

describe("completion", () => {
  test("without a machine: magics, options, commands; nothing boots", () => {
    const ex = new MagicExecutor();
    expect(at(ex, "%jo")).toEqual({ matches: ["%journal"], cursor_start: 0, cursor_end: 3 });
    expect(at(ex, "%%t").matches).toEqual(["%%ts"]);
    expect(at(ex, "%pt --").matches).toEqual(["--help", "--va"]);
    expect(at(ex, "%trace o").matches).toEqual(["on", "off"]);
    expect(at(ex, "%help jo").matches).toEqual(["journal"]);
    expect(at(ex, "Echo hi\nty")).toMatchObject({ matches: ["Type"], cursor_start: 8 });
    expect(at(ex, "ma").matches).toEqual(["MakeDir"]);
    expect(ex.session.kernel).toBeUndefined();
  });

  test("with a machine: C: programs, paths with assigns, directories with a slash, process names", async () => {
    const ex = new MagicExecutor();
    expect(await ex.execute("%run --for 5 spin 100000", sinks, never)).toMatchObject({ status: "ok" });
    expect(at(ex, "hel").matches).toEqual(["hello", "Help"]);
    expect(at(ex, "Type C:hel")).toEqual({ matches: ["C:hello.prg"], cursor_start: 5, cursor_end: 10 });
    expect(at(ex, "Dir S").matches).toEqual(expect.arrayContaining(["S:", "SYS:"]));
    expect(at(ex, "Dir SYS:").matches).toContain("SYS:vinit.sys");
    expect(at(ex, "Dir D1:").matches).toEqual(expect.arrayContaining(["D1:c/", "D1:s/", "D1:t/"]));
    expect(at(ex, "Type D1:s/st").matches).toEqual(["D1:s/startup"]);
    expect(at(ex, "%fs C:he").matches).toEqual(["C:hello.prg"]);
    expect(at(ex, "%pt sp").matches).toEqual(["spin"]);
    expect(at(ex, "%caps vi").matches).toEqual(["vinit"]);
    expect(at(ex, "%pt 1").matches).toContain("1");
    expect(at(ex, "Type C:zzz").matches).toEqual([]);
  }, 30_000);

  test("%%ts cells complete the context's names", async () => {
    const ex = new MagicExecutor();
    expect(at(ex, "%%ts\nconst s = inspect.inspectKernel(ker").matches).toEqual(["kernel"]);
    expect(await ex.execute("%%ts\nconst myValue = 1", sinks, never)).toMatchObject({ status: "ok" });
    expect(at(ex, "%%ts\nmyV").matches).toEqual(["myValue"]);
    expect(at(ex, "%%ts\nschedulingT").matches).toEqual(["schedulingTimeline"]);
  }, 30_000);
});

describe("inspection (help)", () => {
  test("a magic's usage, a built-in's help, a program in C:, nothing for unknown words", async () => {
    const ex = new MagicExecutor();
    expect(ex.inspect("%fs C:x", 2)?.["text/plain"]).toMatch(/^%fs PATH/);
    expect(ex.inspect("copy a b", 1)?.["text/plain"]).toMatch(/^Copy from to: copy a file/);
    expect(ex.inspect("%%ts\n1", 1)?.["text/plain"]).toMatch(/^%%ts/);
    expect(ex.inspect("frobnicate", 3)).toBeUndefined();
    await ex.execute("Echo boot", sinks, never);
    expect(ex.inspect("hello a b", 2)?.["text/plain"]).toMatch(/the program C:hello\.prg \(\d+ bytes\)/);
  }, 30_000);
});
