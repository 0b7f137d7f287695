// The building blocks every widget shares: the MIME bundle type, HTML
// escaping and tables rendered twice (text/plain for terminals and
// nbconvert --to text, text/html for notebooks). Pure functions of plain
// data; nothing here reaches into kernel objects.

/** A Jupyter MIME bundle (nbformat "display_data".data): text/plain is always present. */
export type MimeBundle = Record<string, unknown> & { "text/plain": string };

export type Cell = string | number | boolean | null;

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function cellText(c: Cell): string {
  return c === null ? "-" : String(c);
}

/** A plain-text table: columns padded, numbers right-aligned. */
export function textTable(headers: string[], rows: Cell[][]): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => cellText(r[i]).length)));
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => (typeof c === "number" ? cellText(c).padStart(w[i]) : cellText(c).padEnd(w[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

/** An HTML table with an optional caption; numbers right-aligned. */
export function htmlTable(headers: string[], rows: Cell[][], caption?: string): string {
  const td = (c: Cell) => `<td${typeof c === "number" ? ' style="text-align:right"' : ""}>${escapeHtml(cellText(c))}</td>`;
  return (
    `<table class="viperdos">` +
    (caption ? `<caption style="text-align:left"><b>${escapeHtml(caption)}</b></caption>` : "") +
    `<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map(td).join("")}</tr>`).join("")}</tbody></table>`
  );
}

export interface TableSection {
  title: string;
  headers: string[];
  rows: Cell[][];
}

/** Sections of titled tables as one bundle; `note` ends both renderings. */
export function tablesBundle(sections: TableSection[], note?: string): MimeBundle {
  const text = sections.map((s) => `${s.title}\n${textTable(s.headers, s.rows)}`).join("\n\n") + (note ? `\n\n${note}` : "");
  const html = sections.map((s) => htmlTable(s.headers, s.rows, s.title)).join("\n") + (note ? `<p>${escapeHtml(note)}</p>` : "");
  return { "text/plain": text, "text/html": html };
}

/** Preformatted text as a bundle (help, boot logs, trees). */
export function textBundle(text: string): MimeBundle {
  return { "text/plain": text, "text/html": `<pre>${escapeHtml(text)}</pre>` };
}

/** Virtual ns as "12.345 ms" (the guest's clock). */
export function virtualMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}
