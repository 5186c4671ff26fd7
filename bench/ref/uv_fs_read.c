#define _GNU_SOURCE
#include "bench/ref/uv_fs_read.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bench/ref/echo_client.h" /* bench_now_seconds */

enum { kBlock = 4096 };

struct reader {
  uv_loop_t loop;
  int fd;
  uint64_t blocks;
  uint64_t rng;
  double start, end;
  uint64_t counted;
  int error;
};

struct request {
  uv_fs_t req;
  struct reader* r;
  char* buf;
};

static uint64_t next_block(struct reader* r) {
  r->rng ^= r->rng << 13;
  r->rng ^= r->rng >> 7;
  r->rng ^= r->rng << 17;
  return r->rng % r->blocks;
}

static void on_read(uv_fs_t* req);

static int issue(struct request* q) {
  uv_buf_t buf = uv_buf_init(q->buf, kBlock);
  int64_t offset = (int64_t)(next_block(q->r) * kBlock);
  return uv_fs_read(&q->r->loop, &q->req, q->r->fd, &buf, 1, offset, on_read);
}

static void on_read(uv_fs_t* req) {
  struct request* q = (struct request*)req;
  struct reader* r = q->r;
  ssize_t result = req->result;
  uv_fs_req_cleanup(req);
  if (result != kBlock) {
    if (r->error == 0) r->error = result < 0 ? (int)result : UV_EIO;
    return;
  }
  double now = bench_now_seconds();
  if (now >= r->end || r->error != 0) return;
  if (now >= r->start) ++r->counted;
  int error = issue(q);
  if (error != 0 && r->error == 0) r->error = error;
}

int uv_fs_random_reads(int fd, uint64_t file_bytes, int qd, double warmup_seconds, double measure_seconds,
                       uint64_t seed, struct uv_fs_read_result* out) {
  struct reader r;
  memset(&r, 0, sizeof r);
  memset(out, 0, sizeof *out);
  int error = uv_loop_init(&r.loop);
  if (error != 0) return error;
  r.fd = fd;
  r.blocks = file_bytes / kBlock;
  r.rng = seed | 1;
  struct request* reqs = calloc((size_t)qd, sizeof *reqs);
  char* bufs = aligned_alloc(kBlock, (size_t)qd * kBlock);
  r.start = bench_now_seconds() + warmup_seconds;
  r.end = r.start + measure_seconds;
  for (int i = 0; i < qd && error == 0; ++i) {
    reqs[i].r = &r;
    reqs[i].buf = bufs + (size_t)i * kBlock;
    error = issue(&reqs[i]);
  }
  if (error == 0) uv_run(&r.loop, UV_RUN_DEFAULT);
  uv_loop_close(&r.loop);
  free(bufs);
  free(reqs);
  out->reads = r.counted;
  out->seconds = measure_seconds;
  out->error = error != 0 ? error : r.error;
  return out->error;
}
