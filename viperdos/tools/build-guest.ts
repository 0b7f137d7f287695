// The guest C build: compiles C/assembly for AArch64 with clang and links
// static executables with lld against our own freestanding libc
// (viperdos/user/libc, crt0 in viperdos/user/crt). Outputs go to
// build/guest/, cached by a content hash of the sources, the libc, the flags
// and the compiler version, so an unchanged program is never rebuilt.
//
// As a library: buildGuest({ sources, name, opt }) -> path of the ELF.
// As a program (`node dist/viperdos/tools/build-guest.js`): builds the
// default set (the demo and the guest benchmarks).

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBootImages } from "./images.js";

export type OptLevel = "-O0" | "-O1" | "-O2" | "-O3" | "-Os";

export interface GuestBuildOptions {
  /** C (.c) or assembly (.S/.s) files, absolute or relative to the repository root. */
  sources: string[];
  /** Output file name inside build/guest/ (letters, digits, - _ . only). */
  name: string;
  opt?: OptLevel;
  /** -march value; default "armv8-a". */
  march?: string;
  extraFlags?: string[];
  /** Link our libc and crt0 (default true); false for self-contained assembly with its own _start. */
  libc?: boolean;
  /**
   * Build a static-PIE (ET_DYN with R_AARCH64_RELATIVE relocations). Our
   * loader applies the relocations, and the libc start-up applies them again
   * (idempotently), so the binary also runs on qemu-aarch64 and Linux.
   */
  pie?: boolean;
  /**
   * The target system (default "linux"): "linux" links the Linux system
   * backend (libc/sys/linux.c) and crt0.S; "viperdos" links the ViperDOS
   * backend (libc/sys/viperdos.c), crt/crt0-viperdos.S and user/link.ld
   * (code at 0x8000_0000), defines __viperdos__ and adds user/include
   * (<viperdos/syscall.h>). ViperDOS programs are not position-independent.
   */
  os?: GuestOs;
}

export type GuestOs = "linux" | "viperdos";

/** Build failures (missing tools, compile errors) carry the tool's output. */
export class GuestBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GuestBuildError";
  }
}

/** The repository root: the nearest directory above this module with our package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && readFileSync(pkg, "utf8").includes('"viperdos-lab"')) return dir;
    const up = dirname(dir);
    if (up === dir) throw new GuestBuildError("build-guest: cannot find the repository root (package.json)");
    dir = up;
  }
}

const ROOT = repoRoot();
export const GUEST_OUT = join(ROOT, "build", "guest");
const LIBC = join(ROOT, "viperdos", "user", "libc");
const CRT0 = join(ROOT, "viperdos", "user", "crt", "crt0.S");
const VIPERDOS_CRT0 = join(ROOT, "viperdos", "user", "crt", "crt0-viperdos.S");
const VIPERDOS_INCLUDE = join(ROOT, "viperdos", "user", "include");
const VIPERDOS_LINK_LD = join(ROOT, "viperdos", "user", "link.ld");

let toolVersion: string | undefined;

/** clang's version line; throws GuestBuildError when clang or ld.lld is missing. */
export function compilerVersion(): string {
  if (toolVersion) return toolVersion;
  const clang = spawnSync("clang", ["--version"], { encoding: "utf8" });
  if (clang.error || clang.status !== 0) {
    throw new GuestBuildError("build-guest: clang not found; run scripts/setup.sh (apt-get install clang lld)");
  }
  const lld = spawnSync("ld.lld", ["--version"], { encoding: "utf8" });
  if (lld.error || lld.status !== 0) {
    throw new GuestBuildError("build-guest: ld.lld not found; run scripts/setup.sh (apt-get install lld)");
  }
  toolVersion = clang.stdout.split("\n")[0] + " / " + lld.stdout.split("\n")[0];
  return toolVersion;
}

function filesUnder(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, exts));
    else if (exts.some((x) => e.endsWith(x))) out.push(p);
  }
  return out;
}

/** The libc's C sources: everything in src/ plus the target's system backend and crt0. */
function libcSources(os: GuestOs = "linux"): string[] {
  if (os === "viperdos") return [...filesUnder(join(LIBC, "src"), [".c"]), join(LIBC, "sys", "viperdos.c"), VIPERDOS_CRT0];
  return [...filesUnder(join(LIBC, "src"), [".c"]), join(LIBC, "sys", "linux.c"), CRT0];
}

function hashFiles(h: ReturnType<typeof createHash>, files: string[]): void {
  for (const f of files) {
    h.update(relative(ROOT, f) + "\0");
    h.update(readFileSync(f));
    h.update("\0");
  }
}

/** Compiler flags shared by the libc and programs. */
function compileFlags(opt: OptLevel, march: string, extra: string[], pie: boolean, os: GuestOs = "linux"): string[] {
  const osFlags = os === "viperdos" ? ["-D__viperdos__=1", "-isystem", VIPERDOS_INCLUDE] : [];
  return [
    "--target=aarch64-linux-gnu",
    `-march=${march}`,
    opt,
    "-ffreestanding", // implies -fno-builtin: our libc is the only library
    "-nostdlibinc", // no host headers; clang's own (stdint.h, stdarg.h...) stay
    "-isystem",
    join(LIBC, "include"),
    ...osFlags,
    pie ? "-fPIE" : "-fno-pic",
    "-fno-stack-protector",
    "-fno-math-errno", // sqrt & co. become single instructions
    "-fno-asynchronous-unwind-tables",
    "-ffunction-sections",
    "-fdata-sections",
    "-g0",
    "-Wall",
    ...extra,
  ];
}

function run(args: string[], what: string): void {
  const r = spawnSync("clang", args, { encoding: "utf8" });
  if (r.error) throw new GuestBuildError(`build-guest: cannot run clang: ${r.error.message}`);
  if (r.status !== 0) throw new GuestBuildError(`build-guest: ${what} failed:\n${r.stderr}`);
}

/** Write `dir` atomically: build into a temporary sibling, then rename (concurrent builds are fine). */
function publishDir(tmp: string, dir: string): void {
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // someone else published the same content
  }
}

/** Object files of the libc built with these flags (cached). */
function libcObjects(flags: string[], os: GuestOs = "linux"): string[] {
  const h = createHash("sha256");
  h.update(compilerVersion() + "\0" + flags.join(" ") + "\0");
  const osHeaders = os === "viperdos" ? filesUnder(VIPERDOS_INCLUDE, [".h"]) : [];
  hashFiles(h, [...libcSources(os), ...filesUnder(join(LIBC, "include"), [".h"]), join(LIBC, "sys", "sys.h"), ...osHeaders]);
  const key = h.digest("hex").slice(0, 20);
  const dir = join(GUEST_OUT, "libc", key);
  const objs = libcSources(os).map((s) => join(dir, relative(ROOT, s).replace(/[/\\]/g, "_") + ".o"));
  if (existsSync(dir)) return objs;
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  libcSources(os).forEach((src, i) => {
    const obj = join(tmp, relative(dir, objs[i]));
    run([...flags, "-c", src, "-o", obj], `compiling ${relative(ROOT, src)}`);
  });
  publishDir(tmp, dir);
  return objs;
}

/**
 * Compile and link `sources` into build/guest/<name> (a static AArch64 ELF)
 * and return its absolute path. Skips all work when the sources, libc,
 * flags and compiler are unchanged. Throws GuestBuildError with the
 * compiler's message on failure or when clang/ld.lld are missing.
 */
export function buildGuest(o: GuestBuildOptions): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new GuestBuildError(`build-guest: bad output name ${JSON.stringify(o.name)}`);
  const opt = o.opt ?? "-O2";
  const march = o.march ?? "armv8-a";
  const useLibc = o.libc ?? true;
  const pie = o.pie ?? false;
  const os = o.os ?? "linux";
  if (os === "viperdos" && pie) throw new GuestBuildError("build-guest: ViperDOS programs are linked at 0x8000_0000, not as PIE");
  const flags = compileFlags(opt, march, o.extraFlags ?? [], pie, os);
  const sources = o.sources.map((s) => resolve(ROOT, s));
  for (const s of sources) if (!existsSync(s)) throw new GuestBuildError(`build-guest: no such source ${s}`);

  const h = createHash("sha256");
  h.update(compilerVersion() + "\0" + flags.join(" ") + "\0" + String(useLibc) + "\0");
  hashFiles(h, sources);
  if (os === "viperdos") hashFiles(h, [VIPERDOS_LINK_LD]);
  const objs = useLibc ? libcObjects(flags, os) : [];
  h.update(objs.join("\0"));
  const key = h.digest("hex");
  const out = join(GUEST_OUT, o.name);
  const stamp = out + ".key";
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, "utf8") === key) return out;

  mkdirSync(GUEST_OUT, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  run(
    [
      ...flags,
      "-nostdlib",
      pie ? "-static-pie" : "-static",
      "-fuse-ld=lld",
      "-Wl,--gc-sections",
      "-Wl,--build-id=none",
      ...(os === "viperdos" ? [`-Wl,-T,${VIPERDOS_LINK_LD}`, "-Wl,-z,max-page-size=4096"] : []),
      ...sources,
      ...objs,
      "-o",
      tmp,
    ],
    `building ${o.name}`,
  );
  renameSync(tmp, out);
  writeFileSync(stamp, key);
  return out;
}

/** The programs the CLI mode builds: the demo and the guest benchmarks. */
export function defaultBuilds(): GuestBuildOptions[] {
  return [
    { name: "demo", sources: ["viperdos/user/programs/demo.c"], opt: "-O2" },
    { name: "int_mix", sources: ["bench/guest/int_mix.c"], opt: "-O2" },
    { name: "fp_mix", sources: ["bench/guest/fp_mix.c"], opt: "-O2" },
    // ViperDOS test programs (bin/viperdos run build/guest/vd-hello ...).
    ...["hello", "proc", "ipc", "ipc_child", "sched", "threads", "signals", "fault"].map(
      (t): GuestBuildOptions => ({ name: `vd-${t}`, sources: [`viperdos/user/tests/${t}.c`], opt: "-O2", os: "viperdos" }),
    ),
  ];
}

function main(): void {
  try {
    for (const b of defaultBuilds()) {
      const path = buildGuest(b);
      console.error(`[build-guest] ${relative(ROOT, path)}`);
    }
    // The boot disks of `viperdos boot` (vinit and the C: programs; tools/images.ts).
    const images = buildBootImages();
    console.error(`[build-guest] ${relative(ROOT, images.sys)}, ${relative(ROOT, images.user)}${images.cached ? " (cached)" : ""}`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

/** llvm-objdump -d of a built guest program (to name an instruction from a fault report). */
export function disassemble(elf: string): string {
  return execFileSync("llvm-objdump", ["-d", "--mattr=+v8.2a,+lse,+crc,+rcpc,+fullfp16", elf], { encoding: "utf8", maxBuffer: 64 << 20 });
}
