// Charts: a vega-lite v5 spec (application/vnd.vegalite.v5+json, drawn by
// JupyterLab / VS Code) plus an SVG fallback rendered here in Node by vega
// (no canvas, no browser), for front ends and converters without a
// vega-lite renderer (nbconvert to HTML/PDF, GitHub). The html rendering
// inlines the same SVG. Every chart names its clock in an axis title or
// subtitle: virtual time (the guest's) or wall time (the host's).

import type * as Vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { escapeHtml, type MimeBundle } from "./bundle.js";

export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
export const VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export type VegaLiteSpec = TopLevelSpec;

/**
 * Render `spec` to an SVG document string with vega's headless renderer.
 * Rejects when vega-lite cannot compile the spec (a programming error).
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // vega loads on the first chart: a kernel's start-up should not wait for it.
  const vega: typeof Vega = await import("vega");
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Structural checks of a chart spec this project emits: the v5 schema,
 * inline data (an array of objects), a mark or layer, every encoded field
 * present in the data, every positional axis titled, and a clock named in
 * a title. Returns the problems found (empty = valid); also compiles it
 * with vega-lite, reporting its error as a problem.
 */
export function checkChartSpec(spec: unknown): string[] {
  const problems: string[] = [];
  if (typeof spec !== "object" || spec === null) return ["spec is not an object"];
  const s = spec as Record<string, unknown>;
  if (s.$schema !== VEGALITE_SCHEMA) problems.push(`$schema is not ${VEGALITE_SCHEMA}`);
  const data = s.data as { values?: unknown } | undefined;
  const values = data?.values;
  if (!Array.isArray(values) || values.some((v) => typeof v !== "object" || v === null)) problems.push("data.values is not an array of objects");
  const layers = Array.isArray(s.layer) ? (s.layer as Record<string, unknown>[]) : [s];
  if (!layers.every((l) => l.mark !== undefined)) problems.push("a layer has no mark");
  const fields = new Set(Array.isArray(values) && values.length ? Object.keys(values[0] as object) : []);
  let clockNamed = /clock|virtual time|wall time/i.test(JSON.stringify(s.title ?? ""));
  for (const l of layers) {
    const enc = (l.encoding ?? s.encoding ?? {}) as Record<string, { field?: string; title?: string } | undefined>;
    for (const [ch, e] of Object.entries(enc)) {
      if (!e) continue;
      if (e.field !== undefined && Array.isArray(values) && values.length && !fields.has(e.field)) problems.push(`encoding.${ch}.field "${e.field}" is not in the data`);
      if ((ch === "x" || ch === "y") && !e.title) problems.push(`encoding.${ch} has no title`);
      if (e.title && /virtual time|wall time/i.test(e.title)) clockNamed = true;
    }
  }
  if (!clockNamed) problems.push("no title or axis names the clock (virtual time / wall time)");
  try {
    compile(spec as VegaLiteSpec);
  } catch (e) {
    problems.push(`vega-lite: ${(e as Error).message}`);
  }
  return problems;
}

/**
 * A chart bundle: text/plain `text` (the numbers, for terminals), text/html
 * (the SVG inline, then `htmlExtra`), the vega-lite spec and its SVG.
 */
export async function chartBundle(spec: VegaLiteSpec, text: string, htmlExtra = ""): Promise<MimeBundle> {
  const svg = await renderSvg(spec);
  const title = typeof spec.title === "string" ? spec.title : "";
  return {
    "text/plain": text,
    "text/html": `<figure class="viperdos-chart" title="${escapeHtml(title)}">${svg}</figure>${htmlExtra}`,
    [VEGALITE_MIME]: spec,
    "image/svg+xml": svg,
  };
}
