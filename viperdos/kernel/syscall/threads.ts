// Syscall handlers for threads and signals.
import type { HandlerTable } from "./abi.js";

export const THREAD_HANDLERS: HandlerTable = [];
