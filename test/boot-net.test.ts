// `viperdos boot` with its network (bin/boot-net.ts): the built CLI as a user
// runs it, piped input, a real HTTP server on 127.0.0.1 behind the user-mode
// gateway, and the options' errors.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

const CLI = join(process.cwd(), "dist", "bin", "viperdos.js");

function boot(input: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn("node", [CLI, "boot", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    p.stdin.end(input);
  });
}

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => res.end(`host says hi to ${req.url}\n`));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("viperdos boot on the network", () => {
  it("pings the gateway, resolves a name and fetches a page from a host server, then powers off", async () => {
    const r = await boot(`ping -c 2 10.0.2.2\nnslookup localhost\nFetch http://10.0.2.2:${port}/lab\nEcho done\n`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/virtio-net: slot \d+: MAC 52:54:00:12:34:56, link up, 10\.0\.2\.15\/24 via 10\.0\.2\.2/);
    expect(r.stdout).toMatch(/2 sent, 2 received, 0% lost/);
    expect(r.stdout).toMatch(/Address: 127\.0\.0\.1/);
    expect(r.stdout).toContain("host says hi to /lab");
    expect(r.stdout).toMatch(/SYS:> Echo done\ndone\n/);
    expect(r.stdout).toContain("input exhausted; powering off");
  });

  it("--no-net boots without a NIC: the network programs say so", async () => {
    const r = await boot("ping -c 1 10.0.2.2\nEcho after\n", "--no-net");
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/virtio-net:/);
    expect(r.stdout).toMatch(/no reply from 10\.0\.2\.2: seq=1 \(network unreachable\)/);
    expect(r.stdout).toMatch(/\[rc 10\]/);
    expect(r.stdout).toMatch(/SYS:> Echo after\nafter\n/);
  });

  it("bad network options are usage errors (exit 2)", async () => {
    for (const args of [["--hostfwd", "80"], ["--hostfwd", "0:80"], ["--no-net", "--hostfwd", "8080:80"]]) {
      const r = await boot("", ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--hostfwd/);
    }
  });
});
