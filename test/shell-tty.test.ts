// `viperdos boot` in a real pseudo-terminal (a tmux session): raw mode, keys
// reach the guest one chunk at a time, Ctrl+C goes to the shell (drops the
// line, or stops a running program), Ctrl+A X quits, EndShell powers off; the full-screen editor (edit)
// edits and saves a file. Skipped when tmux is missing.
// (tmux capture-pane drops trailing blanks: a prompt shows as "SYS:>".)

import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBootImages } from "../viperdos/tools/images.js";

const CLI = join(process.cwd(), "dist", "bin", "viperdos.js");
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const session = `vdshell-${process.pid}`;

function tmux(...args: string[]): string {
  return spawnSync("tmux", args, { encoding: "utf8" }).stdout ?? "";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll the pane until `pred` holds (or 20 s pass); returns the pane text. */
async function waitFor(pred: (pane: string) => boolean): Promise<string> {
  let pane = "";
  for (let i = 0; i < 200; i++) {
    pane = tmux("capture-pane", "-p", "-t", session, "-S", "-200");
    if (pred(pane)) return pane;
    await sleep(100);
  }
  return pane;
}

/** Start `viperdos boot` in a detached tmux session; its exit status goes to the returned file. */
function start(): string {
  const status = join(mkdtempSync(join(tmpdir(), "vdtty-")), "status");
  tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "50", `node ${CLI} boot --cpus 1; echo $? > ${status}; sleep 60`);
  return status;
}

beforeAll(() => {
  if (hasTmux) buildBootImages();
});

afterEach(() => {
  if (hasTmux) tmux("kill-session", "-t", session);
});

describe.skipIf(!hasTmux)("vinit in a terminal", () => {
  it("reaches the prompt, runs typed commands, Ctrl+C drops a line, Ctrl+A X quits", async () => {
    const status = start();
    expect(await waitFor((p) => /SYS:>\s*$/m.test(p))).toContain("ViperDOS Lab - type Help");
    tmux("send-keys", "-t", session, "Echo hi there", "Enter");
    expect(await waitFor((p) => /^hi there$/m.test(p))).toMatch(/SYS:> Echo hi there\n/);
    tmux("send-keys", "-t", session, "Echo never", "C-c");
    // Wait for the fresh prompt itself, not just the ^C echo (it follows a moment later under load).
    expect(await waitFor((p) => /\^C\nSYS:>/.test(p))).toMatch(/SYS:> Echo never\^C\nSYS:>/);
    tmux("send-keys", "-t", session, "Vers", "Tab", "Enter");
    expect(await waitFor((p) => p.includes("vinit shell"))).toMatch(/SYS:> Version\s*\nViperDOS 0\.1/);
    tmux("send-keys", "-t", session, "C-a", "x");
    expect(await waitFor((p) => p.includes("[viperdos: quit"))).toContain("[viperdos: quit (Ctrl+A X), powered off]");
    await waitFor(() => existsSync(status));
    expect(readFileSync(status, "utf8").trim()).toBe("0");
  });

  it("EndShell powers the machine off and the command exits 0", async () => {
    const status = start();
    await waitFor((p) => /SYS:>\s*$/m.test(p));
    tmux("send-keys", "-t", session, "endshell", "Enter");
    expect(await waitFor((p) => p.includes("[viperdos: shell ended"))).toContain("powered off");
    await waitFor(() => existsSync(status));
    expect(readFileSync(status, "utf8").trim()).toBe("0");
  });
  it("edit: a full-screen editor; typed text, Backspace, arrows, Home/End, Delete, Ctrl+S saves, Ctrl+Q quits (twice when modified)", async () => {
    start();
    await waitFor((p) => /SYS:>\s*$/m.test(p));
    const keys = (...k: string[]) => tmux("send-keys", "-t", session, ...k);
    keys("edit T:note", "Enter");
    const first = await waitFor((p) => /T:note +line 1\/1 col 1 +new file/.test(p));
    expect(first).toMatch(/^~$/m);
    expect(first.split("\n")[49]).toMatch(/^ T:note/); // the status line on the pane's last row: edit asked the terminal its size
    keys("hello world", "Enter", "xsecond acc", "BSpace", "Left", "b", "Home", "DC", "Up", "End", "!");
    let pane = await waitFor((p) => /T:note \[modified\] +line 1\/2 col 13/.test(p));
    expect(pane).toMatch(/^hello world!\nsecond abc\n~\n/);
    keys("C-s");
    pane = await waitFor((p) => p.includes("wrote 23 bytes"));
    expect(pane).not.toContain("[modified]");
    keys("C-q");
    await waitFor((p) => /SYS:>\s*$/m.test(p) && !p.includes("wrote 23"));
    keys("Type T:note", "Enter");
    expect(await waitFor((p) => /Type T:note\nhello world!\nsecond abc\nSYS:>/.test(p))).toMatch(/Type T:note\nhello world!\nsecond abc\nSYS:>/);

    // Reopen: the text is read back; a change then Ctrl+Q asks first, the second Ctrl+Q drops it.
    keys("edit T:note", "Enter");
    expect(await waitFor((p) => p.includes("read 23 bytes"))).toMatch(/^hello world!\nsecond abc\n/);
    keys("Down", "C-e", "z", "C-q");
    expect(await waitFor((p) => p.includes("unsaved changes"))).toMatch(/^second abcz$/m);
    keys("C-q");
    await waitFor((p) => /SYS:>\s*$/m.test(p) && !p.includes("unsaved"));
    keys("type T:note", "Enter"); // lower case: this output, not the first Type's
    expect(await waitFor((p) => /type T:note\n(.*\n){2}SYS:>/.test(p))).toMatch(/type T:note\nhello world!\nsecond abc\nSYS:>/);
  });
  it("Ctrl+C stops a running program (SIGINT, ***Break, Why says so); the shell stays usable", async () => {
    start();
    await waitFor((p) => /SYS:>\s*$/m.test(p));
    tmux("send-keys", "-t", session, "ipcbench 100000", "Enter"); // runs for many seconds of wall time
    await waitFor((p) => /SYS:> ipcbench 100000\n/.test(p));
    await sleep(300);
    tmux("send-keys", "-t", session, "C-c");
    expect(await waitFor((p) => /\*\*\*Break\n\[rc 130\]\nSYS:>/.test(p))).toMatch(/\*\*\*Break\n\[rc 130\]\nSYS:>/);
    tmux("send-keys", "-t", session, "Why", "Enter");
    expect(await waitFor((p) => p.includes("ipcbench was stopped by signal 2 (SIGINT: Ctrl+C)"))).toContain("(status 130)");
    tmux("send-keys", "-t", session, "Echo still here", "Enter");
    expect(await waitFor((p) => /^still here$/m.test(p))).toMatch(/^still here$/m);
  });
});
