/* ViperDOS fixed-width types used by the syscall headers (hand-written).
 * The names match the C types in viperdos/kernel/syscall/table.ts. */
#ifndef VIPERDOS_TYPES_H
#define VIPERDOS_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef int64_t i64;
typedef size_t usize;
typedef long isize;

#endif
