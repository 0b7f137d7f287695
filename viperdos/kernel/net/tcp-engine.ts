// The TCP engine the kernel and the host gateway instantiate by default:
// N8B's TcpStack (tcp/stack.ts) over a TcpEnv. One place to name it, so
// the layers below TCP depend on the contract (tcp/api.ts), not the class.

import { TcpStack } from "./tcp/stack.js";
import type { TcpEnv, TcpStackApi, TcpStackOptions } from "./tcp/api.js";

/** A new TCP engine over `env` with `opts`. */
export function defaultTcpEngine(env: TcpEnv, opts?: TcpStackOptions): TcpStackApi {
  return new TcpStack(env, opts);
}
