// Output for the command-line tools: write everything to a host file
// descriptor, retrying short writes and EAGAIN (pipes, non-blocking TTYs);
// any other error (a closed reader: EPIPE) ends the write quietly.

import { writeSync } from "node:fs";

/** Write `s` (text or bytes) to `fd` in full. */
export function out(fd: number, s: string | Uint8Array): void {
  const b = typeof s === "string" ? new TextEncoder().encode(s) : s;
  for (let at = 0; at < b.length; ) {
    try {
      at += writeSync(fd, b, at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      return;
    }
  }
}
