import { describe, expect, it } from "vitest";
import { CR, FR, LCR_H_FEN, Pl011, UART, UART_INT } from "../emulator/devices/pl011.js";
import { Pl031, RTC } from "../emulator/devices/pl031.js";
import { VirtualClock } from "../emulator/clock.js";

function uart() {
  const out: number[] = [];
  const irq: boolean[] = [];
  const u = new Pl011({ onTransmit: (b) => out.push(b), irq: (l) => irq.push(l) });
  const rd = (o: number) => u.read(o, 4);
  const wr = (o: number, v: number) => u.write(o, 4, v);
  return { u, out, irq, rd, wr, level: () => irq.at(-1) ?? false };
}

describe("PL011 UART", () => {
  it("identifies as a PL011 PrimeCell", () => {
    const { rd } = uart();
    expect([0xfe0, 0xfe4, 0xfe8, 0xfec].map(rd)).toEqual([0x11, 0x10, 0x14, 0x00]);
    expect([0xff0, 0xff4, 0xff8, 0xffc].map(rd)).toEqual([0x0d, 0xf0, 0x05, 0xb1]);
  });

  it("transmits instantly when enabled and raises TX until cleared", () => {
    const { out, rd, wr, level } = uart();
    wr(UART.CR, CR.UARTEN | CR.TXE | CR.RXE);
    wr(UART.IMSC, UART_INT.TX);
    expect(level()).toBe(false);
    for (const ch of "hi\n") wr(UART.DR, ch.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe("hi\n");
    expect(rd(UART.FR) & FR.TXFE).toBe(FR.TXFE);
    expect(rd(UART.FR) & (FR.BUSY | FR.TXFF)).toBe(0);
    expect(rd(UART.MIS)).toBe(UART_INT.TX);
    expect(level()).toBe(true);
    wr(UART.ICR, UART_INT.TX);
    expect(level()).toBe(false);
  });

  it("holds TX bytes while disabled and sends them on enable", () => {
    const { out, rd, wr } = uart();
    wr(UART.CR, 0);
    wr(UART.LCR_H, LCR_H_FEN);
    wr(UART.DR, 0x41);
    wr(UART.DR, 0x42);
    expect(out).toEqual([]);
    expect(rd(UART.FR) & (FR.TXFE | FR.BUSY)).toBe(FR.BUSY);
    wr(UART.CR, CR.UARTEN | CR.TXE);
    expect(out).toEqual([0x41, 0x42]);
  });

  it("receives through a 1-entry holding register without FIFOs, losing nothing", () => {
    const { u, rd, wr, level } = uart();
    wr(UART.CR, CR.UARTEN | CR.TXE | CR.RXE);
    wr(UART.IMSC, UART_INT.RX);
    expect(rd(UART.FR) & FR.RXFE).toBe(FR.RXFE);
    u.pushInput("abc");
    expect(rd(UART.FR) & (FR.RXFE | FR.RXFF)).toBe(FR.RXFF);
    expect(u.pendingInput).toBe(2);
    expect(level()).toBe(true);
    const got = [rd(UART.DR), rd(UART.DR), rd(UART.DR)];
    expect(String.fromCharCode(...got)).toBe("abc");
    expect(rd(UART.FR) & FR.RXFE).toBe(FR.RXFE);
    expect(level()).toBe(false);
  });

  it("uses a 16-entry FIFO with the IFLS level and a receive timeout", () => {
    const { u, rd, wr, level } = uart();
    wr(UART.LCR_H, LCR_H_FEN);
    wr(UART.IFLS, 2 << 3); // RX at 1/2 full = 8 bytes
    wr(UART.CR, CR.UARTEN | CR.RXE);
    wr(UART.IMSC, UART_INT.RX | UART_INT.RT);
    u.pushInput([1, 2, 3, 4, 5]);
    expect(rd(UART.RIS) & (UART_INT.RX | UART_INT.RT)).toBe(UART_INT.RT);
    expect(level()).toBe(true);
    u.pushInput(Array.from({ length: 20 }, (_, i) => 6 + i));
    expect(rd(UART.FR) & FR.RXFF).toBe(FR.RXFF);
    expect(u.pendingInput).toBe(9);
    expect(rd(UART.RIS) & UART_INT.RX).toBe(UART_INT.RX);
    const got: number[] = [];
    while ((rd(UART.FR) & FR.RXFE) === 0) got.push(rd(UART.DR));
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => 1 + i));
    expect(rd(UART.RIS) & (UART_INT.RX | UART_INT.RT)).toBe(0);
    expect(level()).toBe(false);
  });

  it("keeps input host-side while the receiver is disabled", () => {
    const { u, rd, wr } = uart();
    wr(UART.CR, CR.UARTEN | CR.TXE); // RXE clear
    u.pushInput("x");
    expect(rd(UART.FR) & FR.RXFE).toBe(FR.RXFE);
    wr(UART.CR, CR.UARTEN | CR.TXE | CR.RXE);
    expect(rd(UART.DR)).toBe(0x78);
  });
});

describe("PL031 RTC", () => {
  it("counts epoch seconds plus virtual time; LR loads it", () => {
    const clock = new VirtualClock();
    const rtc = new Pl031(clock, { epochSeconds: 1_700_000_000 });
    expect(rtc.read(RTC.DR, 4)).toBe(1_700_000_000);
    clock.advanceTo(2_500_000_000);
    expect(rtc.read(RTC.DR, 4)).toBe(1_700_000_002);
    rtc.write(RTC.LR, 4, 100);
    expect(rtc.read(RTC.DR, 4)).toBe(100);
    clock.advanceTo(3_000_000_000);
    expect(rtc.read(RTC.DR, 4)).toBe(101);
    expect(rtc.read(RTC.CR, 4)).toBe(1);
    expect([0xfe0, 0xfe4, 0xfe8, 0xfec].map((o) => rtc.read(o, 4))).toEqual([0x31, 0x10, 0x04, 0x00]);
  });

  it("raises the match interrupt when the counter reaches MR", () => {
    const clock = new VirtualClock();
    const irq: { level: boolean; atNs: number }[] = [];
    const rtc = new Pl031(clock, { epochSeconds: 1000, irq: (l) => irq.push({ level: l, atNs: clock.now() }) });
    clock.advanceTo(400_000_000);
    rtc.write(RTC.IMSC, 4, 1);
    rtc.write(RTC.MR, 4, 1003);
    clock.runDue(2_999_999_999);
    expect(irq).toEqual([]);
    expect(rtc.read(RTC.RIS, 4)).toBe(0);
    clock.runDue(3_500_000_000);
    expect(irq).toEqual([{ level: true, atNs: 3_000_000_000 }]);
    expect(rtc.read(RTC.MIS, 4)).toBe(1);
    rtc.write(RTC.ICR, 4, 1);
    expect(irq.at(-1)!.level).toBe(false);
    expect(rtc.read(RTC.RIS, 4)).toBe(0);
  });
});
