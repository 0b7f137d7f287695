// The kernel's ZeroMQ sockets (spec: "Kernel sockets"): ROUTER shell,
// control and stdin, PUB iopub, REP heartbeat, bound to the ports of the
// connection file. Receiving loops decode and hand each message to a
// callback; undecodable messages are logged and dropped. Sends on one
// socket are serialised, because a zeromq v6 socket allows one pending
// send at a time.

import { readFileSync } from "node:fs";
import * as zmq from "zeromq";
import type { Channel, ConnectionInfo, JupyterMessage } from "./protocol.js";
import { decodeMessage, encodeMessage, Signer } from "./wire.js";

/** Set to "1" to allow binding to a non-loopback address (the kernel has no other access control than the key). */
export const ALLOW_REMOTE_ENV = "VIPERDOS_KERNEL_ALLOW_REMOTE";

const PORT_FIELDS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;

/**
 * Parse and check a connection file's JSON. Returns the info, or an error
 * message: not JSON, a missing/invalid port, transport other than tcp, or an
 * ip that is not loopback (127.0.0.1/localhost) unless env[ALLOW_REMOTE_ENV] is "1".
 */
export function parseConnectionInfo(text: string, env: Record<string, string | undefined> = process.env): ConnectionInfo | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "connection file is not JSON";
  }
  if (typeof v !== "object" || v === null) return "connection file is not a JSON object";
  const o = v as Record<string, unknown>;
  const transport = o.transport ?? "tcp";
  if (transport !== "tcp") return `unsupported transport ${JSON.stringify(transport)} (only tcp)`;
  for (const f of PORT_FIELDS) {
    const p = o[f];
    if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 65535) return `connection file: ${f} must be a port number`;
  }
  const ip = typeof o.ip === "string" ? o.ip : "127.0.0.1";
  if (ip !== "127.0.0.1" && ip !== "localhost" && env[ALLOW_REMOTE_ENV] !== "1") {
    return `refusing to listen on ${ip}: only 127.0.0.1/localhost (set ${ALLOW_REMOTE_ENV}=1 to allow other addresses)`;
  }
  const key = typeof o.key === "string" ? o.key : "";
  const scheme = typeof o.signature_scheme === "string" ? o.signature_scheme : "hmac-sha256";
  if (key !== "" && scheme !== "hmac-sha256") return `unsupported signature_scheme ${scheme} (only hmac-sha256)`;
  return {
    transport: "tcp",
    ip: ip === "localhost" ? "127.0.0.1" : ip,
    shell_port: o.shell_port as number,
    iopub_port: o.iopub_port as number,
    stdin_port: o.stdin_port as number,
    control_port: o.control_port as number,
    hb_port: o.hb_port as number,
    key,
    signature_scheme: scheme,
    kernel_name: typeof o.kernel_name === "string" ? o.kernel_name : undefined,
  };
}

/** Read and check a connection file; returns the info or an error message (never throws). */
export function readConnectionFile(path: string): ConnectionInfo | string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return `cannot read connection file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  return parseConnectionInfo(text);
}

/** Serialises sends on one socket. */
class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(
    private readonly sock: zmq.Writable,
    private readonly log: (s: string) => void,
  ) {}
  send(frames: Buffer[]): Promise<void> {
    this.tail = this.tail.then(
      () => this.sock.send(frames),
    ).catch((e: unknown) => this.log(`send failed: ${String(e)}`));
    return this.tail;
  }
  drained(): Promise<void> {
    return this.tail;
  }
}

export type MessageCallback = (channel: Channel, msg: JupyterMessage) => void;

/** The bound sockets of one kernel. */
export class KernelSockets {
  readonly signer: Signer;
  private readonly shell = new zmq.Router();
  private readonly control = new zmq.Router();
  private readonly stdin = new zmq.Router();
  private readonly iopub = new zmq.Publisher();
  private readonly hb = new zmq.Reply();
  private readonly queues: Record<Channel, SendQueue>;
  private closed = false;
  /** Messages dropped by the decoder (bad signature, malformed), for inspection. */
  dropped = 0;

  private constructor(
    readonly info: ConnectionInfo,
    private readonly log: (s: string) => void,
  ) {
    this.signer = new Signer(info.signature_scheme, info.key);
    this.queues = {
      shell: new SendQueue(this.shell, log),
      control: new SendQueue(this.control, log),
      stdin: new SendQueue(this.stdin, log),
      iopub: new SendQueue(this.iopub, log),
    };
  }

  /** Bind every socket to `info`'s ip and ports. Rejects if a port is taken. */
  static async open(info: ConnectionInfo, log: (s: string) => void): Promise<KernelSockets> {
    const k = new KernelSockets(info, log);
    for (const s of [k.shell, k.control, k.stdin, k.iopub, k.hb]) s.linger = 0;
    const url = (port: number) => `tcp://${info.ip}:${port}`;
    await Promise.all([
      k.shell.bind(url(info.shell_port)),
      k.control.bind(url(info.control_port)),
      k.stdin.bind(url(info.stdin_port)),
      k.iopub.bind(url(info.iopub_port)),
      k.hb.bind(url(info.hb_port)),
    ]);
    return k;
  }

  /** Start the receive loops (shell, control, stdin) and the heartbeat echo. */
  listen(onMessage: MessageCallback): void {
    void this.receive("shell", this.shell, onMessage);
    void this.receive("control", this.control, onMessage);
    void this.receive("stdin", this.stdin, onMessage);
    void this.heartbeat();
  }

  private async receive(channel: Channel, sock: zmq.Router, onMessage: MessageCallback): Promise<void> {
    try {
      for await (const frames of sock) {
        const r = decodeMessage(frames, this.signer);
        if (!r.ok) {
          this.dropped++;
          this.log(`${channel}: dropped a message: ${r.reason}`);
          continue;
        }
        try {
          onMessage(channel, r.msg);
        } catch (e) {
          this.log(`${channel}: handler failed on ${r.msg.header.msg_type}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        }
      }
    } catch (e) {
      if (!this.closed) this.log(`${channel}: receive loop ended: ${String(e)}`);
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      for await (const frames of this.hb) await this.hb.send(frames);
    } catch (e) {
      if (!this.closed) this.log(`heartbeat ended: ${String(e)}`);
    }
  }

  /** Sign and send `msg` on `channel`; iopub messages get the topic "kernel.<msg_type>". */
  send(channel: Channel, msg: JupyterMessage): Promise<void> {
    if (this.closed) return Promise.resolve();
    const m = channel === "iopub" ? { ...msg, identities: [Buffer.from(`kernel.${msg.header.msg_type}`)] } : msg;
    return this.queues[channel].send(encodeMessage(m, this.signer));
  }

  /** Plain data for inspection: where we listen and what was dropped. */
  snapshot() {
    const { key: _key, ...where } = this.info;
    return { ...where, signed: this.info.key !== "", dropped: this.dropped, closed: this.closed };
  }

  /** Wait for pending sends, then close every socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all(Object.values(this.queues).map((q) => q.drained()));
    this.closed = true;
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.close();
  }
}
