// Jupyter messaging protocol 5.3 types, keeping the wire's field names
// (https://jupyter-client.readthedocs.io/en/stable/messaging.html).
// Only what this kernel sends or reads is spelled out; content stays an
// open record elsewhere, because clients may add fields.

/** Protocol version we speak (kernel_info_reply.protocol_version, header.version). */
export const PROTOCOL_VERSION = "5.3";

/** The four socket channels plus heartbeat ("Kernel sockets" in the spec). */
export type Channel = "shell" | "control" | "stdin" | "iopub";

/** A message header (spec: "General Message Format"). */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  /** ISO 8601 timestamp. */
  date: string;
  msg_type: string;
  version: string;
}

/** One decoded message; `identities` are the ROUTER routing frames before "<IDS|MSG>". */
export interface JupyterMessage {
  identities: Buffer[];
  header: MessageHeader;
  /** The request's header on replies; {} when there is no parent. */
  parent_header: MessageHeader | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/** A display's data: MIME type -> value (text/plain always present). */
export type MimeBundle = Record<string, unknown> & { "text/plain": string };

/** The connection file a front end writes before it starts a kernel. */
export interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  /** "hmac-sha256" (the only scheme we accept), or "" with an empty key for unsigned. */
  signature_scheme: string;
  kernel_name?: string;
}

/** execute_reply / error content fields for a failed cell. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}
