/* Reference for the poller's file reads: libuv's uv_fs_read, which runs each
 * read on libuv's threadpool (UV_THREADPOOL_SIZE threads, set by the caller
 * before libuv first uses the pool) and completes it on the loop. `qd` reads
 * of 4 KiB at random 4 KiB-aligned offsets stay in flight: each completion
 * issues the next. Completions in [warmup, warmup + measure) are counted. */
#ifndef LIO_BENCH_REF_UV_FS_READ_H_
#define LIO_BENCH_REF_UV_FS_READ_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uv_fs_read_result {
  uint64_t reads;
  double seconds;
  int error; /* 0 or a libuv error (a short read is UV_EIO) */
};

int uv_fs_random_reads(int fd, uint64_t file_bytes, int qd, double warmup_seconds, double measure_seconds,
                       uint64_t seed, struct uv_fs_read_result* out);

#ifdef __cplusplus
}
#endif

#endif
