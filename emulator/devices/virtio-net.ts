// virtio network device (virtio 1.x section 5.1): device ID 1, queue 0
// receiveq, queue 1 transmitq (no control queue, no multiqueue).
//
// Features offered: MAC (bit 5: config carries the MAC), STATUS (bit 16:
// config carries link status), plus VERSION_1 from the transport. No
// checksum offload, GSO or mergeable RX buffers, so every frame is at most
// 1514 bytes and fits one RX chain.
//
// Config space (5.1.4), little-endian:
//   0x00 u8 mac[6]   0x06 le16 status (LINK_UP 1)   0x08 le16 max_virtqueue_pairs (1)
//
// Every buffer starts with struct virtio_net_hdr, 12 bytes with VERSION_1:
//   u8 flags | u8 gso_type | le16 hdr_len | le16 gso_size | le16 csum_start |
//   le16 csum_offset | le16 num_buffers
// TX: the driver's header is skipped (no offloads were offered); the rest of
// the chain's readable bytes is the frame. RX: the device writes a zero
// header with num_buffers = 1 followed by the frame.
//
// Time: this is a NetEndpoint (emulator/net/endpoint.ts). A TX kick hands the
// frame to the wire at the machine clock's now (or the finer `now` option); a frame from the wire arrives
// from a clock event at its arrival time and goes into the next available RX
// chain at once (used ring + interrupt). With no RX chain available, the
// driver not ready or the link down, the frame is dropped and counted.
//
// Robustness: a TX chain shorter than the header, a runt (< 14 bytes) or an
// oversized frame, an RX chain too small for header + frame: the chain is
// returned (length 0) and a counter goes up. Broken rings are the
// transport's business (DEVICE_NEEDS_RESET). Nothing a guest writes throws.

import type { VirtualClock } from "../clock.js";
import type { VirtioBackend, VirtioContext } from "./virtio-mmio.js";
import type { Virtqueue } from "./virtqueue.js";
import { ETH_HEADER_LEN, ETH_MAX_FRAME, macToString, parseMac, type FrameSink, type NetEndpoint } from "../net/endpoint.js";

export const VIRTIO_ID_NET = 1;
export const VIRTIO_NET_F_MAC = 1n << 5n;
export const VIRTIO_NET_F_STATUS = 1n << 16n;
export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_HDR_LEN = 12;
export const VIRTIO_NET_RXQ = 0;
export const VIRTIO_NET_TXQ = 1;
/** Default MAC: QEMU's locally administered 52:54:00 prefix. */
export const DEFAULT_MAC = "52:54:00:12:34:56";

export interface VirtioNetOptions {
  /** The machine's clock (frames are delivered on it). */
  clock: VirtualClock;
  /** "aa:bb:cc:dd:ee:ff" (default DEFAULT_MAC). Throws RangeError if malformed. */
  mac?: string;
  /**
   * Finer transmit time (ns, >= clock.now()), e.g. the kicking CPU's
   * Machine.cpuTimeNs(i); default clock.now() (the start of the round).
   */
  now?: () => number;
  /** Ring size offered per queue (default 256). */
  queueNumMax?: number;
  name?: string;
}

/** Counters (JSON). */
export interface VirtioNetCounters {
  txPackets: number; txBytes: number;
  /** TX chains returned without sending: short header, runt or oversized frame. */
  txErrors: number;
  /** Frames sent while not plugged into any wire. */
  txUnplugged: number;
  rxPackets: number; rxBytes: number;
  /** Arrived with no RX chain available. */
  rxDroppedNoBuffer: number;
  /** Arrived before DRIVER_OK or while the link was down. */
  rxDroppedNotReady: number;
  /** RX chain too small for header + frame (chain returned empty). */
  rxDroppedTooSmall: number;
}

export interface VirtioNetSnapshot {
  name: string; mac: string; linkUp: boolean; plugged: boolean; driverReady: boolean;
  rxBuffersAvailable: number; counters: VirtioNetCounters;
}

export class VirtioNet implements VirtioBackend, NetEndpoint {
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS;
  readonly config = new Uint8Array(10);
  readonly queueCount = 2;
  readonly queueNumMax: number;
  readonly clock: VirtualClock;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly counters: VirtioNetCounters = {
    txPackets: 0, txBytes: 0, txErrors: 0, txUnplugged: 0, rxPackets: 0, rxBytes: 0,
    rxDroppedNoBuffer: 0, rxDroppedNotReady: 0, rxDroppedTooSmall: 0,
  };
  private ctx: VirtioContext | undefined;
  private tx: FrameSink | undefined;
  private linkUpValue = true;
  private readonly nowFn: (() => number) | undefined;

  constructor(opts: VirtioNetOptions) {
    const mac = parseMac(opts.mac ?? DEFAULT_MAC);
    if (!mac) throw new RangeError(`VirtioNet: bad MAC ${opts.mac}`);
    this.mac = mac;
    this.clock = opts.clock;
    this.nowFn = opts.now;
    this.queueNumMax = opts.queueNumMax ?? 256;
    this.name = opts.name ?? `virtio-net ${macToString(mac)}`;
    this.config.set(mac, 0);
    this.writeConfigStatus();
    this.config[8] = 1; // max_virtqueue_pairs
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  /** MAC as "aa:bb:cc:dd:ee:ff". */
  get macString(): string {
    return macToString(this.mac);
  }

  get linkUp(): boolean {
    return this.linkUpValue;
  }

  /** Set the link status bit (config change interrupt when it changes). */
  setLinkUp(up: boolean): void {
    if (up === this.linkUpValue) return;
    this.linkUpValue = up;
    this.writeConfigStatus();
    this.ctx?.configChanged();
  }

  private writeConfigStatus(): void {
    this.config[6] = this.linkUpValue ? VIRTIO_NET_S_LINK_UP : 0;
    this.config[7] = 0;
  }

  // --- NetEndpoint ---------------------------------------------------------

  connect(tx: FrameSink | undefined): void {
    this.tx = tx;
  }

  txTimeNs(): number {
    const now = this.clock.now();
    return this.nowFn ? Math.max(now, this.nowFn()) : now;
  }

  /** A frame from the wire: into the next RX chain, or dropped with a counter. */
  receive(frame: Uint8Array): void {
    const c = this.counters;
    const ctx = this.ctx;
    if (!ctx || !ctx.driverReady() || !this.linkUpValue) {
      c.rxDroppedNotReady++;
      return;
    }
    const q = ctx.queue(VIRTIO_NET_RXQ);
    const chain = q.pop();
    if (!chain) {
      c.rxDroppedNoBuffer++;
      return;
    }
    if (chain.writableLength < VIRTIO_NET_HDR_LEN + frame.length) {
      c.rxDroppedTooSmall++;
      q.pushUsed(chain, 0);
      return;
    }
    const buf = new Uint8Array(VIRTIO_NET_HDR_LEN + frame.length);
    buf[10] = 1; // num_buffers = 1 (le16 at offset 10)
    buf.set(frame, VIRTIO_NET_HDR_LEN);
    const n = q.writeChain(chain, buf);
    c.rxPackets++;
    c.rxBytes += frame.length;
    q.pushUsed(chain, n);
  }

  // --- VirtioBackend -------------------------------------------------------

  onNotify(queueIndex: number, queue: Virtqueue): void {
    // RX kicks only mean "buffers added"; they are used as frames arrive.
    if (queueIndex !== VIRTIO_NET_TXQ) return;
    const c = this.counters;
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      const len = chain.readableLength - VIRTIO_NET_HDR_LEN;
      if (len < ETH_HEADER_LEN || len > ETH_MAX_FRAME) {
        c.txErrors++;
        queue.pushUsed(chain, 0);
        continue;
      }
      const frame = queue.readChain(chain).subarray(VIRTIO_NET_HDR_LEN);
      queue.pushUsed(chain, 0);
      if (!this.tx) {
        c.txUnplugged++;
        continue;
      }
      c.txPackets++;
      c.txBytes += frame.length;
      this.tx(frame);
    }
  }

  reset(): void {}

  saveState(): { counters: VirtioNetCounters; linkUp: boolean } {
    return { counters: { ...this.counters }, linkUp: this.linkUpValue };
  }

  loadState(st: unknown): void {
    const s = st as { counters?: VirtioNetCounters; linkUp?: boolean };
    if (s.counters) Object.assign(this.counters, s.counters);
    if (typeof s.linkUp === "boolean") {
      this.linkUpValue = s.linkUp;
      this.writeConfigStatus();
    }
  }

  /** JSON view for notebooks (%net). */
  snapshot(): VirtioNetSnapshot {
    const ctx = this.ctx;
    return {
      name: this.name, mac: this.macString, linkUp: this.linkUpValue, plugged: this.tx !== undefined,
      driverReady: ctx?.driverReady() ?? false,
      rxBuffersAvailable: ctx ? ctx.queue(VIRTIO_NET_RXQ).availableCount() : 0,
      counters: { ...this.counters },
    };
  }
}
