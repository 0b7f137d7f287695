import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../emulator/machine.js";
import { RAM_BASE } from "../emulator/bus.js";
import { STATUS, VIRTIO_MMIO as R } from "../emulator/devices/virtio-mmio.js";
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../emulator/devices/virtqueue.js";
import { VirtioBlk, VIRTIO_BLK_S, VIRTIO_BLK_T, VIRTIO_BLK_F_FLUSH } from "../emulator/devices/virtio-blk.js";

const DESC = RAM_BASE + 0x10000;
const AVAIL = RAM_BASE + 0x11000;
const USED = RAM_BASE + 0x12000;
const HDR = RAM_BASE + 0x20000;
const DATA = RAM_BASE + 0x21000;
const STAT = RAM_BASE + 0x30000;
const QSIZE = 8;

/** A host-side virtio-blk driver: one request at a time on queue 0, descriptors 0..2. */
function blkDriver(m: Machine, slot: number) {
  const base = m.virtioBase(slot);
  const bus = m.bus;
  const rd = (o: number) => bus.read32(base + o);
  const wr = (o: number, v: number) => bus.write32(base + o, v);
  const view = bus.ramView;
  const at = (pa: number) => pa - RAM_BASE;
  let availIdx = 0;
  const desc = (i: number, addr: number, len: number, flags: number, next = 0) => {
    const d = at(DESC + 16 * i);
    view.setBigUint64(d, BigInt(addr), true);
    view.setUint32(d + 8, len, true);
    view.setUint16(d + 12, flags, true);
    view.setUint16(d + 14, next, true);
  };
  const submit = (head: number) => {
    view.setUint16(at(AVAIL + 4 + 2 * (availIdx % QSIZE)), head, true);
    availIdx = (availIdx + 1) & 0xffff;
    view.setUint16(at(AVAIL + 2), availIdx, true);
    wr(R.QUEUE_NOTIFY, 0);
  };
  const header = (type: number, sector: number | bigint) => {
    view.setUint32(at(HDR), type, true);
    view.setUint32(at(HDR + 4), 0, true);
    view.setBigUint64(at(HDR + 8), BigInt(sector), true);
  };
  const lastUsed = () => {
    const i = (view.getUint16(at(USED + 2), true) - 1) % QSIZE;
    return { id: view.getUint32(at(USED + 4 + 8 * i), true), len: view.getUint32(at(USED + 8 + 8 * i), true) };
  };
  return {
    rd, wr, desc, submit, lastUsed,
    start(): void {
      wr(R.STATUS, 0);
      wr(R.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
      wr(R.DRIVER_FEATURES_SEL, 0);
      wr(R.DRIVER_FEATURES, Number(VIRTIO_BLK_F_FLUSH));
      wr(R.DRIVER_FEATURES_SEL, 1);
      wr(R.DRIVER_FEATURES, 1);
      wr(R.STATUS, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
      bus.fill(DESC, 0x3000);
      wr(R.QUEUE_SEL, 0);
      wr(R.QUEUE_NUM, QSIZE);
      wr(R.QUEUE_DESC_LOW, DESC); wr(R.QUEUE_DESC_HIGH, 0);
      wr(R.QUEUE_DRIVER_LOW, AVAIL); wr(R.QUEUE_DRIVER_HIGH, 0);
      wr(R.QUEUE_DEVICE_LOW, USED); wr(R.QUEUE_DEVICE_HIGH, 0);
      wr(R.QUEUE_READY, 1);
      wr(R.STATUS, rd(R.STATUS) | STATUS.DRIVER_OK);
    },
    /** Read `n` bytes at `sector`; returns status and bytes. */
    read(sector: number | bigint, n: number): { status: number; data: Uint8Array } {
      header(VIRTIO_BLK_T.IN, sector);
      bus.writeBytes(STAT, Uint8Array.of(0xff));
      desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
      desc(1, DATA, n, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
      desc(2, STAT, 1, VIRTQ_DESC_F_WRITE);
      submit(0);
      return { status: bus.readBytes(STAT, 1)[0], data: bus.readBytes(DATA, n) };
    },
    write(sector: number, data: Uint8Array): number {
      header(VIRTIO_BLK_T.OUT, sector);
      bus.writeBytes(DATA, data);
      bus.writeBytes(STAT, Uint8Array.of(0xff));
      desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
      desc(1, DATA, data.length, VIRTQ_DESC_F_NEXT, 2);
      desc(2, STAT, 1, VIRTQ_DESC_F_WRITE);
      submit(0);
      return bus.readBytes(STAT, 1)[0];
    },
    simple(type: number, dataLen = 0): number {
      header(type, 0);
      bus.writeBytes(STAT, Uint8Array.of(0xff));
      desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
      if (dataLen > 0) {
        desc(1, DATA, dataLen, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
        desc(2, STAT, 1, VIRTQ_DESC_F_WRITE);
      } else desc(1, STAT, 1, VIRTQ_DESC_F_WRITE);
      submit(0);
      return bus.readBytes(STAT, 1)[0];
    },
  };
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

function setup(image: Uint8Array | string, opts: Partial<ConstructorParameters<typeof VirtioBlk>[0]> = {}) {
  const m = new Machine({ cpus: 1, ramMiB: 16 });
  const blk = new VirtioBlk({ image, ...opts });
  const slot = m.attachVirtio(blk);
  const d = blkDriver(m, slot);
  d.start();
  return { m, blk, d };
}

describe("virtio-blk", () => {
  it("identifies as device 2 with capacity in 512-byte sectors and offers FLUSH", () => {
    const { d } = setup(new Uint8Array(64 * 1024));
    expect(d.rd(R.DEVICE_ID)).toBe(2);
    expect(d.rd(R.CONFIG)).toBe(128);
    expect(d.rd(R.CONFIG + 4)).toBe(0);
    d.wr(R.DEVICE_FEATURES_SEL, 0);
    expect(d.rd(R.DEVICE_FEATURES) & Number(VIRTIO_BLK_F_FLUSH)).not.toBe(0);
    expect(d.rd(R.STATUS) & STATUS.DRIVER_OK).toBe(STATUS.DRIVER_OK);
  });

  it("reads the image, writes go to the overlay and the original stays untouched", () => {
    const img = pattern(64 * 1024, 1);
    const orig = img.slice();
    const { d, blk } = setup(img);
    const r = d.read(3, 1024);
    expect(r.status).toBe(VIRTIO_BLK_S.OK);
    expect(r.data).toEqual(orig.subarray(3 * 512, 3 * 512 + 1024));
    expect(d.lastUsed().len).toBe(1025);
    const w = pattern(1536, 9);
    expect(d.write(7, w)).toBe(VIRTIO_BLK_S.OK);
    expect(d.lastUsed().len).toBe(1);
    expect(d.read(7, 1536).data).toEqual(w);
    expect(d.read(6, 512).data).toEqual(orig.subarray(6 * 512, 7 * 512));
    expect(img).toEqual(orig);
    expect(blk.currentImage().subarray(7 * 512, 7 * 512 + 1536)).toEqual(w);
    expect(blk.snapshot()).toMatchObject({ reads: 3, writes: 1, bytesWritten: 1536, errors: 0 });
  });

  it("answers GET_ID, FLUSH and unknown types", () => {
    const { d } = setup(new Uint8Array(8192), { serial: "sys.img" });
    expect(d.simple(VIRTIO_BLK_T.GET_ID, 20)).toBe(VIRTIO_BLK_S.OK);
    expect(d.simple(VIRTIO_BLK_T.GET_ID, 20)).toBe(VIRTIO_BLK_S.OK);
    expect(d.simple(VIRTIO_BLK_T.FLUSH)).toBe(VIRTIO_BLK_S.OK);
    expect(d.simple(99)).toBe(VIRTIO_BLK_S.UNSUPP);
  });

  it("GET_ID writes the serial into the data buffer", () => {
    const { d, m } = setup(new Uint8Array(8192), { serial: "sys.img" });
    m.bus.writeBytes(DATA, new Uint8Array(20).fill(0xee));
    d.simple(VIRTIO_BLK_T.GET_ID, 20);
    const id = m.bus.readBytes(DATA, 20);
    expect(new TextDecoder().decode(id.subarray(0, 7))).toBe("sys.img");
    expect(id[7]).toBe(0);
  });

  it("gives IOERR for out-of-range sectors, partial sectors, short headers and read-only writes, never throwing", () => {
    const { d, m, blk } = setup(new Uint8Array(8192));
    expect(d.read(16, 512).status).toBe(VIRTIO_BLK_S.IOERR);
    expect(d.read(15, 1024).status).toBe(VIRTIO_BLK_S.IOERR);
    expect(d.read(0xffffffffffffffffn, 512).status).toBe(VIRTIO_BLK_S.IOERR);
    expect(d.read(0, 100).status).toBe(VIRTIO_BLK_S.IOERR);
    expect(d.write(16, new Uint8Array(512))).toBe(VIRTIO_BLK_S.IOERR);
    // An 8-byte header.
    d.desc(0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
    d.desc(1, STAT, 1, VIRTQ_DESC_F_WRITE);
    m.bus.writeBytes(STAT, Uint8Array.of(0xff));
    d.submit(0);
    expect(m.bus.readBytes(STAT, 1)[0]).toBe(VIRTIO_BLK_S.IOERR);
    // No writable byte at all: returned with length 0.
    d.desc(0, HDR, 16, 0);
    d.submit(0);
    expect(d.lastUsed()).toEqual({ id: 0, len: 0 });
    expect(blk.snapshot().errors).toBe(7);
    expect(d.rd(R.STATUS) & STATUS.DEVICE_NEEDS_RESET).toBe(0);
    const ro = setup(new Uint8Array(8192), { readOnly: true });
    expect(ro.d.write(0, new Uint8Array(512))).toBe(VIRTIO_BLK_S.IOERR);
    expect(ro.d.read(0, 512).status).toBe(VIRTIO_BLK_S.OK);
  });

  it("with writeThrough, a flush writes back to the file; without, the file is untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), "vblk-"));
    const path = join(dir, "disk.img");
    writeFileSync(path, new Uint8Array(16384));
    const cow = setup(path);
    cow.d.write(2, pattern(512, 3));
    cow.d.simple(VIRTIO_BLK_T.FLUSH);
    expect(readFileSync(path).subarray(1024, 1536)).toEqual(Buffer.alloc(512));
    const wt = setup(path, { writeThrough: true });
    wt.d.write(2, pattern(512, 3));
    expect(readFileSync(path).subarray(1024, 1536)).toEqual(Buffer.alloc(512));
    wt.d.simple(VIRTIO_BLK_T.FLUSH);
    expect(new Uint8Array(readFileSync(path).subarray(1024, 1536))).toEqual(pattern(512, 3));
    expect(readFileSync(path).length).toBe(16384);
  });

  it("logs writes and flushes; crashImage keeps flushed writes and reorders or drops the rest", () => {
    const img = new Uint8Array(16 * 512);
    const { d, blk } = setup(img);
    d.write(0, new Uint8Array(512).fill(1));
    d.write(1, new Uint8Array(512).fill(2));
    d.simple(VIRTIO_BLK_T.FLUSH);
    d.write(0, new Uint8Array(512).fill(3));
    d.write(2, new Uint8Array(1024).fill(4));
    expect(blk.writeLog().map((e) => e.kind)).toEqual(["write", "write", "flush", "write", "write"]);
    // Before anything: the original.
    expect(blk.crashImage(0)).toEqual(img);
    // After one write, no flush, in order: the write is there.
    expect(blk.crashImage(1)[0]).toBe(1);
    // Through the flush: both writes durable.
    const afterFlush = blk.crashImage(3);
    expect([afterFlush[0], afterFlush[512]]).toEqual([1, 2]);
    // Full log in order.
    const all = blk.crashImage(5);
    expect([all[0], all[512], all[1024], all[1536]]).toEqual([3, 2, 4, 4]);
    // Reordered: durable part is always there; each pending sector is old or new.
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const c = blk.crashImage(5, seed);
      expect(c[512]).toBe(2);
      expect([1, 3]).toContain(c[0]);
      expect([0, 4]).toContain(c[1024]);
      expect([0, 4]).toContain(c[1536]);
      seen.add(`${c[0]}${c[1024]}${c[1536]}`);
    }
    expect(seen.size).toBeGreaterThan(4);
    expect(blk.crashImage(5, 7)).toEqual(blk.crashImage(5, 7));
  });

  it("round-trips its overlay through saveState/loadState", () => {
    const { d, blk } = setup(new Uint8Array(8192));
    d.write(1, pattern(512, 5));
    const other = new VirtioBlk({ image: new Uint8Array(8192) });
    other.loadState(JSON.parse(JSON.stringify(blk.saveState())));
    expect(other.currentImage()).toEqual(blk.currentImage());
  });
});
