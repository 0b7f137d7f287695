// Arm PrimeCell real-time clock (PL031) at 0x0901_0000, SPI 2 (INTID 34).
//
// RTCDR counts seconds: epochSeconds (a constructor option, e.g. a fixed
// date for reproducible runs) plus whole seconds of virtual time, modulo
// 2^32. Writing RTCLR loads the counter. The match interrupt (RIS bit 0)
// is set when the counter equals RTCMR; a clock event at that second does it.
// RTCCR.RTCStart reads as 1 (the counter always runs; writes are ignored).

import type { MmioDevice } from "../bus.js";
import type { EventHandle, VirtualClock } from "../clock.js";
import { primeCellId } from "./primecell.js";

/** Register offsets (PL031 TRM section 3.2). */
export const RTC = { DR: 0x00, MR: 0x04, LR: 0x08, CR: 0x0c, IMSC: 0x10, RIS: 0x14, MIS: 0x18, ICR: 0x1c } as const;

const NS_PER_SECOND = 1_000_000_000;
const PERIPH_ID = [0x31, 0x10, 0x04, 0x00];

export interface Pl031Options {
  /** RTCDR at virtual time 0 (seconds since the Unix epoch). Default 0. */
  epochSeconds?: number;
  irq?: (level: boolean) => void;
}

export interface Pl031State {
  offset: number; mr: number; imsc: number; ris: number;
}

export class Pl031 implements MmioDevice {
  readonly name = "pl031";
  readonly size = 0x1000;
  /** RTCDR = (offset + floor(now / 1 s)) mod 2^32. */
  private offset: number;
  private mr = 0;
  private imsc = 0;
  private ris = 0;
  private irqLevel = false;
  private event: EventHandle | undefined;
  private readonly irq: (level: boolean) => void;

  constructor(private readonly clock: VirtualClock, opts: Pl031Options = {}) {
    this.offset = (opts.epochSeconds ?? 0) >>> 0;
    this.irq = opts.irq ?? (() => {});
  }

  private elapsedSeconds(): number {
    return Math.floor(this.clock.now() / NS_PER_SECOND);
  }

  /** The current RTCDR value. */
  seconds(): number {
    return (this.offset + this.elapsedSeconds()) >>> 0;
  }

  read(offset: number, _width: 1 | 2 | 4): number {
    switch (offset) {
      case RTC.DR: return this.seconds();
      case RTC.MR: return this.mr;
      case RTC.LR: return this.seconds();
      case RTC.CR: return 1;
      case RTC.IMSC: return this.imsc;
      case RTC.RIS: return this.ris;
      case RTC.MIS: return this.ris & this.imsc;
      default: return primeCellId(offset, PERIPH_ID) ?? 0;
    }
  }

  write(offset: number, _width: 1 | 2 | 4, value: number): void {
    switch (offset) {
      case RTC.MR: this.mr = value >>> 0; this.schedule(); break;
      case RTC.LR: this.offset = (value - this.elapsedSeconds()) >>> 0; this.schedule(); break;
      case RTC.IMSC: this.imsc = value & 1; break;
      case RTC.ICR: this.ris &= ~(value & 1); break;
      default: return;
    }
    this.updateIrq();
  }

  /** Schedule the match event for the next second at which RTCDR == RTCMR. */
  private schedule(): void {
    this.clock.cancel(this.event);
    this.event = undefined;
    const now = this.elapsedSeconds();
    // Seconds from now until the counter next reads MR (0 means "now" only
    // if we are exactly at the start of that second; otherwise a full wrap).
    let k = (this.mr - this.offset - now) >>> 0;
    const startOfNow = now * NS_PER_SECOND;
    if (k === 0 && this.clock.now() !== startOfNow) k = 2 ** 32;
    const atNs = (now + k) * NS_PER_SECOND;
    if (atNs > Number.MAX_SAFE_INTEGER) return;
    this.event = this.clock.schedule(atNs, () => this.match());
  }

  private match(): void {
    this.event = undefined;
    if (this.seconds() === this.mr) this.ris |= 1;
    this.updateIrq();
    // The next match is 2^32 s away: beyond the clock's range, so none is scheduled.
  }

  private updateIrq(): void {
    const lvl = (this.ris & this.imsc) !== 0;
    if (lvl !== this.irqLevel) {
      this.irqLevel = lvl;
      this.irq(lvl);
    }
  }

  saveState(): Pl031State {
    return { offset: this.offset, mr: this.mr, imsc: this.imsc, ris: this.ris };
  }

  loadState(st: Pl031State): void {
    this.offset = st.offset >>> 0; this.mr = st.mr >>> 0; this.imsc = st.imsc & 1; this.ris = st.ris & 1;
    this.schedule();
    this.updateIrq();
  }
}
