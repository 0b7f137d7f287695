// Channels: bidirectional IPC between endpoint pairs (VIPERDOS.md, "IPC";
// syscalls CHANNEL_CREATE/SEND/RECV/CLOSE 0x10-0x13).
//
// The rule we picked (VIPERDOS.md lists both 256 B / 64 and 8 KiB / 16):
//   a message carries at most CHANNEL_MAX_BYTES = 8192 bytes and at most
//   CHANNEL_MAX_HANDLES = 4 handles; at most CHANNEL_QUEUE_DEPTH = 16
//   messages wait per direction. Over-size or too many handles -> -302.
//
// Each endpoint owns an inbox: the messages its peer sent to it. Send and
// receive never block:
//   send: -302 too large, -301 peer closed, -300 peer's inbox full,
//         -2 a handle is this channel's own endpoint (or listed twice),
//         -100/-101/-6 a handle is bad or lacks TRANSFER, -3 over the memory
//         limit. All checks run before anything changes: on any error nothing
//         moves and nothing is queued.
//   recv: -300 inbox empty, -301 inbox empty and peer closed,
//         -302 the head message exceeds the caller's buffer (it stays queued),
//         -501 the receiver's table cannot take its handles (it stays queued).
// Handles in a message move: they leave the sender's table at send (the
// capability node and its object reference travel in the message) and are
// placed in the receiver's table at receive, same rights (clamped to the
// receiver's bounding set). A handle revoked while in flight is delivered as
// REVOKED_HANDLE (0xFFFF_FFFF, never a valid handle) so positions are kept.
// When an endpoint goes (last handle closed), its undelivered messages are
// dropped and the handles inside them released.
//
// Memory: payload bytes live in host memory (a Uint8Array copy), but their
// size is charged to the sender's MEMORY_PAGES limit (in bytes) from send to
// receive or drop, so a process cannot hoard kernel memory by never reading.
//
// Known limit: a cycle of endpoints sent into each other's queues with no
// handle left outside keeps them alive (no cycle collector); sending an
// endpoint through its own channel is refused (-2) to rule out the simple case.

import { E } from "../errors.js";
import { Capability, HandleTable } from "../cap/handles.js";
import { type ResourceLimits } from "../cap/limits.js";
import { IdSource, defaultIds, KernelObject } from "../cap/objects.js";
import { IPC_DEFAULT_RIGHTS, Rights } from "../cap/rights.js";
import { PollEvent } from "./events.js";

export const CHANNEL_MAX_BYTES = 8192;
export const CHANNEL_MAX_HANDLES = 4;
export const CHANNEL_QUEUE_DEPTH = 16;
const EMPTY_PAYLOAD: Uint8Array = new Uint8Array(0);
/** Stands for a handle revoked while it travelled in a message. */
export const REVOKED_HANDLE = 0xffff_ffff;

/**
 * Where message payloads live. The kernel passes one that keeps them in
 * guest RAM (slab objects: viperdos/kernel/ipc/msgbuf.ts); without one they
 * are host copies (unit tests).
 */
export interface MessageStore {
  /** Store a copy of `bytes`; returns a view of the stored copy, or -3 (no memory). */
  put(bytes: Uint8Array): Uint8Array | number;
  /** Free a view put() returned (the message was received or dropped). */
  free(view: Uint8Array): void;
}

interface Message {
  readonly bytes: Uint8Array;
  /** Where the payload is stored (guest memory), freed when the message is received or dropped; none: a host copy. */
  readonly store: MessageStore | undefined;
  readonly caps: Capability[];
  /** The sender's limits, charged bytes.length until receive or drop. */
  readonly charged: ResourceLimits;
}

export class ChannelEndpoint extends KernelObject {
  override readonly waitable = true;
  /** The other end; set once by createEndpointPair. */
  peer!: ChannelEndpoint;
  /** Messages the peer sent to this endpoint, oldest first. */
  readonly inbox: Message[] = [];
  sent = 0;
  received = 0;

  constructor(ids?: IdSource) {
    super("channel", ids);
  }

  /** True once the peer's last holder went. */
  get peerClosed(): boolean {
    return this.peer.destroyed;
  }

  /** READ: a message waits or the peer closed (recv then says -301). WRITE: room in the peer's inbox or peer closed (send says -301). */
  override readyEvents(): number {
    if (this.destroyed) return 0;
    let ev = 0;
    if (this.inbox.length > 0 || this.peerClosed) ev |= PollEvent.READ;
    if (this.peerClosed || this.peer.inbox.length < CHANNEL_QUEUE_DEPTH) ev |= PollEvent.WRITE;
    return ev;
  }

  /** Wakes watchers of this endpoint (used by the peer). */
  poke(): void {
    this.notifyWatchers();
  }

  protected override onLastRelease(): void {
    const dropped = this.inbox.splice(0);
    for (const m of dropped) dropMessage(m);
    this.peer.poke();
  }

  override describe(): Record<string, unknown> {
    return {
      peer: this.peer.id,
      peerClosed: this.peerClosed,
      sent: this.sent,
      received: this.received,
      queued: this.inbox.map((m) => ({ bytes: m.bytes.length, handles: m.caps.length })),
    };
  }
}

/** Makes two connected endpoints (no handles yet). */
export function createEndpointPair(ids: IdSource = defaultIds): [ChannelEndpoint, ChannelEndpoint] {
  const a = new ChannelEndpoint(ids);
  const b = new ChannelEndpoint(ids);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/**
 * CHANNEL_CREATE: two endpoint handles in `table`, each with READ, WRITE,
 * DERIVE and TRANSFER (clamped to the bounding set). Returns the pair or
 * -501 when the table cannot take two handles (nothing is left behind).
 */
export function channelCreate(table: HandleTable, ids: IdSource = defaultIds): { handle0: number; handle1: number } | number {
  if (!table.canAccept(2)) return E.NO_RESOURCE;
  const [a, b] = createEndpointPair(ids);
  const handle0 = table.insert(a, IPC_DEFAULT_RIGHTS);
  if (handle0 < 0) return handle0;
  const handle1 = table.insert(b, IPC_DEFAULT_RIGHTS);
  if (handle1 < 0) {
    table.close(handle0);
    return handle1;
  }
  return { handle0, handle1 };
}

/**
 * CHANNEL_SEND through endpoint handle `h` (needs WRITE): queues a copy of
 * `bytes` and moves `handles` out of `table`. Returns 0 or an error listed in
 * the header; on error nothing changed.
 */
export function channelSend(table: HandleTable, h: number, bytes: Uint8Array, handles: readonly number[] = [], store?: MessageStore): number {
  const ep = table.getObject(h, ChannelEndpoint, Rights.WRITE);
  if (typeof ep === "number") return ep;
  if (bytes.length > CHANNEL_MAX_BYTES || handles.length > CHANNEL_MAX_HANDLES) return E.MSG_TOO_LARGE;
  if (ep.peerClosed) return E.CHANNEL_CLOSED;
  const inbox = ep.peer.inbox;
  if (inbox.length >= CHANNEL_QUEUE_DEPTH) return E.WOULD_BLOCK;
  const caps = table.checkTransfer(handles);
  if (typeof caps === "number") return caps;
  if (caps.length > 0 && caps.some((c) => c.object === ep || c.object === ep.peer)) return E.INVALID_ARG;
  const stored = store ? store.put(bytes) : bytes.slice();
  if (typeof stored === "number") return E.NO_MEMORY;
  if (table.limits.chargeBytes(bytes.length) !== E.OK) {
    store?.free(stored);
    return E.NO_MEMORY;
  }
  table.detachForTransfer(caps);
  inbox.push({ bytes: stored, store, caps, charged: table.limits });
  ep.sent++;
  ep.peer.poke();
  return E.OK;
}

export interface ReceivedMessage {
  /** The payload (empty when a `deliver` function took it). */
  bytes: Uint8Array;
  /** Payload length in bytes. */
  length: number;
  /** New handles in the receiver's table (REVOKED_HANDLE for one revoked in flight). */
  handles: number[];
}

/**
 * CHANNEL_RECV on endpoint handle `h` (needs READ): dequeues the oldest
 * message, placing its handles in `table`. `maxBytes` / `maxHandles` are the
 * caller's buffer sizes (default: the channel maxima). Returns the message or
 * an error listed in the header; on error the message stays queued.
 * `deliver`, when given, receives the payload while it is still in the
 * message store (the syscall copies it straight to the user buffer); the
 * view is invalid once deliver returns, and `bytes` in the result is empty.
 */
export function channelRecv(
  table: HandleTable,
  h: number,
  maxBytes = CHANNEL_MAX_BYTES,
  maxHandles = CHANNEL_MAX_HANDLES,
  deliver?: (payload: Uint8Array) => void,
): ReceivedMessage | number {
  const ep = table.getObject(h, ChannelEndpoint, Rights.READ);
  if (typeof ep === "number") return ep;
  const msg = ep.inbox[0];
  if (msg === undefined) return ep.peerClosed ? E.CHANNEL_CLOSED : E.WOULD_BLOCK;
  if (msg.bytes.length > maxBytes || msg.caps.length > maxHandles) return E.MSG_TOO_LARGE;
  let alive = 0;
  for (const c of msg.caps) if (c.alive) alive++;
  if (!table.canAccept(alive)) return E.NO_RESOURCE;
  const wasFull = ep.inbox.length >= CHANNEL_QUEUE_DEPTH;
  ep.inbox.shift();
  msg.charged.unchargeBytes(msg.bytes.length);
  // With `deliver`, the payload goes out straight from the store (no copy of ours); else a copy
  // outlives the store's buffer.
  let bytes: Uint8Array = EMPTY_PAYLOAD;
  if (deliver) deliver(msg.bytes);
  else bytes = msg.store ? msg.bytes.slice() : msg.bytes;
  msg.store?.free(msg.bytes);
  const handles = msg.caps.map((c) => (c.alive ? table.attachTransferred(c) : REVOKED_HANDLE));
  ep.received++;
  // Readiness changes a receive can make: the peer's WRITE, only if this inbox was full. (This
  // endpoint's READ can only go away, which wakes nobody; its WRITE depends on the peer's inbox.)
  if (wasFull) ep.peer.poke();
  return { bytes, length: msg.bytes.length, handles };
}

/** CHANNEL_CLOSE: closes endpoint handle `h`. Returns 0, -100/-101, or -102 when `h` is not a channel. */
export function channelClose(table: HandleTable, h: number): number {
  const e = table.get(h, "channel");
  return typeof e === "number" ? e : table.close(h);
}

function dropMessage(m: Message): void {
  m.charged.unchargeBytes(m.bytes.length);
  m.store?.free(m.bytes);
  for (const c of m.caps) c.kill();
}
