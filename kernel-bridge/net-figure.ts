// The README's congestion-window figure, from a real run: the notebook's lab
// (alice and bob, bob behind 20 Mbit/s, 10 ms, a 40-packet queue), iperf
// sending 1.5 MB with NewReno and then with CUBIC, both traces on one chart.
//
//   node dist/kernel-bridge/net-figure.js [OUT.svg]   (default notebooks/figures/tcp-cwnd.svg)

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { ViperLab } from "./net-lab.js";
import { renderSvg } from "../widgets/chart.js";
import { tcpTraceSpec, type TraceRun } from "../widgets/tcp.js";

/** Run the two transfers and return their traces (virtual time; same seed, same figure). */
export async function cwndRuns(bytes = 1_500_000): Promise<TraceRun[]> {
  const lab = new ViperLab({ machines: [{ name: "alice" }, { name: "bob", link: { delayNs: 10e6, bandwidthBps: 20e6, queueLimit: 40 } }] });
  lab.start("bob", "iperf", "-s -k");
  lab.runFor(2e6);
  const runs: TraceRun[] = [];
  for (const cc of ["newreno", "cubic"]) {
    const c = lab.start("alice", "iperf", `-c 10.0.2.16 -n ${bytes} -C ${cc}`);
    if (!(await lab.runUntilExit([c], 120e9)) || c.process.exitCode !== 0) throw new Error(`net-figure: iperf ${cc} failed\n${lab.console("alice").slice(-600)}`);
    const t = lab.traces("alice").at(-1)!;
    runs.push({ label: cc, samples: t.samples });
  }
  lab.dispose();
  return runs;
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? "notebooks/figures/tcp-cwnd.svg";
  const svg = await renderSvg(tcpTraceSpec(await cwndRuns(), "NewReno and CUBIC through a 20 Mbit/s, 10 ms bottleneck (40-packet queue)"));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, svg);
  console.log(`wrote ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
