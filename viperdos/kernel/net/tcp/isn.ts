// Initial sequence numbers (RFC 6528): ISN = M + F(localip, localport,
// remoteip, remoteport, secretkey), where M is a clock ticking every 4 us
// and F a keyed pseudo-random function. Here F is HalfSipHash-2-4 (32-bit
// SipHash) over the 4-tuple with a 64-bit key drawn once from env.random32,
// so ISNs of different connections are unpredictable to an off-path peer
// while one 4-tuple's ISNs still advance with the clock (old duplicates of
// a previous incarnation fall behind the new ISN).

const rotl = (x: number, b: number) => ((x << b) | (x >>> (32 - b))) >>> 0;

function sipRound(v: Uint32Array): void {
  v[0] = v[0]! + v[1]!; v[1] = rotl(v[1]!, 5); v[1] ^= v[0]!; v[0] = rotl(v[0]!, 16);
  v[2] = v[2]! + v[3]!; v[3] = rotl(v[3]!, 8); v[3] ^= v[2]!;
  v[0] = v[0]! + v[3]!; v[3] = rotl(v[3]!, 7); v[3] ^= v[0]!;
  v[2] = v[2]! + v[1]!; v[1] = rotl(v[1]!, 13); v[1] ^= v[2]!; v[2] = rotl(v[2]!, 16);
}

/** HalfSipHash-2-4 of 32-bit words under key (k0, k1); a 32-bit result. */
export function halfSipHash(k0: number, k1: number, words: readonly number[]): number {
  const v = new Uint32Array([k0, k1, 0x6c796765 ^ k0, 0x74656462 ^ k1]);
  for (const m of words) {
    v[3] ^= m;
    sipRound(v); sipRound(v);
    v[0] ^= m;
  }
  const b = ((words.length * 4) << 24) >>> 0;
  v[3] ^= b;
  sipRound(v); sipRound(v);
  v[0] ^= b;
  v[2] ^= 0xff;
  for (let i = 0; i < 4; i++) sipRound(v);
  return (v[1]! ^ v[3]!) >>> 0;
}

/** The RFC 6528 generator: one secret key per stack. */
export class IsnGenerator {
  private readonly k0: number;
  private readonly k1: number;

  /** random32: the stack's seeded source; called twice, here. */
  constructor(random32: () => number) {
    this.k0 = random32() >>> 0;
    this.k1 = random32() >>> 0;
  }

  /** ISN for a connection at virtual time nowNs. */
  isn(localIp: number, localPort: number, remoteIp: number, remotePort: number, nowNs: number): number {
    const m = Math.floor(nowNs / 4000) % 0x100000000;
    const f = halfSipHash(this.k0, this.k1, [localIp >>> 0, remoteIp >>> 0, ((localPort << 16) | remotePort) >>> 0]);
    return (m + f) >>> 0;
  }
}
