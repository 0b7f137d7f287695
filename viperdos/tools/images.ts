// The boot disks of `bin/viperdos boot`: sys.img (2 MiB, label SYS: vinit.sys
// at the root) and user.img (8 MiB, label USER: c/<program>.prg, s/startup,
// t/, certs/), written to build/images/ from the guest programs built by
// build-guest.ts (os "viperdos"). Content-hash cached: the images are rebuilt
// only when a program or the startup script changes (build/images/images.key).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImage } from "../fs/mkfs.js";
import { buildGuest, repoRoot, type GuestBuildOptions } from "./build-guest.js";

export const SYS_IMAGE_SIZE = 2 << 20;
export const USER_IMAGE_SIZE = 8 << 20;

/** The user programs that go to C: (name -> source, relative to the repository root). */
export const USER_PROGRAMS: Record<string, string> = {
  hello: "viperdos/user/programs/hello.c",
  sysinfo: "viperdos/user/programs/sysinfo.c",
  fsinfo: "viperdos/user/programs/fsinfo.c",
  ping: "viperdos/user/programs/ping.c",
  netstat: "viperdos/user/programs/netstat.c",
  nslookup: "viperdos/user/programs/nslookup.c",
  iperf: "viperdos/user/programs/iperf.c",
  fetch: "viperdos/user/programs/fetch.c",
  devices: "viperdos/user/programs/devices.c",
  edit: "viperdos/user/programs/edit.c",
  ipcbench: "viperdos/user/programs/ipcbench.c",
  ctxbench: "viperdos/user/programs/ctxbench.c",
  fiobench: "viperdos/user/programs/fiobench.c",
};

/** S:startup, run by vinit before the first prompt. */
export const STARTUP_SCRIPT = "# S:startup - run by vinit at boot\nEcho ViperDOS Lab - type Help for the commands, EndShell to power off.\n";

export interface BootImages {
  /** Absolute paths of the two images. */
  sys: string;
  user: string;
  /** True when the cache was valid and nothing was rebuilt. */
  cached: boolean;
}

/** Every program of the images as guest build options (vinit first). */
export function imageBuilds(): GuestBuildOptions[] {
  return [
    { name: "vinit.sys", sources: ["viperdos/user/vinit/vinit.c", "viperdos/user/vinit/lineedit.c"], opt: "-O2", os: "viperdos" },
    ...Object.entries(USER_PROGRAMS).map(([n, src]): GuestBuildOptions => ({ name: `prg-${n}`, sources: [src], opt: "-O2", os: "viperdos" })),
  ];
}

/**
 * Build the programs and the two images into `outDir` (default
 * build/images/). Returns their paths. Throws GuestBuildError when clang is
 * missing or a program does not compile, FsError when the files do not fit.
 */
export function buildBootImages(outDir = join(repoRoot(), "build", "images")): BootImages {
  const builds = imageBuilds();
  const elfs = builds.map((b) => readFileSync(buildGuest(b)));
  const h = createHash("sha256");
  h.update(`v1\0${SYS_IMAGE_SIZE}\0${USER_IMAGE_SIZE}\0${STARTUP_SCRIPT}\0`);
  builds.forEach((b, i) => h.update(`${b.name}\0`).update(elfs[i]).update("\0"));
  const key = h.digest("hex");
  const sys = join(outDir, "sys.img");
  const user = join(outDir, "user.img");
  const stamp = join(outDir, "images.key");
  if (existsSync(sys) && existsSync(user) && existsSync(stamp) && readFileSync(stamp, "utf8") === key) return { sys, user, cached: true };

  const sysImg = buildImage({ size: SYS_IMAGE_SIZE, label: "SYS", files: new Map([["vinit.sys", elfs[0]]]) });
  const files = new Map<string, Uint8Array>();
  Object.keys(USER_PROGRAMS).forEach((n, i) => files.set(`c/${n}.prg`, elfs[i + 1]));
  files.set("s/startup", new TextEncoder().encode(STARTUP_SCRIPT));
  const userImg = buildImage({ size: USER_IMAGE_SIZE, label: "USER", files, dirs: ["c", "s", "l", "t", "certs"] });
  mkdirSync(outDir, { recursive: true });
  // Write beside, then rename: a concurrent boot never sees half an image.
  for (const [path, bytes] of [[sys, sysImg], [user, userImg]] as const) {
    writeFileSync(`${path}.tmp-${process.pid}`, bytes);
    renameSync(`${path}.tmp-${process.pid}`, path);
  }
  writeFileSync(stamp, key);
  return { sys, user, cached: false };
}

/** Plain data about the images (for notebooks): sizes and the programs on them. */
export function snapshot(): { sysBytes: number; userBytes: number; programs: string[]; startup: string } {
  return { sysBytes: SYS_IMAGE_SIZE, userBytes: USER_IMAGE_SIZE, programs: ["vinit.sys", ...Object.keys(USER_PROGRAMS).map((n) => `C:${n}.prg`)], startup: STARTUP_SCRIPT };
}
