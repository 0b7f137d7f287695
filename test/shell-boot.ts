// Helpers of the shell tests (test/shell*.test.ts): boot `viperdos boot`
// (the built CLI in a real process) with piped input and split what a
// terminal would show at the prompts.

import { spawnSync } from "node:child_process";
import { join } from "node:path";

const CLI = join(process.cwd(), "dist", "bin", "viperdos.js");

export interface Step {
  prompt: string;
  command: string;
  output: string;
}

/** Boot with `input` piped in (1 CPU); returns the exit status, stdout as a terminal shows it (screen) and raw, and the transcript split at prompts. */
export function boot(input: string, ...args: string[]): { status: number | null; stdout: string; raw: string; steps: Step[] } {
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
  return { status: r.status, stdout, raw: r.stdout, steps };
}

/**
 * What a terminal shows for `raw`, line by line: CR goes to the line start,
 * BS moves left, ESC [ K clears to the end of the line, other bytes
 * overwrite at the cursor (the shell redraws edited lines this way).
 */
export function screen(raw: string): string {
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
export function outputOf(steps: Step[], cmd: string): string {
  const s = steps.find((x) => x.command === cmd);
  if (!s) throw new Error(`no step ${cmd} in ${JSON.stringify(steps.map((x) => x.command))}`);
  return s.output;
}
