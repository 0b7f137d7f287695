// vinit through `viperdos boot` with piped input, as a user scripts it
// (`printf 'Version\nDir C:\n' | bin/viperdos boot`): the built CLI in a real
// process, its transcript split at the prompts, each command's output and
// return code checked, error paths, Why, EndShell, line editing (backspace).

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildBootImages } from "../viperdos/tools/images.js";

const CLI = join(process.cwd(), "dist", "bin", "viperdos.js");

interface Step {
  prompt: string;
  command: string;
  output: string;
}

/** Boot with `input` piped in; returns the exit status, raw stdout and the transcript split at prompts. */
function boot(input: string, ...args: string[]): { status: number | null; stdout: string; steps: Step[] } {
  const r = spawnSync("node", [CLI, "boot", "--cpus", "1", ...args], { input, encoding: "utf8", timeout: 60_000 });
  const stdout = screen(r.stdout);
  const steps: Step[] = [];
  // A prompt is `<cwd>> ` at a line start; the echoed command follows up to the newline.
  const re = /^([A-Za-z0-9]+:[^\n>]*)> (.*)$/gm;
  const marks = [...stdout.matchAll(re)];
  marks.forEach((m, i) => {
    const start = m.index! + m[0].length + 1;
    const end = i + 1 < marks.length ? marks[i + 1].index! : stdout.length;
    steps.push({ prompt: m[1], command: m[2], output: stdout.slice(start, end) });
  });
  return { status: r.status, stdout, steps };
}

/**
 * What a terminal shows for `raw`, line by line: CR goes to the line start,
 * BS moves left, ESC [ K clears to the end of the line, other bytes
 * overwrite at the cursor (the shell redraws edited lines this way).
 */
function screen(raw: string): string {
  return raw
    .split("\n")
    .map((line) => {
      let text: string[] = [];
      let at = 0;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === "\r") at = 0;
        else if (c === "\b") at = Math.max(0, at - 1);
        else if (c === "\x1b" && line.startsWith("[K", i + 1)) {
          text = text.slice(0, at);
          i += 2;
        } else text[at++] = c;
      }
      return text.join("").replace(/ +$/, (sp) => (line.endsWith(" ") ? sp : "")); // "\b \b" leaves a blank behind
    })
    .join("\n");
}

/** The output of the first step whose command is `cmd`. */
function outputOf(steps: Step[], cmd: string): string {
  const s = steps.find((x) => x.command === cmd);
  if (!s) throw new Error(`no step ${cmd} in ${JSON.stringify(steps.map((x) => x.command))}`);
  return s.output;
}

beforeAll(() => {
  buildBootImages();
});

describe("vinit over piped input", () => {
  it("boots to the SYS:> prompt after the startup script and powers off when input ends", () => {
    const r = boot("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("ViperDOS Lab - type Help"); // S:startup ran
    expect(r.stdout).toMatch(/SYS:> \n.*input exhausted; powering off/);
  });

  it("runs the built-in commands with their outputs", () => {
    const script = [
      "Version", "echo Hello   World", "ECHO \"two  spaces\"", "Dir C:", "List SYS:", "pwd", "cd C:", "cwd", "cd SYS:",
      "MakeDir T:work", "Dir T:", "Copy S:startup T:work", "Type T:work/startup", "Rename T:work/startup T:work/s2",
      "Dir T:work", "Delete T:work/s2 T:work", "Dir T:", "Avail", "Status", "Date", "Time", "Assign", "Caps", "History",
    ].join("\n") + "\n";
    const { status, steps } = boot(script);
    expect(status).toBe(0);
    expect(outputOf(steps, "Version")).toMatch(/^ViperDOS 0\.1 \(aarch64\)/);
    expect(outputOf(steps, "echo Hello   World")).toBe("Hello World\n");
    expect(outputOf(steps, "ECHO \"two  spaces\"")).toBe("two  spaces\n");
    const dirC = outputOf(steps, "Dir C:");
    for (const p of ["hello.prg", "sysinfo.prg", "fsinfo.prg"]) expect(dirC).toContain(p);
    expect(dirC).toContain("3 files, 0 directories");
    expect(outputOf(steps, "List SYS:")).toMatch(/vinit\.sys\s+\d+\n/);
    expect(outputOf(steps, "pwd")).toBe("SYS:\n");
    expect(steps.find((s) => s.command === "cwd")!.prompt).toBe("D1:c"); // cd C: moved the prompt
    expect(outputOf(steps, "cwd")).toBe("D1:c\n");
    expect(outputOf(steps, "MakeDir T:work")).toBe("");
    expect(outputOf(steps, "Dir T:")).toMatch(/work\s+<dir>/);
    expect(outputOf(steps, "Type T:work/startup")).toContain("# S:startup");
    expect(outputOf(steps, "Dir T:work")).toContain("s2");
    expect(outputOf(steps, "Delete T:work/s2 T:work")).toBe("");
    expect(steps.filter((s) => s.command === "Dir T:")[1].output).toContain("0 files, 0 directories");
    expect(outputOf(steps, "Avail")).toMatch(/Memory: total 131072 KiB, free \d+ KiB/);
    expect(outputOf(steps, "Status")).toMatch(/1\s+1\s+running\s+128 vinit/);
    expect(outputOf(steps, "Date")).toBe("2026-01-01 00:00:00 UTC\n"); // the default RTC epoch
    expect(outputOf(steps, "Time")).toBe("00:00:00\n");
    expect(outputOf(steps, "Assign")).toMatch(/C\s+D1:c\n/);
    expect(outputOf(steps, "Caps")).toMatch(/^ {2}HANDLE +KIND +RIGHTS\n0 handles\n$/); // process 1 has no bootstrap channel
    expect(outputOf(steps, "History")).toMatch(/1 {2}Version\n[\s\S]* 22 {2}Assign\n +23 {2}Caps\n/);
  });

  it("runs programs from C: with PWD and arguments; the exit status is the return code", () => {
    const { steps } = boot("hello a \"b c\"\nRun C:hello.prg\ncd C:\nhello.prg x\nfsinfo SYS:vinit.sys\nfsinfo NOPE:x\nWhy\nsysinfo\n");
    expect(outputOf(steps, "hello a \"b c\"")).toBe("Hello from ViperDOS! (cwd SYS:)\n  arg 1: a\n  arg 2: b c\n");
    expect(outputOf(steps, "Run C:hello.prg")).toContain("Hello from ViperDOS!");
    expect(outputOf(steps, "hello.prg x")).toContain("(cwd D1:c)"); // found in the current directory
    expect(outputOf(steps, "fsinfo SYS:vinit.sys")).toMatch(/SYS:vinit\.sys: inode \d+, file, \d+ bytes/);
    expect(outputOf(steps, "fsinfo NOPE:x")).toMatch(/NOPE:x: .*\n\[rc 10\]\n$/);
    expect(outputOf(steps, "Why")).toBe("fsinfo returned 10\n");
    expect(outputOf(steps, "sysinfo")).toMatch(/CPUs: +1\n/);
  });

  it("reports errors with a message, a return code and Why", () => {
    const { steps } = boot("Type SYS:nope\nWhy\nnosuchcmd\nWhy\nMakeDir SYS:vinit.sys\nType\ncd SYS:vinit.sys\nDelete T:none\nWhy\n");
    expect(outputOf(steps, "Type SYS:nope")).toMatch(/^SYS:nope: object not found \(error -\d+\)\n\[rc 10\]\n$/);
    expect(outputOf(steps, "Why")).toContain("SYS:nope: object not found");
    expect(outputOf(steps, "nosuchcmd")).toMatch(/unknown command[\s\S]*\[rc 20\]/);
    expect(steps.filter((s) => s.command === "Why")[1].output).toContain("nosuchcmd: unknown command");
    expect(outputOf(steps, "MakeDir SYS:vinit.sys")).toMatch(/already exists[\s\S]*\[rc 10\]/);
    expect(outputOf(steps, "Type")).toMatch(/missing file name[\s\S]*\[rc 10\]/);
    expect(outputOf(steps, "cd SYS:vinit.sys")).toMatch(/not a directory/i);
    expect(steps.filter((s) => s.command === "Why")[2].output).toContain("T:none");
  });

  it("Assign sets and removes logical names; system assigns are protected", () => {
    const { steps } = boot("Assign WORK: T:\nMakeDir WORK:x\nDir T:\nAssign WORK:\nDir WORK:\nDelete T:x\nAssign SYS: T:\n");
    expect(outputOf(steps, "Assign WORK: T:")).toBe("");
    expect(outputOf(steps, "Dir T:")).toMatch(/x\s+<dir>/); // made through WORK:
    expect(outputOf(steps, "Dir WORK:")).toMatch(/unknown assign[\s\S]*\[rc 10\]/);
    expect(outputOf(steps, "Assign SYS: T:")).toMatch(/permission denied[\s\S]*\[rc 10\]/);
  });

  it("EndShell powers off: later input is not run", () => {
    const r = boot("Echo before\nendshell\nEcho after\n");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("before");
    expect(r.stdout).not.toContain("after\n");
    expect(r.stdout).not.toContain("input exhausted");
  });

  it("line editing: backspace, Ctrl+U/K/A/E, arrows, Home/End, Delete", () => {
    const input = [
      "Echx\x7fo one", // backspace
      "Echo junk\x15Echo two", // Ctrl+U kills the line
      "Echo abd\x1b[D\x1b[Dx\x1b[F!", // Left Left, insert, End
      "cho 4\x01E", // Ctrl+A: insert at the start
      "Echo 5xyz\x1b[D\x1b[D\x1b[D\x0b", // Ctrl+K kills to the end
      "XEcho 6\x1b[H\x1b[3~", // Home, Delete
    ].join("\n") + "\n";
    const { steps } = boot(input);
    const outs = steps.slice(0, 6).map((s) => s.output);
    expect(outs).toEqual(["one\n", "two\n", "axbd!\n", "4\n", "5\n", "6\n"]);
  });

  it("history: Up recalls older lines, Down returns; History lists them", () => {
    const { steps } = boot("Echo first\nEcho second\n\x1b[A\x1b[A\n\x1b[A\x1b[A\x1b[B\nHistory\n");
    expect(steps.map((s) => s.output).slice(0, 4)).toEqual(["first\n", "second\n", "first\n", "first\n"]);
    expect(outputOf(steps, "History")).toMatch(/1 {2}Echo first\n\s+2 {2}Echo second\n\s+3 {2}Echo first\n\s+4 {2}Echo first\n\s+5 {2}History\n/);
  });

  it("read pages a built-in's output: Space a page, q quits", () => {
    const echoes = Array.from({ length: 24 }, (_, i) => `Echo ${i + 1}\n`).join("");
    const { steps } = boot(`${echoes}read History\n read History\nqEcho done\n`);
    const reads = steps.filter((s) => s.command === "read History");
    expect(reads).toHaveLength(2);
    expect(reads[0].output).toMatch(/ 22 {2}Echo 22\n +23 {2}Echo 23\n +24 {2}Echo 24\n +25 {2}read History\n$/); // the prompt line was erased
    expect(reads[0].output).not.toContain("More");
    expect(reads[1].output).toMatch(/ 22 {2}Echo 22\n$/); // q after the first page
    expect(steps.at(-2)?.output).toBe("done\n");
  });

  it("Tab completes commands (built-in and C:) and paths", () => {
    const { steps } = boot("Vers\t\nsysi\t\nType S:sta\t\nS\t\n");
    expect(steps[0].command).toBe("Version ");
    expect(steps[0].output).toMatch(/^ViperDOS 0\.1/);
    expect(steps[1].command).toBe("sysinfo ");
    expect(steps[1].output).toMatch(/^System: /);
    expect(steps[2].command).toBe("Type S:startup ");
    expect(steps[2].output).toContain("# S:startup");
    // Several matches without a longer common prefix: they are listed, the line is redrawn.
    expect(steps[3].command).toBe("S");
    expect(steps[3].output).toBe("Status  sysinfo\n");
    expect(steps[4].command).toBe("S");
  });
});
