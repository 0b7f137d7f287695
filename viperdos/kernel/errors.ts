// Kernel error codes: the numbers of VIPERDOS.md ("Error codes") with a name
// and the one-line message the shell's `Why` command prints.
//
// Contract (DESIGN.md, "Errors"): kernel functions return a negative number
// for failure and never throw for anything a user program can cause. 0 is OK.
// Codes -502.. are file-system codes and -600.. network codes; VIPERDOS.md
// leaves them to us ("further file-system and network codes from -502 on"),
// so the numbers below are our decision and are frozen once programs use them.
//
// The C header generator (viperdos/tools) reads ALL_ERRORS and emits
// `#define VERR_<NAME> (<code>)` for every entry (see cName()).

/** One error code: its number, its UPPER_SNAKE name and its `Why` message. */
export interface ErrorInfo {
  readonly code: number;
  readonly name: string;
  readonly message: string;
}

/** Every error code, in numeric order of groups. Codes are unique. */
export const ALL_ERRORS: readonly ErrorInfo[] = Object.freeze([
  { code: 0, name: "OK", message: "success" },
  { code: -1, name: "UNKNOWN", message: "unknown error" },
  { code: -2, name: "INVALID_ARG", message: "invalid argument" },
  { code: -3, name: "NO_MEMORY", message: "out of memory" },
  { code: -4, name: "NOT_FOUND", message: "object not found" },
  { code: -5, name: "EXISTS", message: "object already exists" },
  { code: -6, name: "PERMISSION", message: "permission denied (or missing rights on a handle)" },
  { code: -7, name: "NOT_SUPPORTED", message: "operation not supported" },
  { code: -8, name: "BUSY", message: "resource busy" },
  { code: -9, name: "TIMEOUT", message: "timed out" },
  // Handles
  { code: -100, name: "INVALID_HANDLE", message: "invalid or stale handle" },
  { code: -101, name: "HANDLE_CLOSED", message: "handle has been closed" },
  { code: -102, name: "WRONG_TYPE", message: "handle refers to the wrong kind of object" },
  // Tasks
  { code: -200, name: "TASK_EXITED", message: "task has exited" },
  { code: -201, name: "TASK_NOT_FOUND", message: "task not found" },
  // Channels
  { code: -300, name: "WOULD_BLOCK", message: "operation would block (queue full or empty)" },
  { code: -301, name: "CHANNEL_CLOSED", message: "channel closed by the other side" },
  { code: -302, name: "MSG_TOO_LARGE", message: "message too large (over 8 KiB or 4 handles)" },
  // Poll
  { code: -400, name: "POLL_FULL", message: "poll set (or table of poll sets) is full" },
  // I/O and resources
  { code: -500, name: "IO", message: "input/output error" },
  { code: -501, name: "NO_RESOURCE", message: "no resource available (limit reached)" },
  // File system (our numbering)
  { code: -502, name: "NOT_DIR", message: "not a directory" },
  { code: -503, name: "IS_DIR", message: "is a directory" },
  { code: -504, name: "NO_SPACE", message: "no space left on the volume" },
  { code: -505, name: "NAME_TOO_LONG", message: "file name too long" },
  { code: -506, name: "READ_ONLY", message: "read-only file system" },
  { code: -507, name: "NOT_EMPTY", message: "directory not empty" },
  { code: -508, name: "BAD_FS", message: "corrupt or unrecognised file system" },
  { code: -509, name: "TOO_MANY_FILES", message: "too many open files" },
  { code: -510, name: "BAD_ADDRESS", message: "bad user address" },
  { code: -511, name: "CROSS_DEVICE", message: "rename across volumes" },
  { code: -512, name: "LOOP", message: "too many levels of symbolic links" },
  { code: -513, name: "FILE_TOO_LARGE", message: "file too large" },
  { code: -514, name: "NO_ASSIGN", message: "unknown assign (volume or logical name)" },
  // Network (our numbering)
  { code: -600, name: "CONN_REFUSED", message: "connection refused" },
  { code: -601, name: "CONN_RESET", message: "connection reset by peer" },
  { code: -602, name: "HOST_UNREACHABLE", message: "host unreachable" },
  { code: -603, name: "NOT_CONNECTED", message: "socket not connected" },
  { code: -604, name: "ADDR_IN_USE", message: "address already in use" },
  { code: -605, name: "DNS_FAILURE", message: "name could not be resolved" },
  { code: -606, name: "NET_UNREACHABLE", message: "network unreachable" },
  { code: -607, name: "CONN_ABORTED", message: "connection aborted" },
  { code: -608, name: "ALREADY_CONNECTED", message: "socket already connected" },
  { code: -609, name: "TLS_HANDSHAKE", message: "TLS handshake failed" },
  { code: -610, name: "CERT_INVALID", message: "server certificate not trusted" },
  { code: -611, name: "PROTOCOL", message: "protocol error" },
] as const);

/** The codes by name: `E.WOULD_BLOCK === -300`. */
export const E = {
  OK: 0, UNKNOWN: -1, INVALID_ARG: -2, NO_MEMORY: -3, NOT_FOUND: -4, EXISTS: -5,
  PERMISSION: -6, NOT_SUPPORTED: -7, BUSY: -8, TIMEOUT: -9,
  INVALID_HANDLE: -100, HANDLE_CLOSED: -101, WRONG_TYPE: -102,
  TASK_EXITED: -200, TASK_NOT_FOUND: -201,
  WOULD_BLOCK: -300, CHANNEL_CLOSED: -301, MSG_TOO_LARGE: -302,
  POLL_FULL: -400,
  IO: -500, NO_RESOURCE: -501,
  NOT_DIR: -502, IS_DIR: -503, NO_SPACE: -504, NAME_TOO_LONG: -505, READ_ONLY: -506,
  NOT_EMPTY: -507, BAD_FS: -508, TOO_MANY_FILES: -509, BAD_ADDRESS: -510,
  CROSS_DEVICE: -511, LOOP: -512, FILE_TOO_LARGE: -513, NO_ASSIGN: -514,
  CONN_REFUSED: -600, CONN_RESET: -601, HOST_UNREACHABLE: -602, NOT_CONNECTED: -603,
  ADDR_IN_USE: -604, DNS_FAILURE: -605, NET_UNREACHABLE: -606, CONN_ABORTED: -607,
  ALREADY_CONNECTED: -608, TLS_HANDSHAKE: -609, CERT_INVALID: -610, PROTOCOL: -611,
} as const;

/** A kernel error code (negative) — a type alias for readers, not a brand. */
export type KError = number;

const BY_CODE = new Map<number, ErrorInfo>(ALL_ERRORS.map((e) => [e.code, e]));

/** True for a negative result (an error code). Handles and sizes are >= 0. */
export function isError(result: number): boolean {
  return result < 0;
}

/** Returns the UPPER_SNAKE name of `code`, or `ERROR_<code>` when unknown. Never throws. */
export function errorName(code: number): string {
  return BY_CODE.get(code)?.name ?? `ERROR_${code}`;
}

/** Returns the one-line `Why` message of `code`, or "unknown error <code>". Never throws. */
export function errorMessage(code: number): string {
  return BY_CODE.get(code)?.message ?? `unknown error ${code}`;
}

/** Returns the C macro name for an entry: `VERR_<NAME>` (header generator). */
export function cName(info: ErrorInfo): string {
  return `VERR_${info.name}`;
}
