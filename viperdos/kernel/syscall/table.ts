// The ViperDOS system-call table: every call's number, name, arguments,
// results and group. This module is the single source of truth: the kernel's
// dispatcher looks calls up here, and viperdos/tools/gen-headers.ts writes the
// C headers (SYS_<NAME> numbers, typed svc wrappers) from it, so numbers never
// drift between kernel and user space.
//
// ABI (shared/VIPERDOS.md, "Syscall ABI"):
//
//   svc #0    x8 = number, x0..x5 = arguments
//   return    x0 = status (0 OK, negative error code), x1..x3 = results
//
// An unknown number returns -7 (NOT_SUPPORTED). Numbers are upstream's
// (splanck/viperdos), so a program built against upstream's ABI runs on ours.
// Within a group numbers run consecutively from the group's base in the order
// listed, unless an entry gives its number (`at`).
//
// Argument and result meanings follow upstream's published behaviour (facts
// read from its handlers; no code taken). Decisions of ours, where upstream
// is silent or lacks a call:
// - TASK_JOIN, TIMER_CREATE, TIMER_CANCEL are numbered upstream but not
//   implemented there; we give them the ABIs below (timer as in upstream's
//   poll layer: create(timeout_ms) -> id, cancel(id)).
// - SOCKET_BIND 0x57, SOCKET_LISTEN 0x58, SOCKET_ACCEPT 0x59 are ours (upstream
//   has a client-only socket API); they take free numbers of the socket range.
//   So do SOCKET_OPEN 0x5A (UDP sockets: type 2), SOCKET_SENDTO 0x5B,
//   SOCKET_RECVFROM 0x5C, SOCKET_SETOPT 0x5D (per-socket and system-wide TCP
//   congestion control) and SOCKET_INFO 0x5E (netstat); struct layouts are
//   in viperdos/kernel/syscall/net.ts and viperdos/user/include/viperdos/net.h.
// - SCHED_SETPARAM 0xE5 and SCHED_GETPARAM 0xE7 are ours (upstream has no call
//   that selects a scheduling class; VIPERDOS.md leaves both numbers free):
//   struct vd_sched_param { u32 policy; u32 priority; u64 runtime_ns;
//   u64 deadline_ns; u64 period_ns; } (32 bytes, <viperdos/sched.h>), policy
//   0 fair, 1 FIFO, 2 RR, 6 deadline (Linux's SCHED_* values). Errors: -2 bad
//   policy/priority/reservation or pointer, -6 a task of a process that is
//   neither the caller's nor one of its descendants, -8 deadline admission
//   refused, -201 no such task. Handlers in syscall/task-extra.ts.
// - REPLACE takes a fourth argument of ours, the new argument string (NULL:
//   empty), delivered through GET_ARGS like TASK_SPAWN's.
// - Calls whose out-parameter is a kernel struct take `struct vd_<name> *`;
//   the layout belongs to the kernel module that fills it and is declared
//   (incomplete) in the generated C header until that module defines it.
// - IPv4 addresses are u32 in network byte order as stored in memory (first
//   octet in the low byte); ports are u16 in network byte order.

/** One named, C-typed parameter or result: [name, C type]. */
export type Param = readonly [name: string, ctype: string];

export type SyscallGroup =
  | "task"
  | "channel"
  | "poll"
  | "time"
  | "fdio"
  | "socket"
  | "dir"
  | "cap"
  | "handlefs"
  | "signal"
  | "process"
  | "thread"
  | "assign"
  | "tls"
  | "system"
  | "debug"
  | "device"
  | "gui"
  | "tty"
  | "mmap";

/** A syscall before its number is assigned (see `group`). */
interface Entry<N extends string> {
  readonly name: N;
  readonly args: readonly Param[];
  readonly returns: readonly Param[];
  readonly description: string;
  /** Explicit number; otherwise the previous entry's number + 1 (or the group base). */
  readonly at?: number;
  /** The call does not return on success (TASK_EXIT, THREAD_EXIT, REPLACE, SIGRETURN). */
  readonly noReturn?: boolean;
  /** "ours": not in upstream's table (numbered by us). */
  readonly origin?: "upstream" | "ours";
}

/** One system call. `returns` are the results in x1, x2, x3 (in order) when x0 = 0. */
export interface SyscallDef<N extends string = string> {
  readonly number: number;
  readonly name: N;
  readonly group: SyscallGroup;
  readonly args: readonly Param[];
  readonly returns: readonly Param[];
  readonly description: string;
  readonly noReturn: boolean;
  readonly origin: "upstream" | "ours";
}

function sc<N extends string>(
  name: N,
  args: readonly Param[],
  returns: readonly Param[],
  description: string,
  opts: { at?: number; noReturn?: boolean; origin?: "upstream" | "ours" } = {},
): Entry<N> {
  return { name, args, returns, description, ...opts };
}

/** Number a group's entries from `base` (or their `at`), in order. */
function group<N extends string>(g: SyscallGroup, base: number, entries: readonly Entry<N>[]): SyscallDef<N>[] {
  let next = base;
  return entries.map((e) => {
    const number = e.at ?? next;
    next = number + 1;
    return {
      number,
      name: e.name,
      group: g,
      args: e.args,
      returns: e.returns,
      description: e.description,
      noReturn: e.noReturn ?? false,
      origin: e.origin ?? "upstream",
    };
  });
}

// Common parameter shapes.
const H = (name = "handle"): Param => [name, "u32"];
const PATH: Param = ["path", "const char *"];
const FD: Param = ["fd", "i32"];
const SOCK: Param = ["sock", "i32"];
const SESSION: Param = ["session", "i32"];
const TASK_ID: Param = ["task_id", "u32"];
const BYTES: Param = ["bytes", "usize"];
const COUNT: Param = ["count", "u32"];
const ADDR_LEN: Param[] = [
  ["addr", "void *"],
  ["len", "usize"],
];

const RAW = [
  ...group("task", 0x00, [
    sc("TASK_YIELD", [], [], "give up the CPU to the next runnable task", { at: 0x0 }),
    sc("TASK_EXIT", [["code", "i32"]], [], "end the calling process with an exit code", { at: 0x1, noReturn: true }),
    sc("TASK_CURRENT", [], [TASK_ID], "id of the calling task", { at: 0x2 }),
    sc(
      "TASK_SPAWN",
      [PATH, ["name", "const char *"], ["args", "const char *"]],
      [["pid", "u64"], TASK_ID, H("bootstrap")],
      "start a program from an ELF file; returns its pid, its main task and the parent's end of its bootstrap channel (child's handle 0)",
      { at: 0x3 },
    ),
    sc("TASK_JOIN", [TASK_ID], [["code", "i32"]], "wait for a task to exit and return its exit code (ours: unimplemented upstream)", {
      at: 0x4,
      origin: "ours",
    }),
    sc("TASK_LIST", [["buf", "struct vd_task_info *"], ["max", "u32"]], [COUNT], "fill up to max task records; returns the number written", { at: 0x5 }),
    sc("TASK_SET_PRIORITY", [TASK_ID, ["priority", "u32"]], [], "set a task's priority (0 highest .. 255, default 128)", { at: 0x6 }),
    sc("TASK_GET_PRIORITY", [TASK_ID], [["priority", "u32"]], "a task's priority", { at: 0x7 }),
    sc("WAIT", [["status", "i32 *"]], [["pid", "u64"]], "wait for any child to exit; stores its exit status (status may be NULL)", { at: 0x8 }),
    sc(
      "WAITPID",
      [["pid", "i64"], ["status", "i32 *"], ["options", "u32"]],
      [["pid", "u64"]],
      "wait for child pid (-1: any); options bit 0 = WNOHANG (returns pid 0 when none has exited)",
      { at: 0x9 },
    ),
    sc("SBRK", [["increment", "i64"]], [["old_break", "u64"]], "move the program break by increment bytes; returns the previous break (increment 0: the current break)", {
      at: 0xa,
    }),
    sc("FORK", [], [["pid", "u64"]], "copy-on-write copy of the calling process; the parent gets the child's pid, the child gets 0", { at: 0xb }),
    sc(
      "TASK_SPAWN_SHM",
      [H("shm"), ["offset", "u64"], ["length", "u64"], ["name", "const char *"], ["args", "const char *"]],
      [["pid", "u64"], TASK_ID, H("bootstrap")],
      "start a program from an ELF image held in a shared memory object (offset, length); results as TASK_SPAWN",
      { at: 0xc },
    ),
    sc("SCHED_SETAFFINITY", [TASK_ID, ["mask", "u32"]], [], "set the CPUs a task may run on (bit n = CPU n; 0 task_id = caller)", { at: 0xd }),
    sc("SCHED_GETAFFINITY", [TASK_ID], [["mask", "u32"]], "a task's CPU affinity mask", { at: 0xe }),
    sc(
      "REPLACE",
      [PATH, ["keep", "const u32 *"], ["keep_count", "u32"], ["args", "const char *"]],
      [],
      "replace the calling process's image with a program (exec); only the listed handles survive; args (ours) as TASK_SPAWN's",
      { at: 0xf, noReturn: true },
    ),
  ]),
  ...group("channel", 0x10, [
    sc(
      "CHANNEL_CREATE",
      [],
      [H("endpoint0"), H("endpoint1")],
      "create a channel; returns its two endpoints (a message sent on one is received on the other)",
    ),
    sc(
      "CHANNEL_SEND",
      [H(), ["data", "const void *"], ["len", "u32"], ["handles", "const u32 *"], ["handle_count", "u32"]],
      [],
      "queue a message of up to 8 KiB and 4 handles (the handles move; TRANSFER needed); -300 when full, never blocks",
    ),
    sc(
      "CHANNEL_RECV",
      [H(), ["buf", "void *"], ["len", "u32"], ["handles", "u32 *"], ["handle_count", "u32 *"]],
      [BYTES, ["handle_count", "u32"]],
      "take the next message: bytes into buf, handles into handles (*handle_count in: room, out: received); -300 when empty",
    ),
    sc("CHANNEL_CLOSE", [H()], [], "close a channel endpoint; the peer then sees -301"),
  ]),
  ...group("poll", 0x20, [
    sc("POLL_CREATE", [], [H("poll")], "create a poll set (up to 16 entries)"),
    sc("POLL_ADD", [H("poll"), H(), ["events", "u32"]], [], "watch a handle for events READ 0x1, WRITE 0x2, TIMER 0x4, CONSOLE 0x8 (handle 0xFFFF0001), NETWORK 0x10"),
    sc("POLL_REMOVE", [H("poll"), H()], [], "stop watching a handle"),
    sc(
      "POLL_WAIT",
      [H("poll"), ["events", "struct vd_poll_event *"], ["max", "u32"], ["timeout_ms", "i64"]],
      [COUNT],
      "block until a watched event is ready or the timeout passes (-1: forever, 0: just check); returns the ready entries",
    ),
  ]),
  ...group("time", 0x30, [
    sc("TIME_NOW", [], [["ms", "u64"]], "milliseconds since boot"),
    sc("SLEEP", [["ms", "u64"]], [], "block for ms milliseconds (0: yield)"),
    sc("TIMER_CREATE", [["timeout_ms", "u64"]], [H("timer")], "one-shot timer that fires after timeout_ms (TIMER event in poll sets)", { origin: "ours" }),
    sc("TIMER_CANCEL", [H("timer")], [], "cancel and release a timer", { origin: "ours" }),
    sc("TIME_NOW_NS", [], [["ns", "u64"]], "nanoseconds since boot (monotonic, virtual time)"),
    sc("RTC_READ", [], [["seconds", "u64"]], "wall-clock time from the PL031 RTC, seconds since 1970-01-01 UTC"),
  ]),
  ...group("fdio", 0x40, [
    sc("OPEN", [PATH, ["flags", "u32"]], [FD], "open a file by path (assign prefix allowed); returns a descriptor"),
    sc("CLOSE", [FD], [], "close a descriptor"),
    sc("READ", [FD, ["buf", "void *"], ["len", "usize"]], [BYTES], "read up to len bytes (fd 0: console input, blocks for at least one byte)"),
    sc("WRITE", [FD, ["buf", "const void *"], ["len", "usize"]], [BYTES], "write len bytes (fd 1 and 2: the console)"),
    sc("LSEEK", [FD, ["offset", "i64"], ["whence", "i32"]], [["offset", "u64"]], "move the file position (whence SET 0, CUR 1, END 2); returns the new position"),
    sc("STAT", [PATH, ["st", "struct vd_stat *"]], [], "file metadata by path"),
    sc("FSTAT", [FD, ["st", "struct vd_stat *"]], [], "file metadata by descriptor"),
    sc("DUP", [FD], [FD], "duplicate a descriptor onto the lowest free one"),
    sc("DUP2", [FD, ["new_fd", "i32"]], [FD], "duplicate a descriptor onto new_fd (closing it first)"),
    sc("FSYNC", [FD], [], "write a file's dirty blocks through the journal to disk"),
  ]),
  ...group("socket", 0x50, [
    sc("SOCKET_CREATE", [], [SOCK], "create a TCP socket"),
    sc("SOCKET_CONNECT", [SOCK, ["ip", "u32"], ["port", "u16"]], [], "connect to ip:port (network byte order); blocks until established or failed"),
    sc("SOCKET_SEND", [SOCK, ["buf", "const void *"], ["len", "usize"]], [BYTES], "send bytes; returns how many were queued"),
    sc("SOCKET_RECV", [SOCK, ["buf", "void *"], ["len", "usize"]], [BYTES], "receive up to len bytes; 0 at end of stream, -300 when none yet"),
    sc("SOCKET_CLOSE", [SOCK], [], "close a socket (FIN)"),
    sc("DNS_RESOLVE", [["hostname", "const char *"], ["ip", "u32 *"]], [], "resolve an A record through the DNS server (10.0.2.3)"),
    sc(
      "SOCKET_POLL",
      [SOCK, ["flags", "u32 *"], ["rx_available", "u32 *"]],
      [],
      "a socket's state: *flags readable/writable/closed bits, *rx_available bytes waiting",
    ),
    sc("SOCKET_BIND", [SOCK, ["ip", "u32"], ["port", "u16"]], [], "bind a socket to a local ip:port (0: any) — ours", { at: 0x57, origin: "ours" }),
    sc("SOCKET_LISTEN", [SOCK, ["backlog", "u32"]], [], "accept incoming connections on a bound socket — ours", { origin: "ours" }),
    sc(
      "SOCKET_ACCEPT",
      [SOCK],
      [SOCK, ["peer_ip", "u32"], ["peer_port", "u16"]],
      "take an established connection from a listening socket; -300 when none — ours",
      { origin: "ours" },
    ),
    sc("SOCKET_OPEN", [["type", "u32"]], [SOCK], "create a socket of a type: 1 stream (TCP, as SOCKET_CREATE), 2 datagram (UDP) — ours", { origin: "ours" }),
    sc(
      "SOCKET_SENDTO",
      [SOCK, ["buf", "const void *"], ["len", "usize"], ["ip", "u32"], ["port", "u16"]],
      [BYTES],
      "send one UDP datagram (at most 1472 bytes) to ip:port (network byte order); binds an ephemeral port first if unbound — ours",
      { origin: "ours" },
    ),
    sc(
      "SOCKET_RECVFROM",
      [SOCK, ["buf", "void *"], ["len", "usize"], ["from", "struct vd_sockaddr *"]],
      [BYTES],
      "take the next UDP datagram (truncated to len); *from gets the sender (from may be NULL); -300 when none — ours",
      { origin: "ours" },
    ),
    sc(
      "SOCKET_SETOPT",
      [SOCK, ["opt", "u32"], ["value", "u32"]],
      [],
      "set a socket option: 1 CONGESTION (0 NewReno, 1 CUBIC; sock -1: system-wide default for new sockets), 2 NODELAY, 3 NONBLOCK, 4 SHUTDOWN (half close: FIN after the queued data) — ours",
      { origin: "ours" },
    ),
    sc(
      "SOCKET_INFO",
      [["buf", "struct vd_socket_info *"], ["max", "u32"]],
      [COUNT],
      "list the system's sockets with their TCP state and congestion window (buf NULL: just count) — ours",
      { origin: "ours" },
    ),
  ]),
  ...group("dir", 0x60, [
    sc("READDIR", [FD, ["buf", "void *"], ["len", "usize"]], [BYTES], "read directory entries of an open directory into buf"),
    sc("MKDIR", [PATH], [], "create a directory"),
    sc("RMDIR", [PATH], [], "remove an empty directory"),
    sc("UNLINK", [PATH], [], "remove a file"),
    sc("RENAME", [["old_path", "const char *"], ["new_path", "const char *"]], [], "rename or move a file or directory"),
    sc("SYMLINK", [["target", "const char *"], ["link_path", "const char *"]], [], "create a symbolic link"),
    sc("READLINK", [PATH, ["buf", "char *"], ["len", "usize"]], [BYTES], "read a symbolic link's target (not NUL-terminated)"),
    sc("GETCWD", [["buf", "char *"], ["len", "usize"]], [BYTES], "the current directory as a NUL-terminated string"),
    sc("CHDIR", [PATH], [], "change the current directory"),
  ]),
  ...group("cap", 0x70, [
    sc("CAP_DERIVE", [H(), ["rights", "u32"]], [H("new_handle")], "new handle to the same object with a subset of the rights (needs DERIVE)"),
    sc("CAP_REVOKE", [H()], [COUNT], "remove a handle and everything derived from it; returns how many went"),
    sc("CAP_QUERY", [H(), ["info", "struct vd_cap_info *"]], [], "a handle's kind, rights and generation"),
    sc("CAP_LIST", [["entries", "struct vd_cap_entry *"], ["max", "u32"]], [COUNT], "enumerate the handle table (entries NULL: just count)"),
    sc("CAP_GET_BOUND", [], [["rights", "u32"]], "the process's bounding rights set"),
    sc("CAP_DROP_BOUND", [["rights", "u32"]], [], "remove rights from the bounding set (it only shrinks)"),
    sc("GETRLIMIT", [["resource", "u32"]], [["limit", "u64"]], "a resource limit"),
    sc("SETRLIMIT", [["resource", "u32"], ["limit", "u64"]], [], "lower a resource limit (raising is refused with -6)"),
    sc("GETRUSAGE", [["resource", "u32"]], [["usage", "u64"]], "current use of a limited resource"),
  ]),
  ...group("handlefs", 0x80, [
    sc("FS_OPEN_ROOT", [], [H("dir")], "handle to the root directory of the system disk"),
    sc(
      "FS_OPEN",
      [H("dir"), ["name", "const char *"], ["name_len", "usize"], ["flags", "u32"]],
      [H()],
      "open a file or directory by name relative to a directory handle",
    ),
    sc("IO_READ", [H(), ["buf", "void *"], ["len", "usize"]], [BYTES], "read from a file handle"),
    sc("IO_WRITE", [H(), ["buf", "const void *"], ["len", "usize"]], [BYTES], "write to a file handle"),
    sc("IO_SEEK", [H(), ["offset", "i64"], ["whence", "i32"]], [["offset", "u64"]], "move a file handle's position; returns the new position"),
    sc("FS_READ_DIR", [H(), ["entry", "struct vd_fs_dirent *"]], [["more", "u32"]], "next directory entry into *entry; returns 1, or 0 at the end"),
    sc("FS_CLOSE", [H()], [], "close a file or directory handle"),
    sc("FS_REWIND_DIR", [H()], [], "restart a directory enumeration"),
  ]),
  ...group("signal", 0x90, [
    sc(
      "SIGACTION",
      [["signum", "i32"], ["act", "const struct vd_sigaction *"], ["old_act", "struct vd_sigaction *"]],
      [],
      "set and/or read a signal's handler",
    ),
    sc("SIGPROCMASK", [["how", "i32"], ["set", "const u32 *"], ["old_set", "u32 *"]], [], "block, unblock or set blocked signals (how BLOCK 0, UNBLOCK 1, SETMASK 2)"),
    sc("SIGRETURN", [], [], "return from a signal handler, restoring the interrupted context", { noReturn: true }),
    sc("KILL", [["pid", "i64"], ["signum", "i32"]], [], "send a signal to a process"),
    sc("SIGPENDING", [["set", "u32 *"]], [], "the set of pending signals"),
  ]),
  ...group("process", 0xa0, [
    sc("GETPID", [], [["pid", "u64"]], "the calling process's id"),
    sc("GETPPID", [], [["pid", "u64"]], "the parent's process id (0 for the first process)"),
    sc("GETPGID", [["pid", "u64"]], [["pgid", "u64"]], "a process's group (pid 0: caller)"),
    sc("SETPGID", [["pid", "u64"], ["pgid", "u64"]], [], "move a process into a group"),
    sc("GETSID", [["pid", "u64"]], [["sid", "u64"]], "a process's session (pid 0: caller)"),
    sc("SETSID", [], [["sid", "u64"]], "start a new session"),
    sc(
      "GET_ARGS",
      [["buf", "char *"], ["len", "usize"]],
      [BYTES],
      "the argument string (`PWD=<cwd>;<args>` when started by the shell), NUL-terminated in buf; returns its full length (buf NULL: just the length)",
    ),
  ]),
  ...group("thread", 0xb0, [
    sc(
      "THREAD_CREATE",
      [["entry", "u64"], ["stack_top", "u64"], ["tls_base", "u64"], ["arg", "u64"]],
      [["tid", "u32"]],
      "start a thread in this process at entry (x0 = arg) with its own stack and TPIDR_EL0",
    ),
    sc("THREAD_EXIT", [["retval", "u64"]], [], "end the calling thread", { noReturn: true }),
    sc("THREAD_JOIN", [["tid", "u32"]], [["retval", "u64"]], "wait for a thread to end; returns its retval"),
    sc("THREAD_DETACH", [["tid", "u32"]], [], "let a thread's resources go when it ends (no join)"),
    sc("THREAD_SELF", [], [["tid", "u32"]], "the calling thread's id"),
  ]),
  ...group("assign", 0xc0, [
    sc("ASSIGN_SET", [["name", "const char *"], H("dir"), ["flags", "u32"]], [], "make NAME: refer to a directory handle"),
    sc("ASSIGN_GET", [["name", "const char *"]], [H()], "the directory handle behind an assign"),
    sc("ASSIGN_REMOVE", [["name", "const char *"]], [], "remove an assign"),
    sc("ASSIGN_LIST", [["buf", "struct vd_assign_info *"], ["max", "u32"]], [COUNT], "enumerate assigns"),
    sc("ASSIGN_RESOLVE", [PATH, ["flags", "u32"]], [H()], "open an ASSIGN:path path; returns a handle"),
  ]),
  ...group("tls", 0xd0, [
    sc("TLS_CREATE", [SOCK], [SESSION], "a TLS 1.3 client session over a connected socket"),
    sc("TLS_HANDSHAKE", [SESSION, ["hostname", "const char *"]], [], "run the handshake, verifying the server's certificate for hostname against CERTS:"),
    sc("TLS_SEND", [SESSION, ["buf", "const void *"], ["len", "usize"]], [BYTES], "send application data"),
    sc("TLS_RECV", [SESSION, ["buf", "void *"], ["len", "usize"]], [BYTES], "receive application data"),
    sc("TLS_CLOSE", [SESSION], [], "close_notify and free the session"),
    sc("TLS_INFO", [SESSION, ["info", "struct vd_tls_info *"]], [], "negotiated version, cipher suite and verification result"),
  ]),
  ...group("system", 0xe0, [
    sc("MEM_INFO", [["info", "struct vd_mem_info *"]], [], "physical memory totals", { at: 0xe0 }),
    sc("NET_STATS", [["stats", "struct vd_net_stats *"]], [], "network interface counters", { at: 0xe1 }),
    sc("PING", [["ip", "u32"], ["timeout_ms", "u32"]], [["rtt_us", "u64"]], "ICMP echo to ip (network byte order); returns the round-trip time", {
      at: 0xe2,
    }),
    sc("DEVICE_LIST", [["buf", "struct vd_device_info *"], ["max", "u32"]], [COUNT], "list devices (buf NULL: just count)", { at: 0xe3 }),
    sc("GETRANDOM", [["buf", "void *"], ["len", "usize"]], [BYTES], "random bytes from virtio-rng", { at: 0xe4 }),
    sc("SCHED_SETPARAM", [TASK_ID, ["param", "const struct vd_sched_param *"]], [], "set a task's scheduling class, priority and deadline reservation (0 task_id = caller; ours)", {
      at: 0xe5,
      origin: "ours",
    }),
    sc("CPU_COUNT", [], [COUNT], "number of online CPUs", { at: 0xe6 }),
    sc("SCHED_GETPARAM", [TASK_ID, ["param", "struct vd_sched_param *"]], [], "a task's scheduling class, priority and deadline reservation (ours)", {
      at: 0xe7,
      origin: "ours",
    }),
    sc("UNAME", [["buf", "char *"]], [], "five NUL-padded 65-byte fields: sysname, nodename, release, version, machine", { at: 0xe8 }),
  ]),
  ...group("debug", 0xf0, [
    sc("DEBUG_PRINT", [["str", "const char *"]], [], "print a NUL-terminated string on the kernel console"),
    sc("GETCHAR", [], [["ch", "u32"]], "one byte of console input; -300 when none is waiting"),
    sc("PUTCHAR", [["ch", "u32"]], [], "write one byte to the console"),
    sc("UPTIME", [], [["ms", "u64"]], "milliseconds since boot"),
  ]),
  ...group("device", 0x100, [
    sc("MAP_DEVICE", [["phys", "u64"], ["size", "u64"], ["virt", "u64"]], [["addr", "u64"]], "map device MMIO into the caller (needs DEVICE)"),
    sc("IRQ_REGISTER", [["irq", "u32"]], [], "route an interrupt to the caller (needs IRQ)"),
    sc("IRQ_WAIT", [["irq", "u32"], ["timeout_ms", "u64"]], [], "block until the interrupt fires"),
    sc("IRQ_ACK", [["irq", "u32"]], [], "acknowledge and re-enable the interrupt"),
    sc("DMA_ALLOC", [["size", "u64"], ["phys", "u64 *"]], [["addr", "u64"]], "physically contiguous buffer (needs DMA); *phys gets its physical address"),
    sc("DMA_FREE", [["addr", "u64"]], [], "free a DMA buffer"),
    sc("VIRT_TO_PHYS", [["addr", "u64"]], [["phys", "u64"]], "physical address behind a user address"),
    sc("DEVICE_ENUM", [["buf", "struct vd_device_enum_info *"], ["max", "u32"]], [COUNT], "enumerate virtio-mmio devices"),
    sc("IRQ_UNREGISTER", [["irq", "u32"]], [], "stop routing an interrupt to the caller"),
    sc("SHM_CREATE", [["size", "u64"]], [H(), ["addr", "u64"], ["size", "u64"]], "create a shared memory object and map it at 0x70_0000_0000+"),
    sc("SHM_MAP", [H()], [["addr", "u64"], ["size", "u64"]], "map a shared memory object held by handle"),
    sc("SHM_UNMAP", [["addr", "u64"]], [], "unmap a shared memory mapping"),
    sc("SHM_CLOSE", [H()], [], "drop a shared memory handle (freed with the last handle and mapping)"),
  ]),
  ...group("gui", 0x110, [
    sc("GET_MOUSE_STATE", [["state", "struct vd_mouse_state *"]], [], "mouse position and buttons"),
    sc(
      "MAP_FRAMEBUFFER",
      [],
      [["addr", "u64"], ["size_hw", "u64"], ["pitch_bpp", "u64"]],
      "map the framebuffer at 0x60_0000_0000; x2 = height << 16 | width, x3 = bpp << 32 | pitch",
    ),
    sc("SET_MOUSE_BOUNDS", [["width", "u32"], ["height", "u32"]], [], "clamp the mouse to width x height"),
    sc("INPUT_HAS_EVENT", [], [["has", "u32"]], "1 when an input event is waiting"),
    sc("INPUT_GET_EVENT", [["event", "struct vd_input_event *"]], [], "take the next input event; -300 when none"),
    sc("GCON_SET_GUI_MODE", [["enable", "u32"]], [], "stop (1) or resume (0) kernel drawing on the graphics console"),
    sc(
      "SET_CURSOR_IMAGE",
      [["pixels", "const u32 *"], ["size", "u32"], ["hotspot", "u32"]],
      [],
      "cursor bitmap (ARGB); size = width << 16 | height, hotspot = x << 16 | y",
    ),
    sc("MOVE_CURSOR", [["x", "u32"], ["y", "u32"]], [], "move the hardware cursor"),
    sc("DISPLAY_COUNT", [], [COUNT], "number of displays"),
  ]),
  ...group("tty", 0x120, [
    sc("TTY_READ", [["buf", "void *"], ["len", "u32"]], [BYTES], "read from the terminal input buffer (blocks for at least one byte)"),
    sc("TTY_WRITE", [["buf", "const void *"], ["len", "u32"]], [BYTES], "write to the terminal"),
    sc("TTY_PUSH_INPUT", [["ch", "u32"]], [], "push a byte into the terminal input buffer (used by consoled)"),
    sc("TTY_HAS_INPUT", [], [["has", "u32"]], "1 when terminal input is waiting"),
    sc("TTY_GET_SIZE", [], [["size", "u64"]], "terminal size: rows << 32 | cols"),
  ]),
  ...group("mmap", 0x150, [
    sc(
      "MMAP",
      [["addr", "void *"], ["len", "usize"], ["prot", "u32"], ["flags", "u32"], FD, ["offset", "i64"]],
      [["addr", "u64"]],
      "map len bytes (anonymous: MAP_ANONYMOUS 0x20 with MAP_PRIVATE 0x02 or MAP_SHARED 0x01, fd -1; MAP_FIXED 0x10) from 0x2_0000_0000 up",
    ),
    sc("MUNMAP", ADDR_LEN, [], "unmap a range"),
    sc("MPROTECT", [...ADDR_LEN, ["prot", "u32"]], [], "change a range's protection (PROT_READ 1, WRITE 2, EXEC 4)"),
    sc("MSYNC", [...ADDR_LEN, ["flags", "u32"]], [], "write a shared mapping back (no-op for anonymous memory)"),
    sc("MADVISE", [...ADDR_LEN, ["advice", "u32"]], [], "usage hint (accepted, may be ignored)"),
    sc("MLOCK", ADDR_LEN, [], "keep a range resident (accepted)"),
    sc("MUNLOCK", ADDR_LEN, [], "undo MLOCK"),
  ]),
];

/** Every name in the table, as a type (`SYS.CHANNEL_SEND` is checked by tsc). */
export type SyscallName = (typeof RAW)[number]["name"];

/** Every syscall, sorted by number. */
export const SYSCALLS: readonly SyscallDef<SyscallName>[] = [...RAW].sort((a, b) => a.number - b.number);

/** Numbers by name: `SYS.TASK_EXIT === 1`. */
export const SYS: Readonly<Record<SyscallName, number>> = Object.fromEntries(SYSCALLS.map((s) => [s.name, s.number])) as Record<
  SyscallName,
  number
>;

/** Status returned for a number not in the table (NOT_SUPPORTED). */
export const UNKNOWN_SYSCALL_STATUS = -7;

/** Largest argument and result counts the ABI carries (x0..x5, x1..x3). */
export const MAX_ARGS = 6;
export const MAX_RESULTS = 3;

const byNumber = new Map<number, SyscallDef<SyscallName>>(SYSCALLS.map((s) => [s.number, s]));
const byName = new Map<string, SyscallDef<SyscallName>>(SYSCALLS.map((s) => [s.name, s]));

/** The syscall with this number, or undefined (the dispatcher then returns -7). */
export function syscallByNumber(n: number): SyscallDef<SyscallName> | undefined {
  return byNumber.get(n);
}

/**
 * The syscall with this name, or undefined. Accepts "CHANNEL_SEND",
 * "SYS_CHANNEL_SEND" and any letter case.
 */
export function syscallByName(name: string): SyscallDef<SyscallName> | undefined {
  const n = name.toUpperCase().replace(/^SYS_/, "");
  return byName.get(n);
}

/**
 * Checks a table's invariants; returns the list of problems (empty when
 * sound): unique numbers and names, names in C-macro form, at most 6
 * arguments and 3 results, argument names that are C identifiers, numbers
 * in 0..0xFFFF.
 */
export function checkSyscallTable(table: readonly SyscallDef[] = SYSCALLS): string[] {
  const problems: string[] = [];
  const numbers = new Map<number, string>();
  const names = new Set<string>();
  const ident = /^[a-z_][a-z0-9_]*$/;
  for (const s of table) {
    const other = numbers.get(s.number);
    if (other !== undefined) problems.push(`number 0x${s.number.toString(16)} used by ${other} and ${s.name}`);
    numbers.set(s.number, s.name);
    if (names.has(s.name)) problems.push(`name ${s.name} appears twice`);
    names.add(s.name);
    if (!/^[A-Z][A-Z0-9_]*$/.test(s.name)) problems.push(`${s.name}: not an upper-case C identifier`);
    if (!Number.isInteger(s.number) || s.number < 0 || s.number > 0xffff) problems.push(`${s.name}: number ${s.number} out of range`);
    if (s.args.length > MAX_ARGS) problems.push(`${s.name}: ${s.args.length} arguments (at most ${MAX_ARGS})`);
    if (s.returns.length > MAX_RESULTS) problems.push(`${s.name}: ${s.returns.length} results (at most ${MAX_RESULTS})`);
    const argNames = new Set<string>();
    for (const [n] of s.args) {
      if (!ident.test(n)) problems.push(`${s.name}: argument name ${n} is not a C identifier`);
      if (argNames.has(n)) problems.push(`${s.name}: argument ${n} appears twice`);
      argNames.add(n);
    }
    for (const [n] of s.returns) if (!ident.test(n)) problems.push(`${s.name}: result name ${n} is not a C identifier`);
  }
  return problems;
}

/**
 * One call rendered for a trace line, e.g. `CHANNEL_SEND(handle=0x1, data=0x80001000, len=5, ...)`.
 * `regs` are x0..x5 as unsigned 64-bit values; unknown numbers render as `SYSCALL_0x...`.
 */
export function formatSyscall(number: number, regs: readonly bigint[]): string {
  const s = byNumber.get(number);
  if (!s) return `SYSCALL_0x${number.toString(16)}(${regs.slice(0, MAX_ARGS).map((r) => "0x" + r.toString(16)).join(", ")})`;
  const args = s.args.map(([n, t], i) => {
    const v = regs[i] ?? 0n;
    const signed = /^i\d+$/.test(t);
    return `${n}=${signed ? BigInt.asIntN(64, v).toString() : "0x" + v.toString(16)}`;
  });
  return `${s.name}(${args.join(", ")})`;
}

/** The table as plain JSON for notebooks: one row per call. */
export function snapshot(): {
  abi: string;
  count: number;
  calls: { number: number; hex: string; name: string; group: SyscallGroup; args: string[]; returns: string[]; description: string; origin: string }[];
} {
  return {
    abi: "svc #0; x8 = number; x0..x5 = arguments; x0 = status; x1..x3 = results",
    count: SYSCALLS.length,
    calls: SYSCALLS.map((s) => ({
      number: s.number,
      hex: "0x" + s.number.toString(16).padStart(2, "0"),
      name: s.name,
      group: s.group,
      args: s.args.map(([n, t]) => `${t}${t.endsWith("*") ? "" : " "}${n}`),
      returns: s.returns.map(([n, t]) => `${t}${t.endsWith("*") ? "" : " "}${n}`),
      description: s.description,
      origin: s.origin,
    })),
  };
}
