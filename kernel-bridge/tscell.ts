// %%ts cells: TypeScript run against the live machine. The cell is
// transpiled (typescript's transpileModule: types erased, no type check) to
// an ES2022 script, wrapped in an async function (top-level await works) and
// run in one node:vm context per session, whose globals persist: the cell's
// top-level declarations (const/let/var, functions, classes) are copied to
// the context when it completes, so later cells see them.
//
// In scope: machine, kernel (the session's, booted on first use), session,
// inspect (the inspection API), widgets (and each widget by name),
// display(bundle | value), console (to the cell's stdout/stderr),
// advance(ms) (run the machine, interruptible), sh(line) (a shell line:
// resolves { rc, output }), sleep(ms), require (Node built-ins).
// The last expression statement's value is the cell's result. Errors come
// back as a traceback with the cell's own TypeScript line numbers (source
// map); interrupting stops at the next await; a synchronous endless loop
// stops on SIGINT (vm breakOnSigint; jupyter_client's interrupt in signal
// mode, or `kill -INT`).

import vm from "node:vm";
import { createRequire } from "node:module";
import { formatWithOptions, inspect as utilInspect } from "node:util";
import type * as TS from "typescript";
import type { ExecuteOutcome, OutputSinks, Session } from "./executor.js";
import type { MimeBundle } from "./protocol.js";
import * as inspectApi from "../viperdos/kernel/inspect/index.js";
import * as inspectFs from "../viperdos/kernel/inspect/fs.js";
import * as inspectChannels from "../viperdos/kernel/inspect/channels.js";
import * as widgets from "../widgets/index.js";

/** The running cell's outputs and interrupt signal (display/console/advance use them). */
interface CellIo {
  sinks: OutputSinks;
  signal: AbortSignal;
}

/** What the session offers a cell beyond inspection (executor.ts fills it in). */
export interface TsHost {
  /** Run the machine for `ms` of virtual time in wall slices; rejects with Interrupted on abort. */
  advance(ms: number, io: CellIo): Promise<{ virtualMs: number; wallMs: number }>;
  /** Type one shell line; resolves with its rc and output, rejects with the error outcome's message. */
  sh(line: string, io: CellIo): Promise<{ rc: number; output: string }>;
}

/** The typescript package, loaded on the first %%ts cell (it takes a second to load; kernel start-up should not wait for it). */
let ts: typeof TS;

/** Load the typescript package once (compileCell needs it). */
export async function loadTypeScript(): Promise<void> {
  ts ??= ((await import("typescript")) as unknown as { default: typeof TS }).default;
}

const VLQ = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decode a v3 source map's mappings: for each generated line (0-based), [genCol, srcLine, srcCol] triples. */
export function decodeMappings(mappings: string): [number, number, number][][] {
  const lines: [number, number, number][][] = [];
  let srcLine = 0, srcCol = 0, src = 0, name = 0;
  for (const line of mappings.split(";")) {
    const segs: [number, number, number][] = [];
    let genCol = 0;
    for (const seg of line.split(",")) {
      if (!seg) continue;
      const vals: number[] = [];
      let v = 0, shift = 0;
      for (const ch of seg) {
        const d = VLQ.indexOf(ch);
        if (d < 0) break;
        v += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          vals.push(v & 1 ? -(v >>> 1) : v >>> 1);
          v = 0;
          shift = 0;
        }
      }
      genCol += vals[0] ?? 0;
      if (vals.length >= 4) {
        src += vals[1];
        srcLine += vals[2];
        srcCol += vals[3];
        if (vals.length >= 5) name += vals[4];
        segs.push([genCol, srcLine, srcCol]);
      }
    }
    lines.push(segs);
  }
  void src;
  void name;
  return lines;
}

/** Names a top-level statement declares (destructuring included). */
function declaredNames(st: TS.Statement): string[] {
  const out: string[] = [];
  const bind = (n: TS.BindingName) => {
    if (ts.isIdentifier(n)) out.push(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bind(d.name);
  else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) out.push(st.name.text);
  return out;
}

const WRAP_HEAD = "(async () => {\n";

/**
 * Compile a cell: TypeScript -> JS (CommonJS for imports), then wrapped so
 * the last expression is returned with the top-level declarations.
 * Returns the script text, the source map lines, or the syntax errors.
 * Precondition: loadTypeScript() has resolved.
 */
export function compileCell(source: string, fileName: string): { js: string; map: [number, number, number][][] } | { errors: string[] } {
  const r = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, sourceMap: true, inlineSources: false, esModuleInterop: true },
    reportDiagnostics: true,
    fileName,
  });
  const diags = (r.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diags.length) {
    return {
      errors: diags.map((d) => {
        const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
        if (d.file && d.start !== undefined) {
          const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
          const text = source.split("\n")[line] ?? "";
          return `${fileName}:${line + 1}:${character + 1}: ${msg}\n    ${text}\n    ${" ".repeat(character)}^`;
        }
        return msg;
      }),
    };
  }
  const js = r.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, "");
  const sf = ts.createSourceFile(fileName.replace(/\.ts$/, ".js"), js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const names = new Set<string>();
  for (const st of sf.statements) for (const n of declaredNames(st)) names.add(n);
  let body = js;
  const last = sf.statements.at(-1);
  if (last && ts.isExpressionStatement(last)) {
    const start = last.getStart(sf);
    const expr = last.expression.getText(sf);
    body = js.slice(0, start) + `__vd_result = (${expr});` + js.slice(last.end);
  }
  const scope = [...names].filter((n) => n !== "__vd_result").join(", ");
  const js2 = `${WRAP_HEAD}let __vd_result;\n${body}\nreturn { value: __vd_result, scope: { ${scope} } };\n})()`;
  return { js: js2, map: decodeMappings(JSON.parse(r.sourceMapText ?? '{"mappings":""}').mappings as string) };
}

function isBundle(x: unknown): x is MimeBundle {
  return typeof x === "object" && x !== null && typeof (x as Record<string, unknown>)["text/plain"] === "string";
}

/** A value as a MIME bundle: bundles as they are, anything else through util.inspect. */
export function toBundle(x: unknown): MimeBundle {
  return isBundle(x) ? x : { "text/plain": typeof x === "string" ? x : utilInspect(x, { depth: 4, colors: false }) };
}

/** One session's TypeScript context. */
export class TsCells {
  private readonly context: vm.Context;
  private io: CellIo | undefined;
  private cellNo = 0;

  constructor(private readonly session: Session, private readonly host: TsHost) {
    const io = (): CellIo => {
      if (!this.io) throw new Error("no %%ts cell is running");
      return this.io;
    };
    const write = (name: "stdout" | "stderr") => (...args: unknown[]) => io().sinks.writeStream(name, formatWithOptions({ colors: false }, ...args) + "\n");
    const display = (x: unknown): unknown => {
      if (x && typeof (x as Promise<unknown>).then === "function") return (x as Promise<unknown>).then(display);
      io().sinks.writeDisplay(toBundle(x));
      return undefined;
    };
    const inspect = { ...inspectApi, ...inspectFs, ...inspectChannels };
    const globals: Record<string, unknown> = {
      inspect,
      widgets,
      ...widgets,
      display,
      console: { log: write("stdout"), info: write("stdout"), debug: write("stdout"), warn: write("stderr"), error: write("stderr"), dir: (x: unknown) => write("stdout")(utilInspect(x, { depth: 4 })) },
      advance: (ms: number) => this.host.advance(ms, io()),
      sh: (line: string) => this.host.sh(line, io()),
      sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)),
      require: createRequire(import.meta.url),
      exports: {},
      setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, queueMicrotask,
      TextEncoder, TextDecoder, performance, Buffer, URL, structuredClone,
    };
    this.context = vm.createContext(globals, { name: "viperdos %%ts" });
    for (const [name, get] of [
      ["session", () => this.session],
      ["kernel", () => this.session.ensureKernel()],
      ["machine", () => this.session.ensureKernel().machine],
    ] as const) Object.defineProperty(this.context, name, { get, enumerable: true });
  }

  /** Names in scope (for completion inside %%ts cells). */
  names(): string[] {
    return Object.keys(this.context).sort();
  }

  /** Run one %%ts cell's `source`; resolves (never rejects) with the outcome. */
  async run(source: string, sinks: OutputSinks, signal: AbortSignal): Promise<ExecuteOutcome> {
    const file = `cell-${++this.cellNo}.ts`;
    await loadTypeScript();
    const c = compileCell(source, file);
    if ("errors" in c) return { status: "error", ename: "SyntaxError", evalue: c.errors[0].split("\n")[0], traceback: c.errors.flatMap((e) => e.split("\n")) };
    this.io = { sinks, signal };
    try {
      const script = new vm.Script(c.js, { filename: file.replace(/\.ts$/, ".js") });
      const done = script.runInContext(this.context, { breakOnSigint: true }) as Promise<{ value: unknown; scope: Record<string, unknown> }>;
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(new InterruptedCell());
        signal.addEventListener("abort", () => reject(new InterruptedCell()), { once: true });
      });
      const r = await Promise.race([done, aborted]);
      Object.assign(this.context, r.scope);
      return { status: "ok", result: r.value === undefined ? undefined : toBundle(r.value) };
    } catch (e) {
      return this.errorOutcome(e, file, c.map, source);
    } finally {
      this.io = undefined;
    }
  }

  /** An error from the cell (any realm) as ename/evalue and a traceback in the cell's TypeScript lines. */
  private errorOutcome(e: unknown, file: string, map: [number, number, number][][], source: string): ExecuteOutcome {
    if (e instanceof InterruptedCell) return { status: "error", ename: "Interrupted", evalue: "the cell was interrupted", traceback: ["Interrupted: the cell was interrupted"] };
    const o = (typeof e === "object" && e !== null ? e : { message: String(e) }) as { name?: string; message?: string; stack?: string };
    const ename = typeof o.name === "string" ? o.name : "Error";
    const evalue = typeof o.message === "string" ? o.message : String(e);
    if (/Script execution interrupted/.test(evalue)) return { status: "error", ename: "Interrupted", evalue: "the cell was interrupted (SIGINT)", traceback: ["Interrupted: the cell was interrupted (SIGINT)"] };
    const jsFile = file.replace(/\.ts$/, ".js");
    const srcLines = source.split("\n");
    const frames: string[] = [];
    for (const line of (o.stack ?? "").split("\n").slice(1)) {
      const m = new RegExp(`${jsFile.replace(/\./g, "\\.")}:(\\d+):(\\d+)`).exec(line);
      if (!m) continue;
      // Generated line 1 is the wrapper head, line 2 `let __vd_result;`: the transpiled JS starts at line 3.
      const genLine = Number(m[1]) - 3;
      const genCol = Number(m[2]) - 1;
      const segs = map[genLine] ?? [];
      let best = segs[0];
      for (const s of segs) if (s[0] <= genCol) best = s;
      if (!best) continue;
      const fn = /at (?:async )?([^\s(]+) \(/.exec(line)?.[1];
      frames.push(`  ${file}, line ${best[1] + 1}${fn && !fn.includes(jsFile) ? `, in ${fn}` : ""}`, `    ${(srcLines[best[1]] ?? "").trim()}`);
    }
    const host = frames.length ? [] : (o.stack ?? "").split("\n").slice(1, 6);
    return { status: "error", ename, evalue, traceback: ["Traceback (most recent call first):", ...frames, ...host, `${ename}: ${evalue}`] };
  }
}

class InterruptedCell extends Error {}

/**
 * Whether a %%ts body is still open (is_complete_request): more ( [ { than
 * closed, or an unterminated string, template or block comment. A rough
 * scanner (regular expression literals are not recognised); "invalid" when
 * a bracket closes that was never opened.
 */
export function tsCompleteness(src: string): "complete" | "incomplete" | "invalid" {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      const nl = src.indexOf("\n", i);
      if (nl < 0) break;
      i = nl;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) return "incomplete";
      i = end + 1;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === "\\") j++;
        else if (src[j] === "\n" && c !== "`") return "invalid";
      }
      if (j >= src.length) return "incomplete";
      i = j;
    } else if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if (pairs[c]) {
      if (stack.pop() !== pairs[c]) return "invalid";
    }
  }
  return stack.length ? "incomplete" : "complete";
}
