import { describe, expect, it } from "vitest";
import { VirtualClock } from "../emulator/clock.js";
import { Switch } from "../emulator/net/switch.js";
import { Link } from "../emulator/net/link.js";
import { clockNode, minLinkDelayNs, runLockstep } from "../emulator/net/lockstep.js";
import { parseMac, type FrameSink, type NetEndpoint } from "../emulator/net/endpoint.js";

function host(clock: VirtualClock, mac: string) {
  let tx: FrameSink | undefined;
  const got: number[] = [];
  const ep: NetEndpoint & { send(dst: string, tag: number, src?: string): void; got: number[] } = {
    name: mac, clock, got,
    receive(f) { got.push(f[14]); },
    connect(t) { tx = t; },
    send(dst, tag, src = mac) {
      const f = new Uint8Array(60);
      f.set(parseMac(dst)!, 0);
      f.set(parseMac(src)!, 6);
      f[14] = tag;
      tx?.(f);
    },
  };
  return ep;
}

const A = "02:00:00:00:00:0a", B = "02:00:00:00:00:0b", C = "02:00:00:00:00:0c", D = "02:00:00:00:00:0d";

function lan(ageingNs?: number) {
  const clock = new VirtualClock();
  const sw = new Switch(clock, { ports: 4, ageingNs });
  const hosts = [A, B, C].map((mac) => host(clock, mac));
  hosts.forEach((h, i) => new Link(h, sw.port(i)));
  const run = () => clock.runDue(clock.now() + 1);
  const take = () => hosts.map((h) => h.got.splice(0));
  return { clock, sw, hosts, run, take };
}

describe("learning switch", () => {
  it("floods unknown and group destinations, forwards learned ones to one port", () => {
    const l = lan();
    l.hosts[0].send(C, 1);
    l.run();
    expect(l.take()).toEqual([[], [1], [1]]);
    l.hosts[2].send(A, 2);
    l.run();
    expect(l.take()).toEqual([[2], [], []]);
    l.hosts[0].send(C, 3);
    l.hosts[1].send("01:00:5e:00:00:01", 4); // multicast floods
    l.run();
    expect(l.take()).toEqual([[4], [], [3, 4]]);
    expect(l.sw.lookup(B)).toBe(1);
    expect(l.sw.port(0).counters).toMatchObject({ rxPackets: 2, flooded: 1, txPackets: 2 });
  });

  it("filters frames for a MAC learned on the arrival port, and follows a MAC that moves", () => {
    const l = lan();
    // Host A also speaks for D (as if D sat behind it): D is learned on port 0.
    l.hosts[0].send(B, 1, D);
    l.run();
    l.hosts[0].send(D, 2);
    l.run();
    expect(l.take()).toEqual([[], [1], [1]]);
    expect(l.sw.port(0).counters.filtered).toBe(1);
    // D moves to port 2.
    l.hosts[2].send(B, 3, D);
    l.run();
    l.hosts[1].send(D, 4);
    l.run();
    expect(l.take()).toEqual([[3], [3], [4]]); // B is still unknown: 3 floods
  });

  it("ages entries out and then floods again", () => {
    const l = lan(1_000_000);
    l.hosts[1].send(A, 1);
    l.run();
    l.take();
    l.hosts[0].send(B, 2);
    l.run();
    expect(l.take()).toEqual([[], [2], []]);
    l.clock.runDue(l.clock.now() + 2_000_000);
    expect(l.sw.lookup(B)).toBeUndefined();
    l.hosts[0].send(B, 3);
    l.run();
    expect(l.take()).toEqual([[], [3], [3]]);
  });

  it("drops runts, flush forgets, ports are checked, snapshot is JSON", () => {
    const l = lan();
    l.sw.port(0).receive(new Uint8Array(5));
    expect(l.sw.port(0).counters.runts).toBe(1);
    expect(l.take()).toEqual([[], [], []]);
    l.hosts[0].send(B, 1);
    l.run();
    expect(l.sw.lookup(A)).toBe(0);
    l.sw.flush();
    expect(l.sw.lookup(A)).toBeUndefined();
    expect(() => l.sw.port(9)).toThrow(RangeError);
    expect(() => new Switch(l.clock, { ports: 0 })).toThrow(RangeError);
    expect(l.sw.freePort()?.index).toBe(3);
    const s = l.sw.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.ports.map((p) => p.plugged)).toEqual([true, true, true, false]);
  });

  it("two switches in a chain through a delayed link", () => {
    const clock = new VirtualClock();
    const s1 = new Switch(clock, { ports: 2, name: "s1" });
    const s2 = new Switch(clock, { ports: 2, name: "s2" });
    const a = host(clock, A);
    const b = host(clock, B);
    new Link(a, s1.port(0));
    new Link(s1.port(1), s2.port(1), { params: { delayNs: 1000 } });
    new Link(s2.port(0), b);
    a.send(B, 7);
    clock.runDue(999);
    expect(b.got).toEqual([]);
    clock.runDue(1000);
    expect(b.got).toEqual([7]);
    expect(s2.lookup(A)).toBe(1);
  });
});

describe("lockstep", () => {
  it("keeps separate clocks exact when slices are no longer than the smallest delay", () => {
    const run = (slice: number | undefined, reverse = false) => {
      const [ca, cb, cs] = [new VirtualClock(), new VirtualClock(), new VirtualClock()];
      const sw = new Switch(cs, { ports: 2 });
      const a = host(ca, A);
      const b = host(cb, B);
      const links = [new Link(a, sw.port(0), { params: { delayNs: 3000 } }), new Link(sw.port(1), b, { params: { delayNs: 2000 } })];
      // a sends at 1000, 6000, 11000: each arrives at b 5000 ns later.
      const nodes = (reverse ? [cb, cs, ca] : [ca, cs, cb]).map(clockNode);
      const arrivals: number[] = [];
      const bRecv = b.receive.bind(b);
      b.receive = (f) => { arrivals.push(cb.now()); bRecv(f); };
      for (const at of [1000, 6000, 11000]) ca.schedule(at, () => a.send(B, at / 1000));
      runLockstep(nodes, 50_000, slice ?? minLinkDelayNs(links));
      return { arrivals, late: links[0].counters("aToB").late + links[1].counters("aToB").late, got: b.got };
    };
    const exact = run(undefined);
    expect(exact).toEqual({ arrivals: [6000, 11000, 16000], late: 0, got: [1, 6, 11] });
    expect(run(undefined, true)).toEqual(exact);
    // A slice longer than the delays, receivers run first: arrivals come late.
    const coarse = run(20_000, true);
    expect(coarse.late).toBeGreaterThan(0);
    expect(coarse.got).toEqual([1, 6, 11]);
    expect(coarse.arrivals).not.toEqual(exact.arrivals);
    expect(() => run(0)).toThrow(RangeError);
  });
});
