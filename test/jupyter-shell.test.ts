// Shell lines of a cell typed into the guest's vinit (kernel-bridge/shell.ts):
// output without echo, rc note or prompt; rc >= 10 makes a ShellError with
// Why's message; WARN goes to stderr; interrupting a long program (SIGINT)
// ends the cell "Interrupted" and the shell stays usable; the echo filter on
// its own.

import { describe, expect, test } from "vitest";
import { MagicExecutor, type OutputSinks } from "../kernel-bridge/executor.js";
import { EchoFilter, typedLine } from "../kernel-bridge/shell.js";

function collect() {
  const out = { stdout: "", stderr: "", chunks: [] as string[], displays: [] as Record<string, unknown>[] };
  const sinks: OutputSinks = {
    writeStream: (n, t) => {
      out[n] += t;
      if (n === "stdout") out.chunks.push(t);
    },
    writeDisplay: (d) => void out.displays.push(d),
  };
  return { out, sinks };
}
const never = new AbortController().signal;
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe("EchoFilter", () => {
  test("drops the echo, the rc note and the prompt; keeps ANSI escapes", () => {
    let shown = "";
    const f = new EchoFilter((t) => (shown += t));
    f.push("Dir C");
    f.push(":\n\x1b[1mhello\x1b[0m\n");
    expect(shown).toBe("\x1b[1mhello\x1b[0m\n");
    f.push("oops\n[rc 20]\n");
    expect(shown).not.toContain("[rc"); // held back: it may be the shell's note
    f.push("SYS:> ");
    f.release(true); // a prompt-like tail is not released
    expect(shown).not.toContain("SYS:>");
    expect(f.finish(true)).toEqual({ rc: 20, prompt: "SYS:> " });
    expect(shown).toBe("\x1b[1mhello\x1b[0m\noops\n");
  });

  test("a partial line is released at a slice boundary; a program's own [rc] line followed by more text is kept", () => {
    let shown = "";
    const f = new EchoFilter((t) => (shown += t));
    f.push("spin\n...");
    f.release(true);
    expect(shown).toBe("...");
    f.push("\n[rc 20]\n");
    f.release(true); // at a slice boundary, a last "[rc N]" line still waits for the prompt
    expect(shown).toBe("...\n");
    f.push("[rc 3]\nmore\n");
    expect(f.finish(true)).toEqual({ rc: 0, prompt: undefined });
    expect(shown).toBe("...\n[rc 20]\n[rc 3]\nmore\n");
  });

  test("typedLine: tabs become blanks, control characters go, long lines are refused", () => {
    expect(typedLine("Echo\ta\x01b")).toBe("Echo ab");
    expect(typedLine("x".repeat(600))).toEqual({ error: expect.stringMatching(/longer than/) });
  });
});

describe("shell lines in the session's machine", () => {
  test("built-ins stream their output; a failing command is a ShellError with Why's message; WARN on stderr", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    const r = await ex.execute("Echo hi\n# a comment\nEcho there", sinks, never);
    expect(r).toEqual({ status: "ok", result: undefined });
    expect(out.stdout).toBe("hi\nthere\n");
    expect(ex.session.shell?.prompt).toBe("SYS:> ");

    out.stdout = "";
    const bad = await ex.execute("Type SYS:nonexistent\nEcho never", sinks, never);
    expect(bad).toMatchObject({ status: "error", ename: "ShellError" });
    if (bad.status === "error") {
      expect(bad.evalue).toMatch(/SYS:nonexistent/);
      expect(bad.evalue).toMatch(/rc 10|rc 20/);
      expect(bad.traceback.join("\n")).toContain("in: Type SYS:nonexistent");
    }
    expect(out.stdout).not.toContain("never"); // the cell stopped at the failure
    expect(out.stdout).not.toContain("[rc");

    const unknown = await ex.execute("nosuchcommand", sinks, never);
    expect(unknown).toMatchObject({ status: "error", ename: "ShellError", evalue: expect.stringMatching(/nosuchcommand: unknown command.*FAIL, rc 20/) });

    out.stdout = "";
    const warn = await ex.execute("ssh", sinks, never);
    expect(warn).toMatchObject({ status: "ok" });
    expect(out.stderr).toContain("[rc 5: WARN]");
    expect(out.stdout).toContain("not available yet");

    out.stdout = "";
    expect(await ex.execute("cd C:\nDir", sinks, never)).toMatchObject({ status: "ok" });
    expect(ex.session.shell?.prompt).toBe("C:> ");
    expect(out.stdout).toMatch(/hello/);
  }, 60_000);

  test("a long guest program streams, is interrupted with Ctrl+C, and the shell stays usable", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    expect(await ex.execute("Echo ready", sinks, never)).toMatchObject({ status: "ok" });
    const ac = new AbortController();
    const started = Date.now();
    const pending = ex.execute("spin 600000", sinks, ac.signal);
    for (let i = 0; i < 200 && !out.stdout.includes("spin: 600000 ms"); i++) await tick(20);
    expect(out.stdout).toContain("spin: 600000 ms"); // streamed before the end
    const spinning = ex.session.shell!.foreground();
    expect(spinning.map((p) => p.name)).toEqual(["spin"]);
    ac.abort();
    const r = await pending;
    expect(r).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(spinning[0].state).not.toBe("live");
    expect(ex.session.shell!.foreground()).toEqual([]);
    out.stdout = "";
    expect(await ex.execute("Echo after", sinks, never)).toMatchObject({ status: "ok" });
    expect(out.stdout).toBe("after\n");
  }, 60_000);

  test("a program waiting for console input is stopped with Ctrl+C (InputNeeded); the shell goes on", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    const r = await ex.execute("edit T:notes", sinks, never);
    expect(r).toMatchObject({ status: "error", ename: "InputNeeded", evalue: expect.stringMatching(/^edit T:notes: the command waited for console input/) });
    expect(ex.session.shell!.foreground()).toEqual([]);
    out.stdout = "";
    expect(await ex.execute("Echo still here", sinks, never)).toMatchObject({ status: "ok" });
    expect(out.stdout).toBe("still here\n");
  }, 60_000);

  test("EndShell ends the shell; the next line says so; %boot brings a fresh one", async () => {
    const ex = new MagicExecutor();
    const { out, sinks } = collect();
    expect(await ex.execute("EndShell", sinks, never)).toMatchObject({ status: "ok" });
    expect(out.stderr).toContain("the shell has ended");
    expect(await ex.execute("Echo x", sinks, never)).toMatchObject({ status: "error", ename: "ShellEnded" });
    expect(await ex.execute("%boot --cpus 1\nEcho back", sinks, never)).toMatchObject({ status: "ok" });
    expect(out.stdout).toMatch(/ViperDOS Lab - type Help/); // %boot shows the boot log and S:startup
    expect(out.stdout.endsWith("back\n")).toBe(true);
  }, 60_000);
});
