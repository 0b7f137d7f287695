// `npm run bench`: every benchmark figure, labelled with its clock.
// `npm run bench -- --json` prints one JSON object per line
// ({"name", "value", "unit", "clock"}). `--only PREFIX` runs a subset.

import { benchLoop } from "./cpu-loop.js";
import { benchGuests, benchMemory } from "./cpu-guest.js";
import { benchShell } from "./shell.js";
import { reporter, type Emit } from "./report.js";
import { benchKernel } from "./kernel.js";
import { benchUserDriver } from "./udriver.js";
import { benchNet } from "./net.js";
import { benchStorage } from "./storage.js";
import { benchJupyter } from "./jupyter.js";

interface Bench {
  name: string;
  run: (emit: Emit) => void | Promise<void>;
}

const BENCHES: Bench[] = [
  { name: "cpu.loop4", run: benchLoop },
  { name: "cpu.guest", run: (e) => benchGuests(e) },
  { name: "host.memory", run: benchMemory },
  { name: "shell", run: (e) => benchShell(e) },
  { name: "kernel", run: (e) => benchKernel(e) },
  { name: "udriver", run: benchUserDriver },
  { name: "net", run: (e) => benchNet(e) },
  { name: "storage", run: (e) => benchStorage(e) },
  { name: "jupyter", run: (e) => benchJupyter(e) },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const onlyIdx = args.indexOf("--only");
  const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
  const emit = reporter(json);
  for (const b of BENCHES) {
    if (only && !b.name.startsWith(only)) continue;
    await b.run(emit);
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
