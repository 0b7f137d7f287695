// Syscall handlers for channels, poll sets, timers, shared memory and capabilities.
import type { HandlerTable } from "./abi.js";

export const IPC_HANDLERS: HandlerTable = [];
