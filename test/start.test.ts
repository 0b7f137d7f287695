// `npm start` (scripts/start-notebooks.sh) as a user meets it: the script
// installs the kernelspec for the user, starts the notebook server on
// 127.0.0.1 with a token and prints the URL; the listing of notebooks/ is
// served to a client holding the token and refused without it; Ctrl+C
// (SIGINT to the process group) stops the server with the script. Jupyter's directories point into a
// temporary folder so the user's own are untouched.
// Needs the build in dist/ (scripts/setup.sh) and Debian's jupyter-notebook
// (scripts/browser-deps.sh).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "..");

let work = "";
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Resolves with the first match of `re` in the text `read` returns, polling until `ms` pass. */
async function waitFor(read: () => string, re: RegExp, ms: number, what: string): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const m = read().match(re);
    if (m) return m;
    if (child?.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${what} within ${ms} ms; output:\n${read().slice(-3000)}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("npm start: kernelspec installed, notebooks/ listed over HTTP with the token, stopped by Ctrl+C", async () => {
  if (!existsSync(join(ROOT, "dist", "bin", "viperdos.js"))) throw new Error("dist/ is not built: run scripts/setup.sh");
  work = mkdtempSync(join(tmpdir(), "vd-start-"));
  const env = {
    ...process.env,
    JUPYTER_DATA_DIR: join(work, "data"),
    JUPYTER_CONFIG_DIR: join(work, "config"),
    JUPYTER_RUNTIME_DIR: join(work, "runtime"),
    VIPERDOS_NOTEBOOK_STATE: join(work, "server.json"),
    VIPERDOS_NOTEBOOK_TOKEN: "",
  };
  let out = "";
  child = spawn("bash", ["scripts/start-notebooks.sh", "--no-setup", "--port", "0", "--no-browser"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));

  const [url, port, token] = await waitFor(() => out, /http:\/\/127\.0\.0\.1:(\d+)\/(?:tree|lab)\?token=([0-9a-f]{48})/, 60_000, "URL with a token");
  expect(Number(port)).toBeGreaterThan(0);
  const state = JSON.parse(readFileSync(env.VIPERDOS_NOTEBOOK_STATE, "utf8")) as { url: string; port: number; token: string; pid: number };
  expect(state).toMatchObject({ url, port: Number(port), token });
  expect(alive(state.pid)).toBe(true);

  // The kernelspec went to the user's data directory (here: our temporary one).
  const spec = JSON.parse(readFileSync(join(env.JUPYTER_DATA_DIR, "kernels", "viperdos", "kernel.json"), "utf8")) as { argv: string[]; display_name: string };
  expect(spec.display_name).toBe("ViperDOS");
  expect(spec.argv[1]).toBe(join(ROOT, "dist", "kernel-bridge", "main.js"));

  const base = `http://127.0.0.1:${port}`;
  const tree = await fetch(`${base}/tree?token=${token}`);
  expect(tree.status).toBe(200);
  expect(await tree.text()).toMatch(/<html/i);
  const listing = (await (await fetch(`${base}/api/contents?token=${token}`)).json()) as { content: { name: string; type: string }[] };
  const notebooks = listing.content.filter((c) => c.type === "notebook").map((c) => c.name);
  expect(notebooks).toEqual(expect.arrayContaining(["02-memory-and-page-tables.ipynb", "04-capabilities-and-ipc.ipynb"]));
  const specs = (await (await fetch(`${base}/api/kernelspecs?token=${token}`)).json()) as { kernelspecs: Record<string, unknown> };
  expect(Object.keys(specs.kernelspecs)).toContain("viperdos");
  // Without the token: refused.
  expect((await fetch(`${base}/api/contents`)).status).toBe(403);

  // Ctrl+C in a terminal: SIGINT to the whole process group.
  const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
  process.kill(-child.pid!, "SIGINT");
  expect(await exited).toBe(0);
  await waitFor(() => (alive(state.pid) ? "" : "gone"), /gone/, 15_000, "server exit");
}, 90_000);

test("npm start: bad arguments are refused; a taken default port gives way to a free one", async () => {
  const bad = spawnSync("bash", ["scripts/start-notebooks.sh", "--no-setup", "--port", "http"], { cwd: ROOT, encoding: "utf8" });
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain("--port must be 0..65535");
  const unknown = spawnSync("bash", ["scripts/start-notebooks.sh", "--frobnicate"], { cwd: ROOT, encoding: "utf8" });
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toContain("unknown argument --frobnicate");

  // Occupy 8888 (or find it already taken): the default must move aside, not fail.
  const blocker = createServer();
  await new Promise<void>((r) => {
    blocker.once("error", () => r());
    blocker.listen(8888, "127.0.0.1", () => r());
  });
  work ||= mkdtempSync(join(tmpdir(), "vd-start-"));
  const env = { ...process.env, JUPYTER_DATA_DIR: join(work, "data2"), JUPYTER_CONFIG_DIR: join(work, "config2"), JUPYTER_RUNTIME_DIR: join(work, "runtime2"), VIPERDOS_NOTEBOOK_STATE: join(work, "server2.json"), VIPERDOS_NOTEBOOK_PORT: "" };
  let out = "";
  child = spawn("bash", ["scripts/start-notebooks.sh", "--no-setup", "--no-browser"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  try {
    const [, port] = await waitFor(() => out, /http:\/\/127\.0\.0\.1:(\d+)\/(?:tree|lab)\?token=/, 60_000, "URL");
    expect(port).not.toBe("8888");
    expect(out).toContain("port 8888 is taken");
  } finally {
    const exited = new Promise((r) => child!.on("exit", r));
    process.kill(-child.pid!, "SIGINT");
    await exited;
    await new Promise((r) => blocker.close(r));
  }
}, 90_000);
