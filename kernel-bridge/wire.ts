// The Jupyter wire protocol: one message is the frame list
//
//   [identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
//
// where signature = hex HMAC-SHA256(key, header + parent_header + metadata +
// content) over the four JSON frames as sent (spec: "The Wire Protocol").
// Decoding never throws: a bad signature or a malformed message comes back
// as { ok: false, reason } so the socket loop can log it and drop it.

import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { PROTOCOL_VERSION, type JupyterMessage, type MessageHeader } from "./protocol.js";

export const DELIMITER = "<IDS|MSG>";

/** Signs and checks messages with the connection file's key. */
export class Signer {
  private readonly key: Buffer;

  /**
   * scheme must be "hmac-sha256" (or anything with an empty key, which
   * turns signing off as the spec allows). Throws for another scheme with
   * a key: we cannot check such messages, so starting would be unsafe.
   */
  constructor(scheme: string, key: string) {
    this.key = Buffer.from(key, "utf8");
    if (this.key.length > 0 && scheme !== "hmac-sha256") {
      throw new Error(`Signer: unsupported signature_scheme ${JSON.stringify(scheme)} (only hmac-sha256)`);
    }
  }

  /** Hex signature of the four JSON frames; "" when signing is off. */
  sign(parts: readonly Buffer[]): string {
    if (this.key.length === 0) return "";
    const h = createHmac("sha256", this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  /** True when `signature` matches (timing-safe); always true when signing is off. */
  verify(signature: string, parts: readonly Buffer[]): boolean {
    if (this.key.length === 0) return true;
    const want = Buffer.from(this.sign(parts), "latin1");
    const got = Buffer.from(signature, "latin1");
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

export type DecodeResult = { ok: true; msg: JupyterMessage } | { ok: false; reason: string };

function parseObject(b: Buffer, what: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(b.toString("utf8"));
  } catch {
    return `${what} is not JSON`;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return `${what} is not a JSON object`;
  return v as Record<string, unknown>;
}

function isHeader(h: Record<string, unknown>): h is Record<string, unknown> & MessageHeader {
  return typeof h.msg_id === "string" && typeof h.msg_type === "string" && typeof h.session === "string";
}

/**
 * Decode the frames of one received message. Returns the message, or a
 * reason when the delimiter is missing, frames are short, the signature
 * does not verify, or a JSON frame is not an object (header needs msg_id,
 * msg_type and session). Never throws.
 */
export function decodeMessage(frames: readonly Buffer[], signer: Signer): DecodeResult {
  const d = frames.findIndex((f) => f.length === DELIMITER.length && f.toString("latin1") === DELIMITER);
  if (d < 0) return { ok: false, reason: "no <IDS|MSG> delimiter" };
  if (frames.length < d + 6) return { ok: false, reason: `too few frames (${frames.length - d - 1} after the delimiter, need 5)` };
  const signature = frames[d + 1].toString("latin1");
  const parts = frames.slice(d + 2, d + 6);
  if (!signer.verify(signature, parts)) return { ok: false, reason: "bad signature" };
  const header = parseObject(parts[0], "header");
  if (typeof header === "string") return { ok: false, reason: header };
  if (!isHeader(header)) return { ok: false, reason: "header lacks msg_id, msg_type or session" };
  const parent = parseObject(parts[1], "parent_header");
  if (typeof parent === "string") return { ok: false, reason: parent };
  const metadata = parseObject(parts[2], "metadata");
  if (typeof metadata === "string") return { ok: false, reason: metadata };
  const content = parseObject(parts[3], "content");
  if (typeof content === "string") return { ok: false, reason: content };
  return {
    ok: true,
    msg: {
      identities: frames.slice(0, d).map((f) => Buffer.from(f)),
      header: header as unknown as MessageHeader,
      parent_header: parent as unknown as MessageHeader,
      metadata,
      content,
      buffers: frames.slice(d + 6).map((f) => Buffer.from(f)),
    },
  };
}

/** The frames to send for `msg`, signed. */
export function encodeMessage(msg: JupyterMessage, signer: Signer): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((o) => Buffer.from(JSON.stringify(o), "utf8"));
  return [...msg.identities, Buffer.from(DELIMITER, "latin1"), Buffer.from(signer.sign(parts), "latin1"), ...parts, ...msg.buffers];
}

/** A fresh header of type `msgType` in `session`. */
export function newHeader(msgType: string, session: string, username = "kernel"): MessageHeader {
  return { msg_id: randomUUID(), session, username, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION };
}

/**
 * A message answering or caused by `parent`: parent_header set, identities
 * copied (routing back to the requester on ROUTER channels; iopub ignores them).
 */
export function childMessage(parent: JupyterMessage | undefined, msgType: string, session: string, content: Record<string, unknown>): JupyterMessage {
  return {
    identities: parent ? parent.identities : [],
    header: newHeader(msgType, session),
    parent_header: parent ? parent.header : {},
    metadata: {},
    content,
    buffers: [],
  };
}
