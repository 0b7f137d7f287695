// A notebook machine on the network: `%boot --net` gives the session's
// machine a NIC on the user-mode gateway, so shell lines can ping the
// gateway, resolve names and fetch from a real HTTP server on 127.0.0.1;
// option errors are usage errors; the default machine has no network.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MagicExecutor, type OutputSinks } from "../kernel-bridge/executor.js";

function collect() {
  const out = { stdout: "", stderr: "" };
  const sinks: OutputSinks = { writeStream: (n, t) => void (out[n] += t), writeDisplay: () => {} };
  return { out, sinks };
}
const never = new AbortController().signal;

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => res.end(`notebook fetched ${req.url}\n`));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("%boot --net", () => {
  test("shell lines reach the gateway, its DNS and a host HTTP server", async () => {
    const ex = new MagicExecutor();
    try {
      const { out, sinks } = collect();
      expect(await ex.execute("%boot --net --cpus 2", sinks, never)).toMatchObject({ status: "ok" });
      expect(out.stdout).toMatch(/virtio-net: slot \d+: MAC 52:54:00:12:34:56, link up, 10\.0\.2\.15\/24 via 10\.0\.2\.2/);
      const r = await ex.execute(`ping -c 2 10.0.2.2\nnslookup localhost\nFetch http://10.0.2.2:${port}/cell`, sinks, never);
      expect(r).toMatchObject({ status: "ok" });
      expect(out.stdout).toMatch(/2 sent, 2 received, 0% lost/);
      expect(out.stdout).toMatch(/Address: 127\.0\.0\.1/);
      expect(out.stdout).toContain("notebook fetched /cell");
    } finally {
      ex.shutdown();
    }
  });

  test("without --net the machine has no network; bad options are usage errors", async () => {
    const ex = new MagicExecutor();
    try {
      const { out, sinks } = collect();
      const r = await ex.execute("ping -c 1 10.0.2.2", sinks, never);
      expect(r).toMatchObject({ status: "error", ename: "ShellError" });
      expect(out.stdout).toMatch(/network unreachable/);
      for (const bad of ["%boot --hostfwd 8080:80", "%boot --net --hostfwd 80", "%boot --net --hostfwd 0:80"]) {
        expect(await ex.execute(bad, sinks, never)).toMatchObject({ status: "error", ename: "UsageError" });
      }
    } finally {
      ex.shutdown();
    }
  });
});
