// The syscall table (viperdos/kernel/syscall/table.ts), the generated C
// headers, and the ViperDOS user runtime (libc backend, crt0, link map):
// - numbers match shared/VIPERDOS.md's table (every row, parsed from a copy
//   of the spec rows below) and are unique; the checker catches bad tables;
// - the committed headers equal a fresh rendering;
// - a C program built for the viperdos target links at 0x8000_0000 and its
//   svc #0 sites load x8 with the expected numbers;
// - the same program runs on the emulated CPU under a tiny fake kernel that
//   serves a handful of calls, which checks crt0's argument splitting, the
//   console path and exit end to end.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CpuState, ExitKind } from "../emulator/cpu/state.js";
import { runEl0, Translator } from "../emulator/cpu/translate.js";
import { PhysicalBus } from "../emulator/bus.js";
import { Mmu } from "../emulator/mmu/mmu.js";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../emulator/linux-user/address_space.js";
import { parseElf } from "../emulator/linux-user/elf.js";
import { loadProcess } from "../emulator/linux-user/loader.js";
import { ALL_ERRORS } from "../viperdos/kernel/errors.js";
import {
  checkSyscallTable,
  formatSyscall,
  snapshot,
  SYS,
  SyscallDef,
  syscallByName,
  syscallByNumber,
  SYSCALLS,
} from "../viperdos/kernel/syscall/table.js";
import { buildGuest } from "../viperdos/tools/build-guest.js";
import { generatedHeaders, renderErrorsH, renderSyscallsH, staleHeaders } from "../viperdos/tools/gen-headers.js";

// The rows of VIPERDOS.md's "Syscall ABI" table, verbatim in content.
const SPEC_ROWS = [
  "0x00 | TASK_YIELD 0, TASK_EXIT 1, TASK_CURRENT 2, TASK_SPAWN 3, TASK_JOIN 4, TASK_LIST 5, TASK_SET_PRIORITY 6, TASK_GET_PRIORITY 7, WAIT 8, WAITPID 9, SBRK 0xA, FORK 0xB, TASK_SPAWN_SHM 0xC, SCHED_SETAFFINITY 0xD, SCHED_GETAFFINITY 0xE, REPLACE 0xF",
  "0x10 | CHANNEL_CREATE, CHANNEL_SEND, CHANNEL_RECV, CHANNEL_CLOSE",
  "0x20 | POLL_CREATE, POLL_ADD, POLL_REMOVE, POLL_WAIT",
  "0x30 | TIME_NOW, SLEEP, TIMER_CREATE, TIMER_CANCEL, TIME_NOW_NS, RTC_READ",
  "0x40 | OPEN, CLOSE, READ, WRITE, LSEEK, STAT, FSTAT, DUP, DUP2, FSYNC",
  "0x50 | SOCKET_CREATE, SOCKET_CONNECT, SOCKET_SEND, SOCKET_RECV, SOCKET_CLOSE, DNS_RESOLVE, SOCKET_POLL",
  "0x60 | READDIR, MKDIR, RMDIR, UNLINK, RENAME, SYMLINK, READLINK, GETCWD, CHDIR",
  "0x70 | CAP_DERIVE, CAP_REVOKE, CAP_QUERY, CAP_LIST, CAP_GET_BOUND, CAP_DROP_BOUND, GETRLIMIT, SETRLIMIT, GETRUSAGE",
  "0x80 | FS_OPEN_ROOT, FS_OPEN, IO_READ, IO_WRITE, IO_SEEK, FS_READ_DIR, FS_CLOSE, FS_REWIND_DIR",
  "0x90 | SIGACTION, SIGPROCMASK, SIGRETURN, KILL, SIGPENDING",
  "0xA0 | GETPID, GETPPID, GETPGID, SETPGID, GETSID, SETSID, GET_ARGS",
  "0xB0 | THREAD_CREATE, THREAD_EXIT, THREAD_JOIN, THREAD_DETACH, THREAD_SELF",
  "0xC0 | ASSIGN_SET, ASSIGN_GET, ASSIGN_REMOVE, ASSIGN_LIST, ASSIGN_RESOLVE",
  "0xD0 | TLS_CREATE, TLS_HANDSHAKE, TLS_SEND, TLS_RECV, TLS_CLOSE, TLS_INFO",
  "0xE0 | MEM_INFO 0xE0, NET_STATS 0xE1, PING 0xE2, DEVICE_LIST 0xE3, GETRANDOM 0xE4, CPU_COUNT 0xE6, UNAME 0xE8",
  "0xF0 | DEBUG_PRINT, GETCHAR, PUTCHAR, UPTIME",
  "0x100 | MAP_DEVICE, IRQ_REGISTER, IRQ_WAIT, IRQ_ACK, DMA_ALLOC, DMA_FREE, VIRT_TO_PHYS, DEVICE_ENUM, IRQ_UNREGISTER, SHM_CREATE, SHM_MAP, SHM_UNMAP, SHM_CLOSE",
  "0x110 | GET_MOUSE_STATE, MAP_FRAMEBUFFER, SET_MOUSE_BOUNDS, INPUT_HAS_EVENT, INPUT_GET_EVENT, GCON_SET_GUI_MODE, SET_CURSOR_IMAGE, MOVE_CURSOR, DISPLAY_COUNT",
  "0x120 | TTY_READ, TTY_WRITE, TTY_PUSH_INPUT, TTY_HAS_INPUT, TTY_GET_SIZE",
  "0x150 | MMAP, MUNMAP, MPROTECT, MSYNC, MADVISE, MLOCK, MUNLOCK",
];

/** name -> number by the spec's rule: consecutive from the row start unless a number is given. */
function specNumbers(): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of SPEC_ROWS) {
    const [start, calls] = row.split("|").map((s) => s.trim());
    let next = parseInt(start, 16);
    for (const item of calls.split(",").map((s) => s.trim())) {
      const [name, num] = item.split(/\s+/);
      const n = num === undefined ? next : Number(num.startsWith("0x") ? parseInt(num, 16) : parseInt(num, 10));
      out.set(name, n);
      next = n + 1;
    }
  }
  return out;
}

describe("syscall table", () => {
  it("has every call of VIPERDOS.md with its number, plus our socket and scheduling calls", () => {
    const spec = specNumbers();
    expect(spec.size).toBe(146);
    for (const [name, n] of spec) expect(syscallByName(name)?.number, name).toBe(n);
    const extra = SYSCALLS.filter((s) => !spec.has(s.name)).map((s) => [s.name, s.number]);
    expect(extra).toEqual([
      ["SOCKET_BIND", 0x57],
      ["SOCKET_LISTEN", 0x58],
      ["SOCKET_ACCEPT", 0x59],
      ["SOCKET_OPEN", 0x5a],
      ["SOCKET_SENDTO", 0x5b],
      ["SOCKET_RECVFROM", 0x5c],
      ["SOCKET_SETOPT", 0x5d],
      ["SOCKET_INFO", 0x5e],
      ["SCHED_SETPARAM", 0xe5],
      ["SCHED_GETPARAM", 0xe7],
    ]);
    // Every call beyond the spec is marked as ours.
    for (const [name] of extra) expect(syscallByName(name as string)?.origin, name as string).toBe("ours");
  });

  it("spot-checks range starts and explicit numbers", () => {
    const cases: [string, number][] = [
      ["TASK_YIELD", 0], ["SBRK", 0xa], ["REPLACE", 0xf], ["SCHED_GETAFFINITY", 0xe], ["CHANNEL_CREATE", 0x10],
      ["CHANNEL_RECV", 0x12], ["POLL_CREATE", 0x20], ["TIME_NOW", 0x30], ["RTC_READ", 0x35], ["OPEN", 0x40],
      ["FSYNC", 0x49], ["SOCKET_CREATE", 0x50], ["SOCKET_POLL", 0x56], ["READDIR", 0x60], ["CHDIR", 0x68],
      ["CAP_DERIVE", 0x70], ["GETRUSAGE", 0x78], ["FS_OPEN_ROOT", 0x80], ["FS_REWIND_DIR", 0x87], ["SIGACTION", 0x90],
      ["GETPID", 0xa0], ["GET_ARGS", 0xa6], ["THREAD_CREATE", 0xb0], ["ASSIGN_SET", 0xc0], ["TLS_CREATE", 0xd0],
      ["TLS_INFO", 0xd5], ["MEM_INFO", 0xe0], ["GETRANDOM", 0xe4], ["CPU_COUNT", 0xe6], ["UNAME", 0xe8],
      ["DEBUG_PRINT", 0xf0], ["UPTIME", 0xf3], ["MAP_DEVICE", 0x100], ["SHM_CLOSE", 0x10c], ["GET_MOUSE_STATE", 0x110],
      ["DISPLAY_COUNT", 0x118], ["TTY_READ", 0x120], ["TTY_GET_SIZE", 0x124], ["MMAP", 0x150], ["MUNLOCK", 0x156],
    ];
    for (const [name, n] of cases) expect(SYS[name as keyof typeof SYS], name).toBe(n);
  });

  it("is sound: unique numbers and names, sorted, at most 6 args and 3 results", () => {
    expect(checkSyscallTable()).toEqual([]);
    const numbers = SYSCALLS.map((s) => s.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    for (const s of SYSCALLS) {
      expect(s.description.length, s.name).toBeGreaterThan(5);
      for (const [, t] of [...s.args, ...s.returns]) expect(t, s.name).toMatch(/^(const )?(u8|u16|u32|u64|i32|i64|usize|void|char|struct vd_\w+)( \*)?$/);
    }
  });

  it("the checker reports duplicates and ABI overflows", () => {
    const a = syscallByName("TASK_EXIT")!;
    const bad: SyscallDef[] = [
      a,
      { ...a, name: "OTHER" },
      { ...a, number: 0x999, args: Array.from({ length: 7 }, (_, i) => [`a${i}`, "u64"] as const) },
      { ...a, number: 0x99a, name: "lower", returns: [["x", "u64"], ["y", "u64"], ["z", "u64"], ["w", "u64"]] },
    ];
    const problems = checkSyscallTable(bad);
    expect(problems.some((p) => p.includes("number 0x1 used by TASK_EXIT and OTHER"))).toBe(true);
    expect(problems.some((p) => p.includes("name TASK_EXIT appears twice"))).toBe(true);
    expect(problems.some((p) => p.includes("7 arguments"))).toBe(true);
    expect(problems.some((p) => p.includes("4 results"))).toBe(true);
    expect(problems.some((p) => p.includes("lower: not an upper-case"))).toBe(true);
  });

  it("looks calls up by number and by name; unknown ones are undefined", () => {
    expect(syscallByNumber(0x11)?.name).toBe("CHANNEL_SEND");
    expect(syscallByNumber(0x57)?.origin).toBe("ours");
    expect(syscallByName("sys_channel_recv")?.returns.map(([n]) => n)).toEqual(["bytes", "handle_count"]);
    expect(syscallByName("CHANNEL_CREATE")?.returns).toHaveLength(2);
    expect(syscallByNumber(0xe9)).toBeUndefined(); // 0xE5 and 0xE7 are SCHED_SETPARAM/GETPARAM (ours)
    expect(syscallByNumber(0x130)).toBeUndefined(); // upstream's audio calls are not part of our system
    expect(syscallByName("NOPE")).toBeUndefined();
    expect(syscallByName("TASK_EXIT")?.noReturn).toBe(true);
  });

  it("formats trace lines and gives a JSON snapshot", () => {
    expect(formatSyscall(0x11, [1n, 0x80001000n, 5n, 0n, 0n, 0n])).toBe("CHANNEL_SEND(handle=0x1, data=0x80001000, len=0x5, handles=0x0, handle_count=0x0)");
    expect(formatSyscall(0x44, [3n, 0xffffffffffffffffn, 2n])).toBe("LSEEK(fd=3, offset=-1, whence=2)");
    expect(formatSyscall(0x999, [1n])).toBe("SYSCALL_0x999(0x1)");
    const snap = snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.count).toBe(SYSCALLS.length);
    expect(snap.calls.find((c) => c.name === "WRITE")).toMatchObject({ hex: "0x43", args: ["i32 fd", "const void *buf", "usize len"], returns: ["usize bytes"] });
  });
});

describe("generated headers", () => {
  it("the committed headers are up to date (run node dist/viperdos/tools/gen-headers.js)", () => {
    expect(staleHeaders()).toEqual([]);
    for (const h of generatedHeaders()) expect(readFileSync(h.path, "utf8")).toBe(h.text);
  });

  it("syscalls.h defines every number once; errors.h every code", () => {
    const h = renderSyscallsH();
    for (const s of SYSCALLS) {
      const m = h.match(new RegExp(`^#define SYS_${s.name}\\s+(0x[0-9A-F]+)\\s+/\\*`, "m"));
      expect(m && parseInt(m[1], 16), s.name).toBe(s.number);
    }
    expect(h).toBe(renderSyscallsH()); // deterministic
    const e = renderErrorsH();
    for (const err of ALL_ERRORS) expect(e).toMatch(new RegExp(`^#define VERR_${err.name}\\s+\\(${err.code}\\)`, "m"));
    expect(e).toContain('case VERR_WOULD_BLOCK: return "');
  });

  it("comments cannot be broken by a description", () => {
    const evil = { ...syscallByName("TASK_YIELD")!, description: "a */ b" };
    expect(renderSyscallsH([evil])).not.toContain("a */ b");
  });
});

// ---- the C side -----------------------------------------------------------

const PROGRAM = "test/kernel-syscall-table.prog.c";

function buildProgram(): string {
  return buildGuest({ name: "kernel-syscall-table-prog", sources: [PROGRAM], os: "viperdos", opt: "-O2" });
}

/** x8 values loaded by a `mov w8/x8, #n` shortly before each `svc #0`. */
function svcNumbers(elf: string): Set<number> {
  const dis = execFileSync("llvm-objdump", ["-d", elf], { encoding: "utf8", maxBuffer: 64 << 20 }).split("\n");
  const found = new Set<number>();
  dis.forEach((line, i) => {
    if (!/\tsvc\t#0(x0)?$/.test(line.trimEnd())) return;
    for (let j = i - 1; j >= Math.max(0, i - 12); j--) {
      const m = dis[j].match(/\tmov\t[wx]8, #(0x[0-9a-f]+|\d+)/);
      if (m) {
        found.add(Number(m[1]));
        break;
      }
    }
  });
  return found;
}

describe("ViperDOS user runtime", () => {
  it("links at 0x8000_0000 with R-X text and RW- data", () => {
    const elf = readFileSync(buildProgram());
    const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
    expect(v.getUint16(16, true)).toBe(2); // ET_EXEC
    const entry = v.getBigUint64(24, true);
    expect(entry >= 0x8000_0000n).toBe(true);
    const phoff = Number(v.getBigUint64(32, true));
    const loads: { vaddr: bigint; flags: number }[] = [];
    for (let i = 0; i < v.getUint16(56, true); i++) {
      const p = phoff + i * v.getUint16(54, true);
      if (v.getUint32(p, true) === 1) loads.push({ flags: v.getUint32(p + 4, true), vaddr: v.getBigUint64(p + 16, true) });
    }
    expect(loads.map((l) => l.flags)).toEqual([5, 6]);
    expect(loads[0].vaddr).toBe(0x8000_0000n);
    for (const l of loads) expect(Number(l.vaddr % 4096n)).toBe(0);
  });

  it("svc #0 sites load x8 with the table's numbers", () => {
    const nums = svcNumbers(buildProgram());
    for (const name of ["TASK_EXIT", "SBRK", "WRITE", "GET_ARGS", "CHANNEL_CREATE", "CHANNEL_SEND", "DEBUG_PRINT", "TIME_NOW_NS", "MMAP"] as const) {
      expect(nums.has(SYS[name]), name).toBe(true);
    }
  });

  it("the Linux target still builds the same libc", () => {
    const elf = readFileSync(buildGuest({ name: "kernel-syscall-table-linux-demo", sources: ["viperdos/user/programs/demo.c"] }));
    expect(new DataView(elf.buffer, elf.byteOffset).getBigUint64(24, true) < 0x8000_0000n).toBe(true);
  });

  it("runs under a fake kernel: arguments, console output, heap, time and exit", () => {
    const r = runFakeViperdos(readFileSync(buildProgram()), 'PWD=SYS:/c;one "two words"  three');
    expect(r.trace[0]).toBe("GET_ARGS");
    expect(r.stdout).toBe(
      [
        "argc=4",
        "argv[0]=program",
        "argv[1]=one",
        "argv[2]=two words",
        "argv[3]=three",
        "PWD=SYS:/c",
        "channel=0 handles=7,8",
        "debug print",
        "heap ok",
        "mmap ok",
        "time ok",
        "",
      ].join("\n"),
    );
    expect(r.status).toBe(3);
    expect(r.trace).toContain("CHANNEL_SEND");
    expect(r.trace.at(-1)).toBe("TASK_EXIT");
  });

  it("without the PWD prefix, every word is an argument; an empty string gives argc 1", () => {
    expect(runFakeViperdos(readFileSync(buildProgram()), "a b").stdout).toMatch(/^argc=3\nargv\[0\]=program\nargv\[1\]=a\nargv\[2\]=b\nPWD=\(none\)\n/);
    expect(runFakeViperdos(readFileSync(buildProgram()), "").stdout).toMatch(/^argc=1\n/);
  });
});

/**
 * A minimal stand-in for the kernel, enough to run the test program: serves
 * GET_ARGS, WRITE, DEBUG_PRINT, SBRK, MMAP, TIME_NOW_NS, RTC_READ,
 * CHANNEL_CREATE/SEND and TASK_EXIT; anything else returns -7.
 */
function runFakeViperdos(file: Uint8Array, args: string): { stdout: string; status: number; trace: string[] } {
  const image = parseElf(file);
  const bus = new PhysicalBus(64 << 20);
  const cpu = new CpuState(0);
  const mmu = new Mmu(bus, cpu);
  const translator = new Translator(bus);
  translator.attach(mmu);
  const space = new AddressSpace(bus, mmu);
  const loaded = loadProcess(space, image, file, ["prog"], [], new Uint8Array(16));
  space.activate(cpu);
  cpu.pc = loaded.entry;
  cpu.x[31] = BigInt(loaded.sp);
  let brk = loaded.brkStart;
  let mmapNext = 0x2_0000_0000;
  let stdout = "";
  const trace: string[] = [];
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const x = (i: number) => Number(BigInt.asIntN(64, cpu.x[i]));
  const ret = (status: number, ...results: number[]) => {
    cpu.x[0] = BigInt.asUintN(64, BigInt(status));
    results.forEach((r, i) => (cpu.x[i + 1] = BigInt.asUintN(64, BigInt(r))));
  };
  for (let slices = 0; slices < 100; slices++) {
    const exit = runEl0(translator, cpu, mmu, 5_000_000);
    if (exit === ExitKind.Abort) {
      const far = Number(cpu.far);
      const access = cpu.esr >>> 26 === 0x20 ? "exec" : cpu.esr & (1 << 6) ? "write" : "read";
      if (space.handleFault(far, access, cpu.esr & 0x3f)) continue;
      throw new Error(`fake kernel: fault at pc=0x${cpu.pc.toString(16)} far=0x${far.toString(16)}`);
    }
    if (exit === ExitKind.Budget) continue;
    if (exit !== ExitKind.Svc) throw new Error(`fake kernel: exit ${exit} at pc=0x${cpu.pc.toString(16)}`);
    const nr = Number(cpu.x[8]);
    trace.push(syscallByNumber(nr)?.name ?? `0x${nr.toString(16)}`);
    switch (nr) {
      case SYS.GET_ARGS: {
        const bytes = enc.encode(args);
        const [buf, len] = [x(0), x(1)];
        if (buf && len > 0) {
          const n = Math.min(bytes.length, len - 1);
          space.copyOut(buf, new Uint8Array([...bytes.subarray(0, n), 0]));
        }
        ret(0, bytes.length);
        break;
      }
      case SYS.WRITE: {
        const data = space.copyIn(x(1), x(2));
        if (!data || (x(0) !== 1 && x(0) !== 2)) ret(-2);
        else {
          stdout += dec.decode(data);
          ret(0, data.length);
        }
        break;
      }
      case SYS.DEBUG_PRINT: {
        const p = space.copyInPrefix(x(0), 256);
        stdout += dec.decode(p.subarray(0, p.indexOf(0)));
        ret(0);
        break;
      }
      case SYS.SBRK: {
        const old = brk;
        const next = brk + x(0);
        if (next > old) space.addVma(Math.ceil(old / 4096) * 4096, Math.ceil(next / 4096) * 4096, PROT_READ | PROT_WRITE, "heap");
        brk = next;
        ret(0, old);
        break;
      }
      case SYS.MMAP: {
        const len = Math.ceil(x(1) / 4096) * 4096;
        if (x(3) !== 0x22 || x(4) !== -1) ret(-2);
        else {
          space.addVma(mmapNext, mmapNext + len, PROT_READ | PROT_WRITE, "mmap");
          ret(0, mmapNext);
          mmapNext += len;
        }
        break;
      }
      case SYS.TIME_NOW_NS:
        ret(0, 5_000_000_000 + slices);
        break;
      case SYS.RTC_READ:
        ret(0, 1_700_000_000);
        break;
      case SYS.CHANNEL_CREATE:
        ret(0, 7, 8);
        break;
      case SYS.CHANNEL_SEND:
        ret(x(0) === 7 && x(2) === 2 ? 0 : -100);
        break;
      case SYS.TASK_EXIT:
        return { stdout, status: x(0), trace };
      default:
        ret(-7);
    }
  }
  throw new Error("fake kernel: program did not exit");
}
