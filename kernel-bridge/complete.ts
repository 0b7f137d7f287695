// complete_request and inspect_request for ViperDOS cells: magic names and
// their arguments (options from the usage text, process names and PIDs for
// %pt/%caps, paths for %fs, sub-commands), vinit's built-in commands and the
// programs in C:, paths on the guest file system (assigns included, through
// the inspection API's directory listing) and %%ts names. Completion never
// boots a machine: without one it offers magics and commands only.

import type { Session } from "./executor.js";
import { findMagic, MAGICS } from "./magics.js";
import { listDirectory } from "../viperdos/kernel/inspect/fs.js";

/** vinit's built-in commands with a one-line help each (VIPERDOS.md "Shell"; vinit's Help). */
export const SHELL_COMMANDS: Record<string, string> = {
  Assign: "Assign [NAME: [dir]]: list the assigns, set NAME: to a directory, or remove it",
  Avail: "Avail: free and used memory",
  Caps: "Caps: the shell's capability table (handles and rights)",
  cd: "cd [path]: change the current directory (no argument: print it); also chdir",
  chdir: "chdir [path]: as cd",
  Cls: "Cls: clear the screen (ANSI)",
  Copy: "Copy from to: copy a file",
  cwd: "cwd: print the current directory; also pwd",
  Date: "Date: today's date from the RTC",
  Delete: "Delete name...: delete files or empty directories",
  Dir: "Dir [path]: list a directory (Dir C: lists the programs)",
  Echo: "Echo words...: print the words",
  EndShell: "EndShell: end the shell (the machine powers off; %boot starts a new one)",
  Fetch: "Fetch url: HTTP/1.1 GET (runs C:fetch.prg)",
  Help: "Help: the built-in commands",
  History: "History: the lines typed so far",
  List: "List [path]: a directory with sizes",
  MakeDir: "MakeDir name...: make directories",
  Path: "Path: where commands are searched (current directory, C:)",
  pwd: "pwd: print the current directory",
  read: "read cmd args: page a built-in's output (Space, Enter, q)",
  Rename: "Rename from to: rename or move a file or directory",
  Run: "Run prog args: run a program (also just: prog args)",
  Servers: "Servers: the user-space servers",
  Status: "Status: processes and tasks",
  Time: "Time: the time from the RTC",
  Type: "Type file...: print files",
  Uptime: "Uptime: time since boot",
  Version: "Version: the kernel and shell versions",
  Why: "Why: the message of the last failure",
};

export interface Completion {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
}

const uniqSorted = (xs: string[]) => [...new Set(xs)].sort((a, b) => a.localeCompare(b));

/** Programs in C: (names without .prg), when a machine is up. */
function programs(s: Session): string[] {
  if (!s.kernel) return [];
  const l = listDirectory(s.kernel, "C:", s.shell?.proc.pid);
  return "error" in l ? [] : l.filter((e) => e.type === "file").map((e) => e.name.replace(/\.prg$/, ""));
}

/** Path completions of `word`: entries of its directory part (directories end in "/"), and assigns for a bare word. */
export function completePath(s: Session, word: string): string[] {
  if (!s.kernel) return [];
  const cut = Math.max(word.lastIndexOf("/"), word.lastIndexOf(":")) + 1;
  const dir = word.slice(0, cut);
  const prefix = word.slice(cut).toLowerCase();
  const out: string[] = [];
  const list = listDirectory(s.kernel, dir === "" ? "." : dir.endsWith("/") && dir.length > 1 && !dir.endsWith(":/") ? dir.slice(0, -1) : dir, s.shell?.proc.pid);
  if (!("error" in list)) for (const e of list) if (e.name.toLowerCase().startsWith(prefix)) out.push(dir + e.name + (e.type === "directory" ? "/" : ""));
  if (cut === 0) for (const a of s.kernel.vfs.snapshot().assigns) if ((a.name + ":").toLowerCase().startsWith(prefix)) out.push(a.name + ":");
  return uniqSorted(out);
}

/** Live process names and PIDs starting with `word`. */
function processes(s: Session, word: string): string[] {
  const live = (s.kernel?.processes() ?? []).filter((p) => p.state === "live");
  return uniqSorted([...live.map((p) => p.name), ...live.map((p) => String(p.pid))].filter((x) => x.toLowerCase().startsWith(word.toLowerCase())));
}

/** Options (--name) a magic's usage text mentions. */
function optionsOf(name: string): string[] {
  return uniqSorted([...(findMagic(name)?.usage.matchAll(/--[a-z][a-z-]*/g) ?? [])].map((m) => m[0]).concat("--help"));
}

const SUBCOMMANDS: Record<string, string[]> = { trace: ["on", "off", "show"], bench: ["ipc"] };

/**
 * Completions at `cursorPos` in `code`: the word before the cursor (back to
 * a blank) and what fits it for its place in the line. `tsNames` are the
 * %%ts context's names.
 */
export function complete(s: Session, code: string, cursorPos: number, tsNames: () => string[]): Completion {
  const before = code.slice(0, cursorPos);
  const lineStart = before.lastIndexOf("\n") + 1;
  const line = before.slice(lineStart);
  const word = /\S*$/.exec(line)![0];
  const start = cursorPos - word.length;
  const done = (matches: string[], from = start): Completion => ({ matches, cursor_start: from, cursor_end: cursorPos });
  if (/^\s*%%ts\b/.test(code) && lineStart > 0) {
    const id = /[A-Za-z_$][\w$]*$/.exec(line)?.[0] ?? "";
    return done(tsNames().filter((n) => n.startsWith(id)), cursorPos - id.length);
  }
  const words = line.trim().split(/\s+/).filter(Boolean);
  const first = word === line.trimStart();
  if (line.trimStart().startsWith("%")) {
    if (first) return done(["%%ts", ...MAGICS.map((g) => "%" + g.name)].filter((m) => m.startsWith(word)));
    const name = words[0].slice(1);
    if (word.startsWith("-")) return done(optionsOf(name).filter((o) => o.startsWith(word)));
    const prev = words.length >= 2 && !line.endsWith(" ") ? words[words.length - 2] : words.at(-1);
    if (prev === "--va" || prev === "--sizes") return done([]);
    if (name === "pt" || name === "caps") return done(processes(s, word));
    if (name === "fs") return done(completePath(s, word));
    if (name === "help") return done(MAGICS.map((g) => g.name).filter((n) => n.startsWith(word.replace(/^%/, ""))));
    if (SUBCOMMANDS[name]) return done(SUBCOMMANDS[name].filter((x) => x.startsWith(word)));
    return done([]);
  }
  if (first) {
    const lower = word.toLowerCase();
    return done(uniqSorted([...Object.keys(SHELL_COMMANDS), ...programs(s)].filter((c) => c.toLowerCase().startsWith(lower))).concat(word === "" ? ["%help"] : []));
  }
  return done(completePath(s, word));
}

/** Help for what is under the cursor: a magic's usage, a shell command's help, a program in C:. */
export function inspectAt(s: Session, code: string, cursorPos: number): string | undefined {
  const lineStart = code.lastIndexOf("\n", Math.max(0, cursorPos - 1)) + 1;
  const lineEnd = code.indexOf("\n", cursorPos);
  const line = code.slice(lineStart, lineEnd < 0 ? code.length : lineEnd);
  if (/^\s*%%ts\b/.test(line)) return "%%ts: see %%ts --help";
  const m = /^\s*%([A-Za-z_]+)/.exec(line);
  if (m) return findMagic(m[1])?.usage;
  const cmd = /^\s*(\S+)/.exec(line)?.[1];
  if (!cmd) return undefined;
  const builtin = Object.keys(SHELL_COMMANDS).find((c) => c.toLowerCase() === cmd.toLowerCase());
  if (builtin) return `${SHELL_COMMANDS[builtin]}\n\n(a vinit built-in; return codes OK 0, WARN 5, ERROR 10, FAIL 20; a cell stops at rc >= 10)`;
  if (s.kernel) {
    const l = listDirectory(s.kernel, "C:", s.shell?.proc.pid);
    const e = "error" in l ? undefined : l.find((x) => x.name.toLowerCase() === `${cmd.toLowerCase()}.prg`);
    if (e) return `${cmd}: the program C:${e.name} (${e.size} bytes); vinit runs it with the line's arguments`;
  }
  return undefined;
}
