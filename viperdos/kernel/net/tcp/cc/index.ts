// Congestion controllers by name.

import type { CongestionControlName } from "../api.js";
import { Cubic } from "./cubic.js";
import { NewReno } from "./newreno.js";
import type { CongestionController } from "./types.js";

/** A fresh controller for name; undefined for an unknown name. */
export function makeController(name: string): CongestionController | undefined {
  if (name === "newreno") return new NewReno();
  if (name === "cubic") return new Cubic();
  return undefined;
}

export function isCongestionControlName(name: string): name is CongestionControlName {
  return name === "newreno" || name === "cubic";
}
