// Arm PrimeCell UART (PL011), the console at 0x0900_0000, SPI 1 (INTID 33).
//
// Model:
// - Transmission is instantaneous: a byte written to UARTDR while UARTEN and
//   TXE are set goes straight to the host sink (onTransmit); the TX FIFO is
//   therefore always empty (FR.TXFE = 1, BUSY = 0), and TXRIS is set each
//   time a byte leaves (the FIFO drained below any level) until ICR clears
//   it. Bytes written while the transmitter is disabled wait in the FIFO
//   (16 entries with LCR_H.FEN, else the 1-entry holding register; extra
//   writes are dropped, as on hardware) and leave when CR enables it.
// - Receive: host input (pushInput) is queued host-side without limit and
//   moved into the RX FIFO (16 entries with FEN, else 1) as space frees and
//   while UARTEN and RXE are set. RXRIS is set while the FIFO holds at least
//   the IFLS level (1 without FEN); RTRIS (receive timeout) is set while the
//   FIFO is non-empty and no more host input is waiting, i.e. the line went
//   quiet (the 32-bit-period timeout is taken as elapsed at once).
// - Baud rate, line control and DMA registers are stored only.
// - The interrupt output (to the GIC) is high when RIS & IMSC != 0.

import type { MmioDevice } from "../bus.js";
import { primeCellId } from "./primecell.js";

/** Register offsets (PL011 TRM section 3.2). */
export const UART = {
  DR: 0x000, RSR: 0x004, FR: 0x018, ILPR: 0x020, IBRD: 0x024, FBRD: 0x028, LCR_H: 0x02c,
  CR: 0x030, IFLS: 0x034, IMSC: 0x038, RIS: 0x03c, MIS: 0x040, ICR: 0x044, DMACR: 0x048,
} as const;

/** UARTFR bits. */
export const FR = { BUSY: 1 << 3, RXFE: 1 << 4, TXFF: 1 << 5, RXFF: 1 << 6, TXFE: 1 << 7 } as const;
/** Interrupt bits of IMSC/RIS/MIS/ICR. */
export const UART_INT = { RX: 1 << 4, TX: 1 << 5, RT: 1 << 6, FE: 1 << 7, PE: 1 << 8, BE: 1 << 9, OE: 1 << 10 } as const;
/** UARTCR bits. */
export const CR = { UARTEN: 1 << 0, LBE: 1 << 7, TXE: 1 << 8, RXE: 1 << 9 } as const;
/** UARTLCR_H.FEN: FIFOs enabled. */
export const LCR_H_FEN = 1 << 4;

const FIFO_DEPTH = 16;
/** IFLS level encodings 0..4 = 1/8, 1/4, 1/2, 3/4, 7/8 of the FIFO. */
const LEVELS = [2, 4, 8, 12, 14];
const PERIPH_ID = [0x11, 0x10, 0x14, 0x00];

export interface Pl011Options {
  /** Receives every transmitted byte. */
  onTransmit?: (byte: number) => void;
  /** Drives the interrupt line (to the GIC). */
  irq?: (level: boolean) => void;
}

export interface Pl011State {
  rx: number[]; tx: number[]; hostInput: number[];
  ibrd: number; fbrd: number; lcrH: number; cr: number; ifls: number; imsc: number; ris: number; dmacr: number; ilpr: number;
}

export class Pl011 implements MmioDevice {
  readonly name = "pl011";
  readonly size = 0x1000;
  onTransmit: (byte: number) => void;
  private readonly irq: (level: boolean) => void;
  private rx: number[] = [];
  private tx: number[] = [];
  private hostInput: number[] = [];
  private ibrd = 0;
  private fbrd = 0;
  private lcrH = 0;
  private cr = CR.TXE | CR.RXE; // reset value 0x300
  private ifls = 0x12; // reset: both levels 1/2
  private imsc = 0;
  private ris = 0;
  private dmacr = 0;
  private ilpr = 0;
  private irqLevel = false;

  constructor(opts: Pl011Options = {}) {
    this.onTransmit = opts.onTransmit ?? (() => {});
    this.irq = opts.irq ?? (() => {});
  }

  /** Queue host input bytes for the guest (never lost: excess waits host-side). */
  pushInput(bytes: Uint8Array | number[] | string): void {
    const arr = typeof bytes === "string" ? Array.from(new TextEncoder().encode(bytes)) : Array.from(bytes);
    for (const b of arr) this.hostInput.push(b & 0xff);
    this.refill();
    this.updateRx();
  }

  /** Bytes of host input not yet moved into the RX FIFO. */
  get pendingInput(): number {
    return this.hostInput.length;
  }

  private depth(): number {
    return this.lcrH & LCR_H_FEN ? FIFO_DEPTH : 1;
  }

  private enabled(bit: number): boolean {
    return (this.cr & CR.UARTEN) !== 0 && (this.cr & bit) !== 0;
  }

  private refill(): void {
    if (!this.enabled(CR.RXE)) return;
    while (this.rx.length < this.depth() && this.hostInput.length > 0) this.rx.push(this.hostInput.shift()!);
  }

  private rxLevel(): number {
    return this.lcrH & LCR_H_FEN ? LEVELS[Math.min(4, (this.ifls >> 3) & 7)] : 1;
  }

  /** Recompute RXRIS and RTRIS from the FIFO. */
  private updateRx(): void {
    this.ris &= ~(UART_INT.RX | UART_INT.RT);
    if (this.rx.length >= this.rxLevel()) this.ris |= UART_INT.RX;
    if (this.rx.length > 0 && this.hostInput.length === 0) this.ris |= UART_INT.RT;
    this.updateIrq();
  }

  private drainTx(): void {
    if (!this.enabled(CR.TXE)) return;
    if (this.tx.length === 0) return;
    while (this.tx.length > 0) this.onTransmit(this.tx.shift()!);
    this.ris |= UART_INT.TX;
    this.updateIrq();
  }

  private updateIrq(): void {
    const lvl = (this.ris & this.imsc) !== 0;
    if (lvl !== this.irqLevel) {
      this.irqLevel = lvl;
      this.irq(lvl);
    }
  }

  private flags(): number {
    let f = 0;
    if (this.rx.length === 0) f |= FR.RXFE;
    if (this.rx.length >= this.depth()) f |= FR.RXFF;
    if (this.tx.length === 0) f |= FR.TXFE;
    if (this.tx.length >= this.depth()) f |= FR.TXFF;
    if (this.tx.length > 0) f |= FR.BUSY;
    return f;
  }

  read(offset: number, _width: 1 | 2 | 4): number {
    switch (offset) {
      case UART.DR: {
        const b = this.rx.shift();
        this.refill();
        this.updateRx();
        return b ?? 0;
      }
      case UART.RSR: return 0; // no framing/parity/break/overrun errors are ever produced
      case UART.FR: return this.flags();
      case UART.ILPR: return this.ilpr;
      case UART.IBRD: return this.ibrd;
      case UART.FBRD: return this.fbrd;
      case UART.LCR_H: return this.lcrH;
      case UART.CR: return this.cr;
      case UART.IFLS: return this.ifls;
      case UART.IMSC: return this.imsc;
      case UART.RIS: return this.ris;
      case UART.MIS: return this.ris & this.imsc;
      case UART.DMACR: return this.dmacr;
      default: return primeCellId(offset, PERIPH_ID) ?? 0;
    }
  }

  write(offset: number, _width: 1 | 2 | 4, value: number): void {
    switch (offset) {
      case UART.DR:
        if (this.tx.length < this.depth()) this.tx.push(value & 0xff);
        this.ris &= ~UART_INT.TX;
        this.drainTx();
        this.updateIrq();
        return;
      case UART.RSR: return; // ECR: clears errors (there are none)
      case UART.ILPR: this.ilpr = value & 0xff; return;
      case UART.IBRD: this.ibrd = value & 0xffff; return;
      case UART.FBRD: this.fbrd = value & 0x3f; return;
      case UART.LCR_H:
        // Changing FEN flushes nothing here; shrink to the new depth by moving
        // extra RX bytes back to the host queue so none are lost.
        this.lcrH = value & 0xff;
        while (this.rx.length > this.depth()) this.hostInput.unshift(this.rx.pop()!);
        this.refill();
        this.updateRx();
        return;
      case UART.CR:
        this.cr = value & 0xff87;
        this.drainTx();
        this.refill();
        this.updateRx();
        return;
      case UART.IFLS: this.ifls = value & 0x3f; this.updateRx(); return;
      case UART.IMSC: this.imsc = value & 0x7ff; this.updateIrq(); return;
      case UART.ICR: this.ris &= ~(value & 0x7ff); this.updateIrq(); return;
      case UART.DMACR: this.dmacr = value & 7; return;
      default: return;
    }
  }

  saveState(): Pl011State {
    return {
      rx: [...this.rx], tx: [...this.tx], hostInput: [...this.hostInput],
      ibrd: this.ibrd, fbrd: this.fbrd, lcrH: this.lcrH, cr: this.cr, ifls: this.ifls, imsc: this.imsc, ris: this.ris, dmacr: this.dmacr, ilpr: this.ilpr,
    };
  }

  loadState(st: Pl011State): void {
    this.rx = [...st.rx]; this.tx = [...st.tx]; this.hostInput = [...st.hostInput];
    this.ibrd = st.ibrd; this.fbrd = st.fbrd; this.lcrH = st.lcrH; this.cr = st.cr; this.ifls = st.ifls;
    this.imsc = st.imsc; this.ris = st.ris; this.dmacr = st.dmacr; this.ilpr = st.ilpr;
    this.updateIrq();
  }
}
