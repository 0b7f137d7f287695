// Assemble A64 source with clang's integrated assembler (a real toolchain,
// no hand-encoded words in tests). Results are cached by content hash.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const CACHE = join(process.cwd(), "build", "asm-cache");

/** Assemble `source` (GNU syntax) at address 0; returns the little-endian words. */
export function assemble(source: string, march = "armv8.1-a+lse+crc"): Uint32Array {
  const key = createHash("sha256").update(march + "\n" + source).digest("hex").slice(0, 24);
  const bin = join(CACHE, key + ".bin");
  if (!existsSync(bin)) {
    mkdirSync(CACHE, { recursive: true });
    const src = join(CACHE, key + ".s");
    const obj = join(CACHE, key + ".o");
    writeFileSync(src, ".text\n" + source + "\n");
    execFileSync("clang", ["--target=aarch64-linux-gnu", `-march=${march}`, "-c", "-x", "assembler", src, "-o", obj]);
    execFileSync("llvm-objcopy", ["-O", "binary", "--only-section=.text", obj, bin]);
  }
  const buf = readFileSync(bin);
  return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
