#include "bench/ref/uring_nop.h"

#include <errno.h>
#include <string.h>

static unsigned bit_ceil(unsigned x) {
  unsigned p = 1;
  while (p < x) p <<= 1;
  return p;
}

int ref_uring_nop_init(struct ref_uring_nop* r, unsigned capacity) {
  static const unsigned flag_sets[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_SUBMIT_ALL,
      0,
  };
  unsigned want = 2 * capacity + 1;
  unsigned sq_entries = bit_ceil(want < 32768 ? want : 32768);
  int error = -EINVAL;
  memset(r, 0, sizeof *r);
  for (unsigned i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; ++i) {
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    params.flags = flag_sets[i] | IORING_SETUP_CQSIZE;
    params.cq_entries = 2 * sq_entries;
    error = io_uring_queue_init_params(sq_entries, &r->ring, &params);
    if (error != -EINVAL) {
      r->setup_flags = flag_sets[i];
      break;
    }
  }
  return error;
}

void ref_uring_nop_prep(struct ref_uring_nop* r, unsigned batch) {
  for (unsigned i = 0; i < batch; ++i) {
    struct io_uring_sqe* sqe = io_uring_get_sqe(&r->ring);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, i + 1);
  }
}

int ref_uring_nop_complete(struct ref_uring_nop* r, unsigned batch) {
  int submitted = io_uring_submit(&r->ring);
  if (submitted < 0) return submitted;
  unsigned got = 0;
  while (got < batch) {
    struct io_uring_cqe* cqe;
    /* Looks at the CQ first; enters the kernel only if it is empty. */
    int error = io_uring_wait_cqe(&r->ring, &cqe);
    if (error < 0) return error;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&r->ring, head, cqe) {
      if (cqe->res < 0) return cqe->res;
      ++seen;
    }
    io_uring_cq_advance(&r->ring, seen);
    got += seen;
  }
  return 0;
}

int ref_uring_nop_round(struct ref_uring_nop* r, unsigned batch) {
  ref_uring_nop_prep(r, batch);
  return ref_uring_nop_complete(r, batch);
}

void ref_uring_nop_exit(struct ref_uring_nop* r) { io_uring_queue_exit(&r->ring); }
