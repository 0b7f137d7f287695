// Snapshot -> MIME bundle: the views now live in widgets/ (one module per
// view); this module keeps the names the bridge has used so far.

export { escapeHtml, htmlTable, tablesBundle, textBundle, textTable } from "../widgets/bundle.js";
export { memoryTables as memoryBundle, memoryChart } from "../widgets/memory.js";
export { runQueues as schedulerBundle, schedulingTimeline } from "../widgets/sched.js";
export { pageTableTree as pageTablesBundle } from "../widgets/pagetables.js";
export { capabilityTable as handlesBundle } from "../widgets/caps.js";
export { traceTable as traceBundle } from "../widgets/trace.js";
export { ipcLatencyPlot, parseIpclat } from "../widgets/ipc.js";
