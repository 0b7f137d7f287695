// `viperdos mkfs`, `viperdos fsck` and `viperdos fs ls|cat|put|rm|mkdir`:
// ViperFS images from the command line. Exit status 0 on success, 1 on a
// file-system error or an unclean fsck, 2 on usage errors.

import { readFileSync, writeFileSync } from "node:fs";
import { out } from "./io.js";
import { FsError } from "../viperdos/fs/format.js";
import { fsck, formatFsckReport } from "../viperdos/fs/fsck.js";
import { MemoryImage } from "../viperdos/fs/image.js";
import { buildImage, parseSize, readHostTree } from "../viperdos/fs/mkfs.js";
import { fsCat, fsLn, fsLs, fsMkdir, fsPut, fsReadlink, fsRm } from "../viperdos/fs/tool.js";

export interface FsCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): number;
}


/** Run `body`, turning FsError into "NAME: message" and exit 1. */
function guarded(name: string, body: () => number): number {
  try {
    return body();
  } catch (e) {
    if (e instanceof FsError) {
      out(2, `${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Timestamps: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
function nowSeconds(): number {
  const env = process.env.SOURCE_DATE_EPOCH;
  return env && /^\d+$/.test(env) ? Number(env) : Math.floor(Date.now() / 1000);
}

export const mkfsCommand: FsCommand = {
  name: "mkfs",
  summary: "make a ViperFS image (optionally filled from a host directory)",
  usage: [
    "usage: viperdos mkfs IMAGE --size SIZE [--label NAME] [--from DIR]",
    "",
    "SIZE is bytes or with K/M/G (KiB/MiB/GiB), e.g. 2M for sys.img, 8M for",
    "user.img. --from DIR copies DIR's files and directories in. Timestamps",
    "come from SOURCE_DATE_EPOCH when set.",
  ].join("\n"),
  run(args) {
    let image: string | undefined;
    let size: number | undefined;
    let label: string | undefined;
    let from: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === "--size" || a === "--label" || a === "--from") {
        const v = args[++i];
        if (v === undefined) return usage(this, `${a} needs a value`);
        if (a === "--size") {
          size = parseSize(v);
          if (size === undefined) return usage(this, `bad size '${v}'`);
        } else if (a === "--label") label = v;
        else from = v;
      } else if (a.startsWith("--")) return usage(this, `unknown option ${a}`);
      else if (image === undefined) image = a;
      else return usage(this, `unexpected argument '${a}'`);
    }
    if (image === undefined || size === undefined) return usage(this, "IMAGE and --size are required");
    const img = image;
    const sz = size;
    return guarded("mkfs", () => {
      const tree = from !== undefined ? readHostTree(from) : { files: new Map<string, Uint8Array>(), dirs: [], links: new Map<string, string>() };
      const bytes = buildImage({ size: sz, label, files: tree.files, dirs: tree.dirs, links: tree.links, time: nowSeconds() });
      try {
        writeFileSync(img, bytes);
      } catch (e) {
        throw new FsError(`cannot write ${img}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      out(1, `${img}: ${bytes.length / 4096} blocks, ${tree.files.size} files, ${tree.dirs.length} directories\n`);
      return 0;
    });
  },
};

export const fsckCommand: FsCommand = {
  name: "fsck",
  summary: "check a ViperFS image (exit 0 clean, 1 with a report)",
  usage: "usage: viperdos fsck IMAGE\n\nPrints one line per problem; exit 0 when clean, 1 otherwise.",
  run(args) {
    if (args.length !== 1) return usage(this, "one IMAGE expected");
    return guarded("fsck", () => {
      const img = MemoryImage.load(args[0]);
      const r = fsck(img.bytes);
      out(1, formatFsckReport(r).map((l) => `${args[0]}: ${l}`).join("\n") + "\n");
      return r.clean ? 0 : 1;
    });
  },
};

export const fsCommand: FsCommand = {
  name: "fs",
  summary: "list, read, add or remove files in a ViperFS image",
  usage: [
    "usage: viperdos fs ls IMAGE [PATH]",
    "       viperdos fs cat IMAGE PATH           (file contents to stdout)",
    "       viperdos fs put IMAGE PATH HOSTFILE  (creates parent directories; HOSTFILE - is stdin)",
    "       viperdos fs rm IMAGE PATH            (a file or an empty directory)",
    "       viperdos fs mkdir IMAGE PATH",
    "       viperdos fs ln IMAGE PATH TARGET      (symbolic link PATH -> TARGET, e.g. C:tool.prg or ../x)",
    "       viperdos fs readlink IMAGE PATH",
  ].join("\n"),
  run(args) {
    const [op, image, path, host] = args;
    if (image === undefined) return usage(this, "missing IMAGE");
    const need = (n: number): boolean => args.length === n;
    return guarded("fs", () => {
      const img = MemoryImage.load(image);
      switch (op) {
        case "ls":
          if (!need(2) && !need(3)) return usage(this, "ls takes IMAGE [PATH]");
          out(1, fsLs(img, path ?? "/").map((l) => l + "\n").join(""));
          return 0;
        case "cat":
          if (!need(3)) return usage(this, "cat takes IMAGE PATH");
          out(1, fsCat(img, path));
          return 0;
        case "put": {
          if (!need(4)) return usage(this, "put takes IMAGE PATH HOSTFILE");
          let data: Uint8Array;
          try {
            data = new Uint8Array(readFileSync(host === "-" ? 0 : host));
          } catch (e) {
            throw new FsError(`cannot read ${host}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
          }
          fsPut(img, path, data, nowSeconds());
          img.save(image);
          return 0;
        }
        case "rm":
          if (!need(3)) return usage(this, "rm takes IMAGE PATH");
          fsRm(img, path);
          img.save(image);
          return 0;
        case "mkdir":
          if (!need(3)) return usage(this, "mkdir takes IMAGE PATH");
          fsMkdir(img, path, nowSeconds());
          img.save(image);
          return 0;
        case "ln":
          if (!need(4)) return usage(this, "ln takes IMAGE PATH TARGET");
          fsLn(img, path, host, nowSeconds());
          img.save(image);
          return 0;
        case "readlink":
          if (!need(3)) return usage(this, "readlink takes IMAGE PATH");
          out(1, fsReadlink(img, path) + "\n");
          return 0;
        default:
          return usage(this, `unknown operation '${op}'`);
      }
    });
  },
};

function usage(c: FsCommand, why: string): number {
  out(2, `${c.name}: ${why}\n${c.usage}\n`);
  return 2;
}
