// The notebook machine's disks: sys.img as `bin/viperdos boot` has it, and a
// user.img with the standard C: programs plus the notebook programs
// (kernel-bridge/programs/*.c, notebooks/programs/*.c) as C:<name>.prg, so a
// cell can type `spin 5000` into the shell. Written to build/images-notebook/,
// content-hash cached like viperdos/tools/images.ts.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImage } from "../viperdos/fs/mkfs.js";
import { buildGuest, repoRoot } from "../viperdos/tools/build-guest.js";
import { buildBootImages, STARTUP_SCRIPT, USER_IMAGE_SIZE, USER_PROGRAMS } from "../viperdos/tools/images.js";

/** Folders whose *.c files become extra C: programs of the notebook disk. */
export const NOTEBOOK_PROGRAM_DIRS = ["kernel-bridge/programs", "notebooks/programs"];

/** name -> source path (relative to the repository root) of the extra programs; the standard ones win a clash. */
export function notebookPrograms(): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of NOTEBOOK_PROGRAM_DIRS) {
    const dir = join(repoRoot(), d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const name = f.slice(0, -2);
      if (f.endsWith(".c") && !(name in USER_PROGRAMS) && !out.has(name)) out.set(name, `${d}/${f}`);
    }
  }
  return out;
}

/**
 * Paths of the notebook disks: user.img with the standard and the extra
 * programs (built here, content-hash cached), sys.img from build/images/.
 * When vinit does not compile (a source being edited) but a sys.img was
 * built before, that one is used and `stale` says why. Throws
 * GuestBuildError when a user program does not compile, like buildBootImages.
 */
export function notebookImages(outDir = join(repoRoot(), "build", "images-notebook")): { sys: string; user: string; stale?: string } {
  const user = userImage(outDir);
  try {
    return { sys: buildBootImages().sys, user };
  } catch (e) {
    const sys = join(repoRoot(), "build", "images", "sys.img");
    if (!existsSync(sys)) throw e;
    return { sys, user, stale: `using the last built sys.img: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
  }
}

function userImage(outDir: string): string {
  const programs = new Map<string, Uint8Array>();
  for (const [name, src] of Object.entries(USER_PROGRAMS)) programs.set(name, readFileSync(buildGuest({ name: `prg-${name}`, sources: [src], opt: "-O2", os: "viperdos" })));
  for (const [name, src] of notebookPrograms()) programs.set(name, readFileSync(buildGuest({ name: `nb-${name}`, sources: [src], opt: "-O2", os: "viperdos" })));
  const h = createHash("sha256");
  h.update(`nb1\0${USER_IMAGE_SIZE}\0${STARTUP_SCRIPT}\0`);
  for (const [name, elf] of programs) h.update(`${name}\0`).update(elf).update("\0");
  const key = h.digest("hex");
  const user = join(outDir, "user.img");
  const stamp = join(outDir, "images.key");
  if (existsSync(user) && existsSync(stamp) && readFileSync(stamp, "utf8") === key) return user;
  const files = new Map<string, Uint8Array>();
  for (const [name, elf] of programs) files.set(`c/${name}.prg`, elf);
  files.set("s/startup", new TextEncoder().encode(STARTUP_SCRIPT));
  const img = buildImage({ size: USER_IMAGE_SIZE, label: "USER", files, dirs: ["c", "s", "l", "t", "certs"] });
  mkdirSync(outDir, { recursive: true });
  const tmp = `${user}.tmp-${process.pid}`;
  writeFileSync(tmp, img); // beside, then rename: a concurrent kernel never reads half an image
  renameSync(tmp, user);
  writeFileSync(stamp, key);
  return user;
}
