// The kernel process: `node dist/kernel-bridge/main.js -f CONNECTION_FILE`
// (what the kernelspec's argv runs). Binds the sockets, answers requests
// until shutdown_request, then exits 0. Logs go to stderr (the front end
// shows or keeps them); a bad connection file exits 2.

import { KernelSockets, readConnectionFile } from "./sockets.js";
import { KernelHandlers } from "./handlers.js";
import { MagicExecutor } from "./executor.js";
import { answerInspect, INSPECT_TARGET } from "./comms.js";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

function log(s: string): void {
  process.stderr.write(`[viperdos-kernel] ${s}\n`);
}

/**
 * Start a kernel for `connectionFile`. Resolves once the sockets are bound;
 * returns the exit status on failure to start (2 bad file, 1 bind error).
 * The process ends itself after shutdown_request.
 */
export async function startKernel(connectionFile: string): Promise<number | undefined> {
  const info = readConnectionFile(connectionFile);
  if (typeof info === "string") {
    log(info);
    return 2;
  }
  let sockets: KernelSockets;
  try {
    sockets = await KernelSockets.open(info, log);
  } catch (e) {
    log(`cannot bind the sockets on ${info.ip}: ${String(e)}`);
    return 1;
  }
  const executor = new MagicExecutor();
  const handlers = new KernelHandlers(sockets, executor, randomUUID(), {
    log,
    commTargets: { [INSPECT_TARGET]: (data) => answerInspect(executor.session, data) },
    onShutdown: () => {
      void sockets.close().finally(() => process.exit(0));
    },
  });
  // interrupt_mode is "message", but a front end may still send SIGINT: treat it the same way.
  process.on("SIGINT", () => handlers.interruptRunning());
  sockets.listen((channel, msg) => handlers.dispatch(channel, msg));
  watchParent(process.env.JPY_PARENT_PID);
  handlers.announceStarting();
  log(`listening on ${info.ip} (shell ${info.shell_port}, control ${info.control_port}, iopub ${info.iopub_port}, hb ${info.hb_port})`);
  return undefined;
}

/**
 * Exit when the launching process (jupyter_client sets JPY_PARENT_PID) is
 * gone, so a crashed front end never leaves a kernel (and its machine) behind.
 */
function watchParent(pid: string | undefined): void {
  if (!pid || !/^\d+$/.test(pid) || Number(pid) <= 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") {
        log(`parent ${pid} is gone; exiting`);
        process.exit(0);
      }
    }
  }, 1000);
  timer.unref();
}

/** Parse `-f FILE` (or `--f=FILE`, as some launchers write it); undefined when absent. */
export function connectionFileArg(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-f" || argv[i] === "--f" || argv[i] === "--connection-file") return argv[i + 1];
    const m = /^--(?:f|connection-file)=(.+)$/.exec(argv[i]);
    if (m) return m[1];
  }
  return undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = connectionFileArg(process.argv.slice(2));
  if (!file) {
    log("usage: node kernel-bridge/main.js -f CONNECTION_FILE");
    process.exit(2);
  }
  void startKernel(file).then((status) => {
    if (status !== undefined) process.exit(status);
  });
}
