// Jupyter wire protocol: HMAC signing, decoding (bad signatures and
// malformed frames are rejected, never thrown), connection files, the
// kernelspec and its PNG logo.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { childMessage, decodeMessage, DELIMITER, encodeMessage, Signer } from "../kernel-bridge/wire.js";
import { parseConnectionInfo } from "../kernel-bridge/sockets.js";
import { crc32, encodePng, logoPng } from "../kernel-bridge/png.js";
import { installKernelSpec } from "../kernel-bridge/install.js";
import { createHmac } from "node:crypto";

const KEY = "a0436f6c-1916-498b-8eb9-e81ab9368e84";
const signer = new Signer("hmac-sha256", KEY);

function sample() {
  const m = childMessage(undefined, "kernel_info_request", "sess-1", { x: [1, 2] });
  m.identities = [Buffer.from("client-id")];
  return m;
}

describe("Signer", () => {
  test("signature is hex HMAC-SHA256 over header, parent, metadata, content", () => {
    const parts = ["{}", "{}", "{}", '{"a":1}'].map((s) => Buffer.from(s));
    const want = createHmac("sha256", KEY).update(parts[0]).update(parts[1]).update(parts[2]).update(parts[3]).digest("hex");
    expect(signer.sign(parts)).toBe(want);
    expect(signer.verify(want, parts)).toBe(true);
    expect(signer.verify(want.slice(0, -1) + (want.endsWith("0") ? "1" : "0"), parts)).toBe(false);
    expect(signer.verify(want.slice(2), parts)).toBe(false); // wrong length: no exception from timingSafeEqual
    expect(signer.verify("", parts)).toBe(false);
  });

  test("empty key turns signing off; another scheme with a key is refused", () => {
    const off = new Signer("hmac-sha256", "");
    expect(off.sign([Buffer.from("{}")])).toBe("");
    expect(off.verify("anything", [])).toBe(true);
    expect(() => new Signer("hmac-md5", "k")).toThrow(/unsupported signature_scheme/);
  });
});

describe("encode / decode", () => {
  test("round trip keeps identities, header, content and buffers", () => {
    const m = sample();
    m.buffers = [Buffer.from([1, 2, 3])];
    const frames = encodeMessage(m, signer);
    expect(frames[1].toString()).toBe(DELIMITER);
    const r = decodeMessage(frames, signer);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.identities.map((b) => b.toString())).toEqual(["client-id"]);
    expect(r.msg.header).toEqual(m.header);
    expect(r.msg.content).toEqual({ x: [1, 2] });
    expect([...r.msg.buffers[0]]).toEqual([1, 2, 3]);
  });

  test("a tampered content frame fails verification", () => {
    const frames = encodeMessage(sample(), signer);
    frames[frames.length - 1] = Buffer.from('{"x":[1,3]}');
    expect(decodeMessage(frames, signer)).toEqual({ ok: false, reason: "bad signature" });
    expect(decodeMessage(encodeMessage(sample(), new Signer("hmac-sha256", "other")), signer)).toEqual({ ok: false, reason: "bad signature" });
  });

  const unsigned = new Signer("hmac-sha256", "");
  const json = (s: string) => Buffer.from(s);
  const header = '{"msg_id":"1","msg_type":"x","session":"s","username":"u","date":"","version":"5.3"}';
  test.each([
    ["no delimiter", [json("id"), json(""), json(header), json("{}"), json("{}"), json("{}")], "no <IDS|MSG> delimiter"],
    ["too few frames", [json(DELIMITER), json(""), json(header)], "too few frames"],
    ["header not JSON", [json(DELIMITER), json(""), json("{nope"), json("{}"), json("{}"), json("{}")], "header is not JSON"],
    ["header an array", [json(DELIMITER), json(""), json("[]"), json("{}"), json("{}"), json("{}")], "header is not a JSON object"],
    ["header without msg_type", [json(DELIMITER), json(""), json('{"msg_id":"1","session":"s"}'), json("{}"), json("{}"), json("{}")], "header lacks"],
    ["content null", [json(DELIMITER), json(""), json(header), json("{}"), json("{}"), json("null")], "content is not a JSON object"],
    ["empty message", [], "no <IDS|MSG> delimiter"],
  ])("malformed: %s", (_name, frames, reason) => {
    const r = decodeMessage(frames, unsigned);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe("connection files", () => {
  const base = { transport: "tcp", ip: "127.0.0.1", shell_port: 5001, iopub_port: 5002, stdin_port: 5003, control_port: 5004, hb_port: 5005, key: "k", signature_scheme: "hmac-sha256" };
  test("loopback is accepted, localhost normalised", () => {
    expect(parseConnectionInfo(JSON.stringify(base), {})).toMatchObject({ ip: "127.0.0.1", shell_port: 5001, key: "k" });
    expect(parseConnectionInfo(JSON.stringify({ ...base, ip: "localhost" }), {})).toMatchObject({ ip: "127.0.0.1" });
  });
  test("other addresses need the explicit opt-in", () => {
    const text = JSON.stringify({ ...base, ip: "0.0.0.0" });
    expect(parseConnectionInfo(text, {})).toMatch(/refusing to listen on 0.0.0.0/);
    expect(parseConnectionInfo(text, { VIPERDOS_KERNEL_ALLOW_REMOTE: "1" })).toMatchObject({ ip: "0.0.0.0" });
  });
  test.each([
    ["not JSON", "{", /not JSON/],
    ["bad port", JSON.stringify({ ...base, hb_port: 70000 }), /hb_port/],
    ["missing port", JSON.stringify({ ...base, shell_port: undefined }), /shell_port/],
    ["ipc transport", JSON.stringify({ ...base, transport: "ipc" }), /transport/],
    ["md5", JSON.stringify({ ...base, signature_scheme: "hmac-md5" }), /signature_scheme/],
  ])("rejected: %s", (_n, text, re) => {
    expect(parseConnectionInfo(text, {})).toMatch(re);
  });
});

describe("kernelspec", () => {
  const dir = mkdtempSync(join(tmpdir(), "vd-kspec-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("crc32 matches the PNG IEND chunk's known CRC", () => {
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
  });

  test("PNG: signature, IHDR size, pixels survive inflate", () => {
    const px = new Uint8Array(2 * 2 * 4).map((_, i) => i);
    const png = encodePng(2, 2, px);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString()).toBe("IHDR");
    expect(png.readUInt32BE(16)).toBe(2);
    const idatLen = png.readUInt32BE(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect([...raw]).toEqual([0, ...px.subarray(0, 8), 0, ...px.subarray(8)]);
    expect(() => encodePng(3, 3, px)).toThrow(/encodePng/);
  });

  test("install --prefix writes kernel.json and 64x64 logo", () => {
    const spec = installKernelSpec({ kind: "prefix", dir }, "/repo/dist/kernel-bridge/main.js");
    expect(spec).toBe(join(dir, "share", "jupyter", "kernels", "viperdos"));
    const k = JSON.parse(readFileSync(join(spec, "kernel.json"), "utf8"));
    expect(k).toMatchObject({ display_name: "ViperDOS", language: "viperdos", interrupt_mode: "message" });
    expect(k.argv.slice(1)).toEqual(["/repo/dist/kernel-bridge/main.js", "-f", "{connection_file}"]);
    expect(k.argv[0]).toMatch(/node/);
    const logo = readFileSync(join(spec, "logo-64x64.png"));
    expect(logo.readUInt32BE(16)).toBe(64);
    expect(logo.readUInt32BE(20)).toBe(64);
    expect(logo.equals(logoPng(64))).toBe(true);
  });
});
