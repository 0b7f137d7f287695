// virtio entropy device (virtio 1.x section 5.4): device ID 4, no feature
// bits, no config space, one request queue. Each device-writable buffer the
// driver offers is filled with bytes from the machine's seeded PRNG (so runs
// replay exactly) and returned at once through the used ring.

import type { Rng } from "../rng.js";
import type { VirtioBackend } from "./virtio-mmio.js";
import type { Virtqueue } from "./virtqueue.js";

export const VIRTIO_ID_ENTROPY = 4;
/** Cap per request, so a guest asking for a huge buffer cannot stall the host. */
const MAX_BYTES_PER_REQUEST = 64 * 1024;

export class VirtioRng implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_ENTROPY;
  readonly features = 0n;
  readonly config = new Uint8Array(0);
  readonly queueCount = 1;
  readonly queueNumMax = 256;
  /** Bytes handed to the guest so far (inspection). */
  bytesServed = 0;

  constructor(private readonly rng: Rng) {}

  /** Fill every available chain's writable buffers and return it. */
  onNotify(_queueIndex: number, queue: Virtqueue): void {
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      const data = new Uint8Array(Math.min(chain.writableLength, MAX_BYTES_PER_REQUEST));
      this.rng.fill(data);
      const n = queue.writeChain(chain, data);
      this.bytesServed += n;
      queue.pushUsed(chain, n);
    }
  }

  reset(): void {}

  saveState(): { bytesServed: number } {
    return { bytesServed: this.bytesServed };
  }

  loadState(st: unknown): void {
    this.bytesServed = (st as { bytesServed: number }).bytesServed ?? 0;
  }
}
