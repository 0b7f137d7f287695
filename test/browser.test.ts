// The notebooks as a person sees them, in Debian's Chromium driven headless
// by playwright-core (never a downloaded browser):
//  1. notebooks/03-scheduler.ipynb executed and exported to HTML by Debian's
//     `jupyter nbconvert --to html --execute`, opened from disk: its
//     scheduling timelines are drawn (inline <svg> charts with bars);
//  2. the same notebook opened live from the `npm start` server
//     (scripts/start-notebooks.sh), every cell run in the page by the
//     ViperDOS kernel, and a chart appears in the page's outputs.
// Screenshots go to build/screenshots/ (03-scheduler-export.png,
// 03-scheduler-live.png) for a person to look at.
// Needs jupyter-nbconvert, jupyter-notebook and chromium (scripts/browser-deps.sh)
// and the build in dist/ (both kernelspecs run dist/kernel-bridge/main.js).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { installKernelSpec } from "../kernel-bridge/install.js";

const ROOT = join(import.meta.dirname, "..");
/** The build `npm start` serves from (scripts/setup.sh builds it before the tests). */
const DIST = join(ROOT, "dist");
const SHOTS = join(ROOT, "build", "screenshots");
const CHROMIUM = "/usr/bin/chromium";

let work = "";
let browser: BrowserContext | undefined;
let server: ChildProcess | undefined;

beforeAll(async () => {
  for (const [f, pkg] of [[CHROMIUM, "chromium"], ["/usr/bin/jupyter-nbconvert", "jupyter-nbconvert"]]) {
    if (!existsSync(f)) throw new Error(`${f} is missing (Debian's ${pkg}); run scripts/browser-deps.sh`);
  }
  if (!existsSync(join(DIST, "kernel-bridge", "main.js")) || !existsSync(join(DIST, "bin", "viperdos.js"))) throw new Error("dist/ is not built: run scripts/setup.sh");
  work = mkdtempSync(join(tmpdir(), "vd-browser-"));
  installKernelSpec({ kind: "prefix", dir: work }, join(DIST, "kernel-bridge", "main.js"));
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    viewport: { width: 1280, height: 900 },
  });
}, 200_000);

afterAll(async () => {
  await browser?.close();
  if (server?.pid && server.exitCode === null) {
    const gone = new Promise((r) => server!.on("exit", r));
    server.kill("SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 8000))]);
    try {
      if (server.exitCode === null) process.kill(-server.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Charts in `page`: per vega SVG, how many drawn marks (paths/rects inside role-mark groups) and its size. */
function charts(page: Page) {
  return page.$$eval("svg", (svgs) =>
    svgs
      .filter((s) => s.querySelector("g.role-mark") !== null)
      .map((s) => {
        const r = s.getBoundingClientRect();
        return { marks: s.querySelectorAll("g.role-mark path, g.role-mark rect").length, width: r.width, height: r.height };
      }),
  );
}

describe("notebooks in headless Chromium", () => {
  test("an executed notebook exported to HTML shows its charts", async () => {
    const r = spawnSync(
      "/usr/bin/jupyter",
      ["nbconvert", "--to", "html", "--execute", "--ExecutePreprocessor.kernel_name=viperdos", "--ExecutePreprocessor.timeout=60", "--output-dir", work, "--output", "03-scheduler", join(ROOT, "notebooks", "03-scheduler.ipynb")],
      { env: { ...process.env, JUPYTER_PATH: join(work, "share", "jupyter") }, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" },
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const page = await browser!.newPage();
    try {
      await page.goto(pathToFileURL(join(work, "03-scheduler.html")).href);
      const found = await charts(page);
      expect(found.length).toBeGreaterThanOrEqual(4); // the four scheduling timelines (and %sched's own charts)
      for (const c of found) {
        expect(c.marks).toBeGreaterThan(2);
        expect(c.width).toBeGreaterThan(100);
        expect(c.height).toBeGreaterThan(50);
      }
      expect(await page.locator("text=Scheduling timeline").count()).toBeGreaterThan(0);
      const chart = page.locator("figure.viperdos-chart").first();
      await chart.scrollIntoViewIfNeeded();
      await chart.screenshot({ path: join(SHOTS, "03-scheduler-export.png") });
      // No error output was exported.
      expect(await page.locator(".output_error, .jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 180_000);

  test("npm start's server: a notebook run live in the page shows a chart", async () => {
    let out = "";
    server = spawn("bash", ["scripts/start-notebooks.sh", "--no-setup", "--port", "0", "--no-browser"], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, JUPYTER_DATA_DIR: join(work, "data"), JUPYTER_CONFIG_DIR: join(work, "config"), JUPYTER_RUNTIME_DIR: join(work, "runtime"), VIPERDOS_NOTEBOOK_STATE: join(work, "server.json") },
    });
    server.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    server.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    const until = Date.now() + 60_000;
    let m: RegExpMatchArray | null = null;
    while (!(m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\/(tree|lab)\?token=([0-9a-f]+)/)) && Date.now() < until && server.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    if (!m) throw new Error(`npm start printed no URL:\n${out.slice(-3000)}`);
    const [, port, ui, token] = m;
    const page = await browser!.newPage();
    try {
      if (ui === "lab") {
        await page.goto(`http://127.0.0.1:${port}/lab/tree/03-scheduler.ipynb?token=${token}`);
        await page.locator(".jp-Notebook").waitFor({ timeout: 60_000 });
        await page.keyboard.press("Escape");
        await page.evaluate(() => (window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }).jupyterapp.commands.execute("notebook:run-all-cells"));
      } else {
        await page.goto(`http://127.0.0.1:${port}/notebooks/03-scheduler.ipynb?token=${token}`);
        // Classic Notebook: wait for the kernel to be ready, then Cell > Run All through its API.
        await page.waitForFunction(() => (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter?.notebook?.kernel?.is_connected() === true, undefined, { timeout: 60_000 });
        expect(await page.locator("#kernel_indicator_icon, .kernel_name, #kernel_indicator").first().textContent().catch(() => "")).toBeDefined();
        await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
      }
      // All four timelines drawn in the live page (as the kernel answers each cell).
      await page.waitForFunction(() => [...document.querySelectorAll(".output_area svg, .jp-OutputArea svg")].filter((s) => s.querySelector("g.role-mark")).length >= 4, undefined, { timeout: 90_000 });
      const found = (await charts(page)).filter((c) => c.marks > 2);
      expect(found.length).toBeGreaterThanOrEqual(4);
      expect(await page.locator(".output_error, .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count()).toBe(0);
      const chart = page.locator(".output_area svg, .jp-OutputArea svg").first();
      await chart.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, "03-scheduler-live.png") });
    } finally {
      await page.close();
    }
  }, 240_000);
});
