// Counts every heap allocation the process makes (malloc, calloc, realloc,
// the aligned forms, and through them operator new), from every thread and
// every shared object — plugins included, since the executable's malloc
// interposes on theirs (glibc's documented way to replace malloc). The
// allocator itself is glibc's (__libc_malloc and friends); the hook adds one
// relaxed atomic increment per call.
//
// A workload reads the count before and after its measured loop:
//   uint64_t before = AllocationCount();
//   ... ops ...
//   double per_op = double(AllocationCount() - before) / ops;
#ifndef LIO_BENCH_ALLOC_COUNTER_H_
#define LIO_BENCH_ALLOC_COUNTER_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint64_t lio_bench_allocation_count(void);

#ifdef __cplusplus
}
namespace lio::bench {
inline uint64_t AllocationCount() { return lio_bench_allocation_count(); }
}  // namespace lio::bench
#endif

#endif  // LIO_BENCH_ALLOC_COUNTER_H_
