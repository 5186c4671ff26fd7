/* The load generator of the tcp_echo workload, the same for every server.
 * Each connection keeps one message in flight (ping-pong): send `msg_size`
 * bytes, read until all `msg_size` have come back, send the next. One
 * connection: blocking send/recv. Several: blocking send, epoll (level-
 * triggered) + non-blocking recv across all of them. Round trips that finish
 * in [warmup, warmup + measure) are counted; then no new message is sent,
 * those in flight are read back, and the function returns (the caller closes
 * the sockets, which the server sees as end of stream). */
#ifndef LIO_BENCH_REF_ECHO_CLIENT_H_
#define LIO_BENCH_REF_ECHO_CLIENT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct echo_client_result {
  uint64_t round_trips; /* in the measured window */
  uint64_t all_round_trips; /* warm-up and drain included */
  double seconds;       /* the measured window */
  int error;            /* 0, or the errno that stopped it */
};

/* Called on the client's thread as the measured window opens (phase 0: just
 * before the first round trip counted is sent) and closes (phase 1: once the
 * last one counted is back); may be NULL. What the server did in between
 * belongs to those round trips (one connection: exactly; several: give or
 * take the messages in flight at either end). */
typedef void (*echo_client_mark_fn)(void* context, int phase);

int echo_client_run(const int* fds, int n, size_t msg_size, double warmup_seconds, double measure_seconds,
                    echo_client_mark_fn mark, void* mark_context, struct echo_client_result* out);

double bench_now_seconds(void); /* CLOCK_MONOTONIC */

#ifdef __cplusplus
}
#endif

#endif
