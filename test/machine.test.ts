import { describe, expect, it } from "vitest";
import { GICC_BASE, GICD_BASE, Machine, MachineOptions, UART_BASE } from "../emulator/machine.js";
import { RAM_BASE } from "../emulator/bus.js";
import { ExitKind } from "../emulator/cpu/state.js";
import { GICC, GICD, INTID_SPURIOUS } from "../emulator/devices/gic.js";
import { CTL_ENABLE } from "../emulator/devices/timer.js";
import { assemble } from "./support/asm.js";

const DATA = RAM_BASE + 0x80000;

/** Assemble `source` at physical `pa` (translation off: VA = PA). */
function load(m: Machine, pa: number, source: string): number {
  const words = assemble(source);
  m.bus.writeBytes(pa, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  return pa;
}

/** Host "kernel" GIC setup: distributor on, each CPU's interface open, `ppis` enabled on every CPU. */
function gicInit(m: Machine, ppis: number[]): void {
  m.bus.write32(GICD_BASE + GICD.CTLR, 1);
  for (let i = 0; i < m.cpus.length; i++) {
    m.setCurrentCpu(i);
    m.bus.write32(GICD_BASE + GICD.ISENABLER, ppis.reduce((a, p) => a | (1 << p), 0));
    m.bus.write32(GICC_BASE + GICC.CTLR, 1);
    m.bus.write32(GICC_BASE + GICC.PMR, 0xff);
  }
}

const WFI_LOOP = `
loop:
  add x0, x0, #1
  wfi
  b loop
`;

/**
 * Every CPU runs WFI_LOOP; CPU i's physical timer fires every (i+1)*6250
 * ticks (100 µs * (i+1)). The kernel idles CPUs on WFI and, on each IRQ,
 * records the counter, re-arms the timer and EOIs.
 */
function timerScenario(opts: MachineOptions, untilNs: number) {
  const m = new Machine({ ramMiB: 16, ...opts });
  const code = load(m, RAM_BASE + 0x1000, WFI_LOOP);
  gicInit(m, [30]);
  const period = (i: number) => BigInt(6250 * (i + 1));
  for (const c of m.cpus) {
    c.state.pc = code;
    c.timer.phys.writeCval(period(c.index));
    c.timer.phys.writeCtl(CTL_ENABLE);
  }
  const trace: string[] = [];
  const result = m.run({
    onExit(i, exit) {
      if (exit === ExitKind.Wfi) { m.idle(i); return; }
      if (exit !== ExitKind.Irq) throw new Error(`unexpected exit ${exit} on CPU ${i}`);
      const iar = m.bus.read32(GICC_BASE + GICC.IAR);
      trace.push(`cpu${i} intid ${iar} tick ${m.counter(i)}`);
      if (iar === 30) {
        const t = m.cpus[i].timer.phys;
        t.writeCval(t.readCval() + period(i));
      }
      if (iar !== INTID_SPURIOUS) m.bus.write32(GICC_BASE + GICC.EOIR, iar);
      m.charge(i, 200); // the handler's cost
    },
  }, { untilNs });
  return { m, trace, result };
}

describe("machine: timers, idle and determinism", () => {
  it("wakes each CPU from WFI exactly at its timer deadlines", () => {
    const { m, trace, result } = timerScenario({ cpus: 4 }, 1_005_000);
    expect(result).toBe("until");
    const expected: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = 6250 * (i + 1);
      for (let t = p; t <= 62_500; t += p) expected.push(`cpu${i} intid 30 tick ${t}`);
    }
    expect([...trace].sort()).toEqual([...expected].sort());
    // x0 counts loop passes: one before the first WFI, one per wake-up.
    const wakes = (i: number) => trace.filter((t) => t.startsWith(`cpu${i} `)).length;
    for (let i = 0; i < 4; i++) expect(m.cpus[i].state.x[0]).toBe(BigInt(wakes(i) + 1));
    expect(m.now()).toBe(1_005_000);
    // Mostly idle: time was skipped, not simulated instruction by instruction.
    expect(m.counters().idleSkippedNs).toBeGreaterThanOrEqual(850_000);
  });

  it("replays identically: same trace, registers, counters and time", () => {
    const a = timerScenario({ cpus: 3, seed: 5 }, 2_000_000);
    const b = timerScenario({ cpus: 3, seed: 5 }, 2_000_000);
    expect(b.trace).toEqual(a.trace);
    expect(b.m.counters()).toEqual(a.m.counters());
    expect(b.m.cpus.map((c) => [c.state.pc, c.state.x[0], c.state.retired])).toEqual(a.m.cpus.map((c) => [c.state.pc, c.state.x[0], c.state.retired]));
    expect(a.trace.length).toBeGreaterThan(10);
  });

  it("fast-forwards an idle machine to a deadline 1 s ahead, then reports idle", () => {
    const m = new Machine({ cpus: 2, ramMiB: 16 });
    const code = load(m, RAM_BASE + 0x1000, WFI_LOOP);
    gicInit(m, [30]);
    for (const c of m.cpus) c.state.pc = code;
    m.cpus[1].timer.phys.writeTval(62_500_000); // 1 s at 62.5 MHz
    m.cpus[1].timer.phys.writeCtl(CTL_ENABLE);
    const seen: { cpu: number; tick: bigint; ns: number }[] = [];
    const wall = performance.now();
    const result = m.run({
      onExit(i, exit) {
        if (exit === ExitKind.Wfi) { m.idle(i); return; }
        const iar = m.bus.read32(GICC_BASE + GICC.IAR);
        seen.push({ cpu: i, tick: m.counter(i), ns: m.cpuTimeNs(i) });
        m.cpus[i].timer.phys.writeCtl(0);
        m.bus.write32(GICC_BASE + GICC.EOIR, iar);
      },
    });
    expect(performance.now() - wall).toBeLessThan(1000);
    expect(result).toBe("idle");
    expect(seen).toEqual([{ cpu: 1, tick: 62_500_000n, ns: 1_000_000_000 }]);
    expect(m.counters().rounds).toBeLessThan(10);
    expect(m.now()).toBeGreaterThanOrEqual(1_000_000_000);
    expect(m.now()).toBeLessThanOrEqual(1_000_000_000 + m.quantumNs);
  });
});

describe("machine: per-CPU time and interleaving", () => {
  const COUNT_THEN_READ = `
    mov x2, #1000
  1: subs x2, x2, #1
    b.ne 1b
    mrs x1, cntvct_el0
    svc #0
    mrs x3, cntvct_el0
    brk #0
  `;

  it("CNTVCT_EL0 counts the CPU's own instructions at 16 per tick, plus charged kernel time", () => {
    for (const cpus of [1, 2]) {
      const m = new Machine({ cpus, ramMiB: 16 });
      const code = load(m, RAM_BASE + 0x1000, COUNT_THEN_READ);
      const spin = load(m, RAM_BASE + 0x2000, "1: b 1b");
      m.cpus[0].state.pc = code;
      if (cpus === 2) m.cpus[1].state.pc = spin;
      const result = m.run({
        onExit(i, exit) {
          if (exit === ExitKind.Svc) m.charge(i, 1600);
          else m.idle(i);
        },
        shouldStop: () => m.isIdle(0),
      });
      expect(result).toBe("stopped");
      // 1 MOV + 1000 * (SUBS, B.NE) retired before the first MRS.
      expect(m.cpus[0].state.x[1]).toBe(BigInt(Math.floor(2001 / 16)));
      // + the MRS and SVC, + 1600 ns charged = 100 ticks.
      expect(m.cpus[0].state.x[3]).toBe(BigInt(Math.floor((2003 + 1600) / 16)));
    }
  });

  it("interleaves busy CPUs round-robin, each getting its share of virtual time", () => {
    const m = new Machine({ cpus: 3, ramMiB: 16 });
    const code = load(m, RAM_BASE + 0x1000, "1: add x0, x0, #1\n b 1b");
    for (const c of m.cpus) c.state.pc = code;
    m.cpus[2].state.exclusiveAddr = 0x1234;
    expect(m.run({ onExit: () => {} }, { untilNs: 100_000 })).toBe("until");
    for (const c of m.cpus) {
      expect(c.state.retired).toBeGreaterThanOrEqual(100_000);
      expect(c.state.retired).toBeLessThan(100_000 + 64);
      expect(Number(c.state.x[0])).toBeCloseTo(c.state.retired / 2, -1);
    }
    expect(m.counters().rounds).toBe(10);
    expect(m.cpus[2].state.exclusiveAddr).toBe(-1); // cleared on CPU switches
  });

  it("an SGI from one CPU wakes another idle CPU", () => {
    const m = new Machine({ cpus: 2, ramMiB: 16 });
    gicInit(m, [1]); // SGI 1 (bit 1 of ISENABLER0)
    m.cpus[0].state.pc = load(m, RAM_BASE + 0x1000, "mov x9, #20000\n1: subs x9, x9, #1\n b.ne 1b\n svc #0\n brk #0");
    m.cpus[1].state.pc = load(m, RAM_BASE + 0x2000, "wfi\n mov x5, #42\n brk #0");
    const log: string[] = [];
    const result = m.run({
      onExit(i, exit) {
        if (exit === ExitKind.Svc) {
          m.bus.write32(GICD_BASE + GICD.SGIR, (0b10 << 16) | 1); // SGI 1 -> CPU 1
          log.push(`cpu${i} sent at ${m.cpuTimeNs(i)}`);
        } else if (exit === ExitKind.Irq) {
          const iar = m.bus.read32(GICC_BASE + GICC.IAR);
          log.push(`cpu${i} got ${iar & 0x3ff} from cpu${iar >>> 10}`);
          m.bus.write32(GICC_BASE + GICC.EOIR, iar);
        } else {
          log.push(`cpu${i} ${ExitKind[exit]}`);
          m.idle(i);
        }
      },
    }, { untilNs: 1_000_000 });
    expect(result).toBe("idle");
    // CPU 0 counts for 40 µs (longer than a round), so CPU 1 reaches WFI first.
    expect(log).toEqual(["cpu1 Wfi", "cpu0 sent at 40002", "cpu0 Brk", "cpu1 got 1 from cpu0", "cpu1 Brk"]);
    expect(m.cpus[1].state.x[5]).toBe(42n);
  });
});

describe("machine: shared memory, atomics and devices from EL0", () => {
  it("LDADD from 4 CPUs never loses an increment", () => {
    const m = new Machine({ cpus: 4, ramMiB: 16, quantumNs: 997 });
    const code = load(m, RAM_BASE + 0x1000, `
      mov x1, #1
      mov x4, #5000
    1: ldadd x1, x2, [x3]
      subs x4, x4, #1
      b.ne 1b
      brk #0
    `);
    for (const c of m.cpus) {
      c.state.pc = code;
      c.state.x[3] = BigInt(DATA);
    }
    expect(m.run({ onExit: (i) => m.idle(i) })).toBe("idle");
    expect(m.bus.read(DATA, 8)).toBe(20_000n);
  });

  it("LDXR/STXR retry loops stay correct when monitors are cleared on CPU switches", () => {
    const m = new Machine({ cpus: 2, ramMiB: 16, quantumNs: 101 });
    const code = load(m, RAM_BASE + 0x1000, `
      mov x4, #3000
    1: ldxr x2, [x3]
      add x2, x2, #1
      stxr w5, x2, [x3]
      cbnz w5, 1b
      subs x4, x4, #1
      b.ne 1b
      brk #0
    `);
    for (const c of m.cpus) {
      c.state.pc = code;
      c.state.x[3] = BigInt(DATA + 64);
    }
    expect(m.run({ onExit: (i) => m.idle(i) })).toBe("idle");
    expect(m.bus.read(DATA + 64, 8)).toBe(6000n);
  });

  it("EL0 code reaches the UART through the bus", () => {
    const out: number[] = [];
    const m = new Machine({ cpus: 1, ramMiB: 16, onUartByte: (b) => out.push(b) });
    m.cpus[0].state.pc = load(m, RAM_BASE + 0x1000, `
      mov x0, #${UART_BASE}
      mov w1, #0x301 // UARTCR: UARTEN | TXE | RXE
      str w1, [x0, #0x30]
      mov w1, #'O'
      str w1, [x0]
      mov w1, #'K'
      str w1, [x0]
      brk #0
    `);
    m.run({ onExit: (i) => m.idle(i) });
    expect(String.fromCharCode(...out)).toBe("OK");
  });
});

describe("machine: snapshots", () => {
  it("restores device state and pending timer deadlines into a fresh machine", () => {
    const a = new Machine({ cpus: 2, ramMiB: 16, rtcEpochSeconds: 1000 });
    const code = load(a, RAM_BASE + 0x1000, WFI_LOOP);
    gicInit(a, [30]);
    a.cpus[1].timer.phys.writeCval(50_000n);
    a.cpus[1].timer.phys.writeCtl(CTL_ENABLE);
    for (const c of a.cpus) c.state.pc = code;
    a.run({ onExit: (i) => a.idle(i) }, { untilNs: 320_000 }); // before the deadline (800 µs)
    const snap = JSON.parse(JSON.stringify(a.saveState()));

    const b = new Machine({ cpus: 2, ramMiB: 16, rtcEpochSeconds: 0 });
    b.bus.writeBytes(RAM_BASE + 0x1000, a.bus.readBytes(RAM_BASE + 0x1000, 64));
    b.loadState(snap);
    for (const c of b.cpus) {
      c.state.pc = a.cpus[c.index].state.pc;
      b.idle(c.index);
    }
    expect(b.now()).toBe(a.now());
    expect(b.rtc.seconds()).toBe(1000);
    const seen: string[] = [];
    b.run({
      onExit(i, exit) {
        if (exit === ExitKind.Irq) {
          seen.push(`cpu${i} ${b.bus.read32(GICC_BASE + GICC.IAR)} ${b.counter(i)}`);
          b.cpus[i].timer.phys.writeCtl(0);
        }
        b.idle(i);
      },
    });
    expect(seen).toEqual(["cpu1 30 50000"]);
  });
});

describe("machine: WFI with an interrupt already pending", () => {
  it("does not sleep: the pending IRQ is taken at once", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    gicInit(m, [30]);
    m.cpus[0].state.pc = load(m, RAM_BASE + 0x1000, "wfi\n brk #0");
    m.cpus[0].state.irqMasked = true; // PSTATE.I set: the IRQ stays pending at WFI
    m.cpus[0].timer.phys.writeTval(0);
    m.cpus[0].timer.phys.writeCtl(CTL_ENABLE);
    expect(m.cpus[0].state.irqLine).toBe(true);
    const log: string[] = [];
    m.run({
      onExit(i, exit) {
        log.push(`${ExitKind[exit]} at ${m.cpuTimeNs(i)}`);
        m.idle(i);
        if (exit === ExitKind.Wfi) m.cpus[i].state.irqMasked = false;
        else if (exit === ExitKind.Irq) m.cpus[i].timer.phys.writeCtl(0);
      },
    }, { untilNs: 1_000_000 });
    expect(log).toEqual(["Wfi at 1", "Irq at 1", "Brk at 2"]);
  });
});

describe("machine: short timers set during a round", () => {
  it("a timer armed by the kernel for inside the current round fires on time", () => {
    const m = new Machine({ cpus: 1, ramMiB: 16 });
    gicInit(m, [30]);
    m.cpus[0].state.pc = load(m, RAM_BASE + 0x1000, "svc #0\n 1: b 1b");
    const log: string[] = [];
    m.run({
      onExit(i, exit) {
        if (exit === ExitKind.Svc) {
          m.cpus[i].timer.phys.writeTval(100); // 1600 ns from this CPU's now
          m.cpus[i].timer.phys.writeCtl(CTL_ENABLE);
          log.push(`armed at tick ${m.counter(i)}`);
        } else if (exit === ExitKind.Irq) {
          const iar = m.bus.read32(GICC_BASE + GICC.IAR);
          log.push(`irq ${iar} at tick ${m.counter(i)}`);
          m.cpus[i].timer.phys.writeCtl(0);
          m.bus.write32(GICC_BASE + GICC.EOIR, iar);
        }
      },
    }, { untilNs: 50_000 });
    expect(log).toEqual(["armed at tick 0", "irq 30 at tick 100"]);
  });
});

describe("machine: device interrupt wiring", () => {
  it("routes PL011 (33) and PL031 (34) to the GIC and their target CPU", () => {
    const m = new Machine({ cpus: 2, ramMiB: 16, rtcEpochSeconds: 10 });
    m.bus.write32(GICD_BASE + GICD.CTLR, 1);
    m.bus.write32(GICD_BASE + GICD.ISENABLER + 4, (1 << 1) | (1 << 2) | (1 << 16));
    m.bus.write32(GICD_BASE + GICD.ITARGETSR + 32, 0x02020202); // INTIDs 32-35 -> CPU 1
    m.setCurrentCpu(1);
    m.bus.write32(GICC_BASE + GICC.CTLR, 1);
    m.bus.write32(GICC_BASE + GICC.PMR, 0xff);
    // UART RX interrupt.
    m.bus.write32(UART_BASE + 0x30, 0x301);
    m.bus.write32(UART_BASE + 0x38, 1 << 4);
    m.uart.pushInput("z");
    expect(m.cpus.map((c) => c.state.irqLine)).toEqual([false, true]);
    expect(m.bus.read32(GICC_BASE + GICC.IAR)).toBe(33);
    m.bus.read32(UART_BASE); // reading the byte clears RX
    m.bus.write32(GICC_BASE + GICC.EOIR, 33);
    expect(m.cpus[1].state.irqLine).toBe(false);
    // RTC match two seconds from now, reached by idling.
    m.bus.write32(0x0901_0000 + 0x04, 12);
    m.bus.write32(0x0901_0000 + 0x10, 1);
    const code = load(m, RAM_BASE + 0x1000, WFI_LOOP);
    for (const c of m.cpus) c.state.pc = code;
    const seen: string[] = [];
    const result = m.run({
      onExit(i, exit) {
        if (exit === ExitKind.Irq) {
          const iar = m.bus.read32(GICC_BASE + GICC.IAR);
          seen.push(`cpu${i} ${iar} at ${m.rtc.seconds()} s`);
          m.bus.write32(0x0901_0000 + 0x1c, 1); // RTCICR
          m.bus.write32(GICC_BASE + GICC.EOIR, iar);
        }
        m.idle(i);
      },
    }, { untilNs: 5_000_000_000 });
    expect(result).toBe("idle"); // nothing left to happen after the match
    expect(seen).toEqual(["cpu1 34 at 12 s"]);
    expect(m.now()).toBeLessThan(2_100_000_000);
  });
});

describe("machine: CPU power", () => {
  it("an offline CPU never runs, even with an IRQ pending, until powered on", () => {
    const m = new Machine({ cpus: 2, ramMiB: 16 });
    gicInit(m, [1]);
    const code = load(m, RAM_BASE + 0x1000, "add x0, x0, #1\n brk #0");
    for (const c of m.cpus) c.state.pc = code;
    m.powerOff(1);
    m.gic.sendSgi(0, 1, 0b10);
    expect(m.cpus[1].state.irqLine).toBe(true);
    const onExit = (i: number, exit: ExitKind) => {
      if (exit === ExitKind.Irq) {
        m.setCurrentCpu(i);
        m.bus.write32(GICC_BASE + GICC.EOIR, m.bus.read32(GICC_BASE + GICC.IAR));
      } else m.idle(i);
    };
    expect(m.run({ onExit })).toBe("idle");
    expect(m.cpus.map((c) => c.state.x[0])).toEqual([1n, 0n]);
    m.powerOn(1);
    expect(m.run({ onExit })).toBe("idle");
    expect(m.cpus.map((c) => c.state.x[0])).toEqual([1n, 1n]);
    expect(m.cpus[1].state.irqLine).toBe(false);
  });
});
