// widgets/: pure functions from inspection snapshots (viperdos/kernel/inspect)
// to Jupyter MIME bundles, one module per view. Every bundle has text/plain;
// tables add text/html; charts add application/vnd.vegalite.v5+json and an
// image/svg+xml fallback (vega, rendered in Node) and name their clock.
//
//   memory.ts      memoryTables, memoryChart            (%mem, %mem --chart)
//   sched.ts       runQueues, schedulingTimeline        (%sched, %sched --timeline)
//   pagetables.ts  pageTableTree, addressWalk           (%pt [PROCESS] [--va ADDR])
//   fs.ts          fileView, blockRuns                  (%fs PATH)
//   journal.ts     journalView                          (%journal)
//   channels.ts    channelsView, channelDiagram         (%channels)
//   caps.ts        capabilityTable                      (%caps PID)
//   trace.ts       traceTable                           (%trace show)
//   ipc.ts         ipcLatencyPlot, parseIpclat          (%bench ipc)
//   tcp.ts         tcpTraceBundle, tcpTraceSpec         (%tcp trace CONN)
//   topology.ts    topologyBundle, linkBundle           (%topology, %link)
//   chart.ts       chartBundle, renderSvg, checkChartSpec
//   bundle.ts      MimeBundle, tables, escaping

export * from "./bundle.js";
export * from "./chart.js";
export * from "./memory.js";
export * from "./sched.js";
export * from "./pagetables.js";
export * from "./caps.js";
export * from "./trace.js";
export * from "./ipc.js";
export * from "./fs.js";
export * from "./journal.js";
export * from "./channels.js";
export * from "./tcp.js";
export * from "./topology.js";

/** What widgets/ offers, for a notebook's inspection (plain data). */
export function snapshot() {
  return {
    views: ["memoryTables", "memoryChart", "runQueues", "schedulingTimeline", "pageTableTree", "capabilityTable", "traceTable", "ipcLatencyPlot", "addressWalk", "fileView", "journalView", "channelsView", "tcpTraceBundle", "topologyBundle", "linkBundle"],
    chartMime: "application/vnd.vegalite.v5+json",
    fallbackMime: "image/svg+xml",
  };
}
