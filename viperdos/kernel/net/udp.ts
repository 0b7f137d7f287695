// UDP (RFC 768) port table: bind/unbind/sendTo for sockets (net/socket.ts's
// UdpLike) and for the stack's own clients (the DNS resolver). Datagrams
// for an unbound port make the stack answer ICMP port unreachable.

import { E } from "../errors.js";
import type { Datagram, UdpLike } from "./socket.js";

export const EPHEMERAL_FIRST = 49152;
export const EPHEMERAL_LAST = 65535;
/** Largest UDP payload in one IPv4 datagram (65535 - 20 - 8). */
export const UDP_MAX_PAYLOAD = 65507;

interface Binding {
  ip: number;
  port: number;
  onDatagram: (d: Datagram) => void;
  received: number;
  sent: number;
}

export interface UdpBindingSnapshot {
  ip: number;
  port: number;
  received: number;
  sent: number;
}

export class UdpLayer implements UdpLike {
  private readonly ports = new Map<number, Binding>();
  private nextEphemeral: number;

  /**
   * `output(srcPort, dstIp, dstPort, data)` sends one datagram through IP
   * and returns 0 or a negative error; `random32` picks the first ephemeral port.
   */
  constructor(private readonly output: (srcPort: number, dstIp: number, dstPort: number, data: Uint8Array) => number, random32: () => number) {
    this.nextEphemeral = EPHEMERAL_FIRST + (random32() % (EPHEMERAL_LAST - EPHEMERAL_FIRST + 1));
  }

  /** Bind ip:port (port 0: an ephemeral port). Returns the port, -604 in use, -2 bad port, -501 none free. */
  bind(ip: number, port: number, onDatagram: (d: Datagram) => void): number {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) return E.INVALID_ARG;
    if (port === 0) {
      const n = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
      for (let i = 0; i < n; i++) {
        const p = this.nextEphemeral;
        this.nextEphemeral = p === EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
        if (!this.ports.has(p)) {
          port = p;
          break;
        }
      }
      if (port === 0) return E.NO_RESOURCE;
    } else if (this.ports.has(port)) return E.ADDR_IN_USE;
    this.ports.set(port, { ip, port, onDatagram, received: 0, sent: 0 });
    return port;
  }

  /** Release a port (no-op when unbound). */
  unbind(port: number): void {
    this.ports.delete(port);
  }

  /** Send from bound `srcPort`. Returns 0, -603 (port not bound), -302 too large, or IP's error. */
  sendTo(srcPort: number, dstIp: number, dstPort: number, data: Uint8Array): number {
    const b = this.ports.get(srcPort);
    if (!b) return E.NOT_CONNECTED;
    if (data.length > UDP_MAX_PAYLOAD) return E.MSG_TOO_LARGE;
    if (dstPort <= 0 || dstPort > 0xffff) return E.INVALID_ARG;
    const r = this.output(srcPort, dstIp, dstPort, data);
    if (r >= 0) b.sent++;
    return r;
  }

  /** Deliver a datagram for `dstIp:dstPort`; false when no one is bound there. */
  deliver(dstIp: number, dstPort: number, d: Datagram): boolean {
    const b = this.ports.get(dstPort);
    if (!b || (b.ip !== 0 && b.ip !== dstIp)) return false;
    b.received++;
    b.onDatagram(d);
    return true;
  }

  snapshot(): UdpBindingSnapshot[] {
    return [...this.ports.values()].sort((a, b) => a.port - b.port).map(({ ip, port, received, sent }) => ({ ip, port, received, sent }));
  }
}
