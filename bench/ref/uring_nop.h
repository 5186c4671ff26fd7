/* The reference for the nop workload: a raw liburing loop doing what lio's
 * io_uring backend does for push x batch + flush + wait — get an SQE and prep
 * a nop per op, one io_uring_submit, then reap until the batch is back — on a
 * ring set up exactly like the plugin's (same SQ/CQ sizes, SINGLE_ISSUER |
 * DEFER_TASKRUN | SUBMIT_ALL where the kernel has them). What is left between
 * the two is the plugin's own work: the ABI call, the op table, the copies. */
#ifndef LIO_BENCH_REF_URING_NOP_H_
#define LIO_BENCH_REF_URING_NOP_H_

#include <liburing.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ref_uring_nop {
  struct io_uring ring;
  unsigned setup_flags; /* what the kernel accepted */
};

/* Sizes as lio's io_uring plugin sizes them for `capacity`. 0 or -errno. */
int ref_uring_nop_init(struct ref_uring_nop* r, unsigned capacity);
/* `batch` nops: prep all, one submit, reap all. 0 or -errno. */
int ref_uring_nop_round(struct ref_uring_nop* r, unsigned batch);
/* Just the "push" half: get and prep `batch` SQEs (no submit). */
void ref_uring_nop_prep(struct ref_uring_nop* r, unsigned batch);
/* Submit and reap what ref_uring_nop_prep queued. 0 or -errno. */
int ref_uring_nop_complete(struct ref_uring_nop* r, unsigned batch);
void ref_uring_nop_exit(struct ref_uring_nop* r);

#ifdef __cplusplus
}
#endif

#endif
