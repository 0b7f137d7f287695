// PL011 UART driver (ARM DDI 0183): the serial console. Output is written to
// the data register while the transmit FIFO has room; input arrives by the
// receive interrupt (INTID 33) and is drained into a line buffer the kernel
// hands to whoever reads the console.

import type { Machine } from "../../../emulator/machine.js";

export const UART_BASE = 0x0900_0000;
export const INTID_UART = 33;

// Register offsets and bits (PL011 TRM, section 3.2).
const UARTDR = 0x000;
const UARTFR = 0x018;
const UARTLCR_H = 0x02c;
const UARTCR = 0x030;
const UARTIMSC = 0x038;
const UARTICR = 0x044;
const FR_RXFE = 1 << 4;
const FR_TXFF = 1 << 5;
const LCR_H_FEN = 1 << 4;
const LCR_H_WLEN8 = 3 << 5;
const CR_UARTEN = 1 << 0;
const CR_TXE = 1 << 8;
const CR_RXE = 1 << 9;
const INT_RX = 1 << 4;
const INT_RT = 1 << 6;

export class UartConsole {
  /** Bytes received and not yet consumed by a reader. */
  readonly input: number[] = [];
  /** Bytes written since boot (for the inspection API). */
  bytesOut = 0;

  constructor(private readonly machine: Machine) {}

  /** 8N1 with FIFOs, transmitter and receiver on, receive interrupts unmasked. */
  init(): void {
    const bus = this.machine.bus;
    bus.write32(UART_BASE + UARTCR, 0);
    bus.write32(UART_BASE + UARTLCR_H, LCR_H_FEN | LCR_H_WLEN8);
    bus.write32(UART_BASE + UARTIMSC, INT_RX | INT_RT);
    bus.write32(UART_BASE + UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
  }

  /** Write bytes to the serial line (waits for FIFO room, which the model gives at once). */
  write(bytes: Uint8Array | string): void {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    const bus = this.machine.bus;
    for (const b of data) {
      let spins = 0;
      while ((bus.read32(UART_BASE + UARTFR) & FR_TXFF) !== 0 && spins++ < 1000);
      bus.write32(UART_BASE + UARTDR, b);
    }
    this.bytesOut += data.length;
  }

  /** Interrupt handler: drain the receive FIFO into `input`; returns the number of bytes read. */
  onInterrupt(): number {
    const bus = this.machine.bus;
    let n = 0;
    while ((bus.read32(UART_BASE + UARTFR) & FR_RXFE) === 0) {
      this.input.push(bus.read32(UART_BASE + UARTDR) & 0xff);
      n++;
    }
    bus.write32(UART_BASE + UARTICR, INT_RX | INT_RT);
    return n;
  }
}
