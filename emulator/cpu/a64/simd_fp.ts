// Data processing — SIMD and floating point (Arm ARM C4.1.95, op0 = x111):
// the scalar floating-point encodings (fp.ts) and Advanced SIMD (simd.ts).
import type { InsnPattern } from "./table.js";
import { FP_SCALAR } from "./fp.js";
import { ADV_SIMD } from "./simd.js";

export const SIMD_FP: InsnPattern[] = [...FP_SCALAR, ...ADV_SIMD];
