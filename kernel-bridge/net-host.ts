// Host-side peers for network runs (e2e tests, bench/net.ts, notebooks):
// Node TCP servers and clients on 127.0.0.1 speaking the iperf program's
// protocol (viperdos/user/programs/iperf.c): a stream of bytes, then the
// receiver answers "OK <bytes> <fnv1a hex>\n" after the sender's FIN.
//
//   hostSink()    a server that checksums what it receives and answers
//   sendStream()  a client that sends the iperf pattern to host:port and
//                 returns the receiver's answer
//   iperfPattern  the byte pattern both sides generate (byte i of the stream)

import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32-bit) over `b`, continuing from `h`. */
export function fnv1a(b: Uint8Array, h = FNV_OFFSET): number {
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], FNV_PRIME) >>> 0;
  return h >>> 0;
}

/** Bytes [offset, offset+n) of iperf's stream: (x * 131 + (x >> 10)) & 0xff. */
export function iperfPattern(offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = offset + i;
    out[i] = (x * 131 + Math.floor(x / 1024)) & 0xff;
  }
  return out;
}

export interface SinkResult {
  bytes: number;
  fnv: number;
  /** Wall ms from the first byte to the FIN. */
  wallMs: number;
}

export interface HostSink {
  port: number;
  /** Streams received so far, in order of their ends. */
  results: SinkResult[];
  /** Resolves with the next finished stream. */
  next(): Promise<SinkResult>;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 (an ephemeral port): per connection, checksum to FIN, answer, close. */
export async function hostSink(): Promise<HostSink> {
  const results: SinkResult[] = [];
  const waiters: ((r: SinkResult) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    let bytes = 0;
    let h = FNV_OFFSET;
    let t0 = 0;
    sock.on("data", (d: Buffer) => {
      if (bytes === 0) t0 = performance.now();
      bytes += d.length;
      h = fnv1a(d, h);
    });
    sock.on("end", () => {
      const r = { bytes, fnv: h >>> 0, wallMs: performance.now() - t0 };
      results.push(r);
      sock.end(`OK ${bytes} ${r.fnv.toString(16).padStart(8, "0")}\n`);
      waiters.shift()?.(r);
    });
    sock.on("error", () => {});
    sock.on("close", () => sockets.delete(sock));
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  return {
    port: (server.address() as AddressInfo).port,
    results,
    next: () => new Promise((res) => waiters.push(res)),
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

/**
 * Connect to host:port on 127.0.0.1, send `bytes` of the iperf pattern,
 * half-close, and resolve with the peer's answer line (or reject on error).
 */
export function sendStream(port: number, bytes: number, host = "127.0.0.1"): Promise<{ answer: string; fnv: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = createConnection({ host, port });
    let h = FNV_OFFSET;
    let sent = 0;
    let answer = "";
    const CHUNK = 65536;
    const pump = (): void => {
      while (sent < bytes) {
        const n = Math.min(CHUNK, bytes - sent);
        const chunk = iperfPattern(sent, n);
        h = fnv1a(chunk, h);
        sent += n;
        if (!sock.write(chunk)) {
          sock.once("drain", pump);
          return;
        }
      }
      sock.end();
    };
    sock.on("connect", pump);
    sock.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    sock.on("end", () => resolve({ answer: answer.trim(), fnv: h >>> 0, wallMs: performance.now() - t0 }));
    sock.on("error", reject);
  });
}
