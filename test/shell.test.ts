// vinit through `viperdos boot` with piped input, as a user scripts it
// (`printf 'Version\nDir C:\n' | bin/viperdos boot`): the built CLI in a real
// process, its transcript split at the prompts, each command's output and
// return code checked, error paths, Why, EndShell, line editing (backspace).

import { beforeAll, describe, expect, it } from "vitest";
import { buildBootImages, USER_PROGRAMS } from "../viperdos/tools/images.js";
import { boot, outputOf } from "./shell-boot.js";

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
      "Version", "echo Hello   World", "ECHO \"two  spaces\"", "Dir C:", "List SYS:", "List SYS:vinit.sys", "pwd", "cd C:", "cwd", "cd SYS:",
      "MakeDir T:work", "Dir T:", "Copy S:startup T:work", "Type T:work/startup", "Rename T:work/startup T:work/s2",
      "Dir T:work", "Delete T:work/s2 T:work", "Dir T:", "Avail", "Status", "Date", "Time", "Assign", "Caps", "History",
    ].join("\n") + "\n";
    const { status, steps } = boot(script);
    expect(status).toBe(0);
    expect(outputOf(steps, "Version")).toMatch(/^ViperDOS 0\.1 \(aarch64\)/);
    expect(outputOf(steps, "echo Hello   World")).toBe("Hello World\n");
    expect(outputOf(steps, "ECHO \"two  spaces\"")).toBe("two  spaces\n");
    const dirC = outputOf(steps, "Dir C:");
    for (const p of Object.keys(USER_PROGRAMS)) expect(dirC).toContain(`${p}.prg`);
    expect(dirC).toContain(`${Object.keys(USER_PROGRAMS).length} files, 0 directories`);
    expect(outputOf(steps, "List SYS:")).toMatch(/vinit\.sys\s+\d+\n/);
    expect(outputOf(steps, "List SYS:vinit.sys")).toMatch(/^ {2}SYS:vinit\.sys +(\d+)\n1 file, 0 directories, \1 bytes\n$/); // a file lists itself
    expect(outputOf(steps, "pwd")).toBe("SYS:\n");
    expect(steps.find((s) => s.command === "cwd")!.prompt).toBe("C:"); // cd C: moved the prompt, shown as typed
    expect(outputOf(steps, "cwd")).toBe("C:\n");
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
    expect(outputOf(steps, "Caps")).toMatch(/^ {2}HANDLE +KIND +RIGHTS\n0 handles\nbounding set [RWXLCDdTSVIQM-]{13} /); // process 1 has no bootstrap channel
    expect(outputOf(steps, "History")).toMatch(/1 {2}Version\n[\s\S]* 23 {2}Assign\n +24 {2}Caps\n/);
  });

  it("runs programs from C: with PWD and arguments; the exit status is the return code", () => {
    const { steps } = boot("hello a \"b c\"\nRun C:hello.prg\ncd C:\nhello.prg x\nfsinfo SYS:vinit.sys\nfsinfo NOPE:x\nWhy\nsysinfo\n");
    expect(outputOf(steps, "hello a \"b c\"")).toBe("Hello from ViperDOS! (cwd SYS:)\n  arg 1: a\n  arg 2: b c\n");
    expect(outputOf(steps, "Run C:hello.prg")).toContain("Hello from ViperDOS!");
    expect(outputOf(steps, "hello.prg x")).toContain("(cwd C:)"); // found in the current directory; PWD in assign form
    expect(outputOf(steps, "fsinfo SYS:vinit.sys")).toMatch(/SYS:vinit\.sys: inode \d+, file, \d+ bytes/);
    expect(outputOf(steps, "fsinfo NOPE:x")).toMatch(/NOPE:x: .*\n\[rc 10\]\n$/);
    expect(outputOf(steps, "Why")).toBe("fsinfo returned 10\n");
    expect(outputOf(steps, "sysinfo")).toMatch(/CPUs: +1\n/);
  });

  it("reports errors with a message, a return code and Why", () => {
    const { steps } = boot("Type SYS:nope\nWhy\nnosuchcmd\nWhy\nMakeDir SYS:vinit.sys\nType\ncd SYS:vinit.sys\nDelete T:none\nWhy\n");
    expect(outputOf(steps, "Type SYS:nope")).toMatch(/^Type: SYS:nope: object not found \(error -4\)\n\[rc 10\]\n$/);
    expect(outputOf(steps, "Why")).toContain("SYS:nope: object not found");
    expect(outputOf(steps, "nosuchcmd")).toMatch(/unknown command[\s\S]*\[rc 20\]/);
    expect(steps.filter((s) => s.command === "Why")[1].output).toContain("nosuchcmd: unknown command");
    expect(outputOf(steps, "MakeDir SYS:vinit.sys")).toMatch(/already exists[\s\S]*\[rc 10\]/);
    expect(outputOf(steps, "Type")).toMatch(/missing file name[\s\S]*\[rc 10\]/);
    expect(outputOf(steps, "cd SYS:vinit.sys")).toMatch(/not a directory/i);
    expect(steps.filter((s) => s.command === "Why")[2].output).toContain("T:none");
  });

  it("the prompt and pwd show the directory in its shortest assign form (longest assign target wins)", () => {
    const { steps } = boot("cd T:\nMakeDir sub\ncd sub\npwd\ncd D1:c/..\npwd\nAssign WORK: T:sub\ncd T:sub\npwd\ncd D1:certs\ncd /\npwd\ncd SYS:\n");
    expect(steps.map((s) => s.prompt)).toEqual(["SYS:", "T:", "T:", "T:sub", "T:sub", "D1:", "D1:", "D1:", "WORK:", "WORK:", "CERTS:", "D1:", "D1:", "SYS:"]);
    expect(outputOf(steps, "cd sub")).toBe("");
    expect(steps.filter((s) => s.command === "pwd").map((s) => s.output)).toEqual(["T:sub\n", "D1:\n", "WORK:\n", "D1:\n"]);
  });

  it("every kind of error has its message, its return code and Why", () => {
    const cases: [cmd: string, message: RegExp, rc: number][] = [
      ["Dir SYS:nope", /^Dir: SYS:nope: object not found \(error -4\)$/, 10],
      ["cd SYS:vinit.sys", /^cd: SYS:vinit\.sys: not a directory \(error -502\)$/, 10],
      ["Type C:", /^Type: C: is a directory \(error -503\)$/, 10],
      ["Copy C: T:", /^Copy: C: is a directory \(error -503\)$/, 10],
      ["Copy S:startup S:startup", /^Copy: source and destination are the same file$/, 10],
      ["Copy S:startup", /^Copy: missing argument \(usage: Copy FROM TO\)$/, 10],
      ["Copy a b c", /^Copy: bad argument "c" \(usage: Copy FROM TO\)$/, 10],
      ["Version now", /^Version: bad argument "now" \(usage: Version\)$/, 10],
      ["avail x", /^Avail: bad argument "x"/, 10],
      ["Assign a/b: T:", /^Assign: bad argument "a\/b:"/, 10],
      ["Assign X: S:startup", /^Assign: S:startup: not a directory \(error -502\)$/, 10],
      ["Assign SYS: T:", /^Assign: SYS: permission denied.* \(error -6\)$/, 10],
      ["Rename T:nope T:x", /^Rename: T:nope: object not found \(error -4\)$/, 10],
      ["MakeDir T:a/b", /^MakeDir: T:a\/b: object not found \(error -4\)$/, 10],
      ["Delete SYS:nope", /^Delete: SYS:nope: object not found \(error -4\)$/, 10],
      ["Run", /^Run: missing program name/, 10],
      ["Run C:nope", /^C:nope: unknown command/, 20],
      ["nosuchcmd", /^nosuchcmd: unknown command \(not built in, not in the current directory or C:\)$/, 20],
    ];
    const script = cases.map(([c]) => `${c}\nWhy\n`).join("");
    const { steps } = boot(script);
    cases.forEach(([cmd, message, rc], i) => {
      const [run, why] = [steps[2 * i], steps[2 * i + 1]];
      expect(run.command).toBe(cmd);
      const [line, rcLine] = run.output.split("\n");
      expect(line, cmd).toMatch(message);
      expect(rcLine, cmd).toBe(`[rc ${rc}]`);
      expect(why.output, `Why after ${cmd}`).toBe(`${line}\n`);
    });
  });

  it("informational built-ins answer with rc 0: Help, Path, Uptime, Servers; ssh says networking is missing", () => {
    const { steps, stdout } = boot("Help\nPath\nUptime\nServers\nssh host\nWhy\n");
    const help = outputOf(steps, "Help");
    for (const c of ["Dir", "List", "Type", "Copy", "Delete", "MakeDir", "Rename", "cd", "pwd", "Path", "Assign", "Run", "read", "Version", "Uptime", "Avail", "Status", "Caps", "Servers", "Date", "Time", "Echo", "Cls", "History", "Why", "Help", "EndShell", "Fetch", "ssh"]) {
      expect(help).toMatch(new RegExp(`\\b${c}\\b`));
    }
    expect(help).not.toContain("[rc");
    expect(outputOf(steps, "Path")).toBe("  current directory\n  C:\n");
    expect(outputOf(steps, "Uptime")).toMatch(/^up \d+\.\d{3} s\n$/);
    expect(outputOf(steps, "Servers")).toMatch(/No user-space servers are running[\s\S]*In the kernel: ViperFS/);
    if (!("ssh" in USER_PROGRAMS)) {
      expect(outputOf(steps, "ssh host")).toBe("ssh: not available yet: ssh comes with networking (C:ssh.prg is not installed)\n[rc 5]\n");
      expect(outputOf(steps, "Why")).toContain("not available yet");
    }
    expect(stdout).not.toMatch(/rc (10|20)/);
  });

  it("Dir and List show directories first, each group sorted by name without regard to case", () => {
    const { steps } = boot("MakeDir T:zz T:Bb\nCopy S:startup T:a\nCopy S:startup T:C\nDir T:\nList T:\n");
    expect(outputOf(steps, "Dir T:")).toBe("  Bb                           <dir>\n  zz                           <dir>\n  a\n  C\n2 files, 2 directories\n");
    expect(outputOf(steps, "List T:")).toMatch(/^ {2}Bb +<dir>\n {2}zz +<dir>\n {2}a +(\d+)\n {2}C +\1\n2 files, 2 directories, \d+ bytes\n$/);
  });

  it("Rename moves into a directory and renames back; Type takes several files", () => {
    const { steps } = boot("Copy S:startup T:a\nMakeDir T:d\nRename T:a T:d\nDir T:d\nRename T:d/a T:b\nType T:b S:startup\nDelete T:b T:d\nDir T:\n");
    expect(outputOf(steps, "Dir T:d")).toBe("  a\n1 file, 0 directories\n");
    expect(outputOf(steps, "Type T:b S:startup").match(/# S:startup/g)).toHaveLength(2);
    expect(outputOf(steps, "Dir T:")).toBe("0 files, 0 directories\n");
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

  it("read of a program runs it unpaged and says so", () => {
    const { steps } = boot("read hello x\n");
    expect(outputOf(steps, "read hello x")).toBe("(read: hello is a program; its output is not paged)\nHello from ViperDOS! (cwd SYS:)\n  arg 1: x\n");
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
    const sWords = ["Servers", "ssh", "Status", ...Object.keys(USER_PROGRAMS).filter((p) => /^s/i.test(p) && p !== "ssh")];
    expect(steps[3].output.trimEnd().split("  ").sort()).toEqual(sWords.sort());
    expect(steps[4].command).toBe("S");
  });
  it("Tab completes assigns in a path and the program after Run; Ctrl+W kills a word, Ctrl+L clears the screen", () => {
    const { steps, raw } = boot("Dir CE\t\nRun ctx\t 5\nEcho one two three\x17\x17four\nEcho x\x0c\n");
    expect(steps[0].command).toBe("Dir CERTS:"); // an assign completes to NAME: without a blank
    expect(steps[0].output).toBe("0 files, 0 directories\n");
    expect(steps[1].command).toBe("Run ctxbench  5");
    expect(steps[1].output).toMatch(/^ctxbench: 5 yields/);
    expect(steps[2].output).toBe("one four\n");
    expect(raw).toContain("Echo x\x1b[2J\x1b[H\rSYS:> Echo x\x1b[K"); // cleared, then the line redrawn at the top
    expect(steps[3].output).toBe("x\n");
  });
});
