// Kernel memory management, the API other kernel parts use (DESIGN.md
// "Physical memory"). Typical boot and process life cycle:
//
//   const pmm = new Pmm(machine.bus);
//   pmm.reserve(kernelPa, kernelBytes);                 // boot-time ranges
//   const mmus = machine.cpus.map((c) => c.mmu);
//   const as = AddressSpace.create(pmm, mmus);          // or -3
//   const img = loadElf(as, fileBytes, "hello.prg");    // lazy VMAs + brk, or { ok: false, error: -2, reason }
//   const sp = as.mapStack();                           // STACK_TOP; copyOut argv/auxv below it
//   as.activate(cpu.state, cpu.mmu); cpu.state.pc = img.entry;
//   on ExitKind.Abort: as.handleFault(Number(state.far), accessFromEsr(state.esr)) -> "handled" | "segv"
//   syscalls: as.sbrk / brk / mmap / munmap / mprotect / mapFrames; copyIn / copyOut / copyInString
//   fork: as.fork(); exit: as.destroy()

export { Pmm, MAX_ORDER, type PmmStats, type PmmSnapshot } from "./pmm.js";
export { BuddyAllocator } from "./buddy.js";
export { SlabCache, slabStats, slabSnapshot, slabCaches, type SlabStats } from "./slab.js";
export { AsidAllocator } from "./asid.js";
export {
  AddressSpace,
  accessFromEsr,
  asidAllocatorFor,
  USER_TCR,
  type AddressSpaceSnapshot,
  type Backing,
  type FaultResult,
  type Vma,
  type VmaKind,
  type WalkReport,
} from "./vm.js";
export { loadElf, parseElf, elfSnapshot, type ElfImage, type ElfError, type ElfResult } from "./elf.js";
export { copyIn, copyOut, copyInString, readU32, readU64, writeU32, writeU64, MAX_COPY } from "./uaccess.js";
export * from "./layout.js";
