// `viperdos kernel install|run`: the Jupyter kernel from the command line.
//   install [--user | --prefix DIR]   write the "viperdos" kernelspec
//   run -f CONNECTION_FILE            start the kernel (what the kernelspec runs)

import { writeSync } from "node:fs";
import { installKernelSpec, type InstallTarget } from "../kernel-bridge/install.js";
import { connectionFileArg, startKernel } from "../kernel-bridge/main.js";

export interface JupyterCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit status; `run` returns 0 at once and keeps the process alive serving the kernel. */
  run(args: string[]): number;
}

function err(s: string): void {
  try {
    writeSync(2, s + "\n");
  } catch {
    // stderr closed: nothing to report to
  }
}

export const kernelCommand: JupyterCommand = {
  name: "kernel",
  summary: "install or run the ViperDOS Jupyter kernel",
  usage: [
    "usage: viperdos kernel install [--user | --prefix DIR]",
    "       viperdos kernel run -f CONNECTION_FILE",
    "",
    "install  writes the kernelspec 'viperdos' (kernel.json and logos) into",
    "         Jupyter's data directory: --user for yours ($JUPYTER_DATA_DIR or",
    "         ~/.local/share/jupyter), --prefix DIR for DIR/share/jupyter, else",
    "         /usr/local/share/jupyter. Run 'npm run build' first: the spec",
    "         starts dist/kernel-bridge/main.js.",
    "run      starts the kernel for a connection file written by a front end",
    "         (only 127.0.0.1/localhost unless VIPERDOS_KERNEL_ALLOW_REMOTE=1).",
  ].join("\n"),
  run(args) {
    const [sub, ...rest] = args;
    if (sub === "install") {
      let target: InstallTarget = { kind: "system" };
      if (rest.length === 1 && rest[0] === "--user") target = { kind: "user" };
      else if (rest.length === 2 && rest[0] === "--prefix") target = { kind: "prefix", dir: rest[1] };
      else if (rest.length !== 0) {
        err(`kernel install: bad arguments\n${this.usage}`);
        return 2;
      }
      try {
        const dir = installKernelSpec(target);
        console.log(`installed kernelspec viperdos in ${dir}`);
        return 0;
      } catch (e) {
        err(`kernel install: ${(e as NodeJS.ErrnoException).code ?? ""} ${(e as Error).message}`);
        return 1;
      }
    }
    if (sub === "run") {
      const file = connectionFileArg(rest);
      if (!file) {
        err(`kernel run: missing -f CONNECTION_FILE\n${this.usage}`);
        return 2;
      }
      void startKernel(file).then((status) => {
        if (status !== undefined) process.exit(status);
      });
      return 0;
    }
    err(this.usage);
    return 2;
  },
};
