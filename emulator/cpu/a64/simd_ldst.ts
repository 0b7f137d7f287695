// Placeholder table: filled in by its owner (see emulator/cpu/a64/table.ts).
import type { InsnPattern } from "./table.js";

export const SIMD_LDST: InsnPattern[] = [];
