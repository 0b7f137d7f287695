// Loads and stores (Arm ARM C4.1.66, op0 = x1x0): scalar/pair/exclusive/
// atomic forms (ldst_scalar.ts) and Advanced SIMD structure loads/stores
// LD1-LD4/ST1-ST4 and their single-lane and replicate forms (simd_ldst.ts).
import type { InsnPattern } from "./table.js";
import { LDST_SCALAR } from "./ldst_scalar.js";
import { SIMD_LDST } from "./simd_ldst.js";

export const LOADS_STORES: InsnPattern[] = [...SIMD_LDST, ...LDST_SCALAR];
