// DNS messages (RFC 1035 section 4): the subset a stub resolver and the
// gateway's small server need. Queries carry one question; answers are A
// records (type 1, class IN). Names may be compressed in answers (4.1.4);
// the parser follows pointers backwards only and bounds the hops, so a
// hostile message cannot loop.
//
//   header: id[2] flags[2] qdcount[2] ancount[2] nscount[2] arcount[2]
//   flags:  QR(15) OPCODE(14..11) AA(10) TC(9) RD(8) RA(7) Z(6..4) RCODE(3..0)
//   question: name qtype[2] qclass[2]
//   rr: name type[2] class[2] ttl[4] rdlength[2] rdata

import { rd16, rd32, wr16, wr32 } from "./wire.js";

export const DNS_PORT = 53;
export const DNS_TYPE_A = 1;
export const DNS_CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQuestion {
  name: string;
  type: number;
  cls: number;
}

export interface DnsAnswer {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  /** For A records: the host-order address. */
  address?: number;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  rd: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
}

/** True when `name` is a syntactically valid host name (labels 1..63, total <= 253). */
export function validDnsName(name: string): boolean {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > 253) return false;
  return n.split(".").every((l) => l.length >= 1 && l.length <= 63 && /^[A-Za-z0-9_-]+$/.test(l));
}

function encodeName(name: string): number[] {
  const out: number[] = [];
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  for (const label of n.split(".")) {
    out.push(label.length);
    for (let i = 0; i < label.length; i++) out.push(label.charCodeAt(i) & 0x7f);
  }
  out.push(0);
  return out;
}

/** A standard query for the A record of `name` (recursion desired). */
export function buildDnsQuery(id: number, name: string, type = DNS_TYPE_A): Uint8Array {
  const q = encodeName(name);
  const b = new Uint8Array(12 + q.length + 4);
  wr16(b, 0, id);
  wr16(b, 2, 0x0100); // RD
  wr16(b, 4, 1);
  b.set(q, 12);
  wr16(b, 12 + q.length, type);
  wr16(b, 14 + q.length, DNS_CLASS_IN);
  return b;
}

/**
 * A response to `query` (its id and question echoed) with rcode and A
 * answers (address list, one TTL). Answers use a pointer to the question name.
 */
export function buildDnsResponse(query: DnsMessage, rcode: number, addresses: readonly number[], ttl: number): Uint8Array {
  const q = query.questions[0];
  const qn = q ? encodeName(q.name) : [];
  const b = new Uint8Array(12 + (q ? qn.length + 4 : 0) + addresses.length * 16);
  wr16(b, 0, query.id);
  wr16(b, 2, 0x8000 | (query.opcode << 11) | 0x0400 | (query.rd ? 0x0100 : 0) | 0x0080 | (rcode & 0xf));
  wr16(b, 4, q ? 1 : 0);
  wr16(b, 6, addresses.length);
  let o = 12;
  if (q) {
    b.set(qn, o);
    o += qn.length;
    wr16(b, o, q.type);
    wr16(b, o + 2, q.cls);
    o += 4;
  }
  for (const a of addresses) {
    wr16(b, o, 0xc00c); // pointer to the question name at offset 12
    wr16(b, o + 2, DNS_TYPE_A);
    wr16(b, o + 4, DNS_CLASS_IN);
    wr32(b, o + 6, ttl);
    wr16(b, o + 10, 4);
    wr32(b, o + 12, a);
    o += 16;
  }
  return b;
}

/** Read a (possibly compressed) name at `off`; returns [name, offset after it] or undefined. */
function readName(b: Uint8Array, off: number): [string, number] | undefined {
  const labels: string[] = [];
  let o = off;
  let end = -1;
  let hops = 0;
  let total = 0;
  for (;;) {
    if (o >= b.length) return undefined;
    const len = b[o];
    if ((len & 0xc0) === 0xc0) {
      if (o + 1 >= b.length || ++hops > 16) return undefined;
      const ptr = ((len & 0x3f) << 8) | b[o + 1];
      if (ptr >= o) return undefined; // only backwards: no loops
      if (end < 0) end = o + 2;
      o = ptr;
      continue;
    }
    if (len & 0xc0) return undefined;
    if (len === 0) {
      if (end < 0) end = o + 1;
      break;
    }
    if (o + 1 + len > b.length) return undefined;
    total += len + 1;
    if (total > 255) return undefined;
    labels.push(String.fromCharCode(...b.subarray(o + 1, o + 1 + len)));
    o += 1 + len;
  }
  return [labels.join("."), end];
}

/** Parse a DNS message; undefined when malformed (never throws). */
export function parseDns(b: Uint8Array): DnsMessage | undefined {
  if (b.length < 12) return undefined;
  const flags = rd16(b, 2);
  const qd = rd16(b, 4);
  const an = rd16(b, 6);
  if (qd > 16 || an > 64) return undefined;
  const msg: DnsMessage = {
    id: rd16(b, 0), response: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, rd: (flags & 0x100) !== 0,
    rcode: flags & 0xf, questions: [], answers: [],
  };
  let o = 12;
  for (let i = 0; i < qd; i++) {
    const r = readName(b, o);
    if (!r || r[1] + 4 > b.length) return undefined;
    msg.questions.push({ name: r[0], type: rd16(b, r[1]), cls: rd16(b, r[1] + 2) });
    o = r[1] + 4;
  }
  for (let i = 0; i < an; i++) {
    const r = readName(b, o);
    if (!r || r[1] + 10 > b.length) return undefined;
    const p = r[1];
    const type = rd16(b, p);
    const cls = rd16(b, p + 2);
    const ttl = rd32(b, p + 4);
    const rdlen = rd16(b, p + 8);
    if (p + 10 + rdlen > b.length) return undefined;
    const ans: DnsAnswer = { name: r[0], type, cls, ttl };
    if (type === DNS_TYPE_A && cls === DNS_CLASS_IN && rdlen === 4) ans.address = rd32(b, p + 10);
    msg.answers.push(ans);
    o = p + 10 + rdlen;
  }
  return msg;
}
