// SYN cookies (RFC 4987 3.6): when a listener's backlog is full, answer a SYN
// without keeping any state, encoding what the connection needs in our ISN:
//
//    31      27 26  24 23                                        0
//   +----------+------+-------------------------------------------+
//   | t mod 32 | MSS  |  HalfSipHash(key; 4-tuple, peer ISN, t)   |
//   +----------+------+-------------------------------------------+
//
// t counts 64-second periods of virtual time; a cookie is good for the
// current and the previous period. The ACK that completes the handshake
// carries the cookie back (ack - 1) and the peer's ISN (seq - 1). Window
// scaling, SACK and timestamps cannot be kept statelessly here: a
// connection opened from a cookie runs without them.

import { halfSipHash } from "./isn.js";

const PERIOD_NS = 64e9;
/** MSS values a cookie can carry (3 bits), ascending. */
const MSS_TABLE = [216, 536, 1024, 1200, 1360, 1440, 1460, 8960] as const;

export class SynCookies {
  private readonly k0: number;
  private readonly k1: number;

  constructor(random32: () => number) {
    this.k0 = random32() >>> 0;
    this.k1 = random32() >>> 0;
  }

  private hash(localIp: number, localPort: number, remoteIp: number, remotePort: number, peerIsn: number, t: number): number {
    return halfSipHash(this.k0, this.k1, [localIp >>> 0, remoteIp >>> 0, ((localPort << 16) | remotePort) >>> 0, peerIsn >>> 0, t >>> 0]) & 0xffffff;
  }

  /** The ISN for a SYN,ACK answering peerIsn; mss: the largest table value <= the peer's MSS. */
  make(localIp: number, localPort: number, remoteIp: number, remotePort: number, peerIsn: number, peerMss: number, nowNs: number): { isn: number; mss: number } {
    let m = 0;
    while (m + 1 < MSS_TABLE.length && MSS_TABLE[m + 1]! <= peerMss) m++;
    const t = Math.floor(nowNs / PERIOD_NS);
    const isn = (((t & 31) << 27) | (m << 24) | this.hash(localIp, localPort, remoteIp, remotePort, peerIsn, t)) >>> 0;
    return { isn, mss: MSS_TABLE[m]! };
  }

  /** The MSS a valid, fresh cookie carries, or undefined (forged, or older than one period). */
  check(localIp: number, localPort: number, remoteIp: number, remotePort: number, peerIsn: number, cookie: number, nowNs: number): number | undefined {
    const now = Math.floor(nowNs / PERIOD_NS);
    const tc = cookie >>> 27;
    for (const t of [now, now - 1]) {
      if (t < 0 || (t & 31) !== tc) continue;
      if ((cookie & 0xffffff) === this.hash(localIp, localPort, remoteIp, remotePort, peerIsn, t)) return MSS_TABLE[(cookie >>> 24) & 7];
    }
    return undefined;
  }
}
